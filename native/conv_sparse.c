/* Convolution gradients when the output gradient is mostly zeros (AVX-512). Behind a ReLU and a
 * 2x2 max pooling, as in LeNet-style networks, at most one in four of a convolution's output
 * gradients is nonzero, and the ReLU clears more. Both gradients then walk the nonzeros of each
 * output-gradient plane instead of every position:
 *
 *   gw[o, :, i, j] += gy[n,o,h,w] · x[n, :, h+i, w+j]      (summed in registers per plane)
 *   gx[n, :, h+i, w+j] += gy[n,o,h,w] · w[o, :, i, j]      (added in place, per image)
 *
 * over the kh·kw taps (i, j), in a channels-last layout with the channels of a position padded
 * to one vector (8 or 16 floats): every load and store covers exactly one position, so a
 * position that two nearby windows update is forwarded from the store buffer rather than
 * stalling on a partial overlap. Threads take whole images, each summing its own weight
 * gradient. The terms skipped are zeros times finite values (the other operand is checked, as
 * 0 · inf is NaN), so the results are the dense kernels' up to the order of rounding.
 *
 * Stride 1, dilation 1, one group, no padding, square kernels up to 3 x 3, and 4 to 16 input
 * channels (with fewer, most lanes of a vector are empty and the dense kernels are faster).
 * Each entry point returns 0, having written nothing the caller keeps, when the dense kernels
 * must run instead.
 *
 * Work buffers come from the caller; no allocation, no OS calls, no Node here. */
#include <string.h>
#include "kiln.h"

#if defined(__x86_64__)
#include "avx512.h"

/* FMA for the 8-float vectors (GCC's avx512f target does not imply it; every AVX-512 CPU has
 * it). */
#define FN __attribute__((target("avx512f,fma")))
/* Output-gradient densities (nonzeros per element, in 1/256) up to which the sparse paths run.
 * Measured on Zen 5 on the MNIST CNN's second layer (64 x 8 x 13 x 13 in, 16 out, 3 x 3), on 2
 * threads, sparse against dense: weight gradient 54 / 107 µs at density 0.1, 85 / 108 at 0.4,
 * 110 / 104 at 0.5; input gradient 55 / 97 at 0.1, 86 / 96 at 0.3, 137 / 96 at 0.4. */
#define WGRAD_DENSITY 112
#define IGRAD_DENSITY 72

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
/* Channels per position in the channels-last buffers: one vector. */
static int64_t padded(const kconv *g) { return g->C <= 8 ? 8 : 16; }

static int sparse_ok(const kconv *g) {
  return kiln_conv_direct_ok(g) && g->pt == 0 && g->pl == 0 && g->Ho == g->H - g->kh + 1 &&
         g->Wo == g->W - g->kw + 1 && g->kh == g->kw && g->kh <= 3 && g->C >= 4 && g->C <= 16 &&
         g->H * g->W * 16 < INT32_MAX;
}

/* Work, in floats: a table of Ho·Wo window offsets; the input gradient's rearranged weight
 * ([O][taps][Cp], shared); then per thread the weight gradient's sums ([O][taps][Cp]), a
 * channels-last image and one plane's list. */
static int64_t table_floats(const kconv *g) { return (g->Ho * g->Wo + 15) / 16 * 16; }
static int64_t weight_floats(const kconv *g) { return g->O * g->kh * g->kw * padded(g); }
static int64_t thread_floats(const kconv *g) {
  return weight_floats(g) + g->H * g->W * padded(g) + (2 * (g->Ho * g->Wo + 16) + 15) / 16 * 16;
}

int64_t kiln_conv_sparse_work(const kconv *g) {
  if (!sparse_ok(g)) return 0;
  return table_floats(g) + weight_floats(g) + kiln_max_threads() * thread_floats(g);
}

/* table[h*Wo + w] = offset of window (h, w)'s first position in a channels-last image. */
static void window_table(const kconv *g, int32_t *table) {
  for (int64_t h = 0; h < g->Ho; h++)
    for (int64_t w = 0; w < g->Wo; w++)
      table[h * g->Wo + w] = (int32_t)((h * g->W + w) * padded(g));
}

/* The nonzeros of output-gradient plane p (Ho·Wo floats) as (position, value), ascending.
 * Returns the count. */
FN static int64_t plane_list(const kconv *g, const float *p, int32_t *off, float *val) {
  const int64_t L = g->Ho * g->Wo;
  const __m512i steps = kiln_lane_steps(1);
  int64_t cnt = 0;
  for (int64_t q = 0; q < L; q += 16) {
    const __mmask16 m = kiln_lanes(L - q);
    cnt = kiln_append_nonzero(_mm512_maskz_loadu_ps(m, p + q), m, (int32_t)q, steps, off, val,
                              cnt);
  }
  return cnt;
}

/* Channels-last copy of image x (C x H x W): xt[(h*W + w)*Cp + c]; the padding lanes keep the
 * zeros they were given. Returns 0 on an infinity or NaN. */
FN static int to_channels_last(const kconv *g, const float *x, float *xt) {
  const int64_t C = g->C, HW = g->H * g->W, Cp = padded(g);
  __mmask16 bad = 0;
  for (int64_t p = 0; p < HW; p += 16)
    bad |= kiln_transpose16(x + p, HW, C, min64(16, HW - p), xt + p * Cp, Cp);
  return bad == 0;
}

typedef struct {
  const kconv *g;
  const float *gy, *x, *w; /* w: the input gradient's, [O][taps][Cp] */
  float *gx, *work;         /* work: the threads' parts */
  const int32_t *table;
  int bad[KILN_MAX_THREADS];
} sparse_job;

/* One plane's walk for T taps (a constant once inlined) with 8- or 16-float vectors: the
 * registers r0..r8 hold the taps' sums (weight gradient) or weights (input gradient). */
#define EACH9(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#define DEFINE_WALKS(SUF, VT, LOAD, STORE, FMADD, SET1, ZERO)                                 \
  FN static inline __attribute__((always_inline)) void wgrad_walk_##SUF(                      \
      const int T, const int64_t *tap, const int32_t *table, int64_t cnt, const int32_t *off, \
      const float *val, const float *xt, float *sums) {                                       \
    EACH9(WG_LOAD_##SUF)                                                                      \
    for (int64_t t = 0; t < cnt; t++) {                                                       \
      const VT s = SET1(val[t]);                                                              \
      const float *at = xt + table[off[t]];                                                   \
      EACH9(WG_STEP_##SUF)                                                                    \
    }                                                                                         \
    EACH9(WG_STORE_##SUF)                                                                     \
  }                                                                                           \
  FN static inline __attribute__((always_inline)) void igrad_walk_##SUF(                      \
      const int T, const int64_t *tap, const int32_t *table, int64_t cnt, const int32_t *off, \
      const float *val, const float *wo, float *gxt) {                                        \
    EACH9(IG_LOAD_##SUF)                                                                      \
    for (int64_t t = 0; t < cnt; t++) {                                                       \
      const VT s = SET1(val[t]);                                                              \
      float *at = gxt + table[off[t]];                                                        \
      EACH9(IG_STEP_##SUF)                                                                    \
    }                                                                                         \
  }

/* Weight gradient: r_k = sums of tap k, += s · (input at the window's tap k). */
#define WG_LOAD(k, VT, LOAD, ZERO, CP) VT r##k = (k) < T ? LOAD(sums + (k) * CP) : ZERO();
#define WG_STEP(k, LOAD, FMADD) if ((k) < T) r##k = FMADD(s, LOAD(at + tap[k]), r##k);
#define WG_STORE(k, STORE, CP) if ((k) < T) STORE(sums + (k) * CP, r##k);
/* Input gradient: r_k = the weights of tap k; (gradient at the window's tap k) += s · r_k. */
#define IG_LOAD(k, VT, LOAD, ZERO, CP) const VT r##k = (k) < T ? LOAD(wo + (k) * CP) : ZERO();
#define IG_STEP(k, LOAD, STORE, FMADD) \
  if ((k) < T) STORE(at + tap[k], FMADD(s, r##k, LOAD(at + tap[k])));

#define WG_LOAD_8(k) WG_LOAD(k, __m256, _mm256_loadu_ps, _mm256_setzero_ps, 8)
#define WG_STEP_8(k) WG_STEP(k, _mm256_loadu_ps, _mm256_fmadd_ps)
#define WG_STORE_8(k) WG_STORE(k, _mm256_storeu_ps, 8)
#define IG_LOAD_8(k) IG_LOAD(k, __m256, _mm256_loadu_ps, _mm256_setzero_ps, 8)
#define IG_STEP_8(k) IG_STEP(k, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps)
#define WG_LOAD_16(k) WG_LOAD(k, __m512, _mm512_loadu_ps, _mm512_setzero_ps, 16)
#define WG_STEP_16(k) WG_STEP(k, _mm512_loadu_ps, _mm512_fmadd_ps)
#define WG_STORE_16(k) WG_STORE(k, _mm512_storeu_ps, 16)
#define IG_LOAD_16(k) IG_LOAD(k, __m512, _mm512_loadu_ps, _mm512_setzero_ps, 16)
#define IG_STEP_16(k) IG_STEP(k, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_fmadd_ps)

DEFINE_WALKS(8, __m256, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_fmadd_ps, _mm256_set1_ps,
             _mm256_setzero_ps)
DEFINE_WALKS(16, __m512, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_fmadd_ps, _mm512_set1_ps,
             _mm512_setzero_ps)

/* Runs walk (wgrad_walk or igrad_walk) with a constant tap count and vector width. */
#define DISPATCH(walk, taps, Cp, ...)                                               \
  switch ((taps) * 32 + (Cp)) {                                                     \
    case 1 * 32 + 8: walk##_8(1, __VA_ARGS__); break;                               \
    case 4 * 32 + 8: walk##_8(4, __VA_ARGS__); break;                               \
    case 9 * 32 + 8: walk##_8(9, __VA_ARGS__); break;                               \
    case 1 * 32 + 16: walk##_16(1, __VA_ARGS__); break;                             \
    case 4 * 32 + 16: walk##_16(4, __VA_ARGS__); break;                             \
    default: walk##_16(9, __VA_ARGS__); break;                                      \
  }

/* Offsets of the taps (i, j), row-major, in a channels-last image. */
static void tap_offsets(const kconv *g, int64_t *tap) {
  for (int64_t i = 0; i < g->kh; i++)
    for (int64_t j = 0; j < g->kw; j++) tap[i * g->kw + j] = (i * g->W + j) * padded(g);
}

/* Runs fn with threads taking whole images; returns the thread count used. */
static int run_images(kiln_task fn, sparse_job *j) {
  int nt = kiln_get_num_threads();
  if (nt > j->g->N) nt = (int)j->g->N;
  if (nt < 1) nt = 1;
  kiln_pool_acquire();
  kiln_parallel(fn, j, nt);
  kiln_pool_release();
  return nt;
}

FN static int sparse_enough(const kconv *g, const float *gy, int64_t density) {
  const int64_t total = g->N * g->O * g->Ho * g->Wo;
  return kiln_count_nonzero(gy, total) * 256 <= total * density;
}

/* ---- weight gradient ---- */

FN static void wgrad_task(void *ctx, int tid, int nt) {
  sparse_job *j = (sparse_job *)ctx;
  const kconv *g = j->g;
  const int64_t O = g->O, L = g->Ho * g->Wo, Cp = padded(g), T = g->kh * g->kw;
  float *sums = j->work + tid * thread_floats(g), *xt = sums + weight_floats(g);
  float *val = xt + g->H * g->W * Cp;
  int32_t *off = (int32_t *)(val + L + 16);
  int64_t tap[9];
  tap_offsets(g, tap);
  memset(sums, 0, (size_t)(weight_floats(g) + g->H * g->W * Cp) * sizeof(float));
  int ok = 1;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    ok &= to_channels_last(g, j->x + n * g->C * g->H * g->W, xt);
    for (int64_t o = 0; o < O; o++) {
      const int64_t cnt = plane_list(g, j->gy + (n * O + o) * L, off, val);
      DISPATCH(wgrad_walk, T, Cp, tap, j->table, cnt, off, val, xt, sums + o * T * Cp)
    }
  }
  j->bad[tid] = !ok;
}

int kiln_conv_sparse_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                 float *work) {
  if (!sparse_ok(g) || !sparse_enough(g, gy, WGRAD_DENSITY)) return 0;
  int32_t *table = (int32_t *)work;
  window_table(g, table);
  float *parts = work + table_floats(g) + weight_floats(g);
  sparse_job j = {g, gy, x, NULL, NULL, parts, table, {0}};
  const int nt = run_images(wgrad_task, &j);
  for (int t = 0; t < nt; t++)
    if (j.bad[t]) return 0;
  /* the threads' sums [o][tap][c] in thread order (a thread count always gives the same
   * bits), into gw [o][c][tap] */
  const int64_t C = g->C, T = g->kh * g->kw, Cp = padded(g);
  for (int64_t o = 0; o < g->O; o++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t k = 0; k < T; k++) {
        const int64_t at = (o * T + k) * Cp + c;
        float v = parts[at];
        for (int t = 1; t < nt; t++) v += parts[t * thread_floats(g) + at];
        gw[(o * C + c) * T + k] = v;
      }
  return 1;
}

/* ---- input gradient ---- */

/* Each image's gradient channels-last in the thread's work, plane by plane, then transposed
 * into gx. */
FN static void igrad_task(void *ctx, int tid, int nt) {
  const sparse_job *j = (const sparse_job *)ctx;
  const kconv *g = j->g;
  const int64_t C = g->C, O = g->O, HW = g->H * g->W, L = g->Ho * g->Wo, Cp = padded(g);
  const int64_t T = g->kh * g->kw;
  float *gxt = j->work + tid * thread_floats(g) + weight_floats(g);
  float *val = gxt + HW * Cp;
  int32_t *off = (int32_t *)(val + L + 16);
  int64_t tap[9];
  tap_offsets(g, tap);
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    memset(gxt, 0, (size_t)(HW * Cp) * sizeof(float));
    for (int64_t o = 0; o < O; o++) {
      const int64_t cnt = plane_list(g, j->gy + (n * O + o) * L, off, val);
      DISPATCH(igrad_walk, T, Cp, tap, j->table, cnt, off, val, j->w + o * T * Cp, gxt)
    }
    float *gxn = j->gx + n * C * HW;
    for (int64_t p = 0; p < HW; p += 16)
      kiln_transpose16(gxt + p * Cp, Cp, min64(16, HW - p), C, gxn + p, HW);
  }
}

int kiln_conv_sparse_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                float *work) {
  if (!sparse_ok(g)) return 0;
  const int64_t O = g->O, C = g->C, T = g->kh * g->kw, Cp = padded(g);
  if (!kiln_all_finite(w, O * C * T) || !sparse_enough(g, gy, IGRAD_DENSITY)) return 0;
  int32_t *table = (int32_t *)work;
  window_table(g, table);
  /* wt [o][tap][c] = w [o][c][tap], the padding lanes 0 */
  float *wt = work + table_floats(g);
  memset(wt, 0, (size_t)weight_floats(g) * sizeof(float));
  for (int64_t o = 0; o < O; o++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t k = 0; k < T; k++) wt[(o * T + k) * Cp + c] = w[(o * C + c) * T + k];
  sparse_job j = {g, gy, NULL, wt, gx, wt + weight_floats(g), table, {0}};
  run_images(igrad_task, &j);
  return 1;
}

#else
int64_t kiln_conv_sparse_work(const kconv *g) { return 0; }
int kiln_conv_sparse_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                 float *work) {
  return 0;
}
int kiln_conv_sparse_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                float *work) {
  return 0;
}
#endif

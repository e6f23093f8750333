/* The linear layer when its input is mostly zeros (AVX-512), such as an image with a black
 * background or a one-hot code: the forward and the weight gradient skip the zero terms of their
 * sums over x. The other terms are added in ascending index, and s + 0·w = s for finite w, so
 * the result is the dense product's up to the order of rounding (as between any two GEMMs). A
 * zero times an infinity or NaN is NaN, not 0, so the operand that meets x must be finite;
 * otherwise, or when x is not sparse enough to pay for the lists, the dense GEMM runs instead
 * (these return 0).
 *
 *   out[m, :] = Σ_{k : x[m,k] ≠ 0} x[m,k] · wᵀ[k, :]   (k in chunks whose wᵀ rows stay in L1)
 *   gwᵀ[k, :] = Σ_{m : x[m,k] ≠ 0} x[m,k] · g[m, :]     (in scratch, then transposed into gw)
 *
 * Both walk lists of (row offset, coefficient) pairs, once per block of up to 128 output
 * columns, which stay in eight vector registers. */
#include <string.h>
#include "kiln.h"

#if defined(__x86_64__)
#include "avx512.h"

#define AVX512 KILN_AVX512_FN
/* Output columns per register block (eight vectors). */
#define BLOCK 128
/* Rows of wᵀ per chunk of the forward: 64 rows of a 128-column block are 32 KB, in L1. */
#define KC 64
/* Below this many multiply-adds the dense kernels win (the lists and the checks cost more); and
 * below MIN_N output columns (four vectors), where a walk waits on too few chains of FMAs: at
 * 1000 x 784 x 16 and 19% nonzeros the sparse forward took 330 µs, the dense one 180. */
#define MIN_MACS ((int64_t)1 << 18)
#define MIN_N 64
#define PARALLEL_MACS ((int64_t)1 << 20)
/* The density of x (nonzeros per element, in 1/256) up to which the sparse paths run. Measured
 * on Zen 5 at 64 x 784 x 128, one thread: at 0.19 (MNIST) the forward takes 34 µs and the
 * weight gradient 33 µs, against 57 µs each dense; at 0.3, 44 and 41 µs. */
#define MAX_DENSITY 80

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Σ_t val[t] · d[off[t] + 16v ...] for the vectors v < nv (the last masked to `tail`), added to
 * init (or to 0), then stored to out (+ bias, rounded after the sum). Inlined with a constant
 * nv, so that the accumulators are eight named registers (GCC keeps an array of them on the
 * stack). */
#define ACC_LOAD(p, v) \
  ((v) == nv - 1 ? _mm512_maskz_loadu_ps(tail, (p) + 16 * (v)) : _mm512_loadu_ps((p) + 16 * (v)))
#define ACC_INIT(v) \
  __m512 a##v = nv > (v) && init != NULL ? ACC_LOAD(init, v) : _mm512_setzero_ps()
#define ACC_STEP(v) \
  if (nv > (v)) a##v = _mm512_fmadd_ps(s, ACC_LOAD(row, v), a##v)
#define ACC_STORE(v) \
  if (nv > (v)) store_vec(out + 16 * (v), (v) == nv - 1 ? tail : 0xFFFF, a##v, bias, v)

AVX512 static inline void store_vec(float *out, __mmask16 m, __m512 r, const float *bias, int v) {
  if (bias != NULL) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, bias + 16 * v));
  _mm512_mask_storeu_ps(out, m, r);
}

AVX512 static inline __attribute__((always_inline)) void walk(
    const int nv, __mmask16 tail, int64_t cnt, const int32_t *off, const float *val,
    const float *d, const float *init, const float *bias, float *out) {
  ACC_INIT(0); ACC_INIT(1); ACC_INIT(2); ACC_INIT(3);
  ACC_INIT(4); ACC_INIT(5); ACC_INIT(6); ACC_INIT(7);
  for (int64_t t = 0; t < cnt; t++) {
    const __m512 s = _mm512_set1_ps(val[t]);
    const float *row = d + off[t];
    ACC_STEP(0); ACC_STEP(1); ACC_STEP(2); ACC_STEP(3);
    ACC_STEP(4); ACC_STEP(5); ACC_STEP(6); ACC_STEP(7);
  }
  ACC_STORE(0); ACC_STORE(1); ACC_STORE(2); ACC_STORE(3);
  ACC_STORE(4); ACC_STORE(5); ACC_STORE(6); ACC_STORE(7);
}

/* One block of 1 <= cols <= BLOCK output columns. */
AVX512 static void walk_block(int64_t cols, int64_t cnt, const int32_t *off, const float *val,
                              const float *d, const float *init, const float *bias, float *out) {
  const int nv = (int)((cols + 15) / 16);
  const __mmask16 tail = kiln_lanes(cols - 16 * (nv - 1));
  switch (nv) {
    case 1: walk(1, tail, cnt, off, val, d, init, bias, out); break;
    case 2: walk(2, tail, cnt, off, val, d, init, bias, out); break;
    case 3: walk(3, tail, cnt, off, val, d, init, bias, out); break;
    case 4: walk(4, tail, cnt, off, val, d, init, bias, out); break;
    case 5: walk(5, tail, cnt, off, val, d, init, bias, out); break;
    case 6: walk(6, tail, cnt, off, val, d, init, bias, out); break;
    case 7: walk(7, tail, cnt, off, val, d, init, bias, out); break;
    default: walk(8, tail, cnt, off, val, d, init, bias, out); break;
  }
}

/* Whether x[0..n) has at most MAX_DENSITY/256 nonzeros (NaN counts). */
AVX512 static int sparse_enough(const float *x, int64_t n) {
  return kiln_count_nonzero(x, n) * 256 <= n * MAX_DENSITY;
}

typedef struct {
  int64_t M, K, N, ldg; /* ldg: row stride of g */
  const float *x, *w, *g, *bias;
  float *out;
  int bad[KILN_MAX_THREADS]; /* thread t met an infinity or NaN in w */
} sparse_job;

/* ---- forward ---- */

/* Threads take ranges of output columns (whole vectors), in blocks of up to BLOCK. For each
 * chunk of KC inputs, the chunk of wᵀ goes to an L1 tile (scratch), then every row of x adds
 * its nonzero terms of the chunk to its row of out. */
AVX512 static void forward_task(void *ctx, int tid, int nt) {
  sparse_job *j = (sparse_job *)ctx;
  const int64_t M = j->M, K = j->K, N = j->N, vecs = (N + 15) / 16;
  const int64_t lo = kiln_share(vecs, tid, nt) * 16;
  const int64_t hi = min64(N, kiln_share(vecs, tid + 1, nt) * 16);
  float *tile = (float *)kiln_scratch(tid, 1);
  int32_t off[KC + 16];
  float val[KC + 16];
  const __m512i steps = kiln_lane_steps(BLOCK);
  __mmask16 bad = 0;
  for (int64_t c = lo; c < hi; c += BLOCK) {
    const int64_t cols = min64(BLOCK, hi - c);
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      const int64_t kc = min64(KC, K - k0);
      for (int64_t n = 0; n < cols; n += 16)
        for (int64_t k = 0; k < kc; k += 16)
          bad |= kiln_transpose16(j->w + (c + n) * K + k0 + k, K, min64(16, cols - n),
                                  min64(16, kc - k), tile + k * BLOCK + n, BLOCK);
      const int last = k0 + kc == K;
      for (int64_t m = 0; m < M; m++) {
        const float *xr = j->x + m * K + k0;
        int64_t cnt = 0;
        for (int64_t k = 0; k < kc; k += 16) {
          const __mmask16 lanes = kiln_lanes(kc - k);
          cnt = kiln_append_nonzero(_mm512_maskz_loadu_ps(lanes, xr + k), lanes,
                                    (int32_t)(k * BLOCK), steps, off, val, cnt);
        }
        float *o = j->out + m * N + c;
        walk_block(cols, cnt, off, val, tile, k0 > 0 ? o : NULL,
                   last && j->bias != NULL ? j->bias + c : NULL, o);
      }
    }
  }
  j->bad[tid] = bad != 0;
}

int kiln_linear_sparse(int64_t M, int64_t K, int64_t N, const float *x, const float *w,
                       const float *bias, float *out) {
  if (kiln_cpu_path() != KILN_AVX512 || N < MIN_N || M * K * N < MIN_MACS) return 0;
  if (!sparse_enough(x, M * K)) return 0;
  sparse_job j = {M, K, N, 0, x, w, NULL, bias, out, {0}};
  int nt = M * K * N >= PARALLEL_MACS ? kiln_get_num_threads() : 1;
  if (nt > N / MIN_N) nt = (int)(N / MIN_N); /* each thread's walks keep MIN_N columns */
  kiln_pool_acquire();
  kiln_parallel(forward_task, &j, nt);
  kiln_pool_release();
  for (int t = 0; t < nt; t++)
    if (j.bad[t]) return 0; /* the dense GEMM writes all of out again */
  return 1;
}

/* ---- weight gradient ---- */

/* Threads take ranges of inputs k, in chunks of 16. For each chunk, column k of x becomes list
 * k: (m·ldg, x[m, k]) for x[m, k] ≠ 0, in ascending m, and the walks over g's rows give rows of
 * gwᵀ in scratch. The thread's columns of gw are then written from it, 16 rows at a time
 * (writing each chunk's 16 columns to all rows of gw at once made a fresh gw twice as slow). */
AVX512 static void wgrad_task(void *ctx, int tid, int nt) {
  sparse_job *j = (sparse_job *)ctx;
  const int64_t M = j->M, K = j->K, N = j->N, ldg = j->ldg, stride = (M + 15) / 16 * 16;
  const int64_t chunks = (K + 15) / 16;
  const int64_t lo = kiln_share(chunks, tid, nt) * 16;
  const int64_t hi = min64(K, kiln_share(chunks, tid + 1, nt) * 16);
  float *gt = (float *)kiln_scratch(tid, 1); /* gwᵀ[lo..hi), rows of ldg */
  int32_t *off = (int32_t *)(gt + (hi - lo) * ldg);
  float *val = (float *)(off + 16 * stride);
  int64_t cnt[16];
  float col[16 * 16];
  const __m512i steps = kiln_lane_steps((int32_t)ldg);
  for (int64_t k0 = lo; k0 < hi; k0 += 16) {
    const int64_t kc = min64(16, hi - k0);
    for (int64_t k = 0; k < 16; k++) cnt[k] = 0;
    for (int64_t m0 = 0; m0 < M; m0 += 16) {
      const int64_t rows = min64(16, M - m0);
      const __mmask16 lanes = kiln_lanes(rows);
      kiln_transpose16(j->x + m0 * K + k0, K, rows, kc, col, 16);
      for (int64_t k = 0; k < kc; k++)
        cnt[k] = kiln_append_nonzero(_mm512_maskz_loadu_ps(lanes, col + 16 * k), lanes,
                                     (int32_t)(m0 * ldg), steps, off + k * stride,
                                     val + k * stride, cnt[k]);
    }
    for (int64_t k = 0; k < kc; k++)
      for (int64_t c = 0; c < N; c += BLOCK)
        walk_block(min64(BLOCK, N - c), cnt[k], off + k * stride, val + k * stride, j->g + c,
                   NULL, NULL, gt + (k0 - lo + k) * ldg + c);
  }
  for (int64_t n = 0; n < N; n += 16)
    for (int64_t k = lo; k < hi; k += 16)
      kiln_transpose16(gt + (k - lo) * ldg + n, ldg, min64(16, hi - k), min64(16, N - n),
                  j->out + n * K + k, K);
}

int kiln_linear_weight_grad_sparse(int64_t M, int64_t K, int64_t N, const float *g,
                                   const float *x, float *gw) {
  if (kiln_cpu_path() != KILN_AVX512 || N < MIN_N || M * K * N < MIN_MACS) return 0;
  /* gwᵀ and the 16 lists, in each thread's packing scratch; offsets m·ldg in int32. */
  const int64_t stride = (M + 15) / 16 * 16, ldg = (N + 15) / 16 * 16;
  if ((size_t)(K * ldg + 32 * stride) * sizeof(float) > KILN_SCRATCH_BYTES) return 0;
  if ((size_t)M * ldg > INT32_MAX) return 0;
  if (!sparse_enough(x, M * K) || !kiln_all_finite(g, M * N)) return 0;
  sparse_job j = {M, K, N, N, x, NULL, g, NULL, gw, {0}};
  int nt = M * K * N >= PARALLEL_MACS ? kiln_get_num_threads() : 1;
  if (nt > (K + 15) / 16) nt = (int)((K + 15) / 16);
  kiln_pool_acquire(); /* the scratch is the pool's */
  /* g's rows are read once per nonzero of x: copied to 64-byte aligned rows when they fit (a
   * misaligned g made the whole product a third slower). */
  if ((size_t)M * ldg * sizeof(float) <= KILN_SCRATCH_A_BYTES) {
    float *gp = (float *)kiln_scratch(0, 0);
    for (int64_t m = 0; m < M; m++) memcpy(gp + m * ldg, g + m * N, (size_t)N * sizeof(float));
    j.g = gp;
    j.ldg = ldg;
  }
  kiln_parallel(wgrad_task, &j, nt);
  kiln_pool_release();
  return 1;
}

#else
int kiln_linear_sparse(int64_t M, int64_t K, int64_t N, const float *x, const float *w,
                       const float *bias, float *out) {
  return 0;
}
int kiln_linear_weight_grad_sparse(int64_t M, int64_t K, int64_t N, const float *g,
                                   const float *x, float *gw) {
  return 0;
}
#endif

/* Fused float32 kernels for composite ops: conv2d (im2col + the GEMM of gemm.c) forward, input
 * and weight gradients; max/avg pooling forward and backward; batch norm forward and backward;
 * cross-entropy (log-softmax fused in) forward and backward; SGD and Adam(W) updates. Each
 * computes what the composition of primitives in src/ops computes (the tests compare them).
 * Work buffers come from the caller; no allocation, no OS calls, no Node here. */
#include <math.h>
#include <string.h>
#include "kiln.h"

/* Threads for about `work` flops: one unless there is enough to split. */
static int threads_for(int64_t work) {
  int nt = kiln_get_num_threads();
  return work >= (1 << 20) && nt > 1 ? nt : 1;
}

static void run(kiln_task fn, void *ctx, int64_t work) {
  kiln_pool_acquire();
  kiln_parallel(fn, ctx, threads_for(work));
  kiln_pool_release();
}

/* ---- convolution ------------------------------------------------------------------------ */

/* Per image: im2col of its receptive fields into the thread's own [G*K, L] block (small enough
 * to stay in cache), then one GEMM per group. Threads take whole images, so writes never race;
 * weight gradients are summed per thread, then across threads. */
typedef struct {
  const kconv *g;
  const float *x, *w, *bias, *gy;
  float *out, *gx, *gw, *gb, *work;
  int64_t per_thread;
  int used; /* threads that ran (weight gradient: how many partial sums to add) */
} conv_job;

static int64_t conv_K(const kconv *g) { return g->C / g->groups * g->kh * g->kw; }

int64_t kiln_conv2d_work(const kconv *g) {
  const int64_t K = conv_K(g);
  const int64_t im2col =
      (int64_t)kiln_max_threads() * (g->groups * K * g->Ho * g->Wo + 2 * g->O * K + g->O);
  if (!kiln_conv_direct_ok(g)) return im2col;
  const int64_t direct = kiln_conv_direct_work(g), sparse = kiln_conv_sparse_work(g);
  const int64_t most = direct > sparse ? direct : sparse;
  return most > im2col ? most : im2col;
}

/* cols[ch*kk + ij][l] = x[n, ch, oh*sh − pt + i*dh, ow*sw − pl + j*dw] or 0 (padding). */
static void im2col1(const kconv *g, const float *x, float *cols) {
  const int64_t kk = g->kh * g->kw, L = g->Ho * g->Wo;
  for (int64_t ch = 0; ch < g->C; ch++) {
    const float *plane = x + ch * g->H * g->W;
    for (int64_t ij = 0; ij < kk; ij++) {
      const int64_t i = ij / g->kw, jj = ij % g->kw;
      float *out = cols + (ch * kk + ij) * L;
      for (int64_t oh = 0; oh < g->Ho; oh++) {
        const int64_t h = oh * g->sh - g->pt + i * g->dh;
        float *o = out + oh * g->Wo;
        if (h < 0 || h >= g->H) {
          memset(o, 0, (size_t)g->Wo * sizeof(float));
          continue;
        }
        const float *row = plane + h * g->W;
        const int64_t w0 = -g->pl + jj * g->dw;
        if (g->sw == 1 && w0 >= 0 && w0 + g->Wo <= g->W) {
          memcpy(o, row + w0, (size_t)g->Wo * sizeof(float));
          continue;
        }
        for (int64_t ow = 0; ow < g->Wo; ow++) {
          const int64_t w = ow * g->sw + w0;
          o[ow] = w >= 0 && w < g->W ? row[w] : 0.0f;
        }
      }
    }
  }
}

/* gx[n] = col2im(dcols): Σ over kernel taps. */
static void col2im1(const kconv *g, const float *cols, float *gx) {
  const int64_t kk = g->kh * g->kw, L = g->Ho * g->Wo;
  memset(gx, 0, (size_t)(g->C * g->H * g->W) * sizeof(float));
  for (int64_t ch = 0; ch < g->C; ch++) {
    float *plane = gx + ch * g->H * g->W;
    for (int64_t ij = 0; ij < kk; ij++) {
      const int64_t i = ij / g->kw, jj = ij % g->kw;
      const float *in = cols + (ch * kk + ij) * L;
      for (int64_t oh = 0; oh < g->Ho; oh++) {
        const int64_t h = oh * g->sh - g->pt + i * g->dh;
        if (h < 0 || h >= g->H) continue;
        const float *c = in + oh * g->Wo;
        float *row = plane + h * g->W;
        /* the columns inside the row, [lo, hi), found once instead of tested per column */
        const int64_t off = jj * g->dw - g->pl, sw = g->sw;
        const int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
        int64_t hi = g->W - off <= 0 ? 0 : (g->W - off + sw - 1) / sw;
        if (hi > g->Wo) hi = g->Wo;
        if (sw == 1) {
          float *restrict r = row + off;
          const float *restrict cc = c;
          for (int64_t ow = lo; ow < hi; ow++) r[ow] += cc[ow];
        } else {
          for (int64_t ow = lo; ow < hi; ow++) row[ow * sw + off] += c[ow];
        }
      }
    }
  }
}

typedef float v4f __attribute__((vector_size(16)));

/* col2im1 for stride 1, dilation 1, as a gather: each input pixel sums its taps in registers, in
 * the same (i, j) order from 0 as col2im1, so the sums are identical. Scattering instead makes
 * each tap re-load the row the previous tap just stored one element over, which stalls. */
static void col2im1_unit(const kconv *g, const float *cols, float *gx) {
  const int64_t kh = g->kh, kw = g->kw, kk = kh * kw, Ho = g->Ho, Wo = g->Wo, L = Ho * Wo;
  const int64_t H = g->H, W = g->W, pt = g->pt, pl = g->pl;
  /* w in [vlo, vhi) with w..w+3 valid for every tap: 0 <= w + pl - j and w + 3 + pl < Wo */
  const int64_t vlo = kw - 1 - pl > 0 ? kw - 1 - pl : 0;
  const int64_t vhi = Wo - pl < W ? Wo - pl - 3 : W - 3; /* and w + 3 < W */
  for (int64_t ch = 0; ch < g->C; ch++) {
    const float *cc = cols + ch * kk * L;
    for (int64_t h = 0; h < H; h++) {
      float *row = gx + (ch * H + h) * W;
      /* taps i with 0 <= oh = h + pt - i < Ho, as an inclusive range */
      const int64_t ilo = h + pt - (Ho - 1) > 0 ? h + pt - (Ho - 1) : 0;
      const int64_t ihi = h + pt < kh - 1 ? h + pt : kh - 1;
      for (int64_t w = 0; w < W;) {
        if (w >= vlo && w < vhi) {
          v4f acc = {0, 0, 0, 0};
          for (int64_t i = ilo; i <= ihi; i++) {
            const float *base = cc + i * kw * L + (h + pt - i) * Wo + w + pl;
            for (int64_t j = 0; j < kw; j++) {
              v4f v;
              memcpy(&v, base + j * L - j, sizeof v);
              acc += v;
            }
          }
          memcpy(row + w, &acc, sizeof acc);
          w += 4;
          continue;
        }
        const int64_t jlo = w + pl - (Wo - 1) > 0 ? w + pl - (Wo - 1) : 0;
        const int64_t jhi = w + pl < kw - 1 ? w + pl : kw - 1;
        float acc = 0;
        for (int64_t i = ilo; i <= ihi; i++) {
          const float *base = cc + i * kw * L + (h + pt - i) * Wo + w + pl;
          for (int64_t j = jlo; j <= jhi; j++) acc += base[j * L - j];
        }
        row[w] = acc;
        w++;
      }
    }
  }
}

static void conv_fwd_task(void *ctx, int tid, int nt) {
  const conv_job *j = (const conv_job *)ctx;
  const kconv *g = j->g;
  const int64_t K = conv_K(g), L = g->Ho * g->Wo, G = g->groups, Og = g->O / G;
  float *cols = j->work + tid * j->per_thread;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    im2col1(g, j->x + n * g->C * g->H * g->W, cols);
    float *out = j->out + n * g->O * L;
    for (int64_t gi = 0; gi < G; gi++)
      kiln_sgemm_on_thread(tid, Og, K, L, j->w + gi * Og * K, K, 1, cols + gi * K * L, L, 1,
                           out + gi * Og * L);
    if (j->bias != NULL)
      for (int64_t o = 0; o < g->O; o++) {
        const float b = j->bias[o];
        for (int64_t l = 0; l < L; l++) out[o * L + l] += b;
      }
  }
}

static void conv_igrad_task(void *ctx, int tid, int nt) {
  const conv_job *j = (const conv_job *)ctx;
  const kconv *g = j->g;
  const int64_t K = conv_K(g), L = g->Ho * g->Wo, G = g->groups, Og = g->O / G;
  float *cols = j->work + tid * j->per_thread;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    const float *gy = j->gy + n * g->O * L;
    /* dcols_g [K, L] = W_gᵀ [K, Og] @ gy_g [Og, L] */
    for (int64_t gi = 0; gi < G; gi++)
      kiln_sgemm_on_thread(tid, K, Og, L, j->w + gi * Og * K, 1, K, gy + gi * Og * L, L, 1,
                           cols + gi * K * L);
    if (g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1)
      col2im1_unit(g, cols, j->gx + n * g->C * g->H * g->W);
    else
      col2im1(g, cols, j->gx + n * g->C * g->H * g->W);
  }
}

/* Σ x[0..n) with eight running sums (one dependent add chain per element is latency-bound). */
static float sum8(const float *x, int64_t n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int q = 0; q < 8; q++) s[q] += x[i + q];
  float t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; i++) t += x[i];
  return t;
}

static void conv_wgrad_task(void *ctx, int tid, int nt) {
  const conv_job *j = (const conv_job *)ctx;
  const kconv *g = j->g;
  const int64_t K = conv_K(g), L = g->Ho * g->Wo, G = g->groups, Og = g->O / G;
  float *cols = j->work + tid * j->per_thread;
  float *acc = cols + G * K * L, *bacc = acc + g->O * K, *part = bacc + g->O;
  if (tid == 0) ((conv_job *)ctx)->used = nt;
  float *tmp = tid == 0 ? j->gw : acc; /* thread 0 sums straight into gw */
  float *btmp = tid == 0 ? j->gb : bacc;
  memset(tmp, 0, (size_t)(g->O * K) * sizeof(float));
  if (btmp != NULL) memset(btmp, 0, (size_t)g->O * sizeof(float));
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    const float *gy = j->gy + n * g->O * L;
    im2col1(g, j->x + n * g->C * g->H * g->W, cols);
    /* gW_g [Og, K] += gy_g [Og, L] @ cols_gᵀ [L, K], through `part` */
    for (int64_t gi = 0; gi < G; gi++) {
      kiln_sgemm_on_thread(tid, Og, L, K, gy + gi * Og * L, L, 1, cols + gi * K * L, 1, L, part);
      float *dst = tmp + gi * Og * K;
      for (int64_t i = 0; i < Og * K; i++) dst[i] += part[i];
    }
    if (btmp != NULL)
      for (int64_t o = 0; o < g->O; o++) btmp[o] += sum8(gy + o * L, L);
  }
}

static void run_n(kiln_task fn, void *ctx, int64_t work, int64_t units) {
  int nt = threads_for(work);
  if (nt > units) nt = (int)units;
  kiln_pool_acquire();
  kiln_parallel(fn, ctx, nt < 1 ? 1 : nt);
  kiln_pool_release();
}

void kiln_conv2d(const kconv *g, const float *x, const float *w, const float *bias, float *out,
                 float *work) {
  if (kiln_conv_direct_ok(g)) {
    kiln_conv_direct_forward(g, x, w, bias, out, work);
    return;
  }
  const int64_t K = conv_K(g), L = g->Ho * g->Wo;
  conv_job j = {g, x, w, bias, NULL, out, NULL, NULL, NULL, work,
                g->groups * K * L + 2 * g->O * K + g->O, 1};
  run_n(conv_fwd_task, &j, g->N * g->O * K * L, g->N);
}

int kiln_conv2d_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                           float *work) {
  if (kiln_conv_direct_ok(g)) {
    if (kiln_conv_sparse_input_grad(g, gy, w, gx, work)) return 1;
    if (kiln_conv_direct_input_grad(g, gy, w, gx, work)) return 0;
  }
  const int64_t K = conv_K(g), L = g->Ho * g->Wo;
  conv_job j = {g, NULL, w, NULL, gy, NULL, gx, NULL, NULL, work,
                g->groups * K * L + 2 * g->O * K + g->O, 1};
  run_n(conv_igrad_task, &j, g->N * g->O * K * L, g->N);
  return 0;
}

int kiln_conv2d_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                            float *gb, float *work) {
  if (kiln_conv_direct_ok(g)) {
    const int sparse = kiln_conv_sparse_weight_grad(g, gy, x, gw, work);
    if (!sparse) kiln_conv_direct_weight_grad(g, gy, x, gw, work);
    if (gb != NULL) kiln_conv_bias_grad(g, gy, gb);
    return sparse;
  }
  const int64_t K = conv_K(g), L = g->Ho * g->Wo;
  const int64_t per = g->groups * K * L + 2 * g->O * K + g->O;
  conv_job j = {g, x, NULL, NULL, gy, NULL, NULL, gw, gb, work, per, 1};
  int nt = threads_for(g->N * g->O * K * L);
  if (nt > g->N) nt = (int)g->N;
  if (nt < 1) nt = 1;
  kiln_pool_acquire();
  kiln_parallel(conv_wgrad_task, &j, nt);
  kiln_pool_release();
  for (int t = 1; t < j.used; t++) {
    const float *acc = work + t * per + g->groups * K * L;
    for (int64_t i = 0; i < g->O * K; i++) gw[i] += acc[i];
    if (gb != NULL)
      for (int64_t o = 0; o < g->O; o++) gb[o] += acc[g->O * K + o];
  }
  return 0;
}

/* ---- pooling ----------------------------------------------------------------------------- */

typedef struct {
  const kconv *g;
  const float *x;
  float *out;
  int32_t *arg;
  const int32_t *carg;
  int include_pad;
  int64_t divisor;
} pool_job;

/* Max over each window in window order (padding reads -inf); NaN wins, first maximum wins.
 * arg = flat input position, -1 when the chosen position is padding. */
static void maxpool_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  const int64_t H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo, kh = g->kh, kw = g->kw;
  const int64_t sh = g->sh, sw = g->sw, dh = g->dh, dw = g->dw, pt = g->pt, pl = g->pl;
  const int64_t planes = g->N * g->C, HW = H * W, L = Ho * Wo;
  float *restrict outp = j->out;
  int32_t *restrict argp = j->arg;
  const float *restrict x = j->x;
  for (int64_t p = kiln_share(planes, tid, nt); p < kiln_share(planes, tid + 1, nt); p++) {
    const float *plane = x + p * HW;
    for (int64_t oh = 0; oh < Ho; oh++) {
      const int64_t h0 = oh * sh - pt;
      const int rows_in = h0 >= 0 && h0 + (kh - 1) * dh < H;
      float *o = outp + p * L + oh * Wo;
      int32_t *a = argp + p * L + oh * Wo;
      for (int64_t ow = 0; ow < Wo; ow++) {
        const int64_t w0 = ow * sw - pl;
        float m = -INFINITY;
        int64_t at;
        if (rows_in && w0 >= 0 && w0 + (kw - 1) * dw < W) {
          /* window inside the plane: no bounds checks, and no branches on the data (random
           * data makes them unpredictable); a window holding a NaN is redone below. */
          at = h0 * W + w0;
          m = plane[at];
          int nan = m != m;
          for (int64_t i = 0; i < kh; i++) {
            const int64_t r = (h0 + i * dh) * W + w0;
            for (int64_t jj = 0; jj < kw; jj++) {
              const float v = plane[r + jj * dw];
              const int64_t gt = v > m;
              m = gt ? v : m;
              at ^= (at ^ (r + jj * dw)) & -gt;
              nan |= v != v;
            }
          }
          if (nan) {
            for (int64_t i = 0; i < kh && nan; i++) {
              const int64_t r = (h0 + i * dh) * W + w0;
              for (int64_t jj = 0; jj < kw; jj++) {
                if (plane[r + jj * dw] != plane[r + jj * dw]) {
                  m = plane[r + jj * dw];
                  at = r + jj * dw;
                  nan = 0;
                  break;
                }
              }
            }
          }
        } else {
          at = -1;
          int first = 1;
          for (int64_t i = 0; i < kh; i++) {
            const int64_t h = h0 + i * dh;
            for (int64_t jj = 0; jj < kw; jj++) {
              const int64_t w = w0 + jj * dw;
              const int inside = h >= 0 && h < H && w >= 0 && w < W;
              const float v = inside ? plane[h * W + w] : -INFINITY;
              const int64_t pos = inside ? h * W + w : -1;
              if (first) at = pos, first = 0;
              if (!(v <= m)) {
                m = v;
                at = pos;
                if (v != v) goto done;
              }
            }
          }
        }
      done:
        o[ow] = m;
        a[ow] = at < 0 ? -1 : (int32_t)(p * HW + at);
      }
    }
  }
}

static void maxpool_back_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  const int64_t planes = g->N * g->C, HW = g->H * g->W, L = g->Ho * g->Wo;
  float *restrict gx = j->out;
  const float *restrict gy = j->x;
  const int32_t *restrict arg = j->carg;
  for (int64_t p = kiln_share(planes, tid, nt); p < kiln_share(planes, tid + 1, nt); p++) {
    memset(gx + p * HW, 0, (size_t)HW * sizeof(float));
    for (int64_t l = 0; l < L; l++) {
      const int32_t at = arg[p * L + l];
      if (at >= 0) gx[at] += gy[p * L + l];
    }
  }
}

/* One 2x2 window at r0[w], r0[w+1], r1[w], r1[w+1] (flat position base of its first tap), in
 * window order: the first maximum wins, and the first NaN wins, as in maxpool_task. Selects, not
 * branches: on real data the comparisons are unpredictable. */
static inline void max2x2(const float *r0, const float *r1, int32_t base, int32_t W, float *o,
                          int32_t *a) {
  const float v0 = r0[0], v1 = r0[1], v2 = r1[0], v3 = r1[1];
  int32_t gt = v1 > v0;
  float m = gt ? v1 : v0;
  int32_t at = base + gt;
  gt = v2 > m;
  m = gt ? v2 : m;
  at ^= (at ^ (base + W)) & -gt;
  gt = v3 > m;
  m = gt ? v3 : m;
  at ^= (at ^ (base + W + 1)) & -gt;
  if ((v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3)) {
    if (v0 != v0) m = v0, at = base;
    else if (v1 != v1) m = v1, at = base + 1;
    else if (v2 != v2) m = v2, at = base + W;
    else m = v3, at = base + W + 1;
  }
  *o = m;
  *a = at;
}

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
#define KILN_POOL_SIMD 1
typedef int32_t v4i __attribute__((vector_size(16)));
static inline v4f sel4(v4i mask, v4f a, v4f b) { return (v4f)(((v4i)a & mask) | ((v4i)b & ~mask)); }
#endif

/* 2x2 windows, stride 2, no padding or dilation: four windows at a time where they hold no NaN
 * (the same selects lane by lane), max2x2 for the others and the row's tail. */
static void maxpool2x2_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  const int64_t W = g->W, Ho = g->Ho, Wo = g->Wo, HW = g->H * W, L = Ho * Wo;
  const int64_t planes = g->N * g->C;
  for (int64_t p = kiln_share(planes, tid, nt); p < kiln_share(planes, tid + 1, nt); p++) {
    const float *plane = j->x + p * HW;
    for (int64_t oh = 0; oh < Ho; oh++) {
      const float *r0 = plane + 2 * oh * W, *r1 = r0 + W;
      float *o = j->out + p * L + oh * Wo;
      int32_t *a = j->arg + p * L + oh * Wo;
      const int32_t row = (int32_t)(p * HW + 2 * oh * W);
      int64_t ow = 0;
#ifdef KILN_POOL_SIMD
      const v4i Wv = {(int32_t)W, (int32_t)W, (int32_t)W, (int32_t)W};
      for (; ow + 4 <= Wo; ow += 4) {
        v4f a0, a1, b0, b1;
        memcpy(&a0, r0 + 2 * ow, sizeof a0);
        memcpy(&a1, r0 + 2 * ow + 4, sizeof a1);
        memcpy(&b0, r1 + 2 * ow, sizeof b0);
        memcpy(&b1, r1 + 2 * ow + 4, sizeof b1);
        const v4f v0 = __builtin_shufflevector(a0, a1, 0, 2, 4, 6);
        const v4f v1 = __builtin_shufflevector(a0, a1, 1, 3, 5, 7);
        const v4f v2 = __builtin_shufflevector(b0, b1, 0, 2, 4, 6);
        const v4f v3 = __builtin_shufflevector(b0, b1, 1, 3, 5, 7);
        const v4i nan = (v0 != v0) | (v1 != v1) | (v2 != v2) | (v3 != v3);
        if (nan[0] | nan[1] | nan[2] | nan[3]) {
          for (int q = 0; q < 4; q++) {
            const int64_t w = 2 * (ow + q);
            max2x2(r0 + w, r1 + w, row + (int32_t)w, (int32_t)W, o + ow + q, a + ow + q);
          }
          continue;
        }
        const int32_t b = row + (int32_t)(2 * ow);
        const v4i base = {b, b + 2, b + 4, b + 6};
        v4i gt = v1 > v0;
        v4f m = sel4(gt, v1, v0);
        v4i at = base - gt;
        gt = v2 > m;
        m = sel4(gt, v2, m);
        at = ((base + Wv) & gt) | (at & ~gt);
        gt = v3 > m;
        m = sel4(gt, v3, m);
        at = ((base + Wv + 1) & gt) | (at & ~gt);
        memcpy(o + ow, &m, sizeof m);
        memcpy(a + ow, &at, sizeof at);
      }
#endif
      for (; ow < Wo; ow++)
        max2x2(r0 + 2 * ow, r1 + 2 * ow, row + (int32_t)(2 * ow), (int32_t)W, o + ow, a + ow);
    }
  }
}

/* Pooling is memory-bound: two threads pay off from much less work than a GEMM. */
static void run_pool(kiln_task fn, void *ctx, int64_t elems) {
  int nt = kiln_get_num_threads();
  if (elems < (1 << 16)) nt = 1;
  kiln_pool_acquire();
  kiln_parallel(fn, ctx, nt);
  kiln_pool_release();
}

void kiln_max_pool2d(const kconv *g, const float *x, float *out, int32_t *arg) {
  if (kiln_max_pool2x2_ok(g)) {
    kiln_max_pool2x2(g, x, out, arg);
    return;
  }
  pool_job j = {g, x, out, arg, NULL, 0, 0};
  const int two = g->kh == 2 && g->kw == 2 && g->sh == 2 && g->sw == 2 && g->dh == 1 &&
                  g->dw == 1 && g->pt == 0 && g->pl == 0 && 2 * g->Ho <= g->H &&
                  2 * g->Wo <= g->W;
  run_pool(two ? maxpool2x2_task : maxpool_task, &j, g->N * g->C * g->H * g->W);
}

void kiln_max_pool2d_backward(const kconv *g, const float *gy, const int32_t *arg, float *gx) {
  if (kiln_max_pool2x2_ok(g)) {
    kiln_max_pool2x2_backward(g, gy, arg, gx);
    return;
  }
  pool_job j = {g, gy, gx, NULL, arg, 0, 0};
  run_pool(maxpool_back_task, &j, g->N * g->C * g->H * g->W);
}

/* PyTorch's avg_pool2d divisor for one output position. */
static float avg_scale(const pool_job *j, int64_t oh, int64_t ow) {
  const kconv *g = j->g;
  int64_t hs = oh * g->sh - g->pt, ws = ow * g->sw - g->pl;
  int64_t he = hs + g->kh < g->H + g->pt ? hs + g->kh : g->H + g->pt;
  int64_t we = ws + g->kw < g->W + g->pl ? ws + g->kw : g->W + g->pl;
  const int64_t pool = (he - hs) * (we - ws);
  hs = hs > 0 ? hs : 0;
  ws = ws > 0 ? ws : 0;
  he = he < g->H ? he : g->H;
  we = we < g->W ? we : g->W;
  const double d = j->divisor > 0 ? (double)j->divisor
                                   : (double)(j->include_pad ? pool : (he - hs) * (we - ws));
  return (float)(1.0 / d);
}

static void avgpool_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  const int64_t planes = g->N * g->C, HW = g->H * g->W, L = g->Ho * g->Wo;
  for (int64_t p = kiln_share(planes, tid, nt); p < kiln_share(planes, tid + 1, nt); p++) {
    const float *plane = j->x + p * HW;
    for (int64_t oh = 0; oh < g->Ho; oh++) {
      for (int64_t ow = 0; ow < g->Wo; ow++) {
        float s = 0;
        for (int64_t i = 0; i < g->kh; i++) {
          const int64_t h = oh * g->sh - g->pt + i * g->dh;
          for (int64_t jj = 0; jj < g->kw; jj++) {
            const int64_t w = ow * g->sw - g->pl + jj * g->dw;
            s += h >= 0 && h < g->H && w >= 0 && w < g->W ? plane[h * g->W + w] : 0.0f;
          }
        }
        j->out[p * L + oh * g->Wo + ow] = s * avg_scale(j, oh, ow);
      }
    }
  }
}

static void avgpool_back_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  const int64_t planes = g->N * g->C, HW = g->H * g->W, L = g->Ho * g->Wo;
  for (int64_t p = kiln_share(planes, tid, nt); p < kiln_share(planes, tid + 1, nt); p++) {
    float *plane = j->out + p * HW;
    memset(plane, 0, (size_t)HW * sizeof(float));
    for (int64_t oh = 0; oh < g->Ho; oh++) {
      for (int64_t ow = 0; ow < g->Wo; ow++) {
        const float v = j->x[p * L + oh * g->Wo + ow] * avg_scale(j, oh, ow);
        for (int64_t i = 0; i < g->kh; i++) {
          const int64_t h = oh * g->sh - g->pt + i * g->dh;
          if (h < 0 || h >= g->H) continue;
          for (int64_t jj = 0; jj < g->kw; jj++) {
            const int64_t w = ow * g->sw - g->pl + jj * g->dw;
            if (w >= 0 && w < g->W) plane[h * g->W + w] += v;
          }
        }
      }
    }
  }
}

void kiln_avg_pool2d(const kconv *g, int include_pad, int64_t divisor, const float *x, float *out) {
  pool_job j = {g, x, out, NULL, NULL, include_pad, divisor};
  run(avgpool_task, &j, g->N * g->C * g->Ho * g->Wo * g->kh * g->kw);
}

void kiln_avg_pool2d_backward(const kconv *g, int include_pad, int64_t divisor, const float *gy,
                              float *gx) {
  pool_job j = {g, gy, gx, NULL, NULL, include_pad, divisor};
  run(avgpool_back_task, &j, g->N * g->C * g->H * g->W);
}

/* ---- batch norm -------------------------------------------------------------------------- */

typedef struct {
  int64_t N, C, L;
  const float *x, *gy, *w, *b;
  float *y, *mean, *invstd, *var, *gx, *gw, *gb;
  double eps;
  int training;
} bn_job;

/* Per channel: batch mean and biased variance (training), then y = (x − μ)·invstd·w + b. */
static void bn_task(void *ctx, int tid, int nt) {
  const bn_job *j = (const bn_job *)ctx;
  const int64_t N = j->N, C = j->C, L = j->L;
  for (int64_t c = kiln_share(C, tid, nt); c < kiln_share(C, tid + 1, nt); c++) {
    if (j->training) {
      double s = 0;
      for (int64_t n = 0; n < N; n++) {
        const float *p = j->x + (n * C + c) * L;
        for (int64_t l = 0; l < L; l++) s += p[l];
      }
      const double mu = s / (double)(N * L);
      double q = 0;
      for (int64_t n = 0; n < N; n++) {
        const float *p = j->x + (n * C + c) * L;
        for (int64_t l = 0; l < L; l++) q += ((double)p[l] - mu) * ((double)p[l] - mu);
      }
      const double var = q / (double)(N * L);
      j->mean[c] = (float)mu;
      j->var[c] = (float)var;
      j->invstd[c] = (float)(1.0 / sqrt((double)(float)var + j->eps));
    }
    const float mu = j->mean[c], is = j->invstd[c];
    const float a = j->w != NULL ? is * j->w[c] : is;
    const float b = j->b != NULL ? j->b[c] : 0.0f;
    for (int64_t n = 0; n < N; n++) {
      const float *p = j->x + (n * C + c) * L;
      float *o = j->y + (n * C + c) * L;
      for (int64_t l = 0; l < L; l++) o[l] = (p[l] - mu) * a + b;
    }
  }
}

/* gx = w·invstd·(gy − mean(gy) − x̂·mean(gy·x̂)) in training, w·invstd·gy otherwise;
 * gw = Σ gy·x̂, gb = Σ gy. */
static void bn_back_task(void *ctx, int tid, int nt) {
  const bn_job *j = (const bn_job *)ctx;
  const int64_t N = j->N, C = j->C, L = j->L;
  for (int64_t c = kiln_share(C, tid, nt); c < kiln_share(C, tid + 1, nt); c++) {
    const double mu = j->mean[c], is = j->invstd[c];
    double sg = 0, sgx = 0;
    for (int64_t n = 0; n < N; n++) {
      const float *p = j->x + (n * C + c) * L, *g = j->gy + (n * C + c) * L;
      for (int64_t l = 0; l < L; l++) {
        sg += g[l];
        sgx += g[l] * (((double)p[l] - mu) * is);
      }
    }
    if (j->gw != NULL) j->gw[c] = (float)sgx;
    if (j->gb != NULL) j->gb[c] = (float)sg;
    if (j->gx == NULL) continue;
    const double m = (double)(N * L), wc = j->w != NULL ? j->w[c] : 1.0;
    const double k = wc * is;
    const double mg = j->training ? sg / m : 0, mgx = j->training ? sgx / m : 0;
    for (int64_t n = 0; n < N; n++) {
      const float *p = j->x + (n * C + c) * L, *g = j->gy + (n * C + c) * L;
      float *o = j->gx + (n * C + c) * L;
      for (int64_t l = 0; l < L; l++) {
        const double xh = ((double)p[l] - mu) * is;
        o[l] = (float)(k * ((double)g[l] - mg - xh * mgx));
      }
    }
  }
}

void kiln_batch_norm(int64_t N, int64_t C, int64_t L, const float *x, const float *w,
                     const float *b, float *mean, float *invstd, float *var, double eps,
                     int training, float *y) {
  bn_job j = {N, C, L, x, NULL, w, b, y, mean, invstd, var, NULL, NULL, NULL, eps, training};
  run(bn_task, &j, N * C * L * 4);
}

void kiln_batch_norm_backward(int64_t N, int64_t C, int64_t L, const float *gy, const float *x,
                              const float *w, const float *mean, const float *invstd,
                              int training, float *gx, float *gw, float *gb) {
  bn_job j = {N, C, L, x, gy, w, NULL, NULL, (float *)mean, (float *)invstd, NULL, gx, gw, gb,
              0, training};
  run(bn_back_task, &j, N * C * L * 6);
}

/* ---- cross-entropy ------------------------------------------------------------------------ */

/* Row max and log Σ exp(x − max): what logSoftmax's composition computes, in float. */
static float row_lse(const float *x, int64_t n, float *mx) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] != x[i]) {
      m = x[i];
      break;
    }
    if (x[i] > m) m = x[i];
  }
  float s = 0;
  for (int64_t i = 0; i < n; i++) s += expf(x[i] - m);
  *mx = m;
  return logf(s);
}

/* Per row: loss_i = (1 − ε)·w[t]·(−logp[t]) + ε/C·Σ_c w_c·(−logp_c), 0 where t = ignore;
 * rowWeight_i = w[t] (0 where ignored); lse_i saved for backward. */
void kiln_cross_entropy(int64_t rows, int64_t C, const float *x, const int32_t *target,
                        const float *weight, int32_t ignore, float eps, float *loss,
                        float *row_weight, float *lse) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float m;
    const float ls = row_lse(xr, C, &m);
    lse[r] = m + ls;
    const int32_t t = target[r];
    if (t == ignore) {
      loss[r] = 0;
      row_weight[r] = 0;
      continue;
    }
    const float wt = weight != NULL ? weight[t] : 1.0f;
    float l = -((xr[t] - m) - ls) * wt;
    row_weight[r] = wt;
    if (eps > 0) {
      float s = 0;
      for (int64_t c = 0; c < C; c++) s += ((xr[c] - m) - ls) * (weight != NULL ? weight[c] : 1.0f);
      l = l * (1 - eps) + (-s) * (eps / (float)C);
    }
    loss[r] = l;
  }
}

/* gx[r, c] = g_r·((1 − ε)·w[t]·(p_c − [c = t]) + ε/C·(W·p_c − w_c)), W = Σ w; 0 where ignored. */
void kiln_cross_entropy_backward(int64_t rows, int64_t C, const float *x, const int32_t *target,
                                 const float *weight, int32_t ignore, float eps, const float *lse,
                                 const float *g, int64_t g_stride, float *gx) {
  float W = 0;
  for (int64_t c = 0; c < C; c++) W += weight != NULL ? weight[c] : 1.0f;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float *o = gx + r * C;
    const int32_t t = target[r];
    if (t == ignore) {
      memset(o, 0, (size_t)C * sizeof(float));
      continue;
    }
    const float gr = g[r * g_stride];
    const float wt = (weight != NULL ? weight[t] : 1.0f) * (1 - eps);
    const float sm = eps / (float)C;
    for (int64_t c = 0; c < C; c++) {
      const float p = expf(xr[c] - lse[r]);
      float d = wt * (p - (c == t ? 1.0f : 0.0f));
      if (eps > 0) d += sm * (W * p - (weight != NULL ? weight[c] : 1.0f));
      o[c] = gr * d;
    }
  }
}

/* ---- optimizer updates ------------------------------------------------------------------- */

/* The float32 steps of src/optim's sgd() in the same order (so the same rounding). */
void kiln_sgd(int64_t n, float *p, const float *grad, float *buf, float lr, float momentum,
              float dampening1, float wd, int nesterov, int maximize, int first) {
  if (buf != NULL && !first && !nesterov && !maximize && wd == 0) {
    /* The common case, without the per-element branches, so that it vectorises. */
    for (int64_t i = 0; i < n; i++) {
      const float b = buf[i] * momentum + grad[i] * dampening1;
      buf[i] = b;
      p[i] = p[i] + b * -lr;
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    float d = maximize ? -grad[i] : grad[i];
    if (wd != 0) d = d + p[i] * wd;
    if (buf != NULL) {
      float b;
      if (first) b = d;
      else b = buf[i] * momentum + d * dampening1;
      buf[i] = b;
      d = nesterov ? d + b * momentum : b;
    }
    p[i] = p[i] + d * -lr;
  }
}

/* The float32 steps of adam()/adamw(): decoupled decay first (AdamW) or L2 into the gradient. */
void kiln_adam(int64_t n, float *p, const float *grad, float *m, float *v, float *vmax, float lr,
               float beta1, float beta2, float omb1, float omb2, float eps, float wd,
               float decay_mul, float bc2sqrt, float neg_step, int decoupled, int maximize) {
  for (int64_t i = 0; i < n; i++) {
    float g = maximize ? -grad[i] : grad[i];
    if (decoupled) p[i] = p[i] * decay_mul;
    else if (wd != 0) g = g + p[i] * wd;
    m[i] = m[i] * beta1 + g * omb1;
    v[i] = v[i] * beta2 + (g * g) * omb2;
    float second = v[i];
    if (vmax != NULL) {
      const float a = vmax[i], b = v[i];
      vmax[i] = a != a || b != b ? NAN : (a > b ? a : b);
      second = vmax[i];
    }
    const float denom = sqrtf(second) / bc2sqrt + eps;
    p[i] = p[i] + (m[i] / denom) * neg_step;
  }
  (void)lr;
}

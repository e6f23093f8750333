/* Float32 conv2d through im2col and the GEMM of gemm.c: forward, input and weight gradients
 * (geometries conv_direct.c takes are handed to it). Computes what the
 * composition of primitives in src/ops computes (the tests compare them). Work buffers come from
 * the caller; no allocation, no OS calls, no Node here. */
#include <string.h>
#include "kiln.h"
#include "parallel.h"

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
  const int64_t direct = kiln_conv_direct_work(g);
  return direct > im2col ? direct : im2col;
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

void kiln_conv2d_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                            float *work) {
  if (kiln_conv_direct_ok(g) && kiln_conv_direct_input_grad(g, gy, w, gx, work)) return;
  const int64_t K = conv_K(g), L = g->Ho * g->Wo;
  conv_job j = {g, NULL, w, NULL, gy, NULL, gx, NULL, NULL, work,
                g->groups * K * L + 2 * g->O * K + g->O, 1};
  run_n(conv_igrad_task, &j, g->N * g->O * K * L, g->N);
}

void kiln_conv2d_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                             float *gb, float *work) {
  if (kiln_conv_direct_ok(g)) {
    kiln_conv_direct_weight_grad(g, gy, x, gw, work);
    if (gb != NULL) kiln_conv_bias_grad(g, gy, gb);
    return;
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
}

/* Float32 2-D and 3-D convolution through im2col and the GEMM of gemm.c: forward, input and
 * weight gradients, and the one place that picks the kernel (geometries conv_direct.c, on
 * AVX-512, or conv_shifted.c takes are handed to it). Computes what the composition of primitives
 * in src/ops computes (the tests compare them). Work buffers come from the caller; no
 * allocation, no OS calls, no Node here. */
#include <string.h>
#include "kiln.h"
#include "parallel.h"

/* An image's output rows (Do·Ho rows of Wo positions) are taken in chunks whose im2col block,
 * [G*K, rows·Wo], stays within CHUNK_FLOATS (256 KB: the forward GEMM then reads it in place,
 * unpacked, from L2), so that a large image or volume (a 3-D one unfolds to tens of MB) is
 * multiplied from cache. Forward and weight-gradient threads take (image, chunk) units, input-gradient threads
 * whole images (col2im of neighbouring chunks adds into the same input rows), so writes never
 * race; weight gradients are summed per thread, then across threads. */
#define CHUNK_FLOATS ((int64_t)1 << 16)

typedef struct {
  const kconv *g;
  const float *x, *w, *bias, *gy;
  float *out, *gx, *gw, *work;
  const float *wpack; /* the forward's W_g or the input gradient's W_gᵀ, packed once per call */
  int64_t per_thread;
  int64_t chunk_rows, chunks; /* output rows per chunk, chunks per image */
  int used; /* threads that ran (weight gradient: how many partial sums to add) */
} conv_job;

static int64_t conv_K(const kconv *g) { return g->C / g->groups * g->kd * g->kh * g->kw; }
/* Output positions per image and channel, and input elements per image and channel. */
static int64_t conv_L(const kconv *g) { return g->Do * g->Ho * g->Wo; }
static int64_t conv_P(const kconv *g) { return g->D * g->H * g->W; }

/* Output rows per chunk: the image's Do·Ho rows split evenly into as few chunks as keep each
 * im2col block within CHUNK_FLOATS (at least one row). */
static int64_t chunk_rows(const kconv *g) {
  const int64_t rows = g->Do * g->Ho, block = g->groups * conv_K(g) * conv_L(g);
  const int64_t chunks = (block + CHUNK_FLOATS - 1) / CHUNK_FLOATS;
  return chunks <= 1 ? rows : (rows + chunks - 1) / chunks;
}

/* Floats per thread: the im2col block of one chunk and two [O, K] sums (weight gradient). */
static int64_t per_thread(const kconv *g) {
  const int64_t K = conv_K(g);
  return g->groups * K * chunk_rows(g) * g->Wo + 2 * g->O * K;
}

/* Floats of the packed weights of one group: W_g [Og, K] for the forward, W_gᵀ [K, Og] for the
 * input gradient (kiln_sgemm_pack_a's layout), so that the GEMM of every (image, chunk) unit
 * reads them packed instead of packing them again. */
static int64_t packed_group(const kconv *g) {
  const int64_t K = conv_K(g), Og = g->O / g->groups;
  const int64_t fwd = kiln_sgemm_packed_a_floats(Og, K), bwd = kiln_sgemm_packed_a_floats(K, Og);
  return fwd > bwd ? fwd : bwd;
}

int64_t kiln_conv2d_work(const kconv *g) {
  int64_t work = (int64_t)kiln_max_threads() * per_thread(g) + g->groups * packed_group(g);
  if (kiln_conv_direct_ok(g) && kiln_conv_direct_work(g) > work) work = kiln_conv_direct_work(g);
  if (kiln_conv_shifted_ok(g) && kiln_conv_shifted_work(g) > work) work = kiln_conv_shifted_work(g);
  return work;
}

/* Output row (od, oh) of tap (a, i, jj) of channel plane `vol` (D x H x W) into o[0..Wo):
 * vol[od*sd − pd + a*dd][oh*sh − pt + i*dh][ow*sw − pl + jj*dw], or 0 in the padding. */
static void im2col_row(const kconv *g, const float *vol, int64_t a, int64_t i, int64_t jj,
                       int64_t od, int64_t oh, float *o) {
  const int64_t d = od * g->sd - g->pd + a * g->dd, h = oh * g->sh - g->pt + i * g->dh;
  if (d < 0 || d >= g->D || h < 0 || h >= g->H) {
    memset(o, 0, (size_t)g->Wo * sizeof(float));
    return;
  }
  const float *row = vol + (d * g->H + h) * g->W;
  /* the columns that read inside the row, [lo, hi): zeros before and after, no tests inside */
  const int64_t off = jj * g->dw - g->pl, sw = g->sw;
  int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
  if (lo > g->Wo) lo = g->Wo; /* padding wider than the output row */
  int64_t hi = g->W - off <= 0 ? 0 : (g->W - off + sw - 1) / sw;
  if (hi > g->Wo) hi = g->Wo;
  if (hi < lo) hi = lo;
  memset(o, 0, (size_t)lo * sizeof(float));
  if (sw == 1) {
    memcpy(o + lo, row + lo + off, (size_t)(hi - lo) * sizeof(float));
  } else {
    for (int64_t ow = lo; ow < hi; ow++) o[ow] = row[ow * sw + off];
  }
  memset(o + hi, 0, (size_t)(g->Wo - hi) * sizeof(float));
}

/* im2col_rows for unit strides and dilations: each tap's rows copied in a loop the compiler
 * vectorises, the padding columns [0, lo) and [hi, Wo) found once per tap, and no call per row
 * (rows of 16 or 32 positions made the calls and index arithmetic a third of a forward pass). */
static void im2col_rows_unit(const kconv *g, const float *x, int64_t r0, int64_t r1, float *cols) {
  const int64_t kh = g->kh, kw = g->kw, Ho = g->Ho, Wo = g->Wo, W = g->W;
  const int64_t Lc = (r1 - r0) * Wo;
  for (int64_t ch = 0; ch < g->C; ch++) {
    const float *vol = x + ch * conv_P(g);
    for (int64_t a = 0; a < g->kd; a++)
      for (int64_t i = 0; i < kh; i++)
        for (int64_t jj = 0; jj < kw; jj++) {
          float *restrict o = cols + (((ch * g->kd + a) * kh + i) * kw + jj) * Lc;
          /* output column ow reads input column ow + off: inside the row for ow in [lo, hi) */
          const int64_t off = jj - g->pl;
          const int64_t lo = off >= 0 ? 0 : (-off < Wo ? -off : Wo);
          int64_t hi = W - off < Wo ? W - off : Wo;
          if (hi < lo) hi = lo;
          int64_t od = r0 / Ho, oh = r0 % Ho;
          for (int64_t r = r0; r < r1; r++, o += Wo) {
            const int64_t d = od - g->pd + a, h = oh - g->pt + i;
            if (++oh == Ho) oh = 0, od++;
            if (d < 0 || d >= g->D || h < 0 || h >= g->H) {
              for (int64_t ow = 0; ow < Wo; ow++) o[ow] = 0;
              continue;
            }
            const float *restrict src = vol + (d * g->H + h) * W + off;
            for (int64_t ow = 0; ow < lo; ow++) o[ow] = 0;
            for (int64_t ow = lo; ow < hi; ow++) o[ow] = src[ow];
            for (int64_t ow = hi; ow < Wo; ow++) o[ow] = 0;
          }
        }
  }
}

/* cols[(ch*kd + a)*kk + ij][l] for the output rows [r0, r1) of image x (l counts positions from
 * row r0; row r = od*Ho + oh), taps in row-major (a, i, jj) order. */
static void im2col_rows(const kconv *g, const float *x, int64_t r0, int64_t r1, float *cols) {
  if (g->sd == 1 && g->sh == 1 && g->sw == 1 && g->dd == 1 && g->dh == 1 && g->dw == 1) {
    im2col_rows_unit(g, x, r0, r1, cols);
    return;
  }
  const int64_t kk = g->kh * g->kw, Lc = (r1 - r0) * g->Wo;
  for (int64_t ch = 0; ch < g->C; ch++) {
    const float *vol = x + ch * conv_P(g);
    for (int64_t a = 0; a < g->kd; a++)
      for (int64_t ij = 0; ij < kk; ij++) {
        float *out = cols + ((ch * g->kd + a) * kk + ij) * Lc;
        for (int64_t r = r0; r < r1; r++)
          im2col_row(g, vol, a, ij / g->kw, ij % g->kw, r / g->Ho, r % g->Ho,
                     out + (r - r0) * g->Wo);
      }
  }
}

/* im2col_row's transpose: c[0..Wo) added into the input row it was read from. */
static void col2im_row(const kconv *g, const float *c, int64_t a, int64_t i, int64_t jj,
                       int64_t od, int64_t oh, float *vol) {
  const int64_t d = od * g->sd - g->pd + a * g->dd, h = oh * g->sh - g->pt + i * g->dh;
  if (d < 0 || d >= g->D || h < 0 || h >= g->H) return;
  float *row = vol + (d * g->H + h) * g->W;
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

/* gx (already holding the earlier chunks' sums) += col2im of dcols for output rows [r0, r1),
 * in im2col_rows' tap order. */
static void col2im_rows(const kconv *g, const float *cols, int64_t r0, int64_t r1, float *gx) {
  const int64_t kk = g->kh * g->kw, Lc = (r1 - r0) * g->Wo;
  for (int64_t ch = 0; ch < g->C; ch++) {
    float *vol = gx + ch * conv_P(g);
    for (int64_t a = 0; a < g->kd; a++)
      for (int64_t ij = 0; ij < kk; ij++) {
        const float *in = cols + ((ch * g->kd + a) * kk + ij) * Lc;
        for (int64_t r = r0; r < r1; r++)
          col2im_row(g, in + (r - r0) * g->Wo, a, ij / g->kw, ij % g->kw, r / g->Ho, r % g->Ho,
                     vol);
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

/* The output rows [r0, r1) of chunk c of an image. */
static void chunk_span(const conv_job *j, int64_t c, int64_t *r0, int64_t *r1) {
  const int64_t rows = j->g->Do * j->g->Ho;
  *r0 = c * j->chunk_rows;
  *r1 = *r0 + j->chunk_rows < rows ? *r0 + j->chunk_rows : rows;
}

static void conv_fwd_task(void *ctx, int tid, int nt) {
  const conv_job *j = (const conv_job *)ctx;
  const kconv *g = j->g;
  const int64_t K = conv_K(g), L = conv_L(g), G = g->groups, Og = g->O / G;
  const int64_t units = g->N * j->chunks;
  float *cols = j->work + tid * j->per_thread;
  for (int64_t u = kiln_share(units, tid, nt); u < kiln_share(units, tid + 1, nt); u++) {
    const int64_t n = u / j->chunks;
    int64_t r0, r1;
    chunk_span(j, u % j->chunks, &r0, &r1);
    const int64_t l0 = r0 * g->Wo, Lc = (r1 - r0) * g->Wo;
    im2col_rows(g, j->x + n * g->C * conv_P(g), r0, r1, cols);
    float *out = j->out + n * g->O * L + l0;
    for (int64_t gi = 0; gi < G; gi++)
      kiln_sgemm_packed_on_thread(tid, Og, K, Lc, j->wpack + gi * packed_group(g),
                                  cols + gi * K * Lc, Lc, 1, out + gi * Og * L, L, 0);
    if (j->bias != NULL)
      for (int64_t o = 0; o < g->O; o++) {
        const float b = j->bias[o];
        for (int64_t l = 0; l < Lc; l++) out[o * L + l] += b;
      }
  }
}

static void conv_igrad_task(void *ctx, int tid, int nt) {
  const conv_job *j = (const conv_job *)ctx;
  const kconv *g = j->g;
  const int64_t K = conv_K(g), L = conv_L(g), G = g->groups, Og = g->O / G;
  const int unit = j->chunks == 1 && kiln_conv_is_2d(g) && g->sh == 1 && g->sw == 1 &&
                   g->dh == 1 && g->dw == 1;
  float *cols = j->work + tid * j->per_thread;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    float *gx = j->gx + n * g->C * conv_P(g);
    if (!unit) memset(gx, 0, (size_t)(g->C * conv_P(g)) * sizeof(float));
    for (int64_t c = 0; c < j->chunks; c++) {
      int64_t r0, r1;
      chunk_span(j, c, &r0, &r1);
      const int64_t Lc = (r1 - r0) * g->Wo;
      const float *gy = j->gy + n * g->O * L + r0 * g->Wo;
      /* dcols_g [K, Lc] = W_gᵀ [K, Og] @ gy_g [Og, Lc] */
      for (int64_t gi = 0; gi < G; gi++)
        kiln_sgemm_packed_on_thread(tid, K, Og, Lc, j->wpack + gi * packed_group(g),
                                    gy + gi * Og * L, L, 1, cols + gi * K * Lc, Lc, 0);
      if (unit) col2im1_unit(g, cols, gx);
      else col2im_rows(g, cols, r0, r1, gx);
    }
  }
}

static void conv_wgrad_task(void *ctx, int tid, int nt) {
  const conv_job *j = (const conv_job *)ctx;
  const kconv *g = j->g;
  const int64_t K = conv_K(g), L = conv_L(g), G = g->groups, Og = g->O / G;
  const int64_t units = g->N * j->chunks;
  float *cols = j->work + tid * j->per_thread;
  float *acc = cols + G * K * j->chunk_rows * g->Wo, *part = acc + g->O * K;
  if (tid == 0) ((conv_job *)ctx)->used = nt;
  float *tmp = tid == 0 ? j->gw : acc; /* thread 0 sums straight into gw */
  memset(tmp, 0, (size_t)(g->O * K) * sizeof(float));
  for (int64_t u = kiln_share(units, tid, nt); u < kiln_share(units, tid + 1, nt); u++) {
    const int64_t n = u / j->chunks;
    int64_t r0, r1;
    chunk_span(j, u % j->chunks, &r0, &r1);
    const int64_t Lc = (r1 - r0) * g->Wo;
    const float *gy = j->gy + n * g->O * L + r0 * g->Wo;
    im2col_rows(g, j->x + n * g->C * conv_P(g), r0, r1, cols);
    /* gW_g [Og, K] += gy_g [Og, Lc] @ cols_gᵀ [Lc, K], through `part` */
    for (int64_t gi = 0; gi < G; gi++) {
      kiln_sgemm_on_thread(tid, Og, Lc, K, gy + gi * Og * L, L, 1, cols + gi * K * Lc, 1, Lc,
                           part, K);
      float *dst = tmp + gi * Og * K;
      for (int64_t i = 0; i < Og * K; i++) dst[i] += part[i];
    }
  }
}

static conv_job job(const kconv *g, const float *x, const float *w, const float *bias,
                    const float *gy, float *out, float *gx, float *gw, float *work) {
  const int64_t rows = chunk_rows(g);
  conv_job j = {g,    x,    w,    bias, gy, out, gx, gw, work, NULL, per_thread(g), rows,
                (g->Do * g->Ho + rows - 1) / rows, 1};
  return j;
}

/* Packs each group's W_g (transposed: W_gᵀ) after the threads' blocks of `work`. */
static void pack_weights(conv_job *j, int transposed) {
  const kconv *g = j->g;
  const int64_t K = conv_K(j->g), Og = g->O / g->groups;
  float *dst = j->work + (int64_t)kiln_max_threads() * j->per_thread;
  if (transposed) kiln_sgemm_pack_a_many(g->groups, K, Og, j->w, Og * K, 1, K, dst, packed_group(g));
  else kiln_sgemm_pack_a_many(g->groups, Og, K, j->w, Og * K, K, 1, dst, packed_group(g));
  j->wpack = dst;
}

void kiln_conv2d(const kconv *g, const float *x, const float *w, const float *bias, float *out,
                 float *work) {
  if (kiln_conv_direct_ok(g)) {
    kiln_conv_direct_forward(g, x, w, bias, out, work);
    return;
  }
  if (kiln_conv_shifted_ok(g)) {
    kiln_conv_shifted_forward(g, x, w, bias, out, work);
    return;
  }
  conv_job j = job(g, x, w, bias, NULL, out, NULL, NULL, work);
  pack_weights(&j, 0);
  run_n(conv_fwd_task, &j, g->N * g->O * conv_K(g) * conv_L(g), g->N * j.chunks);
}

void kiln_conv2d_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                            float *work) {
  if (kiln_conv_direct_ok(g) && kiln_conv_direct_input_grad(g, gy, w, gx, work)) return;
  if (kiln_conv_shifted_ok(g) && kiln_conv_shifted_input_grad(g, gy, w, gx, work)) return;
  conv_job j = job(g, NULL, w, NULL, gy, NULL, gx, NULL, work);
  pack_weights(&j, 1);
  run_n(conv_igrad_task, &j, g->N * g->O * conv_K(g) * conv_L(g), g->N);
}

void kiln_conv2d_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                             float *gb, float *work) {
  /* the bias gradient is summed one way on every path, so that its rounding does not depend on
   * which kernel takes the weights (shifted taps hand an input holding an inf to im2col) */
  if (gb != NULL) kiln_conv_bias_grad(g, gy, gb);
  if (kiln_conv_direct_ok(g)) {
    kiln_conv_direct_weight_grad(g, gy, x, gw, work);
    return;
  }
  if (kiln_conv_shifted_ok(g) && kiln_conv_shifted_weight_grad(g, gy, x, gw, work)) return;
  const int64_t K = conv_K(g);
  conv_job j = job(g, x, NULL, NULL, gy, NULL, NULL, gw, work);
  int nt = threads_for(g->N * g->O * K * conv_L(g));
  if (nt > g->N * j.chunks) nt = (int)(g->N * j.chunks);
  if (nt < 1) nt = 1;
  kiln_pool_acquire();
  kiln_parallel(conv_wgrad_task, &j, nt);
  kiln_pool_release();
  for (int t = 1; t < j.used; t++) {
    const float *acc = work + t * j.per_thread + g->groups * K * j.chunk_rows * g->Wo;
    for (int64_t i = 0; i < g->O * K; i++) gw[i] += acc[i];
  }
}

/* Direct float32 convolution on the AVX-512 path, for stride 1, dilation 1 and one group (the
 * usual 3x3 layers): no im2col and no packing.
 *
 * Forward and input gradient are one correlation over "wide rows": with the input plane
 * zero-padded to Hq x Wq and flattened, output position p = oh*Wq + ow reads in[p + i*Wq + j],
 * so each kernel tap is one contiguous vector load shared by every output channel. Positions
 * with ow >= Wout are computed and dropped. The input gradient is the same correlation of the
 * output gradient, padded by k - 1 on each side, with the kernel flipped and transposed.
 *
 * The weight gradient reduces over (n, oh, ow) with a 4 x 4 tile of (output channel, tap)
 * accumulators, image by image. Without padding it runs over wide rows, with the output
 * gradient copied out with zeros at ow >= Wout (for a finite input only: 0 * inf is NaN);
 * otherwise row by row with each tap's columns masked, so that no product involves a value
 * outside the window.
 *
 * Work buffers come from the caller; no allocation, no OS calls, no Node here. */
#include <string.h>
#include "kiln.h"

static int64_t ceil8(int64_t n) { return (n + 7) / 8 * 8; }

int kiln_conv_direct_ok(const kconv *g) {
#if defined(__x86_64__)
  return kiln_conv_is_2d(g) && g->sh == 1 && g->sw == 1 && g->dh == 1 && g->dw == 1 &&
         g->groups == 1 && kiln_cpu_path() == KILN_AVX512;
#else
  (void)g;
  return 0;
#endif
}

/* Padded input plane of the forward pass: Hp x Wp with Ho = Hp - kh + 1. */
static int64_t fwd_hp(const kconv *g) { return g->Ho + g->kh - 1; }
static int64_t fwd_wp(const kconv *g) { return g->Wo + g->kw - 1; }
/* Padded output-gradient plane of the input gradient: the output grown by k - 1 each side. */
static int64_t bwd_hq(const kconv *g) { return g->Ho + 2 * (g->kh - 1); }
static int64_t bwd_wq(const kconv *g) { return g->Wo + 2 * (g->kw - 1); }

/* Floats of the rearranged weights: [C*taps][O8] forward, [O*taps][C8] input gradient. */
static int64_t weight_floats(const kconv *g) {
  const int64_t taps = g->kh * g->kw, f = g->C * ceil8(g->O), b = g->O * ceil8(g->C);
  return taps * (f > b ? f : b);
}

/* (Output channel, tap) tiles of 4 x 4 of the weight gradient; each thread sums into one
 * 16-float block per tile, lane 4b + a holding (output channel o0 + a, tap t0 + b). */
static int64_t wgrad_tiles(const kconv *g) {
  return (g->O + 3) / 4 * ((g->C * g->kh * g->kw + 3) / 4);
}

/* Floats of one thread's weight-gradient work: its sums, and the output gradient copied out as
 * wide rows. */
static int64_t wgrad_floats(const kconv *g) { return wgrad_tiles(g) * 16 + g->O * g->Ho * g->W; }

/* Floats of one thread's work: a padded input plane set and a wide output (forward or input
 * gradient), or the weight gradient's. */
static int64_t thread_floats(const kconv *g) {
  const int64_t Hp = fwd_hp(g), Wp = fwd_wp(g), Hq = bwd_hq(g), Wq = bwd_wq(g);
  const int64_t fwd = (g->C + ceil8(g->O)) * Hp * Wp;
  const int64_t bwd = g->O * Hq * Wq + ceil8(g->C) * Hq * Wq;
  const int64_t m = fwd > bwd ? fwd : bwd;
  return m > wgrad_floats(g) ? m : wgrad_floats(g);
}

/* Floats of work: the rearranged weights, then one block per thread. */
int64_t kiln_conv_direct_work(const kconv *g) {
  return weight_floats(g) + (int64_t)kiln_max_threads() * thread_floats(g);
}

#if defined(__x86_64__)
#include "avx512.h"
#define AVX512 KILN_AVX512_FN

/* outw[co][p] = Σ_{ci,i,j} wr[((ci*kh + i)*kw + j)*Co8 + co] * in[ci*plane + p + i*Wq + j] for
 * p in [0, P), every co < Co8 (wr is zero past the real channels). Eight channels by 32
 * positions per tile: two loads and eight broadcasts feed sixteen FMAs. */
AVX512 static void corr_wide(int64_t Ci, int64_t plane, int64_t Wq, const float *in, int64_t kh,
                             int64_t kw, int64_t Co8, const float *wr, float *outw, int64_t P) {
  for (int64_t ob = 0; ob < Co8; ob += 8) {
    for (int64_t p = 0; p < P; p += 32) {
      const __mmask16 m0 = kiln_lanes(P - p), m1 = kiln_lanes(P - p - 16);
      __m512 a[8], b[8];
#pragma GCC unroll 8
      for (int q = 0; q < 8; q++) a[q] = b[q] = _mm512_setzero_ps();
      const float *wp = wr + ob;
      for (int64_t ci = 0; ci < Ci; ci++) {
        for (int64_t i = 0; i < kh; i++) {
          const float *row = in + ci * plane + i * Wq + p;
          for (int64_t j = 0; j < kw; j++, wp += Co8) {
            const __m512 x0 = _mm512_maskz_loadu_ps(m0, row + j);
            const __m512 x1 = _mm512_maskz_loadu_ps(m1, row + j + 16);
#pragma GCC unroll 8
            for (int q = 0; q < 8; q++) {
              const __m512 w = _mm512_set1_ps(wp[q]);
              a[q] = _mm512_fmadd_ps(w, x0, a[q]);
              b[q] = _mm512_fmadd_ps(w, x1, b[q]);
            }
          }
        }
      }
#pragma GCC unroll 8
      for (int q = 0; q < 8; q++) {
        _mm512_mask_storeu_ps(outw + (ob + q) * P + p, m0, a[q]);
        _mm512_mask_storeu_ps(outw + (ob + q) * P + p + 16, m1, b[q]);
      }
    }
  }
}

/* dst (Hq x Wq, zeroed) gets src (H x W) at row offset top and column offset left, clipped. */
static void pad_plane(const float *src, int64_t H, int64_t W, float *dst, int64_t Hq, int64_t Wq,
                      int64_t top, int64_t left) {
  memset(dst, 0, (size_t)(Hq * Wq) * sizeof(float));
  const int64_t w0 = left < 0 ? -left : 0, w1 = W < Wq - left ? W : Wq - left;
  if (w1 <= w0) return;
  for (int64_t h = 0; h < H; h++) {
    const int64_t r = h + top;
    if (r < 0 || r >= Hq) continue;
    memcpy(dst + r * Wq + left + w0, src + h * W + w0, (size_t)(w1 - w0) * sizeof(float));
  }
}

typedef struct {
  const kconv *g;
  const float *x, *w, *bias, *gy;
  float *out, *gx, *gw, *gb, *wr, *work;
  int64_t per_thread;
} direct_job;

AVX512 static void fwd_task(void *ctx, int tid, int nt) {
  const direct_job *jb = (const direct_job *)ctx;
  const kconv *g = jb->g;
  const int64_t C = g->C, O = g->O, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo;
  const int64_t Hp = fwd_hp(g), Wp = fwd_wp(g), P = (Ho - 1) * Wp + Wo;
  const int direct_in = g->pt == 0 && g->pl == 0 && Hp == H && Wp == W;
  float *xp = jb->work + tid * jb->per_thread, *outw = xp + C * Hp * Wp;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    const float *x = jb->x + n * C * H * W;
    if (!direct_in)
      for (int64_t c = 0; c < C; c++)
        pad_plane(x + c * H * W, H, W, xp + c * Hp * Wp, Hp, Wp, g->pt, g->pl);
    corr_wide(C, Hp * Wp, Wp, direct_in ? x : xp, g->kh, g->kw, ceil8(O), jb->wr, outw, P);
    float *out = jb->out + n * O * Ho * Wo;
    for (int64_t o = 0; o < O; o++) {
      const float b = jb->bias != NULL ? jb->bias[o] : 0.0f;
      for (int64_t oh = 0; oh < Ho; oh++) {
        const float *src = outw + o * P + oh * Wp;
        float *dst = out + (o * Ho + oh) * Wo;
        if (jb->bias != NULL)
          for (int64_t ow = 0; ow < Wo; ow++) dst[ow] = src[ow] + b;
        else
          memcpy(dst, src, (size_t)Wo * sizeof(float));
      }
    }
  }
}

AVX512 static void igrad_task(void *ctx, int tid, int nt) {
  const direct_job *jb = (const direct_job *)ctx;
  const kconv *g = jb->g;
  const int64_t C = g->C, O = g->O, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo;
  const int64_t Hq = bwd_hq(g), Wq = bwd_wq(g), Hp = fwd_hp(g), Wp = fwd_wp(g);
  const int64_t P = (Hp - 1) * Wq + Wp;
  float *gyp = jb->work + tid * jb->per_thread, *outw = gyp + O * Hq * Wq;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    const float *gy = jb->gy + n * O * Ho * Wo;
    for (int64_t o = 0; o < O; o++)
      pad_plane(gy + o * Ho * Wo, Ho, Wo, gyp + o * Hq * Wq, Hq, Wq, g->kh - 1, g->kw - 1);
    corr_wide(O, Hq * Wq, Wq, gyp, g->kh, g->kw, ceil8(C), jb->wr, outw, P);
    /* gx[c][h][w] = gradient of the padded input at (h + pt, w + pl); 0 where the padded plane
     * stops short of the input (rows or columns no window reads). */
    float *gx = jb->gx + n * C * H * W;
    for (int64_t c = 0; c < C; c++) {
      for (int64_t h = 0; h < H; h++) {
        float *dst = gx + (c * H + h) * W;
        const int64_t r = h + g->pt;
        int64_t w = 0;
        if (r < Hp) {
          const float *src = outw + c * P + r * Wq + g->pl;
          const int64_t wn = Wp - g->pl < W ? Wp - g->pl : W;
          for (; w < wn; w++) dst[w] = src[w];
        }
        for (; w < W; w++) dst[w] = 0.0f;
      }
    }
  }
}

/* Sixteen horizontal sums at once: lane 4b + a of the result is the sum of v[4a + b]. */
__attribute__((always_inline)) AVX512 static inline __m512 hsum16(const __m512 v[16]) {
  __m512 u[8], w[4];
  for (int i = 0; i < 8; i++) /* 256-bit halves: lanes 0-7 sum v[2i], 8-15 sum v[2i+1] */
    u[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
  for (int i = 0; i < 4; i++) /* 128-bit lane j: four partial sums of v[4i + j] */
    w[i] = _mm512_add_ps(_mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0x88),
                         _mm512_shuffle_f32x4(u[2 * i], u[2 * i + 1], 0xDD));
  /* a 4 x 4 transpose inside each 128-bit lane, adding as it goes */
  const __m512 s0 = _mm512_add_ps(_mm512_unpacklo_ps(w[0], w[1]), _mm512_unpackhi_ps(w[0], w[1]));
  const __m512 s1 = _mm512_add_ps(_mm512_unpacklo_ps(w[2], w[3]), _mm512_unpackhi_ps(w[2], w[3]));
  return _mm512_add_ps(_mm512_shuffle_ps(s0, s1, 0x44), _mm512_shuffle_ps(s0, s1, 0xEE));
}

/* The taps of weight-gradient tiles in order: (c, i, j) stepped along without divisions. */
typedef struct {
  int64_t c, i, j;
} tap_walk;

/* The four taps of the tile starting at tap t0 (the last one repeated past T), and the walk
 * moved on to the next tile's first tap. */
static void tile_taps(const kconv *g, int64_t t0, int64_t T, tap_walk *w, tap_walk out[4]) {
  if (t0 == 0) w->c = w->i = w->j = 0;
  tap_walk t = *w;
  for (int q = 0; q < 4; q++) {
    out[q] = t;
    if (t0 + q + 1 < T && ++t.j == g->kw) {
      t.j = 0;
      if (++t.i == g->kh) t.i = 0, t.c++;
    }
  }
  *w = t;
}

/* One image's weight gradient over wide rows: gyw [O][P] with zeros at ow >= Wo, the input read
 * at p + (c*H + i)*W + j for each tap. Only without padding, and only for a finite input. */
__attribute__((noinline)) AVX512 static void wgrad_wide(const kconv *g, const float *gyw,
                                                        int64_t P, const float *xn,
                                                        float *sums) {
  const int64_t O = g->O, H = g->H, W = g->W, T = g->C * g->kh * g->kw;
  const int64_t tt_n = (T + 3) / 4, tiles = wgrad_tiles(g);
  tap_walk walk = {0, 0, 0}, tp[4];
  for (int64_t tile = 0; tile < tiles; tile++) {
    const int64_t o0 = tile / tt_n * 4, t0 = tile % tt_n * 4;
    tile_taps(g, t0, T, &walk, tp);
    const float *gp[4], *xp[4];
    for (int q = 0; q < 4; q++) {
      /* past the end: repeat the last channel; its sums are never read */
      gp[q] = gyw + (o0 + q < O ? o0 + q : O - 1) * P;
      xp[q] = xn + (tp[q].c * H + tp[q].i) * W + tp[q].j;
    }
    __m512 acc[16];
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) acc[q] = _mm512_setzero_ps();
    for (int64_t p = 0; p < P; p += 16) {
      const __mmask16 m = kiln_lanes(P - p);
      __m512 gv[4], xv[4];
#pragma GCC unroll 4
      for (int q = 0; q < 4; q++) {
        gv[q] = _mm512_maskz_loadu_ps(m, gp[q] + p);
        xv[q] = _mm512_maskz_loadu_ps(m, xp[q] + p);
      }
#pragma GCC unroll 4
      for (int a = 0; a < 4; a++)
#pragma GCC unroll 4
        for (int b = 0; b < 4; b++) acc[4 * a + b] = _mm512_fmadd_ps(gv[a], xv[b], acc[4 * a + b]);
    }
    float *s = sums + tile * 16;
    _mm512_storeu_ps(s, _mm512_add_ps(_mm512_loadu_ps(s), hsum16(acc)));
  }
}

/* One image's weight gradient row by row: for each block of 16 output columns, each tap's
 * input columns are masked to the input's width, and a tap's row in the vertical padding reads
 * nothing; no product ever involves a value outside a window. */
__attribute__((noinline)) AVX512 static void wgrad_rows(const kconv *g, const float *gyn,
                                                        const float *xn, float *sums) {
  const int64_t O = g->O, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo, pt = g->pt, pl = g->pl;
  const int64_t T = g->C * g->kh * g->kw, tt_n = (T + 3) / 4, tiles = wgrad_tiles(g);
  tap_walk walk = {0, 0, 0}, tp[4];
  for (int64_t tile = 0; tile < tiles; tile++) {
    const int64_t o0 = tile / tt_n * 4, t0 = tile % tt_n * 4;
    tile_taps(g, t0, T, &walk, tp);
    const float *gp[4], *xp[4];
    for (int q = 0; q < 4; q++) {
      gp[q] = gyn + (o0 + q < O ? o0 + q : O - 1) * Ho * Wo;
      /* input of output (oh, ow) through tap q: x[c][oh + i - pt][ow + j - pl] */
      xp[q] = xn + (tp[q].c * H + tp[q].i - pt) * W + tp[q].j - pl;
    }
    __m512 acc[16];
#pragma GCC unroll 16
    for (int q = 0; q < 16; q++) acc[q] = _mm512_setzero_ps();
    for (int64_t ow = 0; ow < Wo; ow += 16) {
      const __mmask16 m = kiln_lanes(Wo - ow);
      __mmask16 cm[4];
      for (int b = 0; b < 4; b++) {
        const int64_t c0 = ow + tp[b].j - pl; /* input column of lane 0 */
        cm[b] = m & kiln_lanes(W - c0) & (__mmask16)~kiln_lanes(-c0);
      }
      for (int64_t oh = 0; oh < Ho; oh++) {
        __m512 gv[4], xv[4];
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++) gv[a] = _mm512_maskz_loadu_ps(m, gp[a] + oh * Wo + ow);
#pragma GCC unroll 4
        for (int b = 0; b < 4; b++) {
          const int64_t h = oh + tp[b].i - pt;
          const __mmask16 k = h >= 0 && h < H ? cm[b] : 0;
          xv[b] = _mm512_maskz_loadu_ps(k, xp[b] + oh * W + ow);
        }
#pragma GCC unroll 4
        for (int a = 0; a < 4; a++)
#pragma GCC unroll 4
          for (int b = 0; b < 4; b++)
            acc[4 * a + b] = _mm512_fmadd_ps(gv[a], xv[b], acc[4 * a + b]);
      }
    }
    float *s = sums + tile * 16;
    _mm512_storeu_ps(s, _mm512_add_ps(_mm512_loadu_ps(s), hsum16(acc)));
  }
}

/* Weight gradient: threads take whole images; per image, every (output channel, tap) tile of
 * 4 x 4 sums the image in registers (its gradient and input stay in L1), then adds its sixteen
 * totals into the thread's block of sums. */
AVX512 static void wgrad_task(void *ctx, int tid, int nt) {
  const direct_job *jb = (const direct_job *)ctx;
  const kconv *g = jb->g;
  const int64_t C = g->C, O = g->O, H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo;
  const int64_t tiles = wgrad_tiles(g);
  float *sums = jb->work + tid * jb->per_thread, *gyw = sums + tiles * 16;
  memset(sums, 0, (size_t)(tiles * 16) * sizeof(float));
  /* Without padding, wide rows (p = oh*W + ow, as corr_wide) with the output gradient copied
   * out with zeros at ow >= Wo give fewer, fuller vectors; the copy pays off once a few tap
   * tiles share it. A zero times an input outside the window is 0 only for a finite input, so
   * an image holding an inf or NaN goes row by row. */
  const int unpadded = g->pt == 0 && g->pl == 0 && Ho + g->kh - 1 == H &&
                       Wo + g->kw - 1 == W && C * g->kh * g->kw >= 32;
  const int64_t P = (Ho - 1) * W + Wo;
  for (int64_t n = kiln_share(g->N, tid, nt); n < kiln_share(g->N, tid + 1, nt); n++) {
    const float *gyn = jb->gy + n * O * Ho * Wo, *xn = jb->x + n * C * H * W;
    if (unpadded && kiln_all_finite(xn, C * H * W)) {
      for (int64_t o = 0; o < O; o++)
        for (int64_t oh = 0; oh < Ho; oh++) {
          float *dst = gyw + o * P + oh * W;
          memcpy(dst, gyn + (o * Ho + oh) * Wo, (size_t)Wo * sizeof(float));
          if (oh + 1 < Ho) memset(dst + Wo, 0, (size_t)(W - Wo) * sizeof(float));
        }
      wgrad_wide(g, gyw, P, xn, sums);
    } else {
      wgrad_rows(g, gyn, xn, sums);
    }
  }
}

/* Runs fn with threads taking whole images; returns the thread count used. */
static int run_images(kiln_task fn, direct_job *j, const kconv *g, int64_t flops) {
  int nt = kiln_get_num_threads();
  if (flops < (1 << 20)) nt = 1;
  if (nt > g->N) nt = (int)g->N;
  if (nt < 1) nt = 1;
  kiln_pool_acquire();
  kiln_parallel(fn, j, nt);
  kiln_pool_release();
  return nt;
}

void kiln_conv_direct_forward(const kconv *g, const float *x, const float *w, const float *bias,
                              float *out, float *work) {
  const int64_t C = g->C, O = g->O, O8 = ceil8(O), taps = g->kh * g->kw;
  float *wr = work;
  for (int64_t t = 0; t < C * taps; t++)
    for (int64_t o = 0; o < O8; o++) wr[t * O8 + o] = o < O ? w[o * C * taps + t] : 0.0f;
  direct_job j = {g, x, w, bias, NULL, out, NULL, NULL, NULL, wr, work + weight_floats(g),
                  thread_floats(g)};
  run_images(fwd_task, &j, g, 2 * g->N * O * C * taps * g->Ho * g->Wo);
}

int kiln_conv_direct_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                float *work) {
  const int64_t C = g->C, O = g->O, C8 = ceil8(C), kh = g->kh, kw = g->kw, taps = kh * kw;
  /* The wide rows multiply the output gradient's zero border by every weight: an infinite or
   * NaN weight would put NaN where no window reaches (0 · inf), so it is left to im2col. */
  if (!kiln_all_finite(w, O * C * taps)) return 0;
  float *wr = work;
  /* wr[((o*kh + i)*kw + j)*C8 + c] = w[o][c][kh-1-i][kw-1-j] */
  for (int64_t o = 0; o < O; o++)
    for (int64_t i = 0; i < kh; i++)
      for (int64_t jj = 0; jj < kw; jj++) {
        float *dst = wr + ((o * kh + i) * kw + jj) * C8;
        for (int64_t c = 0; c < C8; c++)
          dst[c] = c < C ? w[((o * C + c) * kh + kh - 1 - i) * kw + kw - 1 - jj] : 0.0f;
      }
  direct_job j = {g, NULL, w, NULL, gy, NULL, gx, NULL, NULL, wr, work + weight_floats(g),
                  thread_floats(g)};
  run_images(igrad_task, &j, g, 2 * g->N * O * C * taps * g->Ho * g->Wo);
  return 1;
}

void kiln_conv_direct_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                  float *work) {
  direct_job j = {g, x, NULL, NULL, gy, NULL, NULL, gw, NULL, NULL, work, wgrad_floats(g)};
  const int64_t T = g->C * g->kh * g->kw;
  const int nt = run_images(wgrad_task, &j, g, 2 * g->N * g->O * T * g->Ho * g->Wo);
  /* threads' sums in thread order, so a thread count always gives the same bits */
  const int64_t tt_n = (T + 3) / 4;
  for (int64_t o = 0; o < g->O; o++)
    for (int64_t t = 0; t < T; t++) {
      const int64_t at = (o / 4 * tt_n + t / 4) * 16 + t % 4 * 4 + o % 4;
      float v = work[at];
      for (int q = 1; q < nt; q++) v += work[q * j.per_thread + at];
      gw[o * T + t] = v;
    }
}

#else
void kiln_conv_direct_forward(const kconv *g, const float *x, const float *w, const float *bias,
                              float *out, float *work) {}
int kiln_conv_direct_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                float *work) {
  return 0;
}
void kiln_conv_direct_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                  float *work) {}
#endif

/* The bias gradient: per channel, images in order, each plane summed with eight running sums. */
void kiln_conv_bias_grad(const kconv *g, const float *gy, float *gb) {
  const int64_t L = g->Do * g->Ho * g->Wo;
  for (int64_t o = 0; o < g->O; o++) gb[o] = 0;
  for (int64_t n = 0; n < g->N; n++)
    for (int64_t o = 0; o < g->O; o++) {
      const float *s = gy + (n * g->O + o) * L;
      float r[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int64_t l = 0;
      for (; l + 8 <= L; l += 8)
        for (int q = 0; q < 8; q++) r[q] += s[l + q];
      float t = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; l < L; l++) t += s[l];
      gb[o] += t;
    }
}

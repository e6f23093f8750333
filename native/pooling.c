/* Float32 2-D and 3-D max and 2-D average pooling, forward and backward, with a 2x2 stride-2 max fast path
 * (max_pool_avx512.c takes that one on the AVX-512 path). Computes what the composition of
 * primitives in src/ops computes (the tests compare them). No allocation, no OS calls, no Node
 * here. */
#include <math.h>
#include <string.h>
#include "kiln.h"
#include "parallel.h"

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

/* maxpool_task over 3-D windows: per volume, taps in (depth, row, column) order; the same
 * first-maximum and NaN rules. arg = flat input position, -1 for padding. */
static void maxpool3d_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  const int64_t D = g->D, H = g->H, W = g->W, HW = H * W, P = D * HW;
  const int64_t Do = g->Do, Ho = g->Ho, Wo = g->Wo, L = Do * Ho * Wo;
  const int64_t kd = g->kd, kh = g->kh, kw = g->kw;
  const int64_t volumes = g->N * g->C;
  for (int64_t p = kiln_share(volumes, tid, nt); p < kiln_share(volumes, tid + 1, nt); p++) {
    const float *vol = j->x + p * P;
    float *o = j->out + p * L;
    int32_t *arg = j->arg + p * L;
    for (int64_t od = 0; od < Do; od++) {
      const int64_t d0 = od * g->sd - g->pd;
      for (int64_t oh = 0; oh < Ho; oh++) {
        const int64_t h0 = oh * g->sh - g->pt;
        for (int64_t ow = 0; ow < Wo; ow++) {
          const int64_t w0 = ow * g->sw - g->pl;
          float m = -INFINITY;
          int64_t at = -1;
          int first = 1;
          for (int64_t a = 0; a < kd; a++) {
            const int64_t d = d0 + a * g->dd;
            for (int64_t i = 0; i < kh; i++) {
              const int64_t h = h0 + i * g->dh;
              for (int64_t jj = 0; jj < kw; jj++) {
                const int64_t w = w0 + jj * g->dw;
                const int inside = d >= 0 && d < D && h >= 0 && h < H && w >= 0 && w < W;
                const float v = inside ? vol[(d * H + h) * W + w] : -INFINITY;
                const int64_t pos = inside ? (d * H + h) * W + w : -1;
                if (first) at = pos, first = 0;
                if (!(v <= m)) {
                  m = v;
                  at = pos;
                  if (v != v) goto done;
                }
              }
            }
          }
        done:;
          const int64_t l = (od * Ho + oh) * Wo + ow;
          o[l] = m;
          arg[l] = at < 0 ? -1 : (int32_t)(p * P + at);
        }
      }
    }
  }
}

static void maxpool_back_task(void *ctx, int tid, int nt) {
  const pool_job *j = (const pool_job *)ctx;
  const kconv *g = j->g;
  /* a plane here is one (n, c) volume: D x H x W in, Do x Ho x Wo out (D = Do = 1 in 2-D) */
  const int64_t planes = g->N * g->C, HW = g->D * g->H * g->W, L = g->Do * g->Ho * g->Wo;
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
typedef float v4f __attribute__((vector_size(16)));
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

void kiln_max_pool2d(const kconv *g, const float *x, float *out, int32_t *arg) {
  if (!kiln_conv_is_2d(g)) {
    pool_job j = {g, x, out, arg, NULL, 0, 0};
    run_pool(maxpool3d_task, &j, g->N * g->C * g->D * g->H * g->W);
    return;
  }
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
  if (kiln_conv_is_2d(g) && kiln_max_pool2x2_ok(g)) {
    kiln_max_pool2x2_backward(g, gy, arg, gx);
    return;
  }
  pool_job j = {g, gy, gx, NULL, arg, 0, 0};
  run_pool(maxpool_back_task, &j, g->N * g->C * g->D * g->H * g->W);
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

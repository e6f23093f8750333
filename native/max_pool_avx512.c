/* Max pooling over 2x2 windows with stride 2 (no padding, no dilation) on the AVX-512 path:
 * sixteen windows per step. Same results as maxpool2x2_task in pooling.c: window order (0,0),
 * (0,1), (1,0), (1,1), the first maximum wins, the first NaN wins, arg = flat input position.
 * The backward pass writes every input gradient once (windows do not overlap), so it needs no
 * zero fill and no scatter. No allocation, no OS calls, no Node here. */
#include <string.h>
#include "kiln.h"

#if defined(__x86_64__)
#include "avx512.h"
#define AVX512 KILN_AVX512_FN

typedef struct {
  const kconv *g;
  const float *x;
  float *out;
  int32_t *arg;
  const int32_t *carg;
} pool2_job;

/* One window, scalar, for windows holding a NaN. */
static void max2x2_one(const float *r0, const float *r1, int32_t base, int32_t W, float *o,
                       int32_t *a) {
  const float v[4] = {r0[0], r0[1], r1[0], r1[1]};
  const int32_t pos[4] = {base, base + 1, base + W, base + W + 1};
  float m = v[0];
  int32_t at = pos[0];
  for (int q = 0; q < 4; q++) {
    if (v[q] != v[q]) {
      m = v[q], at = pos[q];
      break;
    }
    if (v[q] > m) m = v[q], at = pos[q];
  }
  *o = m;
  *a = at;
}

AVX512 static void fwd_task(void *ctx, int tid, int nt) {
  const pool2_job *j = (const pool2_job *)ctx;
  const kconv *g = j->g;
  const int64_t W = g->W, Ho = g->Ho, Wo = g->Wo, HW = g->H * W, L = Ho * Wo;
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1)), step2 = even;
  const __m512i one = _mm512_set1_epi32(1), Wv = _mm512_set1_epi32((int32_t)W);
  for (int64_t p = kiln_share(g->N * g->C, tid, nt); p < kiln_share(g->N * g->C, tid + 1, nt); p++) {
    const float *plane = j->x + p * HW;
    for (int64_t oh = 0; oh < Ho; oh++) {
      const float *r0 = plane + 2 * oh * W, *r1 = r0 + W;
      float *o = j->out + p * L + oh * Wo;
      int32_t *a = j->arg + p * L + oh * Wo;
      const int32_t row = (int32_t)(p * HW + 2 * oh * W);
      for (int64_t ow = 0; ow < Wo; ow += 16) {
        const __mmask16 m = kiln_lanes(Wo - ow), m2 = kiln_lanes(2 * (Wo - ow) - 16);
        const __m512 a0 = _mm512_maskz_loadu_ps(kiln_lanes(2 * (Wo - ow)), r0 + 2 * ow);
        const __m512 a1 = _mm512_maskz_loadu_ps(m2, r0 + 2 * ow + 16);
        const __m512 b0 = _mm512_maskz_loadu_ps(kiln_lanes(2 * (Wo - ow)), r1 + 2 * ow);
        const __m512 b1 = _mm512_maskz_loadu_ps(m2, r1 + 2 * ow + 16);
        const __m512 v0 = _mm512_permutex2var_ps(a0, even, a1);
        const __m512 v1 = _mm512_permutex2var_ps(a0, odd, a1);
        const __m512 v2 = _mm512_permutex2var_ps(b0, even, b1);
        const __m512 v3 = _mm512_permutex2var_ps(b0, odd, b1);
        const __mmask16 nan = (_mm512_cmp_ps_mask(v0, v0, _CMP_UNORD_Q) |
                               _mm512_cmp_ps_mask(v1, v1, _CMP_UNORD_Q) |
                               _mm512_cmp_ps_mask(v2, v2, _CMP_UNORD_Q) |
                               _mm512_cmp_ps_mask(v3, v3, _CMP_UNORD_Q)) &
                              m;
        const __m512i base =
            _mm512_add_epi32(_mm512_set1_epi32(row + (int32_t)(2 * ow)), step2);
        __m512 mx = v0;
        __m512i at = base;
        __mmask16 gt = _mm512_cmp_ps_mask(v1, mx, _CMP_GT_OQ);
        mx = _mm512_mask_mov_ps(mx, gt, v1);
        at = _mm512_mask_mov_epi32(at, gt, _mm512_add_epi32(base, one));
        gt = _mm512_cmp_ps_mask(v2, mx, _CMP_GT_OQ);
        mx = _mm512_mask_mov_ps(mx, gt, v2);
        at = _mm512_mask_mov_epi32(at, gt, _mm512_add_epi32(base, Wv));
        gt = _mm512_cmp_ps_mask(v3, mx, _CMP_GT_OQ);
        mx = _mm512_mask_mov_ps(mx, gt, v3);
        at = _mm512_mask_mov_epi32(at, gt, _mm512_add_epi32(_mm512_add_epi32(base, Wv), one));
        _mm512_mask_storeu_ps(o + ow, m, mx);
        _mm512_mask_storeu_epi32(a + ow, m, at);
        for (int q = 0; nan && q < 16; q++)
          if (nan >> q & 1) {
            const int64_t w = 2 * (ow + q);
            max2x2_one(r0 + w, r1 + w, row + (int32_t)w, (int32_t)W, o + ow + q, a + ow + q);
          }
      }
    }
  }
}

/* gx over each window: gy at the window's arg, +0 at its other three positions; rows and
 * columns past the last window (odd H or W) get +0. gy + 0 turns -0 into +0 as the scatter's
 * 0 + gy does. */
AVX512 static void bwd_task(void *ctx, int tid, int nt) {
  const pool2_job *j = (const pool2_job *)ctx;
  const kconv *g = j->g;
  const int64_t H = g->H, W = g->W, Ho = g->Ho, Wo = g->Wo, HW = H * W, L = Ho * Wo;
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i step2 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i one = _mm512_set1_epi32(1), Wv = _mm512_set1_epi32((int32_t)W);
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t p = kiln_share(g->N * g->C, tid, nt); p < kiln_share(g->N * g->C, tid + 1, nt); p++) {
    float *plane = j->out + p * HW;
    for (int64_t oh = 0; oh < Ho; oh++) {
      float *r0 = plane + 2 * oh * W, *r1 = r0 + W;
      const float *gy = j->x + p * L + oh * Wo;
      const int32_t *a = j->carg + p * L + oh * Wo;
      const int32_t row = (int32_t)(p * HW + 2 * oh * W);
      for (int64_t ow = 0; ow < Wo; ow += 16) {
        const __mmask16 m = kiln_lanes(Wo - ow);
        const __m512 gv = _mm512_add_ps(_mm512_maskz_loadu_ps(m, gy + ow), zero);
        const __m512i at = _mm512_maskz_loadu_epi32(m, a + ow);
        const __m512i base =
            _mm512_add_epi32(_mm512_set1_epi32(row + (int32_t)(2 * ow)), step2);
        const __m512 e0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, base), gv);
        const __m512 e1 =
            _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(base, one)), gv);
        const __m512i bw = _mm512_add_epi32(base, Wv);
        const __m512 e2 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, bw), gv);
        const __m512 e3 =
            _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(at, _mm512_add_epi32(bw, one)), gv);
        /* interleave (e0, e1) into row 0 and (e2, e3) into row 1: 2 * (Wo - ow) columns */
        const __mmask16 s0 = kiln_lanes(2 * (Wo - ow)), s1 = kiln_lanes(2 * (Wo - ow) - 16);
        _mm512_mask_storeu_ps(r0 + 2 * ow, s0, _mm512_permutex2var_ps(e0, lo, e1));
        _mm512_mask_storeu_ps(r0 + 2 * ow + 16, s1, _mm512_permutex2var_ps(e0, hi, e1));
        _mm512_mask_storeu_ps(r1 + 2 * ow, s0, _mm512_permutex2var_ps(e2, lo, e3));
        _mm512_mask_storeu_ps(r1 + 2 * ow + 16, s1, _mm512_permutex2var_ps(e2, hi, e3));
      }
      if (2 * Wo < W) {
        memset(r0 + 2 * Wo, 0, (size_t)(W - 2 * Wo) * sizeof(float));
        memset(r1 + 2 * Wo, 0, (size_t)(W - 2 * Wo) * sizeof(float));
      }
    }
    if (2 * Ho < H) memset(plane + 2 * Ho * W, 0, (size_t)((H - 2 * Ho) * W) * sizeof(float));
  }
}

static void run(kiln_task fn, pool2_job *j) {
  const kconv *g = j->g;
  int nt = kiln_get_num_threads();
  if (g->N * g->C * g->H * g->W < (1 << 16)) nt = 1;
  if (nt > g->N * g->C) nt = (int)(g->N * g->C);
  kiln_pool_acquire();
  kiln_parallel(fn, j, nt < 1 ? 1 : nt);
  kiln_pool_release();
}

int kiln_max_pool2x2_ok(const kconv *g) {
  return kiln_cpu_path() == KILN_AVX512 && kiln_conv_is_2d(g) && g->kh == 2 && g->kw == 2 && g->sh == 2 &&
         g->sw == 2 && g->dh == 1 && g->dw == 1 && g->pt == 0 && g->pl == 0 &&
         2 * g->Ho <= g->H && 2 * g->Wo <= g->W;
}

void kiln_max_pool2x2(const kconv *g, const float *x, float *out, int32_t *arg) {
  pool2_job j = {g, x, out, arg, NULL};
  run(fwd_task, &j);
}

void kiln_max_pool2x2_backward(const kconv *g, const float *gy, const int32_t *arg, float *gx) {
  pool2_job j = {g, gy, gx, NULL, arg};
  run(bwd_task, &j);
}
#else
int kiln_max_pool2x2_ok(const kconv *g) {
  (void)g;
  return 0;
}
void kiln_max_pool2x2(const kconv *g, const float *x, float *out, int32_t *arg) {}
void kiln_max_pool2x2_backward(const kconv *g, const float *gy, const int32_t *arg, float *gx) {}
#endif

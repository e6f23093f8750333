/* Fused float32 kernels for the linear layer and the relu gradient: x·Wᵀ + b forward and its
 * three gradients through the GEMM of gemm.c, and relu's backward in one pass. Each computes what
 * the composition of primitives in src/ops computes (the tests compare them). No allocation, no
 * OS calls, no Node here. */
#include <string.h>
#include "kiln.h"

/* out[M, N] = x[M, K] · w[N, K]ᵀ, then + bias[N] (rounded as matmul then add): the NT kernel
 * reads the weight's rows in place, or the GEMM packs the transposed weight. */
void kiln_linear(int64_t M, int64_t K, int64_t N, const float *x, const float *w,
                 const float *bias, float *out) {
  if (kiln_sgemm_nt_rows(M, K, N, x, K, w, K, bias, out)) return;
  const int64_t sa[3] = {M * K, K, 1}, sb[3] = {N * K, 1, K};
  kiln_matmul(KD_F32, 1, M, K, N, x, sa, w, sb, out);
  if (bias == NULL) return;
  for (int64_t m = 0; m < M; m++) {
    float *o = out + m * N;
    for (int64_t n = 0; n < N; n++) o[n] = o[n] + bias[n];
  }
}

/* gx[M, K] = g·w, gw[N, K] = gᵀ·x, gb[N] = Σ_m g[m, :]; null outputs are skipped. */
void kiln_linear_backward(int64_t M, int64_t K, int64_t N, const float *g, const float *x,
                          const float *w, float *gx, float *gw, float *gb) {
  if (gx != NULL) {
    const int64_t sa[3] = {M * N, N, 1}, sb[3] = {N * K, K, 1};
    kiln_matmul(KD_F32, 1, M, N, K, g, sa, w, sb, gx);
  }
  if (gw != NULL) {
    const int64_t sa[3] = {M * N, 1, N}, sb[3] = {M * K, K, 1};
    kiln_matmul(KD_F32, 1, N, M, K, g, sa, x, sb, gw);
  }
  if (gb != NULL) {
    for (int64_t n = 0; n < N; n++) gb[n] = 0;
    for (int64_t m = 0; m < M; m++) {
      const float *gr = g + m * N;
      for (int64_t n = 0; n < N; n++) gb[n] += gr[n];
    }
  }
}

/* gx = g·[y > 0], written as the composition rounds it: g·1 = g, g·0 = ±0 (NaN for ±inf, NaN). */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));

/* Four lanes at a time with a bit mask (a branch per element mispredicts on real data). */
static void relu_back_v4(int64_t n, const float *y, const float *g, float *gx) {
  int64_t i = 0;
  const v4f zero = {0, 0, 0, 0};
  for (; i + 4 <= n; i += 4) {
    v4f yv, gv;
    memcpy(&yv, y + i, sizeof yv);
    memcpy(&gv, g + i, sizeof gv);
    const v4i keep = yv > zero;
    const v4f z = gv * zero;
    const v4i r = ((v4i)gv & keep) | ((v4i)z & ~keep);
    memcpy(gx + i, &r, sizeof r);
  }
  for (; i < n; i++) gx[i] = y[i] > 0 ? g[i] : g[i] * 0.0f;
}

#if defined(__x86_64__)
#include "avx512.h"
/* Sixteen lanes with a compare mask: the same selects as relu_back_v4. */
KILN_AVX512_FN static void relu_back_avx512(int64_t n, const float *y,
                                                                const float *g, float *gx) {
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = kiln_lanes(n - i);
    const __m512 yv = _mm512_maskz_loadu_ps(m, y + i), gv = _mm512_maskz_loadu_ps(m, g + i);
    const __mmask16 keep = _mm512_cmp_ps_mask(yv, zero, _CMP_GT_OQ);
    _mm512_mask_storeu_ps(gx + i, m, _mm512_mask_mov_ps(_mm512_mul_ps(gv, zero), keep, gv));
  }
}
#endif

typedef struct {
  int64_t n;
  const float *y, *g;
  float *gx;
} relu_job;

static void relu_back_task(void *ctx, int tid, int nt) {
  const relu_job *j = (const relu_job *)ctx;
  /* shares in whole cache lines */
  const int64_t lines = (j->n + 15) / 16, lo = lines * tid / nt * 16;
  int64_t hi = lines * (tid + 1) / nt * 16;
  if (hi > j->n) hi = j->n;
  if (lo >= hi) return;
#if defined(__x86_64__)
  if (kiln_cpu_path() == KILN_AVX512) {
    relu_back_avx512(hi - lo, j->y + lo, j->g + lo, j->gx + lo);
    return;
  }
#endif
  relu_back_v4(hi - lo, j->y + lo, j->g + lo, j->gx + lo);
}

/* Memory-bound: from 2^17 elements both cores share it. */
void kiln_relu_backward(int64_t n, const float *y, const float *g, float *gx) {
  relu_job j = {n, y, g, gx};
  int nt = kiln_get_num_threads();
  if (n < ((int64_t)1 << 17)) nt = 1;
  kiln_pool_acquire();
  kiln_parallel(relu_back_task, &j, nt);
  kiln_pool_release();
}

/* GEMM microkernels for the portable, AVX2+FMA and AVX-512 paths. */
#include "gemm_kernels.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ---- portable: GCC vector extensions, 4 x 16 floats / 4 x 8 doubles ---- */
typedef float v4f __attribute__((vector_size(16)));
typedef double v2d __attribute__((vector_size(16)));

static void sukr_portable(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c,
                          int64_t ldc, int acc) {
  v4f r[4][4] = {{{0}}};
  for (int64_t k = 0; k < kc; k++) {
    v4f bv[4];
    __builtin_memcpy(bv, b + k * ldb, sizeof bv);
    for (int i = 0; i < 4; i++) {
      float av = ap[k * 4 + i];
      for (int j = 0; j < 4; j++) r[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < 4; i++) {
    v4f cv[4];
    if (acc) {
      __builtin_memcpy(cv, c + i * ldc, sizeof cv);
      for (int j = 0; j < 4; j++) cv[j] += r[i][j];
    } else {
      for (int j = 0; j < 4; j++) cv[j] = r[i][j];
    }
    __builtin_memcpy(c + i * ldc, cv, sizeof cv);
  }
}

static void dukr_portable(int64_t kc, const double *ap, const double *b, int64_t ldb, double *c,
                          int64_t ldc, int acc) {
  v2d r[4][4] = {{{0}}};
  for (int64_t k = 0; k < kc; k++) {
    v2d bv[4];
    __builtin_memcpy(bv, b + k * ldb, sizeof bv);
    for (int i = 0; i < 4; i++) {
      double av = ap[k * 4 + i];
      for (int j = 0; j < 4; j++) r[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < 4; i++) {
    v2d cv[4];
    if (acc) {
      __builtin_memcpy(cv, c + i * ldc, sizeof cv);
      for (int j = 0; j < 4; j++) cv[j] += r[i][j];
    } else {
      for (int j = 0; j < 4; j++) cv[j] = r[i][j];
    }
    __builtin_memcpy(c + i * ldc, cv, sizeof cv);
  }
}

#if defined(__x86_64__)
/* ---- AVX2 + FMA: 6 x 16 floats / 6 x 8 doubles (12 accumulators) ---- */
#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static void sukr_avx2(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c,
                           int64_t ldc, int acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a;
#define ROW(i)                                  \
  a = _mm256_broadcast_ss(ap + i);              \
  c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);    \
  c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
    ap += 6;
    b += ldb;
  }
#define OUT(i)                                                                        \
  if (acc) {                                                                          \
    c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(c + i * ldc));                   \
    c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(c + i * ldc + 8));               \
  }                                                                                   \
  _mm256_storeu_ps(c + i * ldc, c##i##0);                                             \
  _mm256_storeu_ps(c + i * ldc + 8, c##i##1);
  OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5)
#undef OUT
}

AVX2 static void dukr_avx2(int64_t kc, const double *ap, const double *b, int64_t ldb,
                           double *c, int64_t ldc, int acc) {
  __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t k = 0; k < kc; k++) {
    const __m256d b0 = _mm256_loadu_pd(b), b1 = _mm256_loadu_pd(b + 4);
    __m256d a;
#define ROW(i)                                  \
  a = _mm256_broadcast_sd(ap + i);              \
  c##i##0 = _mm256_fmadd_pd(a, b0, c##i##0);    \
  c##i##1 = _mm256_fmadd_pd(a, b1, c##i##1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
    ap += 6;
    b += ldb;
  }
#define OUT(i)                                                                        \
  if (acc) {                                                                          \
    c##i##0 = _mm256_add_pd(c##i##0, _mm256_loadu_pd(c + i * ldc));                   \
    c##i##1 = _mm256_add_pd(c##i##1, _mm256_loadu_pd(c + i * ldc + 4));               \
  }                                                                                   \
  _mm256_storeu_pd(c + i * ldc, c##i##0);                                             \
  _mm256_storeu_pd(c + i * ldc + 4, c##i##1);
  OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5)
#undef OUT
}

/* ---- AVX-512: 8 x 32 floats / 8 x 16 doubles (16 accumulators, embedded broadcasts) ---- */
#define AVX512 __attribute__((target("avx512f")))

AVX512 static void sukr_avx512(int64_t kc, const float *ap, const float *b, int64_t ldb,
                               float *c, int64_t ldc, int acc) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
         c61 = c00, c70 = c00, c71 = c00;
  for (int64_t k = 0; k < kc; k++) {
    const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
    __m512 a;
#define ROW(i)                                  \
  a = _mm512_set1_ps(ap[i]);                    \
  c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0);    \
  c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    ap += 8;
    b += ldb;
  }
#define OUT(i)                                                                        \
  if (acc) {                                                                          \
    c##i##0 = _mm512_add_ps(c##i##0, _mm512_loadu_ps(c + i * ldc));                   \
    c##i##1 = _mm512_add_ps(c##i##1, _mm512_loadu_ps(c + i * ldc + 16));              \
  }                                                                                   \
  _mm512_storeu_ps(c + i * ldc, c##i##0);                                             \
  _mm512_storeu_ps(c + i * ldc + 16, c##i##1);
  OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5) OUT(6) OUT(7)
#undef OUT
}

AVX512 static void dukr_avx512(int64_t kc, const double *ap, const double *b, int64_t ldb,
                               double *c, int64_t ldc, int acc) {
  __m512d c00 = _mm512_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
          c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00,
          c61 = c00, c70 = c00, c71 = c00;
  for (int64_t k = 0; k < kc; k++) {
    const __m512d b0 = _mm512_loadu_pd(b), b1 = _mm512_loadu_pd(b + 8);
    __m512d a;
#define ROW(i)                                  \
  a = _mm512_set1_pd(ap[i]);                    \
  c##i##0 = _mm512_fmadd_pd(a, b0, c##i##0);    \
  c##i##1 = _mm512_fmadd_pd(a, b1, c##i##1);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    ap += 8;
    b += ldb;
  }
#define OUT(i)                                                                        \
  if (acc) {                                                                          \
    c##i##0 = _mm512_add_pd(c##i##0, _mm512_loadu_pd(c + i * ldc));                   \
    c##i##1 = _mm512_add_pd(c##i##1, _mm512_loadu_pd(c + i * ldc + 8));               \
  }                                                                                   \
  _mm512_storeu_pd(c + i * ldc, c##i##0);                                             \
  _mm512_storeu_pd(c + i * ldc + 8, c##i##1);
  OUT(0) OUT(1) OUT(2) OUT(3) OUT(4) OUT(5) OUT(6) OUT(7)
#undef OUT
}

/* n <= 16 columns: one masked vector per row of C, 8 rows at a time. */
AVX512 static void narrow_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t sam,
                                 int64_t sak, const float *bp, float *c, int64_t ldc) {
  const __mmask16 mask = (__mmask16)((1u << n) - 1u);
  int64_t i = 0;
  for (; i + 8 <= m; i += 8) {
    __m512 r0 = _mm512_setzero_ps(), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0,
           r7 = r0;
    const float *ar = a + i * sam;
    for (int64_t p = 0; p < k; p++) {
      const __m512 bv = _mm512_load_ps(bp + p * 16);
      const float *ak = ar + p * sak;
      r0 = _mm512_fmadd_ps(_mm512_set1_ps(ak[0]), bv, r0);
      r1 = _mm512_fmadd_ps(_mm512_set1_ps(ak[sam]), bv, r1);
      r2 = _mm512_fmadd_ps(_mm512_set1_ps(ak[2 * sam]), bv, r2);
      r3 = _mm512_fmadd_ps(_mm512_set1_ps(ak[3 * sam]), bv, r3);
      r4 = _mm512_fmadd_ps(_mm512_set1_ps(ak[4 * sam]), bv, r4);
      r5 = _mm512_fmadd_ps(_mm512_set1_ps(ak[5 * sam]), bv, r5);
      r6 = _mm512_fmadd_ps(_mm512_set1_ps(ak[6 * sam]), bv, r6);
      r7 = _mm512_fmadd_ps(_mm512_set1_ps(ak[7 * sam]), bv, r7);
    }
    float *cr = c + i * ldc;
    _mm512_mask_storeu_ps(cr, mask, r0);
    _mm512_mask_storeu_ps(cr + ldc, mask, r1);
    _mm512_mask_storeu_ps(cr + 2 * ldc, mask, r2);
    _mm512_mask_storeu_ps(cr + 3 * ldc, mask, r3);
    _mm512_mask_storeu_ps(cr + 4 * ldc, mask, r4);
    _mm512_mask_storeu_ps(cr + 5 * ldc, mask, r5);
    _mm512_mask_storeu_ps(cr + 6 * ldc, mask, r6);
    _mm512_mask_storeu_ps(cr + 7 * ldc, mask, r7);
  }
  for (; i < m; i++) {
    __m512 r = _mm512_setzero_ps();
    const float *ar = a + i * sam;
    for (int64_t p = 0; p < k; p++)
      r = _mm512_fmadd_ps(_mm512_set1_ps(ar[p * sak]), _mm512_load_ps(bp + p * 16), r);
    _mm512_mask_storeu_ps(c + i * ldc, mask, r);
  }
}
#endif

sgemm_path kiln_sgemm_path(int cpu) {
#if defined(__x86_64__)
  if (cpu == KILN_AVX512) return (sgemm_path){8, 32, sukr_avx512};
  if (cpu == KILN_AVX2) return (sgemm_path){6, 16, sukr_avx2};
#endif
  (void)cpu;
  return (sgemm_path){4, 16, sukr_portable};
}

dgemm_path kiln_dgemm_path(int cpu) {
#if defined(__x86_64__)
  if (cpu == KILN_AVX512) return (dgemm_path){8, 16, dukr_avx512};
  if (cpu == KILN_AVX2) return (dgemm_path){6, 8, dukr_avx2};
#endif
  (void)cpu;
  return (dgemm_path){4, 8, dukr_portable};
}

int kiln_sgemm_narrow(int cpu, int64_t m, int64_t n, int64_t k, const float *a, int64_t sam,
                      int64_t sak, const float *bp, float *c, int64_t ldc) {
#if defined(__x86_64__)
  if (cpu == KILN_AVX512 && n <= 16) {
    narrow_avx512(m, n, k, a, sam, sak, bp, c, ldc);
    return 1;
  }
#endif
  (void)cpu, (void)m, (void)n, (void)k, (void)a, (void)sam, (void)sak, (void)bp, (void)c,
      (void)ldc;
  return 0;
}

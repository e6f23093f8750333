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

#if defined(__wasm_simd128__)
/* ---- WebAssembly SIMD128 (wasm/kiln.wasm only): 4 x 8 floats. Engines map 128-bit SIMD onto
 * 16 vector registers and wasm has no FMA: the 4 x 16 portable tile spills there. Measured in
 * Node 20 (V8) on the AVX-512 machine, 1024^3 GFLOP/s: 4x8 ~27, 2x16 ~26, 3x8 ~25, 6x8 ~23,
 * 4x16 ~22, 8x8 ~19 (k unrolling: no gain). Each c[i][j] sums its k terms in the same order as
 * every portable tile, so results equal the native portable path bitwise. */
#define WASM_MR 4
#define WASM_NR 8
#define WASM_NV (WASM_NR / 4)
static void sukr_wasm(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c,
                      int64_t ldc, int acc) {
  v4f r[WASM_MR][WASM_NV] = {{{0}}};
  for (int64_t k = 0; k < kc; k++) {
    v4f bv[WASM_NV];
    __builtin_memcpy(bv, b + k * ldb, sizeof bv);
    for (int i = 0; i < WASM_MR; i++) {
      float av = ap[k * WASM_MR + i];
      for (int j = 0; j < WASM_NV; j++) r[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < WASM_MR; i++) {
    v4f cv[WASM_NV];
    if (acc) {
      __builtin_memcpy(cv, c + i * ldc, sizeof cv);
      for (int j = 0; j < WASM_NV; j++) cv[j] += r[i][j];
    } else {
      for (int j = 0; j < WASM_NV; j++) cv[j] = r[i][j];
    }
    __builtin_memcpy(c + i * ldc, cv, sizeof cv);
  }
}

/* Doubles: 4 x 4 (2 doubles a vector), the same summation order as dukr_portable. Measured as
 * above, 1024^3 GFLOP/s: 4x4 ~13, 2x8 ~13, 4x8 (the portable tile) ~11, 6x4 ~11. */
#define DWASM_MR 4
#define DWASM_NR 4
#define DWASM_NV (DWASM_NR / 2)
static void dukr_wasm(int64_t kc, const double *ap, const double *b, int64_t ldb, double *c,
                      int64_t ldc, int acc) {
  v2d r[DWASM_MR][DWASM_NV] = {{{0}}};
  for (int64_t k = 0; k < kc; k++) {
    v2d bv[DWASM_NV];
    __builtin_memcpy(bv, b + k * ldb, sizeof bv);
    for (int i = 0; i < DWASM_MR; i++) {
      double av = ap[k * DWASM_MR + i];
      for (int j = 0; j < DWASM_NV; j++) r[i][j] += av * bv[j];
    }
  }
  for (int i = 0; i < DWASM_MR; i++) {
    v2d cv[DWASM_NV];
    if (acc) {
      __builtin_memcpy(cv, c + i * ldc, sizeof cv);
      for (int j = 0; j < DWASM_NV; j++) cv[j] += r[i][j];
    } else {
      for (int j = 0; j < DWASM_NV; j++) cv[j] = r[i][j];
    }
    __builtin_memcpy(c + i * ldc, cv, sizeof cv);
  }
}
#endif

#if defined(__x86_64__)
/* ---- AVX2 + FMA: 6 x 16 floats / 6 x 8 doubles (12 accumulators) ---- */
#define AVX2 __attribute__((target("avx2,fma")))

/* The float kernels' steps for row i of the tile: two FMAs per k, and the store of the row
 * (added to c with acc). */
#define SROW(i)                                 \
  a = _mm256_broadcast_ss(ap + i);              \
  c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0);    \
  c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1);
#define SOUT(i)                                                                       \
  if (acc) {                                                                          \
    c##i##0 = _mm256_add_ps(c##i##0, _mm256_loadu_ps(c + i * ldc));                   \
    c##i##1 = _mm256_add_ps(c##i##1, _mm256_loadu_ps(c + i * ldc + 8));               \
  }                                                                                   \
  _mm256_storeu_ps(c + i * ldc, c##i##0);                                             \
  _mm256_storeu_ps(c + i * ldc + 8, c##i##1);

/* The tile's rows of C are fetched while the products run: C is read (acc) or written once per
 * call, and a tile of a large C (rows a page apart) misses every cache level. */
#define PREFETCH_C(rows, bytes)                                                      \
  for (int i = 0; i < rows; i++) {                                                   \
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);                          \
    _mm_prefetch((const char *)(c + i * ldc) + bytes - 1, _MM_HINT_T0);              \
  }

AVX2 static void sukr_avx2(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c,
                           int64_t ldc, int acc) {
  PREFETCH_C(6, 64)
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a;
    SROW(0) SROW(1) SROW(2) SROW(3) SROW(4) SROW(5)
    ap += 6;
    b += ldb;
  }
  SOUT(0) SOUT(1) SOUT(2) SOUT(3) SOUT(4) SOUT(5)
}

/* 4 x 16 floats (8 accumulators), for products of few rows (8, 4, 2...), where the 6-row tile
 * would multiply up to a third of zero padding. */
AVX2 static void sukr_avx2_4x16(int64_t kc, const float *ap, const float *b, int64_t ldb,
                                float *c, int64_t ldc, int acc) {
  PREFETCH_C(4, 64)
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
         c30 = c00, c31 = c00;
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a;
    SROW(0) SROW(1) SROW(2) SROW(3)
    ap += 4;
    b += ldb;
  }
  SOUT(0) SOUT(1) SOUT(2) SOUT(3)
}
#undef SROW
#undef SOUT

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

/* ---- NT products, c = a·bᵀ with rows of a and b both contiguous in k (AVX-512) ----
 * Dot-product form: each accumulator holds 16 partial sums over k of one (row of a, row of b)
 * pair, so a transposed weight is read in place instead of packed. A 4 x 4 tile of them is
 * reduced at the end in one transpose-add tree (45 shuffles/adds for 16 sums). */

/* Sums of v[0..15] with lane i*4 + j of the result holding the sum of v[4j + i]. */
AVX512 static inline __m512 nt_reduce16(const __m512 *v) {
  __m512 s[8], u[4], w[2];
  for (int q = 0; q < 8; q++)
    s[q] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0xEE));
  for (int r = 0; r < 4; r++)
    u[r] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * r], s[2 * r + 1], 0x88),
                         _mm512_shuffle_f32x4(s[2 * r], s[2 * r + 1], 0xDD));
  for (int t = 0; t < 2; t++)
    w[t] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * t], u[2 * t + 1], 0x44),
                         _mm512_shuffle_ps(u[2 * t], u[2 * t + 1], 0xEE));
  return _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], 0x88), _mm512_shuffle_ps(w[0], w[1], 0xDD));
}

/* Sums of v[0..7] with lanes 4i and 4i + 2 of the result holding the sums of v[i], v[4 + i]. */
AVX512 static inline __m512 nt_reduce8(const __m512 *v) {
  __m512 s[4], u[2];
  for (int q = 0; q < 4; q++)
    s[q] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * q], v[2 * q + 1], 0xEE));
  for (int r = 0; r < 2; r++)
    u[r] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * r], s[2 * r + 1], 0x88),
                         _mm512_shuffle_f32x4(s[2 * r], s[2 * r + 1], 0xDD));
  const __m512 w = _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], 0x44),
                                 _mm512_shuffle_ps(u[0], u[1], 0xEE));
  return _mm512_add_ps(w, _mm512_shuffle_ps(w, w, 0xB1));
}

/* Two floats into the low half (__m128i loads may alias anything). */
AVX512 static inline __m128 nt_load2(const float *p) {
  return _mm_castsi128_ps(_mm_loadl_epi64((const __m128i *)p));
}

/* One tile: c[rows x cols] (+)= a[rows x k]·b[cols x k]ᵀ (+ bias), rows <= 4, cols <= 6:
 * 24 accumulators, 10 loads per 24 FMAs (the loads, not the FMAs, bound a 4 x 4 tile). Short
 * tiles repeat their last row (computed, never stored) so the loop stays branch-free. */
AVX512 static void nt_tile(int64_t k, const float *a, int64_t lda, int rows, const float *b,
                           int64_t ldb, int cols, float *c, int64_t ldc, int acc,
                           const float *bias) {
  const float *a0 = a, *a1 = a + (rows > 1 ? lda : 0), *a2 = a + (rows > 2 ? 2 * lda : 0),
              *a3 = a + (rows > 3 ? 3 * lda : 0);
  const float *bq[6];
  for (int q = 0; q < 6; q++) bq[q] = b + (q < cols ? q : cols - 1) * ldb;
  /* vji accumulates row i of a against row j of b: named variables, not an array, which GCC
   * would keep (and clear) in memory around the loop. */
  __m512 v00 = _mm512_setzero_ps(), v01 = v00, v02 = v00, v03 = v00, v10 = v00, v11 = v00,
         v12 = v00, v13 = v00, v20 = v00, v21 = v00, v22 = v00, v23 = v00, v30 = v00, v31 = v00,
         v32 = v00, v33 = v00, v40 = v00, v41 = v00, v42 = v00, v43 = v00, v50 = v00, v51 = v00,
         v52 = v00, v53 = v00;
  int64_t p = 0;
#define NT_COL(j, LOAD)                      \
  {                                          \
    const __m512 y = LOAD(bq[j] + p);        \
    v##j##0 = _mm512_fmadd_ps(x0, y, v##j##0); \
    v##j##1 = _mm512_fmadd_ps(x1, y, v##j##1); \
    v##j##2 = _mm512_fmadd_ps(x2, y, v##j##2); \
    v##j##3 = _mm512_fmadd_ps(x3, y, v##j##3); \
  }
#define NT_STEP(LOAD)                                                     \
  {                                                                       \
    const __m512 x0 = LOAD(a0 + p), x1 = LOAD(a1 + p), x2 = LOAD(a2 + p), \
                 x3 = LOAD(a3 + p);                                       \
    NT_COL(0, LOAD) NT_COL(1, LOAD) NT_COL(2, LOAD) NT_COL(3, LOAD)       \
    NT_COL(4, LOAD) NT_COL(5, LOAD)                                       \
  }
  /* Every step loads through a mask, full but for the k tail: one loop, no tail copy of the
   * FMAs, so the accumulators never leave registers. */
  for (; p < k; p += 16) {
    const __mmask16 m = k - p >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - p)) - 1u);
#define NT_MLOAD(ptr) _mm512_maskz_loadu_ps(m, ptr)
    NT_STEP(NT_MLOAD)
#undef NT_MLOAD
  }
#undef NT_STEP
#undef NT_COL
  /* Columns 0-3: lane 4i + j holds row i against row j; columns 4-5: lanes 4i and 4i + 2. */
  const __m512 s03[16] = {v00, v01, v02, v03, v10, v11, v12, v13,
                          v20, v21, v22, v23, v30, v31, v32, v33};
  const __m512 s45[8] = {v40, v41, v42, v43, v50, v51, v52, v53};
  const __m512 r03 = nt_reduce16(s03), r45 = nt_reduce8(s45);
  if (rows == 4 && cols == 6) {
    /* Whole tiles store through vectors: per row, 4 sums and then 2 (lanes 4i, 4i + 2 moved
     * next to each other); c = (c +) sum, then + bias, as in the scalar path below. */
    const __m512 r45p = _mm512_permute_ps(r45, 0x08);
    const __m128 b03 = bias != NULL ? _mm_loadu_ps(bias) : _mm_setzero_ps();
    const __m128 b45 = bias != NULL ? nt_load2(bias + 4) : _mm_setzero_ps();
#define NT_ROW(i)                                                                   \
  {                                                                                 \
    float *cr = c + i * ldc;                                                        \
    __m128 x = _mm512_extractf32x4_ps(r03, i), y = _mm512_extractf32x4_ps(r45p, i); \
    if (acc) {                                                                      \
      x = _mm_add_ps(_mm_loadu_ps(cr), x);                                          \
      y = _mm_add_ps(nt_load2(cr + 4), y);                                          \
    }                                                                               \
    if (bias != NULL) {                                                             \
      x = _mm_add_ps(x, b03);                                                       \
      y = _mm_add_ps(y, b45);                                                       \
    }                                                                               \
    _mm_storeu_ps(cr, x);                                                           \
    _mm_storel_epi64((__m128i *)(cr + 4), _mm_castps_si128(y));                     \
  }
    NT_ROW(0) NT_ROW(1) NT_ROW(2) NT_ROW(3)
#undef NT_ROW
    return;
  }
  float lo[16], hi[16];
  _mm512_storeu_ps(lo, r03);
  _mm512_storeu_ps(hi, r45);
  /* c = (c +) sum, then + bias, rounded as matmul then add. */
  for (int i = 0; i < rows; i++) {
    float *cr = c + i * ldc;
    const float sums[6] = {lo[4 * i], lo[4 * i + 1], lo[4 * i + 2], lo[4 * i + 3], hi[4 * i],
                           hi[4 * i + 2]};
    for (int j = 0; j < cols; j++) {
      const float x = acc ? cr[j] + sums[j] : sums[j];
      cr[j] = bias != NULL ? x + bias[j] : x;
    }
  }
}

/* Each 4-row block of a against every 6-row block of b (b stays in L2 across the blocks of a).
 * A batch usually comes from DRAM: each block of a is read from memory once, and the next
 * block is requested while this one is multiplied. */
AVX512 static void nt_avx512(int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                             const float *b, int64_t ldb, float *c, int64_t ldc, int acc,
                             const float *bias) {
  for (int64_t i = 0; i < m; i += 4) {
    const int rows = m - i < 4 ? (int)(m - i) : 4;
    if (i + 4 < m) {
      const int next = m - i - 4 < 4 ? (int)(m - i - 4) : 4;
      for (int r = 0; r < next; r++)
        for (int64_t q = 0; q < k * (int64_t)sizeof(float); q += 64)
          _mm_prefetch((const char *)(a + (i + 4 + r) * lda) + q, _MM_HINT_T0);
    }
    for (int64_t j = 0; j < n; j += 6) {
      const int cols = n - j < 6 ? (int)(n - j) : 6;
      nt_tile(k, a + i * lda, lda, rows, b + j * ldb, ldb, cols, c + i * ldc + j, ldc, acc,
              bias != NULL ? bias + j : NULL);
    }
  }
}
#endif

sgemm_path kiln_sgemm_path(int cpu) {
#if defined(__x86_64__)
  if (cpu == KILN_AVX512) return (sgemm_path){8, 32, sukr_avx512};
  if (cpu == KILN_AVX2) return (sgemm_path){6, 16, sukr_avx2};
#endif
#if defined(__wasm_simd128__)
  return (sgemm_path){WASM_MR, WASM_NR, sukr_wasm};
#endif
  (void)cpu;
  return (sgemm_path){4, 16, sukr_portable};
}

sgemm_path kiln_sgemm_path_rows(int cpu, int64_t m) {
#if defined(__x86_64__)
  /* the 4-row tile where it pads fewer rows than the 6-row one (m = 1, 2, 4, 7, 8) */
  if (cpu == KILN_AVX2 && m <= 12 && (m + 3) / 4 * 4 - m < (m + 5) / 6 * 6 - m)
    return (sgemm_path){4, 16, sukr_avx2_4x16};
#endif
  return kiln_sgemm_path(cpu);
}

dgemm_path kiln_dgemm_path_rows(int cpu, int64_t m) {
  (void)m;
  return kiln_dgemm_path(cpu);
}

dgemm_path kiln_dgemm_path(int cpu) {
#if defined(__x86_64__)
  if (cpu == KILN_AVX512) return (dgemm_path){8, 16, dukr_avx512};
  if (cpu == KILN_AVX2) return (dgemm_path){6, 8, dukr_avx2};
#endif
#if defined(__wasm_simd128__)
  return (dgemm_path){DWASM_MR, DWASM_NR, dukr_wasm};
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

int kiln_sgemm_nt(int cpu, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float *c, int64_t ldc, int acc,
                  const float *bias) {
#if defined(__x86_64__)
  if (cpu == KILN_AVX512) {
    nt_avx512(m, n, k, a, lda, b, ldb, c, ldc, acc, bias);
    return 1;
  }
#endif
  (void)cpu, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)c,
      (void)ldc, (void)acc, (void)bias;
  return 0;
}

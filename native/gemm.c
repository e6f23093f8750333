/* Batched matrix multiply over strided operands. Float32/float64 use a cache-blocked GEMM:
 * B is packed into KC x NR panels (or read in place when its rows are contiguous), A into
 * MR x KC panels, and a register-tiled microkernel of the CPU path does the arithmetic; the
 * output is split between threads by columns or rows. int32 follows the reference exactly
 * (double accumulator, i-k-j order). Scratch comes from the pool; no allocation here. */
#include <string.h>
#include "gemm_kernels.h"
#include "kiln.h"

#define KC 256
#define MC_MAX 144
/* Below this many multiply-adds a product runs on one thread (waking a worker costs more). */
#define PARALLEL_MACS ((int64_t)1 << 20)
/* Below this many floats a packing copy runs on one thread (1 MB: a 512→512 3x3 convolution's
 * weights, 9.4 MB, took a fifth of its batch-1 forward packed on one thread). */
#define PACK_SHARED_FLOATS ((int64_t)1 << 18)

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

typedef struct {
  int64_t M, K, N;
  const void *a, *b;
  int64_t sam, sak, sbk, sbn;
  void *c;
  int64_t ldc; /* row stride of c (N for a contiguous c) */
  int cpu;
  int split_n; /* 1: threads take column ranges; 0: row ranges */
  int64_t unit; /* NR or MR: ranges are aligned to it */
  int dtype;
  const void *apack; /* A already packed by kiln_sgemm_pack_a (float32 only), or NULL */
  int accumulate;    /* 1: c += a·b instead of c = a·b */
} gemm_job;

/* One nr-wide panel of a transposed B (columns contiguous, column stride sbn): dst[k*nr + j] =
 * column j's element k, zero past `cols`. Columns are read once, in order. */
static void d_pack_bt(double *dst, const double *b, int64_t sbn, int64_t kc, int64_t cols,
                      int nr) {
  for (int64_t j = 0; j < cols; j++)
    for (int64_t k = 0; k < kc; k++) dst[k * nr + j] = b[j * sbn + k];
  for (int64_t k = 0; k < kc; k++)
    for (int64_t j = cols; j < nr; j++) dst[k * nr + j] = 0;
}

#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 12)
typedef float v4sf __attribute__((vector_size(16)));
#define KILN_SHUFFLE 1
#endif

/* The float panel through 4x4 register transposes (the scalar gather costs about as much as
 * the product itself for 64x784x128 with a transposed weight). */
static void s_pack_bt(float *dst, const float *b, int64_t sbn, int64_t kc, int64_t cols,
                      int nr) {
  int64_t j = 0;
#ifdef KILN_SHUFFLE
  for (; j + 4 <= cols; j += 4) {
    const float *s0 = b + j * sbn, *s1 = s0 + sbn, *s2 = s1 + sbn, *s3 = s2 + sbn;
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
      v4sf r0, r1, r2, r3;
      memcpy(&r0, s0 + k, sizeof r0);
      memcpy(&r1, s1 + k, sizeof r1);
      memcpy(&r2, s2 + k, sizeof r2);
      memcpy(&r3, s3 + k, sizeof r3);
      const v4sf t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
      const v4sf t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
      const v4sf t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
      const v4sf t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
      const v4sf c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
      const v4sf c1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
      const v4sf c2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
      const v4sf c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
      memcpy(dst + k * nr + j, &c0, sizeof c0);
      memcpy(dst + (k + 1) * nr + j, &c1, sizeof c1);
      memcpy(dst + (k + 2) * nr + j, &c2, sizeof c2);
      memcpy(dst + (k + 3) * nr + j, &c3, sizeof c3);
    }
    for (; k < kc; k++) {
      dst[k * nr + j] = s0[k];
      dst[k * nr + j + 1] = s1[k];
      dst[k * nr + j + 2] = s2[k];
      dst[k * nr + j + 3] = s3[k];
    }
  }
#endif
  for (; j < cols; j++)
    for (int64_t k = 0; k < kc; k++) dst[k * nr + j] = b[j * sbn + k];
  for (int64_t k = 0; k < kc; k++)
    for (int64_t q = cols; q < nr; q++) dst[k * nr + q] = 0;
}

/* One full mr-row block of a row-major A (sak == 1, mr even): dst[k*mr + i] = a[i*sam + k]
 * through 4x4 register transposes, and a 2x4 interleave for the last two rows of a 6-row tile
 * (AVX2's; the element-by-element gather took 70% of a 64x128x10 product); false when it does
 * not apply. */
static int s_pack_a_rows(float *dst, const float *a, int64_t sam, int64_t kc, int mr) {
#ifdef KILN_SHUFFLE
  if (mr % 2 != 0) return 0;
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    int i = 0;
    for (; i + 4 <= mr; i += 4) {
      const float *s0 = a + i * sam + k;
      v4sf r0, r1, r2, r3;
      memcpy(&r0, s0, sizeof r0);
      memcpy(&r1, s0 + sam, sizeof r1);
      memcpy(&r2, s0 + 2 * sam, sizeof r2);
      memcpy(&r3, s0 + 3 * sam, sizeof r3);
      const v4sf t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
      const v4sf t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
      const v4sf t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
      const v4sf t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
      const v4sf c0 = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
      const v4sf c1 = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
      const v4sf c2 = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
      const v4sf c3 = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
      memcpy(dst + k * mr + i, &c0, sizeof c0);
      memcpy(dst + (k + 1) * mr + i, &c1, sizeof c1);
      memcpy(dst + (k + 2) * mr + i, &c2, sizeof c2);
      memcpy(dst + (k + 3) * mr + i, &c3, sizeof c3);
    }
    if (i < mr) {
      const float *s0 = a + i * sam + k;
      v4sf r0, r1;
      memcpy(&r0, s0, sizeof r0);
      memcpy(&r1, s0 + sam, sizeof r1);
      const v4sf t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
      const v4sf t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
      memcpy(dst + k * mr + i, &t0, 2 * sizeof(float));
      memcpy(dst + (k + 1) * mr + i, (const float *)&t0 + 2, 2 * sizeof(float));
      memcpy(dst + (k + 2) * mr + i, &t1, 2 * sizeof(float));
      memcpy(dst + (k + 3) * mr + i, (const float *)&t1 + 2, 2 * sizeof(float));
    }
  }
  for (; k < kc; k++)
    for (int i = 0; i < mr; i++) dst[k * mr + i] = a[i * sam + k];
  return 1;
#else
  (void)dst, (void)a, (void)sam, (void)kc, (void)mr;
  return 0;
#endif
}

static int d_pack_a_rows(double *dst, const double *a, int64_t sam, int64_t kc, int mr) {
  (void)dst, (void)a, (void)sam, (void)kc, (void)mr;
  return 0;
}

#define DEFINE_GEMM(T, PFX, PATH_T, PATH_FN)                                                  \
  static void PFX##_pack_a(T *dst, const T *a, int64_t sam, int64_t sak, int64_t mc,         \
                           int64_t kc, int mr) {                                              \
    for (int64_t ir = 0; ir < mc; ir += mr) {                                                 \
      int64_t rows = min64(mr, mc - ir);                                                      \
      if (rows == mr && sak == 1 && PFX##_pack_a_rows(dst, a + ir * sam, sam, kc, mr)) {      \
        dst += kc * mr;                                                                       \
        continue;                                                                             \
      }                                                                                       \
      for (int64_t k = 0; k < kc; k++) {                                                      \
        const T *src = a + ir * sam + k * sak;                                                \
        int64_t i = 0;                                                                        \
        for (; i < rows; i++) dst[i] = src[i * sam];                                          \
        for (; i < mr; i++) dst[i] = 0;                                                       \
        dst += mr;                                                                            \
      }                                                                                       \
    }                                                                                         \
  }                                                                                           \
  static void PFX##_pack_b(T *dst, const T *b, int64_t sbk, int64_t sbn, int64_t kc,         \
                           int64_t nc, int nr) {                                              \
    for (int64_t jr = 0; jr < nc; jr += nr) {                                                 \
      int64_t cols = min64(nr, nc - jr);                                                      \
      if (sbk == 1 && sbn != 1) {                                                             \
        PFX##_pack_bt(dst, b + jr * sbn, sbn, kc, cols, nr);                                  \
        dst += kc * nr;                                                                       \
        continue;                                                                             \
      }                                                                                       \
      for (int64_t k = 0; k < kc; k++) {                                                      \
        const T *src = b + k * sbk + jr * sbn;                                                \
        int64_t j = 0;                                                                        \
        if (sbn == 1) {                                                                       \
          /* a constant size inlines as vector moves: a libc call per 64-byte row cost about  \
           * as much as the copy (a memmove per k and panel) */                              \
          if (cols == 16)                                                                     \
            memcpy(dst, src, 16 * sizeof(T));                                                 \
          else if (cols == 8)                                                                 \
            memcpy(dst, src, 8 * sizeof(T));                                                  \
          else                                                                                \
            memcpy(dst, src, (size_t)cols * sizeof(T));                                       \
          j = cols;                                                                           \
        } else {                                                                              \
          for (; j < cols; j++) dst[j] = src[j * sbn];                                        \
        }                                                                                     \
        for (; j < nr; j++) dst[j] = 0;                                                       \
        dst += nr;                                                                            \
      }                                                                                       \
    }                                                                                         \
  }                                                                                           \
  static void PFX##_range(const gemm_job *j, int tid, int64_t m0, int64_t m1, int64_t n0,    \
                          int64_t n1) {                                                       \
    const PATH_T P = PATH_FN(j->cpu, j->M);                                                   \
    const int MR = P.mr, NR = P.nr;                                                           \
    const T *A = (const T *)j->a, *B = (const T *)j->b;                                       \
    T *C = (T *)j->c;                                                                         \
    const int64_t N = j->N, K = j->K, ldc = j->ldc;                                           \
    if (m0 >= m1 || n0 >= n1) return;                                                         \
    if (K == 0) {                                                                             \
      if (!j->accumulate)                                                                     \
        for (int64_t i = m0; i < m1; i++) memset(C + i * ldc + n0, 0, (size_t)(n1 - n0) * sizeof(T)); \
      return;                                                                                 \
    }                                                                                         \
    T *abuf = (T *)kiln_scratch(tid, 0), *bbuf = (T *)kiln_scratch(tid, 1);                   \
    int64_t MC = min64(MC_MAX, (int64_t)(KILN_SCRATCH_A_BYTES / (KC * sizeof(T)))) / MR * MR; \
    int64_t NC = (int64_t)(KILN_SCRATCH_BYTES / (KC * sizeof(T))) / NR * NR;                  \
    /* Rows of B read in place (contiguous columns, and a short row stride or a B small     \
     * enough for L2) only where this range has few row panels to pay a copy back: a panel    \
     * read in place leaves L1 between row panels (rows a power-of-two stride apart share a   \
     * few cache sets; unaligned rows take two lines each), which a packed panel does not.    \
     * Measured on 1 AVX2 thread: 512³ 87 GFLOP/s packed against 69 in place, 256x256x512 88  \
     * against 72; 64x784x128 70 in place against 65, 10x64x128 56 against 33. */             \
    const int direct = j->sbn == 1 && m1 - m0 <= 64 &&                                     \
                       (N * (int64_t)sizeof(T) <= 2048 ||                                    \
                        K * N * (int64_t)sizeof(T) <= ((int64_t)256 << 10));                 \
    T tile[8 * 32];                                                                           \
    for (int64_t jc = n0; jc < n1; jc += NC) {                                                \
      const int64_t nc = min64(NC, n1 - jc);                                                  \
      for (int64_t pc = 0; pc < K; pc += KC) {                                                \
        const int64_t kc = min64(KC, K - pc);                                                 \
        const T *bsrc = B + pc * j->sbk + jc * j->sbn;                                        \
        const int64_t nfull = direct ? nc / NR * NR : 0;                                      \
        if (direct) {                                                                         \
          if (nfull < nc) PFX##_pack_b(bbuf, bsrc + nfull, j->sbk, 1, kc, nc - nfull, NR);    \
        } else {                                                                              \
          PFX##_pack_b(bbuf, bsrc, j->sbk, j->sbn, kc, nc, NR);                               \
        }                                                                                     \
        for (int64_t ic = m0; ic < m1; ic += MC) {                                            \
          const int64_t mc = min64(MC, m1 - ic);                                              \
          /* a pre-packed A holds each KC block's Mpad = ⌈M/MR⌉·MR rows, MR-row panels in order */ \
          const T *ap = (const T *)j->apack;                                                  \
          if (ap != NULL) ap += pc * ((j->M + MR - 1) / MR * MR) + ic * kc;                   \
          else PFX##_pack_a(abuf, A + ic * j->sam + pc * j->sak, j->sam, j->sak, mc, kc, MR); \
          if (ap == NULL) ap = abuf;                                                          \
          for (int64_t jr = 0; jr < nc; jr += NR) {                                           \
            const int64_t nr = min64(NR, nc - jr);                                            \
            const T *bp;                                                                      \
            int64_t ldb;                                                                      \
            if (direct && jr < nfull) {                                                       \
              bp = bsrc + jr;                                                                 \
              ldb = j->sbk;                                                                   \
            } else {                                                                          \
              bp = bbuf + (direct ? 0 : jr * kc);                                             \
              ldb = NR;                                                                       \
            }                                                                                 \
            for (int64_t ir = 0; ir < mc; ir += MR) {                                         \
              const int64_t mr = min64(MR, mc - ir);                                          \
              T *cp = C + (ic + ir) * ldc + jc + jr;                                          \
              if (mr == MR && nr == NR) {                                                     \
                P.ukr(kc, ap + ir * kc, bp, ldb, cp, ldc, pc > 0 || j->accumulate);           \
              } else {                                                                        \
                P.ukr(kc, ap + ir * kc, bp, ldb, tile, NR, 0);                                \
                for (int64_t i = 0; i < mr; i++) {                                            \
                  T *restrict crow = cp + i * ldc;                                            \
                  const T *restrict trow = tile + i * NR;                                     \
                  if (pc > 0 || j->accumulate)                                                \
                    for (int64_t q = 0; q < nr; q++) crow[q] += trow[q];                      \
                  else                                                                        \
                    for (int64_t q = 0; q < nr; q++) crow[q] = trow[q];                       \
                }                                                                             \
              }                                                                               \
            }                                                                                 \
          }                                                                                   \
        }                                                                                     \
      }                                                                                       \
    }                                                                                         \
  }

DEFINE_GEMM(float, s, sgemm_path, kiln_sgemm_path_rows)
DEFINE_GEMM(double, d, dgemm_path, kiln_dgemm_path_rows)

/* Skinny float products (n <= 16): B packed to 16-wide rows once per thread, rows of C split. */
static int narrow_range(const gemm_job *j, int tid, int64_t m0, int64_t m1) {
  if (m0 >= m1) return 1;
  float *bp = (float *)kiln_scratch(tid, 1);
  const float *B = (const float *)j->b;
  if (j->sbk == 1 && j->sbn != 1) {
    s_pack_bt(bp, B, j->sbn, j->K, j->N, 16);
  } else {
    for (int64_t k = 0; k < j->K; k++) {
      int64_t q = 0;
      for (; q < j->N; q++) bp[k * 16 + q] = B[k * j->sbk + q * j->sbn];
      for (; q < 16; q++) bp[k * 16 + q] = 0;
    }
  }
  const float *A = (const float *)j->a + m0 * j->sam;
  return kiln_sgemm_narrow(j->cpu, m1 - m0, j->N, j->K, A, j->sam, j->sak, bp,
                           (float *)j->c + m0 * j->ldc, j->ldc);
}

static int use_narrow(const gemm_job *j, int dtype) {
  return dtype == KD_F32 && j->cpu == KILN_AVX512 && j->N <= 16 && j->K > 0 &&
         (size_t)j->K * 16 * sizeof(float) <= KILN_SCRATCH_BYTES;
}

static void gemm_task(void *ctx, int tid, int nt) {
  const gemm_job *j = (const gemm_job *)ctx;
  const int64_t total = j->split_n ? j->N : j->M;
  const int64_t units = (total + j->unit - 1) / j->unit;
  const int64_t lo = min64(total, units * tid / nt * j->unit);
  const int64_t hi = min64(total, units * (tid + 1) / nt * j->unit);
  if (j->dtype == KD_F64) {
    if (j->split_n) d_range(j, tid, 0, j->M, lo, hi);
    else d_range(j, tid, lo, hi, 0, j->N);
    return;
  }
  if (!j->split_n && use_narrow(j, KD_F32) && narrow_range(j, tid, lo, hi)) return;
  if (j->split_n) s_range(j, tid, 0, j->M, lo, hi);
  else s_range(j, tid, lo, hi, 0, j->N);
}

static void imatmul(int64_t M, int64_t K, int64_t N, const int32_t *a, int64_t sam, int64_t sak,
                    const int32_t *b, int64_t sbk, int64_t sbn, int32_t *out) {
  double acc[1024];
  for (int64_t i = 0; i < M; i++) {
    for (int64_t j0 = 0; j0 < N; j0 += 1024) {
      const int64_t w = min64(1024, N - j0);
      for (int64_t q = 0; q < w; q++) acc[q] = 0;
      for (int64_t k = 0; k < K; k++) {
        const double aik = a[i * sam + k * sak];
        if (aik == 0) continue;
        const int32_t *bk = b + k * sbk + j0 * sbn;
        for (int64_t q = 0; q < w; q++) acc[q] += aik * bk[q * sbn];
      }
      for (int64_t q = 0; q < w; q++) out[i * N + j0 + q] = kiln_toint32(acc[q]);
    }
  }
}

/* NT products (c = a·bᵀ, rows of a and b contiguous in k) through the dot-product kernel of
 * gemm_kernels.c: no packing. K is cut into NT_KC blocks (a 6-row block of b stays in L1) and
 * rows of a into blocks that stay in L2 while the tiles of b go by. */
#define NT_KC 1024
#define NT_A_BYTES ((int64_t)384 << 10)

typedef struct {
  int64_t M, K, N, lda, ldb;
  const float *a, *b, *bias;
  float *c;
  int cpu, split_n;
} nt_job;

static void nt_range(const nt_job *j, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  if (m0 >= m1 || n0 >= n1) return;
  const float *bias = j->bias != NULL ? j->bias + n0 : NULL;
  int64_t p = 0;
  do {
    const int64_t kc = min64(NT_KC, j->K - p);
    const int last = p + kc >= j->K;
    int64_t mb = NT_A_BYTES / ((kc > 0 ? kc : 1) * (int64_t)sizeof(float)) / 4 * 4;
    if (mb < 4) mb = 4;
    for (int64_t i = m0; i < m1; i += mb)
      kiln_sgemm_nt(j->cpu, min64(mb, m1 - i), n1 - n0, kc, j->a + i * j->lda + p, j->lda,
                    j->b + n0 * j->ldb + p, j->ldb, j->c + i * j->N + n0, j->N, p > 0,
                    last ? bias : NULL);
    p += kc;
  } while (p < j->K);
}

/* Threads take whole tiles: 6 rows of b or 4 rows of a. */
static void nt_task(void *ctx, int tid, int nt) {
  const nt_job *j = (const nt_job *)ctx;
  const int64_t total = j->split_n ? j->N : j->M, unit = j->split_n ? 6 : 4;
  const int64_t units = (total + unit - 1) / unit;
  const int64_t lo = min64(total, units * tid / nt * unit);
  const int64_t hi = min64(total, units * (tid + 1) / nt * unit);
  if (j->split_n) nt_range(j, 0, j->M, lo, hi);
  else nt_range(j, lo, hi, 0, j->N);
}

/* Where the NT kernel beats packing b (measured on Zen 5): few rows of a, so that packing b is
 * not amortised, or narrow outputs; K long enough for the per-tile reduction, and within one
 * K block unless a is very short. */
static int nt_pays(int64_t M, int64_t K, int64_t N) {
  if (K < 128) return 0;
  return N <= 16 || M <= 32 || (M <= 64 && K >= 384 && K < NT_KC);
}

/* c[M x N] = a[M x K]·b[N x K]ᵀ (+ bias[N], rounded as matmul then add), float32 with row
 * strides lda and ldb and unit stride in k; c contiguous. Returns 0 (doing nothing) when the
 * CPU path has no NT kernel or the packed GEMM is faster for the shape. */
int kiln_sgemm_nt_rows(int64_t M, int64_t K, int64_t N, const float *a, int64_t lda,
                       const float *b, int64_t ldb, const float *bias, float *c) {
  const int cpu = kiln_cpu_path();
  if (cpu != KILN_AVX512 || !nt_pays(M, K, N)) return 0;
  if (M == 0 || N == 0) return 1;
  nt_job j = {M, K, N, lda, ldb, a, b, bias, c, cpu, 1};
  const int nt = M * N * K >= PARALLEL_MACS ? kiln_get_num_threads() : 1;
  if ((N + 5) / 6 < 2 * nt && (M + 3) / 4 >= 2 * nt) j.split_n = 0;
  const int64_t units = j.split_n ? (N + 5) / 6 : (M + 3) / 4;
  const int n = nt < units ? nt : (int)units;
  kiln_pool_acquire();
  kiln_parallel(nt_task, &j, n < 1 ? 1 : n);
  kiln_pool_release();
  return 1;
}

/* All of product j on the calling thread, with thread `tid`'s scratch. */
static void whole_product(const gemm_job *j, int tid) {
  if (j->dtype == KD_F64) d_range(j, tid, 0, j->M, 0, j->N);
  else if (!use_narrow(j, KD_F32) || !narrow_range(j, tid, 0, j->M))
    s_range(j, tid, 0, j->M, 0, j->N);
}

/* A batch of products each too small to share between threads: threads take whole products. */
typedef struct {
  gemm_job j; /* the first product; a and b advance by the batch strides */
  int64_t Bn, sa0, sb0;
  size_t es;
} batch_job;

static void batch_task(void *ctx, int tid, int nt) {
  const batch_job *bj = (const batch_job *)ctx;
  for (int64_t bi = kiln_share(bj->Bn, tid, nt); bi < kiln_share(bj->Bn, tid + 1, nt); bi++) {
    gemm_job j = bj->j;
    j.a = (const char *)j.a + bi * bj->sa0 * bj->es;
    j.b = (const char *)j.b + bi * bj->sb0 * bj->es;
    j.c = (char *)j.c + bi * j.M * j.N * bj->es;
    whole_product(&j, tid);
  }
}

int kiln_matmul(int dtype, int64_t Bn, int64_t M, int64_t K, int64_t N, const void *a,
                const int64_t *sa, const void *b, const int64_t *sb, void *out) {
  if (M == 0 || N == 0) return 0;
  if (dtype == KD_I32) {
    for (int64_t bi = 0; bi < Bn; bi++)
      imatmul(M, K, N, (const int32_t *)a + bi * sa[0], sa[1], sa[2],
              (const int32_t *)b + bi * sb[0], sb[1], sb[2], (int32_t *)out + bi * M * N);
    return 0;
  }
  if (dtype != KD_F32 && dtype != KD_F64) return -1;
  const size_t es = dtype == KD_F32 ? 4 : 8;
  const int cpu = kiln_cpu_path();
  int64_t mr, nr;
  if (dtype == KD_F32) {
    sgemm_path p = kiln_sgemm_path_rows(cpu, M);
    mr = p.mr, nr = p.nr;
  } else {
    dgemm_path p = kiln_dgemm_path_rows(cpu, M);
    mr = p.mr, nr = p.nr;
  }
  const int64_t macs = M * N * K;
  const int threads = kiln_get_num_threads();
  kiln_pool_acquire();
  if (macs < PARALLEL_MACS && Bn > 1 && Bn * macs >= PARALLEL_MACS && threads > 1) {
    /* attention's per-head products: one thread per product, threads sharing the batch */
    batch_job bj = {{M, K, N, a, b, sa[1], sa[2], sb[1], sb[2], out, N, cpu, 0, mr, dtype, NULL, 0},
                    Bn, sa[0], sb[0], es};
    kiln_parallel(batch_task, &bj, Bn < threads ? (int)Bn : threads);
    kiln_pool_release();
    return 0;
  }
  const int nt = macs >= PARALLEL_MACS ? threads : 1;
  for (int64_t bi = 0; bi < Bn; bi++) {
    gemm_job j = {M, K, N, (const char *)a + bi * sa[0] * es, (const char *)b + bi * sb[0] * es,
                  sa[1], sa[2], sb[1], sb[2], (char *)out + bi * M * N * es, N, cpu, 1, nr, dtype, NULL, 0};
    /* Threads split the larger side of c: each packs all of the other operand (a split of
     * columns packs all of a, one of rows all of b), so the smaller one is the one repeated.
     * Measured on 2 AVX2 threads: 1024x384x128 150 GFLOP/s by rows against 123 by columns. */
    if (dtype == KD_F32 && use_narrow(&j, KD_F32)) {
      j.split_n = 0;
      j.unit = 8;
    } else if ((N / nr < 2 * nt || M > N) && M / mr >= 2 * nt) {
      j.split_n = 0;
      j.unit = mr;
    }
    const int64_t units = ((j.split_n ? N : M) + j.unit - 1) / j.unit;
    int n = nt < units ? nt : (int)units;
    kiln_parallel(gemm_task, &j, n < 1 ? 1 : n);
  }
  kiln_pool_release();
  return 0;
}

/* c[M x N] = a @ b (float32, rows of c ldc apart) on the calling thread with thread `tid`'s
 * scratch: for kernels that split work between threads themselves (conv_im2col.c). */
void kiln_sgemm_on_thread(int tid, int64_t M, int64_t K, int64_t N, const float *a, int64_t sam,
                          int64_t sak, const float *b, int64_t sbk, int64_t sbn, float *c,
                          int64_t ldc) {
  if (M == 0 || N == 0) return;
  const int cpu = kiln_cpu_path();
  const sgemm_path p = kiln_sgemm_path_rows(cpu, M);
  gemm_job j = {M, K, N, a, b, sam, sak, sbk, sbn, c, ldc, cpu, 1, p.nr, KD_F32, NULL, 0};
  whole_product(&j, tid);
}

int64_t kiln_sgemm_packed_a_floats(int64_t M, int64_t K) {
  const int64_t mr = kiln_sgemm_path_rows(kiln_cpu_path(), M).mr;
  return (M + mr - 1) / mr * mr * K;
}

void kiln_sgemm_pack_a(int64_t M, int64_t K, const float *a, int64_t sam, int64_t sak,
                       float *dst) {
  const int mr = kiln_sgemm_path_rows(kiln_cpu_path(), M).mr;
  const int64_t mpad = (M + mr - 1) / mr * mr;
  for (int64_t pc = 0; pc < K; pc += KC) {
    const int64_t kc = min64(KC, K - pc);
    s_pack_a(dst + pc * mpad, a + pc * sak, sam, sak, M, kc, mr);
  }
}

/* count matrices packed as kiln_sgemm_pack_a packs one, threads taking row panels. */
typedef struct {
  int64_t count, M, K, a_step, sam, sak, dst_step, panels;
  const float *a;
  float *dst;
  int mr;
} pack_many_job;

static void pack_many_task(void *ctx, int tid, int nt) {
  const pack_many_job *j = (const pack_many_job *)ctx;
  const int64_t units = j->count * j->panels, mpad = j->panels * j->mr;
  for (int64_t u = kiln_share(units, tid, nt); u < kiln_share(units, tid + 1, nt); u++) {
    const int64_t i = u / j->panels, r0 = u % j->panels * j->mr;
    const float *a = j->a + i * j->a_step + r0 * j->sam;
    float *dst = j->dst + i * j->dst_step;
    for (int64_t pc = 0; pc < j->K; pc += KC) {
      const int64_t kc = min64(KC, j->K - pc);
      s_pack_a(dst + pc * mpad + r0 * kc, a + pc * j->sak, j->sam, j->sak, min64(j->mr, j->M - r0),
               kc, j->mr);
    }
  }
}

void kiln_sgemm_pack_a_many(int64_t count, int64_t M, int64_t K, const float *a, int64_t a_step,
                            int64_t sam, int64_t sak, float *dst, int64_t dst_step) {
  if (count <= 0 || M <= 0 || K <= 0) return;
  const int mr = kiln_sgemm_path_rows(kiln_cpu_path(), M).mr;
  pack_many_job j = {count, M, K, a_step, sam, sak, dst_step, (M + mr - 1) / mr, a, dst, mr};
  const int64_t units = count * j.panels;
  int nt = count * M * K >= PACK_SHARED_FLOATS ? kiln_get_num_threads() : 1;
  if (nt > units) nt = (int)units;
  kiln_pool_acquire();
  kiln_parallel(pack_many_task, &j, nt < 1 ? 1 : nt);
  kiln_pool_release();
}

void kiln_sgemm_packed_on_thread(int tid, int64_t M, int64_t K, int64_t N, const float *apack,
                                 const float *b, int64_t sbk, int64_t sbn, float *c, int64_t ldc,
                                 int accumulate) {
  if (M == 0 || N == 0) return;
  const int cpu = kiln_cpu_path();
  const sgemm_path p = kiln_sgemm_path_rows(cpu, M);
  gemm_job j = {M, K, N, NULL, b, 0, 0, sbk, sbn, c, ldc, cpu, 1, p.nr, KD_F32, apack, accumulate};
  s_range(&j, tid, 0, M, 0, N);
}

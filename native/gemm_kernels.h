/* Register-tiled GEMM microkernels: c[MR x NR] (+)= sum_k ap[k*MR + i] * b[k*ldb + j].
 * ap is a packed A panel; b is a packed B panel (ldb = NR) or B itself when its rows are
 * contiguous. One set per CPU path; wider paths are compiled with target attributes. */
#ifndef KILN_GEMM_KERNELS_H
#define KILN_GEMM_KERNELS_H
#include "kiln.h"

typedef void (*sukr_fn)(int64_t kc, const float *ap, const float *b, int64_t ldb, float *c,
                        int64_t ldc, int acc);
typedef void (*dukr_fn)(int64_t kc, const double *ap, const double *b, int64_t ldb, double *c,
                        int64_t ldc, int acc);

typedef struct {
  int mr, nr;
  sukr_fn ukr;
} sgemm_path;
typedef struct {
  int mr, nr;
  dukr_fn ukr;
} dgemm_path;

sgemm_path kiln_sgemm_path(int cpu);
dgemm_path kiln_dgemm_path(int cpu);
/* The path for a product of m rows: the CPU path's, or a shorter tile where m is small and the
 * path's tile would compute mostly padding (kernel selection for products lives here). */
sgemm_path kiln_sgemm_path_rows(int cpu, int64_t m);
dgemm_path kiln_dgemm_path_rows(int cpu, int64_t m);
/* Skinny products with n <= 16 (AVX-512 only): c[m x n] = a[m x k] @ b[k x n], b rows packed
 * at stride 16. Returns 0 when the path is unavailable. */
int kiln_sgemm_narrow(int cpu, int64_t m, int64_t n, int64_t k, const float *a, int64_t sam,
                      int64_t sak, const float *bp, float *c, int64_t ldc);
/* c[m x n] (+)= a[m x k]·b[n x k]ᵀ (+ bias[n] after the sum) with rows of a and b contiguous
 * (AVX-512 only); acc adds to c. Returns 0 when the path is unavailable. */
int kiln_sgemm_nt(int cpu, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda,
                  const float *b, int64_t ldb, float *c, int64_t ldc, int acc,
                  const float *bias);
#endif

/* Kiln native kernels: shared declarations. Kernels here are plain C11 (GCC/Clang vector
 * extensions and x86 intrinsics behind target attributes); they never call Node, the OS or
 * malloc in hot paths, so the same sources can later be built for WebAssembly with clang. */
#ifndef KILN_H
#define KILN_H

#include <stdint.h>
#include <stddef.h>

#include "elementwise_ops.h"

#define KILN_MAX_DIMS 16

/* Dtype codes, in the order of core/dtype.ts DTYPES. bool is stored as uint8 0/1. */
enum { KD_BOOL = 0, KD_I32 = 1, KD_F32 = 2, KD_F64 = 3, KD_COUNT = 4 };

/* A strided window onto an array: element idx lives at data[offset + sum idx*stride]. */
typedef struct {
  void *data;
  int dtype;
  int64_t offset;
  int64_t strides[KILN_MAX_DIMS];
} kview;

/* Opcodes, expanded from the lists in elementwise_ops.h (U_exp, B_add, R_sum, ...). The
 * TypeScript side looks them up by name in the addon's unaryOps/binaryOps/reduceOps. */
#define KILN_OPCODE_U(NAME, EXPR, EXACT) U_##NAME,
#define KILN_OPCODE_B(NAME, EXPR, EXACT) B_##NAME,
#define KILN_OPCODE_R(NAME) R_##NAME,
enum { UNARY_LIST(KILN_OPCODE_U) U_COUNT };
enum { BINARY_LIST(KILN_OPCODE_B) B_COUNT };
enum { REDUCE_LIST(KILN_OPCODE_R) R_COUNT };

/* CPU paths, chosen once at load. */
enum { KILN_PORTABLE = 0, KILN_AVX2 = 1, KILN_AVX512 = 2 };
int kiln_cpu_path(void);
const char *kiln_cpu_path_name(int path);
/* Forces a path no better than the detected one (for tests); returns the path in effect. */
int kiln_set_cpu_path(int path);

/* Elementwise over `nd` dims of `shape` (row-major order of out). 0 on success. */
int kiln_unary(int op, int nd, const int64_t *shape, const kview *x, kview *out);
int kiln_binary(int op, int nd, const int64_t *shape, const kview *a, const kview *b, kview *out);
int kiln_where(int nd, const int64_t *shape, const kview *c, const kview *a, const kview *b,
               kview *out);
/* Reduces the trailing nd - kept dims of x into contiguous out (dtype outDtype). */
int kiln_reduce(int op, int nd, const int64_t *shape, int kept, const kview *x, void *out,
                int outDtype);
int kiln_cumsum(int nd, const int64_t *shape, const kview *x, void *out, int outDtype);
/* out.flat[i] = x.flat[index[i]] (flat = row-major order of x). */
void kiln_take(int nd, const int64_t *shape, const kview *x, const int32_t *index, int64_t n,
               void *out, int outDtype);
void kiln_put(int nd, const int64_t *shape, kview *target, const int32_t *index, int64_t n,
              const kview *values, int accumulate);
/* out[b] = a[b] @ bm[b], a [B,M,K], b [B,K,N] strided, out contiguous [B,M,N]. */
int kiln_matmul(int dtype, int64_t B, int64_t M, int64_t K, int64_t N, const void *a,
                const int64_t *sa, const void *b, const int64_t *sb, void *out);

/* c[M x N] = a[M x K]·b[N x K]ᵀ (+ bias[N]) for float32 rows contiguous in k (row strides lda,
 * ldb), c contiguous; 0 (nothing done) when the CPU path has no kernel for it or packing wins. */
int kiln_sgemm_nt_rows(int64_t M, int64_t K, int64_t N, const float *a, int64_t lda,
                       const float *b, int64_t ldb, const float *bias, float *c);

/* Fused float32 kernels (conv_im2col.c, pooling.c, batch_norm.c, cross_entropy.c,
 * optim_update.c). Geometry of a 2-D or 3-D window over contiguous [N, C, D, H, W] input: O
 * output channels (C for pooling), output Do x Ho x Wo, kernel, stride, dilation, front, top and
 * left padding, groups. A 2-D window has D = Do = kd = sd = dd = 1 and pd = 0; the depth fields
 * come last (meta order). */
typedef struct {
  int64_t N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pl, groups;
  int64_t D, Do, kd, sd, dd, pd;
} kconv;
/* Whether g is a 2-D window (no depth), for the kernels that only take those. */
static inline int kiln_conv_is_2d(const kconv *g) {
  return g->D == 1 && g->Do == 1 && g->kd == 1 && g->pd == 0;
}
int64_t kiln_conv2d_work(const kconv *g);
void kiln_sgemm_on_thread(int tid, int64_t M, int64_t K, int64_t N, const float *a, int64_t sam,
                          int64_t sak, const float *b, int64_t sbk, int64_t sbn, float *c,
                          int64_t ldc);
/* Float32 A [M x K] (strides sam, sak) packed once for kiln_sgemm_packed_on_thread, into
 * kiln_sgemm_packed_a_floats(M, K) floats: for a left operand several products share. */
int64_t kiln_sgemm_packed_a_floats(int64_t M, int64_t K);
void kiln_sgemm_pack_a(int64_t M, int64_t K, const float *a, int64_t sam, int64_t sak,
                       float *dst);
/* count matrices packed as kiln_sgemm_pack_a packs one (matrix i at a + i·a_step, packed at
 * dst + i·dst_step), shared between the pool's threads by row panels when there is enough to
 * copy; the result equals count calls of kiln_sgemm_pack_a. Call it outside any pool job. */
void kiln_sgemm_pack_a_many(int64_t count, int64_t M, int64_t K, const float *a, int64_t a_step,
                            int64_t sam, int64_t sak, float *dst, int64_t dst_step);
/* kiln_sgemm_on_thread with A packed by kiln_sgemm_pack_a; accumulate: c += a·b. */
void kiln_sgemm_packed_on_thread(int tid, int64_t M, int64_t K, int64_t N, const float *apack,
                                 const float *b, int64_t sbk, int64_t sbn, float *c, int64_t ldc,
                                 int accumulate);
void kiln_conv2d(const kconv *g, const float *x, const float *w, const float *bias, float *out,
                 float *work);
void kiln_conv2d_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                            float *work);
void kiln_conv2d_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                             float *gb, float *work);
/* Unit-stride, one-group 2-D and 3-D convolution as shifted-tap GEMMs over padded images
 * (conv_shifted.c): whether it takes g, its work floats, forward and input gradient. */
int kiln_conv_shifted_ok(const kconv *g);
int64_t kiln_conv_shifted_work(const kconv *g);
void kiln_conv_shifted_forward(const kconv *g, const float *x, const float *w, const float *bias,
                               float *out, float *work);
/* The input gradient; 0, doing nothing, when w is not all finite. */
int kiln_conv_shifted_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                 float *work);
/* The weight gradient (bias gradient apart); 0, doing nothing, when x is not all finite. */
int kiln_conv_shifted_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                  float *work);
/* Direct convolution (conv_direct.c): stride 1, dilation 1, one group, AVX-512 path only. */
int kiln_conv_direct_ok(const kconv *g);
int64_t kiln_conv_direct_work(const kconv *g);
void kiln_conv_direct_forward(const kconv *g, const float *x, const float *w, const float *bias,
                              float *out, float *work);
/* Returns 0 (nothing done) for a weight holding an infinity or NaN. */
int kiln_conv_direct_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                float *work);
void kiln_conv_direct_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                  float *work);
/* gb[o] = Σ gy[:, o, ...] over 2-D or 3-D outputs, planes summed in a fixed order (conv_direct.c,
 * every path). */
void kiln_conv_bias_grad(const kconv *g, const float *gy, float *gb);
/* 2x2 stride-2 max pooling (max_pool_avx512.c), AVX-512 path only. */
int kiln_max_pool2x2_ok(const kconv *g);
void kiln_max_pool2x2(const kconv *g, const float *x, float *out, int32_t *arg);
void kiln_max_pool2x2_backward(const kconv *g, const float *gy, const int32_t *arg, float *gx);
void kiln_max_pool2d(const kconv *g, const float *x, float *out, int32_t *arg);
void kiln_max_pool2d_backward(const kconv *g, const float *gy, const int32_t *arg, float *gx);
void kiln_avg_pool2d(const kconv *g, int include_pad, int64_t divisor, const float *x, float *out);
void kiln_avg_pool2d_backward(const kconv *g, int include_pad, int64_t divisor, const float *gy,
                              float *gx);
void kiln_batch_norm(int64_t N, int64_t C, int64_t L, const float *x, const float *w,
                     const float *b, float *mean, float *invstd, float *var, double eps,
                     int training, float *y);
void kiln_batch_norm_backward(int64_t N, int64_t C, int64_t L, const float *gy, const float *x,
                              const float *w, const float *mean, const float *invstd,
                              int training, float *gx, float *gw, float *gb);
void kiln_cross_entropy(int64_t rows, int64_t C, const float *x, const int32_t *target,
                        const float *weight, int32_t ignore, float eps, float *loss,
                        float *row_weight, float *lse);
void kiln_cross_entropy_backward(int64_t rows, int64_t C, const float *x, const int32_t *target,
                                 const float *weight, int32_t ignore, float eps, const float *lse,
                                 const float *g, int64_t g_stride, float *gx);
/* Layer norm and softmax over the rows of [M, N] (layer_norm.c, softmax.c). */
void kiln_layer_norm(int64_t M, int64_t N, const float *x, const float *w, const float *b,
                     double eps, float *mean, float *rstd, float *y);
void kiln_layer_norm_backward(int64_t M, int64_t N, const float *gy, const float *x,
                              const float *w, const float *mean, const float *rstd, float *gx,
                              float *gw, float *gb);
void kiln_softmax(int64_t M, int64_t N, const float *x, int log_form, float *y);
void kiln_softmax_backward(int64_t M, int64_t N, const float *y, const float *gy, int log_form,
                           float *gx);
/* Recurrent cell steps (rnn_cell.c): LSTM gates i, f, g, o; GRU r, z, n; see the file. */
void kiln_lstm_cell(int64_t B, int64_t H, const float *xg, const float *hg, const float *c_prev,
                    float *h, float *c, float *act, float *tc);
void kiln_lstm_cell_backward(int64_t B, int64_t H, const float *act, const float *tc,
                             const float *c_prev, const float *gh, const float *gc,
                             float *ggates, float *gc_prev);
void kiln_gru_cell(int64_t B, int64_t H, const float *xg, const float *hg, const float *h_prev,
                   float *h, float *act);
void kiln_gru_cell_backward(int64_t B, int64_t H, const float *act, const float *h_prev,
                            const float *gh, float *gxg, float *ghg, float *gh_prev);
void kiln_sgd(int64_t n, float *p, const float *grad, float *buf, float lr, float momentum,
              float dampening1, float wd, int nesterov, int maximize, int first);
void kiln_adam(int64_t n, float *p, const float *grad, float *m, float *v, float *vmax, float lr,
               float beta1, float beta2, float omb1, float omb2, float eps, float wd,
               float decay_mul, float bc2sqrt, float neg_step, int decoupled, int maximize);
/* kiln_sgd over `count` tensors (optim_update.c): tensor t has n[t] elements, buf[t] may be
 * NULL, first[t] marks a new momentum buffer; the scalar options are shared. */
void kiln_sgd_many(int64_t count, float *const *p, const float *const *grad, float *const *buf,
                   const int64_t *n, const uint8_t *first, float lr, float momentum,
                   float dampening1, float wd, int nesterov, int maximize);

void kiln_linear(int64_t M, int64_t K, int64_t N, const float *x, const float *w,
                 const float *bias, float *out);
void kiln_linear_backward(int64_t M, int64_t K, int64_t N, const float *g, const float *x,
                          const float *w, float *gx, float *gw, float *gb);
void kiln_relu_backward(int64_t n, const float *y, const float *g, float *gx);
/* Thread pool. fn(ctx, tid, n) runs on n threads (tid 0 is the caller). */
/* Start of share tid of n units split between nt threads (share tid is [lo(tid), lo(tid+1))). */
static inline int64_t kiln_share(int64_t n, int tid, int nt) { return n * tid / nt; }
typedef void (*kiln_task)(void *ctx, int tid, int nthreads);
void kiln_parallel(kiln_task fn, void *ctx, int nthreads);
int kiln_get_num_threads(void);
int kiln_set_num_threads(int n);
int kiln_max_threads(void);
/* Per-thread scratch for GEMM packing, allocated when the pool starts (never in hot paths):
 * which 0 holds KILN_SCRATCH_A_BYTES (packed A panels), which 1 KILN_SCRATCH_BYTES. */
void *kiln_scratch(int tid, int which);
#define KILN_SCRATCH_A_BYTES ((size_t)1 << 20)
#define KILN_SCRATCH_BYTES ((size_t)4 << 20)
#define KILN_MAX_THREADS 64
void kiln_pool_acquire(void);
void kiln_pool_release(void);
void kiln_pool_shutdown(void);

/* JavaScript's ToInt32: what storing a double into an Int32Array does. */
static inline int32_t kiln_toint32(double d) {
  if (d > -2147483649.0 && d < 2147483648.0) return (int32_t)d;
  if (!(d - d == 0)) return 0; /* NaN or infinity */
  double t = d < 0 ? -__builtin_floor(-d) : __builtin_floor(d);
  double m = __builtin_fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  return (int32_t)(uint32_t)m;
}

#endif

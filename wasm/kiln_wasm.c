/* The WebAssembly entry of Kiln's C kernels (tools/build-wasm.sh links it with the portable
 * native sources): thread_pool.c's interface (single-threaded in kiln.wasm; over shared memory
 * and JavaScript workers in kiln-mt.wasm, KILN_WASM_THREADS), and thin exported wrappers that
 * read shapes, strides and scalars from a shared float64 `meta` array in linear memory, as
 * native/addon.c reads the addon's meta. Pointers are byte offsets into linear memory that the
 * TypeScript side (src/backend/wasm/) fills. No Node, no OS, no malloc: the caller owns memory. */
#include "../native/kiln.h"

#define EXPORT(name) __attribute__((export_name(#name)))
#define META_LEN 1024

static double meta[META_LEN];

EXPORT(kw_meta) double *kw_meta(void) { return meta; }
EXPORT(kw_meta_len) int kw_meta_len(void) { return META_LEN; }

#ifndef KILN_WASM_THREADS
/* --- single-threaded thread pool (thread_pool.c's interface) --- */

/* GEMM packing scratch for the one thread (bss: zero pages cost nothing in the module). */
static float scratch_a[KILN_SCRATCH_A_BYTES / sizeof(float)] __attribute__((aligned(64)));
static float scratch_b[KILN_SCRATCH_BYTES / sizeof(float)] __attribute__((aligned(64)));

int kiln_max_threads(void) { return 1; }
int kiln_get_num_threads(void) { return 1; }
int kiln_set_num_threads(int n) { return 1; }
void *kiln_scratch(int tid, int which) { return which == 0 ? (void *)scratch_a : (void *)scratch_b; }
void kiln_pool_acquire(void) {}
void kiln_pool_release(void) {}
void kiln_pool_shutdown(void) {}
void kiln_parallel(kiln_task fn, void *ctx, int n) { fn(ctx, 0, 1); }
EXPORT(kw_threads) int kw_threads(void) { return 0; }
#else
/* --- thread pool over shared memory (kiln-mt.wasm): workers are instances of this module in
 * JavaScript workers, each parked in kw_worker(). A job bumps `generation`; every worker
 * acknowledges every generation (running its share when its tid is below the job's thread
 * count), so none can fall a job behind; the caller runs share 0 and waits for the rest. The
 * JavaScript side gives each thread its stack and scratch (kw_set_scratch) before it starts. */
#include <stdatomic.h>

static _Atomic int generation;
static _Atomic int pending;
static kiln_task job_fn;
static void *job_ctx;
static int job_n;
static int workers; /* started workers (tids 1..workers) */
static int wanted = 1;
static void *scratch[KILN_MAX_THREADS][2];

EXPORT(kw_threads) int kw_threads(void) { return 1; }
EXPORT(kw_generation) int kw_generation(void) { return atomic_load(&generation); }
EXPORT(kw_set_workers) void kw_set_workers(int n) { workers = n; }
EXPORT(kw_set_scratch) void kw_set_scratch(int tid, void *a, void *b) {
  scratch[tid][0] = a;
  scratch[tid][1] = b;
}

int kiln_max_threads(void) { return workers + 1; }
int kiln_get_num_threads(void) { return wanted < workers + 1 ? wanted : workers + 1; }
int kiln_set_num_threads(int n) {
  wanted = n < 1 ? 1 : n > KILN_MAX_THREADS ? KILN_MAX_THREADS : n;
  return kiln_get_num_threads();
}
EXPORT(kw_set_num_threads) int kw_set_num_threads(int n) { return kiln_set_num_threads(n); }
void *kiln_scratch(int tid, int which) { return scratch[tid][which]; }
void kiln_pool_acquire(void) {}
void kiln_pool_release(void) {}
void kiln_pool_shutdown(void) {}

void kiln_parallel(kiln_task fn, void *ctx, int n) {
  if (n > workers + 1) n = workers + 1;
  if (n <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  job_fn = fn;
  job_ctx = ctx;
  job_n = n;
  atomic_store(&pending, workers);
  atomic_fetch_add(&generation, 1);
  __builtin_wasm_memory_atomic_notify((int *)&generation, (unsigned)-1);
  fn(ctx, 0, n);
  int left;
  while ((left = atomic_load(&pending)) != 0)
    __builtin_wasm_memory_atomic_wait32((int *)&pending, left, -1);
}

/* A worker's loop (never returns); `seen` is the generation when it was spawned. */
EXPORT(kw_worker) void kw_worker(int tid, int seen) {
  for (;;) {
    int g;
    while ((g = atomic_load(&generation)) == seen)
      __builtin_wasm_memory_atomic_wait32((int *)&generation, seen, -1);
    seen = g;
    if (tid > workers) continue; /* started after the pool gave up on it: not counted */
    if (tid < job_n) job_fn(job_ctx, tid, job_n);
    if (atomic_fetch_sub(&pending, 1) == 1)
      __builtin_wasm_memory_atomic_notify((int *)&pending, 1);
  }
}
#endif

/* --- opcode names (the TypeScript side binds ops by name, as with the addon) --- */

#define KILN_NAME_U(NAME, EXPR, EXACT) #NAME "\0"
#define KILN_NAME_R(NAME) #NAME "\0"
static const char UNARY_NAMES[] = UNARY_LIST(KILN_NAME_U);
static const char BINARY_NAMES[] = BINARY_LIST(KILN_NAME_U);
static const char REDUCE_NAMES[] = REDUCE_LIST(KILN_NAME_R);

/* NUL-separated names of kind 0 unary, 1 binary, 2 reduce; *count (meta[0]) gets their number. */
EXPORT(kw_op_names) const char *kw_op_names(int kind) {
  meta[0] = kind == 0 ? U_COUNT : kind == 1 ? B_COUNT : R_COUNT;
  meta[1] = kind == 0 ? sizeof UNARY_NAMES : kind == 1 ? sizeof BINARY_NAMES : sizeof REDUCE_NAMES;
  return kind == 0 ? UNARY_NAMES : kind == 1 ? BINARY_NAMES : REDUCE_NAMES;
}

/* --- primitives: meta = [nd, shape..., then per view offset, strides...] (addon layout) --- */

static int read_shape(int64_t *shape) {
  int nd = (int)meta[0];
  if (nd < 0 || nd > KILN_MAX_DIMS) return -1;
  for (int d = 0; d < nd; d++) shape[d] = (int64_t)meta[1 + d];
  return nd;
}

static void make_view(int at, int nd, void *data, int dtype, kview *v) {
  v->data = data;
  v->dtype = dtype;
  v->offset = (int64_t)meta[at];
  for (int d = 0; d < nd; d++) v->strides[d] = (int64_t)meta[at + 1 + d];
}

EXPORT(kw_unary) int kw_unary(int op, void *out, int out_dt, void *x, int x_dt) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0) return -1;
  kview vo, vx;
  make_view(1 + nd, nd, out, out_dt, &vo);
  make_view(2 + 2 * nd, nd, x, x_dt, &vx);
  return kiln_unary(op, nd, shape, &vx, &vo);
}

EXPORT(kw_binary)
int kw_binary(int op, void *out, int out_dt, void *a, int a_dt, void *b, int b_dt) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0) return -1;
  kview vo, va, vb;
  make_view(1 + nd, nd, out, out_dt, &vo);
  make_view(2 + 2 * nd, nd, a, a_dt, &va);
  make_view(3 + 3 * nd, nd, b, b_dt, &vb);
  return kiln_binary(op, nd, shape, &va, &vb, &vo);
}

EXPORT(kw_where)
int kw_where(void *out, int out_dt, void *c, void *a, int a_dt, void *b, int b_dt) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0) return -1;
  kview vo, vc, va, vb;
  make_view(1 + nd, nd, out, out_dt, &vo);
  make_view(2 + 2 * nd, nd, c, KD_BOOL, &vc);
  make_view(3 + 3 * nd, nd, a, a_dt, &va);
  make_view(4 + 4 * nd, nd, b, b_dt, &vb);
  return kiln_where(nd, shape, &vc, &va, &vb, &vo);
}

EXPORT(kw_reduce) int kw_reduce(int op, int kept, void *x, int x_dt, void *out, int out_dt) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0 || kept < 0 || kept > nd) return -1;
  kview vx;
  make_view(1 + nd, nd, x, x_dt, &vx);
  return kiln_reduce(op, nd, shape, kept, &vx, out, out_dt);
}

EXPORT(kw_cumsum) int kw_cumsum(void *x, int x_dt, void *out, int out_dt) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0) return -1;
  kview vx;
  make_view(1 + nd, nd, x, x_dt, &vx);
  return kiln_cumsum(nd, shape, &vx, out, out_dt);
}

EXPORT(kw_take) int kw_take(void *x, int x_dt, const int32_t *index, int n, void *out, int out_dt) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0) return -1;
  kview vx;
  make_view(1 + nd, nd, x, x_dt, &vx);
  kiln_take(nd, shape, &vx, index, n, out, out_dt);
  return 0;
}

EXPORT(kw_put)
int kw_put(void *target, int t_dt, const int32_t *index, int n, void *values, int v_dt, int acc) {
  int64_t shape[KILN_MAX_DIMS];
  int nd = read_shape(shape);
  if (nd < 0) return -1;
  kview vt, vv;
  make_view(1 + nd, nd, target, t_dt, &vt);
  vv.data = values;
  vv.dtype = v_dt;
  vv.offset = 0;
  kiln_put(nd, shape, &vt, index, n, &vv, acc);
  return 0;
}

/* meta = [B, M, K, N, aStrideB, aStrideM, aStrideK, bStrideB, bStrideK, bStrideN]; a and b
 * point at their views' first elements. */
EXPORT(kw_matmul) int kw_matmul(int dtype, const void *a, const void *b, void *out) {
  int64_t sa[3] = {(int64_t)meta[4], (int64_t)meta[5], (int64_t)meta[6]};
  int64_t sb[3] = {(int64_t)meta[7], (int64_t)meta[8], (int64_t)meta[9]};
  return kiln_matmul(dtype, (int64_t)meta[0], (int64_t)meta[1], (int64_t)meta[2],
                     (int64_t)meta[3], a, sa, b, sb, out);
}

/* --- fused float32 kernels: the window geometry is meta[0..21] (kconv's field order) --- */

static kconv geometry(void) {
  kconv g;
  int64_t *f = &g.N;
  for (int i = 0; i < (int)(sizeof g / sizeof g.N); i++) f[i] = (int64_t)meta[i];
  return g;
}

EXPORT(kw_conv2d_work) double kw_conv2d_work(void) {
  kconv g = geometry();
  return (double)kiln_conv2d_work(&g);
}

EXPORT(kw_conv2d)
void kw_conv2d(const float *x, const float *w, const float *bias, float *out, float *work) {
  kconv g = geometry();
  kiln_conv2d(&g, x, w, bias, out, work);
}

EXPORT(kw_conv2d_input_grad)
void kw_conv2d_input_grad(const float *gy, const float *w, float *gx, float *work) {
  kconv g = geometry();
  kiln_conv2d_input_grad(&g, gy, w, gx, work);
}

EXPORT(kw_conv2d_weight_grad)
void kw_conv2d_weight_grad(const float *gy, const float *x, float *gw, float *gb, float *work) {
  kconv g = geometry();
  kiln_conv2d_weight_grad(&g, gy, x, gw, gb, work);
}

EXPORT(kw_max_pool2d) void kw_max_pool2d(const float *x, float *out, int32_t *arg) {
  kconv g = geometry();
  kiln_max_pool2d(&g, x, out, arg);
}

EXPORT(kw_max_pool2d_backward)
void kw_max_pool2d_backward(const float *gy, const int32_t *arg, float *gx) {
  kconv g = geometry();
  kiln_max_pool2d_backward(&g, gy, arg, gx);
}

EXPORT(kw_avg_pool2d)
void kw_avg_pool2d(int include_pad, double divisor, const float *x, float *out) {
  kconv g = geometry();
  kiln_avg_pool2d(&g, include_pad, (int64_t)divisor, x, out);
}

EXPORT(kw_avg_pool2d_backward)
void kw_avg_pool2d_backward(int include_pad, double divisor, const float *gy, float *gx) {
  kconv g = geometry();
  kiln_avg_pool2d_backward(&g, include_pad, (int64_t)divisor, gy, gx);
}

EXPORT(kw_batch_norm)
void kw_batch_norm(double N, double C, double L, const float *x, const float *w, const float *b,
                   float *mean, float *invstd, float *var, double eps, int training, float *y) {
  kiln_batch_norm((int64_t)N, (int64_t)C, (int64_t)L, x, w, b, mean, invstd, var, eps, training,
                  y);
}

EXPORT(kw_batch_norm_backward)
void kw_batch_norm_backward(double N, double C, double L, const float *gy, const float *x,
                            const float *w, const float *mean, const float *invstd, int training,
                            float *gx, float *gw, float *gb) {
  kiln_batch_norm_backward((int64_t)N, (int64_t)C, (int64_t)L, gy, x, w, mean, invstd, training,
                           gx, gw, gb);
}

EXPORT(kw_layer_norm)
void kw_layer_norm(double M, double N, const float *x, const float *w, const float *b, double eps,
                   float *mean, float *rstd, float *y) {
  kiln_layer_norm((int64_t)M, (int64_t)N, x, w, b, eps, mean, rstd, y);
}

EXPORT(kw_layer_norm_backward)
void kw_layer_norm_backward(double M, double N, const float *gy, const float *x, const float *w,
                            const float *mean, const float *rstd, float *gx, float *gw,
                            float *gb) {
  kiln_layer_norm_backward((int64_t)M, (int64_t)N, gy, x, w, mean, rstd, gx, gw, gb);
}

EXPORT(kw_softmax)
void kw_softmax(double M, double N, const float *x, int log_form, float *y) {
  kiln_softmax((int64_t)M, (int64_t)N, x, log_form, y);
}

EXPORT(kw_softmax_backward)
void kw_softmax_backward(double M, double N, const float *y, const float *gy, int log_form,
                         float *gx) {
  kiln_softmax_backward((int64_t)M, (int64_t)N, y, gy, log_form, gx);
}

EXPORT(kw_cross_entropy)
void kw_cross_entropy(double rows, double C, const float *x, const int32_t *target,
                      const float *weight, int ignore, float eps, float *loss, float *row_weight,
                      float *lse) {
  kiln_cross_entropy((int64_t)rows, (int64_t)C, x, target, weight, ignore, eps, loss, row_weight,
                     lse);
}

EXPORT(kw_cross_entropy_backward)
void kw_cross_entropy_backward(double rows, double C, const float *x, const int32_t *target,
                               const float *weight, int ignore, float eps, const float *lse,
                               const float *g, int g_stride, float *gx) {
  kiln_cross_entropy_backward((int64_t)rows, (int64_t)C, x, target, weight, ignore, eps, lse, g,
                              g_stride, gx);
}

EXPORT(kw_linear)
void kw_linear(double M, double K, double N, const float *x, const float *w, const float *bias,
               float *out) {
  kiln_linear((int64_t)M, (int64_t)K, (int64_t)N, x, w, bias, out);
}

EXPORT(kw_linear_backward)
void kw_linear_backward(double M, double K, double N, const float *g, const float *x,
                        const float *w, float *gx, float *gw, float *gb) {
  kiln_linear_backward((int64_t)M, (int64_t)K, (int64_t)N, g, x, w, gx, gw, gb);
}

EXPORT(kw_relu_backward) void kw_relu_backward(double n, const float *y, const float *g, float *gx) {
  kiln_relu_backward((int64_t)n, y, g, gx);
}

EXPORT(kw_lstm_cell)
void kw_lstm_cell(double B, double H, const float *xg, const float *hg, const float *c_prev,
                  float *h, float *c, float *act, float *tc) {
  kiln_lstm_cell((int64_t)B, (int64_t)H, xg, hg, c_prev, h, c, act, tc);
}

EXPORT(kw_lstm_cell_backward)
void kw_lstm_cell_backward(double B, double H, const float *act, const float *tc,
                           const float *c_prev, const float *gh, const float *gc, float *ggates,
                           float *gc_prev) {
  kiln_lstm_cell_backward((int64_t)B, (int64_t)H, act, tc, c_prev, gh, gc, ggates, gc_prev);
}

EXPORT(kw_gru_cell)
void kw_gru_cell(double B, double H, const float *xg, const float *hg, const float *h_prev,
                 float *h, float *act) {
  kiln_gru_cell((int64_t)B, (int64_t)H, xg, hg, h_prev, h, act);
}

EXPORT(kw_gru_cell_backward)
void kw_gru_cell_backward(double B, double H, const float *act, const float *h_prev,
                          const float *gh, float *gxg, float *ghg, float *gh_prev) {
  kiln_gru_cell_backward((int64_t)B, (int64_t)H, act, h_prev, gh, gxg, ghg, gh_prev);
}

EXPORT(kw_sgd)
void kw_sgd(double n, float *p, const float *grad, float *buf, float lr, float momentum,
            float dampening1, float wd, int nesterov, int maximize, int first) {
  kiln_sgd((int64_t)n, p, grad, buf, lr, momentum, dampening1, wd, nesterov, maximize, first);
}

EXPORT(kw_adam)
void kw_adam(double n, float *p, const float *grad, float *m, float *v, float *vmax, float beta1,
             float beta2, float omb1, float omb2, float eps, float wd, float decay_mul,
             float bc2sqrt, float neg_step, int decoupled, int maximize) {
  kiln_adam((int64_t)n, p, grad, m, v, vmax, 0, beta1, beta2, omb1, omb2, eps, wd, decay_mul,
            bc2sqrt, neg_step, decoupled, maximize);
}

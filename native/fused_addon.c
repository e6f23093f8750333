/* N-API glue of the fused kernels (conv_im2col.c, pooling.c, batch_norm.c, cross_entropy.c,
 * optim_update.c, linear.c): unpacks Float32Array/Int32Array arguments without copying, reads
 * window geometry from the shared metadata array, checks every array is long enough for the
 * geometry, and calls the kernel. Only Node-facing code lives here. */
#define NAPI_VERSION 8
#include <node_api.h>
#include "kiln.h"

double *kiln_addon_meta(napi_env env);

#define MAXARGS 20

typedef struct {
  napi_env env;
  napi_value argv[MAXARGS];
  size_t argc;
  int failed;
} args;

static int fail(args *a, const char *msg) {
  if (!a->failed) napi_throw_range_error(a->env, NULL, msg);
  a->failed = 1;
  return 0;
}

static int start(napi_env env, napi_callback_info info, args *a) {
  a->env = env;
  a->argc = MAXARGS;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return fail(a, "kiln fused: bad call");
  return 1;
}

/* A typed array of the wanted type with at least `need` elements; NULL when null is allowed. */
static void *arr(args *a, size_t i, napi_typedarray_type want, int64_t need, int nullable) {
  if (a->failed) return NULL;
  if (i >= a->argc) return fail(a, "kiln fused: missing argument"), NULL;
  napi_valuetype vt;
  napi_typeof(a->env, a->argv[i], &vt);
  if (vt == napi_null || vt == napi_undefined) {
    if (!nullable) fail(a, "kiln fused: null array");
    return NULL;
  }
  napi_typedarray_type type;
  size_t len;
  void *data;
  if (napi_get_typedarray_info(a->env, a->argv[i], &type, &len, &data, NULL, NULL) != napi_ok ||
      type != want)
    return fail(a, "kiln fused: wrong typed array type"), NULL;
  if (need < 0 || (int64_t)len < need) return fail(a, "kiln fused: array too short"), NULL;
  return data;
}

static double num(args *a, size_t i) {
  double v = 0;
  if (a->failed) return 0;
  if (i >= a->argc || napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) fail(a, "kiln fused: expected a number");
  return v;
}

/* Geometry from meta[0..15]; checks it is consistent. */
static int geometry(args *a, kconv *g) {
  const double *m = kiln_addon_meta(a->env);
  int64_t *f = &g->N;
  for (int i = 0; i < 16; i++) f[i] = m[i];
  if (g->N < 0 || g->C <= 0 || g->H <= 0 || g->W <= 0 || g->O <= 0 || g->Ho <= 0 || g->Wo <= 0 ||
      g->kh <= 0 || g->kw <= 0 || g->sh <= 0 || g->sw <= 0 || g->dh <= 0 || g->dw <= 0 ||
      g->pt < 0 || g->pl < 0 || g->groups <= 0 || g->C % g->groups || g->O % g->groups)
    return fail(a, "kiln fused: bad window geometry");
  return 1;
}

/* v as a JavaScript boolean, or nothing after a failed argument (its exception is pending). */
static napi_value boolean(args *a, int v) {
  napi_value out = NULL;
  if (!a->failed) napi_get_boolean(a->env, v, &out);
  return out;
}

#define F32 napi_float32_array
#define I32 napi_int32_array

/* conv2dWork(): floats of work the conv2d kernels need for the geometry in meta. */
static napi_value js_conv2d_work(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  napi_value out = NULL;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  napi_create_double(env, (double)kiln_conv2d_work(&g), &out);
  return out;
}

static napi_value js_conv2d(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  const int64_t K = g.C / g.groups * g.kh * g.kw;
  const float *x = arr(&a, 0, F32, g.N * g.C * g.H * g.W, 0);
  const float *w = arr(&a, 1, F32, g.O * K, 0);
  const float *b = arr(&a, 2, F32, g.O, 1);
  float *out = arr(&a, 3, F32, g.N * g.O * g.Ho * g.Wo, 0);
  float *work = arr(&a, 4, F32, kiln_conv2d_work(&g), 0);
  if (!a.failed) kiln_conv2d(&g, x, w, b, out, work);
  return NULL;
}

static napi_value js_conv2d_input_grad(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  const int64_t K = g.C / g.groups * g.kh * g.kw;
  const float *gy = arr(&a, 0, F32, g.N * g.O * g.Ho * g.Wo, 0);
  const float *w = arr(&a, 1, F32, g.O * K, 0);
  float *gx = arr(&a, 2, F32, g.N * g.C * g.H * g.W, 0);
  float *work = arr(&a, 3, F32, kiln_conv2d_work(&g), 0);
  return boolean(&a, !a.failed && kiln_conv2d_input_grad(&g, gy, w, gx, work));
}

static napi_value js_conv2d_weight_grad(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  const int64_t K = g.C / g.groups * g.kh * g.kw;
  const float *gy = arr(&a, 0, F32, g.N * g.O * g.Ho * g.Wo, 0);
  const float *x = arr(&a, 1, F32, g.N * g.C * g.H * g.W, 0);
  float *gw = arr(&a, 2, F32, g.O * K, 0);
  float *gb = arr(&a, 3, F32, g.O, 1);
  float *work = arr(&a, 4, F32, kiln_conv2d_work(&g), 0);
  return boolean(&a, !a.failed && kiln_conv2d_weight_grad(&g, gy, x, gw, gb, work));
}

static napi_value js_max_pool2d(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  if (g.N * g.C * g.H * g.W > INT32_MAX) return fail(&a, "kiln fused: input too large"), NULL;
  const float *x = arr(&a, 0, F32, g.N * g.C * g.H * g.W, 0);
  float *out = arr(&a, 1, F32, g.N * g.C * g.Ho * g.Wo, 0);
  int32_t *arg = arr(&a, 2, I32, g.N * g.C * g.Ho * g.Wo, 0);
  if (!a.failed) kiln_max_pool2d(&g, x, out, arg);
  return NULL;
}

static napi_value js_max_pool2d_backward(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  const int64_t L = g.N * g.C * g.Ho * g.Wo, n = g.N * g.C * g.H * g.W;
  const float *gy = arr(&a, 0, F32, L, 0);
  const int32_t *arg = arr(&a, 1, I32, L, 0);
  float *gx = arr(&a, 2, F32, n, 0);
  if (a.failed) return NULL;
  /* Each index must stay inside its own plane (threads own planes). */
  const int64_t HW = g.H * g.W, per = g.Ho * g.Wo;
  if (n > INT32_MAX) return fail(&a, "kiln fused: pool input too large"), NULL;
  for (int64_t p = 0, i = 0; i < L; p++, i += per) {
    /* -1 (padding) or inside [lo, lo + HW), in 32-bit lanes without branches, so it vectorises */
    const int32_t lo = (int32_t)(p * HW), hw = (int32_t)HW;
    const int32_t *row = arg + i;
    int32_t bad = 0;
    for (int64_t q = 0; q < per; q++) bad |= (row[q] >= 0) & ((uint32_t)(row[q] - lo) >= (uint32_t)hw);
    if (bad) return fail(&a, "kiln fused: pool index out of range"), NULL;
  }
  kiln_max_pool2d_backward(&g, gy, arg, gx);
  return NULL;
}

static napi_value js_avg_pool2d(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  const float *x = arr(&a, 0, F32, g.N * g.C * g.H * g.W, 0);
  float *out = arr(&a, 1, F32, g.N * g.C * g.Ho * g.Wo, 0);
  const int pad = num(&a, 2) != 0;
  const int64_t div = (int64_t)num(&a, 3);
  if (!a.failed) kiln_avg_pool2d(&g, pad, div, x, out);
  return NULL;
}

static napi_value js_avg_pool2d_backward(napi_env env, napi_callback_info info) {
  args a;
  kconv g;
  if (!start(env, info, &a) || !geometry(&a, &g)) return NULL;
  const float *gy = arr(&a, 0, F32, g.N * g.C * g.Ho * g.Wo, 0);
  float *gx = arr(&a, 1, F32, g.N * g.C * g.H * g.W, 0);
  const int pad = num(&a, 2) != 0;
  const int64_t div = (int64_t)num(&a, 3);
  if (!a.failed) kiln_avg_pool2d_backward(&g, pad, div, gy, gx);
  return NULL;
}

/* batchNorm(x, w, b, mean, invstd, var, y, N, C, L, eps, training) */
static napi_value js_batch_norm(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t N = (int64_t)num(&a, 7), C = (int64_t)num(&a, 8), L = (int64_t)num(&a, 9);
  const double eps = num(&a, 10);
  const int training = num(&a, 11) != 0;
  if (N < 0 || C < 0 || L < 0) return fail(&a, "kiln fused: bad batch norm shape"), NULL;
  const float *x = arr(&a, 0, F32, N * C * L, 0);
  const float *w = arr(&a, 1, F32, C, 1), *b = arr(&a, 2, F32, C, 1);
  float *mean = arr(&a, 3, F32, C, 0), *invstd = arr(&a, 4, F32, C, 0);
  float *var = arr(&a, 5, F32, C, 0), *y = arr(&a, 6, F32, N * C * L, 0);
  if (!a.failed) kiln_batch_norm(N, C, L, x, w, b, mean, invstd, var, eps, training, y);
  return NULL;
}

/* batchNormBackward(gy, x, w, mean, invstd, gx, gw, gb, N, C, L, training) */
static napi_value js_batch_norm_backward(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t N = (int64_t)num(&a, 8), C = (int64_t)num(&a, 9), L = (int64_t)num(&a, 10);
  const int training = num(&a, 11) != 0;
  if (N < 0 || C < 0 || L < 0) return fail(&a, "kiln fused: bad batch norm shape"), NULL;
  const float *gy = arr(&a, 0, F32, N * C * L, 0), *x = arr(&a, 1, F32, N * C * L, 0);
  const float *w = arr(&a, 2, F32, C, 1);
  const float *mean = arr(&a, 3, F32, C, 0), *invstd = arr(&a, 4, F32, C, 0);
  float *gx = arr(&a, 5, F32, N * C * L, 1), *gw = arr(&a, 6, F32, C, 1), *gb = arr(&a, 7, F32, C, 1);
  if (!a.failed) kiln_batch_norm_backward(N, C, L, gy, x, w, mean, invstd, training, gx, gw, gb);
  return NULL;
}

static int targets_ok(args *a, const int32_t *t, int64_t rows, int64_t C, int32_t ignore) {
  if (a->failed) return 0;
  for (int64_t r = 0; r < rows; r++)
    if (t[r] != ignore && (t[r] < 0 || t[r] >= C)) return fail(a, "kiln fused: target out of range");
  return 1;
}

/* crossEntropy(x, target, weight, loss, rowWeight, lse, rows, C, ignore, eps) */
static napi_value js_cross_entropy(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t rows = (int64_t)num(&a, 6), C = (int64_t)num(&a, 7);
  const int32_t ignore = (int32_t)num(&a, 8);
  const float eps = (float)num(&a, 9);
  if (rows < 0 || C <= 0) return fail(&a, "kiln fused: bad cross-entropy shape"), NULL;
  const float *x = arr(&a, 0, F32, rows * C, 0);
  const int32_t *t = arr(&a, 1, I32, rows, 0);
  const float *w = arr(&a, 2, F32, C, 1);
  float *loss = arr(&a, 3, F32, rows, 0), *rw = arr(&a, 4, F32, rows, 0), *lse = arr(&a, 5, F32, rows, 0);
  if (targets_ok(&a, t, rows, C, ignore)) kiln_cross_entropy(rows, C, x, t, w, ignore, eps, loss, rw, lse);
  return NULL;
}

/* crossEntropyBackward(x, target, weight, lse, g, gStride, gx, rows, C, ignore, eps) */
static napi_value js_cross_entropy_backward(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t gs = (int64_t)num(&a, 5), rows = (int64_t)num(&a, 7), C = (int64_t)num(&a, 8);
  const int32_t ignore = (int32_t)num(&a, 9);
  const float eps = (float)num(&a, 10);
  if (rows < 0 || C <= 0 || (gs != 0 && gs != 1)) return fail(&a, "kiln fused: bad cross-entropy shape"), NULL;
  const float *x = arr(&a, 0, F32, rows * C, 0);
  const int32_t *t = arr(&a, 1, I32, rows, 0);
  const float *w = arr(&a, 2, F32, C, 1), *lse = arr(&a, 3, F32, rows, 0);
  const float *g = arr(&a, 4, F32, gs ? rows : 1, 0);
  float *gx = arr(&a, 6, F32, rows * C, 0);
  if (targets_ok(&a, t, rows, C, ignore))
    kiln_cross_entropy_backward(rows, C, x, t, w, ignore, eps, lse, g, gs, gx);
  return NULL;
}

/* sgdMany(list, lr, momentum, dampening1, wd, nesterov, maximize): list holds (p, g, buf|null,
 * first) quadruples; one call for a whole parameter group. Tensors go to the kernel in chunks
 * of SGD_CHUNK (the pointer tables live on the stack). */
#define SGD_CHUNK 32
static napi_value js_sgd_many(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const float lr = (float)num(&a, 1), mo = (float)num(&a, 2), d1 = (float)num(&a, 3),
              wd = (float)num(&a, 4);
  const int nesterov = num(&a, 5) != 0, maximize = num(&a, 6) != 0;
  uint32_t len = 0;
  if (!a.failed && napi_get_array_length(env, a.argv[0], &len) != napi_ok)
    fail(&a, "kiln fused: sgdMany expects an array");
  if (len % 4 != 0) fail(&a, "kiln fused: sgdMany expects (p, g, buf, first) quadruples");
  if (a.failed) return NULL;
  float *p[SGD_CHUNK], *buf[SGD_CHUNK];
  const float *g[SGD_CHUNK];
  int64_t n[SGD_CHUNK];
  uint8_t first[SGD_CHUNK];
  /* An args view onto one quadruple, so that arr() and num() check its entries. */
  args q = {env, {NULL}, 4, 0};
  int count = 0;
  for (uint32_t t = 0; t < len / 4; t++) {
    for (uint32_t i = 0; i < 4; i++)
      if (napi_get_element(env, a.argv[0], 4 * t + i, &q.argv[i]) != napi_ok)
        return fail(&q, "kiln fused: bad sgdMany entry"), NULL;
    size_t size = 0;
    napi_get_typedarray_info(env, q.argv[0], NULL, &size, NULL, NULL, NULL);
    p[count] = arr(&q, 0, F32, 0, 0);
    g[count] = arr(&q, 1, F32, (int64_t)size, 0);
    buf[count] = arr(&q, 2, F32, (int64_t)size, 1);
    first[count] = num(&q, 3) != 0;
    n[count] = (int64_t)size;
    if (q.failed) return NULL;
    if (++count == SGD_CHUNK || t + 1 == len / 4) {
      kiln_sgd_many(count, p, g, buf, n, first, lr, mo, d1, wd, nesterov, maximize);
      count = 0;
    }
  }
  return NULL;
}

/* adam(p, g, m, v, vmax, beta1, beta2, 1-beta1, 1-beta2, eps, wd, decayMul, bc2Sqrt, -stepSize,
 *      decoupled, maximize) */
static napi_value js_adam(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  size_t n = 0;
  napi_get_typedarray_info(env, a.argv[0], NULL, &n, NULL, NULL, NULL);
  float *p = arr(&a, 0, F32, 0, 0);
  const float *g = arr(&a, 1, F32, (int64_t)n, 0);
  float *m = arr(&a, 2, F32, (int64_t)n, 0), *v = arr(&a, 3, F32, (int64_t)n, 0);
  float *vmax = arr(&a, 4, F32, (int64_t)n, 1);
  float s[9];
  for (int i = 0; i < 9; i++) s[i] = (float)num(&a, 5 + (size_t)i);
  const int decoupled = num(&a, 14) != 0, maximize = num(&a, 15) != 0;
  if (!a.failed)
    kiln_adam((int64_t)n, p, g, m, v, vmax, 0, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8],
              decoupled, maximize);
  return NULL;
}

/* linear(x, w, bias, out, M, K, N) */
static napi_value js_linear(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t M = (int64_t)num(&a, 4), K = (int64_t)num(&a, 5), N = (int64_t)num(&a, 6);
  if (M < 0 || K < 0 || N < 0) return fail(&a, "kiln fused: bad linear shape"), NULL;
  const float *x = arr(&a, 0, F32, M * K, 0), *w = arr(&a, 1, F32, N * K, 0);
  const float *b = arr(&a, 2, F32, N, 1);
  float *out = arr(&a, 3, F32, M * N, 0);
  return boolean(&a, !a.failed && kiln_linear(M, K, N, x, w, b, out));
}

/* linearBackward(g, x, w, gx, gw, gb, M, K, N) */
static napi_value js_linear_backward(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t M = (int64_t)num(&a, 6), K = (int64_t)num(&a, 7), N = (int64_t)num(&a, 8);
  if (M < 0 || K < 0 || N < 0) return fail(&a, "kiln fused: bad linear shape"), NULL;
  const float *g = arr(&a, 0, F32, M * N, 0), *x = arr(&a, 1, F32, M * K, 0);
  const float *w = arr(&a, 2, F32, N * K, 0);
  float *gx = arr(&a, 3, F32, M * K, 1), *gw = arr(&a, 4, F32, N * K, 1);
  float *gb = arr(&a, 5, F32, N, 1);
  return boolean(&a, !a.failed && kiln_linear_backward(M, K, N, g, x, w, gx, gw, gb));
}

/* reluBackward(y, g, gx, n) */
static napi_value js_relu_backward(napi_env env, napi_callback_info info) {
  args a;
  if (!start(env, info, &a)) return NULL;
  const int64_t n = (int64_t)num(&a, 3);
  if (n < 0) return fail(&a, "kiln fused: bad length"), NULL;
  const float *y = arr(&a, 0, F32, n, 0), *g = arr(&a, 1, F32, n, 0);
  float *gx = arr(&a, 2, F32, n, 0);
  if (!a.failed) kiln_relu_backward(n, y, g, gx);
  return NULL;
}

napi_status kiln_define_fused(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"conv2dWork", NULL, js_conv2d_work, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2d", NULL, js_conv2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dInputGrad", NULL, js_conv2d_input_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"conv2dWeightGrad", NULL, js_conv2d_weight_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"maxPool2d", NULL, js_max_pool2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"maxPool2dBackward", NULL, js_max_pool2d_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"avgPool2d", NULL, js_avg_pool2d, NULL, NULL, NULL, napi_enumerable, NULL},
      {"avgPool2dBackward", NULL, js_avg_pool2d_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"batchNorm", NULL, js_batch_norm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"batchNormBackward", NULL, js_batch_norm_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crossEntropy", NULL, js_cross_entropy, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crossEntropyBackward", NULL, js_cross_entropy_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgdMany", NULL, js_sgd_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, js_adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linear", NULL, js_linear, NULL, NULL, NULL, napi_enumerable, NULL},
      {"linearBackward", NULL, js_linear_backward, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reluBackward", NULL, js_relu_backward, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

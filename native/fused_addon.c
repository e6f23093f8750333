/* N-API glue of the fused kernels (conv_im2col.c, pooling.c, batch_norm.c, cross_entropy.c,
 * optim_update.c, linear.c). Their N-API functions are GENERATED into fused_abi.h from the one
 * description in tools/native-abi-kernels.ts (positional order, array types, lengths, checks);
 * this file holds the unpacking helpers they use and the handwritten checks the description
 * names (pool indices, targets, the sgdMany list). Only Node-facing code lives here. */
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

/* Reads up to n (<= MAXARGS) arguments; missing ones fail when unpacked. */
static int start(napi_env env, napi_callback_info info, args *a, size_t n) {
  a->env = env;
  a->argc = n;
  a->failed = 0;
  if (napi_get_cb_info(env, info, &a->argc, a->argv, NULL, NULL) != napi_ok) return fail(a, "kiln fused: bad call");
  if (a->argc > n) a->argc = n;
  return 1;
}

/* A typed array of the wanted type with at least `need` elements; NULL when null is allowed.
 * *len (when given) receives its length. */
static void *arr_info(args *a, size_t i, napi_typedarray_type want, int64_t need, int nullable,
                      int64_t *len_out) {
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
  if (len_out != NULL) *len_out = (int64_t)len;
  return data;
}

static void *arr(args *a, size_t i, napi_typedarray_type want, int64_t need, int nullable) {
  return arr_info(a, i, want, need, nullable, NULL);
}

/* A non-null typed array of any length, which *len receives. */
static void *arr_len(args *a, size_t i, napi_typedarray_type want, int64_t *len) {
  return arr_info(a, i, want, 0, 0, len);
}

static double num(args *a, size_t i) {
  double v = 0;
  if (a->failed) return 0;
  if (i >= a->argc || napi_get_value_double(a->env, a->argv[i], &v) != napi_ok) fail(a, "kiln fused: expected a number");
  return v;
}

/* A boolean; a number counts as true when it is not 0. */
static int flag(args *a, size_t i) {
  bool b = false;
  if (a->failed) return 0;
  if (i < a->argc && napi_get_value_bool(a->env, a->argv[i], &b) == napi_ok) return b;
  return num(a, i) != 0;
}

/* The argument itself (a list the called function walks). */
static napi_value value(args *a, size_t i) {
  if (a->failed) return NULL;
  if (i >= a->argc) return fail(a, "kiln fused: missing argument"), NULL;
  return a->argv[i];
}

#define F32 napi_float32_array
#define I32 napi_int32_array

/* maxPool2dBackward: each index is -1 (padding) or inside its own plane (threads own planes; a
 * plane is a D x H x W volume in 3-D). */
static int pool_indices_ok(args *a, const kconv *g, const int32_t *arg) {
  const int64_t per = g->Do * g->Ho * g->Wo, HW = g->D * g->H * g->W;
  const int64_t L = g->N * g->C * per, n = g->N * g->C * HW;
  if (n > INT32_MAX) return fail(a, "kiln fused: pool input too large");
  for (int64_t p = 0, i = 0; i < L; p++, i += per) {
    /* -1 (padding) or inside [lo, lo + HW), in 32-bit lanes without branches, so it vectorises */
    const int32_t lo = (int32_t)(p * HW), hw = (int32_t)HW;
    const int32_t *row = arg + i;
    int32_t bad = 0;
    for (int64_t q = 0; q < per; q++) bad |= (row[q] >= 0) & ((uint32_t)(row[q] - lo) >= (uint32_t)hw);
    if (bad) return fail(a, "kiln fused: pool index out of range");
  }
  return 1;
}

/* crossEntropy(Backward): every target is a class or the ignored index. */
static int targets_ok(args *a, const int32_t *t, int64_t rows, int64_t C, int32_t ignore) {
  if (a->failed) return 0;
  for (int64_t r = 0; r < rows; r++)
    if (t[r] != ignore && (t[r] < 0 || t[r] >= C)) return fail(a, "kiln fused: target out of range");
  return 1;
}

/* sgdMany: list holds (p, g, buf|null, first) quadruples; one call for a whole parameter group.
 * Tensors go to the kernel in chunks of SGD_CHUNK (the pointer tables live on the stack). */
#define SGD_CHUNK 32
static void sgd_many(args *a, napi_value list, float lr, float mo, float d1, float wd,
                     int nesterov, int maximize) {
  napi_env env = a->env;
  uint32_t len = 0;
  if (napi_get_array_length(env, list, &len) != napi_ok) fail(a, "kiln fused: sgdMany expects an array");
  if (len % 4 != 0) fail(a, "kiln fused: sgdMany expects (p, g, buf, first) quadruples");
  if (a->failed) return;
  float *p[SGD_CHUNK], *buf[SGD_CHUNK];
  const float *g[SGD_CHUNK];
  int64_t n[SGD_CHUNK];
  uint8_t first[SGD_CHUNK];
  /* An args view onto one quadruple, so that arr() and num() check its entries. */
  args q = {env, {NULL}, 4, 0};
  int count = 0;
  for (uint32_t t = 0; t < len / 4; t++) {
    for (uint32_t i = 0; i < 4; i++)
      if (napi_get_element(env, list, 4 * t + i, &q.argv[i]) != napi_ok) {
        fail(&q, "kiln fused: bad sgdMany entry");
        return;
      }
    int64_t size = 0;
    p[count] = arr_len(&q, 0, F32, &size);
    g[count] = arr(&q, 1, F32, size, 0);
    buf[count] = arr(&q, 2, F32, size, 1);
    first[count] = num(&q, 3) != 0;
    n[count] = size;
    if (q.failed) return;
    if (++count == SGD_CHUNK || t + 1 == len / 4) {
      kiln_sgd_many(count, p, g, buf, n, first, lr, mo, d1, wd, nesterov, maximize);
      count = 0;
    }
  }
}

#include "fused_abi.h"

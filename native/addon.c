/* N-API glue: the only file that knows about Node. Unpacks typed arrays (no copies) and the
 * shared metadata array (shapes, strides, offsets written by the TypeScript side, so calls
 * allocate nothing), checks every view stays inside its array, and calls the kernels.
 * NOTE: meta is float64, exact for every integer below 2^53: sizes of 2^31 elements and more
 * reach the kernels whole (an int32 meta wrapped them: a sum of 2^31 ones gave 0). */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "kiln.h"

#define META_LEN 1024

typedef struct {
  double *meta;
  napi_ref meta_ref;
} instance;

static atomic_int live_envs;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "KILN_NATIVE", "kiln native: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

typedef struct {
  void *data;
  size_t length;
  int dtype;
} tarray;

static int get_array(napi_env env, napi_value v, tarray *out) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &out->length, &out->data, &ab, &off) != napi_ok) {
    napi_throw_type_error(env, NULL, "kiln native: expected a typed array");
    return 0;
  }
  switch (type) {
    case napi_uint8_array: out->dtype = KD_BOOL; break;
    case napi_int32_array: out->dtype = KD_I32; break;
    case napi_float32_array: out->dtype = KD_F32; break;
    case napi_float64_array: out->dtype = KD_F64; break;
    default:
      napi_throw_type_error(env, NULL, "kiln native: unsupported typed array type");
      return 0;
  }
  return 1;
}

static instance *inst(napi_env env) {
  void *p = NULL;
  napi_get_instance_data(env, &p);
  return (instance *)p;
}

/* The shared metadata array, for the fused kernels' glue (fused_addon.c). */
double *kiln_addon_meta(napi_env env) { return inst(env)->meta; }
napi_status kiln_define_fused(napi_env env, napi_value exports);

/* Reads nd and shape from meta; returns nd or -1 after throwing. */
static int read_shape(napi_env env, const double *m, int64_t *shape, int64_t *numel) {
  int nd = m[0];
  if (nd < 0 || nd > KILN_MAX_DIMS) {
    napi_throw_range_error(env, NULL, "kiln native: too many dimensions");
    return -1;
  }
  *numel = 1;
  for (int d = 0; d < nd; d++) {
    shape[d] = m[1 + d];
    *numel *= shape[d];
  }
  return nd;
}

/* Fills a view from meta[at] = offset, meta[at+1..] = strides, and checks its extent. */
static int make_view(napi_env env, const double *m, int at, int nd, const int64_t *shape,
                     int64_t numel, const tarray *arr, kview *v) {
  v->data = arr->data;
  v->dtype = arr->dtype;
  v->offset = m[at];
  int64_t lo = v->offset, hi = v->offset;
  for (int d = 0; d < nd; d++) {
    int64_t s = m[at + 1 + d];
    v->strides[d] = s;
    if (shape[d] > 0) {
      if (s > 0) hi += s * (shape[d] - 1);
      else lo += s * (shape[d] - 1);
    }
  }
  if (numel > 0 && (lo < 0 || hi >= (int64_t)arr->length)) {
    napi_throw_range_error(env, NULL, "kiln native: view reaches outside its array");
    return 0;
  }
  return 1;
}

static napi_value js_unary(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t op;
  CHECK(napi_get_value_int32(env, argv[0], &op));
  tarray x, o;
  if (!get_array(env, argv[1], &x) || !get_array(env, argv[2], &o)) return NULL;
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vo, vx;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &o, &vo) ||
      !make_view(env, m, 1 + nd + (nd + 1), nd, shape, n, &x, &vx))
    return NULL;
  if (kiln_unary(op, nd, shape, &vx, &vo) != 0) napi_throw_error(env, NULL, "kiln native: bad unary");
  return NULL;
}

static napi_value js_binary(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t op;
  CHECK(napi_get_value_int32(env, argv[0], &op));
  tarray a, b, o;
  if (!get_array(env, argv[1], &a) || !get_array(env, argv[2], &b) || !get_array(env, argv[3], &o))
    return NULL;
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vo, va, vb;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &o, &vo) ||
      !make_view(env, m, 1 + nd + (nd + 1), nd, shape, n, &a, &va) ||
      !make_view(env, m, 1 + nd + 2 * (nd + 1), nd, shape, n, &b, &vb))
    return NULL;
  if (kiln_binary(op, nd, shape, &va, &vb, &vo) != 0)
    napi_throw_error(env, NULL, "kiln native: bad binary");
  return NULL;
}

static napi_value js_where(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tarray c, a, b, o;
  if (!get_array(env, argv[0], &c) || !get_array(env, argv[1], &a) ||
      !get_array(env, argv[2], &b) || !get_array(env, argv[3], &o))
    return NULL;
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vo, vc, va, vb;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &o, &vo) ||
      !make_view(env, m, 1 + nd + (nd + 1), nd, shape, n, &c, &vc) ||
      !make_view(env, m, 1 + nd + 2 * (nd + 1), nd, shape, n, &a, &va) ||
      !make_view(env, m, 1 + nd + 3 * (nd + 1), nd, shape, n, &b, &vb))
    return NULL;
  if (kiln_where(nd, shape, &vc, &va, &vb, &vo) != 0)
    napi_throw_error(env, NULL, "kiln native: bad where");
  return NULL;
}

/* reduce(op, x, kept, out) and cumsum(x, out): meta holds x's view only. */
static napi_value js_reduce(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t op, kept;
  CHECK(napi_get_value_int32(env, argv[0], &op));
  CHECK(napi_get_value_int32(env, argv[2], &kept));
  tarray x, o;
  if (!get_array(env, argv[1], &x) || !get_array(env, argv[3], &o)) return NULL;
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vx;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &x, &vx)) return NULL;
  int64_t nout = 1;
  for (int d = 0; d < kept && d < nd; d++) nout *= shape[d];
  if (kept < 0 || kept > nd || (int64_t)o.length < nout) {
    napi_throw_range_error(env, NULL, "kiln native: reduce output too small");
    return NULL;
  }
  if (kiln_reduce(op, nd, shape, kept, &vx, o.data, o.dtype) != 0)
    napi_throw_error(env, NULL, "kiln native: bad reduce");
  return NULL;
}

static napi_value js_cumsum(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tarray x, o;
  if (!get_array(env, argv[0], &x) || !get_array(env, argv[1], &o)) return NULL;
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vx;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &x, &vx)) return NULL;
  if ((int64_t)o.length < n) {
    napi_throw_range_error(env, NULL, "kiln native: cumsum output too small");
    return NULL;
  }
  kiln_cumsum(nd, shape, &vx, o.data, o.dtype);
  return NULL;
}

/* matmul(a, b, out): meta = [B, M, K, N, aOff, sab, sam, sak, bOff, sbb, sbk, sbn]. */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tarray a, b, o;
  if (!get_array(env, argv[0], &a) || !get_array(env, argv[1], &b) || !get_array(env, argv[2], &o))
    return NULL;
  const double *m = inst(env)->meta;
  int64_t B = m[0], M = m[1], K = m[2], N = m[3];
  int64_t sa[3] = {m[5], m[6], m[7]}, sb[3] = {m[9], m[10], m[11]};
  if (a.dtype != b.dtype || a.dtype != o.dtype || B < 0 || M < 0 || K < 0 || N < 0) {
    napi_throw_type_error(env, NULL, "kiln native: matmul operands differ in dtype");
    return NULL;
  }
  int64_t ashape[3] = {B, M, K}, bshape[3] = {B, K, N};
  double am[4] = {m[4], m[5], m[6], m[7]}, bm[4] = {m[8], m[9], m[10], m[11]};
  kview va, vb;
  if (!make_view(env, am, 0, 3, ashape, B * M * K, &a, &va) ||
      !make_view(env, bm, 0, 3, bshape, B * K * N, &b, &vb))
    return NULL;
  if ((int64_t)o.length < B * M * N) {
    napi_throw_range_error(env, NULL, "kiln native: matmul output too small");
    return NULL;
  }
  if (B == 0) return NULL;
  const size_t es = a.dtype == KD_F64 ? 8 : 4;
  if (kiln_matmul(a.dtype, B, M, K, N, (char *)a.data + va.offset * (int64_t)es, sa, (char *)b.data + vb.offset * (int64_t)es,
                  sb, o.data) != 0)
    napi_throw_type_error(env, NULL, "kiln native: matmul of this dtype is not supported");
  return NULL;
}

/* take(x, index, out) / put(target, index, values, accumulate): meta = x's or target's view,
 * then (put) the values' offset. Indices are bounds-checked by the ops; checked again here. */
static int check_index(napi_env env, const tarray *idx, int64_t n) {
  if (idx->dtype != KD_I32) {
    napi_throw_type_error(env, NULL, "kiln native: index must be an Int32Array");
    return 0;
  }
  const int32_t *p = (const int32_t *)idx->data;
  for (size_t i = 0; i < idx->length; i++)
    if (p[i] < 0 || p[i] >= n) {
      napi_throw_range_error(env, NULL, "kiln native: index out of range");
      return 0;
    }
  return 1;
}

static napi_value js_take(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tarray x, idx, o;
  if (!get_array(env, argv[0], &x) || !get_array(env, argv[1], &idx) || !get_array(env, argv[2], &o))
    return NULL;
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vx;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &x, &vx) || !check_index(env, &idx, n)) return NULL;
  if (o.length < idx.length) {
    napi_throw_range_error(env, NULL, "kiln native: take output too small");
    return NULL;
  }
  kiln_take(nd, shape, &vx, (const int32_t *)idx.data, (int64_t)idx.length, o.data, o.dtype);
  return NULL;
}

static napi_value js_put(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tarray t, idx, v;
  if (!get_array(env, argv[0], &t) || !get_array(env, argv[1], &idx) || !get_array(env, argv[2], &v))
    return NULL;
  bool acc;
  CHECK(napi_get_value_bool(env, argv[3], &acc));
  const double *m = inst(env)->meta;
  int64_t shape[KILN_MAX_DIMS], n;
  int nd = read_shape(env, m, shape, &n);
  if (nd < 0) return NULL;
  kview vt, vv;
  if (!make_view(env, m, 1 + nd, nd, shape, n, &t, &vt) || !check_index(env, &idx, n)) return NULL;
  int64_t voff = m[1 + nd + 1 + nd];
  if (voff < 0 || voff + (int64_t)idx.length > (int64_t)v.length) {
    napi_throw_range_error(env, NULL, "kiln native: put values too short");
    return NULL;
  }
  vv.data = v.data;
  vv.dtype = v.dtype;
  vv.offset = voff;
  kiln_put(nd, shape, &vt, (const int32_t *)idx.data, (int64_t)idx.length, &vv, acc);
  return NULL;
}

static napi_value js_set_num_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t n;
  CHECK(napi_get_value_int32(env, argv[0], &n));
  CHECK(napi_create_int32(env, kiln_set_num_threads(n), &r));
  return r;
}

static napi_value js_get_num_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, kiln_get_num_threads(), &r));
  return r;
}

static napi_value js_max_threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  CHECK(napi_create_int32(env, kiln_max_threads(), &r));
  return r;
}

/* cpuPath() → name of the path in use; cpuPath(n) forces a path no better than detected. */
static napi_value js_cpu_path(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int path = kiln_cpu_path();
  if (argc >= 1) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[0], &t));
    if (t == napi_number) {
      int32_t want;
      CHECK(napi_get_value_int32(env, argv[0], &want));
      path = kiln_set_cpu_path(want);
    }
  }
  const char *name = kiln_cpu_path_name(path);
  CHECK(napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &r));
  return r;
}

static void cleanup(void *arg) {
  (void)arg;
  if (atomic_fetch_sub(&live_envs, 1) == 1) kiln_pool_shutdown();
}

static void finalize_instance(napi_env env, void *data, void *hint) {
  (void)hint;
  instance *in = (instance *)data;
  if (in->meta_ref != NULL) napi_delete_reference(env, in->meta_ref);
  free(in);
}

static napi_value init(napi_env env, napi_value exports) {
  instance *in = (instance *)calloc(1, sizeof *in);
  if (in == NULL) return NULL;
  napi_value ab, meta;
  void *buf;
  CHECK(napi_create_arraybuffer(env, META_LEN * sizeof(double), &buf, &ab));
  CHECK(napi_create_typedarray(env, napi_float64_array, META_LEN, ab, 0, &meta));
  in->meta = (double *)buf;
  CHECK(napi_create_reference(env, meta, 1, &in->meta_ref));
  CHECK(napi_set_instance_data(env, in, finalize_instance, NULL));
  atomic_fetch_add(&live_envs, 1);
  CHECK(napi_add_env_cleanup_hook(env, cleanup, NULL));
  kiln_cpu_path();
  napi_property_descriptor props[] = {
      {"meta", NULL, NULL, NULL, NULL, meta, napi_enumerable, NULL},
      {"unary", NULL, js_unary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_enumerable, NULL},
      {"where", NULL, js_where, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reduce", NULL, js_reduce, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cumsum", NULL, js_cumsum, NULL, NULL, NULL, napi_enumerable, NULL},
      {"matmul", NULL, js_matmul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"take", NULL, js_take, NULL, NULL, NULL, napi_enumerable, NULL},
      {"put", NULL, js_put, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNumThreads", NULL, js_set_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getNumThreads", NULL, js_get_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"maxThreads", NULL, js_max_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cpuPath", NULL, js_cpu_path, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(kiln_define_fused(env, exports));
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }

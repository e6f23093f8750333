/* N-API glue: the only file that knows about Node. Unpacks typed arrays (no copies) and the
 * shared metadata array (shapes, strides, offsets written by the TypeScript side, so calls
 * allocate nothing), checks every view stays inside its array, and calls the kernels. The
 * primitives' argument order and meta layout are generated into addon_abi.h from their one
 * description (tools/native-abi-kernels.ts); the fused kernels live in fused_addon.c.
 * NOTE: meta is float64, exact for every integer below 2^53: sizes of 2^31 elements and more
 * reach the kernels whole (an int32 meta wrapped them: a sum of 2^31 ones gave 0). */
#define NAPI_VERSION 8
#include <node_api.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "kiln.h"
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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

/* Like CHECK, in the generated unpacking functions (which return 0 after throwing). */
#define CHECK0(call)                                                  \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "KILN_NATIVE", "kiln native: " #call " failed"); \
      return 0;                                                       \
    }                                                                 \
  } while (0)

/* The primitives' argument structs and unpack_<name>() functions, generated from their one
 * description (tools/native-abi-kernels.ts): positional arguments, then meta's shape and views. */
#include "addon_abi.h"

static napi_value js_unary(napi_env env, napi_callback_info info) {
  unary_args k;
  if (!unpack_unary(env, info, &k)) return NULL;
  if (kiln_unary(k.op, k.nd, k.shape, &k.x_view, &k.out_view) != 0)
    napi_throw_error(env, NULL, "kiln native: bad unary");
  return NULL;
}

static napi_value js_binary(napi_env env, napi_callback_info info) {
  binary_args k;
  if (!unpack_binary(env, info, &k)) return NULL;
  if (kiln_binary(k.op, k.nd, k.shape, &k.a_view, &k.b_view, &k.out_view) != 0)
    napi_throw_error(env, NULL, "kiln native: bad binary");
  return NULL;
}

static napi_value js_where(napi_env env, napi_callback_info info) {
  where_args k;
  if (!unpack_where(env, info, &k)) return NULL;
  if (kiln_where(k.nd, k.shape, &k.cond_view, &k.a_view, &k.b_view, &k.out_view) != 0)
    napi_throw_error(env, NULL, "kiln native: bad where");
  return NULL;
}

static napi_value js_reduce(napi_env env, napi_callback_info info) {
  reduce_args k;
  if (!unpack_reduce(env, info, &k)) return NULL;
  int64_t nout = 1;
  for (int d = 0; d < k.kept && d < k.nd; d++) nout *= k.shape[d];
  if (k.kept < 0 || k.kept > k.nd || (int64_t)k.out.length < nout) {
    napi_throw_range_error(env, NULL, "kiln native: reduce output too small");
    return NULL;
  }
  if (kiln_reduce(k.op, k.nd, k.shape, k.kept, &k.x_view, k.out.data, k.out.dtype) != 0)
    napi_throw_error(env, NULL, "kiln native: bad reduce");
  return NULL;
}

static napi_value js_cumsum(napi_env env, napi_callback_info info) {
  cumsum_args k;
  if (!unpack_cumsum(env, info, &k)) return NULL;
  if ((int64_t)k.out.length < k.n) {
    napi_throw_range_error(env, NULL, "kiln native: cumsum output too small");
    return NULL;
  }
  kiln_cumsum(k.nd, k.shape, &k.x_view, k.out.data, k.out.dtype);
  return NULL;
}

/* matmul: a [B, M, K] and b [B, K, N] strided (offsets and strides from meta), out contiguous. */
static napi_value js_matmul(napi_env env, napi_callback_info info) {
  matmul_args k;
  if (!unpack_matmul(env, info, &k)) return NULL;
  const int64_t B = k.B, M = k.M, K = k.K, N = k.N;
  int64_t sa[3] = {k.aStrideB, k.aStrideM, k.aStrideK}, sb[3] = {k.bStrideB, k.bStrideK, k.bStrideN};
  if (k.a.dtype != k.b.dtype || k.a.dtype != k.out.dtype || B < 0 || M < 0 || K < 0 || N < 0) {
    napi_throw_type_error(env, NULL, "kiln native: matmul operands differ in dtype");
    return NULL;
  }
  int64_t ashape[3] = {B, M, K}, bshape[3] = {B, K, N};
  double am[4] = {k.aOffset, sa[0], sa[1], sa[2]}, bm[4] = {k.bOffset, sb[0], sb[1], sb[2]};
  kview va, vb;
  if (!make_view(env, am, 0, 3, ashape, B * M * K, &k.a, &va) ||
      !make_view(env, bm, 0, 3, bshape, B * K * N, &k.b, &vb))
    return NULL;
  if ((int64_t)k.out.length < B * M * N) {
    napi_throw_range_error(env, NULL, "kiln native: matmul output too small");
    return NULL;
  }
  if (B == 0) return NULL;
  const size_t es = k.a.dtype == KD_F64 ? 8 : 4;
  if (kiln_matmul(k.a.dtype, B, M, K, N, (char *)k.a.data + va.offset * (int64_t)es, sa,
                  (char *)k.b.data + vb.offset * (int64_t)es, sb, k.out.data) != 0)
    napi_throw_type_error(env, NULL, "kiln native: matmul of this dtype is not supported");
  return NULL;
}

/* take / put: indices are bounds-checked by the ops; checked again here. */
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
  take_args k;
  if (!unpack_take(env, info, &k) || !check_index(env, &k.index, k.n)) return NULL;
  if (k.out.length < k.index.length) {
    napi_throw_range_error(env, NULL, "kiln native: take output too small");
    return NULL;
  }
  kiln_take(k.nd, k.shape, &k.x_view, (const int32_t *)k.index.data, (int64_t)k.index.length,
            k.out.data, k.out.dtype);
  return NULL;
}

static napi_value js_put(napi_env env, napi_callback_info info) {
  put_args k;
  if (!unpack_put(env, info, &k) || !check_index(env, &k.index, k.n)) return NULL;
  const int64_t voff = k.values_offset;
  if (voff < 0 || voff + (int64_t)k.index.length > (int64_t)k.values.length) {
    napi_throw_range_error(env, NULL, "kiln native: put values too short");
    return NULL;
  }
  kview vv;
  vv.data = k.values.data;
  vv.dtype = k.values.dtype;
  vv.offset = voff;
  kiln_put(k.nd, k.shape, &k.target_view, (const int32_t *)k.index.data, (int64_t)k.index.length,
           &vv, k.accumulate);
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

/* The opcode names in opcode order, from the lists in elementwise_ops.h. */
#define KILN_NAME_U(NAME, EXPR, EXACT) #NAME,
#define KILN_NAME_R(NAME) #NAME,
static const char *const UNARY_NAMES[U_COUNT] = {UNARY_LIST(KILN_NAME_U)};
static const char *const BINARY_NAMES[B_COUNT] = {BINARY_LIST(KILN_NAME_U)};
static const char *const REDUCE_NAMES[R_COUNT] = {REDUCE_LIST(KILN_NAME_R)};

/* A frozen JS array of the names: the TypeScript backend maps its op names to opcodes with it. */
static napi_value name_array(napi_env env, const char *const *names, uint32_t n) {
  napi_value arr, s;
  CHECK(napi_create_array_with_length(env, n, &arr));
  for (uint32_t i = 0; i < n; i++) {
    CHECK(napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &s));
    CHECK(napi_set_element(env, arr, i, s));
  }
  CHECK(napi_object_freeze(env, arr));
  return arr;
}

/* Tensors' memory comes from malloc (Node's ArrayBuffer allocator). glibc hands blocks above its
 * mmap threshold back to the OS on free and trims the heap top, so a training step that frees and
 * re-allocates its activations pays a page fault per 4 KB of every fresh output (a 2 MB matmul
 * output cost 1.7 ms of faults against 1.1 ms of arithmetic, measured on the GPT bench's
 * 1024x128x512 product). Kept blocks are reused instead: outputs up to 32 MB come from the heap,
 * which is trimmed only past 256 MB of free memory at its top (glibc's own maxima otherwise). */
static void keep_freed_memory(void) {
#if defined(__GLIBC__)
  static atomic_int done;
  if (atomic_exchange(&done, 1)) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
#endif
}

static napi_value init(napi_env env, napi_value exports) {
  keep_freed_memory();
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
  napi_value unary_names = name_array(env, UNARY_NAMES, U_COUNT);
  napi_value binary_names = name_array(env, BINARY_NAMES, B_COUNT);
  napi_value reduce_names = name_array(env, REDUCE_NAMES, R_COUNT);
  if (unary_names == NULL || binary_names == NULL || reduce_names == NULL) return NULL;
  napi_value primitive_abi;
  CHECK(napi_create_string_utf8(env, PRIMITIVE_ABI_HASH, NAPI_AUTO_LENGTH, &primitive_abi));
  napi_property_descriptor props[] = {
      {"unaryOps", NULL, NULL, NULL, NULL, unary_names, napi_enumerable, NULL},
      {"binaryOps", NULL, NULL, NULL, NULL, binary_names, napi_enumerable, NULL},
      {"reduceOps", NULL, NULL, NULL, NULL, reduce_names, napi_enumerable, NULL},
      {"meta", NULL, NULL, NULL, NULL, meta, napi_enumerable, NULL},
      {"primitiveAbi", NULL, NULL, NULL, NULL, primitive_abi, napi_enumerable, NULL},
      PRIMITIVE_EXPORTS
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

/* Elementwise kernels (unary, binary, where) over strided views. Each op is one expression of
 * its operands, evaluated as JavaScript would (in doubles, stored with the typed array's
 * conversion), so results equal the reference backend's bit for bit. Ops that are exact in
 * float (+ - * /, comparisons, sqrt, rounding) run in float on float32 data: float results of
 * these are the correctly rounded double results (double has more than 2*24+2 bits).
 * No Node, OS or allocation here. */
#include <math.h>
#include "kiln.h"
#include "strided.h"

typedef uint8_t T_0;
typedef int32_t T_1;
typedef float T_2;
typedef double T_3;

#define ST_0(v) ((uint8_t)((v) != 0))
#define ST_1(v) kiln_toint32((double)(v))
#define ST_2(v) ((float)(v))
#define ST_3(v) ((double)(v))

/* Round half to even with the sign of zero kept: JavaScript's rint helper of the reference. */
static inline double k_rint(double a) { return nearbyint(a); }
static inline double k_pymod(double a, double b) {
  double r = fmod(a, b);
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
/* Math.pow differs from C pow on NaN exponents and on (+-1)^+-inf. */
static inline double k_pow(double a, double b) {
  if (b != b) return NAN;
  if ((a == 1 || a == -1) && isinf(b)) return NAN;
  return pow(a, b);
}
/* The reference's erf, operation for operation. */
static double k_erf(double x) {
  if (x != x) return x;
  double ax = fabs(x);
  if (ax < 2.5) {
    double term = ax, sum = ax, x2 = ax * ax;
    for (int n = 1; n < 60; n++) {
      term *= -x2 / n;
      double add = term / (2 * n + 1);
      sum += add;
      if (fabs(add) < 1e-17 * fabs(sum)) break;
    }
    double r = (2 / sqrt(3.141592653589793)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  double f = ax;
  for (int n = 60; n >= 1; n--) f = ax + (double)n / 2 / f;
  double erfc = exp(-ax * ax) / sqrt(3.141592653589793) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}


/* The reference's erfc, operation for operation: 1 − erf below 1.5 (at most ~3e-15 relative:
 * erfc(1.5) ≈ 0.034 against erf's 1e-16 absolute error), and the continued fraction of the tail
 * beyond, which 120 terms make exact in double from 1.5 on. */
static double k_erfc(double x) {
  if (x != x) return x;
  if (x < 1.5) return 1 - k_erf(x);
  if (x > 27) return 0;
  double f = x;
  for (int n = 120; n >= 1; n--) f = x + (double)n / 2 / f;
  return exp(-x * x) / sqrt(3.141592653589793) / f;
}
/* log(eᵃ + eᵇ) = max + log1p(e^−|a−b|); equal infinities give themselves (no inf − inf). */
static inline double k_logaddexp(double a, double b) {
  if (a != a || b != b) return NAN;
  if (isinf(a) && a == b) return a;
  double m = a > b ? a : b;
  return m + log1p(exp(-fabs(a - b)));
}

/* Compute type per (input, output, exactness): float only for float32 input when the float
 * result is the double result rounded: exact ops (1) into float32, predicates (2) into bool. */
typedef double CT_0_0_0;
typedef double CT_0_0_1;
typedef double CT_0_0_2;
typedef double CT_0_1_0;
typedef double CT_0_1_1;
typedef double CT_0_1_2;
typedef double CT_0_2_0;
typedef double CT_0_2_1;
typedef double CT_0_2_2;
typedef double CT_0_3_0;
typedef double CT_0_3_1;
typedef double CT_0_3_2;
typedef double CT_1_0_0;
typedef double CT_1_0_1;
typedef double CT_1_0_2;
typedef double CT_1_1_0;
typedef double CT_1_1_1;
typedef double CT_1_1_2;
typedef double CT_1_2_0;
typedef double CT_1_2_1;
typedef double CT_1_2_2;
typedef double CT_1_3_0;
typedef double CT_1_3_1;
typedef double CT_1_3_2;
typedef double CT_2_0_0;
typedef double CT_2_0_1;
typedef float CT_2_0_2;
typedef double CT_2_1_0;
typedef double CT_2_1_1;
typedef double CT_2_1_2;
typedef double CT_2_2_0;
typedef float CT_2_2_1;
typedef float CT_2_2_2;
typedef double CT_2_3_0;
typedef double CT_2_3_1;
typedef double CT_2_3_2;
typedef double CT_3_0_0;
typedef double CT_3_0_1;
typedef double CT_3_0_2;
typedef double CT_3_1_0;
typedef double CT_3_1_1;
typedef double CT_3_1_2;
typedef double CT_3_2_0;
typedef double CT_3_2_1;
typedef double CT_3_2_2;
typedef double CT_3_3_0;
typedef double CT_3_3_1;
typedef double CT_3_3_2;
#define CT(TI, TO, EXACT) CT_##TI##_##TO##_##EXACT

#define DEF_UN(NAME, EXPR, EXACT, TI, TO)                                                  \
  static void un_##NAME##_##TI##_##TO(int64_t n, char **p, const int64_t *s) {             \
    T_##TO *o = (T_##TO *)p[0];                                                            \
    const T_##TI *x = (const T_##TI *)p[1];                                                \
    const int64_t so = s[0], sx = s[1];                                                    \
    if (so == 1 && sx == 1) {                                                              \
      for (int64_t i = 0; i < n; i++) { CT(TI, TO, EXACT) a = x[i]; o[i] = ST_##TO(EXPR); }    \
    } else {                                                                               \
      for (int64_t i = 0; i < n; i++) {                                                    \
        CT(TI, TO, EXACT) a = x[i * sx];                                                       \
        o[i * so] = ST_##TO(EXPR);                                                         \
      }                                                                                    \
    }                                                                                      \
  }

#define DEF_BIN(NAME, EXPR, EXACT, TI, TO)                                                 \
  static void bin_##NAME##_##TI##_##TO(int64_t n, char **p, const int64_t *s) {            \
    T_##TO *o = (T_##TO *)p[0];                                                            \
    const T_##TI *xa = (const T_##TI *)p[1];                                               \
    const T_##TI *xb = (const T_##TI *)p[2];                                               \
    const int64_t so = s[0], sa = s[1], sb = s[2];                                         \
    typedef CT(TI, TO, EXACT) ct;                                                              \
    if (so == 1 && sa == 1 && sb == 1) {                                                   \
      for (int64_t i = 0; i < n; i++) { ct a = xa[i], b = xb[i]; o[i] = ST_##TO(EXPR); }   \
    } else if (so == 1 && sa == 1 && sb == 0) {                                            \
      const ct b = xb[0];                                                                  \
      for (int64_t i = 0; i < n; i++) { ct a = xa[i]; o[i] = ST_##TO(EXPR); }              \
    } else if (so == 1 && sa == 0 && sb == 1) {                                            \
      const ct a = xa[0];                                                                  \
      for (int64_t i = 0; i < n; i++) { ct b = xb[i]; o[i] = ST_##TO(EXPR); }              \
    } else {                                                                               \
      for (int64_t i = 0; i < n; i++) {                                                    \
        ct a = xa[i * sa], b = xb[i * sb];                                                 \
        o[i * so] = ST_##TO(EXPR);                                                         \
      }                                                                                    \
    }                                                                                      \
  }

#define UN_TO(NAME, EXPR, EXACT, TI) \
  DEF_UN(NAME, EXPR, EXACT, TI, 0) DEF_UN(NAME, EXPR, EXACT, TI, 1) \
  DEF_UN(NAME, EXPR, EXACT, TI, 2) DEF_UN(NAME, EXPR, EXACT, TI, 3)
#define UN_ALL(NAME, EXPR, EXACT) \
  UN_TO(NAME, EXPR, EXACT, 0) UN_TO(NAME, EXPR, EXACT, 1) \
  UN_TO(NAME, EXPR, EXACT, 2) UN_TO(NAME, EXPR, EXACT, 3)
#define BIN_TO(NAME, EXPR, EXACT, TI) \
  DEF_BIN(NAME, EXPR, EXACT, TI, 0) DEF_BIN(NAME, EXPR, EXACT, TI, 1) \
  DEF_BIN(NAME, EXPR, EXACT, TI, 2) DEF_BIN(NAME, EXPR, EXACT, TI, 3)
#define BIN_ALL(NAME, EXPR, EXACT) \
  BIN_TO(NAME, EXPR, EXACT, 0) BIN_TO(NAME, EXPR, EXACT, 1) \
  BIN_TO(NAME, EXPR, EXACT, 2) BIN_TO(NAME, EXPR, EXACT, 3)

UNARY_LIST(UN_ALL)
BINARY_LIST(BIN_ALL)

#define ROW4(P, NAME, TI) {P##NAME##_##TI##_0, P##NAME##_##TI##_1, P##NAME##_##TI##_2, P##NAME##_##TI##_3}
#define UN_ENTRY(NAME, EXPR, EXACT) {ROW4(un_, NAME, 0), ROW4(un_, NAME, 1), ROW4(un_, NAME, 2), ROW4(un_, NAME, 3)},
#define BIN_ENTRY(NAME, EXPR, EXACT) {ROW4(bin_, NAME, 0), ROW4(bin_, NAME, 1), ROW4(bin_, NAME, 2), ROW4(bin_, NAME, 3)},

/* [op][input dtype][output dtype] */
static const kiln_inner UN_TABLE[U_COUNT][KD_COUNT][KD_COUNT] = {UNARY_LIST(UN_ENTRY)};
static const kiln_inner BIN_TABLE[B_COUNT][KD_COUNT][KD_COUNT] = {BINARY_LIST(BIN_ENTRY)};

#define DEF_WHERE(T)                                                                       \
  static void where_##T(int64_t n, char **p, const int64_t *s) {                          \
    T *o = (T *)p[0];                                                                      \
    const uint8_t *c = (const uint8_t *)p[1];                                              \
    const T *a = (const T *)p[2], *b = (const T *)p[3];                                    \
    if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {                                \
      for (int64_t i = 0; i < n; i++) o[i] = c[i] ? a[i] : b[i];                           \
    } else {                                                                               \
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = c[i * s[1]] ? a[i * s[2]] : b[i * s[3]]; \
    }                                                                                      \
  }
DEF_WHERE(uint8_t)
DEF_WHERE(int32_t)
DEF_WHERE(float)
DEF_WHERE(double)
static const kiln_inner WHERE_TABLE[KD_COUNT] = {where_uint8_t, where_int32_t, where_float,
                                                 where_double};

/* Large elementwise ops are memory-bound, and a second core brings a second core's share of
 * bandwidth: from 2^18 elements the outermost dimension is split between threads (each output
 * element is written by one thread only). */
typedef struct {
  kiln_inner fn;
  int nops, nd;
  const int64_t *shape;
  const kview *const *v;
} walk_job;

static void walk_task(void *ctx, int tid, int nt) {
  const walk_job *j = (const walk_job *)ctx;
  const int64_t n0 = j->shape[0], lo = n0 * tid / nt, hi = n0 * (tid + 1) / nt;
  if (lo >= hi) return;
  int64_t shape[KILN_MAX_DIMS];
  kview views[KILN_MAX_OPS];
  const kview *vp[KILN_MAX_OPS];
  for (int d = 0; d < j->nd; d++) shape[d] = j->shape[d];
  shape[0] = hi - lo;
  for (int k = 0; k < j->nops; k++) {
    views[k] = *j->v[k];
    views[k].offset += lo * views[k].strides[0];
    vp[k] = &views[k];
  }
  kiln_walk(j->fn, j->nops, j->nd, shape, vp);
}

static void walk(kiln_inner fn, int nops, int nd, const int64_t *shape, const kview *const *v) {
  int64_t n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  int nt = kiln_get_num_threads();
  if (nt > 1 && nd > 0 && n >= ((int64_t)1 << 18) && shape[0] >= 2) {
    if (nt > shape[0]) nt = (int)shape[0];
    walk_job j = {fn, nops, nd, shape, v};
    kiln_pool_acquire();
    kiln_parallel(walk_task, &j, nt);
    kiln_pool_release();
    return;
  }
  kiln_walk(fn, nops, nd, shape, v);
}

int kiln_unary(int op, int nd, const int64_t *shape, const kview *x, kview *out) {
  if (op < 0 || op >= U_COUNT) return -1;
  const kview *v[2] = {out, x};
  walk(UN_TABLE[op][x->dtype][out->dtype], 2, nd, shape, v);
  return 0;
}

int kiln_binary(int op, int nd, const int64_t *shape, const kview *a, const kview *b, kview *out) {
  if (op < 0 || op >= B_COUNT || a->dtype != b->dtype) return -1;
  const kview *v[3] = {out, a, b};
  walk(BIN_TABLE[op][a->dtype][out->dtype], 3, nd, shape, v);
  return 0;
}

int kiln_where(int nd, const int64_t *shape, const kview *c, const kview *a, const kview *b,
               kview *out) {
  if (c->dtype != KD_BOOL || a->dtype != out->dtype || b->dtype != out->dtype) return -1;
  const kview *v[4] = {out, c, a, b};
  walk(WHERE_TABLE[out->dtype], 4, nd, shape, v);
  return 0;
}

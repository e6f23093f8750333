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
/* The gamma family and erfinv: src/backend/reference/elementwise.ts's twins, operation for
 * operation (see there for the math); lgamma, digamma and trigamma use the plain-arithmetic log,
 * sin and tan below, not libm's, so the backends agree bit for bit. */
static double k_plain_log(double x) {
  int e;
  double m = frexp(x, &e); /* x = m·2^e, m ∈ [½, 1): exact, subnormals included */
  m = m * 2;
  e = e - 1;
  if (m > 1.4142135623730951) {
    m = m / 2;
    e = e + 1;
  }
  double s = (m - 1) / (m + 1);
  double s2 = s * s;
  double p = 1.0 / 25;
  for (int k = 23; k >= 1; k -= 2) p = p * s2 + 1.0 / k;
  return e * 6.93147180369123816490e-1 + (e * 1.90821492927058770002e-10 + 2 * s * p);
}
static double k_plain_sin(double t) {
  double t2 = t * t, p = 1;
  for (int k = 12; k >= 1; k--) p = 1 - (t2 / (double)(2 * k * (2 * k + 1))) * p;
  return t * p;
}
static double k_plain_cos(double t) {
  double t2 = t * t, p = 1;
  for (int k = 12; k >= 1; k--) p = 1 - (t2 / (double)((2 * k - 1) * (2 * k))) * p;
  return p;
}
static double k_sinpi_abs(double x) {
  double s = fabs(fmod(x, 2));
  if (s > 1) s = s - 1;
  if (s > 0.5) s = 1 - s;
  return k_plain_sin(3.141592653589793 * s);
}
static double k_tanpi(double r) {
  double s = r;
  if (s < -0.5) s = s + 1;
  else if (s > 0.5) s = s - 1;
  double t = 3.141592653589793 * s;
  return k_plain_sin(t) / k_plain_cos(t);
}
static const double k_lgamma_taylor[112] = {
  0.0, -0.5772156649015329, 0.8224670334241132, -0.40068563438653143, 0.27058080842778454,
  -0.20738555102867398, 0.1695571769974082, -0.1440498967688461, 0.12550966952474304,
  -0.11133426586956469, 0.1000994575127818, -0.09095401714582904, 0.083353840546109,
  -0.0769325164113522, 0.07143294629536133, -0.06666870588242046, 0.06250095514121304,
  -0.058823978658684585, 0.055555767627403614, -0.05263167937961666, 0.05000004769810169,
  -0.047619070330142226, 0.04545455629320467, -0.04347826605304026, 0.04166666915034121,
  -0.04000000119214014, 0.03846153903467518, -0.037037037312989324, -0.12078223763524522,
  0.03648997397857652, 0.46740110027233966, -0.13813277403905333, 0.05871212641676822,
  -0.028952081888893543, 0.0154354841700493, -0.008622603929171286, 0.004965728809475818,
  -0.002920970458667952, 0.00174503557579013, -0.001054915693867632, 0.0006437029830381486,
  -0.00039577153964650777, 0.0002448711904829441, -0.00015231593814270082,
  9.517939662502588e-05, -5.97136233623377e-05, 3.759490926961219e-05, -2.3743185469209343e-05,
  1.5036983408359218e-05, -9.547151192148187e-06, 6.07540647448469e-06, -3.87415183000977e-06,
  2.4751447344295936e-06, -1.5840896262969798e-06, 1.0154409130025463e-06,
  -6.518875486314994e-07, 0.0, 0.42278433509846713, 0.3224670334241132, -0.0673523010531981,
  0.020580808427784546, -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261,
  0.0005096695247430425, -0.00022315475845357939, 9.945751278180853e-05, -4.492623673813314e-05,
  2.050721277567069e-05, -9.439488275268397e-06, 4.374866789907488e-06, -2.039215753801366e-06,
  9.55141213040742e-07, -4.492469198764566e-07, 2.1207184805554665e-07, -1.0043224823968099e-07,
  4.7698101693639804e-08, -2.2711094608943164e-08, 1.0838659214896955e-08,
  -5.183475041970047e-09, 2.4836745438024785e-09, -1.1921401405860912e-09,
  5.731367241678862e-10, -2.7595228851242334e-10, 0.2846828704729192, 0.7031566406452432,
  0.24517887805011743, -0.0393673419402879, 0.009329410367385502, -0.0026146333292227614,
  0.0008035683035655326, -0.0002615091483234197, 8.842352064789512e-05, -3.071547269584968e-05,
  1.088258420686863e-05, -3.9138807868675094e-06, 1.4240972665702957e-06,
  -5.229945563057534e-07, 1.93519712819065e-07, -7.20541079563325e-08, 2.6969103310573714e-08,
  -1.013942714378941e-08, 3.8267918975072416e-09, -1.4491674948039224e-09,
  5.504172733427072e-10, -2.0961050636200893e-10, 8.00134398917395e-11, -3.060847395704183e-11,
  1.1731781712973259e-11, -4.504602336246528e-12, 1.7324290569049824e-12,
  -6.672756789423119e-13,};
static double k_lgamma_taylor_at(double x) {
  int c = x < 1.25 ? 0 : x < 1.75 ? 1 : x < 2.25 ? 2 : 3;
  double e = x - (1 + (double)c / 2);
  const double *a = k_lgamma_taylor + 28 * c;
  double p = a[27];
  for (int k = 26; k >= 0; k--) p = p * e + a[k];
  return p;
}
static double k_lgamma(double x) {
  if (x != x) return x;
  if (isinf(x)) return INFINITY;
  if (x <= 0 && x == floor(x)) return INFINITY;
  if (x < 0) return k_plain_log(3.141592653589793 / k_sinpi_abs(x)) - k_lgamma(1 - x);
  if (x < 0.75) return k_lgamma_taylor_at(x + 1) - k_plain_log(x);
  if (x < 2.75) return k_lgamma_taylor_at(x);
  if (x < 10) {
    double z = x, p = 1;
    while (z >= 2.75) {
      z = z - 1;
      p = p * z;
    }
    return k_lgamma_taylor_at(z) + k_plain_log(p);
  }
  double r = 1 / (x * x);
  double series =
      (1.0 / 12 +
       r * (-1.0 / 360 +
            r * (1.0 / 1260 +
                 r * (-1.0 / 1680 +
                      r * (1.0 / 1188 +
                           r * (-691.0 / 360360 + r * (1.0 / 156 + r * (-3617.0 / 122400)))))))) /
      x;
  return (x - 0.5) * k_plain_log(x) - x + 0.9189385332046728 + series;
}
static double k_digamma(double x) {
  if (x == 0) return signbit(x) ? INFINITY : -INFINITY;
  if (x < 0) {
    if (x == trunc(x)) return NAN;
    return k_digamma(1 - x) - 3.141592653589793 / k_tanpi(x - trunc(x));
  }
  if (isinf(x)) return x;
  double result = 0, y = x;
  while (y < 10) {
    result -= 1 / y;
    y += 1;
  }
  if (y == 10) return result + 2.25175258906672110764;
  double t = 0;
  if (y < 1e17) {
    double z = 1 / (y * y);
    t = z * ((((((8.33333333333333333333e-2 * z + -2.10927960927960927961e-2) * z +
                 7.57575757575757575758e-3) * z + -4.16666666666666666667e-3) * z +
               3.96825396825396825397e-3) * z + -8.33333333333333333333e-3) * z +
             8.33333333333333333333e-2);
  }
  return result + k_plain_log(y) - 0.5 / y - t;
}
static double k_trigamma(double x) {
  if (x != x) return x;
  double sign = 1, result = 0, y = x;
  if (y < 0.5) {
    sign = -1;
    double s = k_sinpi_abs(y);
    result -= (3.141592653589793 * 3.141592653589793) / (s * s);
    y = 1 - y;
  }
  if (isinf(y)) return sign * result;
  for (int i = 0; i < 6; i++) {
    result += 1 / (y * y);
    y += 1;
  }
  double ixx = 1 / (y * y);
  result += (1 + 1 / (2 * y) + ixx * (1.0 / 6 - ixx * (1.0 / 30 - ixx * (1.0 / 42)))) / y;
  return sign * result;
}
static double k_plain_exp(double x) {
  if (x < -745) return 0;
  double k = floor(x / 0.6931471805599453 + 0.5);
  double r = x - k * 6.93147180369123816490e-1 - k * 1.90821492927058770002e-10;
  double p = 1;
  for (int n = 14; n >= 1; n--) p = 1 + (r / n) * p;
  return ldexp(p, (int)k);
}
static double k_erf_plain(double x) {
  double ax = fabs(x);
  if (ax < 2.5 || ax > 6 || x != x) return k_erf(x);
  double f = ax;
  for (int n = 60; n >= 1; n--) f = ax + (double)n / 2 / f;
  double erfc = k_plain_exp(-ax * ax) / sqrt(3.141592653589793) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}
static double k_erfinv(double y) {
  double ay = fabs(y), x;
  if (ay > 1) return NAN;
  if (ay == 1) return y > 0 ? INFINITY : -INFINITY;
  if (ay <= 0.7) {
    double z = y * y;
    double num = ((-0.140543331 * z + 0.914624893) * z + -1.645349621) * z + 0.886226899;
    double dem = (((0.012229801 * z + -0.329097515) * z + 1.442710462) * z + -2.118377725) * z + 1;
    x = (y * num) / dem;
  } else if (y != y) {
    return y;
  } else {
    double z = sqrt(-k_plain_log((1 - ay) / 2));
    double num = ((1.641345311 * z + 3.429567803) * z + -1.624906493) * z + -1.970840454;
    double dem = (1.6370678 * z + 3.5438892) * z + 1;
    x = (y < 0 ? -num : num) / dem;
  }
  double c = 2 / sqrt(3.141592653589793);
  x = x - (k_erf_plain(x) - y) / (c * k_plain_exp(-x * x));
  x = x - (k_erf_plain(x) - y) / (c * k_plain_exp(-x * x));
  return x;
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

/* Whether b is one float32 value 2 broadcast over the whole shape (x.pow(2), the squares of
 * norms and variances). */
static int is_float_two(int nd, const kview *b) {
  if (b->dtype != KD_F32) return 0;
  for (int d = 0; d < nd; d++)
    if (b->strides[d] != 0) return 0;
  return ((const float *)b->data)[b->offset] == 2.0f;
}

int kiln_binary(int op, int nd, const int64_t *shape, const kview *a, const kview *b, kview *out) {
  if (op < 0 || op >= B_COUNT || a->dtype != b->dtype) return -1;
  /* float32 a^2 as a·a: pow in double squares a float exactly, so both round the same exact
   * square to float (bit-identical), and the product skips a libm call per element */
  if (op == B_pow && out->dtype == KD_F32 && is_float_two(nd, b)) {
    op = B_mul;
    b = a;
  }
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

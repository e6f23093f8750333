/* exp over eight floats at a time in vector code that compiles for any target (two SSE2 or
 * SIMD128 halves by default; one AVX2 register inlined into a function with target("avx2")):
 * Cody-Waite range reduction x = n·ln2 + r with |r| ≤ ln2/2, Cephes's degree-6 polynomial for
 * e^r, then 2^n through the exponent bits. Within 1 ulp of exp (measured over every 7th float of
 * the range, subnormal results included: within one subnormal step there); 0 below −104, +inf
 * above ln(FLT_MAX), NaN for NaN. Sigmoid and tanh build on it. Internal header (static inline);
 * no allocation, no OS calls, no Node here. */
#ifndef KILN_VEXP_H
#define KILN_VEXP_H
#include <stdint.h>
#include <string.h>
#include "kiln.h"

/* Eight-lane values cross no function boundary (everything here is always inlined), so the
 * vector ABI that GCC notes under -Wpsabi is never used (binding.gyp passes -Wno-psabi). */
#define VINLINE static inline __attribute__((always_inline))

/* Defines `static void name params` running `body args` (an always-inlined function over v8f),
 * compiled twice: portable (two 128-bit halves) and, on x86-64, with target("avx2") (one 256-bit
 * register), the copy picked by the CPU path at each call. Without fused multiply-adds both round
 * every lane alike. The one place the row kernels choose their instruction set. */
#if defined(__x86_64__)
#define KILN_WIDE_PATHS(name, body, params, args)                                       \
  static void name##_portable params { body args; }                                     \
  __attribute__((target("avx2"))) static void name##_avx2 params { body args; }         \
  static void name params {                                                             \
    if (kiln_cpu_path() >= KILN_AVX2) name##_avx2 args;                                 \
    else name##_portable args;                                                          \
  }
#else
#define KILN_WIDE_PATHS(name, body, params, args) \
  static void name params { body args; }
#endif

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));

VINLINE v8f v8f_load(const float *p) {
  v8f v;
  memcpy(&v, p, sizeof v);
  return v;
}

VINLINE void v8f_store(float *p, v8f v) { memcpy(p, &v, sizeof v); }

VINLINE v8f v8f_splat(float a) { return (v8f){a, a, a, a, a, a, a, a}; }

/* mask ? a : b lanewise (mask lanes all ones or all zeros, as comparisons give). */
VINLINE v8f v8f_select(v8i mask, v8f a, v8f b) {
  return (v8f)((mask & (v8i)a) | (~mask & (v8i)b));
}

/* Lanewise a > b ? a : b (NaN lanes of a lose: callers handle NaN rows themselves). */
VINLINE v8f v8f_max(v8f a, v8f b) { return v8f_select(a > b, a, b); }

VINLINE float v8f_hmax(v8f v) {
  float m = v[0];
  for (int i = 1; i < 8; i++) m = v[i] > m ? v[i] : m;
  return m;
}

/* Σ of the eight lanes, in double. */
VINLINE double v8f_hsum(v8f v) {
  return (((double)v[0] + v[1]) + ((double)v[2] + v[3])) +
         (((double)v[4] + v[5]) + ((double)v[6] + v[7]));
}

VINLINE v8f vexp8(v8f x) {
  const v8f lo = v8f_splat(-104.0f), hi = v8f_splat(88.7228391117f);
  const v8f xc = v8f_select(x < lo, lo, v8f_select(x > hi, hi, x));
  /* n = round(x·log2 e), as floor(t + 0.5) (the conversion truncates toward zero) */
  const v8f t = xc * v8f_splat(1.44269504088896341f) + v8f_splat(0.5f);
  v8f n = __builtin_convertvector(__builtin_convertvector(t, v8i), v8f);
  n = v8f_select(n > t, n - v8f_splat(1.0f), n);
  /* r = x − n·ln2, ln2 in two parts so that n·C1 is exact */
  const v8f r = (xc - n * v8f_splat(0.693359375f)) - n * v8f_splat(-2.12194440e-4f);
  v8f p = v8f_splat(1.9875691500e-4f);
  p = p * r + v8f_splat(1.3981999507e-3f);
  p = p * r + v8f_splat(8.3334519073e-3f);
  p = p * r + v8f_splat(4.1665795894e-2f);
  p = p * r + v8f_splat(1.6666665459e-1f);
  p = p * r + v8f_splat(5.0000001201e-1f);
  p = p * (r * r) + r + v8f_splat(1.0f);
  /* 2^n for n in [-150, 128] as 2^n1·2^n2 with n1 = ⌊n/2⌋, n2 = n − n1, both normal powers of
   * two: p·2^n1 is exact, so the one rounding is the last product's (into the subnormals below
   * 2^-126, to +inf past FLT_MAX) */
  const v8i ni = __builtin_convertvector(n, v8i);
  const v8i n1 = ni >> 1, n2 = ni - n1;
  const v8f y = p * (v8f)((n1 + 127) << 23) * (v8f)((n2 + 127) << 23);
  /* outside the clamp: 0 below (e^x < 2^-150 rounds to zero), +inf above; NaN stays NaN */
  const v8f z = v8f_select(x < lo, v8f_splat(0.0f), v8f_select(x > hi, v8f_splat(__builtin_inff()), y));
  return v8f_select(x != x, x, z);
}

/* exp of one float through the same polynomial (row tails), so that a value does not depend on
 * where the eight-wide blocks of its row end. */
VINLINE float vexp1(float x) { return vexp8(v8f_splat(x))[0]; }

/* 1/(1 + e^−x), within 2.5 ulp (measured). */
VINLINE v8f vsigmoid8(v8f x) { return v8f_splat(1.0f) / (v8f_splat(1.0f) + vexp8(-x)); }

/* tanh: Cephes's odd polynomial below |x| = 0.625, 1 − 2/(e^2|x| + 1) above, with x's sign;
 * within 1.5 ulp (measured). */
VINLINE v8f vtanh8(v8f x) {
  const v8i sign = (v8i)x & (v8i)v8f_splat(-0.0f);
  const v8f ax = (v8f)((v8i)x ^ sign);
  const v8f e = vexp8(ax + ax);
  const v8f big = v8f_splat(1.0f) - v8f_splat(2.0f) / (e + v8f_splat(1.0f));
  const v8f z = ax * ax;
  v8f p = v8f_splat(-5.70498872745e-3f);
  p = p * z + v8f_splat(2.06390887954e-2f);
  p = p * z + v8f_splat(-5.37397155531e-2f);
  p = p * z + v8f_splat(1.33314422036e-1f);
  p = p * z + v8f_splat(-3.33332819422e-1f);
  p = p * z * ax + ax;
  return (v8f)((v8i)v8f_select(ax > v8f_splat(0.625f), big, p) | sign);
}

VINLINE float vsigmoid1(float x) { return vsigmoid8(v8f_splat(x))[0]; }
VINLINE float vtanh1(float x) { return vtanh8(v8f_splat(x))[0]; }

/* The maximum of x[0..n) (−inf for n = 0; NaNs skipped: a NaN reaches every result of its row
 * through the sum of exponentials). */
VINLINE float row_max(const float *x, int64_t n) {
  int64_t j = 0;
  float m = -__builtin_inff();
  if (n >= 8) {
    v8f vm = v8f_load(x);
    for (j = 8; j + 8 <= n; j += 8) vm = v8f_max(v8f_load(x + j), vm);
    m = v8f_hmax(vm);
  }
  for (; j < n; j++) m = x[j] > m ? x[j] : m;
  return m;
}

/* Σ exp(x[j] − m) over x[0..n), in double; each exp(x − m) also goes to e[j] unless e is NULL. */
VINLINE double row_sum_exp(const float *x, int64_t n, float m, float *e) {
  const v8f vm = v8f_splat(m);
  double s = 0;
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const v8f v = vexp8(v8f_load(x + j) - vm);
    if (e != NULL) v8f_store(e + j, v);
    s += v8f_hsum(v);
  }
  for (; j < n; j++) {
    const float v = vexp1(x[j] - m);
    if (e != NULL) e[j] = v;
    s += v;
  }
  return s;
}

#endif

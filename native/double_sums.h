/* Sums of float32 rows accumulated in double, eight running sums in four two-lane vectors (one
 * dependent add chain per element is latency-bound: about 2x slower on activation-sized rows).
 * Shared by the batch-norm and layer-norm kernels. Internal header (static inline); no
 * allocation, no OS calls, no Node here. */
#ifndef KILN_DOUBLE_SUMS_H
#define KILN_DOUBLE_SUMS_H
#include <stdint.h>
#include <string.h>

typedef float v4f __attribute__((vector_size(16)));
typedef double v2d __attribute__((vector_size(16)));

/* p[0..4) as two double pairs. */
static inline void load4(const float *p, v2d *lo, v2d *hi) {
  v4f f;
  memcpy(&f, p, sizeof f);
  *lo = __builtin_convertvector(__builtin_shufflevector(f, f, 0, 1), v2d);
  *hi = __builtin_convertvector(__builtin_shufflevector(f, f, 2, 3), v2d);
}

static inline double hsum(v2d a, v2d b, v2d c, v2d d) {
  const v2d s = (a + b) + (c + d);
  return s[0] + s[1];
}

/* Σ p[0..n) in double. */
static inline double dsum(const float *p, int64_t n) {
  v2d a = {0, 0}, b = a, c = a, d = a;
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    v2d x0, x1, x2, x3;
    load4(p + l, &x0, &x1);
    load4(p + l + 4, &x2, &x3);
    a += x0, b += x1, c += x2, d += x3;
  }
  double s = hsum(a, b, c, d);
  for (; l < n; l++) s += p[l];
  return s;
}

/* Σ (p − mu)² over p[0..n) in double. */
static inline double dsq(const float *p, int64_t n, double mu) {
  const v2d m = {mu, mu};
  v2d a = {0, 0}, b = a, c = a, d = a;
  int64_t l = 0;
  for (; l + 8 <= n; l += 8) {
    v2d x0, x1, x2, x3;
    load4(p + l, &x0, &x1);
    load4(p + l + 4, &x2, &x3);
    x0 -= m, x1 -= m, x2 -= m, x3 -= m;
    a += x0 * x0, b += x1 * x1, c += x2 * x2, d += x3 * x3;
  }
  double s = hsum(a, b, c, d);
  for (; l < n; l++) s += ((double)p[l] - mu) * ((double)p[l] - mu);
  return s;
}

#endif

/* Walking strided operands: dimension coalescing (as core/strided.ts) and the row-major loop
 * that hands each innermost run to an inner kernel. Operand 0 is the output. */
#ifndef KILN_STRIDED_H
#define KILN_STRIDED_H
#include "kiln.h"

#define KILN_MAX_OPS 4
/* n elements; p[k] points at operand k's first element; s[k] its stride in elements. */
typedef void (*kiln_inner)(int64_t n, char **p, const int64_t *s);

static inline int kiln_dsize(int dtype) {
  return dtype == KD_BOOL ? 1 : dtype == KD_F64 ? 8 : 4;
}

/* Drops size-1 dims and merges neighbours laid out back to back in every operand. */
static inline int kiln_coalesce(int nops, int nd, const int64_t *shape, const int64_t *const *st,
                                int64_t *cs, int64_t (*cst)[KILN_MAX_DIMS]) {
  int m = 0;
  for (int d = 0; d < nd; d++) {
    int64_t size = shape[d];
    if (size == 1) continue;
    if (m > 0) {
      int ok = 1;
      for (int k = 0; k < nops; k++)
        if (cst[k][m - 1] != st[k][d] * size) ok = 0;
      if (ok) {
        cs[m - 1] *= size;
        for (int k = 0; k < nops; k++) cst[k][m - 1] = st[k][d];
        continue;
      }
    }
    cs[m] = size;
    for (int k = 0; k < nops; k++) cst[k][m] = st[k][d];
    m++;
  }
  return m;
}

static inline void kiln_walk(kiln_inner fn, int nops, int nd, const int64_t *shape,
                             const kview *const *v) {
  for (int d = 0; d < nd; d++)
    if (shape[d] == 0) return;
  const int64_t *st[KILN_MAX_OPS];
  for (int k = 0; k < nops; k++) st[k] = v[k]->strides;
  int64_t cs[KILN_MAX_DIMS];
  int64_t cst[KILN_MAX_OPS][KILN_MAX_DIMS];
  int m = kiln_coalesce(nops, nd, shape, st, cs, cst);
  char *base[KILN_MAX_OPS];
  int64_t esz[KILN_MAX_OPS];
  for (int k = 0; k < nops; k++) {
    esz[k] = kiln_dsize(v[k]->dtype);
    base[k] = (char *)v[k]->data + v[k]->offset * esz[k];
  }
  int64_t inner[KILN_MAX_OPS];
  if (m == 0) {
    for (int k = 0; k < nops; k++) inner[k] = 0;
    fn(1, base, inner);
    return;
  }
  int64_t len = cs[m - 1];
  for (int k = 0; k < nops; k++) inner[k] = cst[k][m - 1];
  int64_t idx[KILN_MAX_DIMS] = {0};
  int64_t outer = 1;
  for (int d = 0; d < m - 1; d++) outer *= cs[d];

  for (int64_t it = 0; it < outer; it++) {
    fn(len, base, inner);
    for (int d = m - 2; d >= 0; d--) {
      for (int k = 0; k < nops; k++) base[k] += cst[k][d] * esz[k];
      if (++idx[d] < cs[d]) break;
      idx[d] = 0;
      for (int k = 0; k < nops; k++) base[k] -= cst[k][d] * cs[d] * esz[k];
    }
  }

}

/* Load element i of a dtype as a double, and store a double as JavaScript's typed arrays do. */
static inline double kiln_load(const void *d, int dtype, int64_t i) {
  switch (dtype) {
    case KD_BOOL: return ((const uint8_t *)d)[i];
    case KD_I32: return ((const int32_t *)d)[i];
    case KD_F32: return ((const float *)d)[i];
    default: return ((const double *)d)[i];
  }
}
static inline void kiln_store(void *d, int dtype, int64_t i, double v) {
  switch (dtype) {
    case KD_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    case KD_I32: ((int32_t *)d)[i] = kiln_toint32(v); break;
    case KD_F32: ((float *)d)[i] = (float)v; break;
    default: ((double *)d)[i] = v; break;
  }
}
#endif

/* Reductions over trailing dims, prefix sums, and flat gather/scatter over strided views.
 * Accumulation is in doubles in the reference's order (a sum over a contiguous run uses sixteen
 * partial sums, which may differ from the reference by rounding only). No Node, OS or malloc. */
#include <math.h>
#include "kiln.h"
#include "strided.h"

/* Offsets of a strided walk, one at a time, without materialising them. */
typedef struct {
  int m;
  int64_t cs[KILN_MAX_DIMS], st[KILN_MAX_DIMS], idx[KILN_MAX_DIMS];
  int64_t pos;
} kiter;

static void kiter_init(kiter *it, int nd, const int64_t *shape, const int64_t *strides) {
  const int64_t *st[1] = {strides};
  int64_t cst[1][KILN_MAX_DIMS];
  it->m = kiln_coalesce(1, nd, shape, st, it->cs, cst);
  for (int d = 0; d < it->m; d++) {
    it->st[d] = cst[0][d];
    it->idx[d] = 0;
  }
  it->pos = 0;
}
/* Advances past the innermost run (caller walks it with cs[m-1], st[m-1]). */
static inline void kiter_next_run(kiter *it) {
  for (int d = it->m - 2; d >= 0; d--) {
    it->pos += it->st[d];
    if (++it->idx[d] < it->cs[d]) return;
    it->idx[d] = 0;
    it->pos -= it->st[d] * it->cs[d];
  }
}
static inline void kiter_next(kiter *it) {
  for (int d = it->m - 1; d >= 0; d--) {
    it->pos += it->st[d];
    if (++it->idx[d] < it->cs[d]) return;
    it->idx[d] = 0;
    it->pos -= it->st[d] * it->cs[d];
  }
}

#define DEF_REDUCE_RUN(T)                                                                  \
  /* Folds one run of n elements at stride s into the accumulator state. Returns 1 when the \
   * result is settled (a NaN in max/min/arg*, a hit in any/all). */                       \
  static int run_##T(int op, const T *x, int64_t n, int64_t s, double *acc, int64_t *at,   \
                     int64_t *j) {                                                         \
    double a = *acc;                                                                       \
    switch (op) {                                                                          \
      case R_sum:                                                                          \
        if (s == 1 && n >= 16) {                                                           \
          /* sixteen partial sums: independent chains the compiler keeps in vector         \
           * registers (four were one add latency per element: 0.28 ms for 4 MB) */        \
          double p[16] = {0};                                                              \
          int64_t i = 0;                                                                   \
          for (; i + 16 <= n; i += 16)                                                     \
            for (int q = 0; q < 16; q++) p[q] += x[i + q];                                 \
          for (; i < n; i++) p[0] += x[i];                                                 \
          for (int w = 8; w >= 1; w /= 2)                                                  \
            for (int q = 0; q < w; q++) p[q] += p[q + w];                                  \
          a += p[0];                                                                       \
        } else {                                                                           \
          for (int64_t i = 0; i < n; i++) a += x[i * s];                                   \
        }                                                                                  \
        break;                                                                             \
      case R_prod:                                                                         \
        for (int64_t i = 0; i < n; i++) a *= x[i * s];                                     \
        break;                                                                             \
      case R_max:                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                  \
          double v = x[i * s];                                                             \
          if (v != v) { *acc = v; return 1; }                                              \
          if (v > a) a = v;                                                                \
        }                                                                                  \
        break;                                                                             \
      case R_min:                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                  \
          double v = x[i * s];                                                             \
          if (v != v) { *acc = v; return 1; }                                              \
          if (v < a) a = v;                                                                \
        }                                                                                  \
        break;                                                                             \
      case R_argmax:                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                  \
          double v = x[i * s];                                                             \
          if (v != v) { *at = *j + i; return 1; }                                          \
          if (v > a) { a = v; *at = *j + i; }                                              \
        }                                                                                  \
        break;                                                                             \
      case R_argmin:                                                                       \
        for (int64_t i = 0; i < n; i++) {                                                  \
          double v = x[i * s];                                                             \
          if (v != v) { *at = *j + i; return 1; }                                          \
          if (v < a) { a = v; *at = *j + i; }                                              \
        }                                                                                  \
        break;                                                                             \
      case R_any:                                                                          \
        for (int64_t i = 0; i < n; i++)                                                    \
          if (x[i * s] != 0) { *acc = 1; return 1; }                                       \
        break;                                                                             \
      case R_all:                                                                          \
        for (int64_t i = 0; i < n; i++)                                                    \
          if (x[i * s] == 0) { *acc = 0; return 1; }                                       \
        break;                                                                             \
    }                                                                                      \
    *acc = a;                                                                              \
    *j += n;                                                                               \
    return 0;                                                                              \
  }
DEF_REDUCE_RUN(uint8_t)
DEF_REDUCE_RUN(int32_t)
DEF_REDUCE_RUN(float)
DEF_REDUCE_RUN(double)

static double reduce_init(int op) {
  switch (op) {
    case R_prod: case R_all: return 1;
    case R_max: case R_argmax: return -INFINITY;
    case R_min: case R_argmin: return INFINITY;
    default: return 0;
  }
}

static int fold_run(int op, int dtype, const char *base, int64_t n, int64_t s, double *acc,
                    int64_t *at, int64_t *j) {
  switch (dtype) {
    case KD_BOOL: return run_uint8_t(op, (const uint8_t *)base, n, s, acc, at, j);
    case KD_I32: return run_int32_t(op, (const int32_t *)base, n, s, acc, at, j);
    case KD_F32: return run_float(op, (const float *)base, n, s, acc, at, j);
    default: return run_double(op, (const double *)base, n, s, acc, at, j);
  }
}

/* Many outputs along a unit stride, one reduced dim: walk the reduced dim outermost and keep a
 * block of running values, so each output still sees its inputs in the reference's order. */
#define COLS 256
static int reduce_columns(int op, int dtype, const char *base, int64_t nout, int64_t nred,
                          int64_t sred, void *out, int outDtype) {
  if (op != R_sum && op != R_prod) return 0;
  int esz = kiln_dsize(dtype);
  double acc[COLS];
  for (int64_t c0 = 0; c0 < nout; c0 += COLS) {
    int64_t w = nout - c0 < COLS ? nout - c0 : COLS;
    double init = reduce_init(op);
    for (int64_t c = 0; c < w; c++) acc[c] = init;
    for (int64_t r = 0; r < nred; r++) {
      const char *row = base + (r * sred + c0) * esz;
#define COLLOOP(T)                                                                         \
  {                                                                                        \
    const T *x = (const T *)row;                                                           \
    if (op == R_sum)                                                                       \
      for (int64_t c = 0; c < w; c++) acc[c] += x[c];                                      \
    else                                                                                   \
      for (int64_t c = 0; c < w; c++) acc[c] *= x[c];                                      \
  }
      switch (dtype) {
        case KD_BOOL: COLLOOP(uint8_t) break;
        case KD_I32: COLLOOP(int32_t) break;
        case KD_F32: COLLOOP(float) break;
        default: COLLOOP(double) break;
      }
    }
    for (int64_t c = 0; c < w; c++) kiln_store(out, outDtype, c0 + c, acc[c]);
  }
  return 1;
}

int kiln_reduce(int op, int nd, const int64_t *shape, int kept, const kview *x, void *out,
                int outDtype) {
  if (op < 0 || op >= R_COUNT || kept < 0 || kept > nd) return -1;
  kiter outer, inner;
  kiter_init(&outer, kept, shape, x->strides);
  kiter_init(&inner, nd - kept, shape + kept, x->strides + kept);
  int64_t nout = 1, nred = 1;
  for (int d = 0; d < kept; d++) nout *= shape[d];
  for (int d = kept; d < nd; d++) nred *= shape[d];
  if (nout == 0) return 0;
  int esz = kiln_dsize(x->dtype);
  const char *base = (const char *)x->data + x->offset * esz;
  if (outer.m == 1 && outer.st[0] == 1 && inner.m == 1 && inner.st[0] != 1 &&
      reduce_columns(op, x->dtype, base, nout, inner.cs[0], inner.st[0], out, outDtype))
    return 0;
  int64_t len = inner.m ? inner.cs[inner.m - 1] : 1;
  int64_t step = inner.m ? inner.st[inner.m - 1] : 0;
  int64_t runs = nred == 0 ? 0 : nred / len;
  int isArg = op == R_argmax || op == R_argmin;
  for (int64_t o = 0; o < nout; o++) {
    const char *ob = base + outer.pos * esz;
    double acc = reduce_init(op);
    int64_t at = 0, j = 0;
    inner.pos = 0;
    for (int d = 0; d < inner.m; d++) inner.idx[d] = 0;
    for (int64_t r = 0; r < runs; r++) {
      if (fold_run(op, x->dtype, ob + inner.pos * esz, len, step, &acc, &at, &j)) break;
      kiter_next_run(&inner);
    }
    kiln_store(out, outDtype, o, isArg ? (double)at : acc);
    kiter_next(&outer);
  }
  return 0;
}

int kiln_cumsum(int nd, const int64_t *shape, const kview *x, void *out, int outDtype) {
  int64_t n = 1;
  for (int d = 0; d < nd; d++) n *= shape[d];
  if (n == 0) return 0;
  const char *base = (const char *)x->data + x->offset * kiln_dsize(x->dtype);
  if (nd == 0) {
    kiln_store(out, outDtype, 0, kiln_load(base, x->dtype, 0));
    return 0;
  }
  int64_t len = shape[nd - 1], step = x->strides[nd - 1];
  kiter outer;
  kiter_init(&outer, nd - 1, shape, x->strides);
  int64_t rows = n / len, k = 0;
  for (int64_t r = 0; r < rows; r++) {
    double s = 0;
    for (int64_t i = 0; i < len; i++) {
      s += kiln_load(base, x->dtype, outer.pos + i * step);
      kiln_store(out, outDtype, k++, s);
    }
    kiter_next(&outer);
  }
  return 0;
}

/* The storage offset of row-major flat position f of a coalesced view. */
static inline int64_t flat_offset(const kiter *it, int64_t f) {
  int64_t p = 0;
  for (int d = it->m - 1; d >= 0; d--) {
    int64_t c = it->cs[d];
    p += (f % c) * it->st[d];
    f /= c;
  }
  return p;
}

static int contiguous_view(const kiter *it) {
  int64_t expected = 1;
  for (int d = it->m - 1; d >= 0; d--) {
    if (it->st[d] != expected) return 0;
    expected *= it->cs[d];
  }
  return 1;
}

void kiln_take(int nd, const int64_t *shape, const kview *x, const int32_t *index, int64_t n,
               void *out, int outDtype) {
  kiter it;
  kiter_init(&it, nd, shape, x->strides);
  const int contig = contiguous_view(&it);
  const int esz = kiln_dsize(x->dtype);
  const char *base = (const char *)x->data + x->offset * esz;
  if (outDtype == x->dtype) {
#define TAKE(T)                                                                            \
  {                                                                                        \
    const T *src = (const T *)base;                                                        \
    T *o = (T *)out;                                                                       \
    if (contig)                                                                            \
      for (int64_t i = 0; i < n; i++) o[i] = src[index[i]];                                \
    else                                                                                   \
      for (int64_t i = 0; i < n; i++) o[i] = src[flat_offset(&it, index[i])];              \
  }
    if (esz == 1) TAKE(uint8_t) else if (esz == 4) TAKE(int32_t) else TAKE(double)
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t p = contig ? index[i] : flat_offset(&it, index[i]);
    kiln_store(out, outDtype, i, kiln_load(base, x->dtype, p));
  }
}

void kiln_put(int nd, const int64_t *shape, kview *target, const int32_t *index, int64_t n,
              const kview *values, int accumulate) {
  kiter it;
  kiter_init(&it, nd, shape, target->strides);
  const int contig = contiguous_view(&it);
  char *base = (char *)target->data + target->offset * kiln_dsize(target->dtype);
  const char *vb = (const char *)values->data + values->offset * kiln_dsize(values->dtype);
  const int td = target->dtype, vd = values->dtype;
  for (int64_t i = 0; i < n; i++) {
    int64_t p = contig ? index[i] : flat_offset(&it, index[i]);
    double v = kiln_load(vb, vd, i);
    if (accumulate) v += kiln_load(base, td, p);
    kiln_store(base, td, p, v);
  }
}

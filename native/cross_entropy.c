/* Float32 cross-entropy over [rows, C] logits with log-softmax fused in, forward and backward
 * (class weights, ignore index, label smoothing). Computes what the composition of primitives in
 * src/ops computes, with exp through vexp.h (within 1 ulp) and the row sums in double (the tests
 * compare them within the rounding of those formulas). Rows are split between the pool's
 * threads; the row code is compiled portable and for AVX2 (KILN_WIDE_PATHS), which round every
 * lane alike. No allocation, no OS calls, no Node here. */
#include <math.h>
#include <string.h>
#include "kiln.h"
#include "parallel.h"
#include "vexp.h"

typedef struct {
  int64_t rows, C, g_stride;
  const float *x, *weight, *lse_in, *g;
  const int32_t *target;
  int32_t ignore;
  float eps, W;
  float *loss, *row_weight, *lse, *gx;
} ce_job;

/* Row max and log Σ exp(x − max), as logSoftmax's composition (a NaN gives NaN; so does a row of
 * −inf, through −inf − (−inf)). */
VINLINE float row_lse(const float *x, int64_t n, float *mx) {
  const float m = row_max(x, n);
  *mx = m;
  return (float)log((double)(float)row_sum_exp(x, n, m, NULL));
}

/* loss_r = (1 − ε)·w[t]·(−logp[t]) + ε/C·Σ_c w_c·(−logp_c), 0 where t = ignore; rowWeight_r = w[t]
 * (0 where ignored); lse_r saved for backward. */
VINLINE void forward_row(const ce_job *j, int64_t r) {
  const int64_t C = j->C;
  const float *xr = j->x + r * C;
  float m;
  const float ls = row_lse(xr, C, &m);
  j->lse[r] = m + ls;
  const int32_t t = j->target[r];
  if (t == j->ignore) {
    j->loss[r] = 0;
    j->row_weight[r] = 0;
    return;
  }
  const float wt = j->weight != NULL ? j->weight[t] : 1.0f;
  float l = -((xr[t] - m) - ls) * wt;
  j->row_weight[r] = wt;
  if (j->eps > 0) {
    double s = 0;
    for (int64_t c = 0; c < C; c++)
      s += ((xr[c] - m) - ls) * (j->weight != NULL ? j->weight[c] : 1.0f);
    l = l * (1 - j->eps) + (-(float)s) * (j->eps / (float)C);
  }
  j->loss[r] = l;
}

/* gx[r, c] = g_r·((1 − ε)·w[t]·(p_c − [c = t]) + ε/C·(W·p_c − w_c)), 0 where ignored. */
VINLINE void backward_row(const ce_job *j, int64_t r) {
  const int64_t C = j->C;
  const float *xr = j->x + r * C;
  float *o = j->gx + r * C;
  const int32_t t = j->target[r];
  if (t == j->ignore) {
    memset(o, 0, (size_t)C * sizeof(float));
    return;
  }
  const float gr = j->g[r * j->g_stride];
  const float wt = (j->weight != NULL ? j->weight[t] : 1.0f) * (1 - j->eps);
  const float sm = j->eps / (float)C, lse = j->lse_in[r];
  const v8f vl = v8f_splat(lse);
  int64_t c = 0;
  for (; c + 8 <= C; c += 8) v8f_store(o + c, vexp8(v8f_load(xr + c) - vl));
  for (; c < C; c++) o[c] = vexp1(xr[c] - lse);
  for (c = 0; c < C; c++) {
    const float p = o[c];
    float d = wt * (p - (c == t ? 1.0f : 0.0f));
    if (j->eps > 0) d += sm * (j->W * p - (j->weight != NULL ? j->weight[c] : 1.0f));
    o[c] = gr * d;
  }
}

VINLINE void rows(const ce_job *j, int backward, int64_t lo, int64_t hi) {
  for (int64_t r = lo; r < hi; r++) {
    if (backward) backward_row(j, r);
    else forward_row(j, r);
  }
}

KILN_WIDE_PATHS(rows_wide, rows, (const ce_job *j, int backward, int64_t lo, int64_t hi),
                (j, backward, lo, hi))

static void run_share(const ce_job *j, int backward, int tid, int nt) {
  rows_wide(j, backward, kiln_share(j->rows, tid, nt), kiln_share(j->rows, tid + 1, nt));
}

static void forward_task(void *ctx, int tid, int nt) { run_share(ctx, 0, tid, nt); }
static void backward_task(void *ctx, int tid, int nt) { run_share(ctx, 1, tid, nt); }

void kiln_cross_entropy(int64_t rows, int64_t C, const float *x, const int32_t *target,
                        const float *weight, int32_t ignore, float eps, float *loss,
                        float *row_weight, float *lse) {
  ce_job j = {.rows = rows, .C = C, .x = x, .weight = weight, .target = target,
              .ignore = ignore, .eps = eps, .loss = loss, .row_weight = row_weight, .lse = lse};
  run_rows(forward_task, &j, rows * C, rows);
}

void kiln_cross_entropy_backward(int64_t rows, int64_t C, const float *x, const int32_t *target,
                                 const float *weight, int32_t ignore, float eps, const float *lse,
                                 const float *g, int64_t g_stride, float *gx) {
  float W = 0;
  for (int64_t c = 0; c < C; c++) W += weight != NULL ? weight[c] : 1.0f;
  ce_job j = {.rows = rows, .C = C, .g_stride = g_stride, .x = x, .weight = weight,
              .lse_in = lse, .g = g, .target = target, .ignore = ignore, .eps = eps, .W = W,
              .gx = gx};
  run_rows(backward_task, &j, rows * C, rows);
}

/* Float32 layer norm over the rows of x [M, N] (the normalised trailing dimensions, flattened):
 * forward y = (x − μ)·rstd·w + b with each row's mean μ and rstd = 1/√(var + eps) (biased
 * variance), and backward (input, weight and bias gradients). Computes what the composition in
 * src/nn/functional/norm.ts computes, with the row statistics summed in double and the gradient's
 * row sums in eight float lanes added in double (the tests compare them within the rounding of
 * those formulas). Rows (forward, input gradient) and columns (weight and bias gradients) are
 * split between the pool's threads; every value's summation order is fixed, so results do not
 * depend on the thread count. The row code is compiled portable and for AVX2 (KILN_WIDE_PATHS),
 * which round every lane alike. No allocation, no OS calls, no Node here. */
#include <math.h>
#include "double_sums.h"
#include "kiln.h"
#include "parallel.h"
#include "vexp.h"

typedef struct {
  int64_t M, N;
  const float *x, *w, *b, *gy, *mean, *rstd;
  float *y, *mean_out, *rstd_out, *gx, *gw, *gb;
  double eps;
} ln_job;

VINLINE void forward_row(const ln_job *j, int64_t i) {
  const int64_t N = j->N;
  const float *x = j->x + i * N;
  float *y = j->y + i * N;
  const double mu = N > 0 ? dsum(x, N) / (double)N : NAN;
  const double var = N > 0 ? dsq(x, N, mu) / (double)N : NAN;
  const float m = (float)mu, rs = (float)(1.0 / sqrt((double)(float)var + j->eps));
  j->mean_out[i] = m;
  j->rstd_out[i] = rs;
  const float *w = j->w, *b = j->b;
  for (int64_t k = 0; k < N; k++) {
    float v = (x[k] - m) * rs;
    if (w != NULL) v = v * w[k];
    if (b != NULL) v = v + b[k];
    y[k] = v;
  }
}

/* gx = rstd·(g − mean(g) − x̂·mean(g·x̂)) of one row, with g = gy·w. */
VINLINE void backward_row(const ln_job *j, int64_t i) {
  const int64_t N = j->N;
  const float *x = j->x + i * N, *gy = j->gy + i * N, *w = j->w;
  float *gx = j->gx + i * N;
  const float m = j->mean[i], rs = j->rstd[i];
  const v8f vm = v8f_splat(m), vr = v8f_splat(rs);
  v8f sg = v8f_splat(0.0f), sgx = sg;
  int64_t k = 0;
  for (; k + 8 <= N; k += 8) {
    v8f g = v8f_load(gy + k);
    if (w != NULL) g = g * v8f_load(w + k);
    sg += g;
    sgx += g * ((v8f_load(x + k) - vm) * vr);
  }
  double s = v8f_hsum(sg), t = v8f_hsum(sgx);
  for (; k < N; k++) {
    const float g = w != NULL ? gy[k] * w[k] : gy[k];
    s += g;
    t += g * ((x[k] - m) * rs);
  }
  const float ag = (float)(s / (double)N), agx = (float)(t / (double)N);
  for (k = 0; k < N; k++) {
    const float g = w != NULL ? gy[k] * w[k] : gy[k];
    gx[k] = rs * ((g - ag) - ((x[k] - m) * rs) * agx);
  }
}

/* Columns summed together per pass of the weight and bias gradients. */
#define COLS 256

/* gw = Σ_rows gy·x̂, gb = Σ_rows gy over columns [c0, c1), in double. */
VINLINE void column_sums(const ln_job *j, int64_t c0, int64_t c1) {
  double aw[COLS], ab[COLS];
  for (int64_t k = c0; k < c1; k++) aw[k - c0] = ab[k - c0] = 0;
  for (int64_t i = 0; i < j->M; i++) {
    const float *x = j->x + i * j->N, *gy = j->gy + i * j->N;
    const float m = j->mean[i], rs = j->rstd[i];
    for (int64_t k = c0; k < c1; k++) {
      aw[k - c0] += (double)(gy[k] * ((x[k] - m) * rs));
      ab[k - c0] += gy[k];
    }
  }
  for (int64_t k = c0; k < c1; k++) {
    if (j->gw != NULL) j->gw[k] = (float)aw[k - c0];
    if (j->gb != NULL) j->gb[k] = (float)ab[k - c0];
  }
}

VINLINE void share(const ln_job *j, int backward, int tid, int nt) {
  if (!backward) {
    for (int64_t i = kiln_share(j->M, tid, nt); i < kiln_share(j->M, tid + 1, nt); i++)
      forward_row(j, i);
    return;
  }
  if (j->gx != NULL)
    for (int64_t i = kiln_share(j->M, tid, nt); i < kiln_share(j->M, tid + 1, nt); i++)
      backward_row(j, i);
  if (j->gw == NULL && j->gb == NULL) return;
  const int64_t hi = kiln_share(j->N, tid + 1, nt);
  for (int64_t c0 = kiln_share(j->N, tid, nt); c0 < hi; c0 += COLS)
    column_sums(j, c0, c0 + COLS < hi ? c0 + COLS : hi);
}

KILN_WIDE_PATHS(share_wide, share, (const ln_job *j, int backward, int tid, int nt),
                (j, backward, tid, nt))

static void forward_task(void *ctx, int tid, int nt) { share_wide(ctx, 0, tid, nt); }
static void backward_task(void *ctx, int tid, int nt) { share_wide(ctx, 1, tid, nt); }

void kiln_layer_norm(int64_t M, int64_t N, const float *x, const float *w, const float *b,
                     double eps, float *mean, float *rstd, float *y) {
  ln_job j = {.M = M, .N = N, .x = x, .w = w, .b = b, .y = y, .mean_out = mean,
              .rstd_out = rstd, .eps = eps};
  run_rows(forward_task, &j, M * N, M);
}

void kiln_layer_norm_backward(int64_t M, int64_t N, const float *gy, const float *x,
                              const float *w, const float *mean, const float *rstd, float *gx,
                              float *gw, float *gb) {
  ln_job j = {.M = M, .N = N, .x = x, .w = w, .gy = gy, .mean = mean, .rstd = rstd, .gx = gx,
              .gw = gw, .gb = gb};
  /* the column pass needs as many columns as threads; the row pass as many rows */
  run_rows(backward_task, &j, M * N, M < N ? M : N);
}

/* Float32 batch norm over [N, C, L]: forward (batch statistics in training, running ones
 * otherwise) and backward (input, weight and bias gradients). Computes what the composition of
 * primitives in src/ops computes (the tests compare them). No allocation, no OS calls, no Node
 * here. */
#include <math.h>
#include <string.h>
#include "double_sums.h"
#include "kiln.h"
#include "parallel.h"

/* *sg += Σ g, *sgx += Σ g·(x − mu) over [0..n), in double. */
static void dsum_gx(const float *g, const float *x, int64_t n, double mu, double *sg,
                    double *sgx) {
  const v2d m = {mu, mu};
  v2d a = {0, 0}, b = a, c = a, d = a;
  int64_t l = 0;
  for (; l + 4 <= n; l += 4) {
    v2d g0, g1, x0, x1;
    load4(g + l, &g0, &g1);
    load4(x + l, &x0, &x1);
    a += g0, b += g1;
    c += g0 * (x0 - m), d += g1 * (x1 - m);
  }
  double s = (a + b)[0] + (a + b)[1], t = (c + d)[0] + (c + d)[1];
  for (; l < n; l++) {
    s += g[l];
    t += g[l] * ((double)x[l] - mu);
  }
  *sg += s;
  *sgx += t;
}

typedef struct {
  int64_t N, C, L;
  const float *x, *gy, *w, *b;
  float *y, *mean, *invstd, *var, *gx, *gw, *gb;
  double eps;
  int training;
} bn_job;

/* Per channel: batch mean and biased variance (training), then y = (x − μ)·invstd·w + b. */
static void bn_task(void *ctx, int tid, int nt) {
  const bn_job *j = (const bn_job *)ctx;
  const int64_t N = j->N, C = j->C, L = j->L;
  for (int64_t c = kiln_share(C, tid, nt); c < kiln_share(C, tid + 1, nt); c++) {
    if (j->training) {
      double s = 0;
      for (int64_t n = 0; n < N; n++) s += dsum(j->x + (n * C + c) * L, L);
      const double mu = s / (double)(N * L);
      double q = 0;
      for (int64_t n = 0; n < N; n++) q += dsq(j->x + (n * C + c) * L, L, mu);
      const double var = q / (double)(N * L);
      j->mean[c] = (float)mu;
      j->var[c] = (float)var;
      j->invstd[c] = (float)(1.0 / sqrt((double)(float)var + j->eps));
    }
    const float mu = j->mean[c], is = j->invstd[c];
    const float a = j->w != NULL ? is * j->w[c] : is;
    const float b = j->b != NULL ? j->b[c] : 0.0f;
    for (int64_t n = 0; n < N; n++) {
      const float *p = j->x + (n * C + c) * L;
      float *o = j->y + (n * C + c) * L;
      for (int64_t l = 0; l < L; l++) o[l] = (p[l] - mu) * a + b;
    }
  }
}

/* gx = w·invstd·(gy − mean(gy) − x̂·mean(gy·x̂)) in training, w·invstd·gy otherwise;
 * gw = Σ gy·x̂, gb = Σ gy. */
static void bn_back_task(void *ctx, int tid, int nt) {
  const bn_job *j = (const bn_job *)ctx;
  const int64_t N = j->N, C = j->C, L = j->L;
  for (int64_t c = kiln_share(C, tid, nt); c < kiln_share(C, tid + 1, nt); c++) {
    const double mu = j->mean[c], is = j->invstd[c];
    double sg = 0, sgx = 0;
    for (int64_t n = 0; n < N; n++)
      dsum_gx(j->gy + (n * C + c) * L, j->x + (n * C + c) * L, L, mu, &sg, &sgx);
    sgx *= is; /* Σ gy·x̂ = invstd·Σ gy·(x − μ) */
    if (j->gw != NULL) j->gw[c] = (float)sgx;
    if (j->gb != NULL) j->gb[c] = (float)sg;
    if (j->gx == NULL) continue;
    const double m = (double)(N * L), wc = j->w != NULL ? j->w[c] : 1.0;
    const double k = wc * is;
    const double mg = j->training ? sg / m : 0, mgx = j->training ? sgx / m : 0;
    for (int64_t n = 0; n < N; n++) {
      const float *p = j->x + (n * C + c) * L, *g = j->gy + (n * C + c) * L;
      float *o = j->gx + (n * C + c) * L;
      for (int64_t l = 0; l < L; l++) {
        const double xh = ((double)p[l] - mu) * is;
        o[l] = (float)(k * ((double)g[l] - mg - xh * mgx));
      }
    }
  }
}

void kiln_batch_norm(int64_t N, int64_t C, int64_t L, const float *x, const float *w,
                     const float *b, float *mean, float *invstd, float *var, double eps,
                     int training, float *y) {
  bn_job j = {N, C, L, x, NULL, w, b, y, mean, invstd, var, NULL, NULL, NULL, eps, training};
  run(bn_task, &j, N * C * L * 4);
}

void kiln_batch_norm_backward(int64_t N, int64_t C, int64_t L, const float *gy, const float *x,
                              const float *w, const float *mean, const float *invstd,
                              int training, float *gx, float *gw, float *gb) {
  bn_job j = {N, C, L, x, gy, w, NULL, NULL, (float *)mean, (float *)invstd, NULL, gx, gw, gb,
              0, training};
  run(bn_back_task, &j, N * C * L * 6);
}

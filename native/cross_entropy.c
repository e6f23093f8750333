/* Float32 cross-entropy over [rows, C] logits with log-softmax fused in, forward and backward
 * (class weights, ignore index, label smoothing). Computes what the composition of primitives in
 * src/ops computes (the tests compare them). No allocation, no OS calls, no Node here. */
#include <math.h>
#include <string.h>
#include "kiln.h"

/* Row max and log Σ exp(x − max): what logSoftmax's composition computes, in float. */
static float row_lse(const float *x, int64_t n, float *mx) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; i++) {
    if (x[i] != x[i]) {
      m = x[i];
      break;
    }
    if (x[i] > m) m = x[i];
  }
  float s = 0;
  for (int64_t i = 0; i < n; i++) s += expf(x[i] - m);
  *mx = m;
  return logf(s);
}

/* Per row: loss_i = (1 − ε)·w[t]·(−logp[t]) + ε/C·Σ_c w_c·(−logp_c), 0 where t = ignore;
 * rowWeight_i = w[t] (0 where ignored); lse_i saved for backward. */
void kiln_cross_entropy(int64_t rows, int64_t C, const float *x, const int32_t *target,
                        const float *weight, int32_t ignore, float eps, float *loss,
                        float *row_weight, float *lse) {
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float m;
    const float ls = row_lse(xr, C, &m);
    lse[r] = m + ls;
    const int32_t t = target[r];
    if (t == ignore) {
      loss[r] = 0;
      row_weight[r] = 0;
      continue;
    }
    const float wt = weight != NULL ? weight[t] : 1.0f;
    float l = -((xr[t] - m) - ls) * wt;
    row_weight[r] = wt;
    if (eps > 0) {
      float s = 0;
      for (int64_t c = 0; c < C; c++) s += ((xr[c] - m) - ls) * (weight != NULL ? weight[c] : 1.0f);
      l = l * (1 - eps) + (-s) * (eps / (float)C);
    }
    loss[r] = l;
  }
}

/* gx[r, c] = g_r·((1 − ε)·w[t]·(p_c − [c = t]) + ε/C·(W·p_c − w_c)), W = Σ w; 0 where ignored. */
void kiln_cross_entropy_backward(int64_t rows, int64_t C, const float *x, const int32_t *target,
                                 const float *weight, int32_t ignore, float eps, const float *lse,
                                 const float *g, int64_t g_stride, float *gx) {
  float W = 0;
  for (int64_t c = 0; c < C; c++) W += weight != NULL ? weight[c] : 1.0f;
  for (int64_t r = 0; r < rows; r++) {
    const float *xr = x + r * C;
    float *o = gx + r * C;
    const int32_t t = target[r];
    if (t == ignore) {
      memset(o, 0, (size_t)C * sizeof(float));
      continue;
    }
    const float gr = g[r * g_stride];
    const float wt = (weight != NULL ? weight[t] : 1.0f) * (1 - eps);
    const float sm = eps / (float)C;
    for (int64_t c = 0; c < C; c++) {
      const float p = expf(xr[c] - lse[r]);
      float d = wt * (p - (c == t ? 1.0f : 0.0f));
      if (eps > 0) d += sm * (W * p - (weight != NULL ? weight[c] : 1.0f));
      o[c] = gr * d;
    }
  }
}

/* Float32 LSTM and GRU cell steps, forward and backward: the pointwise gate math of one time
 * step over [B, G·H] gate pre-activations, in PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n).
 * Computes what the composition in src/nn/layers/rnn-ops.ts computes: sigmoid and tanh in double
 * rounded to float (as the elementwise kernels do), products and sums in float, in the same
 * order (the tests compare them). No allocation, no OS calls, no Node here. */
#include <math.h>
#include "kiln.h"

static inline float sig(float a) { return (float)(1 / (1 + exp(-(double)a))); }
static inline float th(float a) { return (float)tanh((double)a); }

/* LSTM: gates = xg + hg; c = σf·c_prev + σi·tanh(g); h = σo·tanh(c). Saves act [B, 4H] =
 * (σi, σf, tanh g, σo) and tc [B, H] = tanh(c) for the backward. */
void kiln_lstm_cell(int64_t B, int64_t H, const float *xg, const float *hg, const float *c_prev,
                    float *h, float *c, float *act, float *tc) {
  for (int64_t b = 0; b < B; b++) {
    const float *x = xg + b * 4 * H, *y = hg + b * 4 * H;
    float *a = act + b * 4 * H;
    for (int64_t j = 0; j < H; j++) {
      const float i = sig(x[j] + y[j]);
      const float f = sig(x[H + j] + y[H + j]);
      const float g = th(x[2 * H + j] + y[2 * H + j]);
      const float o = sig(x[3 * H + j] + y[3 * H + j]);
      const float fc = f * c_prev[b * H + j];
      const float ig = i * g;
      const float cn = fc + ig;
      const float t = th(cn);
      a[j] = i;
      a[H + j] = f;
      a[2 * H + j] = g;
      a[3 * H + j] = o;
      c[b * H + j] = cn;
      tc[b * H + j] = t;
      h[b * H + j] = o * t;
    }
  }
}

/* The gradient of the gate pre-activations ggates [B, 4H] (the same for xg and hg) and of
 * c_prev, from gh and gc (either may be NULL: no gradient reached that output). */
void kiln_lstm_cell_backward(int64_t B, int64_t H, const float *act, const float *tc,
                             const float *c_prev, const float *gh, const float *gc,
                             float *ggates, float *gc_prev) {
  for (int64_t b = 0; b < B; b++) {
    const float *a = act + b * 4 * H;
    float *gg = ggates + b * 4 * H;
    for (int64_t j = 0; j < H; j++) {
      const int64_t k = b * H + j;
      const float i = a[j], f = a[H + j], g = a[2 * H + j], o = a[3 * H + j], t = tc[k];
      const float dh = gh != NULL ? gh[k] : 0.0f;
      const float dc = (gc != NULL ? gc[k] : 0.0f) + dh * o * (1 - t * t);
      gg[j] = dc * g * (i * (1 - i));
      gg[H + j] = dc * c_prev[k] * (f * (1 - f));
      gg[2 * H + j] = dc * i * (1 - g * g);
      gg[3 * H + j] = dh * t * (o * (1 - o));
      gc_prev[k] = dc * f;
    }
  }
}

/* GRU: r = σ(xr + hr), z = σ(xz + hz), n = tanh(xn + r·hn), h = n + z·(h_prev − n). Saves
 * act [B, 4H] = (r, z, n, hn) for the backward. */
void kiln_gru_cell(int64_t B, int64_t H, const float *xg, const float *hg, const float *h_prev,
                   float *h, float *act) {
  for (int64_t b = 0; b < B; b++) {
    const float *x = xg + b * 3 * H, *y = hg + b * 3 * H;
    float *a = act + b * 4 * H;
    for (int64_t j = 0; j < H; j++) {
      const float r = sig(x[j] + y[j]);
      const float z = sig(x[H + j] + y[H + j]);
      const float hn = y[2 * H + j];
      const float rh = r * hn;
      const float n = th(x[2 * H + j] + rh);
      const float d = h_prev[b * H + j] - n;
      const float zd = z * d;
      a[j] = r;
      a[H + j] = z;
      a[2 * H + j] = n;
      a[3 * H + j] = hn;
      h[b * H + j] = n + zd;
    }
  }
}

/* From gh [B, H]: gxg [B, 3H], ghg [B, 3H] (they differ only in the n block: ghn = gn·r) and
 * gh_prev [B, H]. */
void kiln_gru_cell_backward(int64_t B, int64_t H, const float *act, const float *h_prev,
                            const float *gh, float *gxg, float *ghg, float *gh_prev) {
  for (int64_t b = 0; b < B; b++) {
    const float *a = act + b * 4 * H;
    float *gx = gxg + b * 3 * H, *gy = ghg + b * 3 * H;
    for (int64_t j = 0; j < H; j++) {
      const int64_t k = b * H + j;
      const float r = a[j], z = a[H + j], n = a[2 * H + j], hn = a[3 * H + j];
      const float dh = gh[k];
      const float dn = dh * (1 - z) * (1 - n * n);
      const float dz = dh * (h_prev[k] - n) * (z * (1 - z));
      const float dr = dn * hn * (r * (1 - r));
      gx[j] = dr;
      gy[j] = dr;
      gx[H + j] = dz;
      gy[H + j] = dz;
      gx[2 * H + j] = dn;
      gy[2 * H + j] = dn * r;
      gh_prev[k] = dh * z;
    }
  }
}

/* Float32 LSTM and GRU cell steps, forward and backward: the pointwise gate math of one time
 * step over [B, G·H] gate pre-activations, in PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n).
 * Computes what the composition in src/nn/layers/rnn-ops.ts computes, with sigmoid and tanh
 * through vexp.h's eight-lane forms (within 2.5 ulp of the exact values; the composition rounds
 * double results to float) and the products and sums in float in the composition's order (the
 * tests compare them within those ulps). The forward steps are compiled portable and for AVX2
 * (KILN_WIDE_PATHS), which round every lane alike. No allocation, no OS calls, no Node here. */
#include <math.h>
#include "kiln.h"
#include "vexp.h"

/* LSTM gates for hidden units [j, j + 8) of one row: the eight-lane body of kiln_lstm_cell. */
VINLINE void lstm8(const float *x, const float *y, const float *cp, float *a, float *h, float *c,
                   float *tc, int64_t H, int64_t j) {
  const v8f i = vsigmoid8(v8f_load(x + j) + v8f_load(y + j));
  const v8f f = vsigmoid8(v8f_load(x + H + j) + v8f_load(y + H + j));
  const v8f g = vtanh8(v8f_load(x + 2 * H + j) + v8f_load(y + 2 * H + j));
  const v8f o = vsigmoid8(v8f_load(x + 3 * H + j) + v8f_load(y + 3 * H + j));
  const v8f cn = f * v8f_load(cp + j) + i * g;
  const v8f t = vtanh8(cn);
  v8f_store(a + j, i);
  v8f_store(a + H + j, f);
  v8f_store(a + 2 * H + j, g);
  v8f_store(a + 3 * H + j, o);
  v8f_store(c + j, cn);
  v8f_store(tc + j, t);
  v8f_store(h + j, o * t);
}

VINLINE void lstm_rows(int64_t B, int64_t H, const float *xg, const float *hg, const float *c_prev,
                       float *h, float *c, float *act, float *tc) {
  for (int64_t b = 0; b < B; b++) {
    const float *x = xg + b * 4 * H, *y = hg + b * 4 * H;
    float *a = act + b * 4 * H;
    const int64_t k = b * H;
    int64_t j = 0;
    for (; j + 8 <= H; j += 8) lstm8(x, y, c_prev + k, a, h + k, c + k, tc + k, H, j);
    for (; j < H; j++) {
      const float i = vsigmoid1(x[j] + y[j]);
      const float f = vsigmoid1(x[H + j] + y[H + j]);
      const float g = vtanh1(x[2 * H + j] + y[2 * H + j]);
      const float o = vsigmoid1(x[3 * H + j] + y[3 * H + j]);
      const float cn = f * c_prev[k + j] + i * g;
      const float t = vtanh1(cn);
      a[j] = i;
      a[H + j] = f;
      a[2 * H + j] = g;
      a[3 * H + j] = o;
      c[k + j] = cn;
      tc[k + j] = t;
      h[k + j] = o * t;
    }
  }
}

/* GRU gates for hidden units [j, j + 8) of one row: the eight-lane body of kiln_gru_cell. */
VINLINE void gru8(const float *x, const float *y, const float *hp, float *a, float *h, int64_t H,
                  int64_t j) {
  const v8f r = vsigmoid8(v8f_load(x + j) + v8f_load(y + j));
  const v8f z = vsigmoid8(v8f_load(x + H + j) + v8f_load(y + H + j));
  const v8f hn = v8f_load(y + 2 * H + j);
  const v8f n = vtanh8(v8f_load(x + 2 * H + j) + r * hn);
  v8f_store(a + j, r);
  v8f_store(a + H + j, z);
  v8f_store(a + 2 * H + j, n);
  v8f_store(a + 3 * H + j, hn);
  v8f_store(h + j, n + z * (v8f_load(hp + j) - n));
}

VINLINE void gru_rows(int64_t B, int64_t H, const float *xg, const float *hg, const float *h_prev,
                      float *h, float *act) {
  for (int64_t b = 0; b < B; b++) {
    const float *x = xg + b * 3 * H, *y = hg + b * 3 * H;
    float *a = act + b * 4 * H;
    const int64_t k = b * H;
    int64_t j = 0;
    for (; j + 8 <= H; j += 8) gru8(x, y, h_prev + k, a, h + k, H, j);
    for (; j < H; j++) {
      const float r = vsigmoid1(x[j] + y[j]);
      const float z = vsigmoid1(x[H + j] + y[H + j]);
      const float hn = y[2 * H + j];
      const float n = vtanh1(x[2 * H + j] + r * hn);
      a[j] = r;
      a[H + j] = z;
      a[2 * H + j] = n;
      a[3 * H + j] = hn;
      h[k + j] = n + z * (h_prev[k + j] - n);
    }
  }
}

KILN_WIDE_PATHS(lstm_wide, lstm_rows,
                (int64_t B, int64_t H, const float *xg, const float *hg, const float *c_prev,
                 float *h, float *c, float *act, float *tc),
                (B, H, xg, hg, c_prev, h, c, act, tc))

KILN_WIDE_PATHS(gru_wide, gru_rows,
                (int64_t B, int64_t H, const float *xg, const float *hg, const float *h_prev,
                 float *h, float *act),
                (B, H, xg, hg, h_prev, h, act))

/* LSTM: gates = xg + hg; c = σf·c_prev + σi·tanh(g); h = σo·tanh(c). Saves act [B, 4H] =
 * (σi, σf, tanh g, σo) and tc [B, H] = tanh(c) for the backward. */
void kiln_lstm_cell(int64_t B, int64_t H, const float *xg, const float *hg, const float *c_prev,
                    float *h, float *c, float *act, float *tc) {
  lstm_wide(B, H, xg, hg, c_prev, h, c, act, tc);
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
  gru_wide(B, H, xg, hg, h_prev, h, act);
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

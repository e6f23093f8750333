/* Float32 2-D and 3-D convolution with unit strides and dilations and one group, forward and
 * input gradient, as a sum of kd·kh·kw GEMMs over a zero-padded copy of each image ("shifted
 * taps"): with the image padded to Dp x Hp x Wp (Hp = Hout + kh − 1, ...), tap (a, i, j) reads
 * pad[c][od + a][oh + i][ow + j] = pad_c[l + (a·Hp + i)·Wp + j] at l = (od·Hp + oh)·Wp + ow. So
 * each tap's right operand is the padded image itself, offset, its rows (channels) Dp·Hp·Wp
 * apart: no im2col block is written, which cost about a third of a forward pass at ResNet's
 * sizes. The products land on the padded grid (its extra rows and columns unused) and are
 * compacted, with the bias, into the output. The input gradient is the same correlation of the
 * padded output gradient with the flipped, transposed weights. Work buffers come from the caller;
 * no allocation, no OS calls, no Node here. */
#include <string.h>
#include "kiln.h"
#include "parallel.h"

/* The least channels (on both sides) for which one GEMM per tap, of depth C, beats im2col. */
#define MIN_CHANNELS 16
/* The most floats of per-thread scratch (padded image and grid products): 4 MB. */
#define MAX_SCRATCH ((int64_t)1 << 20)
/* The most grid positions per output position: beyond it (small images: 6x6 pads to 8x8) the
 * unused rows and columns cost more than im2col. */
#define MAX_GRID_RATIO 1.3

/* Whether every element of x [n] is finite. */
static int all_finite(const float *x, int64_t n) {
  int ok = 1;
  for (int64_t i = 0; i < n; i++) ok &= x[i] - x[i] == 0;
  return ok;
}

/* One correlation: `in` [Cin, Din, Hin, Win] read at depth dp − front, row hp − top, column
 * wp − left of the padded image (zero outside), taps packed in order (a, i, j), into `out`
 * [Mo, Dout, Hout, Wout]. */
typedef struct {
  int64_t Cin, Din, Hin, Win, front, top, left, Dout, Hout, Wout, kd, kh, kw, Mo;
} shifted;

static int64_t padded_rows(const shifted *s) { return s->Hout + s->kh - 1; }
static int64_t padded_cols(const shifted *s) { return s->Wout + s->kw - 1; }
static int64_t padded_plane(const shifted *s) {
  return (s->Dout + s->kd - 1) * padded_rows(s) * padded_cols(s);
}

/* Grid positions up to the last output's: l = (od·Hp + oh)·Wp + ow. */
static int64_t grid_cols(const shifted *s) {
  return ((s->Dout - 1) * padded_rows(s) + s->Hout - 1) * padded_cols(s) + s->Wout;
}

static int64_t scratch_floats(const shifted *s) {
  return s->Cin * padded_plane(s) + s->Mo * grid_cols(s);
}

static shifted forward_of(const kconv *g) {
  shifted s = {g->C,  g->D,  g->H,  g->W, g->pd, g->pt, g->pl,
               g->Do, g->Ho, g->Wo, g->kd, g->kh, g->kw, g->O};
  return s;
}

/* gx[c][h][w] = Σ W[o][c][i][j]·gy[o][h + pt − i][w + pl − j] (and so in depth): the
 * correlation of gy, padded by kh − 1 − pt above (kw − 1 − pl left, kd − 1 − pd in front), with
 * the taps flipped. */
static shifted input_grad_of(const kconv *g) {
  shifted s = {g->O,  g->Do, g->Ho, g->Wo, g->kd - 1 - g->pd, g->kh - 1 - g->pt,
               g->kw - 1 - g->pl, g->D, g->H, g->W, g->kd, g->kh, g->kw, g->C};
  return s;
}

/* The weight gradient's scratch: the padded image, the output gradient on the padded grid
 * (zero off the outputs) and packed, and the per-tap sums [kk, O, C]. */
static int64_t weight_grad_floats(const kconv *g) {
  const shifted f = forward_of(g);
  return g->C * padded_plane(&f) + g->O * grid_cols(&f) +
         kiln_sgemm_packed_a_floats(g->O, grid_cols(&f)) + g->kd * g->kh * g->kw * g->O * g->C;
}

int kiln_conv_shifted_ok(const kconv *g) {
  if (g->groups != 1 || g->sd != 1 || g->sh != 1 || g->sw != 1 || g->dd != 1 || g->dh != 1 ||
      g->dw != 1 || g->C < MIN_CHANNELS || g->O < MIN_CHANNELS || g->N < 1 || g->Do < 1 ||
      g->Ho < 1 || g->Wo < 1)
    return 0;
  const shifted f = forward_of(g), b = input_grad_of(g);
  return scratch_floats(&f) <= MAX_SCRATCH && scratch_floats(&b) <= MAX_SCRATCH &&
         weight_grad_floats(g) <= MAX_SCRATCH &&
         grid_cols(&f) <= MAX_GRID_RATIO * g->Do * g->Ho * g->Wo &&
         grid_cols(&b) <= MAX_GRID_RATIO * g->D * g->H * g->W;
}

static int64_t per_thread(const kconv *g) {
  const shifted f = forward_of(g), b = input_grad_of(g);
  int64_t most = scratch_floats(&f);
  if (scratch_floats(&b) > most) most = scratch_floats(&b);
  if (weight_grad_floats(g) > most) most = weight_grad_floats(g);
  return most;
}

/* Floats of the packed taps: kd·kh·kw blocks of [O, C] (forward) or [C, O] (input gradient). */
static int64_t tap_floats(const kconv *g) {
  const int64_t f = kiln_sgemm_packed_a_floats(g->O, g->C);
  const int64_t b = kiln_sgemm_packed_a_floats(g->C, g->O);
  return f > b ? f : b;
}

/* Threads share (image, column range) units: each image's grid columns in `parts` ranges, more
 * than one only when there are fewer images than threads (inference on one image). */
static int64_t parts_of(const kconv *g) {
  const int64_t nt = kiln_get_num_threads();
  return g->N >= nt ? 1 : (nt + g->N - 1) / g->N;
}

/* The first grid column of range p of `parts` over Lg columns (a multiple of 16 inside). */
static int64_t col_at(int64_t Lg, int64_t p, int64_t parts) {
  return p >= parts ? Lg : Lg * p / parts / 16 * 16;
}

/* Scratch is reserved for every thread the pool may hold, as im2col's is: the thread count may
 * change between a caller's size query and the call (another JavaScript thread can set it). */
/* Unit u's image, and its grid columns [l0, l1) (empty when the image has fewer columns). */
static int64_t unit_span(int64_t u, int64_t parts, int64_t Lg, int64_t *l0, int64_t *l1) {
  *l0 = col_at(Lg, u % parts, parts);
  *l1 = col_at(Lg, u % parts + 1, parts);
  return u / parts;
}

int64_t kiln_conv_shifted_work(const kconv *g) {
  return (int64_t)kiln_max_threads() * per_thread(g) + g->kd * g->kh * g->kw * tap_floats(g);
}

typedef struct {
  const kconv *g;
  shifted s;
  const float *in, *taps, *bias;
  float *out, *work;
  int64_t per_thread, images_in, images_out; /* floats per image of `in` and `out` */
  int64_t parts;                               /* column ranges per image (parts_of) */
} shifted_job;

/* pad [Cin, Dp, Hp, Wp] = the image `in` placed at (front, top, left), zero around it. */
static void pad_image(const shifted *s, const float *in, float *pad) {
  const int64_t Hp = padded_rows(s), Wp = padded_cols(s), P = padded_plane(s);
  const int64_t Dp = P / (Hp * Wp);
  /* padded columns [lo, hi) hold input columns lo − left .. hi − left − 1 */
  int64_t lo = s->left > 0 ? s->left : 0, hi = s->left + s->Win;
  if (hi > Wp) hi = Wp;
  if (hi < lo) hi = lo;
  for (int64_t c = 0; c < s->Cin; c++)
    for (int64_t dp = 0; dp < Dp; dp++)
      for (int64_t hp = 0; hp < Hp; hp++) {
        float *restrict row = pad + c * P + (dp * Hp + hp) * Wp;
        const int64_t d = dp - s->front, h = hp - s->top;
        if (d < 0 || d >= s->Din || h < 0 || h >= s->Hin) {
          memset(row, 0, (size_t)Wp * sizeof(float));
          continue;
        }
        const float *restrict src = in + ((c * s->Din + d) * s->Hin + h) * s->Win - s->left;
        for (int64_t w = 0; w < lo; w++) row[w] = 0;
        for (int64_t w = lo; w < hi; w++) row[w] = src[w];
        for (int64_t w = hi; w < Wp; w++) row[w] = 0;
      }
}

static void shifted_task(void *ctx, int tid, int nt) {
  const shifted_job *j = (const shifted_job *)ctx;
  const shifted *s = &j->s;
  const int64_t Hp = padded_rows(s), Wp = padded_cols(s), P = padded_plane(s);
  const int64_t Lg = grid_cols(s), tap = tap_floats(j->g), units = j->g->N * j->parts;
  float *pad = j->work + tid * j->per_thread, *grid = pad + s->Cin * P;
  int64_t padded = -1; /* the image now in `pad` */
  for (int64_t u = kiln_share(units, tid, nt); u < kiln_share(units, tid + 1, nt); u++) {
    int64_t l0, l1;
    const int64_t n = unit_span(u, j->parts, Lg, &l0, &l1);
    if (l0 >= l1) continue;
    if (padded != n) pad_image(s, j->in + n * j->images_in, pad);
    padded = n;
    int64_t t = 0;
    for (int64_t a = 0; a < s->kd; a++)
      for (int64_t i = 0; i < s->kh; i++)
        for (int64_t jj = 0; jj < s->kw; jj++, t++)
          kiln_sgemm_packed_on_thread(tid, s->Mo, s->Cin, l1 - l0, j->taps + t * tap,
                                      pad + (a * Hp + i) * Wp + jj + l0, P, 1, grid + l0, Lg,
                                      t > 0);
    /* the outputs whose grid positions lie in [l0, l1) */
    float *out = j->out + n * j->images_out;
    for (int64_t m = 0; m < s->Mo; m++) {
      const float b = j->bias != NULL ? j->bias[m] : 0;
      for (int64_t od = 0; od < s->Dout; od++)
        for (int64_t oh = 0; oh < s->Hout; oh++) {
          const int64_t base = (od * Hp + oh) * Wp;
          const int64_t lo = base > l0 ? 0 : l0 - base;
          const int64_t hi = base + s->Wout < l1 ? s->Wout : l1 - base;
          if (lo >= hi) continue;
          float *restrict o = out + ((m * s->Dout + od) * s->Hout + oh) * s->Wout;
          const float *restrict q = grid + m * Lg + base;
          if (j->bias != NULL)
            for (int64_t ow = lo; ow < hi; ow++) o[ow] = q[ow] + b;
          else
            memcpy(o + lo, q + lo, (size_t)(hi - lo) * sizeof(float));
        }
    }
  }
}

/* Packs the taps after the threads' scratch: A_t = W[:, :, t] ([O, C]) for the forward and
 * W[:, :, kk−1−t]ᵀ ([C, O]) for the input gradient, t the flat tap index (a, i, j). */
static const float *pack_taps(const kconv *g, const float *w, float *work, int flipped) {
  const int64_t kk = g->kd * g->kh * g->kw, tap = tap_floats(g);
  float *dst = work + (int64_t)kiln_max_threads() * per_thread(g);
  if (flipped) kiln_sgemm_pack_a_many(kk, g->C, g->O, w + kk - 1, -1, kk, g->C * kk, dst, tap);
  else kiln_sgemm_pack_a_many(kk, g->O, g->C, w, 1, g->C * kk, kk, dst, tap);
  return dst;
}

static void run_shifted(const kconv *g, shifted s, const float *in, const float *taps,
                        const float *bias, float *out, float *work) {
  shifted_job j = {g,
                   s,
                   in,
                   taps,
                   bias,
                   out,
                   work,
                   per_thread(g),
                   s.Cin * s.Din * s.Hin * s.Win,
                   s.Mo * s.Dout * s.Hout * s.Wout,
                   parts_of(g)};
  run_n(shifted_task, &j,
        g->N * g->O * g->C * g->kd * g->kh * g->kw * g->Do * g->Ho * g->Wo, g->N * j.parts);
}

void kiln_conv_shifted_forward(const kconv *g, const float *x, const float *w, const float *bias,
                               float *out, float *work) {
  run_shifted(g, forward_of(g), x, pack_taps(g, w, work, 0), bias, out, work);
}

int kiln_conv_shifted_input_grad(const kconv *g, const float *gy, const float *w, float *gx,
                                 float *work) {
  /* a tap reaching past the output gradient multiplies its zero padding: exact for finite w */
  if (!all_finite(w, g->O * g->C * g->kd * g->kh * g->kw)) return 0;
  run_shifted(g, input_grad_of(g), gy, pack_taps(g, w, work, 1), NULL, gx, work);
  return 1;
}

/* The weight gradient: per image, D_t [O, C] += gy_grid [O, Lg] · shift_t(pad)ᵀ [Lg, C] for each
 * tap t, summed per thread over its images, then across threads in thread order, and laid out
 * as gW [O, C, kk]. gy is placed on the padded grid with zeros off the outputs, so the unused
 * grid positions add 0·x: exact only for a finite x (kiln_conv2d_weight_grad checks). */
typedef struct {
  const kconv *g;
  const float *x, *gy;
  float *work;
  int64_t per_thread, parts; /* parts: column ranges per image, read once per call */
  int used;
} wgrad_job;

static void wgrad_task(void *ctx, int tid, int nt) {
  wgrad_job *j = (wgrad_job *)ctx;
  const kconv *g = j->g;
  const shifted s = forward_of(g);
  const int64_t Hp = padded_rows(&s), Wp = padded_cols(&s), P = padded_plane(&s);
  const int64_t Lg = grid_cols(&s), kk = g->kd * g->kh * g->kw, L = g->Do * g->Ho * g->Wo;
  const int64_t parts = j->parts, units = g->N * parts;
  float *pad = j->work + tid * j->per_thread, *gyg = pad + g->C * P, *gyp = gyg + g->O * Lg;
  float *acc = gyp + kiln_sgemm_packed_a_floats(g->O, Lg);
  if (tid == 0) j->used = nt;
  int64_t placed = -1; /* the image now in `pad` and `gyg` */
  int started = 0;
  for (int64_t u = kiln_share(units, tid, nt); u < kiln_share(units, tid + 1, nt); u++) {
    int64_t l0, l1;
    const int64_t n = unit_span(u, parts, Lg, &l0, &l1);
    if (l0 >= l1) continue;
    if (placed != n) {
      pad_image(&s, j->x + n * g->C * g->D * g->H * g->W, pad);
      memset(gyg, 0, (size_t)(g->O * Lg) * sizeof(float));
      for (int64_t o = 0; o < g->O; o++)
        for (int64_t od = 0; od < g->Do; od++)
          for (int64_t oh = 0; oh < g->Ho; oh++)
            memcpy(gyg + o * Lg + (od * Hp + oh) * Wp,
                   j->gy + (n * g->O + o) * L + (od * g->Ho + oh) * g->Wo,
                   (size_t)g->Wo * sizeof(float));
      placed = n;
    }
    kiln_sgemm_pack_a(g->O, l1 - l0, gyg + l0, Lg, 1, gyp);
    int64_t t = 0;
    for (int64_t a = 0; a < g->kd; a++)
      for (int64_t i = 0; i < g->kh; i++)
        for (int64_t jj = 0; jj < g->kw; jj++, t++)
          kiln_sgemm_packed_on_thread(tid, g->O, l1 - l0, g->C, gyp,
                                      pad + (a * Hp + i) * Wp + jj + l0, 1, P,
                                      acc + t * g->O * g->C, g->C, started);
    started = 1;
  }
  if (!started) memset(acc, 0, (size_t)(kk * g->O * g->C) * sizeof(float));
}

int kiln_conv_shifted_weight_grad(const kconv *g, const float *gy, const float *x, float *gw,
                                  float *work) {
  if (!all_finite(x, g->N * g->C * g->D * g->H * g->W)) return 0;
  const int64_t kk = g->kd * g->kh * g->kw, OC = g->O * g->C;
  wgrad_job j = {g, x, gy, work, per_thread(g), parts_of(g), 1};
  int nt = threads_for(g->N * g->O * g->C * kk * g->Do * g->Ho * g->Wo);
  if (nt > g->N * j.parts) nt = (int)(g->N * j.parts);
  kiln_pool_acquire();
  kiln_parallel(wgrad_task, &j, nt < 1 ? 1 : nt);
  kiln_pool_release();
  const shifted s = forward_of(g);
  const int64_t acc_at = g->C * padded_plane(&s) + g->O * grid_cols(&s) +
                         kiln_sgemm_packed_a_floats(g->O, grid_cols(&s));
  for (int64_t t = 0; t < kk; t++)
    for (int64_t oc = 0; oc < OC; oc++) {
      float v = work[acc_at + t * OC + oc];
      for (int th = 1; th < j.used; th++) v += work[th * j.per_thread + acc_at + t * OC + oc];
      gw[oc * kk + t] = v;
    }
  return 1;
}

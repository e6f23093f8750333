/* Float32 softmax and log-softmax over the rows of x [M, N] (the last dimension, contiguous),
 * forward and backward. Computes what the composition in src/nn/functional/activation.ts
 * computes (softmax e / Σe with e = exp(x − max); log-softmax (x − max) − log Σe), with exp
 * through vexp.h (within 1 ulp) and the sums in double; the tests compare them within the
 * rounding of those formulas. Rows are split between the pool's threads. The row code is written
 * once over eight-lane vectors and compiled portable and for AVX2 (KILN_WIDE_PATHS), which round
 * every lane alike. No allocation, no OS calls, no Node here. */
#include <math.h>
#include "kiln.h"
#include "parallel.h"
#include "vexp.h"

typedef struct {
  int64_t M, N;
  const float *x, *y, *gy;
  float *out;
  int log_form;
} sm_job;

/* y = softmax(x) or log_softmax(x) of one row. */
VINLINE void forward_row(const float *x, float *y, int64_t N, int log_form) {
  const float m = row_max(x, N);
  const double s = row_sum_exp(x, N, m, log_form ? NULL : y);
  if (log_form) {
    const float ls = (float)log((double)(float)s);
    for (int64_t j = 0; j < N; j++) y[j] = (x[j] - m) - ls;
  } else {
    const float sf = (float)s;
    for (int64_t j = 0; j < N; j++) y[j] = y[j] / sf;
  }
}

/* gx of one row from y and gy: softmax y·(gy − Σ gy·y); log-softmax gy − exp(y)·Σ gy. */
VINLINE void backward_row(const float *y, const float *gy, float *gx, int64_t N, int log_form) {
  double s = 0;
  int64_t j = 0;
  if (log_form) {
    for (; j + 8 <= N; j += 8) s += v8f_hsum(v8f_load(gy + j));
    for (; j < N; j++) s += gy[j];
    const float sf = (float)s;
    const v8f vs = v8f_splat(sf);
    for (j = 0; j + 8 <= N; j += 8)
      v8f_store(gx + j, v8f_load(gy + j) - vexp8(v8f_load(y + j)) * vs);
    for (; j < N; j++) gx[j] = gy[j] - vexp1(y[j]) * sf;
    return;
  }
  for (; j + 8 <= N; j += 8) s += v8f_hsum(v8f_load(gy + j) * v8f_load(y + j));
  for (; j < N; j++) s += gy[j] * y[j];
  const float sf = (float)s;
  for (j = 0; j < N; j++) gx[j] = y[j] * (gy[j] - sf);
}

VINLINE void rows(const sm_job *jb, int backward, int64_t lo, int64_t hi) {
  const int64_t N = jb->N;
  for (int64_t i = lo; i < hi; i++) {
    if (backward) backward_row(jb->y + i * N, jb->gy + i * N, jb->out + i * N, N, jb->log_form);
    else forward_row(jb->x + i * N, jb->out + i * N, N, jb->log_form);
  }
}

KILN_WIDE_PATHS(rows_wide, rows, (const sm_job *jb, int backward, int64_t lo, int64_t hi),
                (jb, backward, lo, hi))

static void run_share(const sm_job *jb, int backward, int tid, int nt) {
  rows_wide(jb, backward, kiln_share(jb->M, tid, nt), kiln_share(jb->M, tid + 1, nt));
}

static void forward_task(void *ctx, int tid, int nt) { run_share(ctx, 0, tid, nt); }
static void backward_task(void *ctx, int tid, int nt) { run_share(ctx, 1, tid, nt); }

void kiln_softmax(int64_t M, int64_t N, const float *x, int log_form, float *y) {
  sm_job jb = {M, N, x, NULL, NULL, y, log_form};
  run_rows(forward_task, &jb, M * N, M);
}

void kiln_softmax_backward(int64_t M, int64_t N, const float *y, const float *gy, int log_form,
                           float *gx) {
  sm_job jb = {M, N, NULL, y, gy, gx, log_form};
  run_rows(backward_task, &jb, M * N, M);
}

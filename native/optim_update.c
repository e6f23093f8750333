/* Float32 optimizer updates, in the same operations and order as src/optim (so the same
 * rounding; no contraction into FMAs: the build is ISO C11): SGD on one tensor and on many (as
 * PyTorch's foreach SGD: one native call updates every parameter of a group, bit for bit as one
 * kiln_sgd call per tensor), and Adam(W). No allocation, no OS calls, no Node here. */
#include <math.h>
#include "kiln.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* The float32 steps of src/optim's sgd() in the same order (so the same rounding). */
void kiln_sgd(int64_t n, float *p, const float *grad, float *buf, float lr, float momentum,
              float dampening1, float wd, int nesterov, int maximize, int first) {
  if (buf != NULL && !first && !nesterov && !maximize && wd == 0) {
    /* The common case, without the per-element branches, so that it vectorises. */
    for (int64_t i = 0; i < n; i++) {
      const float b = buf[i] * momentum + grad[i] * dampening1;
      buf[i] = b;
      p[i] = p[i] + b * -lr;
    }
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    float d = maximize ? -grad[i] : grad[i];
    if (wd != 0) d = d + p[i] * wd;
    if (buf != NULL) {
      float b;
      if (first) b = d;
      else b = buf[i] * momentum + d * dampening1;
      buf[i] = b;
      d = nesterov ? d + b * momentum : b;
    }
    p[i] = p[i] + d * -lr;
  }
}

#if defined(__x86_64__)
/* The common momentum step, 16 lanes at a time: buf = buf·μ + g·(1-τ); p = p + buf·(-γ). The
 * baseline build vectorises kiln_sgd's loop only 4 wide. */
__attribute__((target("avx512f"))) static void sgd_momentum_avx512(int64_t n, float *p,
                                                                    const float *grad, float *buf,
                                                                    float lr, float momentum,
                                                                    float dampening1) {
  const __m512 mo = _mm512_set1_ps(momentum), d1 = _mm512_set1_ps(dampening1),
               nlr = _mm512_set1_ps(-lr);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 b = _mm512_add_ps(_mm512_mul_ps(_mm512_loadu_ps(buf + i), mo),
                                   _mm512_mul_ps(_mm512_loadu_ps(grad + i), d1));
    _mm512_storeu_ps(buf + i, b);
    _mm512_storeu_ps(p + i, _mm512_add_ps(_mm512_loadu_ps(p + i), _mm512_mul_ps(b, nlr)));
  }
  if (i < n) kiln_sgd(n - i, p + i, grad + i, buf + i, lr, momentum, dampening1, 0, 0, 0, 0);
}
#endif

void kiln_sgd_many(int64_t count, float *const *p, const float *const *grad, float *const *buf,
                   const int64_t *n, const uint8_t *first, float lr, float momentum,
                   float dampening1, float wd, int nesterov, int maximize) {
#if defined(__x86_64__)
  const int wide = kiln_cpu_path() == KILN_AVX512 && !nesterov && !maximize && wd == 0;
#endif
  for (int64_t t = 0; t < count; t++) {
#if defined(__x86_64__)
    if (wide && buf[t] != NULL && !first[t]) {
      sgd_momentum_avx512(n[t], p[t], grad[t], buf[t], lr, momentum, dampening1);
      continue;
    }
#endif
    kiln_sgd(n[t], p[t], grad[t], buf[t], lr, momentum, dampening1, wd, nesterov, maximize,
             first[t]);
  }
}

/* The float32 steps of adam()/adamw(): decoupled decay first (AdamW) or L2 into the gradient. */
void kiln_adam(int64_t n, float *p, const float *grad, float *m, float *v, float *vmax, float lr,
               float beta1, float beta2, float omb1, float omb2, float eps, float wd,
               float decay_mul, float bc2sqrt, float neg_step, int decoupled, int maximize) {
  for (int64_t i = 0; i < n; i++) {
    float g = maximize ? -grad[i] : grad[i];
    if (decoupled) p[i] = p[i] * decay_mul;
    else if (wd != 0) g = g + p[i] * wd;
    m[i] = m[i] * beta1 + g * omb1;
    v[i] = v[i] * beta2 + (g * g) * omb2;
    float second = v[i];
    if (vmax != NULL) {
      const float a = vmax[i], b = v[i];
      vmax[i] = a != a || b != b ? NAN : (a > b ? a : b);
      second = vmax[i];
    }
    const float denom = sqrtf(second) / bc2sqrt + eps;
    p[i] = p[i] + (m[i] / denom) * neg_step;
  }
  (void)lr;
}

/* Multi-tensor optimizer steps (as PyTorch's foreach SGD): one native call updates every
 * parameter of a group. Each tensor gets exactly the float32 operations, in the same order, of
 * kiln_sgd in fused.c (no contraction into FMAs: the build is ISO C11), so the results are bit
 * for bit those of one kiln_sgd call per tensor. No allocation, no OS calls, no Node here. */
#include "kiln.h"
#if defined(__x86_64__)
#include <immintrin.h>
#endif

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

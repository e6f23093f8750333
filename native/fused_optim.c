/* Multi-tensor optimizer steps (as PyTorch's foreach SGD): one native call updates every
 * parameter of a group, each through the single-tensor kernel of fused.c, so the float32
 * operation order, and therefore every result, is that of one kiln_sgd call per tensor. No
 * allocation, no OS calls, no Node here. */
#include "kiln.h"

void kiln_sgd_many(int64_t count, float *const *p, const float *const *grad, float *const *buf,
                   const int64_t *n, const uint8_t *first, float lr, float momentum,
                   float dampening1, float wd, int nesterov, int maximize) {
  for (int64_t t = 0; t < count; t++)
    kiln_sgd(n[t], p[t], grad[t], buf[t], lr, momentum, dampening1, wd, nesterov, maximize,
             first[t]);
}

/* The elementwise primitives, each one line: X(name, C expression of its operands a (and b),
 * exactness). The opcodes in kiln.h, the kernels in elementwise.c and the names the addon
 * exports (which the TypeScript backend matches by name, never by position) all expand from
 * these lists, so a new op is one line here and one in src/backend/elementwise-ops.ts.
 * Exactness: 1 = exact in float (computed in float on float32 data), 0 = computed in double,
 * 2 = a predicate (bool result). The helpers k_* live in elementwise.c. */
#ifndef KILN_ELEMENTWISE_OPS_H
#define KILN_ELEMENTWISE_OPS_H

#define UNARY_LIST(X)                                                   \
  X(copy, a, 1)                                                         \
  X(neg, -a, 1)                                                         \
  X(abs, fabs(a), 1)                                                    \
  X(exp, exp(a), 0)                                                     \
  X(expm1, expm1(a), 0)                                                 \
  X(exp2, exp2(a), 0)                                                   \
  X(log, log(a), 0)                                                     \
  X(log1p, log1p(a), 0)                                                 \
  X(log2, log2(a), 0)                                                   \
  X(log10, log10(a), 0)                                                 \
  X(sqrt, sqrt(a), 1)                                                   \
  X(rsqrt, 1 / sqrt(a), 0)                                              \
  X(reciprocal, 1 / a, 1)                                               \
  X(sin, sin(a), 0)                                                     \
  X(cos, cos(a), 0)                                                     \
  X(tan, tan(a), 0)                                                     \
  X(asin, asin(a), 0)                                                   \
  X(acos, acos(a), 0)                                                   \
  X(atan, atan(a), 0)                                                   \
  X(sinh, sinh(a), 0)                                                   \
  X(cosh, cosh(a), 0)                                                   \
  X(tanh, tanh(a), 0)                                                   \
  X(asinh, asinh(a), 0)                                                 \
  X(acosh, acosh(a), 0)                                                 \
  X(atanh, atanh(a), 0)                                                 \
  X(sigmoid, 1 / (1 + exp(-a)), 0)                                      \
  X(relu, ((a > 0 || a != a) ? a : 0), 1)                               \
  X(sign, (a > 0 ? 1 : a < 0 ? -1 : 0), 1)                              \
  X(floor, floor(a), 1)                                                 \
  X(ceil, ceil(a), 1)                                                   \
  X(round, k_rint(a), 1)                                                \
  X(trunc, trunc(a), 1)                                                 \
  X(erf, k_erf(a), 0)                                                   \
  X(erfc, k_erfc(a), 0)                                                 \
  X(erfinv, k_erfinv(a), 0)                                             \
  X(lgamma, k_lgamma(a), 0)                                             \
  X(digamma, k_digamma(a), 0)                                           \
  X(trigamma, k_trigamma(a), 0)                                         \
  X(logicalNot, (a == 0 ? 1 : 0), 2)                                    \
  X(isnan, (a != a ? 1 : 0), 2)

#define BINARY_LIST(X)                                                  \
  X(add, a + b, 1)                                                      \
  X(sub, a - b, 1)                                                      \
  X(mul, a * b, 1)                                                      \
  X(div, a / b, 1)                                                      \
  X(pow, k_pow(a, b), 0)                                                \
  X(maximum, ((a != a || b != b) ? NAN : a > b ? a : b), 1)             \
  X(minimum, ((a != a || b != b) ? NAN : a < b ? a : b), 1)             \
  X(fmod, fmod(a, b), 0)                                                \
  X(remainder, k_pymod(a, b), 0)                                        \
  X(atan2, atan2(a, b), 0)                                              \
  X(hypot, hypot(a, b), 0)                                              \
  X(logaddexp, k_logaddexp(a, b), 0)                                    \
  X(xlogy, (b != b ? NAN : a == 0 ? 0 : a * log(b)), 0)                 \
  X(floorDivide, floor(a / b), 0)                                       \
  X(eq, (a == b ? 1 : 0), 2)                                            \
  X(ne, (a != b ? 1 : 0), 2)                                            \
  X(lt, (a < b ? 1 : 0), 2)                                             \
  X(le, (a <= b ? 1 : 0), 2)                                            \
  X(gt, (a > b ? 1 : 0), 2)                                             \
  X(ge, (a >= b ? 1 : 0), 2)                                            \
  X(logicalAnd, ((a != 0 && b != 0) ? 1 : 0), 2)                        \
  X(logicalOr, ((a != 0 || b != 0) ? 1 : 0), 2)                         \
  X(logicalXor, (((a != 0) != (b != 0)) ? 1 : 0), 2)

/* X(name): the reductions over trailing dimensions. */
#define REDUCE_LIST(X) X(sum) X(prod) X(max) X(min) X(argmax) X(argmin) X(any) X(all)

#endif

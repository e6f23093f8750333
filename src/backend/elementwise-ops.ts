// The elementwise primitives, each defined once: its name and its value as one JavaScript
// expression of the operands `a` (and `b`), read as numbers (bool as 0/1). The reference backend
// compiles these into its loops; native/elementwise_ops.h holds the same ops as C expressions and
// the native backend binds them by name. Depends on nothing.

/**
 * A primitive's definition: its value as a JavaScript expression, and whether it is exact (a
 * correctly rounded result every backend must reproduce bit for bit: + − · /, sqrt, comparisons,
 * rounding) or a transcendental function that libraries round differently within a few ulps.
 */
export interface ElementwiseDef {
  readonly js: string;
  readonly exact: boolean;
}

/** The unary primitives: name → expression of `a` (`H.*` are the reference backend's helpers). */
export const UNARY = {
  copy: { js: "a", exact: true },
  neg: { js: "-a", exact: true },
  abs: { js: "Math.abs(a)", exact: true },
  exp: { js: "Math.exp(a)", exact: false },
  expm1: { js: "Math.expm1(a)", exact: false },
  exp2: { js: "Math.pow(2, a)", exact: false },
  log: { js: "Math.log(a)", exact: false },
  log1p: { js: "Math.log1p(a)", exact: false },
  log2: { js: "Math.log2(a)", exact: false },
  log10: { js: "Math.log10(a)", exact: false },
  sqrt: { js: "Math.sqrt(a)", exact: true },
  rsqrt: { js: "1 / Math.sqrt(a)", exact: false },
  reciprocal: { js: "1 / a", exact: true },
  sin: { js: "Math.sin(a)", exact: false },
  cos: { js: "Math.cos(a)", exact: false },
  tan: { js: "Math.tan(a)", exact: false },
  asin: { js: "Math.asin(a)", exact: false },
  acos: { js: "Math.acos(a)", exact: false },
  atan: { js: "Math.atan(a)", exact: false },
  sinh: { js: "Math.sinh(a)", exact: false },
  cosh: { js: "Math.cosh(a)", exact: false },
  tanh: { js: "Math.tanh(a)", exact: false },
  asinh: { js: "Math.asinh(a)", exact: false },
  acosh: { js: "Math.acosh(a)", exact: false },
  atanh: { js: "Math.atanh(a)", exact: false },
  sigmoid: { js: "1 / (1 + Math.exp(-a))", exact: false },
  relu: { js: "(a > 0 || a !== a ? a : 0)", exact: true },
  sign: { js: "(a > 0 ? 1 : a < 0 ? -1 : 0)", exact: true },
  floor: { js: "Math.floor(a)", exact: true },
  ceil: { js: "Math.ceil(a)", exact: true },
  round: { js: "H.rint(a)", exact: true },
  trunc: { js: "Math.trunc(a)", exact: true },
  erf: { js: "H.erf(a)", exact: false },
  erfc: { js: "H.erfc(a)", exact: false },
  erfinv: { js: "H.erfinv(a)", exact: false },
  lgamma: { js: "H.lgamma(a)", exact: false },
  digamma: { js: "H.digamma(a)", exact: false },
  trigamma: { js: "H.trigamma(a)", exact: false },
  logicalNot: { js: "(a === 0 ? 1 : 0)", exact: true },
  isnan: { js: "(a !== a ? 1 : 0)", exact: true },
} as const satisfies Record<string, ElementwiseDef>;

/** The binary primitives: name → expression of `a` and `b`. */
export const BINARY = {
  add: { js: "a + b", exact: true },
  sub: { js: "a - b", exact: true },
  mul: { js: "a * b", exact: true },
  div: { js: "a / b", exact: true },
  pow: { js: "Math.pow(a, b)", exact: false },
  maximum: { js: "(a !== a || b !== b ? NaN : a > b ? a : b)", exact: true },
  minimum: { js: "(a !== a || b !== b ? NaN : a < b ? a : b)", exact: true },
  fmod: { js: "a % b", exact: true },
  remainder: { js: "H.pymod(a, b)", exact: true },
  atan2: { js: "Math.atan2(a, b)", exact: false },
  hypot: { js: "Math.hypot(a, b)", exact: false },
  logaddexp: { js: "H.logaddexp(a, b)", exact: false },
  xlogy: { js: "(b !== b ? NaN : a === 0 ? 0 : a * Math.log(b))", exact: false },
  floorDivide: { js: "Math.floor(a / b)", exact: true },
  eq: { js: "(a === b ? 1 : 0)", exact: true },
  ne: { js: "(a !== b ? 1 : 0)", exact: true },
  lt: { js: "(a < b ? 1 : 0)", exact: true },
  le: { js: "(a <= b ? 1 : 0)", exact: true },
  gt: { js: "(a > b ? 1 : 0)", exact: true },
  ge: { js: "(a >= b ? 1 : 0)", exact: true },
  logicalAnd: { js: "(a !== 0 && b !== 0 ? 1 : 0)", exact: true },
  logicalOr: { js: "(a !== 0 || b !== 0 ? 1 : 0)", exact: true },
  logicalXor: { js: "((a !== 0) !== (b !== 0) ? 1 : 0)", exact: true },
} as const satisfies Record<string, ElementwiseDef>;

/** Elementwise functions of one operand. */
export type UnaryOp = keyof typeof UNARY;
/** Elementwise functions of two operands (already broadcast to the output's shape). */
export type BinaryOp = keyof typeof BINARY;
/** Every unary op, in declaration order. */
export const UNARY_OPS = Object.keys(UNARY) as readonly UnaryOp[];
/** Every binary op, in declaration order. */
export const BINARY_OPS = Object.keys(BINARY) as readonly BinaryOp[];

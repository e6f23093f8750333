// The Backend seam: the closed set of primitive kernels every backend implements. Kernels see
// typed arrays, shapes, strides and offsets only; the dispatcher in src/tensor allocates outputs.
// Depends only on src/core.

import type { TypedArray } from "../core/dtype.ts";
import type { Shape } from "../core/shape.ts";

/** A strided window onto a typed array: element i of the logical tensor lives at offset + Σ idx·stride. */
export interface View {
  readonly data: TypedArray;
  readonly shape: Shape;
  readonly strides: Shape;
  readonly offset: number;
}

/** Elementwise functions of one operand. */
export const UNARY_OPS = [
  "copy",
  "neg",
  "abs",
  "exp",
  "expm1",
  "log",
  "log1p",
  "sqrt",
  "rsqrt",
  "reciprocal",
  "sin",
  "cos",
  "tanh",
  "sigmoid",
  "relu",
  "sign",
  "floor",
  "ceil",
  "round",
  "trunc",
  "erf",
  "logicalNot",
  "isnan",
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Elementwise functions of two operands (already broadcast to the output's shape). */
export const BINARY_OPS = [
  "add",
  "sub",
  "mul",
  "div",
  "pow",
  "maximum",
  "minimum",
  "fmod",
  "remainder",
  "floorDivide",
  "eq",
  "ne",
  "lt",
  "le",
  "gt",
  "ge",
  "logicalAnd",
  "logicalOr",
  "logicalXor",
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** Reductions over trailing dimensions. */
export const REDUCE_OPS = ["sum", "prod", "max", "min", "argmax", "argmin", "any", "all"] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

/**
 * The primitive kernels, one signature each. A backend is a value of type `Backend`, so a
 * backend that lacks a kernel, or an op inside a kernel's op table, does not compile.
 */
export interface KernelSignatures {
  /** out[i] = f(x[i]); `out` may be strided (in-place writes into views). */
  unary(op: UnaryOp, x: View, out: View): void;
  /** out[i] = f(a[i], b[i]); a and b are broadcast to out.shape through zero strides. */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** out[i] = cond[i] ? a[i] : b[i]. */
  where(cond: View, a: View, b: View, out: View): void;
  /**
   * Reduces the last `x.shape.length - keptDims` dimensions of x into contiguous `out`
   * (one value per position of the leading `keptDims` dimensions). Arg-reductions write the
   * row-major position within the reduced block.
   */
  reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void;
  /** Inclusive prefix sum along the last dimension into contiguous `out`. */
  cumsum(x: View, out: TypedArray): void;
  /** out[b] = a[b] @ bm[b] for a [B, M, K], bm [B, K, N] (any strides), out contiguous [B, M, N]. */
  matmul(a: View, b: View, out: TypedArray): void;
  /** out[i] = x.flat[index[i]] where flat is x's row-major order; indices already bounds-checked. */
  take(x: View, index: Int32Array, out: TypedArray): void;
  /** target.flat[index[i]] = values[i] (or += when accumulate); target strided, values contiguous. */
  put(target: View, index: Int32Array, values: View, accumulate: boolean): void;
}

export type KernelName = keyof KernelSignatures;
export type Backend = { readonly name: string } & {
  readonly [K in KernelName]: KernelSignatures[K];
};

// Dtypes, their typed-array storage, and PyTorch's type promotion rules.
// Pure functions; depends only on errors.ts.

import { DTypeError } from "./errors.ts";

/** The element types Kiln supports. `int32` stands where PyTorch uses int64. */
export type DType = "float32" | "float64" | "int32" | "bool";

/** The typed array that stores each dtype (bool as 0/1 bytes). */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = StorageOf[DType];

export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];

/** A scalar operand: a JS number or boolean, which PyTorch calls a "wrapped number". */
export type Scalar = number | boolean;

export function isFloating(d: DType): boolean {
  return d === "float32" || d === "float64";
}

export function isIntegral(d: DType, includeBool = false): boolean {
  return d === "int32" || (includeBool && d === "bool");
}

export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

/** The dtype whose storage is `arr`; Uint8Array is read as bool. */
export function dtypeOfArray(arr: TypedArray): DType {
  if (arr instanceof Float32Array) return "float32";
  if (arr instanceof Float64Array) return "float64";
  if (arr instanceof Int32Array) return "int32";
  return "bool";
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** torch.promote_types for Kiln's dtypes: the smallest dtype both values fit in. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype a JS scalar would get as a tensor (PyTorch's default for its category). */
export function scalarDType(v: Scalar): DType {
  if (typeof v === "boolean") return "bool";
  return Number.isInteger(v) ? "int32" : "float32";
}

/** One participant in result-type computation. */
export interface PromotionOperand {
  dtype: DType;
  /** "dim": a tensor with ndim > 0; "zerodim": a 0-d tensor; "scalar": a JS number. */
  kind: "dim" | "zerodim" | "scalar";
}

function promoteSkip(a: DType | null, b: DType | null): DType | null {
  if (a === null) return b;
  if (b === null) return a;
  return promoteTypes(a, b);
}

// Mirrors combine_categories in PyTorch's TypePromotion: a higher-priority class keeps its dtype
// unless a lower-priority class is of a higher category (bool < integral < floating).
function combineCategories(higher: DType | null, lower: DType | null): DType | null {
  if (higher !== null && isFloating(higher)) return higher;
  if (higher === "bool" || (lower !== null && isFloating(lower))) return promoteSkip(higher, lower);
  return higher ?? lower;
}

/**
 * torch.result_type: dimensioned tensors take precedence over 0-d tensors, which take
 * precedence over JS scalars, except that an operand of a higher category
 * (bool < int < float) still lifts the result to that category.
 *
 * NOTE: JavaScript cannot tell `2.0` from `2`; an integral JS number counts as an int scalar.
 */
export function resultType(operands: readonly PromotionOperand[]): DType {
  let dim: DType | null = null;
  let zero: DType | null = null;
  let wrapped: DType | null = null;
  for (const o of operands) {
    if (o.kind === "dim") dim = promoteSkip(dim, o.dtype);
    else if (o.kind === "zerodim") zero = promoteSkip(zero, o.dtype);
    else wrapped = promoteSkip(wrapped, o.dtype);
  }
  const r = combineCategories(dim, combineCategories(zero, wrapped));
  if (r === null) throw new DTypeError("resultType: no operands given");
  return r;
}

/** The float dtype an op with float output (div, exp, mean) uses for input dtype `d`. */
export function toFloating(d: DType): DType {
  return isFloating(d) ? d : "float32";
}

/** Whether a value of dtype `from` may be written in place into a tensor of dtype `to`. */
export function canCast(from: DType, to: DType): boolean {
  if (isFloating(from) && !isFloating(to)) return false;
  if (from !== "bool" && to === "bool") return false;
  return true;
}

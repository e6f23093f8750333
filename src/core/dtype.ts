// Dtypes, their typed-array storage, and PyTorch's type promotion rules.
// Pure functions; depends only on errors.ts, half.ts and args.ts.

import { checkArity } from "./args.ts";
import { DTypeError, ValueError } from "./errors.ts";
import { BFloat16Bits, Float16Bits } from "./half.ts";

/**
 * The element types Kiln supports. `int32` stands where PyTorch uses int64. `float16` and
 * `bfloat16` are storage dtypes: tensors of them load, save, print and cast (`Module.half()`),
 * but kernels compute in float32/float64, so other ops throw a DTypeError asking for `.float()`.
 */
export type DType = "float32" | "float64" | "int32" | "bool" | "float16" | "bfloat16";

/** The typed array that stores each dtype (bool as 0/1 bytes, the 16-bit floats as bit patterns). */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
  float16: Float16Bits;
  bfloat16: BFloat16Bits;
}
/** Any typed array that stores a dtype's elements. */
export type TypedArray = StorageOf[DType];

export const DTYPES: readonly DType[] = [
  "bool",
  "int32",
  "float16",
  "bfloat16",
  "float32",
  "float64",
];

/** Whether `d` is a storage-only dtype (float16, bfloat16): no kernel computes on it. */
export function isHalf(d: DType): d is "float16" | "bfloat16" {
  return d === "float16" || d === "bfloat16";
}

/** The error of a kernel asked to compute on a storage-only dtype. */
export function halfComputeError(d: DType): DTypeError {
  return new DTypeError(
    `${d} is a storage dtype in Kiln (load, save, print, cast, copy): its kernels compute in float32 or float64, so convert first, e.g. x.float() or model.float() (PyTorch computes on ${d}; Kiln refuses rather than computing something else)`,
  );
}

/** A scalar operand: a JS number or boolean, which PyTorch calls a "wrapped number". */
export type Scalar = number | boolean;

export function isFloating(d: DType): boolean {
  return d === "float32" || d === "float64" || d === "float16" || d === "bfloat16";
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
    case "float16":
      return new Float16Bits(n);
    case "bfloat16":
      return new BFloat16Bits(n);
  }
}

/** The dtype whose storage is `arr`; Uint8Array is read as bool; other typed arrays throw. */
export function dtypeOfArray(arr: TypedArray): DType {
  if (arr instanceof Float32Array) return "float32";
  if (arr instanceof Float64Array) return "float64";
  if (arr instanceof Int32Array) return "int32";
  if (arr instanceof Float16Bits) return "float16";
  if (arr instanceof BFloat16Bits) return "bfloat16";
  if (arr instanceof Uint8Array) return "bool";
  const name = (arr as object).constructor?.name ?? typeof arr;
  throw new DTypeError(
    `no Kiln dtype is stored in a ${name} (expected Float32Array, Float64Array, Int32Array, Uint8Array for bool, or Float16Bits / BFloat16Bits)`,
  );
}

const RANK: Record<DType, number> = {
  bool: 0,
  int32: 1,
  float16: 2,
  bfloat16: 2,
  float32: 3,
  float64: 4,
};

/** torch.promote_types for Kiln's dtypes: the smallest dtype both values fit in. */
export function promoteTypes(a: DType, b: DType): DType {
  if (arguments.length > 2) checkArity("promoteTypes", arguments, 2);
  // neither 16-bit float holds the other: PyTorch promotes float16 with bfloat16 to float32
  if (RANK[a] === RANK[b] && a !== b) return "float32";
  return RANK[a] >= RANK[b] ? a : b;
}

// ---- dtypes at the type level -------------------------------------------------------------
// Mirrors of the rules above, so that `Tensor<D>` carries its dtype through the API. Each one is
// a superset of what the run-time rule can return: a type that cannot be sure stays wide.

/** The floating dtypes (those that can require grad). */
export type FloatDType = "float32" | "float64" | "float16" | "bfloat16";

/** `promoteTypes` as a table, for dtypes known at compile time (rows and columns are symmetric). */
export interface PromotionTable {
  bool: {
    bool: "bool";
    int32: "int32";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  int32: {
    bool: "int32";
    int32: "int32";
    float16: "float16";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  float16: {
    bool: "float16";
    int32: "float16";
    float16: "float16";
    bfloat16: "float32";
    float32: "float32";
    float64: "float64";
  };
  bfloat16: {
    bool: "bfloat16";
    int32: "bfloat16";
    float16: "float32";
    bfloat16: "bfloat16";
    float32: "float32";
    float64: "float64";
  };
  float32: {
    bool: "float32";
    int32: "float32";
    float16: "float32";
    bfloat16: "float32";
    float32: "float32";
    float64: "float64";
  };
  float64: {
    bool: "float64";
    int32: "float64";
    float16: "float64";
    bfloat16: "float64";
    float32: "float64";
    float64: "float64";
  };
}

/** torch.promote_types at the type level: `PromoteTypes<"int32", "float32">` is `"float32"`. */
export type PromoteTypes<A extends DType, B extends DType> = PromotionTable[A][B];

/** bool < integral < floating, the categories of PyTorch's result_type. */
export type Category<D extends DType> = D extends "bool" ? 0 : D extends "int32" ? 1 : 2;

/** Whether `A`'s category is above `B`'s. */
export type Above<A extends DType, B extends DType> = [Category<A>, Category<B>] extends
  | [1, 0]
  | [2, 0]
  | [2, 1]
  ? true
  : false;

/**
 * The dtype of a JS scalar at the type level, as `scalarDType` decides at run time: `true` is
 * bool, an integer literal int32, any other literal float32, and a plain `number` either.
 */
export type ScalarDType<S extends Scalar> = S extends boolean
  ? "bool"
  : number extends S
    ? "int32" | "float32"
    : `${S}` extends `${bigint}`
      ? "int32"
      : "float32";

/**
 * torch.result_type of a tensor of dtype `D` and a JS scalar of dtype `S` (a wrapped number):
 * the tensor's dtype, unless the scalar is of a higher category.
 */
export type WithScalar<D extends DType, S extends DType> = D extends DType
  ? S extends DType
    ? Above<S, D> extends true
      ? PromoteTypes<D, S>
      : D
    : never
  : never;

/**
 * torch.result_type of two tensors of dtypes `A` and `B`. Their shapes are not in the type, and a
 * dimensioned tensor outranks a 0-d one of its category, so two floating dtypes may give either
 * one: `Tensor<"float32">` with `Tensor<"float64">` is `"float32" | "float64"`.
 */
export type WithTensor<A extends DType, B extends DType> = A extends DType
  ? B extends DType
    ? Category<A> extends Category<B>
      ? A | B | PromoteTypes<A, B>
      : PromoteTypes<A, B>
    : never
  : never;

/** `toFloating` at the type level: floating dtypes stay, the others become float32. */
export type ToFloating<D extends DType> = D extends FloatDType ? D : "float32";

/** The dtype of `sum`, `prod` and `cumsum`: floating dtypes stay, bool and int32 give int32. */
export type SumDType<D extends DType> = D extends FloatDType ? D : "int32";

/** What `item()` returns for a tensor of dtype `D`: boolean for bool, number otherwise. */
export type ItemOf<D extends DType> = D extends "bool" ? boolean : number;

/** The range of int32, Kiln's integer dtype. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * Throws unless the number `v` can be stored in a tensor of `dtype` without changing value class:
 * into int32 it must lie in [INT32_MIN, INT32_MAX] (NaN and ±Infinity never do), as PyTorch's
 * "value cannot be converted to type int32_t without overflow". A fraction inside the range is
 * truncated towards zero, as PyTorch does. Floating and bool targets accept every number.
 * NOTE: `x.to("int32")` of a float tensor holding values out of range is not checked here: it is
 * undefined behaviour in PyTorch too (Kiln's kernels wrap or saturate, per backend).
 */
export function checkFits(op: string, v: number | boolean, dtype: DType): void {
  if (dtype === "int32" && typeof v === "number" && !(v >= INT32_MIN && v <= INT32_MAX)) {
    throw new ValueError(
      `${op}: value ${v} cannot be converted to type int32 without overflow (int32 holds ${INT32_MIN} to ${INT32_MAX})`,
    );
  }
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

// ---- PyTorch's per-dtype names and sizes ----------------------------------------------------

/** Bytes per element of each dtype, as torch.Tensor.element_size() (bool is one byte). */
export const ELEMENT_SIZE: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  int32: 4,
  bool: 1,
  float16: 2,
  bfloat16: 2,
};

/** PyTorch's legacy CPU tensor type name of each dtype, as torch.Tensor.type() returns it. */
export interface TorchTensorTypes {
  float32: "torch.FloatTensor";
  float64: "torch.DoubleTensor";
  int32: "torch.IntTensor";
  bool: "torch.BoolTensor";
  float16: "torch.HalfTensor";
  bfloat16: "torch.BFloat16Tensor";
}

/** The type name of each dtype (`TorchTensorTypes` at run time). */
export const TORCH_TENSOR_TYPES: Readonly<TorchTensorTypes> = {
  float32: "torch.FloatTensor",
  float64: "torch.DoubleTensor",
  int32: "torch.IntTensor",
  bool: "torch.BoolTensor",
  float16: "torch.HalfTensor",
  bfloat16: "torch.BFloat16Tensor",
};

/** The dtype whose type name is `S` (`"torch.FloatTensor"` → float32). */
export type DTypeOfTensorType<S extends TorchTensorTypes[DType]> = {
  [K in DType]: TorchTensorTypes[K] extends S ? K : never;
}[DType];

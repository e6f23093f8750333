// Dtypes, their typed-array storage, and PyTorch's type promotion rules.
// Pure functions; depends only on errors.ts, half.ts, args.ts and dtype-promotion.ts (types).

import { checkArity } from "./args.ts";
import type { PromotionTable } from "./dtype-promotion.ts";
import { DTypeError, ValueError } from "./errors.ts";
import { BFloat16Bits, Float16Bits } from "./half.ts";

/**
 * The element types Kiln supports. `int32` is Kiln's default integer dtype (integer data, indices,
 * labels), where PyTorch's default is int64; `int64` is exact in storage (BigInt64Array) and
 * computes exactly within ±(2^53 − 1). `uint8`, `int8` and `int16` wrap around as PyTorch's do.
 * `float16` and `bfloat16` are storage dtypes: tensors of them load, save, print and cast
 * (`Module.half()`), but kernels compute in float32/float64, so other ops throw a DTypeError.
 */
export type DType =
  | "float32"
  | "float64"
  | "int32"
  | "int64"
  | "int16"
  | "int8"
  | "uint8"
  | "bool"
  | "float16"
  | "bfloat16";

/**
 * The storage of uint8 tensors: a Uint8Array of its own class, so that a tensor's dtype can be
 * read off its storage (a plain Uint8Array holds bool), as Float16Bits does for float16.
 */
export class Uint8Values extends Uint8Array {
  /** A type-level brand (no run-time field): a plain Uint8Array is not a Uint8Values. */
  declare private readonly uint8Brand: true;
}

/** The typed array that stores each dtype (bool as 0/1 bytes, the 16-bit floats as bit patterns). */
export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  int16: Int16Array;
  int8: Int8Array;
  uint8: Uint8Values;
  bool: Uint8Array;
  float16: Float16Bits;
  bfloat16: BFloat16Bits;
}
/**
 * A typed array that stores a dtype's elements as JS numbers: every dtype's storage but int64's.
 * NOTE: the storage of an int64 tensor is a BigInt64Array typed as this (`Storage.data`,
 * `dataSync()`), so that the many readers of float and int32 storage keep their number types;
 * code that reads `storage.data` of a tensor that may be int64 checks the dtype first (kernels
 * never see one: see src/ops/int-boundary.ts).
 */
export type TypedArray = StorageOf[Exclude<DType, "int64">];
/** Any dtype's storage, int64's BigInt64Array included. */
export type StorageArray = StorageOf[DType];

export const DTYPES: readonly DType[] = [
  "bool",
  "uint8",
  "int8",
  "int16",
  "int32",
  "int64",
  "float16",
  "bfloat16",
  "float32",
  "float64",
];

/** The integer dtypes (bool aside). */
export type IntDType = "uint8" | "int8" | "int16" | "int32" | "int64";

/** The integer dtypes whose kernels compute on int32 working copies and wrap on the way back. */
export type SmallIntDType = "uint8" | "int8" | "int16";

/** Whether `d` is uint8, int8 or int16 (stored in their own typed arrays, computed on as int32). */
export function isSmallInt(d: DType): d is SmallIntDType {
  return d === "uint8" || d === "int8" || d === "int16";
}

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
  return (
    d === "int32" ||
    d === "int64" ||
    d === "uint8" ||
    d === "int8" ||
    d === "int16" ||
    (includeBool && d === "bool")
  );
}

export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n) as unknown as TypedArray;
    case "int16":
      return new Int16Array(n);
    case "int8":
      return new Int8Array(n);
    case "uint8":
      return new Uint8Values(n);
    case "bool":
      return new Uint8Array(n);
    case "float16":
      return new Float16Bits(n);
    case "bfloat16":
      return new BFloat16Bits(n);
  }
}

/**
 * The dtype whose storage is `arr`; a plain Uint8Array is read as bool (uint8 is stored in
 * Uint8Values), an Int16Array as int16, a BigInt64Array as int64; other typed arrays throw.
 */
export function dtypeOfArray(arr: StorageArray): DType {
  if (arr instanceof Float32Array) return "float32";
  if (arr instanceof Float64Array) return "float64";
  if (arr instanceof Int32Array) return "int32";
  if (arr instanceof BigInt64Array) return "int64";
  if (arr instanceof Float16Bits) return "float16";
  if (arr instanceof BFloat16Bits) return "bfloat16";
  if (arr instanceof Int16Array) return "int16";
  if (arr instanceof Int8Array) return "int8";
  if (arr instanceof Uint8Values) return "uint8";
  if (arr instanceof Uint8Array) return "bool";
  const name = (arr as object).constructor?.name ?? typeof arr;
  throw new DTypeError(
    `no Kiln dtype is stored in a ${name} (expected Float32Array, Float64Array, Int32Array, BigInt64Array, Int16Array, Int8Array, Uint8Values for uint8, Uint8Array for bool, or Float16Bits / BFloat16Bits)`,
  );
}

// Floating dtypes by rank (the 16-bit floats share one: neither holds the other).
const FLOAT_RANK: Partial<Record<DType, number>> = {
  float16: 0,
  bfloat16: 0,
  float32: 1,
  float64: 2,
};
// Integer dtypes by width; uint8 is the one unsigned dtype.
const INT_BITS: Partial<Record<DType, number>> = {
  uint8: 8,
  int8: 8,
  int16: 16,
  int32: 32,
  int64: 64,
};

/**
 * torch.promote_types: the smallest dtype both values fit in. bool < integers < floating; among
 * integers the wider wins, and uint8 with int8 gives int16; float16 with bfloat16 gives float32.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (arguments.length > 2) checkArity("promoteTypes", arguments, 2);
  if (a === b || b === "bool") return a;
  if (a === "bool") return b;
  const fa = FLOAT_RANK[a];
  const fb = FLOAT_RANK[b];
  if (fa !== undefined && fb !== undefined) {
    if (fa === fb) return "float32";
    return fa > fb ? a : b;
  }
  if (fa !== undefined) return a;
  if (fb !== undefined) return b;
  // two different integer dtypes
  if ((a === "uint8" && b === "int8") || (a === "int8" && b === "uint8")) return "int16";
  return INT_BITS[a]! >= INT_BITS[b]! ? a : b;
}

// ---- dtypes at the type level -------------------------------------------------------------
// Mirrors of the rules above, so that `Tensor<D>` carries its dtype through the API. Each one is
// a superset of what the run-time rule can return: a type that cannot be sure stays wide.

/** The floating dtypes (those that can require grad). */
export type FloatDType = "float32" | "float64" | "float16" | "bfloat16";

/** `promoteTypes` as a table, for dtypes known at compile time (see dtype-promotion.ts). */
export type { PromotionTable } from "./dtype-promotion.ts";

/** torch.promote_types at the type level: `PromoteTypes<"int32", "float32">` is `"float32"`. */
export type PromoteTypes<A extends DType, B extends DType> = PromotionTable[A][B];

/** bool < integral < floating, the categories of PyTorch's result_type. */
export type Category<D extends DType> = D extends "bool" ? 0 : D extends IntDType ? 1 : 2;

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

/**
 * The dtype of `sum`, `prod` and `cumsum`: floating dtypes stay, int64 stays, bool and the other
 * integer dtypes give int32 (Kiln's default integer dtype; PyTorch gives int64).
 */
export type SumDType<D extends DType> = D extends FloatDType
  ? D
  : D extends "int64"
    ? "int64"
    : "int32";

/** `SumDType` at run time. */
export function sumDType(d: DType): DType {
  return isFloating(d) || d === "int64" ? d : "int32";
}

/** What `item()` returns for a tensor of dtype `D`: boolean for bool, number otherwise. */
export type ItemOf<D extends DType> = D extends "bool" ? boolean : number;

/** The range of int32, Kiln's default integer dtype. */
export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

/**
 * The largest magnitude of an int64 value Kiln computes with (2^53 − 1, Number.MAX_SAFE_INTEGER):
 * int64 storage is exact over the whole range, kernels compute on float64 copies, exact here.
 */
export const INT64_EXACT = Number.MAX_SAFE_INTEGER;

/** The range of each integer dtype, as [min, max] (int64's full range as bigints). */
export const INT_RANGE: Readonly<Record<IntDType, readonly [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [INT32_MIN, INT32_MAX],
  int64: [-(2 ** 63), 2 ** 63],
};

/**
 * An int64 element as a JS number, as `item()` and `tolist()` return it: exact within
 * ±(2^53 − 1); beyond, a DTypeError (the exact value stays readable through `dataSync()`,
 * a BigInt64Array).
 */
export function int64ToNumber(op: string, v: bigint): number {
  if (v > BigInt(INT64_EXACT) || v < -BigInt(INT64_EXACT)) {
    throw new DTypeError(
      `${op}: the int64 value ${v} is beyond ±(2^53 − 1), where a JS number would round it; read it exactly from dataSync() (a BigInt64Array)`,
    );
  }
  return Number(v);
}

/** The error of an int64 value outside what Kiln computes with exactly. */
export function int64RangeError(op: string, v: number | bigint): DTypeError {
  return new DTypeError(
    `${op}: the int64 value ${v} is outside ±(2^53 − 1): Kiln stores int64 exactly but computes on it exactly only within ±2^53 (9007199254740991), and refuses rather than rounding`,
  );
}

/**
 * Throws unless the number `v` can be stored in a tensor of `dtype` without changing value class:
 * into an integer dtype it must lie in that dtype's range (NaN and ±Infinity never do), as
 * PyTorch's "value cannot be converted to type int32_t without overflow"; into int64, within
 * ±(2^53 − 1), where JS numbers are exact integers. A fraction inside the range is truncated
 * towards zero, as PyTorch does. Floating and bool targets accept every number.
 * NOTE: `x.to("int32")` of a float tensor holding values out of range is not checked here: it is
 * undefined behaviour in PyTorch too (Kiln's kernels wrap or saturate, per backend); `x.long()`
 * of such values throws (see src/ops/int-boundary.ts).
 */
export function checkFits(op: string, v: number | boolean, dtype: DType): void {
  if (typeof v !== "number" || isFloating(dtype) || dtype === "bool") return;
  if (dtype === "int64") {
    if (!(Math.abs(v) <= INT64_EXACT)) {
      if (Number.isNaN(v) || !Number.isFinite(v) || Math.abs(v) >= 2 ** 63) {
        throw new ValueError(
          `${op}: value ${v} cannot be converted to type int64 without overflow`,
        );
      }
      throw new ValueError(
        `${op}: the number ${v} is beyond ±(2^53 − 1), where JS numbers are no longer exact integers; Kiln computes int64 exactly only within that range (pass a bigint to tensor() to store larger int64 values)`,
      );
    }
    return;
  }
  const [lo, hi] = INT_RANGE[dtype as IntDType];
  if (!(v >= lo && v <= hi)) {
    throw new ValueError(
      `${op}: value ${v} cannot be converted to type ${dtype} without overflow (${dtype} holds ${lo} to ${hi})`,
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
  int64: 8,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  float16: 2,
  bfloat16: 2,
};

/** PyTorch's legacy CPU tensor type name of each dtype, as torch.Tensor.type() returns it. */
export interface TorchTensorTypes {
  float32: "torch.FloatTensor";
  float64: "torch.DoubleTensor";
  int32: "torch.IntTensor";
  int64: "torch.LongTensor";
  int16: "torch.ShortTensor";
  int8: "torch.CharTensor";
  uint8: "torch.ByteTensor";
  bool: "torch.BoolTensor";
  float16: "torch.HalfTensor";
  bfloat16: "torch.BFloat16Tensor";
}

/** The type name of each dtype (`TorchTensorTypes` at run time). */
export const TORCH_TENSOR_TYPES: Readonly<TorchTensorTypes> = {
  float32: "torch.FloatTensor",
  float64: "torch.DoubleTensor",
  int32: "torch.IntTensor",
  int64: "torch.LongTensor",
  int16: "torch.ShortTensor",
  int8: "torch.CharTensor",
  uint8: "torch.ByteTensor",
  bool: "torch.BoolTensor",
  float16: "torch.HalfTensor",
  bfloat16: "torch.BFloat16Tensor",
};

/** The dtype whose type name is `S` (`"torch.FloatTensor"` → float32). */
export type DTypeOfTensorType<S extends TorchTensorTypes[DType]> = {
  [K in DType]: TorchTensorTypes[K] extends S ? K : never;
}[DType];

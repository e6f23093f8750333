// Tensor creation: from JS data, constant fills, ranges, identity, and seeded random tensors.

import {
  bool as boolArg,
  checkArity,
  custom,
  instanceOf,
  int,
  isPlainObject,
  nullable,
  opt,
  type Parsed,
  parseArgs,
  parseOptions,
  type Signature,
  showValue,
  signature,
  unchecked,
} from "../core/args.ts";
import { type DeviceLike, isDeviceLike, toDevice } from "../core/device.ts";
import {
  allocate,
  checkFits,
  DTYPES,
  type DType,
  dtypeOfArray,
  INT_RANGE,
  INT32_MAX,
  INT32_MIN,
  type IntDType,
  isFloating,
  isHalf,
  isIntegral,
  type Scalar,
  type ScalarDType,
  type StorageOf,
  type TypedArray,
  Uint8Values,
} from "../core/dtype.ts";
import { DTypeError, ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { numel, type Shape } from "../core/shape.ts";
import { type NestedArray, Tensor } from "../tensor/tensor-class.ts";
import { full as fullOf } from "./dispatch.ts";

/** The keyword arguments of PyTorch's factories; `D` is the dtype they may name. */
export interface CreateOptions<D extends DType = DType> {
  /** The dtype of the result (default: inferred from the data, or the factory's own). */
  dtype?: D;
  /** Whether autograd records ops on the result (floating dtypes only). */
  requiresGrad?: boolean;
  /** The device of the result: "cpu" (the default, and the one device today) or a Device. */
  device?: DeviceLike | null;
}

/** The keyword arguments of the random factories: CreateOptions and a `generator`. */
export interface RandomOptions<D extends DType = DType> extends CreateOptions<D> {
  /** The generator to draw from (default: the global one, seeded by `manualSeed`). */
  generator?: Generator;
}

/** The dtype a typed array is read as (`Uint8Array` is bool; the two 16-bit formats look alike). */
export type DTypeOfArray<A extends TypedArray | BigInt64Array> = A extends Uint8Values
  ? "uint8"
  : {
      [K in DType]: A extends StorageOf[K] ? K : never;
    }[DType];

/** Nested integers with at least one bigint somewhere: `tensor` stores them as int64. */
export type BigIntArray = bigint | readonly (number | bigint | BigIntArray)[];

/** Data `tensor` stores as bool: booleans, nested in arrays that are all non-empty. */
export type BoolData = boolean | readonly [BoolData, ...BoolData[]];
/** Nested booleans, possibly empty (`tensor([])` is float32, as torch.tensor([])). */
export type BoolArray = boolean | readonly BoolArray[];
/** Nested numbers: `tensor` stores them as int32 when all are integers, else float32. */
export type NumberArray = number | readonly NumberArray[];

/** The options of a factory call whose dtype is inferred: no `dtype` key. */
export type NoDType = CreateOptions<never>;

/** Whether every number in `N` has the scalar dtype `K` (false when that is not known). */
export type AllOf<N extends number, K extends "int32" | "float32"> = [ScalarDType<N>] extends [K]
  ? true
  : false;

/**
 * The dtype `arange` infers from its bounds: float32 when a bound is a non-integer literal, int32
 * when every bound is an integer literal, and either when a bound is a plain `number`.
 */
export type ArangeDType<S extends number, E extends number, St extends number> = true extends
  | AllOf<S, "float32">
  | AllOf<E, "float32">
  | AllOf<St, "float32">
  ? "float32"
  : [AllOf<S, "int32">, AllOf<E, "int32">, AllOf<St, "int32">] extends [true, true, true]
    ? "int32"
    : "int32" | "float32";

// The keyword arguments of PyTorch's factories that Kiln has (torch.zeros(*size, *, dtype, ...)).
// float16/bfloat16 are storage dtypes: factories make them by casting (zeros(2).half()).
const dtypeArg = custom(
  `one of ${DTYPES.filter((d) => !isHalf(d))
    .map((d) => `"${d}"`)
    .join(", ")} (make float16 or bfloat16 tensors by casting: zeros(2).half())`,
  (v): v is DType => DTYPES.includes(v as DType) && !isHalf(v as DType),
);
const CREATE_KW = {
  dtype: opt(dtypeArg),
  requiresGrad: opt(boolArg),
  device: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
};
const RANDOM_KW = { ...CREATE_KW, generator: opt(instanceOf(Generator, "a Generator")) };
const scalarArg = custom(
  "a number or a boolean",
  (v): v is number | boolean => typeof v === "number" || typeof v === "boolean",
);
const finite = custom("a finite number", (v): v is number => Number.isFinite(v));
const tensorArg = instanceOf(Tensor, "a Tensor");
const shapeArg = custom(
  "a tuple of ints",
  (v): v is readonly number[] => Array.isArray(v) && v.every((d) => Number.isInteger(d)),
);

const TENSOR = signature("tensor", { data: unchecked }, CREATE_KW);
const FULL = signature("full", { size: shapeArg, fillValue: scalarArg }, CREATE_KW);
const LIKE = (op: string) => signature(op, { input: tensorArg }, CREATE_KW);
const ZEROS_LIKE = LIKE("zerosLike");
const ONES_LIKE = LIKE("onesLike");
const FULL_LIKE = signature("fullLike", { input: tensorArg, fillValue: scalarArg }, CREATE_KW);
const RAND_LIKE = signature("randLike", { input: tensorArg }, RANDOM_KW);
const RANDN_LIKE = signature("randnLike", { input: tensorArg }, RANDOM_KW);
const ARANGE = signature(
  "arange",
  { start: finite, end: opt(finite), step: opt(finite) },
  CREATE_KW,
);
const LINSPACE = signature("linspace", { start: finite, end: finite, steps: int }, CREATE_KW);
const EYE = signature("eye", { n: int, m: opt(int) }, CREATE_KW);
const RANDINT = signature("randint", { low: int, high: int, size: shapeArg }, RANDOM_KW);
const RANDINT_HIGH = signature("randint", { high: int, size: shapeArg }, RANDOM_KW);
const RANDPERM = signature("randperm", { n: int }, RANDOM_KW);
const CREATE_SIGS = {
  zeros: signature("zeros", {}, CREATE_KW),
  ones: signature("ones", {}, CREATE_KW),
  rand: signature("rand", {}, RANDOM_KW),
  randn: signature("randn", {}, RANDOM_KW),
};

/** parseArgs, then the device check: a device other than "cpu" throws a DeviceError naming it. */
function parseCreate<S extends typeof CREATE_KW>(
  sig: Signature<S>,
  args: ArrayLike<unknown>,
): Parsed<S> {
  const o = parseArgs(sig, args);
  if (o.device !== undefined && o.device !== null) toDevice(sig.op, o.device);
  return o;
}

function finish(t: Tensor, options: CreateOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Throws PyTorch's error for a negative size, before anything is allocated. */
export function checkSize(op: string, shape: readonly number[]): void {
  for (const s of shape) {
    if (s < 0) {
      throw new ValueError(
        `${op}: Trying to create tensor with negative dimension ${s}: [${shape.join(", ")}]`,
      );
    }
  }
}

/** Accepts `f(2, 3)`, `f([2, 3])` and either followed by an options object. */
function parseSizes<O extends object>(
  op: keyof typeof CREATE_SIGS,
  args: readonly unknown[],
): [number[], O] {
  let rest = args;
  let last = args[args.length - 1];
  while (rest.length > 0 && last === undefined) {
    rest = rest.slice(0, -1);
    last = rest[rest.length - 1];
  }
  let raw: unknown;
  if (isPlainObject(last)) {
    raw = last;
    rest = rest.slice(0, -1);
  }
  const opts = parseOptions(CREATE_SIGS[op], raw);
  if (opts.device !== undefined && opts.device !== null) toDevice(op, opts.device);
  let shape: number[];
  if (rest.length === 1 && Array.isArray(rest[0])) shape = [...(rest[0] as number[])];
  else {
    if (rest.some(Array.isArray)) {
      throw new ValueError(
        `${op}: the size is ints or one array of ints, got ${showValue(rest.find(Array.isArray))} after other arguments`,
      );
    }
    shape = rest as number[];
  }
  for (const s of shape) {
    if (!Number.isInteger(s)) {
      throw new ValueError(`${op}: argument "size" must be a tuple of ints, got ${showValue(s)}`);
    }
  }
  checkSize(op, shape);
  return [shape, opts as O];
}

/** A factory's size: `f(2, 3)`, `f([2, 3])`, either followed by the options object `O`. */
export type SizeArgs<O> = number[] | [Shape] | [Shape, O] | [...number[], O];

/** The message for an integer literal that int32 (Kiln's inferred integer dtype) cannot hold. */
function inferredOverflow(v: number): ValueError {
  return new ValueError(
    `tensor: value ${v} cannot be converted to type int32 without overflow (int32, the dtype ` +
      `Kiln infers for integer data, holds ${INT32_MIN} to ${INT32_MAX}); pass ` +
      `{ dtype: "int64" } for larger integers (exact within ±(2^53 − 1) as numbers, any int64 ` +
      `as bigints), or { dtype: "float32" } or { dtype: "float64" } for floating-point values`,
  );
}

/** The typed array factories fill with JS numbers: float64 stands in for int64 (exact to 2^53). */
function numberStore(dtype: DType): DType {
  return dtype === "int64" ? "float64" : dtype;
}

/** Numbers filled into `numberStore(dtype)` as a tensor of `dtype` (int64 converted exactly). */
function fromNumbers(arr: TypedArray, shape: Shape, dtype: DType): Tensor {
  if (dtype !== "int64") return Tensor.fromData(arr, shape, dtype);
  const big = BigInt64Array.from(arr as Float64Array, (v) => BigInt(Math.trunc(v)));
  return Tensor.fromData(big as unknown as TypedArray, shape, "int64");
}

const INT64_MIN_BIG = -(2n ** 63n);
const INT64_MAX_BIG = 2n ** 63n - 1n;

/** One element stored into `arr` of `dtype`, after the range checks of `tensor`. */
function storeElement(
  arr: TypedArray,
  i: number,
  v: number | boolean | bigint,
  dtype: DType,
): void {
  if (dtype === "int64") {
    const big = arr as unknown as BigInt64Array;
    if (typeof v === "bigint") {
      if (v < INT64_MIN_BIG || v > INT64_MAX_BIG) {
        throw new ValueError(
          `tensor: value ${v} cannot be converted to type int64 without overflow`,
        );
      }
      big[i] = v;
    } else {
      if (typeof v === "number") checkFits("tensor", v, "int64");
      big[i] = BigInt(Math.trunc(Number(v)));
    }
    return;
  }
  const n = Number(v);
  if (typeof v !== "boolean") checkFits("tensor", n, dtype);
  arr[i] = dtype === "bool" ? (n !== 0 ? 1 : 0) : n;
}

/**
 * A tensor from nested arrays, a typed array (copied), a number or a boolean, as torch.tensor.
 * Integers default to int32 (float32 with `requiresGrad`), other numbers to float32, booleans to bool.
 * Values never wrap: an integer outside int32's range, or NaN / ±Infinity into int32, throws
 * (the message says to pass `{ dtype: "int64" }`). int64 holds numbers within ±(2^53 − 1) and
 * bigints over its whole range exactly (`tensor([2n ** 62n])` infers int64); uint8, int8 and int16
 * refuse values outside their range, as torch.tensor does.
 * The type follows: `{ dtype: X }` gives `Tensor<X>`, numbers `Tensor<"float32" | "int32">`,
 * non-empty booleans `Tensor<"bool">`, a Float64Array `Tensor<"float64">`.
 */
export function tensor<T extends DType>(
  data: NestedArray | TypedArray | readonly NestedArray[] | BigIntArray | BigInt64Array,
  options: CreateOptions<T> & { dtype: T },
): Tensor<NoInfer<T>>;
export function tensor(
  data: NestedArray | readonly NestedArray[],
  options: NoDType & { requiresGrad: true },
): Tensor<"float32">;
export function tensor(
  data: BoolData,
  options?: NoDType & { requiresGrad?: false },
): Tensor<"bool">;
export function tensor(
  data: BoolArray,
  options?: NoDType & { requiresGrad?: false },
): Tensor<"bool" | "float32">;
export function tensor(data: NumberArray, options?: NoDType): Tensor<"float32" | "int32">;
export function tensor<A extends TypedArray>(data: A, options?: NoDType): Tensor<DTypeOfArray<A>>;
export function tensor(data: BigIntArray | BigInt64Array, options?: NoDType): Tensor<"int64">;
export function tensor(
  data: NestedArray | TypedArray | readonly NestedArray[],
  options?: CreateOptions,
): Tensor;
export function tensor(data: unknown): Tensor {
  const o = arguments.length > 1 ? parseCreate(TENSOR, arguments) : undefined;
  if (ArrayBuffer.isView(data)) {
    let arr = data as TypedArray;
    // a plain Uint8Array is read as bool; with { dtype: "uint8" } its bytes are the values
    if (o?.dtype === "uint8" && arr.constructor === Uint8Array) {
      arr = new Uint8Values(arr.buffer as ArrayBuffer, arr.byteOffset, arr.length);
    }
    const from = dtypeOfArray(arr);
    if (o?.dtype !== undefined && isIntegral(o.dtype) && isFloating(from)) {
      for (let i = 0; i < arr.length; i++) checkFits("tensor", arr[i]!, o.dtype);
    }
    const t = Tensor.fromData(arr.slice(), [arr.length], from);
    return finish(o?.dtype && o.dtype !== from ? t.to(o.dtype) : t, o);
  }
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: (number | boolean | bigint)[] = [];
  const walk = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(x))
        throw new ValueError(`tensor: expected a number at depth ${d}, got an array`);
      if (typeof x !== "number" && typeof x !== "boolean" && typeof x !== "bigint") {
        throw new ValueError(`tensor: expected numbers or booleans, got ${showValue(x)}`);
      }
      flat.push(x);
      return;
    }
    if (!Array.isArray(x) || x.length !== shape[d]) {
      throw new ValueError(
        `tensor: expected sequence of length ${shape[d]} at dim ${d} (got ${Array.isArray(x) ? x.length : typeof x})`,
      );
    }
    for (const v of x) walk(v, d + 1);
  };
  walk(data, 0);
  let dtype = o?.dtype;
  if (dtype === undefined) {
    // NOTE: an empty list gives float32, as torch.tensor([]) does. JavaScript cannot tell 1.0
    // from 1, so integral data would be int32; with requiresGrad it can only mean float32.
    if (flat.length === 0 || o?.requiresGrad) dtype = "float32";
    else if (flat.some((v) => typeof v === "bigint")) dtype = "int64";
    else if (flat.every((v) => typeof v === "boolean")) dtype = "bool";
    else if (flat.every((v) => typeof v === "boolean" || Number.isInteger(v))) {
      dtype = "int32";
      // NOTE: never wrap; an integer literal int32 cannot hold throws (int64 would hold it).
      for (const v of flat)
        if (typeof v === "number" && (v < INT32_MIN || v > INT32_MAX)) {
          throw inferredOverflow(v);
        }
    } else dtype = "float32";
  }
  const arr = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) storeElement(arr, i, flat[i]!, dtype);
  return finish(Tensor.fromData(arr, shape, dtype), o);
}

/**
 * Wraps a typed array without copying (Float32Array → float32, Float64Array → float64,
 * Int32Array → int32, Uint8Array → bool). Writes through either side are seen by both.
 */
export function fromTypedArray<A extends TypedArray>(
  data: A,
  shape?: Shape,
): Tensor<DTypeOfArray<A>>;
export function fromTypedArray(data: TypedArray, shape?: Shape): Tensor {
  if (arguments.length > 2) checkArity("fromTypedArray", arguments, 2);
  if (!ArrayBuffer.isView(data) || data instanceof DataView) {
    throw new ValueError(
      `fromTypedArray: argument "data" must be a typed array, got ${showValue(data)}`,
    );
  }
  if (shape !== undefined && !shapeArg.test(shape)) {
    throw new ValueError(
      `fromTypedArray: argument "shape" must be a tuple of ints, got ${showValue(shape)}`,
    );
  }
  const s = shape ?? [data.length];
  checkSize("fromTypedArray", s);
  if (numel(s) !== data.length) {
    throw new ValueError(
      `fromTypedArray: shape [${s.join(", ")}] needs ${numel(s)} elements, the array has ${data.length}`,
    );
  }
  return Tensor.fromData(data, s, dtypeOfArray(data));
}

/** A tensor of zeros, float32 unless a dtype is given: `zeros(2, 3)`, `zeros([2, 3], { dtype })`. */
export function zeros<T extends DType = "float32">(
  ...args: SizeArgs<CreateOptions<T>>
): Tensor<NoInfer<T>>;
export function zeros(...args: SizeArgs<CreateOptions>): Tensor {
  const [shape, o] = parseSizes<CreateOptions>("zeros", args);
  return finish(fullOf(shape, 0, o.dtype ?? "float32"), o);
}

/** A tensor of ones, float32 unless a dtype is given: `ones(2, 3)`, `ones([2, 3], { dtype })`. */
export function ones<T extends DType = "float32">(
  ...args: SizeArgs<CreateOptions<T>>
): Tensor<NoInfer<T>>;
export function ones(...args: SizeArgs<CreateOptions>): Tensor {
  const [shape, o] = parseSizes<CreateOptions>("ones", args);
  return finish(fullOf(shape, 1, o.dtype ?? "float32"), o);
}

/** A tensor filled with `value`; the dtype follows the value (bool, int32 or float32) unless given. */
export function full<S extends Scalar, T extends DType = ScalarDType<S>>(
  shape: Shape,
  value: S,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function full(_shape: unknown, value: number | boolean, _options?: unknown): Tensor {
  const o = parseCreate(FULL, arguments);
  const dtype =
    o.dtype ??
    (typeof value === "boolean" ? "bool" : Number.isInteger(value) ? "int32" : "float32");
  checkSize("full", o.size);
  checkFits("full", value, dtype);
  return finish(fullOf(o.size, value, dtype), o);
}

/** Zeros shaped like `x`, in x's dtype unless one is given, as torch.zeros_like. */
export function zerosLike<S extends DType, T extends DType = S>(
  x: Tensor<S>,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function zerosLike(x: Tensor, _options?: unknown): Tensor {
  const o = parseCreate(ZEROS_LIKE, arguments);
  return finish(fullOf(x.shape, 0, o.dtype ?? x.dtype), o);
}

/** Ones shaped like `x`, in x's dtype unless one is given, as torch.ones_like. */
export function onesLike<S extends DType, T extends DType = S>(
  x: Tensor<S>,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function onesLike(x: Tensor, _options?: unknown): Tensor {
  const o = parseCreate(ONES_LIKE, arguments);
  return finish(fullOf(x.shape, 1, o.dtype ?? x.dtype), o);
}

/** `value` everywhere, shaped like `x`, in x's dtype unless one is given, as torch.full_like. */
export function fullLike<S extends DType, T extends DType = S>(
  x: Tensor<S>,
  value: number | boolean,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function fullLike(x: Tensor, value: number | boolean, _options?: unknown): Tensor {
  const o = parseCreate(FULL_LIKE, arguments);
  const dtype = o.dtype ?? x.dtype;
  checkFits("fullLike", value, dtype);
  return finish(fullOf(x.shape, value, dtype), o);
}

/**
 * Values from `start` to `end` (exclusive) by `step`: `arange(5)`, `arange(0, 10, 2)`.
 * int32 when every bound is an integer, float32 otherwise, as torch.arange (see ArangeDType).
 */
export function arange<E extends number, T extends DType = ArangeDType<E, 0, 1>>(
  end: E,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function arange<S extends number, E extends number, T extends DType = ArangeDType<S, E, 1>>(
  start: S,
  end: E | undefined,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function arange<
  S extends number,
  E extends number,
  St extends number,
  T extends DType = ArangeDType<S, E, St>,
>(start: S, end: E, step: St, options?: CreateOptions<T>): Tensor<NoInfer<T>>;
export function arange(start: number, _end?: unknown, _step?: unknown, _options?: unknown): Tensor {
  const o = parseCreate(ARANGE, arguments);
  const st = o.step ?? 1;
  const [s, e] = o.end === undefined ? [0, start] : [start, o.end];
  if (st === 0) throw new ValueError("arange: step must be nonzero");
  if ((e - s) / st < 0) {
    throw new ValueError(
      `arange: upper bound and larger bound inconsistent with step sign (start ${s}, end ${e}, step ${st})`,
    );
  }
  const dtype = o.dtype ?? ([s, e, st].every(Number.isInteger) ? "int32" : "float32");
  const n = Math.ceil((e - s) / st);
  if (n > 0) {
    // Integer ranges never wrap: both ends must fit (PyTorch wraps past int32's end).
    checkFits("arange", s, dtype);
    checkFits("arange", s + (n - 1) * st, dtype);
  }
  const arr = allocate(numberStore(dtype), n);
  for (let i = 0; i < n; i++) arr[i] = s + i * st;
  return finish(fromNumbers(arr, [n], dtype), o);
}

/** `steps` evenly spaced values from start to end inclusive, as torch.linspace (float32). */
export function linspace<T extends DType = "float32">(
  start: number,
  end: number,
  steps: number,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function linspace(start: number, end: number, steps: number, _options?: unknown): Tensor {
  const o = parseCreate(LINSPACE, arguments);
  if (steps < 0)
    throw new ValueError(`linspace: number of steps must be non-negative (got ${steps})`);
  const dtype = o.dtype ?? "float32";
  if (steps > 0) {
    checkFits("linspace", start, dtype);
    checkFits("linspace", end, dtype);
  }
  const arr = allocate(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the first half forward from start and the second half backward from end.
  const half = Math.floor(steps / 2);
  // A single step is start, as PyTorch's.
  for (let i = 0; i < steps; i++)
    arr[i] = i < half || steps === 1 ? start + i * step : end - (steps - 1 - i) * step;
  return finish(Tensor.fromData(arr, [steps], dtype), o);
}

/** The identity matrix [n, m] (m defaults to n), float32 unless a dtype is given. */
export function eye<T extends DType = "float32">(
  n: number,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function eye<T extends DType = "float32">(
  n: number,
  m: number,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function eye(n: number, _m?: unknown, _options?: unknown): Tensor {
  const o = parseCreate(EYE, arguments);
  const cols = o.m ?? n;
  if (n < 0) throw new ValueError(`eye: n must be greater or equal to 0, got ${n}`);
  if (cols < 0) throw new ValueError(`eye: m must be greater or equal to 0, got ${cols}`);
  const dtype = o.dtype ?? "float32";
  const t = fullOf([n, cols], 0, numberStore(dtype));
  for (let i = 0; i < Math.min(n, cols); i++) t.storage.data[i * cols + i] = 1;
  return finish(fromNumbers(t.storage.data, [n, cols], dtype), o);
}

function randomFill(
  shape: Shape,
  o: RandomOptions | undefined,
  draw: (g: Generator) => number,
): Tensor {
  const dtype = o?.dtype ?? "float32";
  if (!isFloating(dtype)) throw new DTypeError(`random: expected a floating dtype (got ${dtype})`);
  const g = o?.generator ?? defaultGenerator;
  const arr = allocate(dtype, numel(shape));
  for (let i = 0; i < arr.length; i++) arr[i] = draw(g);
  return finish(Tensor.fromData(arr, shape, dtype), o);
}

/** Uniform samples in [0, 1), float32 unless a (floating) dtype is given. */
export function rand<T extends DType = "float32">(
  ...args: SizeArgs<RandomOptions<T>>
): Tensor<NoInfer<T>>;
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, o] = parseSizes<RandomOptions>("rand", args);
  return randomFill(shape, o, (g) => g.random());
}

/** Standard normal samples, float32 unless a (floating) dtype is given. */
export function randn<T extends DType = "float32">(
  ...args: SizeArgs<RandomOptions<T>>
): Tensor<NoInfer<T>>;
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, o] = parseSizes<RandomOptions>("randn", args);
  return randomFill(shape, o, (g) => g.normal());
}

/** Uniform samples in [0, 1) shaped like `x`, in x's dtype unless one is given. */
export function randLike<S extends DType, T extends DType = S>(
  x: Tensor<S>,
  options?: RandomOptions<T>,
): Tensor<NoInfer<T>>;
export function randLike(x: Tensor, _options?: unknown): Tensor {
  const o = parseCreate(RAND_LIKE, arguments);
  return randomFill(x.shape, { ...o, dtype: o.dtype ?? x.dtype }, (g) => g.random());
}

/** Standard normal samples shaped like `x`, in x's dtype unless one is given. */
export function randnLike<S extends DType, T extends DType = S>(
  x: Tensor<S>,
  options?: RandomOptions<T>,
): Tensor<NoInfer<T>>;
export function randnLike(x: Tensor, _options?: unknown): Tensor {
  const o = parseCreate(RANDN_LIKE, arguments);
  return randomFill(x.shape, { ...o, dtype: o.dtype ?? x.dtype }, (g) => g.normal());
}

/**
 * Uniform integers in [low, high), int32 unless a dtype is given: `randint(0, 10, [5])`, or
 * `randint(10, [5])` with low 0, as torch.randint.
 */
export function randint<T extends DType = "int32">(
  low: number,
  high: number,
  shape: Shape,
  options?: RandomOptions<T>,
): Tensor<NoInfer<T>>;
export function randint<T extends DType = "int32">(
  high: number,
  shape: Shape,
  options?: RandomOptions<T>,
): Tensor<NoInfer<T>>;
export function randint(
  _lowOrHigh: unknown,
  highOrShape: unknown,
  _shapeOrOptions?: unknown,
  _options?: unknown,
): Tensor {
  const o = Array.isArray(highOrShape)
    ? { low: 0, ...parseCreate(RANDINT_HIGH, arguments) }
    : parseCreate(RANDINT, arguments);
  const { low, high } = o;
  if (!(high > low))
    throw new ValueError(
      `randint: random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`,
    );
  const dtype = o.dtype ?? "int32";
  if (isIntegral(dtype) && dtype !== "int64") {
    const [lo, hi] = INT_RANGE[dtype as IntDType];
    if (low < lo || low > hi) {
      throw new ValueError(`randint: from (${low}) is out of bounds for ${dtype} [${lo}, ${hi}]`);
    }
    if (high - 1 > hi) {
      throw new ValueError(
        `randint: to - 1 (${high - 1}) is out of bounds for ${dtype} [${lo}, ${hi}]`,
      );
    }
  } else if (dtype === "int64") {
    checkFits("randint", low, dtype);
    checkFits("randint", high, dtype);
  }
  checkSize("randint", o.size);
  const g = o.generator ?? defaultGenerator;
  const arr = allocate(numberStore(dtype), numel(o.size));
  for (let i = 0; i < arr.length; i++) arr[i] = g.randint(low, high);
  return finish(fromNumbers(arr, [...o.size], dtype), o);
}

/** A random permutation of 0..n-1 (Fisher-Yates), int32 unless a dtype is given. */
export function randperm<T extends DType = "int32">(
  n: number,
  options?: RandomOptions<T>,
): Tensor<NoInfer<T>>;
export function randperm(n: number, _options?: unknown): Tensor {
  const o = parseCreate(RANDPERM, arguments);
  checkSize("randperm", [n]);
  const g = o.generator ?? defaultGenerator;
  const arr = new Int32Array(n);
  for (let i = 0; i < n; i++) arr[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    const tmp = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = tmp;
  }
  const t = finish(Tensor.fromData(arr, [n], "int32"), undefined);
  return finish(o.dtype && o.dtype !== "int32" ? t.to(o.dtype) : t, o);
}

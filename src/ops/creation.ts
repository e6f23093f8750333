// Tensor creation: from JS data, constant fills, ranges, identity, and seeded random tensors.

import { allocate, type DType, dtypeOfArray, isFloating, type TypedArray } from "../core/dtype.ts";
import { DTypeError, ValueError } from "../core/errors.ts";
import { defaultGenerator, type Generator } from "../core/rng.ts";
import { numel, type Shape } from "../core/shape.ts";
import { type NestedArray, Tensor } from "../tensor/tensor.ts";
import { full as fullOf } from "./dispatch.ts";

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function finish(t: Tensor, options: CreateOptions | undefined): Tensor {
  if (options?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** Accepts `f(2, 3)`, `f([2, 3])` and either followed by an options object. */
function parseSizes<O extends object>(args: readonly unknown[]): [number[], O | undefined] {
  let opts: O | undefined;
  let rest = args;
  const last = args[args.length - 1];
  if (typeof last === "object" && last !== null && !Array.isArray(last)) {
    opts = last as O;
    rest = args.slice(0, -1);
  }
  const shape = Array.isArray(rest[0]) ? [...(rest[0] as number[])] : (rest as number[]);
  for (const s of shape) {
    if (!Number.isInteger(s) || s < 0) {
      throw new ValueError(
        `Trying to create tensor with negative dimension ${s}: [${shape.join(", ")}]`,
      );
    }
  }
  return [shape, opts];
}

type SizeArgs<O> = number[] | [Shape] | [Shape, O] | [...number[], O];

/**
 * A tensor from nested arrays, a typed array (copied), a number or a boolean, as torch.tensor.
 * Integers default to int32 (float32 with `requiresGrad`), other numbers to float32, booleans to bool.
 */
export function tensor(
  data: NestedArray | TypedArray | readonly NestedArray[],
  options?: CreateOptions,
): Tensor {
  if (ArrayBuffer.isView(data)) {
    const arr = data as TypedArray;
    const from = dtypeOfArray(arr);
    const t = Tensor.fromData(arr.slice(), [arr.length], from);
    return finish(options?.dtype && options.dtype !== from ? t.to(options.dtype) : t, options);
  }
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const flat: (number | boolean)[] = [];
  const walk = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (Array.isArray(x))
        throw new ValueError(`tensor: expected a number at depth ${d}, got an array`);
      if (typeof x !== "number" && typeof x !== "boolean") {
        throw new ValueError(`tensor: expected numbers or booleans, got ${typeof x}`);
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
  let dtype = options?.dtype;
  if (dtype === undefined) {
    // NOTE: an empty list gives float32, as torch.tensor([]) does. JavaScript cannot tell 1.0
    // from 1, so integral data would be int32; with requiresGrad it can only mean float32.
    if (flat.length === 0 || options?.requiresGrad) dtype = "float32";
    else if (flat.every((v) => typeof v === "boolean")) dtype = "bool";
    else if (flat.every((v) => typeof v === "boolean" || Number.isInteger(v))) dtype = "int32";
    else dtype = "float32";
  }
  const arr = allocate(dtype, flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = Number(flat[i]);
    arr[i] = dtype === "bool" ? (v !== 0 ? 1 : 0) : v;
  }
  return finish(Tensor.fromData(arr, shape, dtype), options);
}

/**
 * Wraps a typed array without copying (Float32Array → float32, Float64Array → float64,
 * Int32Array → int32, Uint8Array → bool). Writes through either side are seen by both.
 */
export function fromTypedArray(data: TypedArray, shape?: Shape): Tensor {
  const s = shape ?? [data.length];
  if (numel(s) !== data.length) {
    throw new ValueError(
      `fromTypedArray: shape [${s.join(", ")}] needs ${numel(s)} elements, the array has ${data.length}`,
    );
  }
  return Tensor.fromData(data, s, dtypeOfArray(data));
}

export function zeros(...args: SizeArgs<CreateOptions>): Tensor {
  const [shape, o] = parseSizes<CreateOptions>(args);
  return finish(fullOf(shape, 0, o?.dtype ?? "float32"), o);
}

export function ones(...args: SizeArgs<CreateOptions>): Tensor {
  const [shape, o] = parseSizes<CreateOptions>(args);
  return finish(fullOf(shape, 1, o?.dtype ?? "float32"), o);
}

/** A tensor filled with `value`; the dtype follows the value (bool, int32 or float32) unless given. */
export function full(shape: Shape, value: number | boolean, options?: CreateOptions): Tensor {
  const dtype =
    options?.dtype ??
    (typeof value === "boolean" ? "bool" : Number.isInteger(value) ? "int32" : "float32");
  return finish(fullOf(parseSizes([shape])[0], value, dtype), options);
}

export function zerosLike(x: Tensor, options?: CreateOptions): Tensor {
  return finish(fullOf(x.shape, 0, options?.dtype ?? x.dtype), options);
}

export function onesLike(x: Tensor, options?: CreateOptions): Tensor {
  return finish(fullOf(x.shape, 1, options?.dtype ?? x.dtype), options);
}

export function fullLike(x: Tensor, value: number | boolean, options?: CreateOptions): Tensor {
  return finish(fullOf(x.shape, value, options?.dtype ?? x.dtype), options);
}

/**
 * Values from `start` to `end` (exclusive) by `step`: `arange(5)`, `arange(0, 10, 2)`.
 * int32 when every bound is an integer, float32 otherwise, as torch.arange.
 */
export function arange(
  start: number,
  end?: number,
  step?: number | CreateOptions,
  options?: CreateOptions,
): Tensor {
  let o = options;
  let st = 1;
  if (typeof step === "object") o = step;
  else if (step !== undefined) st = step;
  const [s, e] = end === undefined ? [0, start] : [start, end];
  if (st === 0) throw new ValueError("arange: step must be nonzero");
  if ((e - s) / st < 0) {
    throw new ValueError(
      `arange: upper bound and larger bound inconsistent with step sign (start ${s}, end ${e}, step ${st})`,
    );
  }
  const dtype = o?.dtype ?? ([s, e, st].every(Number.isInteger) ? "int32" : "float32");
  const n = Math.ceil((e - s) / st);
  const arr = allocate(dtype, n);
  for (let i = 0; i < n; i++) arr[i] = s + i * st;
  return finish(Tensor.fromData(arr, [n], dtype), o);
}

/** `steps` evenly spaced values from start to end inclusive, as torch.linspace (float32). */
export function linspace(
  start: number,
  end: number,
  steps: number,
  options?: CreateOptions,
): Tensor {
  if (!Number.isInteger(steps) || steps < 0)
    throw new ValueError(`linspace: number of steps must be non-negative (got ${steps})`);
  const dtype = options?.dtype ?? "float32";
  const arr = allocate(dtype, steps);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // PyTorch fills the first half forward from start and the second half backward from end.
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++)
    arr[i] = i < half ? start + i * step : end - (steps - 1 - i) * step;
  return finish(Tensor.fromData(arr, [steps], dtype), options);
}

/** The identity matrix [n, m] (m defaults to n). */
export function eye(n: number, m?: number | CreateOptions, options?: CreateOptions): Tensor {
  const o = typeof m === "object" ? m : options;
  const cols = typeof m === "number" ? m : n;
  const t = fullOf([n, cols], 0, o?.dtype ?? "float32");
  for (let i = 0; i < Math.min(n, cols); i++) t.storage.data[i * cols + i] = 1;
  return finish(t, o);
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

/** Uniform samples in [0, 1). */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, o] = parseSizes<RandomOptions>(args);
  return randomFill(shape, o, (g) => g.random());
}

/** Standard normal samples. */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const [shape, o] = parseSizes<RandomOptions>(args);
  return randomFill(shape, o, (g) => g.normal());
}

export function randLike(x: Tensor, options?: RandomOptions): Tensor {
  return randomFill(x.shape, { dtype: x.dtype, ...options }, (g) => g.random());
}

export function randnLike(x: Tensor, options?: RandomOptions): Tensor {
  return randomFill(x.shape, { dtype: x.dtype, ...options }, (g) => g.normal());
}

/** Uniform integers in [low, high), int32 unless a dtype is given. */
export function randint(low: number, high: number, shape: Shape, options?: RandomOptions): Tensor {
  if (!(high > low))
    throw new ValueError(
      `randint: random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`,
    );
  const g = options?.generator ?? defaultGenerator;
  const dtype = options?.dtype ?? "int32";
  const arr = allocate(dtype, numel(shape));
  for (let i = 0; i < arr.length; i++) arr[i] = g.randint(low, high);
  return finish(Tensor.fromData(arr, [...shape], dtype), options);
}

/** A random permutation of 0..n-1 (Fisher-Yates). */
export function randperm(n: number, options?: RandomOptions): Tensor {
  if (!Number.isInteger(n) || n < 0)
    throw new ValueError(`randperm: n must be non-negative, got ${n}`);
  const g = options?.generator ?? defaultGenerator;
  const arr = new Int32Array(n);
  for (let i = 0; i < n; i++) arr[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    const tmp = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = tmp;
  }
  const t = Tensor.fromData(arr, [n], "int32");
  return options?.dtype && options.dtype !== "int32" ? t.to(options.dtype) : t;
}

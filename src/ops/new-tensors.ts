// The Tensor.new* factories (newZeros, newOnes, newFull, newEmpty, newTensor): new tensors with
// the source tensor's dtype unless one is given, as torch.Tensor.new_*. Built on dispatch's fill,
// not on creation.ts, because tensor.ts imports this file and creation.ts needs Tensor at load.
// Must not depend on nn or anything above ops.

import {
  bool,
  custom,
  isPlainObject,
  nullable,
  opt,
  parseArgs,
  parseOptions,
  signature,
  unchecked,
} from "../core/args.ts";
import { type DeviceLike, isDeviceLike, toDevice } from "../core/device.ts";
import { DTYPES, type DType, isFloating, isHalf } from "../core/dtype.ts";
import { DTypeError, ValueError } from "../core/errors.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { full } from "./dispatch.ts";
import * as el from "./elementwise.ts";

/** The keyword arguments of the new* methods. */
export interface NewOptions {
  /** The dtype of the result (default: the source tensor's). */
  dtype?: DType;
  requiresGrad?: boolean;
  device?: DeviceLike | null;
}

function makeSigs() {
  const kw = {
    dtype: opt(
      custom("a dtype name", (v): v is DType => DTYPES.includes(v as DType) && !isHalf(v as DType)),
    ),
    requiresGrad: opt(bool),
    device: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
  };
  const size = custom(
    "a tuple of non-negative ints",
    (v): v is readonly number[] =>
      Array.isArray(v) && v.every((d) => Number.isInteger(d) && d >= 0),
  );
  const value = custom(
    "a number or a boolean",
    (v): v is number | boolean => typeof v === "number" || typeof v === "boolean",
  );
  return {
    options: (op: string) => signature(op, {}, kw),
    newFull: signature("newFull", { size, fillValue: value }, kw),
    newTensor: signature("newTensor", { data: unchecked }, kw),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

function finish(out: Tensor, o: NewOptions): Tensor {
  if (o.device !== undefined && o.device !== null) toDevice("new", o.device);
  if (o.requiresGrad === true) {
    if (!isFloating(out.dtype)) {
      throw new DTypeError(
        `new: only Tensors of floating point dtype can require gradients (got ${out.dtype})`,
      );
    }
    out.requiresGrad_(true);
  }
  return out;
}

/** `(…size, options?)` or `(size[], options?)`, as the new_* methods take them. */
function sizeAndOptions(op: string, args: readonly unknown[]): [number[], NewOptions] {
  const last = args[args.length - 1];
  const hasOptions = isPlainObject(last);
  const sizes = hasOptions ? args.slice(0, -1) : args;
  const shape = sizes.length === 1 && Array.isArray(sizes[0]) ? (sizes[0] as unknown[]) : sizes;
  if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) {
    throw new ValueError(`${op}: size must be non-negative ints, got ${JSON.stringify(sizes)}`);
  }
  const o = hasOptions ? (parseOptions(sigs().options(op), last) as NewOptions) : {};
  return [shape as number[], o];
}

function filled(op: string, x: Tensor, args: readonly unknown[], value: number): Tensor {
  const [shape, o] = sizeAndOptions(op, args);
  return finish(full(shape, value, o.dtype ?? x.dtype), o);
}

/** A zero tensor of `size`, x's dtype unless given, as torch.Tensor.new_zeros. */
export function newZeros(x: Tensor, ...args: unknown[]): Tensor {
  return filled("newZeros", x, args, 0);
}

/** A tensor of ones of `size`, x's dtype unless given, as torch.Tensor.new_ones. */
export function newOnes(x: Tensor, ...args: unknown[]): Tensor {
  return filled("newOnes", x, args, 1);
}

/** A tensor of `size`, x's dtype unless given, as torch.Tensor.new_empty (zero-filled in Kiln). */
export function newEmpty(x: Tensor, ...args: unknown[]): Tensor {
  return filled("newEmpty", x, args, 0);
}

/**
 * `fillValue` everywhere, x's dtype unless given, as torch.Tensor.new_full(size, fill_value); the
 * value is cast to the dtype as PyTorch does (new_full([2], 1.5) on an int tensor gives 1s).
 */
export function newFull(
  x: Tensor,
  size: readonly number[],
  fillValue: number | boolean,
  options?: NewOptions,
): Tensor;
export function newFull(x: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().newFull, Array.prototype.slice.call(arguments, 1));
  const dtype = p.dtype ?? x.dtype;
  const out = el.cast(full([...p.size], Number(p.fillValue), "float64"), dtype);
  return finish(out, p);
}

/** The shape and row-major values of nested arrays of numbers or booleans. */
function flattenNested(op: string, data: unknown): [number[], number[]] {
  const shape: number[] = [];
  let probe: unknown = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const values: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (typeof v !== "number" && typeof v !== "boolean") {
        throw new ValueError(`${op}: data must hold numbers or booleans, got ${typeof v}`);
      }
      values.push(Number(v));
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ValueError(`${op}: expected a sequence of length ${shape[depth]} at dim ${depth}`);
    }
    for (const e of v) walk(e, depth + 1);
  };
  walk(data, 0);
  return [shape, values];
}

/**
 * A new tensor holding `data` (nested arrays, a number, or a tensor, copied and detached), x's
 * dtype unless given, as torch.Tensor.new_tensor.
 */
export function newTensor(x: Tensor, data: unknown, options?: NewOptions): Tensor;
export function newTensor(x: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().newTensor, Array.prototype.slice.call(arguments, 1));
  const dtype = p.dtype ?? x.dtype;
  let src: Tensor;
  if (p.data instanceof Tensor) {
    src = p.data.detach();
  } else {
    const [shape, values] = flattenNested("newTensor", p.data);
    src = Tensor.fromData(Float64Array.from(values), shape, "float64");
  }
  return finish(el.clone(el.cast(src, dtype)), p);
}

// defaultCollate: turns a list of samples into a batch, as torch.utils.data.default_collate.
// Depends on the Tensor type and the stack op only.

import { checkArity } from "../core/args.ts";
import { allocate, type TypedArray } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import { stack } from "../ops/movement.ts";
import { Tensor } from "../tensor/tensor.ts";

/**
 * The batch type `defaultCollate` makes from samples of type `T`: tensors and numbers become
 * tensors with a leading batch dimension (Float32Array / Float64Array / Int32Array samples too),
 * strings lists of strings, and tuples, arrays and plain
 * objects keep their structure with each field collated.
 */
export type Collated<T> = unknown extends T
  ? unknown
  : T extends Tensor
    ? Tensor
    : T extends number | boolean | Float32Array | Float64Array | Int32Array
      ? Tensor
      : T extends string
        ? string[]
        : T extends readonly unknown[]
          ? { -readonly [K in keyof T]: Collated<T[K]> }
          : T extends object
            ? { -readonly [K in keyof T]: Collated<T[K]> }
            : never;

/** A function from a list of samples to a batch, the role of `collate_fn`. */
export type CollateFn<T, B> = (samples: T[]) => B;

/** `[N, ...s]` from N tensors of shape `s`: one copy into one new buffer (no per-row views). */
function stackRows(ts: readonly Tensor[]): Tensor {
  const first = ts[0]!;
  if (ts.some((t) => t.requiresGrad)) return stack(ts, 0);
  const n = first.numel();
  for (let k = 1; k < ts.length; k++) {
    const t = ts[k]!;
    if (t.dtype !== first.dtype || t.shape.join() !== first.shape.join()) {
      // Mixed dtypes or shapes: let stack promote or raise its ShapeError.
      return stack(ts, 0);
    }
  }
  const out: TypedArray = allocate(first.dtype, n * ts.length);
  for (let k = 0; k < ts.length; k++) {
    const t = ts[k]!.contiguous();
    out.set(t.storage.data.subarray(t.offset, t.offset + n), k * n);
  }
  return Tensor.fromData(out, [ts.length, ...first.shape], first.dtype);
}

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

function collateAny(batch: readonly unknown[]): unknown {
  const elem = batch[0];
  if (elem instanceof Tensor) {
    if (!batch.every((b) => b instanceof Tensor)) {
      throw new ValueError("defaultCollate: a batch mixes tensors with other values");
    }
    return stackRows(batch as Tensor[]);
  }
  if (typeof elem === "number") {
    const nums = batch as number[];
    if (!nums.every((v) => typeof v === "number")) {
      throw new ValueError("defaultCollate: a batch mixes numbers with other values");
    }
    // NOTE: JavaScript cannot tell 1.0 from 1, so a batch of integral numbers is int32 (PyTorch's
    // int → int64) and any fractional value makes the whole batch float32.
    const ints = nums.every(Number.isInteger);
    const t = Tensor.fromData(
      ints ? Int32Array.from(nums) : Float32Array.from(nums),
      [nums.length],
      ints ? "int32" : "float32",
    );
    return t;
  }
  if (typeof elem === "boolean") {
    return Tensor.fromData(
      Uint8Array.from(batch as boolean[], (b) => (b ? 1 : 0)),
      [batch.length],
      "bool",
    );
  }
  if (typeof elem === "string") {
    if (!batch.every((b) => typeof b === "string")) {
      throw new ValueError("defaultCollate: a batch mixes strings with other values");
    }
    return [...(batch as string[])];
  }
  if (elem instanceof Float32Array || elem instanceof Float64Array || elem instanceof Int32Array) {
    // NOTE: typed arrays play numpy arrays' part: stacked into one tensor of their dtype.
    const ctor = elem.constructor;
    if (!batch.every((b) => (b as object)?.constructor === ctor)) {
      throw new ValueError(`defaultCollate: a batch mixes ${ctor.name}s with other values`);
    }
    const dtype =
      elem instanceof Float32Array ? "float32" : elem instanceof Float64Array ? "float64" : "int32";
    return stackRows(
      (batch as Float32Array[]).map((a) => Tensor.fromData(a.slice(), [a.length], dtype)),
    );
  }
  if (Array.isArray(elem)) {
    const len = elem.length;
    if (!batch.every((b) => Array.isArray(b) && b.length === len)) {
      throw new ValueError("defaultCollate: each element in list of batch should be of equal size");
    }
    return elem.map((_, j) => collateAny(batch.map((b) => (b as unknown[])[j])));
  }
  if (typeof elem === "object" && elem !== null && isPlainObject(elem)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(elem)) {
      const values = batch.map((b, i) => {
        const o = b as Record<string, unknown> | null;
        if (typeof o !== "object" || o === null || !(key in o)) {
          throw new ValueError(
            `defaultCollate: sample ${i} of the batch has no key "${key}" (sample 0 has it), as PyTorch's KeyError`,
          );
        }
        return o[key];
      });
      out[key] = collateAny(values);
    }
    return out;
  }
  const kind =
    elem === null ? "null" : typeof elem === "object" ? elem.constructor.name : typeof elem;
  throw new ValueError(
    `defaultCollate: batch must contain tensors, numbers, booleans, strings, arrays or plain objects; found ${kind}`,
  );
}

/**
 * Collates samples into a batch, as `torch.utils.data.default_collate`: tensors are stacked along
 * a new dimension 0, integers become an int32 tensor (Kiln's default integer dtype; PyTorch:
 * int64), other numbers float32 (PyTorch: float64 for Python floats), booleans a bool tensor,
 * strings stay a list, Float32Array / Float64Array / Int32Array samples (numpy arrays' part) a
 * stacked tensor of their dtype, and arrays (tuples, lists) and plain objects (dicts) are
 * collated field by field, to any depth.
 *
 * @example defaultCollate([[x0, 3], [x1, 5]]) // [Tensor [2, ...x0.shape], tensor([3, 5])]
 */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  if (arguments.length > 1) checkArity("defaultCollate", arguments, 1);
  if (samples.length === 0) throw new ValueError("defaultCollate: cannot collate an empty batch");
  return collateAny(samples) as Collated<T>;
}

// Index ops along one dim or a mask: indexAdd, indexCopy, indexFill, maskedScatter and
// takeAlongDim (and their in-place forms), as torch's functions of those names. Each reduces to
// the flat put/take primitives of indexing.ts, whose gradients it inherits.
// Must not depend on nn or anything above ops.

import {
  custom,
  either,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
} from "../core/args.ts";
import { isFloating } from "../core/dtype.ts";
import { DTypeError, IndexError, ShapeError } from "../core/errors.ts";
import { contiguousStrides, formatShape, normalizeDim } from "../core/shape.ts";
import { named } from "../tensor/autograd.ts";
import { type Operand, Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";
import { putFlat } from "./indexing.ts";
import { expand, reshape } from "./movement.ts";

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const operand = custom(
    "a Tensor, a number or a boolean",
    (v): v is Operand => v instanceof Tensor || typeof v === "number" || typeof v === "boolean",
  );
  const add = (op: string) =>
    signature(
      op,
      { input: tensor, dim: int, index: tensor, source: tensor },
      { alpha: opt(num, 1) },
    );
  const copy = (op: string) =>
    signature(op, { input: tensor, dim: int, index: tensor, source: tensor });
  const fill = (op: string) =>
    signature(op, { input: tensor, dim: int, index: tensor, value: operand });
  const scatter = (op: string) => signature(op, { input: tensor, mask: tensor, source: tensor });
  return {
    indexAdd: add("indexAdd"),
    indexAdd_: add("indexAdd_"),
    indexCopy: copy("indexCopy"),
    indexCopy_: copy("indexCopy_"),
    indexFill: fill("indexFill"),
    indexFill_: fill("indexFill_"),
    maskedScatter: scatter("maskedScatter"),
    maskedScatter_: scatter("maskedScatter_"),
    takeAlongDim: signature("takeAlongDim", {
      input: tensor,
      indices: tensor,
      dim: opt(nullable(either(int)), null),
    }),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

function isIntIndex(t: Tensor): boolean {
  return !isFloating(t.dtype) && t.dtype !== "bool";
}

/** The entries of a 1-D (or 0-d) integer index, each checked against `size`. */
function indexValues(op: string, index: Tensor, size: number, dim: number): number[] {
  if (!isIntIndex(index)) {
    throw new DTypeError(`${op}: Expected dtype int32/int64 for index but got: ${index.dtype}`);
  }
  if (index.ndim > 1) {
    throw new IndexError(
      `${op}: Index is supposed to be a vector, but got dim: ${index.ndim} with size ${formatShape(index.shape)}`,
    );
  }
  const values = Array.from(index.contiguous().dataSync() as ArrayLike<number | bigint>, Number);
  for (const v of values) {
    if (v < 0 || v >= size) {
      throw new IndexError(
        `${op}: index ${v} is out of bounds for dimension ${dim} with size ${size}`,
      );
    }
  }
  return values;
}

/**
 * Row-major positions in a tensor of shape `shape` of every element of a tensor shaped like it
 * but with `index.length` entries along `dim`, whose k-th entry lands at `index[k]`.
 */
function positionsAlong(
  shape: readonly number[],
  dim: number,
  index: readonly number[],
): Int32Array {
  const strides = contiguousStrides(shape);
  const src = [...shape];
  src[dim] = index.length;
  const total = src.reduce((a, b) => a * b, 1);
  const flat = new Int32Array(total);
  const coord = new Array<number>(src.length).fill(0);
  for (let i = 0; i < total; i++) {
    let p = 0;
    for (let d = 0; d < src.length; d++) {
      const c = coord[d]!;
      p += (d === dim ? index[c]! : c) * strides[d]!;
    }
    flat[i] = p;
    for (let d = src.length - 1; d >= 0; d--) {
      coord[d]!++;
      if (coord[d]! < src[d]!) break;
      coord[d] = 0;
    }
  }
  return flat;
}

function checkSource(op: string, x: Tensor, dim: number, n: number, source: Tensor): void {
  if (source.dtype !== x.dtype) {
    throw new DTypeError(
      `${op}: self (${x.dtype}) and source (${source.dtype}) must have the same scalar type`,
    );
  }
  const srcShape = x.ndim === 0 ? [] : [...x.shape];
  if (x.ndim > 0) srcShape[dim] = n;
  const sameNumel = source.numel() === srcShape.reduce((a, b) => a * b, 1);
  const ok =
    source.ndim === 0 || x.ndim === 0
      ? sameNumel
      : source.ndim === x.ndim && source.shape.every((s, i) => s === srcShape[i]);
  if (!ok) {
    throw new IndexError(
      `${op}: Number of indices (${n}) should be equal to source.size(dim) (${source.shape[dim] ?? 1}) ` +
        `and source must have shape ${formatShape(srcShape)}, got ${formatShape(source.shape)}`,
    );
  }
}

function indexPut(
  op: string,
  x: Tensor,
  dim: number,
  index: Tensor,
  source: Tensor,
  accumulate: boolean,
): Tensor {
  const d = normalizeDim(op, dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  const values = indexValues(op, index, size, d);
  checkSource(op, x, d, values.length, source);
  const flat = x.ndim === 0 ? new Int32Array(values.length) : positionsAlong(x.shape, d, values);
  return putFlat(x, flat, reshape(source, [flat.length]), accumulate);
}

function indexAddImpl(
  op: string,
  x: Tensor,
  dim: number,
  index: Tensor,
  source: Tensor,
  alpha: number,
) {
  if (source.dtype !== x.dtype) {
    throw new DTypeError(
      `${op}: self (${x.dtype}) and source (${source.dtype}) must have the same scalar type`,
    );
  }
  const src = alpha === 1 ? source : el.mul(source, alpha);
  return indexPut(op, x, dim, index, el.cast(src, x.dtype), true);
}

/**
 * `input` with `alpha · source` added at the entries `index` along `dim` (repeats accumulate), as
 * torch.index_add(input, dim, index, source, *, alpha=1). source has input's shape but
 * `index.numel()` entries along dim, and input's dtype.
 */
export function indexAdd(
  input: Tensor,
  dim: number,
  index: Tensor,
  source: Tensor,
  options?: { alpha?: number },
): Tensor;
export function indexAdd(_i: Tensor, _d: number, _x: Tensor, _s: Tensor, _o?: unknown): Tensor {
  const p = parseArgs(sigs().indexAdd, arguments);
  const out = indexAddImpl("indexAdd", p.input, p.dim, p.index, p.source, p.alpha);
  return named(out, "IndexAddBackward0", [p.input, p.source]);
}

/** In-place `indexAdd`, as torch.Tensor.index_add_; returns `input`. */
export function indexAdd_<T extends Tensor>(
  input: T,
  dim: number,
  index: Tensor,
  source: Tensor,
  options?: { alpha?: number },
): T;
export function indexAdd_(_i: Tensor, _d: number, _x: Tensor, _s: Tensor, _o?: unknown): Tensor {
  const p = parseArgs(sigs().indexAdd_, arguments);
  return el.inplace(
    p.input,
    "indexAdd_",
    (x) => indexAddImpl("indexAdd_", x, p.dim, p.index, p.source, p.alpha),
    [p.source],
  );
}

/**
 * `input` with the entries `index` along `dim` replaced by `source`'s, as
 * torch.index_copy(input, dim, index, source) (with repeated indices, one of the writes wins).
 */
export function indexCopy(input: Tensor, dim: number, index: Tensor, source: Tensor): Tensor;
export function indexCopy(_i: Tensor, _d: number, _x: Tensor, _s: Tensor): Tensor {
  const p = parseArgs(sigs().indexCopy, arguments);
  const out = indexPut("indexCopy", p.input, p.dim, p.index, p.source, false);
  return named(out, "IndexCopyBackward0", [p.input, p.source]);
}

/** In-place `indexCopy`, as torch.Tensor.index_copy_; returns `input`. */
export function indexCopy_<T extends Tensor>(
  input: T,
  dim: number,
  index: Tensor,
  source: Tensor,
): T;
export function indexCopy_(_i: Tensor, _d: number, _x: Tensor, _s: Tensor): Tensor {
  const p = parseArgs(sigs().indexCopy_, arguments);
  return el.inplace(
    p.input,
    "indexCopy_",
    (x) => indexPut("indexCopy_", x, p.dim, p.index, p.source, false),
    [p.source],
  );
}

function indexFillImpl(op: string, x: Tensor, dim: number, index: Tensor, value: Operand): Tensor {
  if (value instanceof Tensor && value.ndim !== 0) {
    throw new ShapeError(
      `${op}: only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s).`,
    );
  }
  if (!(value instanceof Tensor)) el.checkOperand(op, "value", value);
  const d = normalizeDim(op, dim, x.ndim);
  const size = x.ndim === 0 ? 1 : x.shape[d]!;
  const values = indexValues(op, index, size, d);
  const flat = x.ndim === 0 ? new Int32Array(values.length) : positionsAlong(x.shape, d, values);
  const v = value instanceof Tensor ? el.cast(value, x.dtype) : el.full([], value, x.dtype);
  return putFlat(x, flat, expand(v, [flat.length]), false);
}

/** `input` with the entries `index` along `dim` set to `value`, as torch.index_fill. */
export function indexFill(input: Tensor, dim: number, index: Tensor, value: Operand): Tensor;
export function indexFill(_i: Tensor, _d: number, _x: Tensor, _v: Operand): Tensor {
  const p = parseArgs(sigs().indexFill, arguments);
  const out = indexFillImpl("indexFill", p.input, p.dim, p.index, p.value);
  return named(out, "IndexFillBackward0", [p.input]);
}

/** In-place `indexFill`, as torch.Tensor.index_fill_; returns `input`. */
export function indexFill_<T extends Tensor>(
  input: T,
  dim: number,
  index: Tensor,
  value: Operand,
): T;
export function indexFill_(_i: Tensor, _d: number, _x: Tensor, _v: Operand): Tensor {
  const p = parseArgs(sigs().indexFill_, arguments);
  return el.inplace(
    p.input,
    "indexFill_",
    (x) => indexFillImpl("indexFill_", x, p.dim, p.index, p.value),
    [p.value],
  );
}

function maskedScatterImpl(op: string, x: Tensor, mask: Tensor, source: Tensor): Tensor {
  if (source.dtype !== x.dtype) {
    throw new DTypeError(
      `${op}: expected self and source to have same dtypes but got ${x.dtype} and ${source.dtype}`,
    );
  }
  const m = el.cast(expand(mask, x.shape), "bool").contiguous();
  const bits = m.dataSync() as Uint8Array;
  let count = 0;
  for (let i = 0; i < bits.length; i++) if (bits[i] !== 0) count++;
  if (source.numel() < count) {
    throw new ShapeError(
      `${op}: Number of elements of source (${source.numel()}) < number of ones in mask (${count})`,
    );
  }
  const flat = new Int32Array(count);
  for (let i = 0, k = 0; i < bits.length; i++) if (bits[i] !== 0) flat[k++] = i;
  const values = reshape(source, [source.numel()]).narrow(0, 0, count);
  return putFlat(x, flat, values, false);
}

/**
 * `input` with its entries where `mask` (broadcast to input's shape) is true replaced, in
 * row-major order, by the first entries of `source`, as torch.masked_scatter.
 */
export function maskedScatter(input: Tensor, mask: Tensor, source: Tensor): Tensor;
export function maskedScatter(_i: Tensor, _m: Tensor, _s: Tensor): Tensor {
  const p = parseArgs(sigs().maskedScatter, arguments);
  const out = maskedScatterImpl("maskedScatter", p.input, p.mask, p.source);
  return named(out, "MaskedScatterBackward0", [p.input, p.source]);
}

/** In-place `maskedScatter`, as torch.Tensor.masked_scatter_; returns `input`. */
export function maskedScatter_<T extends Tensor>(input: T, mask: Tensor, source: Tensor): T;
export function maskedScatter_(_i: Tensor, _m: Tensor, _s: Tensor): Tensor {
  const p = parseArgs(sigs().maskedScatter_, arguments);
  return el.inplace(
    p.input,
    "maskedScatter_",
    (x) => maskedScatterImpl("maskedScatter_", x, p.mask, p.source),
    [p.source],
  );
}

/**
 * The entries of `input` at `indices` along `dim`, the other dims broadcast, as
 * torch.take_along_dim(input, indices, dim=None); with no dim both are flattened.
 */
export function takeAlongDim(input: Tensor, indices: Tensor, dim?: number | null): Tensor;
export function takeAlongDim(_i: Tensor, _x: Tensor, _d?: unknown): Tensor {
  const p = parseArgs(sigs().takeAlongDim, arguments);
  const { input, indices } = p;
  if (!isIntIndex(indices)) {
    throw new DTypeError(
      `takeAlongDim: dtype of indices should be an integer dtype but got ${indices.dtype}`,
    );
  }
  if (p.dim === null) {
    const flat = reshape(input, [input.numel()]);
    return named(flat.gather(0, reshape(indices, [indices.numel()])), "TakeAlongDimBackward0", [
      input,
    ]);
  }
  if (input.ndim !== indices.ndim) {
    throw new ShapeError(
      `takeAlongDim: input and indices should have the same number of dimensions, but got ${input.ndim} dimensions for input, and ${indices.ndim} dimensions for indices`,
    );
  }
  const d = normalizeDim("takeAlongDim", p.dim, input.ndim);
  const bshape = input.shape.map((s, i) => {
    const t = indices.shape[i]!;
    if (i === d) return -1;
    if (s !== t && s !== 1 && t !== 1) {
      throw new ShapeError(
        `takeAlongDim: input ${formatShape(input.shape)} and indices ${formatShape(indices.shape)} do not broadcast outside dim ${d}`,
      );
    }
    return Math.max(s, t);
  });
  const xs = bshape.map((s, i) => (i === d ? input.shape[d]! : s));
  const is = bshape.map((s, i) => (i === d ? indices.shape[d]! : s));
  const out = expand(input, xs).gather(d, expand(indices, is));
  return named(out, "TakeAlongDimBackward0", [input]);
}

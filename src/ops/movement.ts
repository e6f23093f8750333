// View and movement ops. Views share storage and only change shape, strides and offset; each
// records how to route its gradient back. cat, stack, repeat and flip copy, as in PyTorch.

import { checkArity, showValue } from "../core/args.ts";
import { type DType, type PromoteTypes, promoteTypes } from "../core/dtype.ts";
import { IndexError, ShapeError, ValueError } from "../core/errors.ts";
import {
  contiguousStrides,
  formatShape,
  inferShape,
  normalizeDim,
  normalizeDims,
  type Shape,
  shapeEquals,
  viewStrides,
} from "../core/shape.ts";
import { linearGrad, named, record } from "../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { backend, empty } from "./dispatch.ts";

export const wrapDim = normalizeDim;

/**
 * Accepts `f(2, 3)` and `f([2, 3])`, as PyTorch's `*size` parameters; anything but ints throws a
 * ValueError naming it (an options object too: these methods take none).
 */
export function shapeArgs(op: string, args: readonly unknown[]): number[] {
  const first = args[0];
  const list = args.length === 1 && Array.isArray(first) ? (first as unknown[]) : args;
  for (let i = 0; i < list.length; i++) {
    if (!Number.isInteger(list[i])) {
      const what =
        args.length === 1 && Array.isArray(first) ? showValue(first) : showValue(list[i]);
      throw new ValueError(`${op}: argument "size" must be ints or one array of ints, got ${what}`);
    }
  }
  return list === args ? (args as number[]) : [...(list as number[])];
}

/** A tensor over x's storage with new geometry, recorded with `vjp`. */
function makeView(
  x: Tensor,
  shape: Shape,
  strides: Shape,
  offset: number,
  name: string,
  vjp: (g: Tensor) => Tensor,
): Tensor {
  const out = new Tensor(x.storage, shape, strides, offset, x.dtype, x.base ?? x);
  return record(out, name, [x], (g) => [vjp(g)]);
}

/** Gradient of a view that picks elements without overlap: scatter g into zeros through the same view. */
function scatterThroughView(g: Tensor, x: Tensor, apply: (z: Tensor) => Tensor): Tensor {
  const z = empty(x.shape, g.dtype);
  const target = noGrad(() => apply(z));
  backend().unary("copy", g.view_(), target.view_());
  // createGraph: the scatter is linear in g; its own gradient is the view applied to it.
  return isGradEnabled() ? linearGrad(z, g, "ViewScatterBackward0", apply) : z;
}

/** Sums a broadcast gradient back to `shape` (leading dims and dims of size 1). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapeEquals(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  // NOTE: through the Tensor method: reduce.ts builds on these views, so this module cannot import it.
  const s = dims.length > 0 ? g.sum(dims, true) : g;
  return reshape(s, shape);
}

export function view(x: Tensor, shape: Shape): Tensor {
  const target = inferShape("view", shape, x.numel());
  const strides = viewStrides(x.shape, x.strides, target);
  if (strides === null) {
    throw new ShapeError(
      `view: view size is not compatible with input tensor's size and stride (at least one ` +
        `dimension spans across two contiguous subspaces). Use .reshape(...) instead. ` +
        `(input ${formatShape(x.shape)}, strides ${formatShape(x.strides)}, target ${formatShape(target)})`,
    );
  }
  return makeView(x, target, strides, x.offset, "ViewBackward0", (g) => reshape(g, x.shape));
}

/** A view when the memory layout allows it, otherwise a copy, as torch.reshape. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const target = inferShape("reshape", shape, x.numel());
  if (shapeEquals(target, x.shape)) return x;
  if (viewStrides(x.shape, x.strides, target) !== null) return view(x, target);
  return view(x.contiguous(), target);
}

export function flatten(x: Tensor, startDim: number, endDim: number): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim("flatten", startDim, x.ndim);
  const e = normalizeDim("flatten", endDim, x.ndim);
  if (s > e) throw new IndexError("flatten: start_dim cannot come after end_dim");
  const shape = [
    ...x.shape.slice(0, s),
    x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1),
    ...x.shape.slice(e + 1),
  ];
  return reshape(x, shape);
}

export function squeeze(x: Tensor, dim?: number): Tensor {
  let keep: number[];
  if (dim === undefined) keep = x.shape.map((_, i) => i).filter((i) => x.shape[i] !== 1);
  else {
    const d = normalizeDim("squeeze", dim, x.ndim);
    keep = x.shape.map((_, i) => i).filter((i) => i !== d || x.shape[i] !== 1 || x.ndim === 0);
  }
  if (keep.length === x.ndim) return x;
  return makeView(
    x,
    keep.map((i) => x.shape[i]!),
    keep.map((i) => x.strides[i]!),
    x.offset,
    dim === undefined ? "SqueezeBackward0" : "SqueezeBackward1",
    (g) => reshape(g, x.shape),
  );
}

export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("unsqueeze", dim, x.ndim + 1);
  const shape = [...x.shape];
  const strides = [...x.strides];
  const stride = d < x.ndim ? x.shape[d]! * x.strides[d]! : 1;
  shape.splice(d, 0, 1);
  strides.splice(d, 0, stride);
  return makeView(x, shape, strides, x.offset, "UnsqueezeBackward0", (g) => squeeze(g, d));
}

export function permute(x: Tensor, dims: readonly number[], name = "PermuteBackward0"): Tensor {
  if (dims.length !== x.ndim) {
    throw new ShapeError(
      `permute: number of dimensions in the tensor input does not match the length of the ` +
        `desired ordering of dimensions i.e. input.dim() = ${x.ndim} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const p = normalizeDims("permute", dims, x.ndim);
  const inverse = new Array<number>(p.length);
  p.forEach((d, i) => {
    inverse[d] = i;
  });
  return makeView(
    x,
    p.map((d) => x.shape[d]!),
    p.map((d) => x.strides[d]!),
    x.offset,
    name,
    (g) => permute(g, inverse),
  );
}

export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (x.ndim === 0) return x;
  const a = normalizeDim("transpose", dim0, x.ndim);
  const b = normalizeDim("transpose", dim1, x.ndim);
  const p = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, p, "TransposeBackward0");
}

export function t(x: Tensor): Tensor {
  if (x.ndim > 2) {
    throw new ShapeError(`t: t() expects a tensor with <= 2 dimensions, but self is ${x.ndim}D`);
  }
  if (x.ndim < 2) return x;
  return permute(x, [1, 0], "TBackward0");
}

export function expand(x: Tensor, sizes: Shape): Tensor {
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      `expand: the number of sizes provided (${sizes.length}) must be greater or equal to the ` +
        `number of dimensions in the tensor (${x.ndim})`,
    );
  }
  const lead = sizes.length - x.ndim;
  const shape = new Array<number>(sizes.length);
  const strides = new Array<number>(sizes.length);
  // From the last dimension, as PyTorch's inferExpandGeometry (which decides the first error).
  for (let i = sizes.length - 1; i >= 0; i--) {
    const want = sizes[i]!;
    if (i < lead) {
      if (want < 0) {
        throw new ShapeError(
          `expand: The expanded size of the tensor (${want}) isn't allowed in a leading, non-existing dimension ${i}`,
        );
      }
      shape[i] = want;
      strides[i] = 0;
      continue;
    }
    const have = x.shape[i - lead]!;
    if (want === -1 || want === have) {
      shape[i] = have;
      strides[i] = x.strides[i - lead]!;
    } else if (have === 1 && want >= 0) {
      shape[i] = want;
      strides[i] = 0;
    } else {
      // NOTE: PyTorch reports a negative size other than -1 on a size-1 dim as an integer
      // overflow of numel; Kiln names the size instead.
      throw new ShapeError(
        want < 0
          ? `expand: The expanded size of the tensor (${want}) is not allowed: only -1 (keep the existing size) may be negative, at dimension ${i}.  Target sizes: ${formatShape(sizes)}.  Tensor sizes: ${formatShape(x.shape)}`
          : `expand: The expanded size of the tensor (${want}) must match the existing size (${have}) ` +
              `at non-singleton dimension ${i}.  Target sizes: ${formatShape(sizes)}.  Tensor sizes: ${formatShape(x.shape)}`,
      );
    }
  }
  if (shapeEquals(shape, x.shape)) return x;
  return makeView(x, shape, strides, x.offset, "ExpandBackward0", (g) => sumToShape(g, x.shape));
}

export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normalizeDim("narrow", dim, x.ndim);
  const size = x.shape[d]!;
  if (start < -size || start > size) {
    throw new IndexError(
      `narrow: start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`,
    );
  }
  const s = start < 0 ? start + size : start;
  if (length < 0 || s + length > size) {
    throw new IndexError(
      `narrow: start (${start}) + length (${length}) exceeds dimension size (${size}).`,
    );
  }
  return sliceDim(x, d, s, s + length, 1);
}

/** `x[..., start:stop:step, ...]` along one dimension, with Python's clamping rules. */
export function sliceDim(
  x: Tensor,
  dim: number,
  start: number | null,
  stop: number | null,
  step: number | null,
): Tensor {
  const d = normalizeDim("slice", dim, x.ndim);
  const size = x.shape[d]!;
  const st = step ?? 1;
  if (!Number.isInteger(st) || st <= 0)
    throw new ValueError(`slice: step must be greater than zero (got ${st})`);
  const clampIdx = (v: number | null, dflt: number) => {
    if (v === null) return dflt;
    const w = v < 0 ? v + size : v;
    return Math.min(Math.max(w, 0), size);
  };
  const b = clampIdx(start, 0);
  const e = Math.max(clampIdx(stop, size), b);
  const len = Math.ceil((e - b) / st);
  if (b === 0 && len === size && st === 1) return x;
  const shape = [...x.shape];
  const strides = [...x.strides];
  shape[d] = len;
  strides[d] = x.strides[d]! * st;
  return makeView(x, shape, strides, x.offset + b * x.strides[d]!, "SliceBackward0", (g) =>
    scatterThroughView(g, x, (z) => sliceDim(z, d, b, e, st)),
  );
}

export function select(x: Tensor, dim: number, index: number): Tensor {
  if (x.ndim === 0) throw new IndexError("select: select() cannot be applied to a 0-dim tensor.");
  const d = normalizeDim("select", dim, x.ndim);
  const size = x.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new IndexError(
      `select: index ${index} is out of bounds for dimension ${d} with size ${size}`,
    );
  }
  const i = index < 0 ? index + size : index;
  const shape = x.shape.filter((_, k) => k !== d);
  const strides = x.strides.filter((_, k) => k !== d);
  return makeView(x, shape, strides, x.offset + i * x.strides[d]!, "SelectBackward0", (g) =>
    scatterThroughView(g, x, (z) => select(z, d, i)),
  );
}

export function split(x: Tensor, splitSize: number | readonly number[], dim: number): Tensor[] {
  const d = normalizeDim("split", dim, x.ndim);
  const size = x.shape[d]!;
  let sizes: number[];
  if (typeof splitSize === "number") {
    if (splitSize <= 0)
      throw new ValueError(`split: split_size must be positive (got ${splitSize})`);
    sizes = [];
    for (let s = 0; s < size; s += splitSize) sizes.push(Math.min(splitSize, size - s));
    if (sizes.length === 0) sizes.push(0);
  } else {
    sizes = [...splitSize];
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== size) {
      throw new ShapeError(
        `split: split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=${formatShape(sizes)}`,
      );
    }
  }
  let start = 0;
  return sizes.map((len) => {
    const part = narrow(x, d, start, len);
    start += len;
    return part;
  });
}

export function chunk(x: Tensor, chunks: number, dim: number): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new ValueError(`chunk: chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  }
  const d = normalizeDim("chunk", dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / chunks)), d);
}

/** The arguments of cat and stack: `(tensors, dim?)`, as PyTorch's. */
function checkList(op: string, args: IArguments, tensors: unknown, dim: unknown): void {
  if (args.length > 2) checkArity(op, args, 2);
  if (!Array.isArray(tensors) || !tensors.every((t) => t instanceof Tensor)) {
    throw new ValueError(
      `${op}: argument "tensors" must be an array of Tensors, got ${showValue(tensors)}`,
    );
  }
  if (!Number.isInteger(dim)) {
    throw new ValueError(`${op}: argument "dim" must be an int, got ${showValue(dim)}`);
  }
}

/** Concatenates along `dim`; dtypes promote; sizes must match elsewhere. */
export function cat<T extends DType>(
  tensors: readonly Tensor<T>[],
  dim?: number,
): Tensor<PromoteTypes<T, T>>;
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  checkList("cat", arguments, tensors, dim);
  if (tensors.length === 0) throw new ValueError("cat: expected a non-empty list of Tensors");
  // Legacy PyTorch rule: 1-D empty tensors are skipped.
  const skipped = (t: Tensor) => t.ndim === 1 && t.shape[0] === 0;
  const parts = tensors.filter((t) => !skipped(t));
  if (parts.length === 0) return tensors[0]!;
  const ref = parts[0]!;
  const d = normalizeDim("cat", dim, ref.ndim);
  const dtype = parts.map((t) => t.dtype).reduce((a, b) => promoteTypes(a, b));
  parts.forEach((p, k) => {
    if (p.ndim !== ref.ndim) {
      throw new ShapeError(
        `cat: Tensors must have same number of dimensions: got ${ref.ndim} and ${p.ndim}`,
      );
    }
    for (let i = 0; i < ref.ndim; i++) {
      if (i !== d && p.shape[i] !== ref.shape[i]) {
        throw new ShapeError(
          `cat: Sizes of tensors must match except in dimension ${d}. Expected size ${ref.shape[i]} but got size ${p.shape[i]} for tensor number ${k} in the list.`,
        );
      }
    }
  });
  const shape = [...ref.shape];
  shape[d] = parts.reduce((a, p) => a + p.shape[d]!, 0);
  const out = empty(shape, dtype);
  // Where each input starts along d; a skipped empty input gets -1.
  const starts: number[] = [];
  let start = 0;
  for (const t of tensors) {
    if (skipped(t)) {
      starts.push(-1);
      continue;
    }
    starts.push(start);
    const target = noGrad(() => sliceDim(out, d, start, start + t.shape[d]!, 1));
    backend().unary("copy", t.view_(), target.view_());
    start += t.shape[d]!;
  }
  // NOTE: skipped empty inputs still get an (empty) gradient, as in PyTorch.
  return record(out, "CatBackward0", tensors, (g) =>
    tensors.map((t, k) =>
      starts[k]! < 0
        ? empty(t.shape, g.dtype)
        : sliceDim(g, d, starts[k]!, starts[k]! + t.shape[d]!, 1),
    ),
  );
}

/** Joins equally shaped tensors along a new dimension; dtypes promote, as torch.stack. */
export function stack<T extends DType>(
  tensors: readonly Tensor<T>[],
  dim?: number,
): Tensor<PromoteTypes<T, T>>;
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  checkList("stack", arguments, tensors, dim);
  if (tensors.length === 0) throw new ValueError("stack: expects a non-empty TensorList");
  const ref = tensors[0]!;
  tensors.forEach((t, k) => {
    if (!shapeEquals(t.shape, ref.shape)) {
      throw new ShapeError(
        `stack: stack expects each tensor to be equal size, but got ${formatShape(ref.shape)} at entry 0 and ${formatShape(t.shape)} at entry ${k}`,
      );
    }
  });
  const d = normalizeDim("stack", dim, ref.ndim + 1);
  const out = cat(
    tensors.map((t) => unsqueeze(t, d)),
    d,
  );
  return named(out, "StackBackward0", tensors);
}

/** Tiles the tensor, as torch.Tensor.repeat (a copy). */
export function repeat(x: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < x.ndim) {
    throw new ShapeError(
      "repeat: Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
    );
  }
  const lead = sizes.length - x.ndim;
  const src = reshape(x, [...new Array<number>(lead).fill(1), ...x.shape]);
  const target = src.shape.map((s, i) => s * sizes[i]!);
  for (const t of target) {
    if (t < 0) {
      throw new ShapeError(
        `repeat: Trying to create tensor with negative dimension ${t}: ${formatShape(target)}`,
      );
    }
  }
  // Interleave a broadcast axis before each dimension: [r0, s0, r1, s1, ...], then merge pairs.
  const inter: number[] = [];
  const expanded: number[] = [];
  src.shape.forEach((s, i) => {
    inter.push(1, s);
    expanded.push(sizes[i]!, s);
  });
  const tiled = expand(reshape(src, inter), expanded);
  const out = reshape(tiled.contiguous(), target);
  return named(out, "RepeatBackward0", [x]);
}

/** Reverses the order of elements along `dims` (a copy, as torch.flip). */
export function flip(x: Tensor, dims: readonly number[]): Tensor {
  const ds = normalizeDims("flip", dims, x.ndim);
  let offset = x.offset;
  const strides = [...x.strides];
  for (const d of ds) {
    if (x.shape[d]! > 0) offset += (x.shape[d]! - 1) * x.strides[d]!;
    strides[d] = -x.strides[d]!;
  }
  const reversed = new Tensor(x.storage, x.shape, strides, offset, x.dtype, x.base ?? x);
  const out = empty(x.shape, x.dtype);
  backend().unary("copy", reversed.view_(), out.view_());
  return record(out, "FlipBackward0", [x], (g) => [flip(g, ds)]);
}

export { contiguousStrides };

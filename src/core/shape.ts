// Shape arithmetic: sizes, strides, broadcasting, dimension wrapping, view strides.
// Pure functions on number arrays; depends only on errors.ts.

import { IndexError, ShapeError } from "./errors.ts";

/** A tensor's sizes, one per dimension. */
export type Shape = readonly number[];

export function numel(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let expected = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const size = shape[i]!;
    if (size === 1) continue;
    if (strides[i] !== expected) return false;
    expected *= size;
  }
  return true;
}

export function shapeEquals(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Broadcasts shapes as NumPy and PyTorch do: align on the right, sizes must be equal or 1.
 * Throws PyTorch's message: "The size of tensor a (3) must match the size of tensor b (4) at
 * non-singleton dimension 1".
 */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const ndim = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(ndim).fill(1);
  const names = "abcdefgh";
  for (let i = 0; i < ndim; i++) {
    let owner = -1;
    for (let k = 0; k < shapes.length; k++) {
      const shape = shapes[k]!;
      const j = i - (ndim - shape.length);
      if (j < 0) continue;
      const s = shape[j]!;
      if (s === 1) continue;
      if (out[i] === 1) {
        out[i] = s;
        owner = k;
      } else if (out[i] !== s) {
        throw new ShapeError(
          `${op}: The size of tensor ${names[owner] ?? owner} (${out[i]}) must match the size of ` +
            `tensor ${names[k] ?? k} (${s}) at non-singleton dimension ${j}`,
        );
      }
    }
  }
  return out;
}

/** Strides that read a tensor of `shape`/`strides` as if expanded to `outShape` (0 where broadcast). */
export function broadcastStrides(shape: Shape, strides: Shape, outShape: Shape): number[] {
  const lead = outShape.length - shape.length;
  const out = new Array<number>(outShape.length).fill(0);
  for (let i = 0; i < shape.length; i++) {
    out[lead + i] = shape[i] === 1 && outShape[lead + i] !== 1 ? 0 : strides[i]!;
  }
  return out;
}

/** Wraps a possibly negative dimension; PyTorch's message when out of range. */
export function normalizeDim(op: string, dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new IndexError(
      `${op}: Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** Normalises a list of dims, rejecting repeats. */
export function normalizeDims(op: string, dims: readonly number[], ndim: number): number[] {
  const out = dims.map((d) => normalizeDim(op, d, ndim));
  if (new Set(out).size !== out.length) {
    throw new IndexError(
      `${op}: dim ${dims.join(", ")} appears multiple times in the list of dims`,
    );
  }
  return out;
}

/**
 * Resolves a requested shape that may contain one -1 against `n` elements. The error matches
 * PyTorch's: "shape '[2, 5]' is invalid for input of size 6".
 */
export function inferShape(op: string, shape: Shape, n: number): number[] {
  let infer = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const s = shape[i]!;
    if (s === -1) {
      if (infer >= 0) throw new ShapeError(`${op}: only one dimension can be inferred`);
      infer = i;
    } else if (!Number.isInteger(s) || s < 0) {
      throw new ShapeError(`${op}: invalid shape dimension ${s} in ${formatShape(shape)}`);
    } else known *= s;
  }
  const out = [...shape];
  if (infer >= 0) {
    if (known === 0 || n % known !== 0) {
      throw new ShapeError(
        `${op}: shape '${formatShape(shape)}' is invalid for input of size ${n}`,
      );
    }
    out[infer] = n / known;
  } else if (known !== n) {
    throw new ShapeError(`${op}: shape '${formatShape(shape)}' is invalid for input of size ${n}`);
  }
  return out;
}

/**
 * Strides that view a tensor of `oldShape`/`oldStrides` as `newShape` without copying, or null
 * when its memory layout does not allow it (PyTorch's computeStride).
 */
export function viewStrides(oldShape: Shape, oldStrides: Shape, newShape: Shape): number[] | null {
  const n = numel(oldShape);
  if (n === 0 || oldShape.length === 0) return contiguousStrides(newShape);
  const newStrides = new Array<number>(newShape.length).fill(0);
  let viewD = newShape.length - 1;
  let chunkBase = oldStrides[oldStrides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBase)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        newStrides[viewD] = viewNumel * chunkBase;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBase = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return newStrides;
}

// Helpers for walking strided arrays: dimension coalescing and
// enumeration of element offsets. Pure functions; depends on nothing but core/shape.

import type { Shape } from "./shape.ts";

/**
 * Drops size-1 dimensions and merges neighbours that are laid out back to back in every
 * operand, so loops run over as few, as long dimensions as possible. Returns the new shape and
 * one stride list per operand.
 */
export function coalesce(shape: Shape, strides: readonly Shape[]): [number[], number[][]] {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * size)) {
      outShape[last] = outShape[last]! * size;
      for (let k = 0; k < strides.length; k++) outStrides[k]![last] = strides[k]![d]!;
      continue;
    }
    outShape.push(size);
    for (let k = 0; k < strides.length; k++) outStrides[k]!.push(strides[k]![d]!);
  }
  return [outShape, outStrides];
}

/** The storage offsets (relative to the view's offset) of every element, in row-major order. */
export function elementOffsets(shape: Shape, strides: Shape): Int32Array {
  const [cs, [st]] = coalesce(shape, [strides]);
  let n = 1;
  for (const s of shape) n *= s;
  const out = new Int32Array(n);
  if (n === 0) return out;
  const nd = cs.length;
  if (nd === 0) return out;
  const len = cs[nd - 1]!;
  const inner = st![nd - 1]!;
  const idx = new Int32Array(nd);
  let base = 0;
  let k = 0;
  while (k < n) {
    let p = base;
    for (let i = 0; i < len; i++, p += inner) out[k++] = p;
    for (let d = nd - 2; d >= 0; d--) {
      base += st![d]!;
      if (++idx[d]! < cs[d]!) break;
      idx[d] = 0;
      base -= st![d]! * cs[d]!;
    }
  }
  return out;
}

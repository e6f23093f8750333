// Flat gather and scatter of the reference backend: every indexing op (advanced indexing,
// gather, scatter, indexSelect, maskedSelect) is expressed through these two kernels.

import type { TypedArray } from "../../core/dtype.ts";
import { elementOffsets } from "../../core/strided.ts";
import type { View } from "../backend.ts";

function offsetsFor(x: View, index: Int32Array): Int32Array {
  const all = elementOffsets(x.shape, x.strides);
  const out = new Int32Array(index.length);
  for (let i = 0; i < index.length; i++) out[i] = all[index[i]!]!;
  return out;
}

function isContiguousView(x: View): boolean {
  let expected = 1;
  for (let i = x.shape.length - 1; i >= 0; i--) {
    if (x.shape[i] === 1) continue;
    if (x.strides[i] !== expected) return false;
    expected *= x.shape[i]!;
  }
  return true;
}

export function take(x: View, index: Int32Array, out: TypedArray): void {
  const d = x.data;
  if (isContiguousView(x)) {
    for (let i = 0; i < index.length; i++) out[i] = d[x.offset + index[i]!]!;
    return;
  }
  const offs = offsetsFor(x, index);
  for (let i = 0; i < offs.length; i++) out[i] = d[x.offset + offs[i]!]!;
}

export function put(target: View, index: Int32Array, values: View, accumulate: boolean): void {
  const d = target.data;
  const offs = isContiguousView(target) ? index : offsetsFor(target, index);
  const v = values.data;
  const vo = values.offset;
  const bool = d instanceof Uint8Array;
  for (let i = 0; i < offs.length; i++) {
    const p = target.offset + offs[i]!;
    const val = accumulate ? d[p]! + v[vo + i]! : v[vo + i]!;
    d[p] = bool ? (val !== 0 ? 1 : 0) : val;
  }
}

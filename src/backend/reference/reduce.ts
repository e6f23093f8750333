// Reductions and prefix sums of the reference backend. Accumulation happens in JS doubles,
// so float32 sums are at least as accurate as PyTorch's cascade summation.

import type { TypedArray } from "../../core/dtype.ts";
import { elementOffsets } from "../../core/strided.ts";
import type { ReduceOp, View } from "../backend.ts";

export function reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void {
  const outer = elementOffsets(x.shape.slice(0, keptDims), x.strides.slice(0, keptDims));
  const inner = elementOffsets(x.shape.slice(keptDims), x.strides.slice(keptDims));
  const d = x.data;
  const n = inner.length;
  for (let o = 0; o < outer.length; o++) {
    const base = x.offset + outer[o]!;
    out[o] = reduceOne(op, d, base, inner, n);
  }
}

function reduceOne(
  op: ReduceOp,
  d: TypedArray,
  base: number,
  inner: Int32Array,
  n: number,
): number {
  switch (op) {
    case "sum": {
      let s = 0;
      for (let j = 0; j < n; j++) s += d[base + inner[j]!]!;
      return s;
    }
    case "prod": {
      let s = 1;
      for (let j = 0; j < n; j++) s *= d[base + inner[j]!]!;
      return s;
    }
    case "max": {
      let m = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < n; j++) {
        const v = d[base + inner[j]!]!;
        if (Number.isNaN(v)) return v;
        if (v > m) m = v;
      }
      return m;
    }
    case "min": {
      let m = Number.POSITIVE_INFINITY;
      for (let j = 0; j < n; j++) {
        const v = d[base + inner[j]!]!;
        if (Number.isNaN(v)) return v;
        if (v < m) m = v;
      }
      return m;
    }
    case "argmax": {
      let m = Number.NEGATIVE_INFINITY;
      let at = 0;
      for (let j = 0; j < n; j++) {
        const v = d[base + inner[j]!]!;
        if (Number.isNaN(v)) return j;
        if (v > m) {
          m = v;
          at = j;
        }
      }
      return at;
    }
    case "argmin": {
      let m = Number.POSITIVE_INFINITY;
      let at = 0;
      for (let j = 0; j < n; j++) {
        const v = d[base + inner[j]!]!;
        if (Number.isNaN(v)) return j;
        if (v < m) {
          m = v;
          at = j;
        }
      }
      return at;
    }
    case "any": {
      for (let j = 0; j < n; j++) if (d[base + inner[j]!] !== 0) return 1;
      return 0;
    }
    case "all": {
      for (let j = 0; j < n; j++) if (d[base + inner[j]!] === 0) return 0;
      return 1;
    }
  }
}

export function cumsum(x: View, out: TypedArray): void {
  const nd = x.shape.length;
  if (nd === 0) {
    out[0] = x.data[x.offset]!;
    return;
  }
  const len = x.shape[nd - 1]!;
  const step = x.strides[nd - 1]!;
  const outer = elementOffsets(x.shape.slice(0, nd - 1), x.strides.slice(0, nd - 1));
  const d = x.data;
  let k = 0;
  for (let o = 0; o < outer.length; o++) {
    let p = x.offset + outer[o]!;
    let s = 0;
    for (let i = 0; i < len; i++, p += step) {
      s += d[p]!;
      out[k++] = s;
    }
  }
}

// The native backend: every kernel of the Backend seam runs in C through the N-API addon.
// Views are described in the addon's shared Int32Array `meta`, so a call allocates nothing and
// copies no data. Rare dtype mixes the C kernels do not take fall back to the reference kernels.
// Depends on backend.ts, the reference backend and the addon loader only.

import type { TypedArray } from "../../core/dtype.ts";
import {
  type Backend,
  BINARY_OPS,
  type BinaryOp,
  REDUCE_OPS,
  type ReduceOp,
  UNARY_OPS,
  type UnaryOp,
  type View,
} from "../backend.ts";
import { referenceBackend as ref } from "../reference/index.ts";
import type { NativeAddon } from "./addon.ts";

/** C kernels take at most this many dims (KILN_MAX_DIMS in native/kiln.h). */
const MAX_DIMS = 16;

function codes<T extends string>(names: readonly T[]): Record<T, number> {
  return Object.fromEntries(names.map((n, i) => [n, i])) as Record<T, number>;
}
const UNARY_CODE = codes(UNARY_OPS);
const BINARY_CODE = codes(BINARY_OPS);
const REDUCE_CODE = codes(REDUCE_OPS);

/**
 * Elementwise ops on at most this many elements run in the reference's TypeScript loops:
 * crossing into C costs more there (measured: 1 element 127 ns native vs 73 ns TS, 32 even).
 */
const TINY = 16;

export interface NativeBackendOptions {
  /** Elementwise ops with at most this many elements stay in TypeScript (tests pass 0). */
  tinyInTs?: number;
}

function sameKind(a: TypedArray, b: TypedArray): boolean {
  return a.constructor === b.constructor;
}

/** Wraps a loaded addon as a Backend. */
export function createNativeBackend(
  addon: NativeAddon,
  options: NativeBackendOptions = {},
): Backend {
  const m = addon.meta;
  const tinyMax = options.tinyInTs ?? TINY;

  function tiny(shape: readonly number[]): boolean {
    let n = 1;
    for (let d = 0; d < shape.length; d++) n *= shape[d]!;
    return n <= tinyMax;
  }

  /** meta = [nd, shape..., then for each view: offset, strides...]. */
  function describe(shape: readonly number[], views: readonly View[]): void {
    const nd = shape.length;
    m[0] = nd;
    for (let d = 0; d < nd; d++) m[1 + d] = shape[d]!;
    let at = 1 + nd;
    for (const v of views) {
      m[at++] = v.offset;
      const s = v.strides;
      for (let d = 0; d < nd; d++) m[at++] = s[d]!;
    }
  }

  return {
    name: "native",
    unary(op: UnaryOp, x: View, out: View): void {
      if (out.shape.length > MAX_DIMS || tiny(out.shape)) {
        ref.unary(op, x, out);
        return;
      }
      describe(out.shape, [out, x]);
      addon.unary(UNARY_CODE[op], x.data, out.data);
    },
    binary(op: BinaryOp, a: View, b: View, out: View): void {
      if (out.shape.length > MAX_DIMS || tiny(out.shape) || !sameKind(a.data, b.data)) {
        ref.binary(op, a, b, out);
        return;
      }
      describe(out.shape, [out, a, b]);
      addon.binary(BINARY_CODE[op], a.data, b.data, out.data);
    },
    where(cond: View, a: View, b: View, out: View): void {
      if (
        out.shape.length > MAX_DIMS ||
        tiny(out.shape) ||
        !(cond.data instanceof Uint8Array) ||
        !sameKind(a.data, out.data) ||
        !sameKind(b.data, out.data)
      ) {
        ref.where(cond, a, b, out);
        return;
      }
      describe(out.shape, [out, cond, a, b]);
      addon.where(cond.data, a.data, b.data, out.data);
    },
    reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void {
      if (x.shape.length > MAX_DIMS) {
        ref.reduce(op, x, keptDims, out);
        return;
      }
      describe(x.shape, [x]);
      addon.reduce(REDUCE_CODE[op], x.data, keptDims, out);
    },
    cumsum(x: View, out: TypedArray): void {
      if (x.shape.length > MAX_DIMS) {
        ref.cumsum(x, out);
        return;
      }
      describe(x.shape, [x]);
      addon.cumsum(x.data, out);
    },
    matmul(a: View, b: View, out: TypedArray): void {
      if (!sameKind(a.data, b.data) || !sameKind(a.data, out) || a.data instanceof Uint8Array) {
        ref.matmul(a, b, out);
        return;
      }
      const sa = a.strides;
      const sb = b.strides;
      m[0] = a.shape[0]!;
      m[1] = a.shape[1]!;
      m[2] = a.shape[2]!;
      m[3] = b.shape[2]!;
      m[4] = a.offset;
      m[5] = sa[0]!;
      m[6] = sa[1]!;
      m[7] = sa[2]!;
      m[8] = b.offset;
      m[9] = sb[0]!;
      m[10] = sb[1]!;
      m[11] = sb[2]!;
      addon.matmul(a.data, b.data, out);
    },
    take(x: View, index: Int32Array, out: TypedArray): void {
      if (x.shape.length > MAX_DIMS) {
        ref.take(x, index, out);
        return;
      }
      describe(x.shape, [x]);
      addon.take(x.data, index, out);
    },
    put(target: View, index: Int32Array, values: View, accumulate: boolean): void {
      if (target.shape.length > MAX_DIMS) {
        ref.put(target, index, values, accumulate);
        return;
      }
      describe(target.shape, [target]);
      m[2 + 2 * target.shape.length] = values.offset;
      addon.put(target.data, index, values.data, accumulate);
    },
  };
}

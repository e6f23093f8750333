// The native backend: every kernel of the Backend seam runs in C through the N-API addon.
// Views are described in the addon's shared Float64Array `meta` by the marshallers generated from
// the kernels' ABI description (addon-abi.ts), so a call allocates nothing and copies no data.
// Rare dtype mixes the C kernels do not take fall back to the reference kernels.
// Depends on backend.ts, the reference backend, the addon loader and addon-abi.ts only.

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
import {
  type FlatBinary,
  type FlatUnary,
  flatBinary,
  flatUnary,
} from "../reference/elementwise.ts";
import { referenceBackend as ref } from "../reference/index.ts";
import type { NativeAddon } from "./addon.ts";
import { bindPrimitives } from "./addon-abi.ts";
import { createNativeFused } from "./fused.ts";

/** C kernels take at most this many dims (KILN_MAX_DIMS in native/kiln.h). */
const MAX_DIMS = 16;

/** Each op's opcode: its position in the addon's own name list (the loader checked all exist). */
function codes<T extends string>(
  ours: readonly T[],
  addonNames: readonly string[],
): Record<T, number> {
  return Object.fromEntries(ours.map((n) => [n, addonNames.indexOf(n)])) as Record<T, number>;
}

/**
 * Elementwise ops on at most this many elements run in the reference's TypeScript loops:
 * crossing into C costs more there (measured: 1 element 127 ns native vs 73 ns TS, 32 even).
 */
const TINY = 16;

export interface NativeBackendOptions {
  /** Elementwise ops with at most this many elements stay in TypeScript (tests pass 0). */
  tinyInTs?: number;
  /** false: leave the fused kernels out, so composite ops run their composition. */
  fused?: boolean;
}

function numel(shape: readonly number[]): number {
  let n = 1;
  for (let d = 0; d < shape.length; d++) n *= shape[d]!;
  return n;
}

function sameKind(a: TypedArray, b: TypedArray): boolean {
  return a.constructor === b.constructor;
}

/** Wraps a loaded addon as a Backend. */
export function createNativeBackend(
  addon: NativeAddon,
  options: NativeBackendOptions = {},
): Backend {
  const p = bindPrimitives(addon, addon.meta);
  const UNARY_CODE = codes(UNARY_OPS, addon.unaryOps);
  const BINARY_CODE = codes(BINARY_OPS, addon.binaryOps);
  const REDUCE_CODE = codes(REDUCE_OPS, addon.reduceOps);
  const tinyMax = options.tinyInTs ?? TINY;

  const flatU: (FlatUnary | undefined)[] = [];
  const flatB: (FlatBinary | undefined)[] = [];

  /** The element count when every view is laid out back to back over it, and it is tiny; else -1. */
  function tinyDense(out: View, a: View, b: View | null): number {
    const shape = out.shape;
    let n = 1;
    for (let d = 0; d < shape.length; d++) n *= shape[d]!;
    if (n > tinyMax) return -1;
    if (n <= 1) return n;
    let expected = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const size = shape[d]!;
      if (size === 1) continue;
      if (out.strides[d] !== expected || a.strides[d] !== expected) return -1;
      if (b !== null && b.strides[d] !== expected) return -1;
      expected *= size;
    }
    return n;
  }

  const fused = options.fused === false ? undefined : createNativeFused(addon);

  return {
    name: "native",
    ...(fused === undefined ? {} : { fused }),
    unary(op: UnaryOp, x: View, out: View): void {
      const nd = out.shape.length;
      if (nd > MAX_DIMS) {
        ref.unary(op, x, out);
        return;
      }
      const code = UNARY_CODE[op];
      const n = tinyDense(out, x, null);
      if (n >= 0) {
        const boolOut = out.data instanceof Uint8Array;
        const k = 2 * code + (boolOut ? 1 : 0);
        const f = (flatU[k] ??= flatUnary(op, boolOut));
        f(x.data, x.offset, out.data, out.offset, n);
        return;
      }
      if (tinyMax > 0 && numel(out.shape) <= tinyMax) {
        ref.unary(op, x, out);
        return;
      }
      p.unary({ op: code, out, x });
    },
    binary(op: BinaryOp, a: View, b: View, out: View): void {
      const nd = out.shape.length;
      if (nd > MAX_DIMS || !sameKind(a.data, b.data)) {
        ref.binary(op, a, b, out);
        return;
      }
      const code = BINARY_CODE[op];
      const n = tinyDense(out, a, b);
      if (n >= 0) {
        const boolOut = out.data instanceof Uint8Array;
        const k = 2 * code + (boolOut ? 1 : 0);
        const f = (flatB[k] ??= flatBinary(op, boolOut));
        f(a.data, a.offset, b.data, b.offset, out.data, out.offset, n);
        return;
      }
      if (tinyMax > 0 && numel(out.shape) <= tinyMax) {
        ref.binary(op, a, b, out);
        return;
      }
      p.binary({ op: code, out, a, b });
    },
    where(cond: View, a: View, b: View, out: View): void {
      if (
        out.shape.length > MAX_DIMS ||
        numel(out.shape) <= tinyMax ||
        !(cond.data instanceof Uint8Array) ||
        !sameKind(a.data, out.data) ||
        !sameKind(b.data, out.data)
      ) {
        ref.where(cond, a, b, out);
        return;
      }
      p.where({ out, cond, a, b });
    },
    reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void {
      if (x.shape.length > MAX_DIMS) {
        ref.reduce(op, x, keptDims, out);
        return;
      }
      p.reduce({ op: REDUCE_CODE[op], kept: keptDims, x, out });
    },
    cumsum(x: View, out: TypedArray): void {
      if (x.shape.length > MAX_DIMS) {
        ref.cumsum(x, out);
        return;
      }
      p.cumsum({ x, out });
    },
    matmul(a: View, b: View, out: TypedArray): void {
      if (!sameKind(a.data, b.data) || !sameKind(a.data, out) || a.data instanceof Uint8Array) {
        ref.matmul(a, b, out);
        return;
      }
      const sa = a.strides;
      const sb = b.strides;
      p.matmul({
        B: a.shape[0]!,
        M: a.shape[1]!,
        K: a.shape[2]!,
        N: b.shape[2]!,
        aOffset: a.offset,
        aStrideB: sa[0]!,
        aStrideM: sa[1]!,
        aStrideK: sa[2]!,
        bOffset: b.offset,
        bStrideB: sb[0]!,
        bStrideK: sb[1]!,
        bStrideN: sb[2]!,
        a: a.data,
        b: b.data,
        out,
      });
    },
    take(x: View, index: Int32Array, out: TypedArray): void {
      if (x.shape.length > MAX_DIMS) {
        ref.take(x, index, out);
        return;
      }
      p.take({ x, index, out });
    },
    put(target: View, index: Int32Array, values: View, accumulate: boolean): void {
      if (target.shape.length > MAX_DIMS) {
        ref.put(target, index, values, accumulate);
        return;
      }
      p.put({ target, index, values, accumulate });
    },
  };
}

// The wasm backend: every kernel of the Backend seam runs in the C kernels compiled to
// WebAssembly (wasm/kiln.wasm). Tensors' storage is JavaScript typed arrays, so each call copies
// the span of every operand view into the module's arena and the written spans back; shapes and
// strides travel in the module's meta array, laid out as the native addon's. Dtype mixes the C
// kernels do not take, and tiny ops, run in the reference kernels (as the native backend does).
// Depends on backend.ts, the reference backend and module.ts only (no Node API).

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
import { arenaOf, dtypeCode, type KilnWasmExports, opNames } from "./module.ts";
import { createWasmFused } from "./wasm-fused.ts";

/** C kernels take at most this many dims (KILN_MAX_DIMS in native/kiln.h). */
const MAX_DIMS = 16;

/** Elementwise ops on at most this many elements run in the reference's TypeScript loops. */
const TINY = 16;

export interface WasmBackendOptions {
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

/**
 * Each op's opcode: its position in the module's own name list, or -1 for an op the module lacks
 * (a kiln.wasm older than elementwise_ops.h: that op runs in the reference kernels).
 */
function codes<T extends string>(ours: readonly T[], theirs: string[]): Record<T, number> {
  return Object.fromEntries(ours.map((n) => [n, theirs.indexOf(n)])) as Record<T, number>;
}

/** Whether a view walks its shape row-major without gaps (so a kernel writes its whole span). */
function rowMajor(v: View, shape: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const size = shape[d]!;
    if (size === 1) continue;
    if (v.strides[d] !== expected) return false;
    expected *= size;
  }
  return true;
}

/** Wraps an instantiated kiln.wasm as a Backend. */
export function createWasmBackend(ex: KilnWasmExports, options: WasmBackendOptions = {}): Backend {
  const mem = arenaOf(ex);
  const UNARY_CODE = codes(UNARY_OPS, opNames(ex, 0));
  const BINARY_CODE = codes(BINARY_OPS, opNames(ex, 1));
  const REDUCE_CODE = codes(REDUCE_OPS, opNames(ex, 2));
  const tinyMax = options.tinyInTs ?? TINY;

  // The span [lo, lo + n) of each placed view and its arena address, by slot.
  const spanLo = [0, 0, 0, 0];
  const spanN = [0, 0, 0, 0];

  /**
   * Copies the span of view v over `shape` into the arena (an output that the kernel writes
   * whole is not copied in), writes its offset within the span and its strides to meta[at...];
   * returns its address.
   */
  function place(
    slot: number,
    v: View,
    shape: readonly number[],
    at: number,
    out: boolean,
  ): number {
    let lo = v.offset;
    let hi = v.offset;
    let empty = false;
    for (let d = 0; d < shape.length; d++) {
      const n = shape[d]!;
      if (n === 0) empty = true;
      const s = v.strides[d]! * (n - 1);
      if (s > 0) hi += s;
      else lo += s;
    }
    if (empty) hi = lo - 1;
    const n = hi - lo + 1;
    spanLo[slot] = lo;
    spanN[slot] = n;
    const p = out && rowMajor(v, shape) ? mem.room(v.data, n) : mem.copyIn(v.data, lo, lo + n);
    const meta = mem.meta;
    meta[at] = v.offset - lo;
    for (let d = 0; d < shape.length; d++) meta[at + 1 + d] = v.strides[d]!;
    return p;
  }

  function putShape(shape: readonly number[]): void {
    const meta = mem.meta;
    meta[0] = shape.length;
    for (let d = 0; d < shape.length; d++) meta[1 + d] = shape[d]!;
  }

  /** Index checked to lie in [0, n) (the C kernels trust it), copied in. */
  function placeIndex(index: Int32Array, n: number, kernel: string): number {
    for (let i = 0; i < index.length; i++) {
      const k = index[i]!;
      if (k < 0 || k >= n)
        throw new RangeError(`kiln wasm: ${kernel} index ${k} out of range [0, ${n})`);
    }
    return mem.copyIn(index, 0, index.length);
  }

  const fused = options.fused === false ? undefined : createWasmFused(mem);

  return {
    name: "wasm",
    ...(fused === undefined ? {} : { fused }),
    unary(op: UnaryOp, x: View, out: View): void {
      const shape = out.shape;
      const xd = dtypeCode(x.data);
      const od = dtypeCode(out.data);
      if (
        shape.length > MAX_DIMS ||
        xd < 0 ||
        od < 0 ||
        UNARY_CODE[op] < 0 ||
        numel(shape) <= tinyMax
      ) {
        ref.unary(op, x, out);
        return;
      }
      const nd = shape.length;
      mem.reset();
      const po = place(0, out, shape, 1 + nd, true);
      const px = place(1, x, shape, 2 + 2 * nd, false);
      putShape(shape);
      if (ex.kw_unary(UNARY_CODE[op], po, od, px, xd) !== 0) {
        ref.unary(op, x, out);
        return;
      }
      mem.copyOut(po, out.data, spanLo[0]!, spanN[0]!);
    },
    binary(op: BinaryOp, a: View, b: View, out: View): void {
      const shape = out.shape;
      const ad = dtypeCode(a.data);
      const bd = dtypeCode(b.data);
      const od = dtypeCode(out.data);
      if (
        shape.length > MAX_DIMS ||
        ad < 0 ||
        od < 0 ||
        a.data.constructor !== b.data.constructor ||
        BINARY_CODE[op] < 0 ||
        numel(shape) <= tinyMax
      ) {
        ref.binary(op, a, b, out);
        return;
      }
      const nd = shape.length;
      mem.reset();
      const po = place(0, out, shape, 1 + nd, true);
      const pa = place(1, a, shape, 2 + 2 * nd, false);
      const pb = place(2, b, shape, 3 + 3 * nd, false);
      putShape(shape);
      if (ex.kw_binary(BINARY_CODE[op], po, od, pa, ad, pb, bd) !== 0) {
        ref.binary(op, a, b, out);
        return;
      }
      mem.copyOut(po, out.data, spanLo[0]!, spanN[0]!);
    },
    where(cond: View, a: View, b: View, out: View): void {
      const shape = out.shape;
      const od = dtypeCode(out.data);
      if (
        shape.length > MAX_DIMS ||
        numel(shape) <= tinyMax ||
        od < 0 ||
        dtypeCode(cond.data) !== 0 ||
        a.data.constructor !== out.data.constructor ||
        b.data.constructor !== out.data.constructor
      ) {
        ref.where(cond, a, b, out);
        return;
      }
      const nd = shape.length;
      mem.reset();
      const po = place(0, out, shape, 1 + nd, true);
      const pc = place(1, cond, shape, 2 + 2 * nd, false);
      const pa = place(2, a, shape, 3 + 3 * nd, false);
      const pb = place(3, b, shape, 4 + 4 * nd, false);
      putShape(shape);
      if (ex.kw_where(po, od, pc, pa, od, pb, od) !== 0) {
        ref.where(cond, a, b, out);
        return;
      }
      mem.copyOut(po, out.data, spanLo[0]!, spanN[0]!);
    },
    reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void {
      const shape = x.shape;
      const xd = dtypeCode(x.data);
      const od = dtypeCode(out);
      if (shape.length > MAX_DIMS || xd < 0 || od < 0 || REDUCE_CODE[op] < 0) {
        ref.reduce(op, x, keptDims, out);
        return;
      }
      let nout = 1;
      for (let d = 0; d < keptDims; d++) nout *= shape[d]!;
      mem.reset();
      const px = place(0, x, shape, 1 + shape.length, false);
      const po = mem.room(out, nout);
      putShape(shape);
      if (ex.kw_reduce(REDUCE_CODE[op], keptDims, px, xd, po, od) !== 0) {
        ref.reduce(op, x, keptDims, out);
        return;
      }
      mem.copyOut(po, out, 0, nout);
    },
    cumsum(x: View, out: TypedArray): void {
      const shape = x.shape;
      const xd = dtypeCode(x.data);
      const od = dtypeCode(out);
      if (shape.length > MAX_DIMS || xd < 0 || od < 0) {
        ref.cumsum(x, out);
        return;
      }
      const n = numel(shape);
      mem.reset();
      const px = place(0, x, shape, 1 + shape.length, false);
      const po = mem.room(out, n);
      putShape(shape);
      if (ex.kw_cumsum(px, xd, po, od) !== 0) {
        ref.cumsum(x, out);
        return;
      }
      mem.copyOut(po, out, 0, n);
    },
    matmul(a: View, b: View, out: TypedArray): void {
      const dt = dtypeCode(a.data);
      if (
        (dt !== 2 && dt !== 3 && dt !== 1) ||
        a.data.constructor !== b.data.constructor ||
        a.data.constructor !== out.constructor
      ) {
        ref.matmul(a, b, out);
        return;
      }
      const [B, M, K] = a.shape as [number, number, number];
      const N = b.shape[2]!;
      if (B * M * N === 0) return;
      mem.reset();
      // place() writes offset and strides to meta[at...]; scratch positions, rewritten below.
      const pa = place(0, a, a.shape, 20, false);
      const pb = place(1, b, b.shape, 24, false);
      const po = mem.room(out, B * M * N);
      const meta = mem.meta;
      const es = a.data.BYTES_PER_ELEMENT;
      const aFirst = pa + meta[20]! * es;
      const bFirst = pb + meta[24]! * es;
      meta[0] = B;
      meta[1] = M;
      meta[2] = K;
      meta[3] = N;
      for (let d = 0; d < 3; d++) {
        meta[4 + d] = a.strides[d]!;
        meta[7 + d] = b.strides[d]!;
      }
      if (ex.kw_matmul(dt, aFirst, bFirst, po) !== 0) {
        ref.matmul(a, b, out);
        return;
      }
      mem.copyOut(po, out, 0, B * M * N);
    },
    take(x: View, index: Int32Array, out: TypedArray): void {
      const shape = x.shape;
      const xd = dtypeCode(x.data);
      const od = dtypeCode(out);
      if (shape.length > MAX_DIMS || xd < 0 || od < 0) {
        ref.take(x, index, out);
        return;
      }
      const n = index.length;
      mem.reset();
      const px = place(0, x, shape, 1 + shape.length, false);
      const pi = placeIndex(index, numel(shape), "take");
      const po = mem.room(out, n);
      putShape(shape);
      if (ex.kw_take(px, xd, pi, n, po, od) !== 0) {
        ref.take(x, index, out);
        return;
      }
      mem.copyOut(po, out, 0, n);
    },
    put(target: View, index: Int32Array, values: View, accumulate: boolean): void {
      const shape = target.shape;
      const td = dtypeCode(target.data);
      const vd = dtypeCode(values.data);
      if (shape.length > MAX_DIMS || td < 0 || vd < 0) {
        ref.put(target, index, values, accumulate);
        return;
      }
      const n = index.length;
      mem.reset();
      const pt = place(0, target, shape, 1 + shape.length, false);
      const pi = placeIndex(index, numel(shape), "put");
      const pv = mem.copyIn(values.data, values.offset, values.offset + n);
      putShape(shape);
      if (ex.kw_put(pt, td, pi, n, pv, vd, accumulate ? 1 : 0) !== 0) {
        ref.put(target, index, values, accumulate);
        return;
      }
      mem.copyOut(pt, target.data, spanLo[0]!, spanN[0]!);
    },
  };
}

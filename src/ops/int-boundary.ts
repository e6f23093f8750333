// The kernel boundary of the integer dtypes no backend kernel reads: int64 (BigInt64Array),
// uint8 (Uint8Values), int8 and int16. Every kernel call passes through `withIntegerBoundary`,
// which hands kernels float64 (int64) or int32 (the small ints) working copies and writes results
// back: int64 exactly or not at all (±(2^53 − 1)), the small ints wrapping around as PyTorch's.
// Depends on core and the backend seam only; backends never see these typed arrays.

import type { Backend, BinaryOp, ReduceOp, UnaryOp, View } from "../backend/backend.ts";
import {
  INT64_EXACT,
  int64RangeError,
  type StorageArray,
  type TypedArray,
  Uint8Values,
} from "../core/dtype.ts";
import { DTypeError } from "../core/errors.ts";

/** 0: a typed array kernels read; 1: int64; 2: uint8, int8 or int16. */
type Kind = 0 | 1 | 2;

function kindOf(d: StorageArray): Kind {
  const c = d.constructor;
  if (c === Float32Array || c === Float64Array || c === Int32Array || c === Uint8Array) return 0;
  if (c === BigInt64Array) return 1;
  if (c === Int16Array || c === Int8Array || c === Uint8Values) return 2;
  return 0;
}

const BIG_MAX = BigInt(INT64_EXACT);
const BIG_MIN = -BIG_MAX;

/** Calls `f` with the storage position of every element of `v` (repeats of 0-stride dims once). */
function eachPosition(v: View, f: (p: number) => void): void {
  const shape: number[] = [];
  const strides: number[] = [];
  for (let d = 0; d < v.shape.length; d++) {
    const n = v.shape[d]!;
    if (n === 0) return;
    if (n === 1 || v.strides[d] === 0) continue;
    shape.push(n);
    strides.push(v.strides[d]!);
  }
  const nd = shape.length;
  if (nd === 0) {
    f(v.offset);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  let p = v.offset;
  for (;;) {
    f(p);
    let d = nd - 1;
    for (; d >= 0; d--) {
      p += strides[d]!;
      if (++idx[d]! < shape[d]!) break;
      p -= strides[d]! * shape[d]!;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Storage positions of every element of `v` in row-major order (0-stride dims repeated). */
function positionsOf(v: View): Float64Array {
  const n = v.shape.reduce((a, s) => a * s, 1);
  const out = new Float64Array(n);
  if (n === 0) return out;
  const nd = v.shape.length;
  const idx = new Array<number>(nd).fill(0);
  let p = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = p;
    for (let d = nd - 1; d >= 0; d--) {
      p += v.strides[d]!;
      if (++idx[d]! < v.shape[d]!) break;
      p -= v.strides[d]! * v.shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}

/** Copies int64 values exactly (any value), element i of `x` to element i of `out`. */
function copyInt64(x: View, out: View): void {
  const src = x.data as unknown as BigInt64Array;
  const dst = out.data as unknown as BigInt64Array;
  const from = positionsOf(x);
  const to = positionsOf(out);
  for (let i = 0; i < to.length; i++) dst[to[i]!] = src[from[i]!]!;
}

/**
 * Casts int64 values into any other storage exactly as PyTorch converts them, whatever their
 * size: to floating by rounding to nearest (through float64 for float32), to the narrower integer
 * dtypes and bool by wrapping around (`BigInt.asIntN`) or testing for zero.
 */
function castInt64(x: View, out: View): void {
  const src = x.data as unknown as BigInt64Array;
  const dst = out.data;
  const from = positionsOf(x);
  const to = positionsOf(out);
  const c = dst.constructor;
  const toFloat = c === Float32Array || c === Float64Array;
  const toBool = c === Uint8Array;
  for (let i = 0; i < to.length; i++) {
    const v = src[from[i]!]!;
    dst[to[i]!] = toFloat ? Number(v) : toBool ? (v !== 0n ? 1 : 0) : Number(BigInt.asIntN(32, v));
  }
}

/** The lowest storage position `v` reaches and the length of the span it covers. */
function span(v: View): [number, number] {
  let lo = v.offset;
  let hi = v.offset;
  for (let d = 0; d < v.shape.length; d++) {
    const n = v.shape[d]!;
    if (n === 0) return [v.offset, 0];
    const s = v.strides[d]! * (n - 1);
    if (s < 0) lo += s;
    else hi += s;
  }
  return [lo, hi - lo + 1];
}

/** A working copy of `v` (float64 for int64, int32 otherwise), filled when `read`. */
function working(op: string, v: View, kind: Kind, read: boolean): View {
  const [lo, len] = span(v);
  const data = kind === 1 ? new Float64Array(len) : new Int32Array(len);
  const out: View = { data, shape: v.shape, strides: v.strides, offset: v.offset - lo };
  if (!read) return out;
  const src = v.data;
  if (kind === 1) {
    const s = src as unknown as BigInt64Array;
    eachPosition(v, (p) => {
      const x = s[p]!;
      if (x > BIG_MAX || x < BIG_MIN) throw int64RangeError(op, x);
      data[p - lo] = Number(x);
    });
  } else {
    eachPosition(v, (p) => {
      data[p - lo] = src[p] as number;
    });
  }
  return out;
}

/**
 * A kernel's result in a working copy written into the view `v` of int64 or small-int storage:
 * int64 values must be integers within ±(2^53 − 1) (`truncate`: a cast, which rounds towards zero
 * first, as PyTorch's conversion does); the small ints wrap around (typed-array stores).
 */
function writeBack(op: string, v: View, w: View, kind: Kind, truncate: boolean): void {
  const shift = v.offset - w.offset;
  const src = w.data as Float64Array | Int32Array;
  if (kind === 1) {
    const dst = v.data as unknown as BigInt64Array;
    eachPosition(v, (p) => {
      let x = src[p - shift]!;
      if (truncate) x = Math.trunc(x);
      dst[p] = toBigInt(op, x);
    });
  } else {
    const dst = v.data as Int32Array;
    eachPosition(v, (p) => {
      dst[p] = src[p - shift]!;
    });
  }
}

/** An integral float64 result as an int64, or a DTypeError saying why it is not one. */
function toBigInt(op: string, x: number): bigint {
  if (Number.isInteger(x) && Math.abs(x) <= INT64_EXACT) return BigInt(x);
  if (Number.isNaN(x) || !Number.isFinite(x)) {
    throw new DTypeError(
      `${op}: an int64 result is ${x} (integer division or remainder by zero is a ZeroDivisionError in PyTorch; a NaN or infinite float has no int64 value)`,
    );
  }
  if (!Number.isInteger(x) && Math.abs(x) < INT64_EXACT) {
    throw new DTypeError(
      `${op}: an int64 result is ${x}, not an integer (PyTorch refuses integers to negative integer powers; compute in floating point with .double())`,
    );
  }
  throw int64RangeError(op, x);
}

function viewOfArray(a: TypedArray): View {
  return { data: a, shape: [a.length], strides: [1], offset: 0 };
}

/** Runs `kernel` with `out` (a whole contiguous array) through a working copy when it needs one. */
function intoArray(op: string, out: TypedArray, kernel: (o: TypedArray) => void): void {
  const k = kindOf(out);
  if (k === 0) {
    kernel(out);
    return;
  }
  const v = viewOfArray(out);
  const w = working(op, v, k, false);
  kernel(w.data);
  writeBack(op, v, w, k, false);
}

function input(op: string, v: View): View {
  const k = kindOf(v.data);
  return k === 0 ? v : working(op, v, k, true);
}

/** Runs an elementwise kernel whose output view `out` may need a working copy. */
function intoView(
  op: string,
  out: View,
  truncate: boolean,
  read: boolean,
  kernel: (o: View) => void,
): void {
  const k = kindOf(out.data);
  if (k === 0) {
    kernel(out);
    return;
  }
  const w = working(op, out, k, read);
  kernel(w);
  writeBack(op, out, w, k, truncate);
}

/**
 * `b` with every kernel taking int64, uint8, int8 and int16 operands through working copies (see
 * the file comment); calls on the other dtypes go straight through after a type test per array.
 */
export function withIntegerBoundary(b: Backend): Backend {
  const plain = (v: View) => kindOf(v.data) === 0;
  return {
    name: b.name,
    ...(b.fused !== undefined ? { fused: b.fused } : {}),
    unary(op: UnaryOp, x: View, out: View): void {
      if (plain(x) && plain(out)) {
        b.unary(op, x, out);
        return;
      }
      // int64 copies and casts need no arithmetic: exact over the whole range.
      if (op === "copy" && kindOf(x.data) === 1) {
        if (kindOf(out.data) === 1) copyInt64(x, out);
        else castInt64(x, out);
        return;
      }
      const xi = input(op, x);
      intoView(op, out, op === "copy", false, (o) => b.unary(op, xi, o));
    },
    binary(op: BinaryOp, a: View, bv: View, out: View): void {
      if (plain(a) && plain(bv) && plain(out)) {
        b.binary(op, a, bv, out);
        return;
      }
      const ai = input(op, a);
      const bi = input(op, bv);
      intoView(op, out, false, false, (o) => b.binary(op, ai, bi, o));
    },
    where(cond: View, a: View, bv: View, out: View): void {
      if (plain(a) && plain(bv) && plain(out) && plain(cond)) {
        b.where(cond, a, bv, out);
        return;
      }
      const ci = input("where", cond);
      const ai = input("where", a);
      const bi = input("where", bv);
      intoView("where", out, false, false, (o) => b.where(ci, ai, bi, o));
    },
    reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void {
      const xi = input(op, x);
      intoArray(op, out, (o) => b.reduce(op, xi, keptDims, o));
    },
    cumsum(x: View, out: TypedArray): void {
      const xi = input("cumsum", x);
      intoArray("cumsum", out, (o) => b.cumsum(xi, o));
    },
    matmul(a: View, bv: View, out: TypedArray): void {
      const ai = input("matmul", a);
      const bi = input("matmul", bv);
      intoArray("matmul", out, (o) => b.matmul(ai, bi, o));
    },
    take(x: View, index: Int32Array, out: TypedArray): void {
      if (kindOf(x.data) === 1 && kindOf(out) === 1) {
        const pos = positionsOf(x);
        const src = x.data as unknown as BigInt64Array;
        const dst = out as unknown as BigInt64Array;
        for (let i = 0; i < index.length; i++) dst[i] = src[pos[index[i]!]!]!;
        return;
      }
      const xi = input("take", x);
      intoArray("take", out, (o) => b.take(xi, index, o));
    },
    put(target: View, index: Int32Array, values: View, accumulate: boolean): void {
      if (!accumulate && kindOf(target.data) === 1 && kindOf(values.data) === 1) {
        const pos = positionsOf(target);
        const from = positionsOf(values);
        const src = values.data as unknown as BigInt64Array;
        const dst = target.data as unknown as BigInt64Array;
        for (let i = 0; i < index.length; i++) dst[pos[index[i]!]!] = src[from[i]!]!;
        return;
      }
      const vi = input("put", values);
      intoView("put", target, false, true, (t) => b.put(t, index, vi, accumulate));
    },
  };
}

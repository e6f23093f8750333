// Conformance cases of the primitive kernels (unary, binary, where, reduce, cumsum, matmul, take,
// put): random shapes and strided layouts, every op code and dtype, each run on the backend under
// test at every thread count and compared with the reference backend. Outputs live inside
// sentinel-filled buffers, so a write outside the output view fails the case.

import {
  type Backend,
  BINARY_OPS,
  type BinaryOp,
  REDUCE_OPS,
  type ReduceOp,
  UNARY_OPS,
  type UnaryOp,
  type View,
} from "../../src/backend/backend.ts";
import { BINARY, UNARY } from "../../src/backend/elementwise-ops.ts";
import { allocate } from "../../src/core/dtype.ts";
import {
  absView,
  assertClose,
  assertGuardIntact,
  assertOnlyViewWritten,
  copyView,
  type FillOptions,
  FLOATS,
  guardedOf,
  KDTYPES,
  type KDType,
  LAYOUTS,
  type Layout,
  makeView,
  numel,
  OUT_LAYOUTS,
  pick,
  readView,
  ref,
  sentinelOf,
  type Tolerance,
  UNIT_ROUNDOFF,
  ulpTolerance,
  withThreads,
} from "./helpers.ts";

/** What one primitive case needs: the kernels under test, the thread counts, and a counter. */
export interface Ctx {
  kernels: Backend;
  threads: readonly number[];
  r: () => number;
  /** Called once per case, with the kernel's name. */
  count: (kernel: string) => void;
}

/**
 * Transcendental functions: C's libm (glibc: at most 1-2 ulp for exp, log, sin, cos, tanh,
 * expm1, log1p, erf, pow, the trigonometric and hyperbolic functions in double, per its libm-test-ulps tables; float versions ≤ 1-2 ulp)
 * against V8's fdlibm ports (< 1 ulp) and the reference's own erf (≈ 1e-15 relative ≈ 4.5 ulp
 * of float64). sigmoid and rsqrt add one division's rounding. Two libraries each within their
 * bound differ by at most the sum: 8 ulps of the result covers every pair.
 */
const TRANSCENDENTAL_ULPS = 8;
/** The transcendental ops, as their definitions declare them (src/backend/elementwise-ops.ts). */
export const INEXACT_UNARY = new Set<UnaryOp>(UNARY_OPS.filter((op) => !UNARY[op].exact));
export const INEXACT_BINARY = new Set<BinaryOp>(BINARY_OPS.filter((op) => !BINARY[op].exact));

export function randomShape(r: () => number, maxNd = 4, maxDim = 6): number[] {
  const nd = Math.floor(r() * (maxNd + 1));
  return Array.from({ length: nd }, () => 1 + Math.floor(r() * maxDim));
}

/** Random shapes plus the edge cases every kernel sees: 0-d, zero-size, unit and odd sizes. */
function shapePool(r: () => number): number[][] {
  return [
    randomShape(r),
    randomShape(r),
    [],
    [0],
    [3, 0, 2],
    [1],
    [5, 67],
    [2, 1, 3, 4],
    randomShape(r, 3, 40),
  ];
}

/** Over 2²⁰ elements, odd extents: past every threading threshold, with unequal shares. */
export const LARGE_SHAPES: readonly number[][] = [
  [1100, 1001],
  [3, 513, 701],
];

/** The shapes of case k of a kernel's loop: cycles through the pool so every edge case is hit. */
function shapeFor(pool: number[][], k: number): number[] {
  return pool[k % pool.length]!;
}

/** Every third case carries NaN, ±inf, ±0 and int extremes. */
function fillFor(k: number): FillOptions {
  return k % 3 === 2 ? { special: 0.1 } : {};
}

/** Runs the kernel under test at every thread count on a fresh copy of the output. */
function forThreads(ctx: Ctx, fn: (label: string) => void): void {
  withThreads(ctx.threads, (t) => fn(`${t} thread(s)`));
}

function describeView(v: View): string {
  return `[${v.shape}] strides [${v.strides}] offset ${v.offset}`;
}

/** Runs an elementwise kernel (out is a strided view) on both backends and compares. */
function elementwise(
  ctx: Ctx,
  kernel: string,
  what: string,
  outDtype: KDType,
  shape: readonly number[],
  run: (k: typeof ref, out: View) => void,
  tolerance: (want: Float64Array, got: Float64Array) => Tolerance,
): void {
  const r = ctx.r;
  const sentinel = sentinelOf(outDtype);
  const out = makeView(outDtype, shape, pick(r, OUT_LAYOUTS), r, { sentinel });
  const want = copyView(out);
  run(ref, want);
  const wantValues = readView(want);
  forThreads(ctx, (cfg) => {
    const got = copyView(out);
    run(ctx.kernels, got);
    const label = `${kernel} ${what} out ${describeView(out)}, ${cfg}`;
    const gotValues = readView(got);
    assertClose(label, gotValues, wantValues, tolerance(wantValues, gotValues));
    assertOnlyViewWritten(label, got, sentinel);
  });
  ctx.count(kernel);
}

function unaryTolerance(op: UnaryOp, dout: KDType) {
  return (want: Float64Array, got: Float64Array): Tolerance =>
    INEXACT_UNARY.has(op) && (dout === "float32" || dout === "float64")
      ? ulpTolerance(want, got, dout, TRANSCENDENTAL_ULPS)
      : null;
}

export function unaryCases(ctx: Ctx): void {
  const r = ctx.r;
  let k = 0;
  for (const op of UNARY_OPS) {
    for (const din of KDTYPES) {
      // Exact ops are checked into every output dtype (casts included); transcendental ones
      // into float outputs, as ops/ promotes them.
      for (const dout of INEXACT_UNARY.has(op) ? FLOATS : KDTYPES) {
        const pool = shapePool(r);
        for (let c = 0; c < 3; c++, k++) {
          const shape = shapeFor(pool, k);
          const layout = pick(r, LAYOUTS);
          const x = makeView(din, shape, layout, r, fillFor(k));
          const what = `${op} ${din}->${dout} x ${describeView(x)}`;
          elementwise(
            ctx,
            "unary",
            what,
            dout,
            shape,
            (b, o) => b.unary(op, x, o),
            unaryTolerance(op, dout),
          );
        }
      }
    }
  }
  const large: [UnaryOp, KDType, KDType, Layout][] = [
    ["exp", "float32", "float32", "permuted"],
    ["neg", "float64", "float64", "stepped"],
    ["copy", "int32", "int32", "negative"],
  ];
  large.forEach(([op, din, dout, layout], i) => {
    const shape = LARGE_SHAPES[i % LARGE_SHAPES.length]!;
    const x = makeView(din, shape, layout, r, { special: 0.01 });
    elementwise(
      ctx,
      "unary",
      `large ${op} ${din}->${dout} x ${describeView(x)}`,
      dout,
      shape,
      (b, o) => b.unary(op, x, o),
      unaryTolerance(op, dout),
    );
  });
}

/**
 * Ulps of the result, except for logaddexp: max(a, b) + log1p(e^−|a−b|) cancels when the max is
 * negative, and the two libraries' log1p/exp errors (ulps of a value below ln 2) then stay while
 * the result shrinks, so its tolerance is in ulps of 1.
 */
function binaryTolerance(
  op: BinaryOp,
  want: Float64Array,
  got: Float64Array,
  dout: "float32" | "float64",
): (i: number) => number {
  const ulps = ulpTolerance(want, got, dout, TRANSCENDENTAL_ULPS);
  if (op !== "logaddexp") return ulps;
  const one = ulpTolerance([1], [1], dout, TRANSCENDENTAL_ULPS)(0);
  return (i) => Math.max(ulps(i), one);
}

export function binaryCases(ctx: Ctx): void {
  const r = ctx.r;
  let k = 0;
  for (const op of BINARY_OPS) {
    const inexact = INEXACT_BINARY.has(op);
    for (const din of KDTYPES) {
      for (const dout of inexact ? FLOATS : KDTYPES) {
        const pool = shapePool(r);
        for (let c = 0; c < 3; c++, k++) {
          const shape = shapeFor(pool, k);
          const a = makeView(din, shape, pick(r, LAYOUTS), r, fillFor(k));
          const b = makeView(din, shape, pick(r, LAYOUTS), r, fillFor(k));
          const what = `${op} ${din}->${dout} a ${describeView(a)} b ${describeView(b)}`;
          elementwise(
            ctx,
            "binary",
            what,
            dout,
            shape,
            (kb, o) => kb.binary(op, a, b, o),
            (want, got) =>
              inexact && (dout === "float32" || dout === "float64")
                ? binaryTolerance(op, want, got, dout)
                : null,
          );
        }
      }
    }
  }
  const large: [BinaryOp, KDType, KDType][] = [
    ["add", "float32", "float32"],
    ["lt", "float64", "bool"],
    ["mul", "int32", "int32"],
  ];
  large.forEach(([op, din, dout], i) => {
    const shape = LARGE_SHAPES[i % LARGE_SHAPES.length]!;
    const a = makeView(din, shape, pick(r, LAYOUTS), r, {});
    const b = makeView(din, shape, "broadcast", r, {});
    elementwise(
      ctx,
      "binary",
      `large ${op} ${din}->${dout} a ${describeView(a)} b ${describeView(b)}`,
      dout,
      shape,
      (kb, o) => kb.binary(op, a, b, o),
      () => null,
    );
  });
}

export function whereCases(ctx: Ctx): void {
  const r = ctx.r;
  let k = 0;
  for (const d of KDTYPES) {
    const pool = shapePool(r);
    for (let c = 0; c < pool.length + 3; c++, k++) {
      const shape = shapeFor(pool, k);
      const cond = makeView("bool", shape, pick(r, LAYOUTS), r, {});
      const a = makeView(d, shape, pick(r, LAYOUTS), r, fillFor(k));
      const b = makeView(d, shape, pick(r, LAYOUTS), r, fillFor(k));
      elementwise(
        ctx,
        "where",
        `${d} cond ${describeView(cond)} a ${describeView(a)} b ${describeView(b)}`,
        d,
        shape,
        (kb, o) => kb.where(cond, a, b, o),
        () => null,
      );
    }
  }
  for (const [i, shape] of LARGE_SHAPES.entries()) {
    const d = i === 0 ? "float32" : "int32";
    const cond = makeView("bool", shape, "permuted", r, {});
    const a = makeView(d, shape, "stepped", r, {});
    const b = makeView(d, shape, "broadcast", r, {});
    elementwise(
      ctx,
      "where",
      `large ${d} [${shape}]`,
      d,
      shape,
      (kb, o) => kb.where(cond, a, b, o),
      () => null,
    );
  }
}

/** The output dtype ops/reduce.ts uses for each reduction. */
function reduceOutDtype(op: ReduceOp, d: KDType): KDType {
  if (op === "argmax" || op === "argmin") return "int32";
  if (op === "any" || op === "all") return "bool";
  if ((op === "sum" || op === "prod") && (d === "bool" || d === "int32")) return "int32";
  return d;
}

/** A random permutation of a view's dims (what ops do before reducing over chosen dims). */
function permuteDims(v: View, r: () => number): View {
  const order = [...v.shape.keys()].sort(() => r() - 0.5);
  return { ...v, shape: order.map((i) => v.shape[i]!), strides: order.map((i) => v.strides[i]!) };
}

/**
 * Float sums: the reference adds in float64 and rounds once; another backend may add in another
 * order or precision. A length-K sum's rounding errors are each ≤ u·Σ|x| and, in an unrelated
 * order, add like a random walk: ≈ √K·u·Σ|x| (Higham, Accuracy and Stability, §4.2 and §4.6),
 * plus one final rounding of the result. We allow 4·(√K + 1)·u·Σ|x|.
 */
function sumTolerance(dtype: KDType, K: number, absSum: ArrayLike<number>): Tolerance {
  if (dtype !== "float32" && dtype !== "float64") return null;
  const u = UNIT_ROUNDOFF[dtype];
  return (i) => 4 * (Math.sqrt(K) + 1) * u * absSum[i]!;
}

/**
 * Float products: each multiplication rounds with relative error ≤ u whatever the order, so a
 * length-K product is within (K + 1)·u relative of the exact one on either side (Higham §3.1);
 * twice that, plus the smallest normal for a product that underflows in one order only.
 */
function prodTolerance(dtype: "float32" | "float64", K: number, want: ArrayLike<number>) {
  const u = UNIT_ROUNDOFF[dtype];
  const tiny = dtype === "float32" ? 2 ** -126 : 2 ** -1022;
  return (i: number) => 2 * (K + 1) * u * Math.abs(want[i]!) + tiny;
}

function reduceOne(
  ctx: Ctx,
  op: ReduceOp,
  x: View,
  kept: number,
  what: string,
  dtype: KDType,
): void {
  const od = reduceOutDtype(op, dtype);
  const n = numel(x.shape.slice(0, kept));
  const K = numel(x.shape.slice(kept));
  const want = allocate(od, n);
  ref.reduce(op, x, kept, want);
  let tol: Tolerance = null;
  if (op === "sum" && (od === "float32" || od === "float64")) {
    const absSum = new Float64Array(n);
    ref.reduce("sum", absView(x), kept, absSum);
    tol = sumTolerance(od, K, absSum);
  } else if (op === "prod" && (od === "float32" || od === "float64")) {
    tol = prodTolerance(od, K, want);
  }
  forThreads(ctx, (cfg) => {
    const g = guardedOf(od, n);
    ctx.kernels.reduce(op, x, kept, g.out);
    const label = `reduce ${what}, ${cfg}`;
    assertClose(label, g.out, want, tol);
    assertGuardIntact(label, g, sentinelOf(od));
  });
  ctx.count("reduce");
}

export function reduceCases(ctx: Ctx): void {
  const r = ctx.r;
  let k = 0;
  for (const op of REDUCE_OPS) {
    for (const d of KDTYPES) {
      const pool = [...shapePool(r), [64, 129], [3, 300], [300, 3], [2, 3, 0]];
      for (let c = 0; c < pool.length; c++, k++) {
        const shape = shapeFor(pool, c);
        const fill = op === "prod" ? { ...fillFor(k), scale: 1.5 } : fillFor(k);
        const x = permuteDims(makeView(d, shape, pick(r, LAYOUTS), r, fill), r);
        // Two kept-dim counts per shape: all but one reduced, and a random split.
        const kepts = new Set([
          Math.max(x.shape.length - 1, 0),
          Math.floor(r() * (x.shape.length + 1)),
        ]);
        for (const kept of kepts) {
          const emptyBlock = numel(x.shape.slice(kept)) === 0;
          // max, min and the arg-reductions of an empty block are errors in ops/, never kernel calls
          if (emptyBlock && !["sum", "prod", "any", "all"].includes(op)) continue;
          const what = `${op} ${d} x ${describeView(x)} kept ${kept}`;
          reduceOne(ctx, op, x, kept, what, d);
        }
      }
    }
  }
  const large: [ReduceOp, KDType, number][] = [
    ["sum", "float32", 1],
    ["max", "float64", 1],
    ["sum", "int32", 0],
    ["argmin", "float32", 2],
  ];
  large.forEach(([op, d, kept], i) => {
    const shape = LARGE_SHAPES[i % LARGE_SHAPES.length]!;
    const x = permuteDims(makeView(d, shape, pick(r, LAYOUTS), r, {}), r);
    reduceOne(ctx, op, x, kept, `large ${op} ${d} x ${describeView(x)} kept ${kept}`, d);
  });
}

function cumsumOne(ctx: Ctx, x: View, what: string, d: KDType): void {
  const od = d === "bool" ? "int32" : d;
  const n = numel(x.shape);
  const want = allocate(od, n);
  ref.cumsum(x, want);
  let tol: Tolerance = null;
  if (od === "float32" || od === "float64") {
    // Each prefix is a sum of up to K = last-dim terms: sumTolerance's bound for that length.
    const K = x.shape.length === 0 ? 1 : x.shape[x.shape.length - 1]!;
    const absPrefix = new Float64Array(n);
    ref.cumsum(absView(x), absPrefix);
    tol = sumTolerance(od, K, absPrefix);
  }
  forThreads(ctx, (cfg) => {
    const g = guardedOf(od, n);
    ctx.kernels.cumsum(x, g.out);
    const label = `cumsum ${what}, ${cfg}`;
    assertClose(label, g.out, want, tol);
    assertGuardIntact(label, g, sentinelOf(od));
  });
  ctx.count("cumsum");
}

export function cumsumCases(ctx: Ctx): void {
  const r = ctx.r;
  let k = 0;
  for (const d of KDTYPES) {
    const pool = [...shapePool(r), [4, 300]];
    for (let c = 0; c < pool.length + 2; c++, k++) {
      const x = makeView(d, shapeFor(pool, c), pick(r, LAYOUTS), r, fillFor(k));
      cumsumOne(ctx, x, `${d} x ${describeView(x)}`, d);
    }
  }
  const x = makeView("float64", [1001, 1100], "permuted", r, {});
  cumsumOne(ctx, x, `large float64 x ${describeView(x)}`, "float64");
}

/**
 * Float matmul: out[m, n] is a length-K dot product; a blocked, vectorised or fused-multiply-add
 * kernel sums in another order and, for float32, in float32. By the dot-product bound
 * |err| ≤ γ_K·Σ|a||b| (Higham §3.1) with errors adding like a random walk in an unrelated order,
 * ≈ √K·u·Σ|a||b|; we allow 8·(√K + 2)·u·(|a|·|b|), the bound computed by the reference.
 */
function matmulOne(ctx: Ctx, a: View, b: View, what: string, d: KDType): void {
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  const n = B * M * N;
  const want = allocate(d, n);
  ref.matmul(a, b, want);
  let tol: Tolerance = null;
  if (d === "float32" || d === "float64") {
    const bound = new Float64Array(n);
    ref.matmul(absView(a), absView(b), bound);
    const u = UNIT_ROUNDOFF[d];
    tol = (i) => 8 * (Math.sqrt(K) + 2) * u * bound[i]!;
  }
  forThreads(ctx, (cfg) => {
    const g = guardedOf(d, n);
    ctx.kernels.matmul(a, b, g.out);
    const label = `matmul ${what}, ${cfg}`;
    assertClose(label, g.out, want, tol);
    assertGuardIntact(label, g, sentinelOf(d));
  });
  ctx.count("matmul");
}

export function matmulCases(ctx: Ctx): void {
  const r = ctx.r;
  const dims = () => Math.floor(r() * 40);
  const fixed: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [1, 0, 3, 2],
    [2, 3, 0, 4],
    [1, 3, 5, 0],
    [0, 2, 2, 2],
    [1, 64, 128, 10],
    [2, 33, 70, 65],
    [1, 13, 300, 3],
  ];
  let k = 0;
  for (const d of ["float32", "float64", "int32"] as const) {
    const shapes = [
      ...fixed,
      ...Array.from({ length: 10 }, () => [1 + Math.floor(r() * 3), dims(), dims(), dims()]),
    ] as [number, number, number, number][];
    for (const [B, M, K, N] of shapes) {
      // int32 without extremes: the reference's float64 accumulator is exact only below 2⁵³.
      const fill = d === "int32" ? {} : fillFor(k++);
      const a = makeView(d, [B, M, K], pick(r, LAYOUTS), r, fill);
      const b = makeView(d, [B, K, N], pick(r, LAYOUTS), r, fill);
      const what = `${d} a ${describeView(a)} b ${describeView(b)}`;
      matmulOne(ctx, a, b, what, d);
    }
  }
  // Large: an output of 1.1M elements, and inputs of 1.1M elements.
  for (const [B, M, K, N] of [
    [1, 1100, 4, 1001],
    [1, 1100, 1001, 3],
  ] as const) {
    const a = makeView("float32", [B, M, K], pick(r, LAYOUTS), r, {});
    const b = makeView("float32", [B, K, N], pick(r, LAYOUTS), r, {});
    matmulOne(ctx, a, b, `large float32 a ${describeView(a)} b ${describeView(b)}`, "float32");
  }
}

function randomIndex(r: () => number, count: number, n: number): Int32Array {
  return Int32Array.from({ length: count }, () => Math.floor(r() * n));
}

function takeOne(ctx: Ctx, x: View, index: Int32Array, what: string, d: KDType): void {
  const want = allocate(d, index.length);
  ref.take(x, index, want);
  forThreads(ctx, (cfg) => {
    const g = guardedOf(d, index.length);
    ctx.kernels.take(x, index, g.out);
    const label = `take ${what}, ${cfg}`;
    assertClose(label, g.out, want, null);
    assertGuardIntact(label, g, sentinelOf(d));
  });
  ctx.count("take");
}

/**
 * put writes into the target view only at the indexed elements: the whole buffer (slack and
 * gaps included) must equal the reference's afterwards, exactly (accumulation runs in index
 * order in both).
 */
function putOne(
  ctx: Ctx,
  target: View,
  index: Int32Array,
  values: View,
  accumulate: boolean,
  what: string,
): void {
  const want = copyView(target);
  ref.put(want, index, values, accumulate);
  forThreads(ctx, (cfg) => {
    const got = copyView(target);
    ctx.kernels.put(got, index, values, accumulate);
    assertClose(`put ${what} acc=${accumulate}, ${cfg}`, got.data, want.data, null);
  });
  ctx.count("put");
}

export function takePutCases(ctx: Ctx): void {
  const r = ctx.r;
  let k = 0;
  for (const d of KDTYPES) {
    const pool = shapePool(r);
    for (let c = 0; c < pool.length + 3; c++, k++) {
      const shape = shapeFor(pool, c);
      const n = numel(shape);
      const count = n === 0 ? 0 : Math.floor(r() * 3 * n) + (c % 4 === 0 ? 0 : 1);
      const index = randomIndex(r, count, n);
      const x = makeView(d, shape, pick(r, LAYOUTS), r, fillFor(k));
      takeOne(ctx, x, index, `${d} x ${describeView(x)} ${count} indices`, d);
      const target = makeView(d, shape, pick(r, OUT_LAYOUTS), r, fillFor(k));
      const values = makeView(d, [count], pick(r, ["contiguous", "offset"]), r, fillFor(k));
      for (const acc of [false, true]) {
        putOne(ctx, target, index, values, acc, `${d} target ${describeView(target)}`);
      }
    }
  }
  const shape = LARGE_SHAPES[0]!;
  const n = numel(shape);
  const index = randomIndex(r, n, n);
  const x = makeView("float32", shape, "permuted", r, {});
  takeOne(ctx, x, index, `large float32 x ${describeView(x)}`, "float32");
  const target = makeView("int32", shape, "stepped", r, {});
  const values = makeView("int32", [n], "contiguous", r, {});
  putOne(ctx, target, index, values, true, `large int32 target ${describeView(target)}`);
}

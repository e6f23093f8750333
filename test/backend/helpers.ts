// Shared machinery of the backend conformance suite: which backends are under test, thread
// configurations, random strided views over sentinel-filled buffers, and comparisons (exact, or
// within a per-element tolerance the caller derives). Backend-generic: imports the registry and
// the reference backend only, never a particular fast backend.

import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import type { Backend, View } from "../../src/backend/backend.ts";
import { referenceBackend } from "../../src/backend/reference/index.ts";
import {
  availableBackends,
  type BackendName,
  backend,
  getBackend,
  getNumThreads,
  setBackend,
  setNumThreads,
} from "../../src/backend/registry.ts";
import { allocate, type TypedArray } from "../../src/core/dtype.ts";
import { elementOffsets } from "../../src/core/strided.ts";
import { rng } from "../rng.ts";

export { rng };
export const ref: Backend = referenceBackend;

/** The dtypes primitive kernels compute on (the 16-bit floats are storage-only). */
export type KDType = "float32" | "float64" | "int32" | "bool";
export const KDTYPES: readonly KDType[] = ["float32", "float64", "int32", "bool"];
export const FLOATS: readonly KDType[] = ["float32", "float64"];

/** Unit roundoff u = 2⁻ᵖ of each float dtype (half an ulp of 1). */
export const UNIT_ROUNDOFF = { float32: 2 ** -24, float64: 2 ** -53 } as const;

export interface UnderTest {
  name: string;
  kernels: Backend;
  /** Why the reference runs against itself, when it does. */
  note?: string;
  /** A requested backend that is not available (the suite fails naming it). */
  missing?: string;
}

/**
 * The backends under test: KILN_CONFORMANCE_BACKEND (comma-separated names), else every
 * available backend other than the reference; when only the reference is available it runs
 * against itself, so every case still runs.
 */
export function backendsUnderTest(): UnderTest[] {
  const avail = availableBackends();
  const asked = (process.env.KILN_CONFORMANCE_BACKEND ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (asked.length > 0) {
    return asked.map((name) =>
      avail.includes(name)
        ? { name, kernels: kernelsOf(name) }
        : { name, kernels: ref, missing: `not available (available: ${avail.join(", ")})` },
    );
  }
  const fast = avail.filter((n) => n !== "reference");
  if (fast.length > 0) return fast.map((name) => ({ name, kernels: kernelsOf(name) }));
  return [
    {
      name: "reference",
      kernels: ref,
      note: "only the reference backend is available: it runs against itself",
    },
  ];
}

function kernelsOf(name: string): Backend {
  if (name === "reference") return ref;
  const before = getBackend();
  setBackend(name as BackendName);
  try {
    return backend();
  } finally {
    setBackend(before as BackendName);
  }
}

/** The thread counts to run each case with: 1 and the most the machine allows (threaded backends). */
export function threadCounts(name: string): number[] {
  if (name === "reference") return [1];
  const before = getNumThreads();
  setNumThreads(Math.max(before, availableParallelism()));
  const most = getNumThreads();
  setNumThreads(before);
  return most > 1 ? [1, most] : [1];
}

/** Runs fn once per thread count, restoring the count afterwards. */
export function withThreads(counts: readonly number[], fn: (threads: number) => void): void {
  const before = getNumThreads();
  try {
    for (const t of counts) {
      setNumThreads(t);
      fn(t);
    }
  } finally {
    setNumThreads(before);
  }
}

/** A value no kernel writes by accident: bool 0xA5 (kernels store 0/1), odd ints and floats. */
export function sentinelOf(dtype: KDType): number {
  return dtype === "bool" ? 0xa5 : dtype === "int32" ? 0x5a5a5a5a : -12345.625;
}

const SPECIAL = [Number.NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 2.5, -1.5, 1, -1, 1e30];
const INT_SPECIAL = [0, 1, -1, 2147483647, -2147483648, 46341, -7];

export interface FillOptions {
  /** Share of special values (NaN, ±inf, ±0, halves, int extremes); 0 for none. */
  special?: number;
  /** Floats uniform in (-scale, scale). */
  scale?: number;
}

export function fillRandom(
  arr: TypedArray,
  r: () => number,
  { special = 0, scale = 4 }: FillOptions = {},
): void {
  for (let i = 0; i < arr.length; i++) {
    const u = r();
    if (arr instanceof Uint8Array) arr[i] = u < 0.5 ? 1 : 0;
    else if (arr instanceof Int32Array) {
      arr[i] =
        u < special
          ? INT_SPECIAL[Math.floor(r() * INT_SPECIAL.length)]!
          : Math.floor(r() * 41) - 20;
    } else {
      arr[i] = u < special ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : (2 * r() - 1) * scale;
    }
  }
}

export type Layout = "contiguous" | "permuted" | "negative" | "stepped" | "offset" | "broadcast";
export const LAYOUTS: readonly Layout[] = [
  "contiguous",
  "permuted",
  "negative",
  "stepped",
  "offset",
  "broadcast",
];
/** Layouts an output may take (a zero stride would make writes collide). */
export const OUT_LAYOUTS: readonly Layout[] = LAYOUTS.filter((l) => l !== "broadcast");

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/**
 * A view of `shape` inside a buffer with slack before, between and after its elements: storage
 * order permuted, dims flipped, gaps between elements, a random offset, or zero strides.
 * The buffer is filled with `fill` (random values, or a sentinel for outputs).
 */
export function makeView(
  dtype: KDType,
  shape: readonly number[],
  layout: Layout,
  r: () => number,
  fill: FillOptions | { sentinel: number },
): View {
  const nd = shape.length;
  const order = [...Array(nd).keys()];
  if (layout === "permuted") {
    for (let i = nd - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    if (nd > 1 && order.every((d, i) => d === i)) order.reverse();
  }
  const strides = new Array<number>(nd).fill(0);
  let size = 1;
  for (let k = nd - 1; k >= 0; k--) {
    const d = order[k]!;
    if (layout === "broadcast" && (r() < 0.5 || shape[d] === 1)) continue;
    const gap = layout === "stepped" ? 2 + Math.floor(r() * 2) : 1;
    strides[d] = size * gap;
    size *= shape[d]! * gap;
  }
  let offset = layout === "contiguous" ? 0 : 1 + Math.floor(r() * 5);
  if (layout === "negative" || layout === "stepped") {
    let flipped = false;
    for (let d = 0; d < nd; d++) {
      if (r() < 0.5 || (!flipped && d === nd - 1)) {
        offset += strides[d]! * Math.max(shape[d]! - 1, 0);
        strides[d] = -strides[d]!;
        flipped = true;
      }
    }
  }
  const data = allocate(dtype, offset + size + 4);
  if ("sentinel" in fill) data.fill(fill.sentinel);
  else fillRandom(data, r, fill);
  return { data, shape: [...shape], strides, offset };
}

/** The same view over a copy of its buffer. */
export function copyView(v: View): View {
  return { ...v, data: v.data.slice() };
}

/** The view over a buffer of absolute values (for error bounds of sums). */
export function absView(v: View): View {
  const d = v.data.slice();
  for (let i = 0; i < d.length; i++) d[i] = Math.abs(d[i]!);
  return { ...v, data: d };
}

/** The view's elements in row-major order, as numbers. */
export function readView(v: View): Float64Array {
  const offs = elementOffsets(v.shape, v.strides);
  const out = new Float64Array(offs.length);
  for (let i = 0; i < offs.length; i++) out[i] = v.data[v.offset + offs[i]!]!;
  return out;
}

/**
 * Asserts every buffer position outside the view still holds the sentinel (the kernel wrote
 * nowhere else).
 */
export function assertOnlyViewWritten(what: string, v: View, sentinel: number): void {
  const inside = new Uint8Array(v.data.length);
  const offs = elementOffsets(v.shape, v.strides);
  for (let i = 0; i < offs.length; i++) inside[v.offset + offs[i]!] = 1;
  for (let p = 0; p < v.data.length; p++) {
    if (inside[p] === 0 && !Object.is(v.data[p], sentinel)) {
      assert.fail(`${what}: wrote ${v.data[p]} at buffer position ${p}, outside the output view`);
    }
  }
}

/** A contiguous output of n elements inside a sentinel-filled buffer with slack on both sides. */
export interface Guarded<A extends TypedArray = TypedArray> {
  out: A;
  buffer: A;
  start: number;
}

export const SLACK = 7;

export function guarded<A extends TypedArray>(
  make: (n: number) => A,
  n: number,
  sentinel: number,
): Guarded<A> {
  const buffer = make(n + 2 * SLACK);
  buffer.fill(sentinel);
  return { buffer, out: buffer.subarray(SLACK, SLACK + n) as A, start: SLACK };
}

export function guardedOf(dtype: KDType, n: number): Guarded {
  return guarded((k) => allocate(dtype, k), n, sentinelOf(dtype));
}

export function assertGuardIntact(what: string, g: Guarded, sentinel: number): void {
  const n = g.out.length;
  for (let p = 0; p < g.buffer.length; p++) {
    if (p >= g.start && p < g.start + n) continue;
    if (!Object.is(g.buffer[p], sentinel)) {
      assert.fail(`${what}: wrote ${g.buffer[p]} at ${p - g.start} (output has ${n} elements)`);
    }
  }
}

/** Same value: NaN equals NaN, +0 and -0 differ. */
export function sameValue(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

/** Per-element tolerance; null means exact (Object.is, NaN equal to NaN). */
export type Tolerance = ((i: number) => number) | null;

/**
 * got against want: exact, or within tol(i) where both are finite; NaN positions and
 * infinities must agree either way.
 */
export function assertClose(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: Tolerance,
): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    if (sameValue(a, b)) continue;
    let ok = false;
    if (tol !== null) {
      if (Number.isFinite(a) && Number.isFinite(b)) ok = Math.abs(a - b) <= tol(i);
      else ok = a === b;
    }
    if (!ok) {
      const bound = tol === null ? "exact" : `tolerance ${tol(i)}`;
      assert.fail(`${what}: element ${i}: got ${a}, reference ${b} (${bound})`);
    }
  }
}

/** Within `ulps` units in the last place of the larger magnitude (subnormals: of the smallest normal). */
export function ulpTolerance(
  want: ArrayLike<number>,
  got: ArrayLike<number>,
  dtype: "float32" | "float64",
  ulps: number,
): (i: number) => number {
  const u2 = 2 * UNIT_ROUNDOFF[dtype];
  const tiny = dtype === "float32" ? 2 ** -126 : 2 ** -1022;
  return (i) => ulps * u2 * Math.max(Math.abs(want[i]!), Math.abs(got[i]!), tiny);
}

/** Counts cases per kernel for the suite's closing diagnostic. */
export class CaseCounter {
  readonly counts = new Map<string, number>();
  add(kernel: string, n = 1): void {
    this.counts.set(kernel, (this.counts.get(kernel) ?? 0) + n);
  }
  summary(): string {
    return [...this.counts].map(([k, n]) => `${k} ${n}`).join(", ");
  }
}

// Shared helpers of the native-backend tests: a seeded generator, random strided views of
// every dtype (odd sizes, transposes, negative and zero strides), and an exact comparison.

import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.ts";
import { createNativeBackend, loadAddon } from "../../src/backend/native/index.ts";
import { allocate, type DType, type TypedArray } from "../../src/core/dtype.ts";
import type { Tensor } from "../../src/index.ts";
import { copyView, sameValue } from "../backend/helpers.ts";
import { rng } from "../rng.ts";

export { copyView, rng, sameValue };

export const loaded = loadAddon();
export const skip = loaded.ok ? false : `native addon unavailable: ${loaded.reason}`;
export const addon = loaded.ok ? loaded.addon : undefined;
/** The native backend with every size sent to C (no TypeScript path for tiny tensors). */
export const native = addon ? createNativeBackend(addon, { tinyInTs: 0 }) : undefined;
export const DTYPES: readonly DType[] = ["bool", "int32", "float32", "float64"];
export const CPU_PATHS = ["portable", "avx2", "avx512"] as const;

/** Runs fn once per thread count and (by default) per CPU path this machine supports. */
export function forEachConfig(fn: (label: string) => void, paths = true): void {
  if (!addon) return;
  const best = addon.cpuPath();
  const threads = addon.getNumThreads();
  const codes = paths
    ? [0, 1, 2].filter((c) => c <= CPU_PATHS.indexOf(best))
    : [CPU_PATHS.indexOf(best)];
  try {
    for (const c of codes) {
      addon.cpuPath(c);
      for (const t of [1, 2]) {
        addon.setNumThreads(t);
        fn(`${CPU_PATHS[c]}, ${t} thread(s)`);
      }
    }
  } finally {
    addon.cpuPath(CPU_PATHS.indexOf(best));
    addon.setNumThreads(threads);
  }
}

export function alloc(dtype: DType, n: number): TypedArray {
  return allocate(dtype, n);
}

const SPECIAL = [Number.NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1.5, -2.5, 1, -1, 2, 1e30];
const INT_SPECIAL = [0, 1, -1, 2, 2147483647, -2147483648, 46341, -7];

/** Random values: mostly moderate, some special (NaN, ±Inf, ±0, halves, int extremes). */
export function fill(arr: TypedArray, r: () => number, special = true): void {
  for (let i = 0; i < arr.length; i++) {
    const u = r();
    if (arr instanceof Uint8Array) arr[i] = u < 0.5 ? 1 : 0;
    else if (arr instanceof Int32Array) {
      arr[i] =
        special && u < 0.1
          ? INT_SPECIAL[Math.floor(r() * INT_SPECIAL.length)]!
          : Math.floor(r() * 41) - 20;
    } else {
      arr[i] = special && u < 0.08 ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : (r() - 0.5) * 8;
    }
  }
}

export function randomShape(r: () => number, maxNd = 4, maxDim = 7): number[] {
  const nd = Math.floor(r() * (maxNd + 1));
  return Array.from({ length: nd }, () => 1 + Math.floor(r() * maxDim));
}

export type Layout = "contiguous" | "permuted" | "negative" | "stepped" | "broadcast";
export const LAYOUTS: readonly Layout[] = [
  "contiguous",
  "permuted",
  "negative",
  "stepped",
  "broadcast",
];

/**
 * A view of `shape` over a fresh random buffer, laid out as asked: row-major, a permutation of
 * a contiguous tensor, flipped dims (negative strides), every other element, or zero strides.
 */
export function randomView(
  dtype: DType,
  shape: readonly number[],
  layout: Layout,
  r: () => number,
): View {
  const nd = shape.length;
  const step = layout === "stepped" ? 2 : 1;
  const order = [...Array(nd).keys()];
  if (layout === "permuted") order.reverse();
  const strides = new Array<number>(nd).fill(0);
  let size = step;
  for (let k = nd - 1; k >= 0; k--) {
    const d = order[k]!;
    const zero = layout === "broadcast" && r() < 0.5;
    strides[d] = zero ? 0 : size;
    if (!zero) size *= shape[d]!;
  }
  let offset = Math.floor(r() * 3);
  if (layout === "negative") {
    for (let d = 0; d < nd; d++) {
      if (r() < 0.6) {
        offset += strides[d]! * (shape[d]! - 1);
        strides[d] = -strides[d]!;
      }
    }
  }
  const data = alloc(dtype, offset + size + 3);
  fill(data, r);
  return { data, shape: [...shape], strides, offset };
}

/** A fresh output view (contiguous or strided) of `shape`, pre-filled so that skipped writes show. */
export function outView(
  dtype: DType,
  shape: readonly number[],
  layout: Layout,
  r: () => number,
): View {
  return randomView(dtype, shape, layout === "broadcast" ? "contiguous" : layout, r);
}

/** Within `ulps` units in the last place of `dtype` (or exactly equal / both NaN). */
export function close(a: number, b: number, dtype: DType, ulps: number): boolean {
  if (sameValue(a, b) || a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const eps = dtype === "float32" ? 2 ** -23 : dtype === "float64" ? 2 ** -52 : 0;
  const scale = Math.max(Math.abs(a), Math.abs(b), dtype === "float32" ? 2 ** -126 : 2 ** -1022);
  return Math.abs(a - b) <= ulps * eps * scale;
}

/** Index of the first element where the arrays differ under `eq`, or -1. */
export function firstDiff(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  eq: (a: number, b: number) => boolean,
): number {
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (!eq(x[i]!, y[i]!)) return i;
  return -1;
}

/**
 * got against want, to tol relative to want (NaN equals NaN, and equal values pass, infinities
 * included); a null on either side must be null on both.
 */
export function closeTensors(
  what: string,
  got: Tensor | null,
  want: Tensor | null,
  tol = 1e-4,
): void {
  if (got === null || want === null) {
    assert.equal(got, want, `${what}: one side is null`);
    return;
  }
  assert.deepEqual(got.shape, want.shape, `${what}: shape`);
  const a = got.dataSync();
  const b = want.dataSync();
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if ((Number.isNaN(x) && Number.isNaN(y)) || x === y) continue;
    const ok = Math.abs(x - y) <= tol * (1 + Math.abs(y));
    assert.ok(ok, `${what}: element ${i}: fused ${x} vs composition ${y}`);
  }
}

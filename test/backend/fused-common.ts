// Shared machinery of the fused-kernel conformance cases: the reference composition (run on the
// reference backend through the Tensor API, autograd giving the backward kernels' definitions),
// float32 inputs, sentinel-guarded outputs and the tolerance of linear maps.

import type { Backend, FusedKernels } from "../../src/backend/backend.ts";
import { type BackendName, getBackend, setBackend } from "../../src/backend/registry.ts";
import { fromTypedArray, nn, type Tensor } from "../../src/index.ts";
import {
  assertClose,
  assertGuardIntact,
  fillRandom,
  type Guarded,
  guarded,
  type Tolerance,
  UNIT_ROUNDOFF,
  withThreads,
} from "./helpers.ts";

export const F = nn.functional;
export const u = UNIT_ROUNDOFF.float32;
export const SENTINEL = -12345.625;

export interface FusedCtx {
  kernels: Backend;
  threads: readonly number[];
  r: () => number;
  count: (kernel: string) => void;
  /** The backend's CPU kernel paths (native: the detected one and slower ones), if it has any. */
  cpuPath?: { readonly available: readonly number[]; get(): number; set(path: number): void };
}

/** One fused kernel's cases; `name` picks among kernels that share cases. */
export type Run = (f: FusedKernels, ctx: FusedCtx, name: keyof FusedKernels) => void;

/** Runs fn with the reference backend active (its composition is the definition). */
export function onReference<T>(fn: () => T): T {
  const before = getBackend();
  setBackend("reference");
  try {
    return fn();
  } finally {
    setBackend(before as BackendName);
  }
}

export function rand32(r: () => number, n: number, scale = 2, special = 0): Float32Array {
  const a = new Float32Array(n);
  fillRandom(a, r, { scale, special });
  return a;
}

export function abs32(a: Float32Array): Float32Array {
  return a.map(Math.abs);
}

export function t32(a: Float32Array, shape: readonly number[], grad = false): Tensor {
  const t = fromTypedArray(a.slice(), [...shape]);
  return grad ? t.requiresGrad_(true) : t;
}

export function data(t: Tensor | null): Float64Array {
  return t === null ? new Float64Array(0) : Float64Array.from(t.dataSync() as Float32Array);
}

export function out32(n: number): Guarded<Float32Array> {
  return guarded((k) => new Float32Array(k), n, SENTINEL);
}

/** An in-place array: `values` copied into the middle of a sentinel-filled buffer. */
export function inPlace32(values: Float32Array): Guarded<Float32Array> {
  const g = out32(values.length);
  g.out.set(values);
  return g;
}

export function check(label: string, g: Guarded, want: ArrayLike<number>, tol: Tolerance): void {
  assertClose(label, g.out, want, tol);
  assertGuardIntact(label, g, SENTINEL);
}

/**
 * Linear maps (conv, linear, pooling sums and their gradients): every output is a sum of K
 * products, so it is within γ_K·(the same map applied to absolute values) of the exact value
 * (Higham §3.1); in another order the errors add like a random walk, ≈ √K·u times that bound.
 * We allow 8·(√K + 2)·u·bound, the bound computed by the reference on |inputs|.
 */
export function linearTolerance(K: number, bound: ArrayLike<number>): Tolerance {
  return (i) => 8 * (Math.sqrt(K) + 2) * u * bound[i]! + 2 ** -126;
}

export function threads(ctx: FusedCtx, fn: (cfg: string) => void): void {
  withThreads(ctx.threads, (t) => fn(`${t} thread(s)`));
}

/** Runs fn on each of the backend's CPU paths (native: the detected one and the portable one). */
export function cpuPaths(ctx: FusedCtx, fn: (cfg: string) => void): void {
  const paths = ctx.cpuPath;
  if (paths === undefined) {
    threads(ctx, fn);
    return;
  }
  const before = paths.get();
  try {
    for (const path of paths.available) {
      paths.set(path);
      threads(ctx, (cfg) => fn(`${cfg}, cpu path ${path}`));
    }
  } finally {
    paths.set(before);
  }
}

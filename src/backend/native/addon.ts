// Loads the compiled N-API addon (build/Release/kiln.node, built by node-gyp on npm install).
// Never throws: a missing or broken addon yields the reason, so the registry can fall back.
// Depends on nothing in Kiln; KILN_NATIVE_PATH overrides the addon's location.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The functions the addon exports; shapes and strides travel through `meta`. */
export interface NativeAddon {
  /** Shared metadata: [nd, shape..., then per operand offset, strides...] (matmul: see C). */
  readonly meta: Float64Array;
  unary(op: number, x: ArrayBufferView, out: ArrayBufferView): void;
  binary(op: number, a: ArrayBufferView, b: ArrayBufferView, out: ArrayBufferView): void;
  where(c: ArrayBufferView, a: ArrayBufferView, b: ArrayBufferView, out: ArrayBufferView): void;
  reduce(op: number, x: ArrayBufferView, kept: number, out: ArrayBufferView): void;
  cumsum(x: ArrayBufferView, out: ArrayBufferView): void;
  matmul(a: ArrayBufferView, b: ArrayBufferView, out: ArrayBufferView): void;
  take(x: ArrayBufferView, index: Int32Array, out: ArrayBufferView): void;
  put(target: ArrayBufferView, index: Int32Array, values: ArrayBufferView, acc: boolean): void;
  setNumThreads(n: number): number;
  getNumThreads(): number;
  maxThreads(): number;
  /** The CPU path in use; with a number (0 portable, 1 avx2, 2 avx512) forces one no better. */
  cpuPath(force?: number): CpuPath;
}

export type CpuPath = "avx512" | "avx2" | "portable";
export type LoadResult = { ok: true; addon: NativeAddon } | { ok: false; reason: string };

const REQUIRED = ["meta", "unary", "binary", "where", "reduce", "cumsum", "matmul", "take", "put"];

function defaultPath(): string {
  // src/backend/native/ (or dist/src/backend/native/) → package root.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "build", "Release", "kiln.node");
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../build/Release/kiln.node");
}

let cached: LoadResult | undefined;

/** Loads the addon once; later calls return the same result. */
export function loadAddon(): LoadResult {
  if (cached !== undefined) return cached;
  const path = process.env.KILN_NATIVE_PATH || defaultPath();
  try {
    const mod = createRequire(import.meta.url)(path) as Partial<NativeAddon>;
    const missing = REQUIRED.filter((k) => !(k in mod));
    cached =
      missing.length > 0
        ? { ok: false, reason: `${path} lacks ${missing.join(", ")}` }
        : { ok: true, addon: mod as NativeAddon };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    cached = { ok: false, reason: `cannot load ${path}: ${msg}` };
  }
  return cached;
}

// Loads the N-API addon: a local build (build/Release/kiln.node, compiled on npm install when no
// prebuilt binary fits) or the prebuilt one shipped in prebuilds/, found by node-gyp-build.
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

/** The SIMD code path of the native CPU backend, best first. */
export type CpuPath = "avx512" | "avx2" | "portable";
export type LoadResult =
  | { ok: true; addon: NativeAddon; path: string }
  | { ok: false; reason: string };

const REQUIRED = ["meta", "unary", "binary", "where", "reduce", "cumsum", "matmul", "take", "put"];

/** The package root: the nearest directory above this file that holds binding.gyp. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "binding.gyp"))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
}

/**
 * The addon's path as node-gyp-build finds it: a local build (build/Release) first, then the
 * prebuilt binary shipped for this platform (prebuilds/<platform>-<arch>/).
 */
function defaultPath(require: NodeRequire): string {
  const gypBuild = require("node-gyp-build") as { resolve(dir: string): string };
  return gypBuild.resolve(packageRoot());
}

let cached: LoadResult | undefined;

/** Loads the addon once; later calls return the same result. */
export function loadAddon(): LoadResult {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  let path = process.env.KILN_NATIVE_PATH || "";
  try {
    path ||= defaultPath(require);
    const mod = require(path) as Partial<NativeAddon>;
    const missing = REQUIRED.filter((k) => !(k in mod));
    cached =
      missing.length > 0
        ? { ok: false, reason: `${path} lacks ${missing.join(", ")}` }
        : { ok: true, addon: mod as NativeAddon, path };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    cached = { ok: false, reason: path ? `cannot load ${path}: ${msg}` : msg };
  }
  return cached;
}

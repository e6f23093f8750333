// Loads the N-API addon: a local build (build/Release/kiln.node, compiled on npm install when no
// prebuilt binary fits) or the prebuilt one shipped in prebuilds/, found by node-gyp-build.
// Never throws: a missing or broken addon yields the reason, so the registry can fall back.
// A build from another kernel ABI description (a stale build) is refused the same way.
// Depends only on the op lists of backend.ts and the generated addon-abi.ts; KILN_NATIVE_PATH
// overrides the addon's location.

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from "../backend.ts";
import { type NativePrimitiveAddon, PRIMITIVE_ABI_HASH, PRIMITIVE_EXPORTS } from "./addon-abi.ts";

/**
 * The functions the addon exports: the primitive kernels with the signatures generated from
 * their description (addon-abi.ts; shapes and strides travel through `meta`), and the rest.
 */
export interface NativeAddon extends NativePrimitiveAddon {
  /** Shared metadata: [nd, shape..., then per operand offset, strides...] (matmul: see C). */
  readonly meta: Float64Array;
  /** The opcode names in opcode order (native/elementwise_ops.h): ops are bound by name. */
  readonly unaryOps: readonly string[];
  readonly binaryOps: readonly string[];
  readonly reduceOps: readonly string[];
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

const REQUIRED = [
  "meta",
  "unaryOps",
  "binaryOps",
  "reduceOps",
  "primitiveAbi",
  ...PRIMITIVE_EXPORTS,
];

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

/** The ops Kiln defines that the addon does not know by name (an addon older than the sources). */
function missingOps(addon: NativeAddon): string[] {
  const lacking = (kind: string, ours: readonly string[], theirs: readonly string[]) =>
    ours.filter((op) => !theirs.includes(op)).map((op) => `${kind} op ${op}`);
  return [
    ...lacking("unary", UNARY_OPS, addon.unaryOps),
    ...lacking("binary", BINARY_OPS, addon.binaryOps),
    ...lacking("reduce", REDUCE_OPS, addon.reduceOps),
  ];
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
    const lacking = missing.length > 0 ? missing : missingOps(mod as NativeAddon);
    const stale = lacking.length === 0 && mod.primitiveAbi !== PRIMITIVE_ABI_HASH;
    cached =
      lacking.length > 0 || stale
        ? {
            ok: false,
            reason: stale
              ? `${path} was built from another kernel ABI (rebuild: npm run build:native)`
              : `${path} lacks ${lacking.join(", ")} (rebuild: npm run build:native)`,
          }
        : { ok: true, addon: mod as NativeAddon, path };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split("\n")[0]! : String(e);
    cached = { ok: false, reason: path ? `cannot load ${path}: ${msg}` : msg };
  }
  return cached;
}

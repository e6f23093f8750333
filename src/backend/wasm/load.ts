// Loads the wasm backend in Node: the threaded module wasm/kiln-mt.wasm (shared memory and
// worker_threads) where it loads, else the single-threaded wasm/kiln.wasm (KILN_WASM_PATH names a
// module to use instead; KILN_WASM_THREADS=0 forces the single-threaded one). Never throws: a
// missing or broken module yields the reason, so the registry can fall back. Node-specific, with
// threads.ts; the browser bundle links load-browser.ts and threads-browser.ts in their place.

import { existsSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "../backend.ts";
import { instantiateSync } from "./module.ts";
import { instantiateThreaded, type WasmThreads } from "./threads.ts";
import { createWasmBackend, type WasmBackendOptions } from "./wasm-backend.ts";

export type WasmLoadResult =
  | { ok: true; backend: Backend; path: string; threads: WasmThreads | null; note: string | null }
  | { ok: false; reason: string };

/** The package root: the nearest directory above this file that holds binding.gyp. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "binding.gyp"))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
}

/** The logical cores (os.availableParallelism; load-browser.ts: navigator.hardwareConcurrency). */
export function cpuCount(): number {
  return availableParallelism();
}

/** The module's path: KILN_WASM_PATH, else wasm/kiln.wasm (or kiln-mt.wasm) in the package. */
export function wasmPath(threaded = false): string {
  return (
    process.env.KILN_WASM_PATH ||
    join(packageRoot(), "wasm", threaded ? "kiln-mt.wasm" : "kiln.wasm")
  );
}

/** A wasm Backend over the given module bytes (synchronous compile; throws when they are bad). */
export function createWasmBackendFromBytes(
  bytes: Uint8Array,
  options: WasmBackendOptions = {},
): Backend {
  return createWasmBackend(instantiateSync(bytes), options);
}

/** A wasm Backend over the threaded module's bytes, with its thread controls (Node only). */
export function createThreadedWasmBackend(
  bytes: Uint8Array,
  options: WasmBackendOptions = {},
): { backend: Backend; threads: WasmThreads } {
  const { ex, threads } = instantiateThreaded(bytes);
  return { backend: createWasmBackend(ex, options), threads };
}

let cached: WasmLoadResult | undefined;

function message(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}

/** Loads the package's module once; later calls return the same result. */
export function loadWasmBackend(): WasmLoadResult {
  if (cached !== undefined) return cached;
  let note: string | null = null;
  if (!process.env.KILN_WASM_PATH && process.env.KILN_WASM_THREADS !== "0") {
    const path = wasmPath(true);
    try {
      if (typeof SharedArrayBuffer === "undefined") throw new Error("no SharedArrayBuffer");
      const { backend, threads } = createThreadedWasmBackend(readFileSync(path));
      cached = { ok: true, backend, path, threads, note };
      return cached;
    } catch (e) {
      note = `threaded module unavailable, single-threaded: cannot load ${path}: ${message(e)}`;
    }
  }
  const path = wasmPath();
  try {
    const backend = createWasmBackendFromBytes(readFileSync(path));
    cached = { ok: true, backend, path, threads: null, note };
  } catch (e) {
    cached = { ok: false, reason: `cannot load ${path}: ${message(e)}` };
  }
  return cached;
}

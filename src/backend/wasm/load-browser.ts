// Loads the wasm backend in a browser (swapped in for load.ts by tools/build-browser.mjs): the
// modules are fetched from URLs (by default kiln.wasm and kiln-mt.wasm beside the bundle) or given
// as bytes, compiled asynchronously, and the threaded one runs where threads-browser.ts says it
// can (a Worker of a crossOriginIsolated page), else the single-threaded one. Nothing loads at
// import: initWasm (src/browser.ts) calls loadWasmBackendAsync, then the registry picks it up.
// No Node API.

import type { Backend } from "../backend.ts";
import { instantiate, instantiateSync, type KilnWasmExports } from "./module.ts";
import type { WasmThreads } from "./threads.ts";
import { instantiateThreadedAsync, threadsUnavailable } from "./threads-browser.ts";
import { createWasmBackend, type WasmBackendOptions } from "./wasm-backend.ts";

export type WasmLoadResult =
  | { ok: true; backend: Backend; path: string; threads: WasmThreads | null; note: string | null }
  | { ok: false; reason: string };

/** Where a module comes from: a URL (fetched) or its bytes. */
export type WasmSource = string | URL | Uint8Array | ArrayBuffer;

/** Options of `initWasm` / `loadWasmBackendAsync`. */
export interface WasmInitOptions {
  /** The single-threaded module; default `kiln.wasm` beside the bundle (import.meta.url). */
  wasm?: WasmSource;
  /** The threaded module; default `kiln-mt.wasm` beside the bundle. */
  wasmThreaded?: WasmSource;
  /**
   * Threads for the kernels (default navigator.hardwareConcurrency). Above 1 the threaded module
   * is used where it can run (a Worker of a crossOriginIsolated page); 1 loads the single-threaded one.
   */
  threads?: number;
}

/** The logical cores: navigator.hardwareConcurrency (1 where unknown). */
export function cpuCount(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** The default URL of the module: beside the bundle that holds this code. */
export function wasmPath(threaded = false): string {
  return new URL(threaded ? "./kiln-mt.wasm" : "./kiln.wasm", import.meta.url).href;
}

interface FetchResponse {
  ok: boolean;
  status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

async function bytesOf(source: WasmSource): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const f = (globalThis as unknown as { fetch: (u: string) => Promise<FetchResponse> }).fetch;
  const url = String(source);
  const res = await f(url);
  if (!res.ok) throw new Error(`fetching ${url} gave HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function nameOf(source: WasmSource): string {
  return source instanceof Uint8Array || source instanceof ArrayBuffer ? "<bytes>" : String(source);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message.split("\n")[0]! : String(e);
}

/** A wasm Backend over the given module bytes (synchronous compile; throws when they are bad). */
export function createWasmBackendFromBytes(
  bytes: Uint8Array,
  options: WasmBackendOptions = {},
): Backend {
  return createWasmBackend(instantiateSync(bytes), options);
}

/** Node only (its workers start synchronously); in a browser, initWasm starts the threads. */
export function createThreadedWasmBackend(
  _bytes: Uint8Array,
  _options: WasmBackendOptions = {},
): { backend: Backend; threads: WasmThreads } {
  throw new Error("createThreadedWasmBackend: in a browser, await initWasm({ threads }) instead");
}

let cached: WasmLoadResult | undefined;

/** The result of the last loadWasmBackendAsync, or why there is none yet. */
export function loadWasmBackend(): WasmLoadResult {
  return (
    cached ?? {
      ok: false,
      reason:
        "not loaded yet: await initWasm() (kiln-torch/browser) to fetch and compile kiln.wasm",
    }
  );
}

/**
 * Fetches and compiles the module(s) and builds the wasm Backend: threaded where `threads > 1`
 * and the context allows it, else single-threaded with a note saying why. Never throws. Loads
 * once: after a success, later calls return the same result (the registry holds that backend).
 */
export async function loadWasmBackendAsync(
  options: WasmInitOptions = {},
  backendOptions: WasmBackendOptions = {},
): Promise<WasmLoadResult> {
  if (cached?.ok) return cached;
  const threads = Math.max(1, Math.floor(options.threads ?? cpuCount()));
  let note: string | null = null;
  if (threads > 1) {
    const why = threadsUnavailable();
    const source = options.wasmThreaded ?? wasmPath(true);
    if (why === null) {
      try {
        const compile = (
          globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<object> } }
        ).WebAssembly.compile;
        const module = await compile(await bytesOf(source));
        const { ex, threads: t } = await instantiateThreadedAsync(module, threads);
        const backend = createWasmBackend(ex as KilnWasmExports, backendOptions);
        const failure = t.failure();
        cached = { ok: true, backend, path: nameOf(source), threads: t, note: failure };
        return cached;
      } catch (e) {
        note = `threaded module unavailable, single-threaded: cannot load ${nameOf(source)}: ${message(e)}`;
      }
    } else {
      note = `single-threaded: ${why}`;
    }
  }
  const source = options.wasm ?? wasmPath();
  try {
    const backend = createWasmBackend(await instantiate(await bytesOf(source)), backendOptions);
    cached = { ok: true, backend, path: nameOf(source), threads: null, note };
  } catch (e) {
    cached = { ok: false, reason: `cannot load ${nameOf(source)}: ${message(e)}` };
  }
  return cached;
}

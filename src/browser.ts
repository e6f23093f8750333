// The browser entry, `kiln-torch/browser` (bundled by tools/build-browser.mjs into
// dist/browser/kiln.js beside kiln.wasm and kiln-mt.wasm): Kiln's API without Node. Tensors,
// autograd, nn, optim and the models are the same as in Node; `data`, `io` and `train` are their
// byte-level parts (datasets from IDX bytes, safetensors/.pt/ONNX to and from Uint8Array, metrics
// and the HTML report as strings). Kernels run on the reference backend until `initWasm()` has
// fetched and compiled the wasm module. Must not import a Node API (the build fails if it does).

import { gunzipSync } from "fflate";
import { retryWasm, setBackend } from "./backend/registry.ts";
import { loadWasmBackendAsync, type WasmInitOptions } from "./backend/wasm/load-browser.ts";
import { checkArity } from "./core/args.ts";
import { FormatError, ValueError } from "./core/errors.ts";

export type { WasmInitOptions, WasmSource } from "./backend/wasm/load-browser.ts";
export { NodeOnlyError } from "./core/node-builtins-browser.ts";
export * as data from "./data/index-browser.ts";
export * from "./index.ts";
export * as io from "./io/index-browser.ts";
export * as train from "./train/index-browser.ts";

/** What `initWasm` loaded. */
export interface WasmInitResult {
  /** "wasm" once the module loaded, else "reference" (with `reason`). */
  backend: string;
  /** Kernel threads in use (1 single-threaded). */
  threads: number;
  /** Whether the page is cross-origin isolated (SharedArrayBuffer available). */
  crossOriginIsolated: boolean;
  /** Why it is single-threaded or on the reference backend, when it is. */
  reason: string | null;
}

/**
 * Fetches and compiles the wasm kernels (kiln.wasm, or kiln-mt.wasm with `threads > 1` in a
 * Worker of a crossOriginIsolated page) and makes "wasm" the backend. Without it, ops run on the
 * reference backend. Resolves (never rejects) with what it loaded. Kiln's addition (no torch
 * counterpart).
 *
 * @example await initWasm(); // kiln.wasm beside kiln.js
 * @example await initWasm({ wasm: "/static/kiln.wasm", threads: 4 });
 */
export async function initWasm(options: WasmInitOptions = {}): Promise<WasmInitResult> {
  const r = await loadWasmBackendAsync(options);
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (!r.ok)
    return { backend: "reference", threads: 1, crossOriginIsolated: isolated, reason: r.reason };
  const why = retryWasm();
  if (why !== undefined) {
    return { backend: "reference", threads: 1, crossOriginIsolated: isolated, reason: why };
  }
  setBackend("wasm");
  return {
    backend: "wasm",
    threads: r.threads?.getThreads() ?? 1,
    crossOriginIsolated: isolated,
    reason: r.note,
  };
}

interface FetchResponse {
  ok: boolean;
  status: number;
  statusText: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * The bytes at a URL (fetch), gzip-inflated when they start with gzip's magic bytes (an
 * `.idx.gz`), for the byte-level loaders: `MNIST.fromIdx`, `io.loadSafetensors`, `load`. Throws
 * ValueError naming the URL on an HTTP error. Kiln's addition (no torch counterpart).
 *
 * @example model.loadStateDict(io.loadSafetensors(await fetchBytes("/model.safetensors")));
 */
export async function fetchBytes(url: string | URL): Promise<Uint8Array> {
  checkArity("fetchBytes", arguments, 1);
  const f = (globalThis as unknown as { fetch: (u: string) => Promise<FetchResponse> }).fetch;
  const res = await f(String(url));
  if (!res.ok) {
    throw new ValueError(
      `fetchBytes: ${String(url)} answered HTTP ${res.status} ${res.statusText}`,
    );
  }
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new FormatError(
      `fetchBytes: ${String(url)} starts as gzip but does not inflate (${String(e)})`,
    );
  }
}

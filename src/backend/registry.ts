// Chooses the backend that kernels dispatch to. The one place where the default is decided:
// the native C backend when its addon loads, otherwise the wasm backend (the same C kernels in
// WebAssembly, wasm/kiln.wasm), otherwise the reference backend, with one warning line saying
// why. KILN_BACKEND=reference, native or wasm forces one. Also thread-count control. No Node
// API of its own: in the browser bundle the loaders are swapped for their -browser.ts siblings
// (no addon; wasm loaded asynchronously by initWasm, then registered through retryWasm).

import { checkArity } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import type { Backend, FusedKernels } from "./backend.ts";
import { type CpuPath, createNativeBackend, loadAddon, type NativeAddon } from "./native/index.ts";
import { referenceBackend } from "./reference/index.ts";
import type { WasmThreads } from "./wasm/index.ts";
import { cpuCount, loadWasmBackend } from "./wasm/load.ts";

/** An environment variable, or undefined where there is no process (a browser). */
function env(name: string): string | undefined {
  return typeof process !== "undefined" ? process.env[name] : undefined;
}

/**
 * The names `setBackend` accepts: "reference" (pure TypeScript, always there), "native" (the C
 * addon, where it is built) and "wasm" (the same C kernels compiled to WebAssembly, shipped
 * prebuilt; threaded through worker_threads and shared memory).
 */
export type BackendName = "reference" | "native" | "wasm";

const available = new Map<string, Backend>([["reference", referenceBackend]]);
let current: Backend = referenceBackend;
let addon: NativeAddon | undefined;
let nativeError: string | undefined;
let nativePath: string | undefined;
let wasmError: string | undefined;
let wasmPath: string | undefined;
let wasmThreads: WasmThreads | null = null;
let wasmNote: string | null = null;
/** Why the active backend was chosen when it is a fallback (for `kiln info --backend`). */
let fallbackReason: string | undefined;
let pendingThreads: number | undefined;

const CPU_CODE: Record<CpuPath, number> = { portable: 0, avx2: 1, avx512: 2 };

/** Loads the addon (once) and registers "native"; returns the failure reason if it cannot. */
function tryNative(): string | undefined {
  if (addon !== undefined || nativeError !== undefined) return nativeError;
  const r = loadAddon();
  if (!r.ok) {
    nativeError = r.reason;
    return nativeError;
  }
  addon = r.addon;
  nativePath = r.path;
  const cpu = env("KILN_CPU") as CpuPath | undefined;
  if (cpu !== undefined && cpu in CPU_CODE) addon.cpuPath(CPU_CODE[cpu]);
  if (pendingThreads !== undefined) addon.setNumThreads(pendingThreads);
  available.set("native", createNativeBackend(addon));
  return undefined;
}

/** Loads wasm/kiln.wasm (once) and registers "wasm"; returns the failure reason if it cannot. */
function tryWasm(): string | undefined {
  if (available.has("wasm") || wasmError !== undefined) return wasmError;
  const r = loadWasmBackend();
  if (!r.ok) {
    wasmError = r.reason;
    return wasmError;
  }
  wasmPath = r.path;
  wasmThreads = r.threads;
  wasmNote = r.note;
  available.set("wasm", r.backend);
  return undefined;
}

/**
 * Forgets an earlier failure to load the wasm backend and tries again; returns why it is still
 * unavailable. The browser entry's initWasm calls it once the module is compiled.
 */
export function retryWasm(): string | undefined {
  if (!available.has("wasm")) wasmError = undefined;
  const why = tryWasm();
  if (why === undefined) fallbackReason = undefined;
  return why;
}

/** The wasm pool's thread count: setNumThreads's, else KILN_NUM_THREADS, else the cores. */
function defaultThreads(): number {
  const fromEnv = Number.parseInt(env("KILN_NUM_THREADS") ?? "", 10);
  const cores = cpuCount();
  const n = pendingThreads ?? (fromEnv > 0 ? fromEnv : cores);
  return Math.max(1, Math.min(n, cores));
}

let wasmSelected = false;

/** Starts the wasm backend's worker threads once it is selected (never for a mere listing). */
function startWasmThreads(): void {
  wasmSelected = true;
  wasmThreads?.setThreads(defaultThreads());
}

{
  const forced = env("KILN_BACKEND");
  if (forced === "reference") {
    current = referenceBackend;
  } else if (forced === "wasm" && tryWasm() === undefined) {
    current = available.get("wasm")!;
    startWasmThreads();
  } else {
    const why = tryNative();
    if (why === undefined) current = available.get("native")!;
    else {
      const wasmWhy = tryWasm();
      current = available.get("wasm") ?? referenceBackend;
      if (current.name === "wasm") startWasmThreads();
      fallbackReason =
        wasmWhy === undefined
          ? `native backend unavailable, using wasm: ${why}`
          : `native backend unavailable, using reference: ${why}; wasm backend unavailable: ${wasmWhy}`;
      if (typeof process !== "undefined") process.stderr.write(`kiln: ${fallbackReason}\n`);
    }
    if (forced !== undefined && forced !== "" && !available.has(forced)) {
      process.emitWarning(
        `KILN_BACKEND=${forced} is not available (available: ${[...available.keys()].join(", ")}); using ${current.name}`,
      );
    }
  }
}

/** The backend that ops currently dispatch to. */
export function backend(): Backend {
  return current;
}

let fusedOn = env("KILN_FUSED") !== "0";

/**
 * The active backend's fused kernels for composite ops, or undefined when it has none or they
 * are switched off (KILN_FUSED=0, or `setFusedKernels(false)`): composite ops then compose.
 */
export function fusedKernels(): Partial<FusedKernels> | undefined {
  return fusedOn ? current.fused : undefined;
}

/** Switches the fused kernels of composite ops on or off (tests compare both paths). */
export function setFusedKernels(on: boolean): void {
  fusedOn = on;
}

/** The name of the active backend. */
export function getBackend(): string {
  if (arguments.length > 0) checkArity("getBackend", arguments, 0);
  return current.name;
}

/** Selects a backend by name; throws naming the available ones when it is not. */
export function setBackend(name: BackendName): void {
  checkArity("setBackend", arguments, 1);
  if (name === "native") tryNative();
  if (name === "wasm") tryWasm();
  const b = available.get(name);
  if (b === undefined) {
    const err = name === "native" ? nativeError : name === "wasm" ? wasmError : undefined;
    const why = err !== undefined ? ` (${err})` : "";
    throw new ValueError(
      `setBackend: backend "${name}" is not available${why} (available: ${[...available.keys()].join(", ")})`,
    );
  }
  if (name === "wasm" && current !== b) startWasmThreads();
  current = b;
}

/** Names of the backends that can be selected (loads the wasm module to know). */
export function availableBackends(): string[] {
  if (arguments.length > 0) checkArity("availableBackends", arguments, 0);
  tryWasm();
  return [...available.keys()];
}

/**
 * Sets the threads native and wasm kernels use (clamped to 1..cores), as torch.set_num_threads.
 * Defaults to KILN_NUM_THREADS or the number of cores. The reference backend is single-threaded;
 * the wasm backend is threaded where its threaded module loads (shared memory and workers).
 */
export function setNumThreads(n: number): void {
  checkArity("setNumThreads", arguments, 1);
  if (!Number.isInteger(n) || n < 1) {
    throw new ValueError(`setNumThreads: expected a positive integer, but got ${n}`);
  }
  pendingThreads = n;
  addon?.setNumThreads(n);
  if (wasmSelected) wasmThreads?.setThreads(defaultThreads());
}

/**
 * The threads the active backend's kernels use, as torch.get_num_threads (1 on the reference
 * backend and on the single-threaded wasm module).
 */
export function getNumThreads(): number {
  if (arguments.length > 0) checkArity("getNumThreads", arguments, 0);
  if (current.name === "wasm") return wasmThreads?.getThreads() ?? 1;
  return addon?.getNumThreads() ?? 1;
}

/** What `kiln info --backend` reports. */
export interface BackendInfo {
  backend: string;
  available: string[];
  /** The native kernels' CPU path, null when the addon is not loaded. */
  cpuPath: CpuPath | null;
  threads: number;
  /** Why the native backend is unavailable, when it is. */
  nativeError: string | null;
  /** The native addon's file (a local build or a shipped prebuild), null when it is not loaded. */
  nativePath: string | null;
  /** Why the wasm backend is unavailable, when it is (null when loaded or never needed). */
  wasmError: string | null;
  /** The WebAssembly module's file, null when it is not loaded. */
  wasmPath: string | null;
  /** Why the default backend is a fallback (native missing), null when it is not. */
  fallbackReason: string | null;
  /** Why the wasm backend runs single-threaded, when it does although threads were wanted. */
  wasmNote: string | null;
}

/** The active backend, the native CPU path (avx512/avx2/portable) and the thread count. */
export function backendInfo(): BackendInfo {
  if (arguments.length > 0) checkArity("backendInfo", arguments, 0);
  return {
    backend: current.name,
    available: availableBackends(),
    cpuPath: addon?.cpuPath() ?? null,
    threads: getNumThreads(),
    nativeError: nativeError ?? null,
    nativePath: nativePath ?? null,
    wasmError: wasmError ?? null,
    wasmPath: wasmPath ?? null,
    fallbackReason: fallbackReason ?? null,
    wasmNote: wasmNote ?? wasmThreads?.failure() ?? null,
  };
}

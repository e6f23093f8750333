// The threaded wasm build in a browser (wasm/kiln-mt.wasm): one shared WebAssembly.Memory, the
// main instance, and Web Workers that each instantiate the same module over that memory and park
// in its thread pool (kw_worker), as threads.ts does with worker_threads in Node. Needs
// SharedArrayBuffer (a crossOriginIsolated page) and a caller that may block (a Worker: the C pool
// waits with memory.atomic.wait, which a page's main thread may not). Workers start
// asynchronously, so the pool is sized up front. No Node API; depends on module.ts only.

import { arenaOf, type KilnWasmExports, type KilnWasmThreadExports, wasmApi } from "./module.ts";
import type { WasmThreads } from "./threads.ts";

/** Pages of 64 KiB the threaded module's memory starts with (its --initial-memory; threads.ts). */
const INITIAL_PAGES = 64;
const STACK_BYTES = 1 << 20;
const SCRATCH_A_BYTES = 1 << 20; // KILN_SCRATCH_A_BYTES
const SCRATCH_B_BYTES = 4 << 20; // KILN_SCRATCH_BYTES
/** How long starting workers may take before the pool gives up on them (ms). */
const START_TIMEOUT_MS = 20_000;

// The worker's program (a classic script from a Blob URL): instantiate over the shared memory,
// take its own stack, say it is ready (or that it failed), then serve jobs forever.
const WORKER_SOURCE = `
onmessage = (e) => {
  const d = e.data;
  let inst;
  try {
    inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
    inst.exports.__stack_pointer.value = d.stack;
  } catch (err) {
    postMessage({ ok: false, error: String(err) });
    return;
  }
  postMessage({ ok: true });
  inst.exports.kw_worker(d.tid, d.seen);
};
`;

/** The browser globals used here (the project's lib has no DOM typings). */
interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((e: { data: { ok: boolean; error?: string } }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
}
interface BrowserGlobals {
  Worker: new (url: string, options?: { name?: string }) => BrowserWorker;
  Blob: new (parts: string[], options: { type: string }) => object;
  URL: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  WebAssembly: {
    instantiate(module: object, imports: object): Promise<{ readonly exports: unknown }>;
  };
}

/** Why the threaded module cannot run here, or null when it can (a Worker of an isolated page). */
export function threadsUnavailable(): string | null {
  const g = globalThis as unknown as {
    crossOriginIsolated?: boolean;
    SharedArrayBuffer?: unknown;
    Worker?: unknown;
    document?: unknown;
  };
  if (typeof g.SharedArrayBuffer === "undefined" || g.crossOriginIsolated === false) {
    return "the page is not cross-origin isolated (serve it with COOP: same-origin and COEP: require-corp)";
  }
  if (typeof g.Worker === "undefined") return "this context cannot start Web Workers";
  if (typeof g.document !== "undefined") {
    return "Kiln runs on the page's main thread, which may not block (Atomics.wait): run it in a Worker";
  }
  return null;
}

/**
 * Instantiates the compiled threaded module over a new shared memory and starts `count - 1` Web
 * Workers into its pool (resolving once every one is parked, or with fewer when some fail).
 */
export async function instantiateThreadedAsync(
  module: object,
  count: number,
): Promise<{ ex: KilnWasmExports; threads: WasmThreads }> {
  const g = globalThis as unknown as BrowserGlobals;
  const memory = new (wasmApi().Memory)({ initial: INITIAL_PAGES, maximum: 65536, shared: true });
  const inst = await g.WebAssembly.instantiate(module, { env: { memory } });
  const ex = { ...(inst.exports as object), memory } as unknown as KilnWasmExports &
    KilnWasmThreadExports;
  if (ex.kw_threads() !== 1) throw new Error("not the threaded build of kiln.wasm");
  const mem = arenaOf(ex);
  const scratchOf = (tid: number) =>
    ex.kw_set_scratch(tid, mem.reserve(SCRATCH_A_BYTES), mem.reserve(SCRATCH_B_BYTES));
  scratchOf(0);
  let failure: string | null = null;
  const wantedWorkers = Math.max(0, Math.min(63, Math.floor(count) - 1));
  const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: "text/javascript" }));
  const seen = ex.kw_generation();
  const starts: Promise<boolean>[] = [];
  for (let tid = 1; tid <= wantedWorkers; tid++) {
    scratchOf(tid);
    const stack = mem.reserve(STACK_BYTES) + STACK_BYTES;
    const w = new g.Worker(url, { name: `kiln-wasm-${tid}` });
    starts.push(
      new Promise<boolean>((done) => {
        const timer = setTimeout(() => {
          failure ??= `worker threads did not start within ${START_TIMEOUT_MS} ms`;
          done(false);
        }, START_TIMEOUT_MS);
        w.onmessage = (e) => {
          clearTimeout(timer);
          if (!e.data.ok) failure ??= `a worker thread failed to start: ${e.data.error}`;
          done(e.data.ok);
        };
        w.onerror = (e) => {
          clearTimeout(timer);
          failure ??= `a worker thread failed to start: ${e.message ?? "error"}`;
          done(false);
        };
      }),
    );
    w.postMessage({ module, memory, tid, stack, seen });
  }
  const ok = await Promise.all(starts);
  g.URL.revokeObjectURL(url);
  // Workers are numbered 1..n and the C pool hands job shares to 1..workers: only a prefix that
  // all started can be used.
  let workers = 0;
  while (workers < ok.length && ok[workers]) workers++;
  ex.kw_set_workers(workers);
  let wanted = workers + 1;
  ex.kw_set_num_threads(wanted);
  return {
    ex,
    threads: {
      setThreads(n: number): number {
        wanted = Math.max(1, Math.min(64, Math.floor(n)));
        return ex.kw_set_num_threads(Math.min(wanted, workers + 1));
      },
      failure: () => failure,
      getThreads: () => Math.min(wanted, workers + 1),
      started: () => workers + 1,
    },
  };
}

// The threaded wasm build in Node (wasm/kiln-mt.wasm): one shared WebAssembly.Memory, the main
// instance, and worker_threads that each instantiate the same module over that memory and park
// in its thread pool (kw_worker). Workers start on demand (setThreads) and are unref'd, so they
// never keep the process alive. Node-only (worker_threads); the kernels' C pool does the rest.
// Depends on module.ts only.

import { Worker } from "node:worker_threads";
import { arenaOf, type KilnWasmExports, type KilnWasmThreadExports, wasmApi } from "./module.ts";

/** Pages of 64 KiB the threaded module's memory starts with (its --initial-memory). */
const INITIAL_PAGES = 64;
const STACK_BYTES = 1 << 20;
const SCRATCH_A_BYTES = 1 << 20; // KILN_SCRATCH_A_BYTES
const SCRATCH_B_BYTES = 4 << 20; // KILN_SCRATCH_BYTES
/** How long starting workers may take before the pool gives up on them (ms). */
const START_TIMEOUT_MS = 20_000;

// The worker's program (CommonJS, run with eval and no inherited flags): instantiate over the
// shared memory, take its own stack, say it is ready (or that it failed), then serve jobs forever.
const WORKER_SOURCE = `
const { workerData: d } = require("node:worker_threads");
const flags = new Int32Array(d.memory.buffer, d.readyAt, 2);
let inst;
try {
  inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  inst.exports.__stack_pointer.value = d.stack;
} catch (e) {
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 0);
  throw e;
}
Atomics.add(flags, 0, 1);
Atomics.notify(flags, 0);
inst.exports.kw_worker(d.tid, d.seen);
`;

/** The thread controls of a threaded instance. */
export interface WasmThreads {
  /** Sets the threads kernels use (starting workers as needed); returns the count in effect. */
  setThreads(n: number): number;
  getThreads(): number;
  /** Threads started (workers + the caller). */
  started(): number;
  /** Why workers could not be started, if they could not (the pool then stays smaller). */
  failure(): string | null;
}

/** Instantiates the threaded module over a new shared memory; its thread pool starts empty. */
export function instantiateThreaded(bytes: Uint8Array): {
  ex: KilnWasmExports;
  threads: WasmThreads;
} {
  const api = wasmApi();
  const memory = new api.Memory({ initial: INITIAL_PAGES, maximum: 65536, shared: true });
  const module = new api.Module(bytes);
  const inst = new api.Instance(module, { env: { memory } });
  const ex = { ...(inst.exports as object), memory } as unknown as KilnWasmExports &
    KilnWasmThreadExports;
  if (ex.kw_threads() !== 1) throw new Error("not the threaded build of kiln.wasm");
  const mem = arenaOf(ex);
  const readyAt = mem.reserve(64);
  new Int32Array(memory.buffer as ArrayBufferLike, readyAt, 2).fill(0);
  const scratchOf = (tid: number) =>
    ex.kw_set_scratch(tid, mem.reserve(SCRATCH_A_BYTES), mem.reserve(SCRATCH_B_BYTES));
  scratchOf(0);
  let workers = 0;
  let wanted = 1;
  let failure: string | null = null;

  function start(count: number): void {
    const first = workers + 1;
    const seen = ex.kw_generation();
    for (let tid = first; tid <= count; tid++) {
      scratchOf(tid);
      const stack = mem.reserve(STACK_BYTES) + STACK_BYTES;
      const w = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [], // not the parent's (--input-type=module would make the source ESM)
        workerData: { module, memory, tid, stack, seen, readyAt },
      });
      w.unref();
    }
    // Wait (synchronously: kernels are synchronous) until every new worker is parked.
    const flags = new Int32Array(memory.buffer as ArrayBufferLike, readyAt, 2);
    const deadline = Date.now() + START_TIMEOUT_MS;
    let now: number;
    while ((now = Atomics.load(flags, 0)) < count && Atomics.load(flags, 1) === 0) {
      if (Date.now() > deadline) {
        throw new Error(`kiln wasm: worker threads did not start within ${START_TIMEOUT_MS} ms`);
      }
      Atomics.wait(flags, 0, now, 50);
    }
    if (Atomics.load(flags, 1) !== 0) throw new Error("kiln wasm: a worker thread failed to start");
    workers = count;
    ex.kw_set_workers(workers);
  }

  return {
    ex,
    threads: {
      setThreads(n: number): number {
        wanted = Math.max(1, Math.min(64, Math.floor(n)));
        if (wanted - 1 > workers && failure === null) {
          try {
            start(wanted - 1);
          } catch (e) {
            // Kernels go on with the threads that did start (at least the caller's).
            failure = e instanceof Error ? e.message : String(e);
          }
        }
        return ex.kw_set_num_threads(wanted);
      },
      failure: () => failure,
      getThreads: () => Math.min(wanted, workers + 1),
      started: () => workers + 1,
    },
  };
}

// The backend conformance suite run inside a browser page or Worker (bundled by
// test/browser/chromium.browser.ts with the browser build's plugin): test/backend's primitive and
// fused cases compare the wasm backend, loaded as the browser loads it (load-browser.ts), with the
// reference kernels on random shapes and strided, broadcast, zero-size and 0-d views, at 1 and at
// the most threads the context allows. In a Worker it answers a posted options object.

import { backend, getNumThreads, retryWasm, setBackend } from "../../src/backend/registry.ts";
import { loadWasmBackendAsync } from "../../src/backend/wasm/load-browser.ts";
import { FUSED_KERNEL_NAMES, fusedCases } from "../backend/fused.ts";
import { CaseCounter, ref, rng, threadCounts } from "../backend/helpers.ts";
import {
  binaryCases,
  type Ctx,
  cumsumCases,
  matmulCases,
  reduceCases,
  takePutCases,
  unaryCases,
  whereCases,
} from "../backend/primitives.ts";

const PRIMITIVES: [string, (ctx: Ctx) => void][] = [
  ["unary", unaryCases],
  ["binary", binaryCases],
  ["where", whereCases],
  ["reduce", reduceCases],
  ["cumsum", cumsumCases],
  ["matmul", matmulCases],
  ["take and put", takePutCases],
];

export interface ConformanceOptions {
  /** URLs of the two modules. */
  wasm: string;
  wasmThreaded: string;
  /** Threads wanted (the threaded module is used where the context allows it). */
  threads: number;
  /** Also run the fused kernels' cases. */
  fused: boolean;
  /** Run each case at the most threads only (the 1-thread path is checked elsewhere). */
  mostOnly?: boolean;
  /** Only these primitive groups (default all: unary, binary, where, reduce, cumsum, matmul, take and put). */
  groups?: string[];
}

export interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}

export interface ConformanceReport {
  backend: string;
  /** The thread counts every case ran at. */
  threads: number[];
  crossOriginIsolated: boolean;
  /** Why the module is single-threaded, when it is. */
  note: string | null;
  results: CaseResult[];
  counts: string;
}

function run(results: CaseResult[], name: string, fn: () => void): void {
  const t0 = performance.now();
  try {
    fn();
    results.push({ name, ok: true, ms: performance.now() - t0 });
  } catch (e) {
    const error = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 800) : String(e);
    results.push({ name, ok: false, ms: performance.now() - t0, error });
  }
}

/** Loads the wasm backend and runs the cases; never throws (a failure is a result). */
export async function runConformance(o: ConformanceOptions): Promise<ConformanceReport> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const loaded = await loadWasmBackendAsync({
    wasm: o.wasm,
    wasmThreaded: o.wasmThreaded,
    ...(o.threads > 0 ? { threads: o.threads } : {}),
  });
  const results: CaseResult[] = [];
  if (!loaded.ok || retryWasm() !== undefined) {
    const reason = loaded.ok ? "registry refused it" : loaded.reason;
    results.push({ name: "load the wasm backend", ok: false, ms: 0, error: reason });
    return {
      backend: "none",
      threads: [],
      crossOriginIsolated: isolated,
      note: null,
      results,
      counts: "",
    };
  }
  setBackend("wasm");
  const kernels = backend();
  const counts = threadCounts("wasm");
  const threads = o.mostOnly ? counts.slice(-1) : counts;
  const counter = new CaseCounter();
  PRIMITIVES.forEach(([name, fn], k) => {
    if (o.groups !== undefined && !o.groups.includes(name)) return;
    run(results, name, () =>
      fn({ kernels, threads, r: rng(1000 + k), count: (kernel) => counter.add(kernel) }),
    );
  });
  run(results, "matmul: 0 times inf gives NaN", () => {
    const a = { data: Float32Array.of(0, 1), shape: [1, 1, 2], strides: [2, 2, 1], offset: 0 };
    const b = {
      data: Float32Array.of(Infinity, 2),
      shape: [1, 2, 1],
      strides: [2, 1, 1],
      offset: 0,
    };
    const want = new Float32Array(1);
    const got = new Float32Array(1);
    ref.matmul(a, b, want);
    kernels.matmul(a, b, got);
    if (!Number.isNaN(want[0]) || !Number.isNaN(got[0])) {
      throw new Error(`expected NaN from both, got reference ${want[0]}, wasm ${got[0]}`);
    }
  });
  if (o.fused) {
    const fused = kernels.fused ?? {};
    for (const name of FUSED_KERNEL_NAMES) {
      if (typeof fused[name] !== "function") continue;
      run(results, `fused ${name}`, () =>
        fusedCases(name, {
          kernels,
          threads,
          r: rng(5000 + FUSED_KERNEL_NAMES.indexOf(name)),
          count: (kernel) => counter.add(kernel),
        }),
      );
    }
  }
  return {
    backend: kernels.name,
    threads: threads.length > 0 ? threads : [getNumThreads()],
    crossOriginIsolated: isolated,
    note: loaded.note,
    results,
    counts: counter.summary(),
  };
}

// In a Worker: run once per posted options object and post the report back.
const scope = globalThis as unknown as {
  document?: unknown;
  postMessage?: (m: unknown) => void;
  onmessage?: (e: { data: ConformanceOptions }) => void;
};
if (scope.document === undefined && typeof scope.postMessage === "function") {
  scope.onmessage = (e) => {
    runConformance(e.data).then((r) => scope.postMessage?.(r));
  };
}

// The browser bench page's module (bench/browser/index.html; bundled by bench/browser/run.ts into
// dist/bench/browser-bench.js): loads Kiln's browser bundle (dist/browser/kiln.js) at run time and
// TensorFlow.js from its UMD scripts (window.tf with the wasm backend), fetches MNIST's IDX bytes
// from /mnist/, and runs bench/tfjs-mlp.ts's workloads on both, single-threaded, in wall time
// (and marks for the driver's CPU-time readings).
// Exposes window.runBench(options) for the driver and prints a table in the page. Browser only.

import {
  type EpochResult,
  type Kiln,
  kilnSeedMlp,
  kilnSgemm,
  mnistFromIdx,
  type Tf,
  tfjsSeedMlp,
  tfjsSgemm,
} from "../tfjs-mlp.ts";

export interface BrowserBenchOptions {
  /** Training images (default 60000). */
  train?: number;
  /** Epochs timed after the first (default 1). */
  steady?: number;
  /** SGEMM size (default 1024). */
  n?: number;
  /** Kiln's browser bundle (default /dist/browser/kiln.js). */
  kilnUrl?: string;
  /** Where the IDX files are served (default /mnist/). */
  mnist?: string;
}

export interface BrowserBenchResult {
  userAgent: string;
  crossOriginIsolated: boolean;
  kilnBackend: string;
  kilnThreads: number;
  kilnNote: string | null;
  tfjsBackend: string;
  tfjsVersion: string;
  tfjsThreads: number;
  train: number;
  n: number;
  /** Products per timed SGEMM round. */
  sgemmReps: number;
  kiln: { sgemmGflops: number; mlp: EpochResult };
  tfjs: { sgemmGflops: number; mlp: EpochResult };
}

interface KilnBrowser {
  initWasm(o?: { threads?: number }): Promise<{
    backend: string;
    threads: number;
    reason: string | null;
  }>;
}

interface TfWasm {
  wasm: { setWasmPaths(p: string): void; getThreadsCount(): number };
}

/** The page's DOM, as far as this module uses it (the repository type-checks without lib.dom). */
interface Element {
  textContent: string | null;
  addEventListener(type: string, listener: () => void): void;
  click(): void;
}
const page = globalThis as unknown as {
  document: { getElementById(id: string): Element | null };
  location: { search: string };
  navigator: { userAgent: string };
  crossOriginIsolated?: boolean;
};

const FILES = [
  "train-images-idx3-ubyte",
  "train-labels-idx1-ubyte",
  "t10k-images-idx3-ubyte",
  "t10k-labels-idx1-ubyte",
];

async function bytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetching ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * A wall clock in seconds that also tells the driver (bench/browser/run.ts, through the binding
 * it exposes as `benchCpuMark`) when it is read, so that the driver can take the renderer's CPU
 * time at the same moments: on a shared machine CPU time is the steadier measure.
 */
function markingClock(lib: string): () => number {
  const mark = (globalThis as { benchCpuMark?: (lib: string) => unknown }).benchCpuMark;
  return () => {
    void mark?.(lib);
    return performance.now() / 1000;
  };
}

const out = () => page.document.getElementById("out")!;
const say = (s: string) => {
  out().textContent = s;
};

async function runBench(o: BrowserBenchOptions = {}): Promise<BrowserBenchResult> {
  const train = o.train ?? 60000;
  const steady = o.steady ?? 1;
  const n = o.n ?? 1024;
  const mnistBase = o.mnist ?? "/mnist/";
  const kilnUrl = o.kilnUrl ?? "/dist/browser/kiln.js";
  say("loading Kiln and tfjs...");
  const kiln = (await import(/* @vite-ignore */ kilnUrl)) as Kiln & KilnBrowser;
  const init = await kiln.initWasm({ threads: 1 });
  const tf = (globalThis as unknown as { tf: Tf & TfWasm }).tf;
  tf.wasm.setWasmPaths("/node_modules/@tensorflow/tfjs-backend-wasm/dist/");
  await tf.setBackend("wasm");
  await tf.ready();
  say("fetching MNIST...");
  const [ti, tl, vi, vl] = await Promise.all(FILES.map((f) => bytes(`${mnistBase}${f}`)));
  const d = mnistFromIdx(ti!, tl!, vi!, vl!, train);
  say("SGEMM...");
  const reps = n >= 1024 ? 4 : 40;
  const kilnGemm = kilnSgemm(kiln, n, { reps, clock: markingClock("kilnGemm") });
  const tfGemm = tfjsSgemm(tf, n, { reps, clock: markingClock("tfjsGemm") });
  say("Kiln epochs...");
  await new Promise((r) => setTimeout(r, 0));
  const kilnMlp = kilnSeedMlp(kiln, d, { steady, clock: markingClock("kiln") });
  say("tfjs epochs...");
  await new Promise((r) => setTimeout(r, 0));
  const tfMlp = tfjsSeedMlp(tf, d, { steady, clock: markingClock("tfjs") });
  const result: BrowserBenchResult = {
    userAgent: page.navigator.userAgent,
    crossOriginIsolated: page.crossOriginIsolated === true,
    kilnBackend: init.backend,
    kilnThreads: init.threads,
    kilnNote: init.reason,
    tfjsBackend: tf.getBackend(),
    tfjsVersion: tf.version.tfjs,
    tfjsThreads: tf.wasm.getThreadsCount(),
    train,
    n,
    sgemmReps: reps,
    kiln: { sgemmGflops: kilnGemm, mlp: kilnMlp },
    tfjs: { sgemmGflops: tfGemm, mlp: tfMlp },
  };
  const f = (x: number) => x.toFixed(2);
  say(
    [
      `Kiln ${init.backend} (${init.threads} thread) vs tfjs ${result.tfjsBackend} ${result.tfjsVersion} (${result.tfjsThreads} thread)`,
      `SGEMM ${n}³ GFLOP/s: Kiln ${kilnGemm.toFixed(1)}, tfjs ${tfGemm.toFixed(1)}`,
      `seed MLP epoch (${train} images), first s: Kiln ${f(kilnMlp.firstSeconds)}, tfjs ${f(tfMlp.firstSeconds)}`,
      `seed MLP epoch, steady s: Kiln ${f(kilnMlp.seconds)}, tfjs ${f(tfMlp.seconds)} (Kiln ${(tfMlp.seconds / kilnMlp.seconds).toFixed(2)}x faster)`,
      `test accuracy %: Kiln ${kilnMlp.accuracy.toFixed(1)}, tfjs ${tfMlp.accuracy.toFixed(1)}`,
    ].join("\n"),
  );
  return result;
}

(globalThis as unknown as { runBench: typeof runBench }).runBench = runBench;
const q = new URLSearchParams(page.location.search);
const num = (k: string) => (q.has(k) ? Number(q.get(k)) : undefined);
const options: BrowserBenchOptions = { train: num("train"), steady: num("steady"), n: num("n") };
page.document.getElementById("start")!.addEventListener("click", () => {
  runBench(options).catch((e: unknown) => say(`error: ${e instanceof Error ? e.message : e}`));
});
if (q.get("autostart") === "1") page.document.getElementById("start")!.click();

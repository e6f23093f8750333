// Benchmark (not a test): the native kernels that skip zeros, against the dense kernels they
// stand in for, at several densities. The path a call took is what the kernel reports; a dense
// kernel's time does not depend on the density. These are the measurements behind the density
// limits in native/sparse_linear.c and native/conv_sparse.c.
// Run alone: node --import tsx bench/sparse-kernels.bench.ts

import type { Window2dGeometry } from "../src/backend/backend.ts";
import type { NativeFusedAddon } from "../src/backend/native/fused.ts";
import { loadAddon } from "../src/backend/native/index.ts";

const loaded = loadAddon();
if (!loaded.ok) throw new Error(`the native addon is needed: ${loaded.reason}`);
const addon = loaded.addon as typeof loaded.addon & NativeFusedAddon;

/** n values, each nonzero with probability `density` (then uniform in [-0.5, 0.5)). */
function values(n: number, density: number): Float32Array {
  return Float32Array.from({ length: n }, () =>
    Math.random() < density ? Math.random() - 0.5 : 0,
  );
}

/** Best of 7 rounds of 100 calls, in µs per call; and the path the last call took. */
function time(call: () => boolean): { us: number; path: string } {
  let sparse = false;
  for (let i = 0; i < 50; i++) sparse = call();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) call();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / 100);
  }
  return { us: best, path: sparse ? "sparse" : "dense" };
}

const rows: string[][] = [];
const cell = ({ us, path }: { us: number; path: string }) => `${us.toFixed(1)} (${path})`;

// The MNIST MLP's first layer, one thread: x of the given density.
addon.setNumThreads(1);
{
  const [M, K, N] = [64, 784, 128];
  const w = values(N * K, 1);
  const g = values(M * N, 1);
  const out = new Float32Array(M * N);
  const gw = new Float32Array(N * K);
  for (const density of [0.1, 0.19, 0.3, 0.35, 1]) {
    const x = values(M * K, density);
    rows.push([
      `linear ${M}x${K}x${N}, 1 thread, x density ${density}`,
      cell(time(() => addon.linear(x, w, null, out, M, K, N))),
      cell(time(() => addon.linearBackward(g, x, w, null, gw, null, M, K, N))),
      "",
    ]);
  }
}

// The MNIST CNN's second layer, two threads: an output gradient of the given density.
addon.setNumThreads(2);
{
  const g: Window2dGeometry = {
    N: 64,
    C: 8,
    H: 13,
    W: 13,
    O: 16,
    Ho: 11,
    Wo: 11,
    kh: 3,
    kw: 3,
    sh: 1,
    sw: 1,
    dh: 1,
    dw: 1,
    pt: 0,
    pl: 0,
    groups: 1,
  };
  const meta = [g.N, g.C, g.H, g.W, g.O, g.Ho, g.Wo, g.kh, g.kw, 1, 1, 1, 1, 0, 0, 1];
  meta.forEach((v, i) => {
    addon.meta[i] = v;
  });
  const work = new Float32Array(addon.conv2dWork());
  const x = values(g.N * g.C * g.H * g.W, 1);
  const w = values(g.O * g.C * g.kh * g.kw, 1);
  const gx = new Float32Array(x.length);
  const gw = new Float32Array(w.length);
  for (const density of [0.1, 0.2, 0.3, 0.4, 0.5]) {
    const gy = values(g.N * g.O * g.Ho * g.Wo, density);
    rows.push([
      `conv2d 64x8x13x13 -> 16, 3x3, 2 threads, gy density ${density}`,
      "",
      cell(time(() => addon.conv2dWeightGrad(gy, x, gw, null, work))),
      cell(time(() => addon.conv2dInputGrad(gy, w, gx, work))),
    ]);
  }
}

console.log("| kernel | forward, µs | weight gradient, µs | input gradient, µs |");
console.log("|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);

// The sparse-input paths of the native linear layer (native/sparse_linear.c) against float64
// sums: the forward and the weight gradient of a mostly-zero x, on shapes around their blocks
// (128 output columns, 64-input chunks, 16-row transposes) and on 1 and 2 threads; where they
// must step aside for the dense kernels (a denser x, an infinity or NaN in the operand that meets
// x's zeros); and the layer's own entry points, which take them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NativeFusedAddon } from "../../src/backend/native/fused.ts";
import { addon, forEachConfig, rng, skip } from "./helpers.ts";

const f = addon as unknown as NativeFusedAddon | undefined;
const avx512 = addon?.cpuPath() === "avx512";

/** n values, each nonzero with probability `density` (then uniform in [-1, 1)). */
function sparse(n: number, density: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() < density ? 2 * r() - 1 : 0));
}

/**
 * got against the float64 sum of n terms term(i) (+ bias after rounding the sum to float32, as
 * the kernels round), to float32 rounding of the terms' magnitude; NaN and infinities exactly.
 */
function check(what: string, got: number, n: number, term: (i: number) => number, bias = 0) {
  let want = 0;
  let mag = Math.abs(bias);
  for (let i = 0; i < n; i++) {
    const t = term(i);
    want += t;
    mag += Math.abs(t);
  }
  want = Math.fround(Math.fround(want) + bias);
  if (Number.isNaN(want) || !Number.isFinite(want)) {
    assert.ok(Object.is(got, want), `${what}: ${got} vs ${want}`);
    return;
  }
  assert.ok(Math.abs(got - want) <= 1e-5 * (1 + mag), `${what}: ${got} vs ${want}`);
}

function checkForward(
  label: string,
  [M, K, N]: number[],
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array | null,
  out: Float32Array,
): void {
  for (let m = 0; m < M!; m++) {
    for (let n = 0; n < N!; n++) {
      const term = (k: number) => x[m * K! + k]! * w[n * K! + k]!;
      check(`${label} out[${m}, ${n}]`, out[m * N! + n]!, K!, term, bias?.[n] ?? 0);
    }
  }
}

function checkWeightGrad(
  label: string,
  [M, K, N]: number[],
  g: Float32Array,
  x: Float32Array,
  gw: Float32Array,
): void {
  for (let n = 0; n < N!; n++) {
    for (let k = 0; k < K!; k++) {
      const term = (m: number) => g[m * N! + n]! * x[m * K! + k]!;
      check(`${label} gw[${n}, ${k}]`, gw[n * K! + k]!, M!, term);
    }
  }
}

/** gw = gᵀ·x alone through linearBackward; whether it took the sparse path. */
function weightGrad(g: Float32Array, x: Float32Array, gw: Float32Array, [M, K, N]: number[]) {
  const w = new Float32Array(N! * K!); // read only for gx, which is not asked for
  return f!.linearBackward(g, x, w, null, gw, null, M!, K!, N!);
}

// [M, K, N, density of x]: the MNIST layer; N over one 128-column block, and off 16; K off the
// 64-input chunks and the 16-row transposes; M off 16; very sparse and near the threshold.
const SHAPES: [number, number, number, number][] = [
  [64, 784, 128, 0.19],
  [33, 389, 200, 0.1],
  [17, 1000, 72, 0.25],
  [100, 130, 129, 0.05],
  [3, 2001, 65, 0.3],
];

describe("sparse-input linear kernels", { skip: skip || (!avx512 && "needs AVX-512") }, () => {
  it("forward: runs on a mostly-zero x and equals float64 sums, bias or not", () => {
    forEachConfig((label) => {
      SHAPES.forEach(([M, K, N, density], s) => {
        const x = sparse(M * K, density, 10 + s);
        x.fill(0, 0, K); // a row with no nonzero at all
        const w = sparse(N * K, 1, 20 + s);
        const b = sparse(N, 1, 30 + s);
        for (const bias of [b, null]) {
          const what = `${label} ${M}x${K}x${N} bias ${bias !== null}`;
          const out = new Float32Array(M * N).fill(Number.NaN);
          assert.equal(f!.linear(x, w, bias, out, M, K, N), true, `${what} went sparse`);
          checkForward(what, [M, K, N], x, w, bias, out);
        }
      });
    }, false);
  });

  it("weight gradient: runs on a mostly-zero x and equals float64 sums", () => {
    forEachConfig((label) => {
      SHAPES.forEach(([M, K, N, density], s) => {
        const x = sparse(M * K, density, 40 + s);
        const g = sparse(M * N, 0.7, 50 + s);
        const what = `${label} ${M}x${K}x${N}`;
        const gw = new Float32Array(N * K).fill(Number.NaN);
        assert.equal(weightGrad(g, x, gw, [M, K, N]), true, `${what} went sparse`);
        checkWeightGrad(what, [M, K, N], g, x, gw);
      });
    }, false);
  });

  it("adds the bias once the sum is complete, as matmul then add rounds", () => {
    // Ten ones times weights of one: the sum is 10, and 2^24 + 10 is a float32. Adding the bias
    // first would lose every one (2^24 + 1 is not a float32 and rounds back to 2^24).
    const [M, K, N] = [64, 784, 128];
    const x = new Float32Array(M * K);
    for (let m = 0; m < M; m++) for (let i = 0; i < 10; i++) x[m * K + 100 + 67 * i] = 1;
    const w = new Float32Array(N * K).fill(1);
    const bias = new Float32Array(N).fill(2 ** 24);
    const out = new Float32Array(M * N);
    assert.equal(f!.linear(x, w, bias, out, M, K, N), true);
    assert.deepEqual(out, new Float32Array(M * N).fill(2 ** 24 + 10));
  });

  it("NaN and infinities of x reach the sums", () => {
    const [M, K, N] = [64, 784, 128];
    const x = sparse(M * K, 0.19, 60);
    x[3 * K + 100] = Number.NaN;
    x[5 * K + 7] = Number.POSITIVE_INFINITY;
    x[5 * K + 300] = Number.NEGATIVE_INFINITY; // +inf and -inf terms: NaN where they meet
    x[9 * K + 783] = Number.NEGATIVE_INFINITY;
    const w = sparse(N * K, 1, 61);
    const out = new Float32Array(M * N);
    assert.equal(f!.linear(x, w, null, out, M, K, N), true);
    checkForward("forward", [M, K, N], x, w, null, out);
    const g = sparse(M * N, 0.7, 62);
    const gw = new Float32Array(N * K);
    assert.equal(weightGrad(g, x, gw, [M, K, N]), true);
    checkWeightGrad("weight gradient", [M, K, N], g, x, gw);
  });

  it("steps aside for a denser x, and where a skipped zero would meet an infinity or NaN", () => {
    const [M, K, N] = [64, 784, 128];
    const dense = sparse(M * K, 0.5, 70);
    const x = sparse(M * K, 0.19, 71);
    const w = sparse(N * K, 1, 72);
    const g = sparse(M * N, 0.7, 73);
    const out = new Float32Array(M * N);
    const gw = new Float32Array(N * K);
    assert.equal(f!.linear(dense, w, null, out, M, K, N), false, "dense x, forward");
    assert.equal(weightGrad(g, dense, gw, [M, K, N]), false, "dense x, gradient");
    // 0 · inf is NaN: a weight or an output gradient with an infinity or NaN anywhere goes dense,
    // which gives the NaN.
    for (const bad of [Number.POSITIVE_INFINITY, Number.NaN]) {
      const wBad = w.slice();
      wBad[77 * K + 500] = bad;
      assert.equal(f!.linear(x, wBad, null, out, M, K, N), false, `w holds ${bad}`);
      checkForward(`dense forward, w holds ${bad}`, [M, K, N], x, wBad, null, out);
      const gBad = g.slice();
      gBad[40 * N + 3] = bad;
      assert.equal(weightGrad(gBad, x, gw, [M, K, N]), false, `g holds ${bad}`);
      checkWeightGrad(`dense gradient, g holds ${bad}`, [M, K, N], gBad, x, gw);
    }
    // Products too small to pay for the lists, or too narrow, stay dense.
    assert.equal(f!.linear(x, w, null, out, 2, K, N), false, "2 rows");
    assert.equal(weightGrad(g, x, gw, [2, K, N]), false, "2 rows");
    assert.equal(f!.linear(x, w, null, out, M, K, 48), false, "48 outputs");
    assert.equal(weightGrad(g, x, gw, [M, K, 48]), false, "48 outputs");
  });
});

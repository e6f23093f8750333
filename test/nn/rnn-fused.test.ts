// nn.LSTM and nn.GRU through the fused cell kernels against the composition of Tensor ops that
// defines them (the same layer with fused kernels switched off): outputs, gradients and, with
// createGraph, second derivatives (the fused node's differentiable backward is composed of Tensor
// ops). On the reference backend both runs are the composition, so the test still holds.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFusedKernels } from "../../src/backend/registry.ts";
import { autograd, manualSeed, nn, randn, type Tensor } from "../../src/index.ts";

function run(fused: boolean, make: () => nn.LSTM | nn.GRU, x: Tensor) {
  setFusedKernels(fused);
  try {
    manualSeed(11);
    const layer = make();
    const [out] = layer.call(x) as [Tensor, unknown];
    const params = layer.parameters();
    const loss = out.tanh().sum();
    const grads = autograd.grad([loss], [x, ...params], { createGraph: true });
    // A gradient penalty: its gradient is a second derivative through every cell step.
    const penalty = grads[0]!.pow(2).sum();
    const second = autograd.grad([penalty], params);
    return [out, ...grads, ...second].map((t) => Float64Array.from(t!.dataSync() as Float32Array));
  } finally {
    setFusedKernels(true);
  }
}

function close(a: Float64Array[], b: Float64Array[], tol: number) {
  assert.equal(a.length, b.length);
  a.forEach((arr, k) => {
    let worst = 0;
    for (let i = 0; i < arr.length; i++)
      worst = Math.max(worst, Math.abs(arr[i]! - b[k]![i]!) / (1 + Math.abs(b[k]![i]!)));
    assert.ok(worst < tol, `tensor ${k}: relative difference ${worst}`);
  });
}

describe("fused LSTM/GRU cells equal the composition", () => {
  const cases: [string, () => nn.LSTM | nn.GRU][] = [
    ["LSTM 2 layers", () => new nn.LSTM(5, 7, 2)],
    ["LSTM bidirectional, projSize", () => new nn.LSTM(5, 6, { bidirectional: true, projSize: 3 })],
    ["GRU 2 layers, batchFirst", () => new nn.GRU(5, 7, 2, { batchFirst: true })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: outputs, gradients and second derivatives`, () => {
      manualSeed(3);
      const x = randn(4, 3, 5, { requiresGrad: true });
      close(run(true, make, x), run(false, make, x), 2e-5);
    });
  }
});

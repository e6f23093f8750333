// Conv3d and F.conv3d against PyTorch (forward, input and parameter gradients, repr, state-dict
// keys), Conv1d/2d/3d padding modes ("reflect", "replicate", "circular", also with "same"),
// float64 finite-difference gradchecks of conv3d, and PyTorch's errors for bad input.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, ShapeError, type Tensor, ValueError } from "../../src/index.ts";
import { convNdIm2col } from "../../src/ops/window.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { casesFor, goldenNd, runLayerCase } from "./golden-nd.ts";

const F = nn.functional;

// The same constructions as tools/golden/layers_nd.py, in Kiln's spelling.
const factories: Record<string, () => nn.Module<unknown>> = {
  conv3d: () => new nn.Conv3d(2, 4, 3),
  conv3d_luna: () => new nn.Conv3d(1, 4, 3, { padding: 1 }),
  conv3d_strided_groups: () =>
    new nn.Conv3d(4, 6, [3, 2, 2], {
      stride: [2, 1, 2],
      padding: [1, 0, 1],
      dilation: [1, 2, 1],
      groups: 2,
      bias: false,
    }),
  conv3d_same: () => new nn.Conv3d(2, 3, [2, 3, 4], { padding: "same", dilation: [2, 1, 1] }),
  conv3d_valid: () => new nn.Conv3d(2, 2, 2, { padding: "valid" }),
  conv3d_unbatched: () => new nn.Conv3d(2, 3, 2),
  conv1d_reflect: () => new nn.Conv1d(2, 3, 3, { padding: 2, paddingMode: "reflect" }),
  conv2d_replicate: () => new nn.Conv2d(2, 3, 3, { padding: [1, 2], paddingMode: "replicate" }),
  conv2d_circular_same: () =>
    new nn.Conv2d(2, 3, [2, 3], { padding: "same", paddingMode: "circular" }),
  conv3d_reflect: () => new nn.Conv3d(2, 2, 3, 1, 1, 1, 1, true, "reflect"),
  conv3d_circular: () =>
    new nn.Conv3d(2, 2, [3, 1, 2], { stride: 2, padding: [1, 0, 2], paddingMode: "circular" }),
  conv3d_replicate_same: () =>
    new nn.Conv3d(1, 2, 2, { padding: "same", paddingMode: "replicate" }),
};

describe(`Conv3d and padding modes vs PyTorch ${goldenNd.torch}`, () => {
  const cases = casesFor(["conv"]);
  it("covers every conv fixture case", () => {
    assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(factories).sort());
  });
  for (const c of cases) it(c.name, () => runLayerCase(factories[c.name]!(), c));
});

describe("F.conv3d", () => {
  it("matches Conv3d's forward, positionally and with options", () => {
    const m = new nn.Conv3d(2, 3, 2, { stride: [1, 2, 1], padding: 1 });
    const x = randn(1, 2, 3, 4, 3);
    const a = m.forward(x);
    const b = F.conv3d(x, m.weight, m.bias, [1, 2, 1], 1);
    const c = F.conv3d(x, m.weight, m.bias, { stride: [1, 2, 1], padding: [1, 1, 1] });
    assert.deepEqual([...a.shape], [1, 3, 4, 3, 4]);
    assert.deepEqual([...b.dataSync()], [...a.dataSync()]);
    assert.deepEqual([...c.dataSync()], [...a.dataSync()]);
  });

  it("gradchecks in float64 (stride, padding, dilation, groups, bias)", () => {
    const x = randn([2, 4, 4, 3, 5], { dtype: "float64" }).requiresGrad_(true);
    const w = randn([4, 2, 2, 2, 3], { dtype: "float64" }).requiresGrad_(true);
    const b = randn([4], { dtype: "float64" }).requiresGrad_(true);
    const fn = () =>
      F.conv3d(x, w, b, { stride: [2, 1, 1], padding: [1, 0, 1], dilation: [1, 2, 1], groups: 2 });
    const gy = randn(fn().shape, { dtype: "float64" });
    assert.deepEqual(gradcheck(fn, [x, w, b], [gy]), []);
  });

  it('gradchecks in float64 with padding "same" (asymmetric)', () => {
    const x = randn([1, 2, 3, 4, 3], { dtype: "float64" }).requiresGrad_(true);
    const w = randn([2, 2, 2, 3, 2], { dtype: "float64" }).requiresGrad_(true);
    const fn = () => F.conv3d(x, w, null, { padding: "same" });
    assert.deepEqual([...fn().shape], [1, 2, 3, 4, 3]);
    assert.deepEqual(gradcheck(fn, [x, w], [randn([1, 2, 3, 4, 3], { dtype: "float64" })]), []);
  });

  it("takes the same float32 values and gradients through the backend's kernels as the float64 im2col", () => {
    // float32 runs the backend's fused 3-D convolution where it has one (native, wasm), float64
    // always the N-d im2col composition: they agree to float32 rounding (|error| below 1e-4 on
    // values of order 1 to 10, sums of at most 2·3·2·2 = 24 products per output)
    const win = {
      kernel: [3, 2, 2],
      stride: [2, 1, 2],
      dilation: [2, 1, 1],
      padLo: [2, 1, 0],
      padHi: [1, 0, 1],
    };
    const x64 = randn([2, 4, 7, 5, 6], { dtype: "float64" });
    const w64 = randn([6, 2, 3, 2, 2], { dtype: "float64" });
    const b64 = randn([6], { dtype: "float64" });
    const gy64 = randn([2, 6, 3, 5, 3], { dtype: "float64" });
    const run = (dtype: "float32" | "float64") => {
      const [x, w, b] = [x64, w64, b64].map((t) => t.to(dtype).detach().requiresGrad_(true)) as [
        Tensor,
        Tensor,
        Tensor,
      ];
      const y = convNdIm2col(x, w, b, win, 2, [3, 5, 3]);
      y.mul(gy64.to(dtype)).sum().backward();
      return [y, x.grad!, w.grad!, b.grad!].map((t) => [...t.dataSync()].map(Number));
    };
    const want = run("float64");
    const got = run("float32");
    got.forEach((g, k) => {
      assert.equal(g.length, want[k]!.length);
      for (const [i, v] of g.entries())
        assert.ok(Math.abs(v - want[k]![i]!) < 1e-4, `result ${k} at ${i}: ${v} vs ${want[k]![i]}`);
    });
  });

  it("throws PyTorch's errors for bad input", () => {
    const w = randn(2, 2, 3, 3, 3);
    assert.throws(() => F.conv3d(randn(2, 3, 3), w), ShapeError);
    assert.throws(() => F.conv3d(randn(1, 2, 3, 3, 3, 3), w), ShapeError);
    assert.throws(
      () => F.conv3d(randn(1, 3, 4, 4, 4), w),
      /expected input\[1, 3, 4, 4, 4\] to have 2 channels/,
    );
    assert.throws(() => F.conv3d(randn(1, 2, 2, 4, 4), w), /Kernel size can't be greater/);
    assert.throws(() => F.conv3d(randn(1, 2, 4, 4, 4), w, null, { stride: 0 }), ValueError);
    assert.throws(
      () => F.conv3d(randn(1, 2, 4, 4, 4), w, null, { stride: 2, padding: "same" }),
      /strided/,
    );
    assert.throws(
      () => F.conv3d(randn(1, 2, 4, 4, 4), randn(2, 2, 0, 1, 1)),
      /0 x 1 x 1 \(TxHxW\)/,
    );
    assert.throws(() => F.conv3d(randn(1, 2, 4, 4, 4), w, null, [1, 1] as never), ValueError);
  });
});

describe("Conv layers' arguments", () => {
  it("refuses unknown padding modes and strided 'same'", () => {
    assert.throws(
      () => new nn.Conv3d(1, 2, 3, { paddingMode: "mirror" as "zeros" }),
      /paddingMode/,
    );
    assert.throws(() => new nn.Conv3d(1, 2, 3, { stride: 2, padding: "same" }), /strided/);
    assert.throws(() => new nn.Conv3d(3, 2, 3, { groups: 2 }), /divisible by groups/);
  });
  it("has PyTorch's weight shape and init bounds", () => {
    const m = new nn.Conv3d(2, 4, [3, 2, 1], { groups: 2 });
    assert.deepEqual([...m.weight.shape], [4, 1, 3, 2, 1]);
    // kaimingUniform_(a = √5) bounds the weight by 1/√fanIn, fanIn = 1·3·2·1 = 6
    const bound = 1 / Math.sqrt(6);
    for (const v of m.weight.dataSync()) assert.ok(Math.abs(v) <= bound);
  });
});

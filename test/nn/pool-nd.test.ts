// The pooling layers beyond 2-D against PyTorch: MaxPool3d, returnIndices/ceilMode on
// MaxPool1d/2d/3d (indices equal to PyTorch's), AvgPool1d/3d, adaptive avg/max pools,
// MaxUnpool1d/2d/3d, LPPool1d/2d; float64 gradchecks of the 3-D and adaptive pools; errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, ShapeError, tensor, ValueError } from "../../src/index.ts";
import { maxPoolNd } from "../../src/ops/window.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec } from "./golden.ts";
import { casesFor, goldenNd, runLayerCase } from "./golden-nd.ts";

const F = nn.functional;

// The same constructions as tools/golden/layers_nd.py, in Kiln's spelling.
const factories: Record<string, () => nn.Module<unknown>> = {
  maxpool3d: () => new nn.MaxPool3d(2),
  maxpool3d_ceil_pad: () => new nn.MaxPool3d(3, { stride: 2, padding: 1, ceilMode: true }),
  maxpool3d_dil: () => new nn.MaxPool3d([2, 3, 2], { stride: 1, dilation: [1, 1, 2] }),
  maxpool3d_indices: () => new nn.MaxPool3d(2, { stride: [1, 2, 2], returnIndices: true }),
  maxpool3d_unbatched: () => new nn.MaxPool3d(2, null, 0, 1, true, true),
  maxpool2d_indices_ceil: () =>
    new nn.MaxPool2d(3, { stride: 2, padding: 1, returnIndices: true, ceilMode: true }),
  maxpool1d_indices: () =>
    new nn.MaxPool1d(3, { stride: 2, padding: 1, returnIndices: true, ceilMode: true }),
  avgpool1d: () => new nn.AvgPool1d(3),
  avgpool1d_pad_ceil: () =>
    new nn.AvgPool1d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgpool3d: () => new nn.AvgPool3d(2),
  avgpool3d_pad_ceil: () => new nn.AvgPool3d(3, 2, 1, true),
  avgpool3d_exclude_pad: () =>
    new nn.AvgPool3d([3, 2, 3], {
      stride: [2, 1, 2],
      padding: [1, 1, 0],
      ceilMode: true,
      countIncludePad: false,
    }),
  avgpool3d_divisor: () => new nn.AvgPool3d(2, { divisorOverride: 3 }),
  adaptiveavgpool1d: () => new nn.AdaptiveAvgPool1d(3),
  adaptiveavgpool3d: () => new nn.AdaptiveAvgPool3d([2, null, 3]),
  adaptiveavgpool3d_1: () => new nn.AdaptiveAvgPool3d(1),
  adaptivemaxpool1d: () => new nn.AdaptiveMaxPool1d(3, true),
  adaptivemaxpool2d: () => new nn.AdaptiveMaxPool2d([2, 3], { returnIndices: true }),
  adaptivemaxpool2d_none: () => new nn.AdaptiveMaxPool2d([null, 2]),
  adaptivemaxpool3d: () => new nn.AdaptiveMaxPool3d({ outputSize: [2, 3, 2], returnIndices: true }),
  lppool1d: () => new nn.LPPool1d(2, 3, 2),
  lppool2d: () => new nn.LPPool2d(1.5, [2, 3], { stride: [1, 2], ceilMode: true }),
};

describe(`pooling layers vs PyTorch ${goldenNd.torch}`, () => {
  const cases = casesFor(["maxpool", "avgpool", "adaptive", "lppool"]);
  it("covers every pooling fixture case", () => {
    assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(factories).sort());
  });
  for (const c of cases) it(c.name, () => runLayerCase(factories[c.name]!(), c));
});

describe(`MaxUnpool vs PyTorch ${goldenNd.torch}`, () => {
  const layers: Record<string, () => nn.MaxUnpool1d | nn.MaxUnpool2d | nn.MaxUnpool3d> = {
    maxunpool1d: () => new nn.MaxUnpool1d(2),
    maxunpool1d_size: () => new nn.MaxUnpool1d(3, 2, 1),
    maxunpool2d: () => new nn.MaxUnpool2d(2),
    maxunpool2d_size: () => new nn.MaxUnpool2d({ kernelSize: 2 }),
    maxunpool3d: () => new nn.MaxUnpool3d(2),
    maxunpool3d_unbatched: () => new nn.MaxUnpool3d([1, 2, 2]),
  };
  it("covers every unpool fixture case", () => {
    assert.deepEqual(goldenNd.unpool.map((c) => c.name).sort(), Object.keys(layers).sort());
  });
  for (const c of goldenNd.unpool) {
    it(c.name, () => {
      const m = layers[c.name]!();
      assert.equal(m.toString(), c.repr, "repr");
      const x = dec(c.input).requiresGrad_(true);
      const y = m.call(x, dec(c.indices), c.output_size);
      assertClose(y, c.output, "output");
      y.mul(dec(c.gy)).sum().backward();
      assertClose(x.grad!, c.grad_input, "input grad");
    });
  }
  it("round-trips a max pool's indices through the functional form", () => {
    const x = randn(1, 2, 4, 4, 4);
    const [y, idx] = F.maxPool3d(x, 2, { returnIndices: true });
    const u = F.maxUnpool3d(y, idx, 2);
    // every window max lands back where it came from, so pooling again gives the same values
    assert.deepEqual([...F.maxPool3d(u, 2).dataSync()], [...y.dataSync()]);
  });
  it("throws PyTorch's errors", () => {
    const y = randn(1, 1, 2, 2);
    const idx = tensor(
      [
        [
          [
            [0, 1],
            [2, 99],
          ],
        ],
      ],
      { dtype: "int32" },
    );
    assert.throws(() => F.maxUnpool2d(y, idx, 2), /invalid max index: 99/);
    assert.throws(() => F.maxUnpool2d(y, idx.float(), 2), /int32/);
    assert.throws(() => F.maxUnpool2d(y, idx.reshape(1, 1, 4, 1), 2), /same as that of the input/);
    assert.throws(
      () =>
        F.maxUnpool2d(
          y,
          tensor(
            [
              [
                [
                  [0, 1],
                  [2, 3],
                ],
              ],
            ],
            { dtype: "int32" },
          ),
          2,
          { outputSize: [9, 4] },
        ),
      /invalid output_size "\[9, 4\]" \(dim 0 must be between 2 and 6\)/,
    );
  });
});

describe("functional pools", () => {
  it("maxPool1d/2d/3d give [out, indices] with returnIndices, positionally or as an option", () => {
    const x3 = randn(2, 2, 4, 4, 4);
    const [a, ai] = F.maxPool3d(x3, 2, null, 0, 1, false, true);
    assert.deepEqual([...a.dataSync()], [...F.maxPool3d(x3, 2).dataSync()]);
    assert.equal(ai.dtype, "int32");
    const x2 = randn(2, 3, 5, 5);
    const [b, bi] = F.maxPool2d(x2, 2, { returnIndices: true });
    const w = F.maxPool2dWithIndices(x2, 2);
    assert.deepEqual([...bi.dataSync()], [...w.indices.dataSync()]);
    assert.deepEqual([...b.dataSync()], [...w.values.dataSync()]);
    // an output size of 0 gives an empty result, as PyTorch's torch.Size([1, 2, 2, 0])
    assert.deepEqual([...F.adaptiveMaxPool2d(randn(1, 2, 5, 5), [2, 0]).shape], [1, 2, 2, 0]);
    assert.deepEqual(
      [...F.adaptiveAvgPool3d(randn(1, 2, 5, 5, 3), [2, 0, 1]).shape],
      [1, 2, 2, 0, 1],
    );
    const [c, ci] = F.maxPool1d(randn(3, 7), 2, { returnIndices: true });
    assert.deepEqual([...c.shape], [3, 3]);
    assert.deepEqual([...ci.shape], [3, 3]);
  });

  it("pools 3-D in float32 through the backend's kernels exactly as the float64 window gather", () => {
    // float32 takes the backend's fused 3-D max pool where it has one (native, wasm), float64
    // always the generic window gather + max: values, indices and the gradient agree (first
    // maximum on ties: the inputs are small integers, so ties are common)
    const w = {
      kernel: [3, 2, 2],
      stride: [2, 1, 2],
      dilation: [1, 2, 1],
      padLo: [1, 0, 1],
      padHi: [1, 0, 1],
    };
    const out = [3, 3, 4];
    const base = randn([2, 3, 5, 5, 6], { dtype: "float64" }).mul(2).round();
    const gy = randn([2, 3, ...out], { dtype: "float64" });
    const run = (dtype: "float32" | "float64") => {
      const x = base.to(dtype).requiresGrad_(true);
      const r = maxPoolNd(x, w, out);
      r.values.mul(gy.to(dtype)).sum().backward();
      return [r.values, r.indices(), x.grad!].map((t) => [...t.dataSync()].map(Number));
    };
    const [v, i, g] = run("float32") as [number[], number[], number[]];
    const [v0, i0, g0] = run("float64") as [number[], number[], number[]];
    assert.deepEqual(v, v0, "values");
    assert.deepEqual(i, i0, "indices");
    // overlapping windows add several upstream values in float32: rounding of a few ulps
    for (const [k, e] of g0.entries()) assert.ok(Math.abs(g[k]! - e) <= 1e-5, `gradient ${k}`);
  });

  it("gradchecks maxPool3d, avgPool3d and the adaptive pools in float64", () => {
    const x = randn([1, 2, 5, 4, 5], { dtype: "float64" }).requiresGrad_(true);
    const check = (fn: () => ReturnType<typeof F.avgPool3d>) =>
      assert.deepEqual(gradcheck(fn, [x], [randn(fn().shape, { dtype: "float64" })]), []);
    check(() => F.maxPool3d(x, 3, { stride: 2, padding: 1, ceilMode: true }));
    check(() => F.maxPool3d(x, [2, 2, 3], { stride: 1, dilation: [2, 1, 1] }));
    check(() => F.avgPool3d(x, 3, { stride: 2, padding: 1, ceilMode: true }));
    check(() => F.avgPool3d(x, 3, { stride: 2, padding: 1, countIncludePad: false }));
    check(() => F.avgPool3d(x, 2, { divisorOverride: 5 }));
    check(() => F.adaptiveAvgPool3d(x, [2, 3, null]));
    check(() => F.adaptiveMaxPool3d(x, [3, 3, 2]));
    check(() => F.adaptiveMaxPool2d(x.reshape(2, 5, 4, 5), [3, 4]));
    check(() => F.adaptiveAvgPool1d(x.reshape(2, 4, 25), 7));
    check(() => F.adaptiveMaxPool1d(x.reshape(2, 4, 25), 6));
    check(() => F.avgPool1d(x.reshape(2, 4, 25), 4, { stride: 3, padding: 2, ceilMode: true }));
    const p = randn([1, 2, 5, 6], { dtype: "float64" }).abs().add(0.2).requiresGrad_(true);
    const lp = () => F.lpPool2d(p, 3, 2, { ceilMode: true });
    assert.deepEqual(gradcheck(lp, [p], [randn(lp().shape, { dtype: "float64" })]), []);
  });

  it("throws PyTorch's errors for wrong input rank and bad sizes", () => {
    assert.throws(() => F.maxPool3d(randn(2, 4, 4), 2), /non-empty 4D or 5D/);
    assert.throws(() => F.maxPool3d(randn(1, 2, 4, 4, 4), 2, { padding: 2 }), /at most half/);
    assert.throws(() => F.maxPool3d(randn(1, 2, 4, 4, 4), 0), /stride should not be zero/);
    assert.throws(() => F.maxPool3d(randn(1, 2, 4, 4, 4), 5), /Output size is too small/);
    assert.throws(() => F.maxPool3d(randn(1, 2, 4, 4, 4), 2, { dilation: 0 }), ValueError);
    assert.throws(() => F.maxPool3d(randn(1, 1, 0, 4, 4), 2), ShapeError);
    assert.throws(() => F.avgPool3d(randn(1, 2, 4, 4, 4), 2, { divisorOverride: 0 }), /not zero/);
    assert.throws(() => F.avgPool1d(randn(2, 3, 4, 5), 2), /Expected 2 to 3 dimensions/);
    assert.throws(() => F.avgPool1d(randn(2, 3, 4), 5), /Output size is too small/);
    assert.throws(() => F.adaptiveAvgPool3d(randn(2, 3, 4), 2), /Expected 4D or 5D tensor/);
    assert.throws(() => F.adaptiveMaxPool2d(randn(2, 3), 2), /Expected 3D or 4D tensor/);
    assert.throws(() => F.adaptiveMaxPool1d(randn(2, 3, 3, 3), 2), /Expected 2 to 3 dimensions/);
    assert.throws(() => F.adaptiveAvgPool1d(randn(1, 2, 5), -1), /greater than or equal to 0/);
    assert.throws(() => F.adaptiveAvgPool3d(randn(1, 2, 5, 5, 0), 1), /non-zero size/);
    assert.throws(() => new nn.MaxPool3d([2, 2] as never), ValueError);
    assert.throws(() => new nn.AdaptiveMaxPool3d([1, 2] as never), ValueError);
    assert.throws(() => new nn.LPPool2d(2, 3, { padding: 1 } as never), /unknown option "padding"/);
  });
});

// BatchNorm3d, InstanceNorm1d/2d/3d and LocalResponseNorm against PyTorch (train and eval
// steps, running statistics, state-dict keys, repr), float64 gradchecks of instanceNorm and
// localResponseNorm, and PyTorch's errors for wrong input rank.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, ValueError } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { casesFor, goldenNd, runLayerCase } from "./golden-nd.ts";

const F = nn.functional;

// The same constructions as tools/golden/layers_nd.py, in Kiln's spelling.
const factories: Record<string, () => nn.Module<unknown>> = {
  batchnorm3d: () => new nn.BatchNorm3d(3),
  batchnorm3d_momentum_none: () => new nn.BatchNorm3d(2, { momentum: null }),
  instancenorm1d: () => new nn.InstanceNorm1d(3),
  instancenorm1d_unbatched: () => new nn.InstanceNorm1d(3, { affine: true }),
  instancenorm2d_affine_track: () =>
    new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true }),
  instancenorm3d_track: () => new nn.InstanceNorm3d(2, 1e-3, 0.3, false, true),
  localresponsenorm: () => new nn.LocalResponseNorm(3),
  localresponsenorm_3d: () => new nn.LocalResponseNorm(2, { alpha: 1e-2, beta: 0.5, k: 2 }),
  localresponsenorm_5d: () => new nn.LocalResponseNorm(4, 0.1),
};

describe(`normalisation layers vs PyTorch ${goldenNd.torch}`, () => {
  const cases = casesFor(["batchnorm", "instancenorm", "localresponsenorm"]);
  it("covers every norm fixture case", () => {
    assert.deepEqual(cases.map((c) => c.name).sort(), Object.keys(factories).sort());
  });
  for (const c of cases) it(c.name, () => runLayerCase(factories[c.name]!(), c));
});

describe("F.instanceNorm and F.localResponseNorm", () => {
  it("gradcheck in float64 (input, weight and bias)", () => {
    const x = randn([2, 3, 4, 3], { dtype: "float64" }).requiresGrad_(true);
    const w = randn([3], { dtype: "float64" }).requiresGrad_(true);
    const b = randn([3], { dtype: "float64" }).requiresGrad_(true);
    const inorm = () => F.instanceNorm(x, null, null, w, b);
    const gy = randn([2, 3, 4, 3], { dtype: "float64" });
    assert.deepEqual(gradcheck(inorm, [x, w, b], [gy]), []);
    const lrn = () => F.localResponseNorm(x, 3, { alpha: 0.5, beta: 0.75, k: 1.5 });
    assert.deepEqual(gradcheck(lrn, [x], [gy]), []);
  });

  it("normalises with the running stats when useInputStats is false", () => {
    const x = randn(2, 3, 5);
    const rm = randn(3);
    const rv = randn(3).abs().add(0.5);
    const y = F.instanceNorm(x, rm, rv, { useInputStats: false, eps: 0 });
    // (x − rm)/√rv per channel, computed by hand
    const want = x.sub(rm.reshape(1, 3, 1)).div(rv.reshape(1, 3, 1).sqrt());
    const a = y.dataSync();
    const e = want.dataSync();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - e[i]!) < 1e-5);
  });

  it("throws PyTorch's errors for wrong input rank and sizes", () => {
    assert.throws(() => new nn.InstanceNorm1d(3).forward(randn(5)), /expected 2D or 3D input/);
    assert.throws(() => new nn.InstanceNorm2d(3).forward(randn(3, 4)), /expected 3D or 4D input/);
    assert.throws(() => new nn.InstanceNorm3d(2).forward(randn(2, 2, 3)), /expected 4D or 5D/);
    assert.throws(() => new nn.BatchNorm3d(2).forward(randn(2, 2, 3, 3)), /expected 5D input/);
    assert.throws(() => F.instanceNorm(randn(2, 3, 1)), /more than 1 spatial element/);
    assert.throws(
      () => new nn.InstanceNorm2d(3, { affine: true }).forward(randn(2, 4, 3, 3)),
      /should contain 4 elements not 3/,
    );
    assert.throws(
      () => F.instanceNorm(randn(2, 3, 4), null, null, { useInputStats: false }),
      ValueError,
    );
    assert.throws(() => F.localResponseNorm(randn(2, 3), 2), /Expected 3D or higher/);
    assert.throws(() => new nn.InstanceNorm1d(3, { momentum: null as never }), /momentum/);
  });
});

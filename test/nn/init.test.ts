// nn.init against PyTorch: gains and fans exactly, and the statistics of large initialised
// tensors (mean, std, bounds) against PyTorch's own draws of the same initialiser.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Generator, nn, type Tensor, zeros } from "../../src/index.ts";
import { loadGolden } from "./golden.ts";

interface Stat {
  name: string;
  shape: number[];
  options: Record<string, unknown>;
  mean: number;
  std: number;
  min: number;
  max: number;
}
const golden = loadGolden<{
  torch: string;
  gains: Record<string, number>;
  fans: { shape: number[]; fanIn: number; fanOut: number }[];
  stats: Stat[];
}>("init.json");

const I = nn.init;
const bounded = new Set([
  "uniform_",
  "truncNormal_",
  "xavierUniform_",
  "kaimingUniform_",
  "Linear.weight",
  "Linear.bias",
  "Conv2d.weight",
]);
const g = new Generator().manualSeed(7);

function draw(s: Stat): Tensor {
  const t = zeros(s.shape);
  const o = { ...s.options, generator: g };
  switch (s.name) {
    case "Linear.weight":
      return new nn.Linear(400, 256).weight;
    case "Linear.bias":
      return new nn.Linear(400, 256).bias!;
    case "Conv2d.weight":
      return new nn.Conv2d(32, 64, 3).weight;
    case "Embedding.weight":
      return new nn.Embedding(500, 64).weight;
    default:
      return (I as unknown as Record<string, (t: Tensor, o: object) => Tensor>)[s.name]!(t, o);
  }
}

describe(`nn.init vs PyTorch ${golden.torch}`, () => {
  it("calculateGain", () => {
    for (const [name, v] of Object.entries(golden.gains)) {
      const got =
        name === "leaky_relu_0.2"
          ? I.calculateGain("leaky_relu", 0.2)
          : I.calculateGain(name as nn.init.Nonlinearity);
      assert.ok(Math.abs(got - v) < 1e-12, `${name}: ${got} vs ${v}`);
    }
    assert.equal(I.calculateGain("leakyRelu", 0.2), I.calculateGain("leaky_relu", 0.2));
  });
  it("calculateFanInAndFanOut", () => {
    for (const f of golden.fans)
      assert.deepEqual(I.calculateFanInAndFanOut(zeros(f.shape)), [f.fanIn, f.fanOut]);
  });
  for (const s of golden.stats) {
    it(`${s.name} ${JSON.stringify(s.options)} ${s.shape.join("x")}`, () => {
      const v = Array.from(draw(s).dataSync());
      const n = v.length;
      const mean = v.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      // Sampling error of the mean is std/√n; allow 6 of those plus the torch draw's own.
      assert.ok(
        Math.abs(mean - s.mean) < (12 * s.std) / Math.sqrt(n) + 1e-9,
        `mean ${mean} vs torch ${s.mean}`,
      );
      // The relative sampling error of a std is about 1/√(2n); allow 5 of those (3% at least).
      assert.ok(
        Math.abs(std - s.std) / s.std < Math.max(0.03, 5 / Math.sqrt(2 * n)),
        `std ${std} vs torch ${s.std}`,
      );
      if (bounded.has(s.name)) {
        // Bounded initialisers: the extremes of many draws sit close to the bounds on both sides.
        const span = s.max - s.min;
        assert.ok(
          Math.min(...v) >= s.min - 0.02 * span && Math.max(...v) <= s.max + 0.02 * span,
          "range",
        );
      }
    });
  }
  it("orthogonal_ gives orthonormal rows (rows ≤ cols) and columns (rows > cols)", () => {
    for (const shape of [
      [4, 6],
      [6, 4],
    ]) {
      const w = I.orthogonal_(zeros(shape, { dtype: "float64" }), { generator: g });
      const gram = shape[0]! <= shape[1]! ? w.matmul(w.t()) : w.t().matmul(w);
      const eye = gram.toArray() as number[][];
      for (const [i, row] of eye.entries()) {
        for (const [j, x] of row.entries()) assert.ok(Math.abs(x - (i === j ? 1 : 0)) < 1e-9);
      }
    }
  });
  it("constant_, ones_, zeros_, eye_", () => {
    assert.deepEqual(I.constant_(zeros(2), 3).toArray(), [3, 3]);
    assert.deepEqual(I.ones_(zeros(2)).toArray(), [1, 1]);
    assert.deepEqual(I.zeros_(I.ones_(zeros(2))).toArray(), [0, 0]);
    assert.deepEqual(I.eye_(zeros(2, 3)).toArray(), [
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });
  it("initialisers write in place into parameters without recording a graph", () => {
    const fc = new nn.Linear(3, 2);
    const w = fc.weight;
    I.xavierUniform_(fc.weight);
    assert.equal(fc.weight, w);
    assert.ok(fc.weight.isLeaf && fc.weight.requiresGrad);
  });
});

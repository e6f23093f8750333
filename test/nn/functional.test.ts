// nn.functional beyond the layer fixtures: finite-difference gradient checks in float64,
// dropout statistics and seeding, softmax rows, oneHot, pad, maxPool indices, and nn.utils.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Generator, nn, noGrad, ones, randn, type Tensor, tensor, zeros } from "../../src/index.ts";

const F = nn.functional;
const g = new Generator().manualSeed(3);
const r64 = (...shape: number[]) => randn(shape, { dtype: "float64", generator: g });

/** Central differences of sum(f(x)·w) against autograd, in float64. */
function gradCheck(name: string, f: (x: Tensor) => Tensor, x: Tensor): void {
  const xr = x.clone().requiresGrad_(true);
  const y = f(xr);
  const w = randn(y.shape, { dtype: "float64", generator: g });
  y.mul(w).sum().backward();
  const analytic = xr.grad!.dataSync();
  const data = x.dataSync() as Float64Array;
  const h = 1e-6;
  for (let i = 0; i < data.length; i++) {
    const at = (d: number) => {
      const c = Float64Array.from(data);
      c[i]! += d;
      const xt = tensor(Array.from(c), { dtype: "float64" }).reshape(x.shape);
      return noGrad(() => f(xt).mul(w).sum().item() as number);
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    assert.ok(
      Math.abs(numeric - analytic[i]!) < 1e-6 + 1e-5 * Math.abs(numeric),
      `${name}: d/dx[${i}] ${analytic[i]} vs ${numeric}`,
    );
  }
}

describe("nn.functional gradients by finite differences (float64)", () => {
  const w = r64(3, 2, 2, 3);
  const img = r64(1, 2, 4, 4);
  const cases: [string, (x: Tensor) => Tensor, Tensor][] = [
    [
      "conv2d",
      (x) => F.conv2d(x, w, null, { stride: [1, 2], padding: 1, dilation: [2, 1] }),
      r64(1, 2, 5, 5),
    ],
    ["conv2d weight", (k) => F.conv2d(img, k, null, { padding: "same" }), r64(2, 2, 3, 2)],
    [
      "maxPool2d",
      (x) => F.maxPool2d(x, 2, { stride: 1, padding: 1, ceilMode: true }),
      r64(1, 2, 4, 3),
    ],
    [
      "avgPool2d",
      (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
      r64(1, 1, 5, 4),
    ],
    ["adaptiveAvgPool2d", (x) => F.adaptiveAvgPool2d(x, [2, 3]), r64(1, 2, 5, 4)],
    ["batchNorm", (x) => F.batchNorm(x, null, null, { training: true }), r64(4, 3)],
    ["layerNorm", (x) => F.layerNorm(x, [4]), r64(3, 4)],
    ["groupNorm", (x) => F.groupNorm(x, 2, {}), r64(2, 4, 3)],
    [
      "crossEntropy smoothed",
      (x) => F.crossEntropy(x, tensor([1, 0, 2]), { labelSmoothing: 0.1 }),
      r64(3, 4),
    ],
    [
      "bceWithLogits",
      (x) => F.binaryCrossEntropyWithLogits(x, ones(3, 2, { dtype: "float64" }).mul(0.3)),
      r64(3, 2),
    ],
    ["gelu tanh", (x) => F.gelu(x, { approximate: "tanh" }), r64(5)],
    ["softplus", (x) => F.softplus(x, { beta: 2 }), r64(5)],
    ["logSoftmax", (x) => F.logSoftmax(x, 0), r64(4, 2)],
    ["pad", (x) => F.pad(x, [1, 2, 0, 1], { value: 3 }), r64(2, 2)],
  ];
  for (const [name, f, x] of cases) it(name, () => gradCheck(name, f, x));
});

describe("nn.functional values", () => {
  it("softmax rows sum to 1 and logSoftmax = log(softmax), for any finite input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 6, maxLength: 6 }),
        (v) => {
          const x = tensor(v, { dtype: "float64" }).reshape(2, 3);
          const s = F.softmax(x, 1);
          for (const row of s.sum(1).toArray() as number[]) assert.ok(Math.abs(row - 1) < 1e-12);
          const diff = F.logSoftmax(x, 1).sub(s.log()).abs().amax().item() as number;
          assert.ok(diff < 1e-9);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("softmax does not overflow on large logits", () => {
    assert.deepEqual(F.softmax(tensor([1000, 1000]), 0).toArray(), [0.5, 0.5]);
    assert.ok(
      Number.isFinite(
        F.binaryCrossEntropyWithLogits(tensor([200.0]), tensor([0.0])).item() as number,
      ),
    );
  });

  it("dropout: identity in eval, scaled by 1/(1-p) in training, seeded by a Generator", () => {
    const x = ones(20000);
    const drop = new nn.Dropout(0.25, { generator: new Generator().manualSeed(1) });
    const y = drop.call(x);
    const v = Array.from(y.dataSync());
    assert.ok(v.every((a) => a === 0 || Math.abs(a - 1 / 0.75) < 1e-6));
    const kept = v.filter((a) => a !== 0).length / v.length;
    // Binomial(20000, 0.75): standard error ≈ 0.003; allow 5 of them.
    assert.ok(Math.abs(kept - 0.75) < 0.015, `kept ${kept}`);
    const again = new nn.Dropout(0.25, { generator: new Generator().manualSeed(1) }).call(x);
    assert.deepEqual(again.toArray(), y.toArray());
    drop.eval();
    assert.equal(drop.call(x), x);
    assert.equal(F.dropout(x, { p: 1 }).sum().item(), 0);
  });

  it("dropout with inplace writes into its input and returns it, gradients unchanged", () => {
    const seed = () => new Generator().manualSeed(3);
    const leafA = randn([6, 5], { requiresGrad: true });
    const leafB = leafA.detach().clone().requiresGrad_(true);
    const expected = new nn.Dropout(0.4, { generator: seed() }).call(leafA.mul(2));
    expected.sum().backward();
    const input = leafB.mul(2);
    const out = new nn.Dropout(0.4, { inplace: true, generator: seed() }).call(input);
    // As torch.nn.Dropout(inplace=True): the same tensor object comes back, holding the result.
    assert.equal(out, input);
    assert.deepEqual(input.toArray(), expected.toArray());
    out.sum().backward();
    assert.deepEqual(leafB.grad!.toArray(), leafA.grad!.toArray());
    // A leaf that requires grad cannot be modified in place, as in PyTorch.
    assert.throws(() =>
      new nn.Dropout(0.4, { inplace: true }).call(randn([3], { requiresGrad: true })),
    );
  });

  it("dropout2d zeroes whole channels", () => {
    const y = new nn.Dropout2d(0.5, { generator: new Generator().manualSeed(2) }).call(
      ones(4, 8, 3, 3),
    );
    const perChannel = y.sum([2, 3]).toArray() as number[][];
    for (const row of perChannel)
      for (const c of row) assert.ok(c === 0 || Math.abs(c - 18) < 1e-5);
  });

  it("embedding gives no gradient to paddingIdx", () => {
    const emb = new nn.Embedding(4, 2, { paddingIdx: 1 });
    assert.deepEqual(emb.weight.index(1).toArray(), [0, 0]);
    emb
      .call(tensor([1, 2, 1]))
      .sum()
      .backward();
    assert.deepEqual(emb.weight.grad!.toArray(), [
      [0, 0],
      [0, 0],
      [1, 1],
      [0, 0],
    ]);
  });

  it("oneHot, pad, maxPool2d indices", () => {
    assert.deepEqual(F.oneHot(tensor([0, 2])).toArray(), [
      [1, 0, 0],
      [0, 0, 1],
    ]);
    assert.deepEqual(F.oneHot(tensor([1]), 4).toArray(), [[0, 1, 0, 0]]);
    assert.deepEqual(F.pad(tensor([[1, 2]]), [1, 0, 0, 1]).toArray(), [
      [0, 1, 2],
      [0, 0, 0],
    ]);
    assert.deepEqual(F.pad(tensor([1, 2, 3]), [-1, 0]).toArray(), [2, 3]);
    // Hand-derived: in [[1, 5], [7, 2]] the max 7 sits at plane position 2 (row 1, col 0).
    const { values, indices } = F.maxPool2dWithIndices(
      tensor(
        [
          [
            [
              [1, 5],
              [7, 2],
            ],
          ],
        ],
        { dtype: "float32" },
      ),
      2,
    );
    assert.deepEqual(values.toArray(), [[[[7]]]]);
    assert.deepEqual(indices.toArray(), [[[[2]]]]);
  });
});

describe("nn.utils", () => {
  it("clipGradNorm_ scales by maxNorm/(norm + 1e-6) and returns the norm", () => {
    // grads (3, 4) and (0): the 2-norm is 5, so with maxNorm 1 each grad is scaled by 1/(5 + 1e-6).
    const a = zeros(2).requiresGrad_(true);
    const b = zeros(1).requiresGrad_(true);
    a.grad = tensor([3, 4], { dtype: "float32" });
    b.grad = tensor([0], { dtype: "float32" });
    const total = nn.utils.clipGradNorm_([a, b], 1);
    assert.ok(Math.abs((total.item() as number) - 5) < 1e-6);
    const c = 1 / (5 + 1e-6);
    const got = a.grad!.toArray() as number[];
    assert.ok(Math.abs(got[0]! - 3 * c) < 1e-6 && Math.abs(got[1]! - 4 * c) < 1e-6);
    // The inf-norm is the largest |g|; a norm below maxNorm leaves grads alone.
    a.grad = tensor([-3, 1], { dtype: "float32" });
    assert.equal(nn.utils.clipGradNorm_(a, 10, { normType: Number.POSITIVE_INFINITY }).item(), 3);
    assert.deepEqual(a.grad.toArray(), [-3, 1]);
  });

  it("clipGradValue_ clamps; parametersToVector and vectorToParameters round trip", () => {
    const m = new nn.Linear(2, 2);
    m.call(ones(1, 2).mul(100)).sum().backward();
    nn.utils.clipGradValue_(m.parameters(), 0.5);
    for (const p of m.parameters()) assert.ok((p.grad!.abs().amax().item() as number) <= 0.5);
    const v = nn.utils.parametersToVector(m.parameters());
    assert.deepEqual(v.shape, [6]);
    const other = new nn.Linear(2, 2);
    nn.utils.vectorToParameters(v.detach(), other.parameters());
    assert.deepEqual(other.weight.toArray(), m.weight.toArray());
    assert.deepEqual(other.bias!.toArray(), m.bias!.toArray());
  });
});

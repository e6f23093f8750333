// cosineSimilarity, pairwiseDistance and normalize (and their modules) against PyTorch 1.13
// (tools/golden/losses_more.py): outputs and gradients for every p, dim, eps and keepDim, a norm
// clamped by eps, broadcasting; float64 gradchecks; zero-norm gradients; errors; reprs.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DTypeError, nn, randn, type Tensor, tensor, ValueError } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { dec } from "./golden.ts";
import { close, decArg, loadLossesMore } from "./helpers-more.ts";

const F = nn.functional;
const golden = loadLossesMore();

type Call = (args: Tensor[], o: Record<string, unknown>) => Tensor;
const table: Record<string, Call[]> = {
  cosine_similarity: [
    ([a, b], o) => F.cosineSimilarity(a!, b!, o),
    ([a, b], o) => new nn.CosineSimilarity(o).forward(a!, b!),
  ],
  pairwise_distance: [
    ([a, b], o) => F.pairwiseDistance(a!, b!, o),
    ([a, b], o) => new nn.PairwiseDistance(o).forward(a!, b!),
  ],
  normalize: [([a], o) => F.normalize(a!, o)],
};

describe(`distances vs PyTorch ${golden.torch}`, () => {
  golden.cases.forEach((c, k) => {
    const calls = table[c.fn];
    if (calls === undefined) return;
    const opts = Object.entries(c.options).map(([a, b]) => `${a}=${b}`);
    it(`${c.name} {${opts.join(", ")}} #${k}`, () => {
      calls.forEach((call, form) => {
        const args = c.args.map((a) => (decArg(a) as Tensor).requiresGrad_(true));
        const o = Object.fromEntries(Object.entries(c.options).map(([a, b]) => [a, decArg(b)]));
        const out = call(args, o);
        close(out, c.output, `form ${form} output`, 1e-4, 1e-5, true);
        out.mul(dec(c.gy)).sum().backward();
        c.grads.forEach((g, i) => {
          // PyTorch leaves no gradient for p = 0 (its norm has none); Kiln's is zeros.
          if (g === null) assert.ok(args[i]!.grad!.dataSync().every((v) => v === 0));
          else close(args[i]!.grad!, g, `form ${form} grad ${i}`, 1e-4, 1e-5, true);
        });
      });
    });
  });
});

describe("distances: float64 gradchecks", () => {
  const d = (...s: number[]) => randn(s, { dtype: "float64" }).requiresGrad_(true);
  const w = (...s: number[]) => randn(s, { dtype: "float64" });
  it("pairwiseDistance for p = 2, 1, 3, 1.5, 0.5, ∞, −1", () => {
    const [a, b] = [d(3, 4), d(3, 4)];
    for (const p of [2, 1, 3, 1.5, 0.5, Number.POSITIVE_INFINITY, -1]) {
      assert.deepEqual(
        gradcheck(() => F.pairwiseDistance(a, b, p), [a, b], [w(3)]),
        [],
        `p=${p}`,
      );
    }
  });
  it("cosineSimilarity (broadcast) and normalize for p = 2, 1, 3, ∞", () => {
    const [a, b] = [d(3, 1, 4), d(1, 2, 4)];
    assert.deepEqual(
      gradcheck(() => F.cosineSimilarity(a, b, 2), [a, b], [w(3, 2)]),
      [],
    );
    const x = d(3, 4);
    for (const p of [2, 1, 3, Number.POSITIVE_INFINITY]) {
      assert.deepEqual(
        gradcheck(() => F.normalize(x, p, 0), [x], [w(3, 4)]),
        [],
        `p=${p}`,
      );
    }
  });
  it("a zero vector: the norm's gradient is 0 (not NaN), as PyTorch's norm_backward", () => {
    // d‖x‖₂ at x = 0 is taken as 0 by PyTorch (masked where the norm is 0); sqrt's chain rule
    // would give 0·∞ = NaN.
    const x = tensor([[0, 0, 0]], { dtype: "float64", requiresGrad: true });
    F.pairwiseDistance(x, tensor([[0, 0, 0]], { dtype: "float64" }), 2, 0)
      .sum()
      .backward();
    assert.deepEqual(x.grad!.tolist(), [[0, 0, 0]]);
  });
});

describe("distances: errors, reprs and arguments", () => {
  it("throws PyTorch's errors", () => {
    assert.throws(
      () => F.cosineSimilarity(randn(3, 4).int(), randn(3, 4).int()),
      (e: unknown) =>
        e instanceof DTypeError && /expected common dtype to be floating point/.test(String(e)),
    );
    assert.throws(
      () => F.normalize(randn(3, 4).int()),
      (e: unknown) =>
        e instanceof DTypeError && /input dtype should be either floating point/.test(String(e)),
    );
    assert.throws(() => F.cosineSimilarity(randn(3, 4), randn(3, 5)), /3, 4|4.*5|broadcast/);
    assert.throws(
      () => F.pairwiseDistance(tensor([[1, 2]]), tensor([[0, 1]]), 2, 0),
      (e: unknown) => e instanceof DTypeError && /norm\(\): input dtype/.test(String(e)),
    );
    assert.throws(() => F.normalize(randn(3), 2, 0, 1e-12, randn(3) as never), ValueError);
    assert.throws(
      () => F.pairwiseDistance(randn(3), randn(3), { keepdim: true } as never),
      /did you mean "keepDim"/,
    );
  });
  it("mixes integer and floating inputs as PyTorch (float result)", () => {
    const y = F.pairwiseDistance(tensor([[1, 2, 3]]), tensor([[0, 0, 0]]), 1);
    assert.equal(y.dtype, "float32");
    assert.ok(Math.abs(Number(y.item()) - 6.000003) < 1e-5); // |1+ε| + |2+ε| + |3+ε|, ε = 1e-6
  });
  it("modules print as PyTorch's and keep PyTorch's attributes", () => {
    assert.equal(String(new nn.CosineSimilarity(0)), golden.reprs.CosineSimilarity);
    assert.equal(
      String(new nn.PairwiseDistance(1, { keepDim: true })),
      golden.reprs.PairwiseDistance,
    );
    const p = new nn.PairwiseDistance(3, 1e-3, true);
    assert.deepEqual([p.norm, p.eps, p.keepDim], [3, 1e-3, true]);
    const c = new nn.CosineSimilarity({ eps: 1e-4 });
    assert.deepEqual([c.dim, c.eps], [1, 1e-4]);
    assert.throws(() => new nn.CosineSimilarity(1, 1e-8, true as never), /positional/);
  });
});

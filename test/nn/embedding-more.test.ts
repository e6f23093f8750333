// Embedding's options (paddingIdx, maxNorm/normType, scaleGradByFreq, sparse, fromPretrained),
// EmbeddingBag and Bilinear against PyTorch 1.13 (tools/golden/nn_misc.py: forward, input and
// weight gradients, state after in-place renormalisation, repr, state-dict keys), float64
// finite-difference gradchecks of embeddingBag and bilinear, and their argument errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DTypeError,
  IndexError,
  nn,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

const F = nn.functional;

interface Step {
  mode: "train" | "eval";
  inputs: (Enc | null)[];
  gy: Enc;
  output: Enc;
  grad_inputs: (Enc | null)[];
  grads: Record<string, Enc>;
}
interface Case {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  steps: Step[];
  final_state: Record<string, Enc>;
}

const golden = loadGolden<{ torch: string; cases: Case[] }>("nn_misc.json");

// The same constructions as tools/golden/nn_misc.py, in Kiln's spelling.
const factories: Record<string, () => nn.Module> = {
  embedding_maxnorm: () => new nn.Embedding(10, 4, { maxNorm: 1.0 }),
  embedding_maxnorm_p1_pad: () =>
    new nn.Embedding(8, 3, { paddingIdx: -1, maxNorm: 1.5, normType: 1.0 }),
  embedding_maxnorm_inf: () => new nn.Embedding(6, 5, null, 0.8, Number.POSITIVE_INFINITY),
  embedding_scale_grad_pad: () => new nn.Embedding(6, 3, 0, null, 2, true),
  embedding_sparse: () => new nn.Embedding(6, 3, { sparse: true }),
  embedding_pretrained: () => nn.Embedding.fromPretrained(randn(5, 3), false, { paddingIdx: 1 }),
  bag_mean_2d: () => new nn.EmbeddingBag(10, 3),
  bag_sum_offsets_psw: () => new nn.EmbeddingBag(10, 3, { mode: "sum" }),
  bag_max_offsets: () => new nn.EmbeddingBag(10, 3, null, 2, false, "max"),
  bag_mean_last_offset_pad: () =>
    new nn.EmbeddingBag(10, 3, { includeLastOffset: true, paddingIdx: 2 }),
  bag_max_pad_2d: () => new nn.EmbeddingBag(6, 4, { mode: "max", paddingIdx: -1 }),
  bag_sum_maxnorm_scale: () =>
    new nn.EmbeddingBag(7, 3, { maxNorm: 1.0, scaleGradByFreq: true, mode: "sum" }),
  bag_mean_scale_2_p3: () =>
    new nn.EmbeddingBag(7, 3, { maxNorm: 1.2, normType: 3.0, scaleGradByFreq: true }),
  bilinear: () => new nn.Bilinear(3, 4, 5),
  bilinear_nobias_3d: () => new nn.Bilinear(2, 3, 2, false),
};

function runCase(c: Case, m: nn.Module): void {
  assert.equal(m.toString(), c.repr, "repr");
  assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state), "state dict keys");
  m.loadStateDict(decState(c.state));
  c.steps.forEach((s, k) => {
    const where = `step ${k} (${s.mode})`;
    m.train(s.mode === "train");
    const xs = s.inputs.map((e) => (e === null ? null : dec(e)));
    for (const x of xs) if (x !== null && x.dtype !== "int32") x.requiresGrad_(true);
    const y = (m.call as (...a: unknown[]) => Tensor)(...xs);
    assertClose(y, s.output, `${where} output`);
    y.mul(dec(s.gy)).sum().backward();
    s.grad_inputs.forEach((g, i) => {
      if (g !== null) assertClose(xs[i]!.grad!, g, `${where} grad of input ${i}`);
    });
    const withGrad = m.namedParameters().filter(([, p]) => p.grad !== null);
    assert.deepEqual(
      withGrad.map(([n]) => n),
      Object.keys(s.grads),
      `${where} parameters with a gradient`,
    );
    for (const [n, p] of withGrad) assertClose(p.grad!, s.grads[n]!, `${where} grad ${n}`);
    m.zeroGrad();
  });
  const finalState = m.stateDict();
  for (const [n, t] of Object.entries(c.final_state)) assertClose(finalState[n]!, t, `final ${n}`);
}

describe(`Embedding options, EmbeddingBag and Bilinear vs PyTorch ${golden.torch}`, () => {
  for (const [name, make] of Object.entries(factories)) {
    it(name, () => {
      const c = golden.cases.find((x) => x.name === name);
      assert.ok(c, `fixture case ${name}`);
      runCase(c, make());
    });
  }
});

describe("Embedding options", () => {
  it("fromPretrained shares the tensor, freezes by default and keeps the padding row", () => {
    const w = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { dtype: "float32" },
    );
    const frozen = nn.Embedding.fromPretrained(w, { paddingIdx: 1 });
    assert.equal(frozen.weight.requiresGrad, false);
    assert.deepEqual(frozen.weight.select(1, 0).toArray(), [1, 3, 5], "row 1 not zeroed");
    w.select(0, 0).fill_(9);
    assert.equal(frozen.weight.index(0, 0).item(), 9, "storage shared with the given tensor");
    assert.equal(nn.Embedding.fromPretrained(w, false).weight.requiresGrad, true);
    assert.throws(() => nn.Embedding.fromPretrained(tensor([1, 2])), ShapeError);
    const bag = nn.EmbeddingBag.fromPretrained(w, { mode: "sum" });
    assert.equal(bag.weight.requiresGrad, false);
    // Bag [0, 2] sums rows 0 and 2: (9 + 5, 9 + 6).
    assert.deepEqual(bag.call(tensor([[0, 2]])).toArray(), [[14, 15]]);
  });

  it("sparse: true gives the dense gradient sparse=false gives", () => {
    const idx = tensor([
      [0, 3, 3],
      [1, 0, 2],
    ]);
    const w = randn(4, 3);
    const grads = [false, true].map((sparse) => {
      const e = nn.Embedding.fromPretrained(w.clone(), false, { sparse });
      e.call(idx).pow(2).sum().backward();
      return e.weight.grad!;
    });
    assertClose(grads[1]!, grads[0]!, "sparse grad", 0, 0);
  });

  it("positional arguments equal the options object", () => {
    const w = randn(6, 3);
    const idx = tensor([1, 4, 1]);
    const a = F.embedding(idx, w.clone(), 2, 0.5, 1.0, true, false);
    const b = F.embedding(idx, w.clone(), {
      paddingIdx: 2,
      maxNorm: 0.5,
      normType: 1.0,
      scaleGradByFreq: true,
    });
    assertClose(a, b, "embedding", 0, 0);
  });

  it("maxNorm rescales only the looked-up rows, in place", () => {
    // Row 0 = (3, 4) has 2-norm 5 > 1: it becomes (3, 4)·1/(5 + 1e-7); row 1 is not looked up.
    const w = tensor(
      [
        [3, 4],
        [6, 8],
      ],
      { dtype: "float32" },
    );
    const y = F.embedding(tensor([0]), w, { maxNorm: 1 });
    const s = Math.fround(1 / (5 + 1e-7));
    assertClose(y, tensor([[3 * s, 4 * s]]), "output", 1e-7, 0);
    assert.deepEqual(w.index(1).toArray(), [6, 8]);
  });

  it("refuses bad indices and padding", () => {
    const w = randn(5, 2);
    assert.throws(() => F.embedding(tensor([5]), w), IndexError);
    assert.throws(() => F.embedding(tensor([-1]), w), IndexError);
    assert.throws(() => F.embedding(tensor([1.5]), w), DTypeError);
    assert.throws(() => F.embedding(tensor([1]), w, 5), /Padding_idx must be within/);
    assert.throws(() => new nn.Embedding(5, 2, -6), /Padding_idx must be within/);
    assert.throws(() => new nn.Embedding(5, 2, { _weight: randn(4, 2) }), ShapeError);
  });
});

describe("embeddingBag", () => {
  it("includeLastOffset: entries after the last offset are in no bag", () => {
    const w = randn(6, 3);
    const a = F.embeddingBag(tensor([1, 2, 3, 4, 5]), w, tensor([0, 2, 3]), {
      includeLastOffset: true,
      mode: "sum",
    });
    const b = F.embeddingBag(tensor([1, 2, 3]), w, tensor([0, 2]), { mode: "sum" });
    assertClose(a, b, "bags", 0, 0);
  });

  it("passes float64 gradchecks (sum with perSampleWeights, mean with padding, max)", () => {
    const w = randn(6, 3, { dtype: "float64", requiresGrad: true });
    const psw = randn(7, { dtype: "float64", requiresGrad: true });
    const input = tensor([1, 2, 2, 5, 1, 0, 2]);
    const offsets = tensor([0, 3, 3, 5]);
    const gy = randn(4, 3, { dtype: "float64" });
    const checks: [string, () => Tensor, Tensor[]][] = [
      [
        "sum",
        () => F.embeddingBag(input, w, offsets, { mode: "sum", perSampleWeights: psw }),
        [w, psw],
      ],
      ["mean", () => F.embeddingBag(input, w, offsets, { paddingIdx: 2 }), [w]],
      ["max", () => F.embeddingBag(input, w, offsets, { mode: "max" }), [w]],
    ];
    for (const [what, fn, inputs] of checks)
      assert.deepEqual(gradcheck(fn, inputs, [gy]), [], what);
  });

  it("scaleGradByFreq divides each row's gradient by its index's count in the input", () => {
    // Index 1 appears twice and 2 three times in the input (padding and empty bags included).
    const input = tensor([1, 2, 2, 5, 1, 0, 2]);
    const offsets = tensor([0, 3, 3, 5]);
    const gy = randn(4, 3);
    const grad = (scaleGradByFreq: boolean) => {
      const w = randn(6, 3, { requiresGrad: true });
      F.embeddingBag(input, w, offsets, { mode: "sum", scaleGradByFreq }).mul(gy).sum().backward();
      return w.grad!;
    };
    const counts = tensor([[1], [2], [3], [1], [1], [1]], { dtype: "float32" });
    assertClose(grad(true), grad(false).div(counts), "scaled grad", 1e-6, 1e-7);
  });

  it("refuses what PyTorch refuses", () => {
    const w = randn(6, 3);
    const x = tensor([1, 2, 3]);
    const bag =
      (...a: unknown[]) =>
      () =>
        (F.embeddingBag as (...b: unknown[]) => Tensor)(...a);
    assert.throws(bag(x, w, tensor([1, 2])), /offsets\[0\] has to be 0/);
    assert.throws(bag(x, w, tensor([0, 2, 1])), /non-decreasing/);
    assert.throws(bag(x, w, tensor([0, 4])), /can not be greater than input's length 3/);
    assert.throws(bag(x, w), /offsets has to be a 1D Tensor but got null/);
    assert.throws(bag(tensor([[1, 2]]), w, tensor([0])), /if input is 2D/);
    assert.throws(bag(tensor([[[1]]]), w), ShapeError);
    assert.throws(
      bag(x, w, tensor([0]), { perSampleWeights: randn(3) }),
      /only supported for mode='sum'/,
    );
    assert.throws(bag(x, w, tensor([0]), { mode: "sum", perSampleWeights: randn(2) }), ShapeError);
    assert.throws(bag(x, w, tensor([0]), { mode: "max", scaleGradByFreq: true }), ValueError);
    assert.throws(bag(x, w, tensor([0]), { mode: "avg" as never }), /"mode" must be one of/);
    assert.throws(bag(tensor([6]), w, tensor([0])), IndexError);
  });
});

describe("bilinear", () => {
  it("passes a float64 gradcheck in all four inputs", () => {
    const opts = { dtype: "float64" as const, requiresGrad: true };
    const x1 = randn([2, 3, 2], opts);
    const x2 = randn([2, 3, 4], opts);
    const w = randn([5, 2, 4], opts);
    const b = randn([5], opts);
    const gy = randn([2, 3, 5], { dtype: "float64" });
    assert.deepEqual(
      gradcheck(() => F.bilinear(x1, x2, w, b), [x1, x2, w, b], [gy]),
      [],
    );
  });

  it("initialises weight and bias in U(-1/sqrt(in1), 1/sqrt(in1))", () => {
    const m = new nn.Bilinear(16, 3, 50);
    const bound = 1 / Math.sqrt(16);
    for (const p of [m.weight, m.bias!]) {
      const v = [...p.dataSync()];
      assert.ok(v.every((t) => Math.abs(t) <= bound));
      // 2400 (or 50) draws from U(-1/4, 1/4) come within 0.2 of the bound.
      assert.ok(Math.max(...v.map(Math.abs)) > bound * 0.8);
    }
  });

  it("refuses mismatched shapes", () => {
    const w = randn(5, 2, 4);
    assert.throws(() => F.bilinear(randn(3, 2), randn(4, 4), w), /batch dimensions do not match/);
    assert.throws(() => F.bilinear(randn(3, 3), randn(3, 4), w), /input1 size/);
    assert.throws(() => F.bilinear(randn(3, 2), randn(3, 3), w), /input2 size/);
    assert.throws(() => F.bilinear(randn(3, 2), randn(3, 4), w, randn(4)), /bias size/);
  });
});

// Margin, embedding and likelihood losses against PyTorch 1.13 (tools/golden/losses_more.py):
// output and input gradients of the function and module forms for every reduction and option,
// float64 finite-difference gradchecks, PyTorch's errors, argument parsing and reprs.

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
import { dec } from "./golden.ts";
import { close, decArg, type GoldenCase, loadLossesMore } from "./helpers-more.ts";

const F = nn.functional;
type Call = (args: unknown[], options: Record<string, unknown>) => Tensor;
type Opts = Record<string, unknown>;

const golden = loadLossesMore();

// biome-ignore lint/suspicious/noExplicitAny: the table calls each loss with the fixture's arguments.
type Loose = (...a: any[]) => Tensor;
const fnCall =
  (f: Loose): Call =>
  (a, o) =>
    f(...a, o);
const modCall =
  (M: new (o: Opts) => { forward: Loose }): Call =>
  (a, o) =>
    new M(o).forward(...a);

const table: Record<string, [Call, Call]> = {
  cosine_embedding_loss: [fnCall(F.cosineEmbeddingLoss), modCall(nn.CosineEmbeddingLoss)],
  margin_ranking_loss: [fnCall(F.marginRankingLoss), modCall(nn.MarginRankingLoss)],
  triplet_margin_loss: [fnCall(F.tripletMarginLoss), modCall(nn.TripletMarginLoss)],
  triplet_margin_with_distance_loss: [
    fnCall(F.tripletMarginWithDistanceLoss),
    modCall(nn.TripletMarginWithDistanceLoss),
  ],
  hinge_embedding_loss: [fnCall(F.hingeEmbeddingLoss), modCall(nn.HingeEmbeddingLoss)],
  multilabel_margin_loss: [fnCall(F.multilabelMarginLoss), modCall(nn.MultiLabelMarginLoss)],
  multilabel_soft_margin_loss: [
    fnCall(F.multilabelSoftMarginLoss),
    modCall(nn.MultiLabelSoftMarginLoss),
  ],
  multi_margin_loss: [fnCall(F.multiMarginLoss), modCall(nn.MultiMarginLoss)],
  soft_margin_loss: [fnCall(F.softMarginLoss), modCall(nn.SoftMarginLoss)],
  poisson_nll_loss: [fnCall(F.poissonNllLoss), modCall(nn.PoissonNLLLoss)],
  gaussian_nll_loss: [fnCall(F.gaussianNllLoss), modCall(nn.GaussianNLLLoss)],
};

/** Runs a fixture case through `call`: output and the gradient of every differentiable input. */
export function runCase(c: GoldenCase, call: Call, form: string, rtol = 1e-4, atol = 1e-5): void {
  const args = c.args.map((a, i) => {
    const v = decArg(a);
    return c.grads[i] !== null && c.grads[i] !== undefined ? (v as Tensor).requiresGrad_(true) : v;
  });
  const options = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [k, decArg(v)]));
  const out = call([...args, ...c.positional.map(decArg)], options);
  close(out, c.output, `${form} output`, rtol, atol);
  out.mul(dec(c.gy)).sum().backward();
  c.grads.forEach((g, i) => {
    if (g === null) return;
    const x = args[i] as Tensor;
    assert.ok(x.grad !== null, `${form} grad ${i} exists`);
    close(x.grad!, g, `${form} grad ${i}`, rtol, atol);
  });
}

export function label(c: GoldenCase, k: number): string {
  const opts = Object.entries(c.options).map(
    ([a, b]) => `${a}=${typeof b === "object" ? "tensor" : b}`,
  );
  return `${c.name} {${opts.join(", ")}} #${k}`;
}

describe(`margin and likelihood losses vs PyTorch ${golden.torch}`, () => {
  it("has cases for every loss and every reduction", () => {
    for (const fn of Object.keys(table)) {
      const rs = new Set(golden.cases.filter((c) => c.fn === fn).map((c) => c.options.reduction));
      for (const r of ["none", "mean", "sum"]) assert.ok(rs.has(r), `${fn} ${r}`);
    }
  });
  golden.cases.forEach((c, k) => {
    const forms = table[c.fn];
    if (forms === undefined) return;
    it(label(c, k), () => {
      runCase(c, forms[0], "functional");
      runCase(c, forms[1], "module");
    });
  });
});

describe("margin and likelihood losses: float64 gradchecks", () => {
  const d = (...s: number[]) => randn(s, { dtype: "float64" }).requiresGrad_(true);
  const w = (...s: number[]) => randn(s, { dtype: "float64" });
  const check = (fn: () => Tensor, xs: Tensor[], out: Tensor) =>
    assert.deepEqual(gradcheck(fn, xs, [w(...out.shape)]), []);
  it("cosineEmbeddingLoss, marginRankingLoss, tripletMarginLoss (p = 2, 1, 3; swap)", () => {
    const [a, b] = [d(4, 3), d(4, 3)];
    const y = tensor([1, -1, 1, -1]);
    const f1 = () => F.cosineEmbeddingLoss(a, b, y, 0.1, { reduction: "none" });
    check(f1, [a, b], f1());
    const [u, v] = [d(5), d(5)];
    const t = tensor([1, -1, 1, -1, 1], { dtype: "float64" });
    const f2 = () => F.marginRankingLoss(u, v, t, 0.2, { reduction: "none" });
    check(f2, [u, v], f2());
    const n = d(4, 3);
    for (const o of [{ p: 2 }, { p: 1, margin: 3 }, { p: 3, swap: true, margin: 3 }]) {
      const f3 = () => F.tripletMarginLoss(a, b, n, { ...o, reduction: "none" as const });
      check(f3, [a, b, n], f3());
    }
    const f4 = () => F.tripletMarginWithDistanceLoss(a, b, n, { margin: 3, reduction: "none" });
    check(f4, [a, b, n], f4());
  });
  it("hinge, multilabel margin, multilabel soft margin, multi margin, soft margin", () => {
    const x = d(3, 4);
    const hy = tensor([
      [1, -1, 1, -1],
      [-1, 1, 1, -1],
      [1, 1, -1, 0],
    ]);
    const f1 = () => F.hingeEmbeddingLoss(x, hy, 2, { reduction: "none" });
    check(f1, [x], f1());
    const my = tensor([
      [2, 0, -1, 1],
      [3, -1, 0, 0],
      [0, 1, 2, 3],
    ]);
    const f2 = () => F.multilabelMarginLoss(x.mul(3), my, { reduction: "none" });
    check(f2, [x], f2());
    const sy = tensor(
      [
        [1, 0, 1, 0],
        [0, 0, 1, 1],
        [1, 1, 1, 0],
      ],
      { dtype: "float64" },
    );
    const f3 = () =>
      F.multilabelSoftMarginLoss(x, sy, tensor([1, 2, 0.5, 1]), { reduction: "none" });
    check(f3, [x], f3());
    for (const p of [1, 2]) {
      const f4 = () =>
        F.multiMarginLoss(
          x,
          tensor([1, 0, 3]),
          p,
          1.5,
          tensor([1, 2, 0.5, 1], { dtype: "float64" }),
          {
            reduction: "none",
          },
        );
      check(f4, [x], f4());
    }
    const f5 = () => F.softMarginLoss(x, hy.double(), { reduction: "none" });
    check(f5, [x], f5());
  });
  it("poissonNllLoss and gaussianNllLoss (input, target and var)", () => {
    const x = d(2, 3);
    const pt = tensor(
      [
        [0, 1, 4],
        [2, 3, 0.5],
      ],
      { dtype: "float64" },
    );
    for (const o of [{}, { full: true }]) {
      const f = () => F.poissonNllLoss(x, pt, { ...o, reduction: "none" });
      check(f, [x], f());
    }
    const pos = randn([2, 3], { dtype: "float64" }).abs().add(0.5).requiresGrad_(true);
    const f2 = () => F.poissonNllLoss(pos, pt, false, true, { reduction: "none" });
    check(f2, [pos], f2());
    const [y, v] = [
      d(2, 3),
      randn([2, 3], { dtype: "float64" }).abs().add(0.5).requiresGrad_(true),
    ];
    const f3 = () => F.gaussianNllLoss(x, y, v, true, { reduction: "none" });
    check(f3, [x, y, v], f3());
  });
});

describe("margin and likelihood losses: errors as PyTorch's", () => {
  const x = randn(3, 4);
  const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    [
      "cosine 2-D target",
      () => F.cosineEmbeddingLoss(x, x, tensor([[1, -1, 1]])),
      ShapeError,
      /0D or 1D target tensor expected/,
    ],
    [
      "cosine 1-D input with 1-D target",
      () => F.cosineEmbeddingLoss(randn(4), randn(4), tensor([1, -1, 1])),
      ShapeError,
      /1D target tensor expects 2D input tensors, but found inputs with sizes \[4\] and \[4\]/,
    ],
    [
      "margin ranking dims",
      () => F.marginRankingLoss(randn(3), randn(3), randn(3, 1)),
      ShapeError,
      /All input tensors should have same dimension/,
    ],
    [
      "triplet dims",
      () => F.tripletMarginLoss(x, x, randn(4)),
      ShapeError,
      /All inputs should have same dimension but got 2D, 2D and 1D inputs/,
    ],
    [
      "multilabel float target",
      () => F.multilabelMarginLoss(x, tensor([[1, 2, -1, 0]]).float()),
      DTypeError,
      /int32 \(PyTorch: Long\), but found float32/,
    ],
    [
      "multilabel size",
      () =>
        F.multilabelMarginLoss(
          x,
          tensor([
            [1, 2, -1],
            [1, 2, -1],
            [1, 2, -1],
          ]),
        ),
      ShapeError,
      /inconsistent size \[3, 3\] for argument #2 'target'/,
    ],
    [
      "multilabel range",
      () =>
        F.multilabelMarginLoss(
          x,
          tensor([
            [1, 5, -1, 0],
            [0, -1, 0, 0],
            [0, -1, 0, 0],
          ]),
        ),
      IndexError,
      /'target' is out of range/,
    ],
    [
      "multilabel below -1",
      () =>
        F.multilabelMarginLoss(
          x,
          tensor([
            [1, -2, -1, 0],
            [0, -1, 0, 0],
            [0, -1, 0, 0],
          ]),
        ),
      IndexError,
      /'target' is out of range/,
    ],
    [
      "multilabel 3-D",
      () => F.multilabelMarginLoss(randn(2, 3, 4), tensor([1])),
      ShapeError,
      /Expected non-empty vector or matrix with optional 0-dim batch size, but got: \[2, 3, 4\]/,
    ],
    [
      "multi margin p",
      () => F.multiMarginLoss(x, tensor([1, 2, 0]), 3),
      ValueError,
      /only p == 1 and p == 2 supported/,
    ],
    [
      "multi margin module p",
      () => new nn.MultiMarginLoss(3),
      ValueError,
      /only p == 1 and p == 2 supported/,
    ],
    [
      "multi margin target size",
      () => F.multiMarginLoss(x, tensor([1, 2])),
      ShapeError,
      /inconsistent target size, got: \[2\]/,
    ],
    [
      "multi margin range",
      () => F.multiMarginLoss(x, tensor([1, 2, 4])),
      IndexError,
      /target out of range/,
    ],
    [
      "multi margin negative",
      () => F.multiMarginLoss(x, tensor([1, 2, -1])),
      IndexError,
      /target out of range/,
    ],
    [
      "multi margin float target",
      () => F.multiMarginLoss(x, tensor([1, 2, 0]).float()),
      DTypeError,
      /int32 \(PyTorch: Long\), but found float32/,
    ],
    [
      "multi margin weight dims",
      () => F.multiMarginLoss(x, tensor([1, 2, 0]), { weight: randn(1, 4) }),
      ValueError,
      /weight must be one-dimensional/,
    ],
    [
      "multi margin int input",
      () => F.multiMarginLoss(x.int(), tensor([1, 2, 0])),
      DTypeError,
      /floating/,
    ],
    [
      "gaussian var size",
      () => F.gaussianNllLoss(x, x, randn(5).abs()),
      ValueError,
      /var is of incorrect size/,
    ],
    [
      "gaussian negative var",
      () => F.gaussianNllLoss(x, x, randn(3, 1).abs().neg().sub(0.1)),
      ValueError,
      /var has negative entry\/entries/,
    ],
    [
      "bad reduction",
      () => F.marginRankingLoss(randn(3), randn(3), randn(3), { reduction: "bad" as "sum" }),
      ValueError,
      /reduction/,
    ],
    [
      "legacy sizeAverage",
      () => new nn.SoftMarginLoss(true as unknown as null),
      ValueError,
      /deprecated/,
    ],
    [
      "unknown option",
      () => F.softMarginLoss(x, x, { margin: 1 } as never),
      ValueError,
      /unknown option "margin"/,
    ],
    [
      "gaussian module positional",
      () => new (nn.GaussianNLLLoss as unknown as new (a: boolean) => unknown)(true),
      ValueError,
      /positional/,
    ],
    [
      "triplet distance positional margin",
      () => (F.tripletMarginWithDistanceLoss as unknown as (...a: unknown[]) => Tensor)(x, x, x, 2),
      ValueError,
      /positional/,
    ],
  ];
  for (const [name, fn, cls, re] of cases) {
    it(name, () =>
      assert.throws(fn, (e: unknown) => e instanceof cls && re.test((e as Error).message)),
    );
  }
});

describe("margin and likelihood loss modules", () => {
  const r = golden.reprs as Record<string, string | string[]>;
  it("print as PyTorch's", () => {
    const pairs: [string, nn.Module][] = [
      ["CosineEmbeddingLoss", new nn.CosineEmbeddingLoss(0.5)],
      ["TripletMarginLoss", new nn.TripletMarginLoss({ margin: 2, p: 1, swap: true })],
      ["TripletMarginWithDistanceLoss", new nn.TripletMarginWithDistanceLoss()],
      [
        "TripletMarginWithDistanceLoss_cos",
        new nn.TripletMarginWithDistanceLoss({ distanceFunction: new nn.CosineSimilarity() }),
      ],
      [
        "TripletMarginWithDistanceLoss_fn",
        new nn.TripletMarginWithDistanceLoss({ distanceFunction: (a, b) => a.sub(b) }),
      ],
      ["MultiMarginLoss", new nn.MultiMarginLoss(2, { weight: tensor([1, 1, 1]) })],
      ["MultiLabelSoftMarginLoss", new nn.MultiLabelSoftMarginLoss(tensor([1, 1, 1]))],
      ["PoissonNLLLoss", new nn.PoissonNLLLoss(false, true)],
      ["GaussianNLLLoss", new nn.GaussianNLLLoss({ full: true })],
    ];
    for (const [k, m] of pairs) assert.equal(String(m), r[k], k);
  });
  it("hold weight as a buffer, with PyTorch's state-dict keys", () => {
    assert.deepEqual(
      Object.keys(new nn.MultiMarginLoss({ weight: tensor([1, 1, 1]) }).stateDict()),
      r.MultiMarginLoss_state,
    );
    assert.deepEqual(
      Object.keys(new nn.MultiLabelSoftMarginLoss(tensor([1, 1, 1])).stateDict()),
      r.MultiLabelSoftMarginLoss_state,
    );
  });
  it("take PyTorch's positional order and keep its attributes", () => {
    const t = new nn.TripletMarginLoss(0.5, 1, 1e-3, true, null, null, "sum");
    assert.deepEqual([t.margin, t.p, t.eps, t.swap, t.reduction], [0.5, 1, 1e-3, true, "sum"]);
    const p = new nn.PoissonNLLLoss(false, true, null, 1e-4, null, "none");
    assert.deepEqual([p.logInput, p.full, p.eps, p.reduction], [false, true, 1e-4, "none"]);
    const m = new nn.MultiMarginLoss(2, 0.5);
    assert.deepEqual([m.p, m.margin, m.weight, m.reduction], [2, 0.5, null, "mean"]);
    assert.equal(new nn.HingeEmbeddingLoss().margin, 1);
    assert.equal(new nn.CosineEmbeddingLoss().margin, 0);
  });
});

// CTC loss against PyTorch 1.13 (tools/golden/losses_more.py): padded and concatenated targets,
// several input/target lengths, blank ≠ 0, impossible alignments with and without zeroInfinity,
// float64 and unbatched inputs; forward and PyTorch's input gradient, function and module forms;
// a float64 gradcheck through logSoftmax; PyTorch's errors.

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
import { close, decArg, loadLossesMore } from "./helpers-more.ts";

const F = nn.functional;
const golden = loadLossesMore();

type Call = (args: unknown[], o: Record<string, unknown>) => Tensor;
const forms: [string, Call][] = [
  ["functional", (a, o) => (F.ctcLoss as (...x: unknown[]) => Tensor)(...a, o)],
  ["module", (a, o) => (new nn.CTCLoss(o).forward as (...x: unknown[]) => Tensor)(...a)],
];

describe(`ctcLoss vs PyTorch ${golden.torch}`, () => {
  const cases = golden.cases.filter((c) => c.fn === "ctc_loss");
  it("has cases for every reduction, blank ≠ 0 and zeroInfinity both ways", () => {
    const rs = new Set(cases.map((c) => c.options.reduction));
    for (const r of ["none", "mean", "sum"]) assert.ok(rs.has(r), r);
    assert.ok(cases.some((c) => c.options.blank === 2));
    assert.ok(cases.some((c) => c.options.zeroInfinity === true));
    assert.ok(cases.some((c) => c.name === "ctc_impossible" && c.options.zeroInfinity === false));
  });
  cases.forEach((c, k) => {
    const opts = Object.entries(c.options).map(([a, b]) => `${a}=${b}`);
    it(`${c.name} {${opts.join(", ")}} #${k}`, () => {
      for (const [form, call] of forms) {
        const args = c.args.map((a, i) => {
          const v = decArg(a) as Tensor;
          return c.grads[i] ? v.requiresGrad_(true) : v;
        });
        const out = call([...args, ...c.positional.map(decArg)], c.options);
        close(out, c.output, `${form} output`);
        out.mul(dec(c.gy)).sum().backward();
        close((args[0] as Tensor).grad!, c.grads[0]!, `${form} grad`, 1e-4, 2e-5);
      }
    });
  });
});

describe("ctcLoss: gradients and semantics", () => {
  it("passes a float64 gradcheck through logSoftmax (where PyTorch's gradient is exact)", () => {
    const x = randn([6, 3, 4], { dtype: "float64" }).requiresGrad_(true);
    const targets = tensor([
      [1, 1, 2],
      [3, 0, 0],
      [2, 3, 1],
    ]);
    for (const blank of [0, 3]) {
      const tg =
        blank === 3
          ? tensor([
              [1, 1, 2],
              [0, 0, 0],
              [2, 0, 1],
            ])
          : targets;
      const f = () =>
        F.ctcLoss(F.logSoftmax(x, 2), tg, [6, 5, 4], [3, 1, 2], { blank, reduction: "none" });
      assert.deepEqual(gradcheck(f, [x], [randn([3], { dtype: "float64" })]), []);
    }
  });
  it("a single frame and a single label: loss = −log p(label)", () => {
    // One frame, target [c]: the only path emits c, so the loss is −lp[0, c] (hand-derived).
    const lp = F.logSoftmax(randn(1, 1, 3), 2);
    const loss = F.ctcLoss(lp, tensor([[2]]), [1], [1], { reduction: "sum" });
    assert.ok(Math.abs(Number(loss.item()) + Number(lp.index(0, 0, 2).item())) < 1e-6);
  });
  it("accepts lengths as int32 tensors or arrays, and unbatched [T, C] input", () => {
    const lp = F.logSoftmax(randn(5, 2, 4), 2);
    const tg = tensor([
      [1, 2],
      [3, 0],
    ]);
    const a = F.ctcLoss(lp, tg, [5, 4], [2, 1], { reduction: "none" });
    const b = F.ctcLoss(lp, tg, tensor([5, 4]), tensor([2, 1]), { reduction: "none" });
    assert.deepEqual(a.tolist(), b.tolist());
    const u = F.ctcLoss(lp.select(1, 0), tensor([1, 2]), [5], [2], { reduction: "none" });
    assert.deepEqual(u.shape, []);
    assert.equal(u.item(), a.index(0).item());
  });
});

describe("ctcLoss: errors as PyTorch's", () => {
  const lp = F.logSoftmax(randn(6, 3, 5), 2);
  const tg = tensor([
    [1, 2, 2],
    [3, 1, 0],
    [4, 4, 1],
  ]);
  const il = [6, 5, 4];
  const tl = [3, 2, 1];
  const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    [
      "input_lengths size",
      () => F.ctcLoss(lp, tg, [6, 5], tl),
      ShapeError,
      /input_lengths must be of size batch_size/,
    ],
    [
      "target_lengths size",
      () => F.ctcLoss(lp, tg, il, [3, 2]),
      ShapeError,
      /target_lengths must be of size batch_size/,
    ],
    [
      "input length above T",
      () => F.ctcLoss(lp, tg, [7, 5, 4], tl),
      ValueError,
      /Expected input_lengths to have values in \[1, 6\], but got value 7/,
    ],
    [
      "float lengths",
      () => F.ctcLoss(lp, tg, tensor([6, 5, 4]).float(), tl),
      DTypeError,
      /input_lengths must be integral/,
    ],
    [
      "padded targets too short",
      () => F.ctcLoss(lp, tg, il, [4, 2, 1]),
      ShapeError,
      /at least \[3, 4\]/,
    ],
    [
      "concatenated size",
      () => F.ctcLoss(lp, tensor([1, 2, 2, 3, 1]), il, tl),
      ShapeError,
      /Expected tensor to have size 6 at dimension 0, but got size 5/,
    ],
    [
      "3-D targets",
      () => F.ctcLoss(lp, tg.unsqueeze(0), il, tl),
      ShapeError,
      /Expected 1 to 2 dimensions, but got 3-dimensional tensor/,
    ],
    [
      "blank out of range",
      () => F.ctcLoss(lp, tg, il, tl, 5),
      ValueError,
      /blank must be in label range/,
    ],
    [
      "negative blank",
      () => F.ctcLoss(lp, tg, il, tl, -1),
      ValueError,
      /blank must be in label range/,
    ],
    ["int log_probs", () => F.ctcLoss(lp.int(), tg, il, tl), DTypeError, /floating/],
    ["4-D log_probs", () => F.ctcLoss(lp.unsqueeze(0), tg, il, tl), ShapeError, /\[T, N, C\]/],
    ["float targets", () => F.ctcLoss(lp, tg.float(), il, tl), DTypeError, /int32/],
    [
      "target out of range",
      () =>
        F.ctcLoss(
          lp,
          tensor([
            [1, 7, 2],
            [3, 1, 0],
            [4, 4, 1],
          ]),
          il,
          tl,
        ),
      IndexError,
      /target 7/,
    ],
    [
      "bad reduction",
      () => F.ctcLoss(lp, tg, il, tl, { reduction: "bad" as "sum" }),
      ValueError,
      /reduction/,
    ],
    [
      "target equal to blank",
      () => F.ctcLoss(lp, tg, il, tl, 4),
      ValueError,
      /target 0 of sample 2 is the blank label 4/,
    ],
    [
      "number lengths",
      () => (F.ctcLoss as (...a: unknown[]) => Tensor)(lp.select(1, 0), tg.index(0), 6, 3),
      ValueError,
      /inputLengths/,
    ],
  ];
  for (const [name, fn, cls, re] of cases) {
    it(name, () =>
      assert.throws(fn, (e: unknown) => e instanceof cls && re.test((e as Error).message)),
    );
  }
  it("CTCLoss prints and parses as PyTorch's", () => {
    const m = new nn.CTCLoss(3, "sum", true);
    assert.equal(String(new nn.CTCLoss({ blank: 3, zeroInfinity: true })), golden.reprs.CTCLoss);
    assert.deepEqual([m.blank, m.reduction, m.zeroInfinity], [3, "sum", true]);
    assert.throws(
      () => new nn.CTCLoss({ zero_infinity: true } as never),
      /did you mean "zeroInfinity"/,
    );
  });
});

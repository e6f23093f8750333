// Every loss × reduction × option against PyTorch (output and input gradient), through the
// functional form and the module form.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, type Tensor } from "../../src/index.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";

interface Case {
  name: string;
  fn: string;
  options: Record<string, unknown>;
  input: Enc;
  target: Enc;
  gy: Enc;
  output: Enc;
  grad_input: Enc;
}

const F = nn.functional;
type Opts = Record<string, unknown>;
type LossFn = (x: Tensor, t: Tensor, o: Opts) => Tensor;
type LossModule = { forward(x: Tensor, t: Tensor): Tensor };

const fns: Record<string, [LossFn, (o: Opts) => LossModule]> = {
  cross_entropy: [(x, t, o) => F.crossEntropy(x, t, o), (o) => new nn.CrossEntropyLoss(o)],
  nll_loss: [(x, t, o) => F.nllLoss(x, t, o), (o) => new nn.NLLLoss(o)],
  binary_cross_entropy: [(x, t, o) => F.binaryCrossEntropy(x, t, o), (o) => new nn.BCELoss(o)],
  binary_cross_entropy_with_logits: [
    (x, t, o) => F.binaryCrossEntropyWithLogits(x, t, o),
    (o) => new nn.BCEWithLogitsLoss(o),
  ],
  mse_loss: [(x, t, o) => F.mseLoss(x, t, o), (o) => new nn.MSELoss(o)],
  l1_loss: [(x, t, o) => F.l1Loss(x, t, o), (o) => new nn.L1Loss(o)],
  smooth_l1_loss: [(x, t, o) => F.smoothL1Loss(x, t, o), (o) => new nn.SmoothL1Loss(o)],
  huber_loss: [(x, t, o) => F.huberLoss(x, t, o), (o) => new nn.HuberLoss(o)],
  kl_div: [(x, t, o) => F.klDiv(x, t, o), (o) => new nn.KLDivLoss(o)],
};

const golden = loadGolden<{ torch: string; cases: Case[] }>("losses.json");

function options(c: Case): Opts {
  return Object.fromEntries(
    Object.entries(c.options).map(([k, v]) => [
      k,
      typeof v === "object" && v !== null ? dec(v as Enc) : v,
    ]),
  );
}

describe(`nn losses vs PyTorch ${golden.torch}`, () => {
  it("every loss has cases for every reduction", () => {
    for (const fn of Object.keys(fns)) {
      const reductions = new Set(
        golden.cases.filter((c) => c.fn === fn).map((c) => c.options.reduction),
      );
      for (const r of ["none", "mean", "sum"]) assert.ok(reductions.has(r), `${fn} ${r}`);
    }
  });
  golden.cases.forEach((c, k) => {
    const label = `${c.name} ${JSON.stringify(Object.fromEntries(Object.entries(c.options).map(([a, b]) => [a, typeof b === "object" ? "tensor" : b])))} #${k}`;
    it(label, () => {
      const [fn, mod] = fns[c.fn]!;
      for (const [form, run] of [
        ["functional", (x: Tensor, t: Tensor) => fn(x, t, options(c))],
        ["module", (x: Tensor, t: Tensor) => mod(options(c)).forward(x, t)],
      ] as const) {
        const x = dec(c.input).requiresGrad_(true);
        const out = run(x, dec(c.target));
        assertClose(out, c.output, `${form} output`);
        out.mul(dec(c.gy)).sum().backward();
        assertClose(x.grad!, c.grad_input, `${form} input grad`);
      }
    });
  });
});

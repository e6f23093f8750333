// CTC loss under double backward: its lattice backward has no differentiable form, so the first
// gradient is PyTorch's and differentiating it again raises an AutogradError naming ctcLoss,
// instead of a NaN or a silently partial second derivative.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AutogradError, autograd, manualSeed, nn, randn, tensor } from "../../src/index.ts";

describe("ctcLoss double backward", () => {
  it("the first gradient flows; a second one raises, naming the op", () => {
    manualSeed(2);
    const logits = randn(6, 2, 4, { dtype: "float64", requiresGrad: true });
    const lp = nn.functional.logSoftmax(logits, 2);
    const targets = tensor(
      [
        [1, 2],
        [3, 1],
      ],
      { dtype: "int32" },
    );
    const loss = nn.functional.ctcLoss(lp, targets, [6, 5], [2, 2]);
    const [g] = autograd.grad([loss], [logits], { createGraph: true });
    assert.ok(g !== null && g !== undefined);
    // d loss / d logits is softmax − occupancy per step; both sum to 1 over classes, so rows sum to 0.
    const rows = g.sum(2).abs().max().item() as number;
    assert.ok(rows < 1e-9, `row sums ${rows}`);
    assert.throws(
      () => g.pow(2).sum().backward(),
      (e: unknown) => e instanceof AutogradError && /ctcLoss/.test(e.message),
    );
  });
});

// Finite-difference gradient checks in float64 for every differentiable op, on the golden
// sample inputs of tools/golden/core.py (so the points are the ones PyTorch was checked at).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gradcheck } from "./gradcheck.ts";
import { dec, fixture } from "./helpers.ts";
import type { Tensor } from "./kiln.ts";
import { buildArgs, label, OPS, type OpCase } from "./op-table.ts";

// Piecewise constant: the gradient is zero except on the jumps, where differences blow up.
const STEP_OPS = new Set(["sign", "floor", "ceil", "round", "trunc"]);

const cases = fixture<OpCase[]>("ops").filter(
  (c) =>
    c.grad &&
    c.grads !== undefined &&
    !STEP_OPS.has(c.op) &&
    c.inputs.every((a) => "scalar" in a || a.dtype !== "float32") &&
    // A float32 output (x.to("float32")) rounds away the finite difference.
    (Array.isArray(c.out) ? c.out : [c.out]).every((o) => o.dtype !== "float32"),
);

describe("finite-difference gradient checks (float64)", () => {
  const ops = [...new Set(cases.map((c) => c.op))];
  for (const op of ops) {
    test(op, () => {
      cases.forEach((c, i) => {
        if (c.op !== op) return;
        const args = buildArgs(c, true);
        const inputs = args.filter((a): a is Tensor => typeof a !== "number");
        const weights = c.gradOutputs!.map((g) => (g === null ? null : dec(g).double()));
        const bad = gradcheck(() => OPS[op]!(args, c.kwargs), inputs, weights);
        assert.deepEqual(bad, [], label(c, i));
      });
    });
  }
});

// Forward and backward goldens for every op of API.md's "Tensors" section, from the OpInfo-style
// table in tools/golden/core.py: each case's output, and the gradient of each floating input
// for the recorded upstream gradient, must match PyTorch 1.13.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertTensor, dec, fixture, tolFor } from "./helpers.ts";
import type { Tensor } from "./kiln.ts";
import { buildArgs, label, OPS, type OpCase } from "./op-table.ts";

const cases = fixture<OpCase[]>("ops");
const byOp = new Map<string, [OpCase, number][]>();
cases.forEach((c, i) => {
  const list = byOp.get(c.op) ?? [];
  list.push([c, i]);
  byOp.set(c.op, list);
});

describe("op goldens (forward and backward against PyTorch)", () => {
  for (const [op, list] of byOp) {
    test(op, () => {
      const fn = OPS[op];
      assert.ok(fn !== undefined, `no Kiln entry for op ${op}`);
      for (const [c, i] of list) {
        const name = label(c, i);
        // float32 anywhere in the case bounds the accuracy of every float result.
        const f32 = c.inputs.some((a) => "dtype" in a && a.dtype === "float32");
        const tol = f32 ? tolFor("float32") : undefined;
        const args = buildArgs(c, c.grad);
        const out: Tensor | Tensor[] = fn(args, c.kwargs);
        const outs: Tensor[] = Array.isArray(out) ? out : [out];
        const expected = Array.isArray(c.out) ? c.out : [c.out];
        assert.equal(outs.length, expected.length, `${name}: number of outputs`);
        outs.forEach((o, k) => {
          assertTensor(o, expected[k]!, `${name} out[${k}]`, tol);
        });
        if (!c.grad || c.grads === undefined) continue;
        // Backward: Σ_k <out_k, gout_k>, whose gradient is the vector-Jacobian product.
        let loss: Tensor | null = null;
        c.gradOutputs!.forEach((g, k) => {
          if (g === null || !outs[k]!.requiresGrad) return;
          const term = outs[k]!.mul(dec(g)).sum().double();
          loss = loss === null ? term : loss.add(term);
        });
        assert.ok(loss !== null, `${name}: output does not require grad`);
        (loss as Tensor).backward();
        const tensors = args.filter((a): a is Tensor => typeof a !== "number");
        c.grads.forEach((g, k) => {
          if (g === null) return;
          const t = tensors[k]!;
          if ("none" in g) {
            assert.equal(t.grad, null, `${name}: input ${k} is unused, so it gets no gradient`);
            return;
          }
          assert.ok(t.grad !== null, `${name}: input ${k} got no gradient`);
          assertTensor(t.grad, g, `${name} grad[${k}]`, tol);
        });
      }
    });
  }
});

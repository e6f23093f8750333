// String(t) against PyTorch's repr (torch/_tensor_str.py): ints, fixed and scientific floats,
// int-valued floats, bool, 0-d, empty, summarised (> 1000 elements), wrapped rows, n-D, and the
// dtype / requires_grad / grad_fn suffixes, with Kiln's dtype names (see tools/golden/core.py).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dec, type Enc, fixture } from "./helpers.ts";
import type { Tensor } from "./kiln.ts";

interface ReprCase {
  name: string;
  input: Enc;
  requiresGrad: boolean;
  op: "mul2" | "sum" | "exp" | null;
  expected: string;
}

const OPS: Record<string, (t: Tensor) => Tensor> = {
  mul2: (t) => t.mul(2),
  sum: (t) => t.sum(),
  exp: (t) => t.exp(),
};

describe("String(t) matches PyTorch's repr", () => {
  for (const c of fixture<ReprCase[]>("repr")) {
    test(c.name, () => {
      let t = dec(c.input);
      if (c.requiresGrad) t.requiresGrad_(true);
      if (c.op !== null) t = OPS[c.op]!(t);
      assert.equal(String(t), c.expected);
    });
  }
});

// The run-time side of the loss types: nn.functional's losses are typed floating, so a loss of
// integer operands must throw rather than return int32. The expectations are PyTorch 1.13's
// (checked with /usr/bin/python3): mse_loss, smooth_l1_loss and huber_loss of two int64 tensors
// raise "... not implemented for 'Long'" for every reduction, while l1_loss gives int64 with
// "none" and "sum" (Kiln: int32, typed as a non-bool dtype) and raises with "mean".

import assert from "node:assert/strict";
import { test } from "node:test";
import { DTypeError, nn, tensor } from "../../src/index.ts";

const F = nn.functional;
const a = tensor([1, 2], { dtype: "int32" });
const b = tensor([1, 4], { dtype: "int32" });
const REDUCTIONS = ["none", "sum", "mean"] as const;

test("mseLoss, smoothL1Loss and huberLoss refuse int32 operands, as PyTorch does for int64", () => {
  for (const reduction of REDUCTIONS) {
    assert.throws(() => F.mseLoss(a, b, { reduction }), DTypeError);
    assert.throws(() => F.smoothL1Loss(a, b, { reduction }), DTypeError);
    assert.throws(() => F.huberLoss(a, b, { reduction }), DTypeError);
  }
});

test("the same losses of a float and an int operand are floating", () => {
  const x = tensor([1.5, 2], { dtype: "float32" });
  assert.equal(F.mseLoss(x, b).dtype, "float32");
  assert.equal(F.smoothL1Loss(x, b).dtype, "float32");
  // Huber with delta 1: ½·0.5² = 0.125 where |d| = 0.5, and 1·(2 − ½) = 1.5 where |d| = 2
  assert.equal(F.huberLoss(x, b, { reduction: "sum" }).item(), 1.625);
});

test("l1Loss of int32 operands is int32 with none and sum, and throws with mean", () => {
  const none = F.l1Loss(a, b, { reduction: "none" });
  assert.equal(none.dtype, "int32");
  assert.deepEqual(none.toArray(), [0, 2]);
  assert.equal(F.l1Loss(a, b, { reduction: "sum" }).item(), 2);
  assert.throws(() => F.l1Loss(a, b, { reduction: "mean" }), DTypeError);
});

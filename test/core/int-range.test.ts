// Integers never wrap (issue 13, item 5) and sizes are validated before any kernel runs (item 8),
// on every backend. Messages carry PyTorch 1.13's text, checked by running it, e.g.
// `torch.tensor([3e9], dtype=torch.int32)` → "value cannot be converted to type int32 without
// overflow", `torch.zeros(-1)` → "Trying to create tensor with negative dimension -1: [-1]".

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  arange,
  eye,
  full,
  IndexError,
  type KilnError,
  ones,
  rand,
  randint,
  randperm,
  ShapeError,
  tensor,
  ValueError,
  zeros,
} from "./kiln.ts";

const OVERFLOW = "cannot be converted to type int32 without overflow";

function throwsWith(
  fn: () => unknown,
  type: typeof KilnError,
  op: string,
  ...parts: string[]
): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e.name}: ${e.message}`);
    assert.ok(e.message.startsWith(`${op}:`), `"${e.message}" does not name ${op}`);
    for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" lacks "${p}"`);
    return true;
  });
}

const ints = () => tensor([1, 2]);

describe("int32 values never wrap", () => {
  test("tensor(): inferred int32 throws outside its range, naming value and range", () => {
    throwsWith(() => tensor([3e9]), ValueError, "tensor", "3000000000", OVERFLOW, "2147483647");
    throwsWith(() => tensor([1e20, 0]), ValueError, "tensor", OVERFLOW, "float32");
    throwsWith(() => tensor([2147483648]), ValueError, "tensor", OVERFLOW);
    throwsWith(() => tensor([-2147483649]), ValueError, "tensor", OVERFLOW);
    // The ends of the range are kept exactly.
    assert.deepEqual(tensor([2147483647, -2147483648]).toArray(), [2147483647, -2147483648]);
    // As floats the same values are fine.
    assert.equal(tensor([3e9], { dtype: "float64" }).item(), 3e9);
  });

  test("tensor() with dtype int32: truncates fractions, rejects NaN, ±Infinity and overflow", () => {
    // torch.tensor([1.5, -1.5, 2.7], dtype=torch.int32) = [1, -1, 2]
    assert.deepEqual(tensor([1.5, -1.5, 2.7], { dtype: "int32" }).toArray(), [1, -1, 2]);
    throwsWith(() => tensor([Number.NaN], { dtype: "int32" }), ValueError, "tensor", OVERFLOW);
    throwsWith(() => tensor([Infinity], { dtype: "int32" }), ValueError, "tensor", OVERFLOW);
    throwsWith(() => tensor([3e9], { dtype: "int32" }), ValueError, "tensor", OVERFLOW);
    // torch: 2147483647.5 overflows too (checked before truncation).
    throwsWith(() => tensor([2147483647.5], { dtype: "int32" }), ValueError, "tensor", OVERFLOW);
    throwsWith(
      () => tensor(new Float32Array([5e9]), { dtype: "int32" }),
      ValueError,
      "tensor",
      OVERFLOW,
    );
  });

  test("full, fill_, maskedFill, indexPut_, scatter", () => {
    throwsWith(() => full([2], 3e9, { dtype: "int32" }), ValueError, "full", OVERFLOW);
    throwsWith(() => full([2], Number.NaN, { dtype: "int32" }), ValueError, "full", OVERFLOW);
    throwsWith(() => full([2], 3e9), ValueError, "full", OVERFLOW);
    // torch.full([2], 1.5, dtype=torch.int32) = [1, 1]
    assert.deepEqual(full([2], 1.5, { dtype: "int32" }).toArray(), [1, 1]);
    throwsWith(() => ints().fill_(3e9), ValueError, "fill_", OVERFLOW);
    throwsWith(() => ints().fill_(Number.NaN), ValueError, "fill_", OVERFLOW);
    assert.deepEqual(ints().fill_(1.5).toArray(), [1, 1]);
    const m = tensor([true, false]);
    throwsWith(() => ints().maskedFill(m, 3e9), ValueError, "maskedFill", OVERFLOW);
    throwsWith(() => ints().maskedFill(m, Number.NaN), ValueError, "maskedFill", OVERFLOW);
    // torch: zeros(2, int32).masked_fill([True, False], 1.5) = [1, 0]
    assert.deepEqual(zeros(2, { dtype: "int32" }).maskedFill(m, 1.5).toArray(), [1, 0]);
    throwsWith(() => ints().indexPut_([0], 3e9), ValueError, "indexPut_", OVERFLOW);
    throwsWith(() => ints().indexPut_([m], Infinity), ValueError, "indexPut_", OVERFLOW);
    throwsWith(() => ints().scatter(0, tensor([0]), 3e9), ValueError, "scatter", OVERFLOW);
  });

  test("scalar operands of int32 arithmetic", () => {
    // PyTorch 1.13 wraps int32 + 3000000000 to -1294967295; Kiln throws instead (API.md).
    throwsWith(() => ints().add(3e9), ValueError, "add", "3000000000", OVERFLOW);
    throwsWith(() => ints().add_(3e9), ValueError, "add", OVERFLOW);
    throwsWith(() => ints().mul(3e9), ValueError, "mul", OVERFLOW);
    throwsWith(() => ints().lt(3e9), ValueError, "lt", OVERFLOW);
    throwsWith(() => ints().add(1, { alpha: 3e9 }), ValueError, "add", OVERFLOW);
    throwsWith(() => ints().clamp(0, 3e9), ValueError, "clamp", OVERFLOW);
    // In range, and float scalars (which promote), are unaffected: [1, 2] + 2147483646.
    assert.deepEqual(ints().add(2147483645).toArray(), [2147483646, 2147483647]);
    assert.deepEqual(ints().mul(1.5).toArray(), [1.5, 3]);
    assert.deepEqual(ints().float().add(3e9).dtype, "float32");
  });

  test("arange and randint", () => {
    // torch.arange(2147483640, 2147483650, dtype=int32) wraps past the end; Kiln throws.
    throwsWith(() => arange(2147483640, 2147483650), ValueError, "arange", "2147483648");
    assert.deepEqual(
      arange(2147483645, 2147483648).toArray(),
      [2147483645, 2147483646, 2147483647],
    );
    throwsWith(() => randint(0, 3e9, [2]), ValueError, "randint", "out of bounds");
    throwsWith(() => randint(-3e9, 0, [2]), ValueError, "randint", "out of bounds");
  });
});

describe("integer reductions never wrap", () => {
  test("sum, prod and cumsum of int32 or bool give int32 exactly, or throw where it cannot hold them", () => {
    // PyTorch returns int64 for these; Kiln's int32 holds them up to 2^31 − 1.
    assert.equal(tensor([true, false, true]).sum().item(), 2);
    assert.deepEqual(tensor([2147483646, 1]).sum(0).item(), 2147483647);
    assert.deepEqual(
      tensor([
        [1, 2],
        [3, 4],
      ])
        .prod(1)
        .toArray(),
      [2, 12],
    );
    assert.deepEqual(tensor([-2147483647, -1]).cumsum(0).toArray(), [-2147483647, -2147483648]);
    // 3 · 2^30 = 3221225472 and 2^30 + 2^30 = 2^31 lie beyond int32: Int32Array would wrap them
    throwsWith(() => full([3], 2 ** 30, { dtype: "int32" }).sum(), ValueError, "sum", "3221225472");
    throwsWith(
      () => full([2], 2 ** 30, { dtype: "int32" }).cumsum(0),
      ValueError,
      "cumsum",
      "2147483648",
    );
    // (2^11)^3 = 2^33 = 8589934592
    throwsWith(
      () => full([3], 2 ** 11, { dtype: "int32" }).prod(),
      ValueError,
      "prod",
      "8589934592",
    );
  });
});

describe("sizes are validated", () => {
  const NEG = "Trying to create tensor with negative dimension";
  test("creation", () => {
    throwsWith(() => zeros(-1), ValueError, "zeros", `${NEG} -1: [-1]`);
    throwsWith(() => zeros(2, -3), ValueError, "zeros", `${NEG} -3: [2, -3]`);
    throwsWith(() => ones([-1]), ValueError, "ones", `${NEG} -1: [-1]`);
    throwsWith(() => full([-1], 2), ValueError, "full", `${NEG} -1: [-1]`);
    throwsWith(() => rand(-1), ValueError, "rand", `${NEG} -1: [-1]`);
    throwsWith(() => randint(0, 5, [-1]), ValueError, "randint", `${NEG} -1: [-1]`);
    throwsWith(() => randperm(-1), ValueError, "randperm", `${NEG} -1: [-1]`);
    throwsWith(() => eye(-1), ValueError, "eye", "n must be greater or equal to 0, got -1");
    throwsWith(() => eye(2, -1), ValueError, "eye", "m must be greater or equal to 0, got -1");
  });

  test("expand", () => {
    const x = ones(2);
    throwsWith(
      () => x.expand(-1, 2),
      ShapeError,
      "expand",
      "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
    );
    // PyTorch checks from the last dim: expand(-5, 3) of [2] fails at dim 1 first.
    throwsWith(
      () => x.expand(-5, 3),
      ShapeError,
      "expand",
      "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 1.  Target sizes: [-5, 3].  Tensor sizes: [2]",
    );
    throwsWith(() => x.expand(-5, 2), ShapeError, "expand", "(-5)", "dimension 0");
    throwsWith(() => ones(1).expand(-2), ShapeError, "expand", "(-2)");
    assert.deepEqual(ones(2, 1).expand(-1, 3).shape, [2, 3]);
  });

  test("reshape, view, repeat, narrow", () => {
    const x = ones(6);
    throwsWith(() => x.reshape(-2, 3), ShapeError, "reshape", "invalid shape dimension -2");
    throwsWith(() => x.view(-1, -1), ShapeError, "view", "only one dimension can be inferred");
    throwsWith(
      () => x.reshape(4, 2),
      ShapeError,
      "reshape",
      "shape '[4, 2]' is invalid for input of size 6",
    );
    throwsWith(() => ones(2).repeat(-1), ShapeError, "repeat", `${NEG} -2: [-2]`);
    throwsWith(() => ones(2).repeat(2, -1), ShapeError, "repeat", `${NEG} -2: [2, -2]`);
    assert.deepEqual(ones(2).repeat(0).shape, [0]);
    const y = ones(5);
    throwsWith(
      () => y.narrow(0, 1, -1),
      IndexError,
      "narrow",
      "start (1) + length (-1) exceeds dimension size (5).",
    );
    throwsWith(() => y.narrow(0, 6, 0), IndexError, "narrow", "got 6");
    assert.deepEqual(y.narrow(0, 5, 0).shape, [0]);
    assert.deepEqual(y.narrow(0, -5, 2).shape, [2]);
  });
});

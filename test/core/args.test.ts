// Rule 2 of shared/API.md for Tensor methods and root functions: PyTorch's positional parameters
// are accepted in its order and give the same result as the options object; anything not
// understood (an extra positional, an unknown option, a wrong type) throws a ValueError naming it.
// Expected values are derived by hand in comments (small integer data).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  arange,
  cat,
  eye,
  full,
  linspace,
  matmul,
  ones,
  randint,
  randn,
  type Tensor,
  tensor,
  ValueError,
  where,
  zeros,
} from "./kiln.ts";

const x = tensor([
  [1, 5, 2],
  [4, 3, 6],
]).float();

function same(a: Tensor, b: Tensor): void {
  assert.deepEqual(a.shape, b.shape);
  assert.equal(a.dtype, b.dtype);
  assert.deepEqual(a.toArray(), b.toArray());
}

/** Calls method `m` of `t` as plain JavaScript would, with arguments TypeScript would refuse. */
function call(t: Tensor, m: string, ...args: unknown[]): unknown {
  return (t as unknown as Record<string, (...a: unknown[]) => unknown>)[m]!.apply(t, args);
}

/** Throws a ValueError whose message starts with `op:` and contains every part of `parts`. */
function rejects(fn: () => unknown, op: string, ...parts: string[]): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof ValueError, `expected ValueError, got ${e.name}: ${e.message}`);
    assert.ok(e.message.startsWith(`${op}:`), `"${e.message}" does not name ${op}`);
    for (const p of parts) assert.ok(e.message.includes(p), `"${e.message}" lacks "${p}"`);
    return true;
  });
}

describe("positional forms equal the options object", () => {
  test("reductions take keepDim positionally", () => {
    // x.sum(1, keepdim=True) = [[8], [13]]
    same(x.sum(1, true), x.sum(1, { keepDim: true }));
    assert.deepEqual(x.sum(1, true).toArray(), [[8], [13]]);
    same(x.mean(0, true), x.mean(0, { keepDim: true }));
    same(x.prod(1, true), x.prod(1, { keepDim: true }));
    same(x.amax(1, true), x.amax(1, { keepDim: true }));
    same(x.argmax(1, true), x.argmax(1, { keepDim: true }));
    assert.deepEqual(x.argmax(1, true).toArray(), [[1], [2]]);
    same(x.logsumexp(1, true), x.logsumexp(1, { keepDim: true }));
    same(x.gt(2).any(1, true), x.gt(2).any(1, { keepDim: true }));
    same(x.gt(2).all(0, true), x.gt(2).all(0, { keepDim: true }));
    // sum with no dim and keepDim reduces everything to [1, 1]: 21.
    assert.deepEqual(x.sum(null, true).toArray(), [[21]]);
    assert.deepEqual(x.sum({ keepDim: true }).toArray(), [[21]]);
  });

  test("max/min(dim, keepDim) give values and indices", () => {
    const a = x.max(1, true);
    const b = x.max(1, { keepDim: true });
    same(a.values, b.values);
    same(a.indices, b.indices);
    assert.deepEqual(a.values.toArray(), [[5], [6]]);
    assert.deepEqual(x.min(0, true).indices.toArray(), [[0, 1, 0]]);
  });

  test("var/std: (dim, unbiased, keepDim) and (unbiased)", () => {
    // row 0 = [1, 5, 2]: mean 8/3, squared deviations sum 26/3; biased var 26/9.
    same(x.var(1, false, true), x.var(1, { unbiased: false, keepDim: true }));
    assert.ok(Math.abs((x.var(1, false).toArray() as number[])[0]! - 26 / 9) < 1e-5);
    same(x.std(1, true), x.std(1, { unbiased: true }));
    same(x.var(1, { correction: 0 }), x.var(1, false));
    // var(False) over all six values [1..6]: population variance 35/12.
    assert.ok(Math.abs((x.var(false).item() as number) - 35 / 12) < 1e-5);
  });

  test("add/sub alpha is keyword-only; clamp takes (min, max)", () => {
    const y = ones(2, 3);
    // x + 2·1
    assert.deepEqual(x.add(y, { alpha: 2 }).toArray(), [
      [3, 7, 4],
      [6, 5, 8],
    ]);
    same(x.clamp(2, 4), x.clamp({ min: 2, max: 4 }));
    same(x.clamp(null, 4), x.clamp({ max: 4 }));
    assert.deepEqual(x.clamp(2, 4).toArray(), [
      [2, 4, 2],
      [4, 3, 4],
    ]);
  });

  test("movement methods", () => {
    same(x.transpose(0, 1), x.t());
    same(x.flip(0, 1), x.flip([0, 1]));
    same(x.reshape(3, 2), x.reshape([3, 2]));
    same(x.flatten(0, 1), x.reshape(6));
    assert.deepEqual(x.narrow(1, 1, 2).toArray(), [
      [5, 2],
      [3, 6],
    ]);
    assert.equal(x.split(2, 1).length, 2);
  });

  test("indexPut_ takes accumulate positionally", () => {
    const a = zeros(3);
    const b = zeros(3);
    a.indexPut_([tensor([0, 0])], tensor([1, 2]).float(), true);
    b.indexPut_([tensor([0, 0])], tensor([1, 2]).float(), { accumulate: true });
    same(a, b);
    assert.deepEqual(a.toArray(), [3, 0, 0]);
  });

  test("root functions", () => {
    same(arange(0, 10, 2), tensor([0, 2, 4, 6, 8]));
    same(arange(5, { dtype: "float32" }), tensor([0, 1, 2, 3, 4]).float());
    same(full([2], 7), tensor([7, 7]));
    same(zeros(2, 3, { dtype: "int32" }), zeros([2, 3], { dtype: "int32" }));
    assert.deepEqual(randint(0, 10, [5]).shape, [5]);
    assert.deepEqual(randint(10, [4]).shape, [4]);
    assert.equal(tensor([1, 2], { dtype: "float64", requiresGrad: true }).requiresGrad, true);
    same(eye(2, 3), eye(2, 3, {}));
    same(linspace(0, 1, 3), tensor([0, 0.5, 1]));
    same(cat([x, x], 1), cat([x, x], 1));
  });
});

describe("anything not understood throws a ValueError naming it", () => {
  const y = ones(2, 3);
  test("an extra positional argument", () => {
    rejects(() => x.add(y, 2 as never), "add", "extra one is 2");
    rejects(() => x.sub(y, 2 as never), "sub", "extra one is 2");
    rejects(() => call(x, "mul", y, 2), "mul", "extra one is 2");
    rejects(() => call(x, "neg", 1), "neg", "extra one is 1");
    rejects(() => call(x, "sum", 1, true, { keepDim: true }, 3), "sum");
    rejects(() => call(x, "max", 1, true, 5), "max", "extra one is 5");
    rejects(() => call(x, "transpose", 0, 1, 2), "transpose");
    rejects(() => call(x, "cumsum", 0, 1), "cumsum");
    rejects(() => (matmul as (...a: unknown[]) => Tensor)(x, x.t(), 3), "matmul");
    rejects(() => (where as (...a: unknown[]) => Tensor)(x.gt(1), x, y, 1), "where");
    rejects(() => (cat as (...a: unknown[]) => Tensor)([x], 0, 1), "cat");
    rejects(() => (arange as (...a: unknown[]) => Tensor)(0, 10, 2, 3), "arange");
  });

  test("an unknown option key", () => {
    rejects(() => x.add(y, { beta: 2 } as never), "add", 'unknown option "beta"');
    rejects(() => x.sum(1, { keepdim: true } as never), "sum", '"keepdim"', "keepDim");
    rejects(() => x.var(1, { ddof: 1 } as never), "var", "ddof");
    rejects(() => zeros(2, { layout: "strided" } as never), "zeros", "layout");
    rejects(() => tensor([1], { dtyp: "int32" } as never), "tensor", "dtyp");
    rejects(() => randn(2, { seed: 1 } as never), "randn", "seed");
    rejects(() => x.reshape(3, 2, {} as never), "reshape", "size");
  });

  test("a value of the wrong type", () => {
    rejects(() => x.sum(1, "yes" as never), "sum", '"keepDim" must be a boolean');
    rejects(() => x.sum(1.5), "sum", '"dim"');
    rejects(() => x.add("1" as never), "add", '"other"');
    rejects(() => x.add(y, { alpha: "2" } as never), "add", '"alpha" must be a number');
    rejects(() => x.clamp("0" as never), "clamp", '"min"');
    rejects(() => x.transpose(0, 0.5), "transpose", '"dim1" must be an int');
    rejects(() => x.expand(2, 3.5), "expand", "3.5");
    rejects(() => x.to("complex64" as never), "to", '"dtype"');
    rejects(() => zeros(2.5), "zeros", "2.5");
    rejects(() => full(2 as never, 7), "full", '"size"');
    rejects(() => tensor([1], { dtype: "complex64" } as never), "tensor", '"dtype"');
    rejects(() => x.gather(1, [0] as never), "gather", '"index" must be a Tensor');
    rejects(() => x.requiresGrad_(1 as never), "requiresGrad_", "boolean");
  });

  test("a value given twice", () => {
    rejects(() => x.sum(1, true, { keepDim: false }), "sum", "multiple values");
    rejects(() => x.indexPut_([0], 1, true, { accumulate: true }), "indexPut_", "multiple");
  });
});

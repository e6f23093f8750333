// Triangles and diagonals (src/ops/triangular.ts) against PyTorch 1.13: tril, triu, diag,
// diagonal (a view), diagEmbed, trace, trilIndices and triuIndices, forward and backward,
// float64 finite differences, PyTorch's errors, and the Tensor method forms.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as tr from "../../src/ops/triangular.ts";
import { IndexError, ShapeError, type Tensor, tensor, ValueError, zeros } from "./kiln.ts";
import { errorTest } from "./torch-ops-errors.ts";
import { type Arg, goldenSuite, gradcheckSuite, type OpFn } from "./torch-ops-golden.ts";

const T = (a: Arg | undefined) => a as Tensor;

const OPS: Record<string, OpFn> = {
  tril: ([x], kw) => tr.tril(T(x), kw),
  triu: ([x], kw) => T(x).triu(kw),
  diag: ([x], kw) =>
    kw.diagonal === undefined ? T(x).diag() : tr.diag(T(x), kw.diagonal as number),
  diagonal: ([x], kw) => tr.diagonal(T(x), kw),
  diagEmbed: ([x], kw) => T(x).diagEmbed(kw),
  trace: ([x]) => T(x).trace(),
  trilIndices: (args) =>
    tr.trilIndices(args[0] as number, args[1] as number, (args[2] as number | undefined) ?? 0),
  triuIndices: (args) =>
    tr.triuIndices(args[0] as number, args[1] as number, (args[2] as number | undefined) ?? 0),
};

// grad_fn names checked where Kiln records PyTorch's node (composites keep their last op's).
goldenSuite("triangular", OPS, ["tril", "triu", "diag", "diagEmbed", "trace"]);
gradcheckSuite("triangular", OPS, 3);

test("diagonal is a view: writing through it changes the input", () => {
  const x = zeros(3, 3);
  tr.diagonal(x).fill_(1);
  assert.deepEqual(x.toArray(), [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  // offset 1 of a 2x3 reads x[0,1], x[1,2].
  assert.deepEqual(
    tensor([
      [0, 1, 2],
      [3, 4, 5],
    ])
      .diagonal(1)
      .toArray(),
    [1, 5],
  );
});

test("tril_ and triu_ work in place and keep the graph", () => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  assert.equal(x.tril_(), x);
  assert.deepEqual(x.toArray(), [
    [1, 0],
    [3, 4],
  ]);
  assert.deepEqual(
    tensor([
      [1, 2],
      [3, 4],
    ])
      .triu_({ diagonal: 1 })
      .toArray(),
    [
      [0, 2],
      [0, 0],
    ],
  );
  const a = tensor(
    [
      [1.5, 2],
      [3, 4],
    ],
    { requiresGrad: true },
  );
  const y = a.mul(1).triu_();
  y.sum().backward();
  // d Σ triu(a) / da is the upper-triangle mask.
  assert.deepEqual(a.grad!.toArray(), [
    [1, 1],
    [0, 1],
  ]);
});

test("positional and option forms agree; unknown options are refused", () => {
  const x = tensor([
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(tr.tril(x, -1).toArray(), tr.tril(x, { diagonal: -1 }).toArray());
  assert.deepEqual(tr.trilIndices(3, 3, { dtype: "float32" }).dtype, "float32");
  assert.throws(() => tr.triu(x, { k: 1 } as never), ValueError);
});

errorTest("tril 1-D", "tril", ShapeError, () => tr.tril(tensor([1.5, 2])));
errorTest("diagonal dims", "diagonal", ValueError, () => tr.diagonal(zeros(2, 3), 0, 1, 1));
errorTest("diagonal dim range", "diagonal", IndexError, () => tr.diagonal(zeros(2, 3), 0, 0, 2));
errorTest("diag 3-D", "diag", ShapeError, () => tr.diag(zeros(2, 2, 2)));
errorTest("trace 3-D", "trace", ShapeError, () => tr.trace(zeros(2, 2, 2)));

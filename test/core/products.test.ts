// Matrix and tensor products (src/ops/products.ts) against PyTorch 1.13: mm, bmm, mv, dot,
// outer, addmm, baddbmm, addbmm, kron, tensordot and einsum, forward and backward, float64
// finite differences, PyTorch's errors, and the Tensor method forms.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as pr from "../../src/ops/products.ts";
import { DTypeError, ShapeError, type Tensor, tensor, ValueError } from "./kiln.ts";
import { errorTest } from "./torch-ops-errors.ts";
import { type Arg, goldenSuite, gradcheckSuite, type OpFn } from "./torch-ops-golden.ts";

const T = (a: Arg | undefined) => a as Tensor;
const opts = (kw: Record<string, unknown>) => kw as { beta?: number; alpha?: number };

const OPS: Record<string, OpFn> = {
  mm: ([a, b]) => pr.mm(T(a), T(b)),
  bmm: ([a, b]) => T(a).bmm(T(b)),
  mv: ([a, b]) => T(a).mv(T(b)),
  dot: ([a, b]) => pr.dot(T(a), T(b)),
  outer: ([a, b]) => T(a).outer(T(b)),
  kron: ([a, b]) => pr.kron(T(a), T(b)),
  addmm: ([i, a, b], kw) => pr.addmm(T(i), T(a), T(b), opts(kw)),
  baddbmm: ([i, a, b], kw) => T(i).baddbmm(T(a), T(b), opts(kw)),
  addbmm: ([i, a, b], kw) => pr.addbmm(T(i), T(a), T(b), opts(kw)),
  tensordot: ([a, b], kw) => pr.tensordot(T(a), T(b), kw.dims as number),
  einsum: (args, kw) => pr.einsum(kw.eq as string, ...args.map(T)),
};

// grad_fn names checked where Kiln records PyTorch's node (composites keep their last op's).
goldenSuite("products", OPS, ["mm", "bmm", "mv", "dot", "outer", "addmm", "baddbmm", "addbmm"]);
gradcheckSuite("products", OPS, 3);

test("method forms agree with the functions; einsum takes an operand array", () => {
  const a = tensor([
    [1, 2],
    [3, 4],
  ]);
  const b = tensor([
    [0, 1],
    [1, 0],
  ]);
  assert.deepEqual(a.mm(b).toArray(), pr.mm(a, b).toArray());
  assert.deepEqual(pr.einsum("ij,jk->ik", [a, b]).toArray(), [
    [2, 1],
    [4, 3],
  ]);
  assert.deepEqual(a.kron(tensor([1, 1])).toArray(), [
    [1, 1, 2, 2],
    [3, 3, 4, 4],
  ]);
  assert.deepEqual(a.addmm(a, b, { beta: 0 }).toArray(), [
    [2, 1],
    [4, 3],
  ]);
  // dot of [1,2]·[3,4] = 11 by hand.
  assert.equal(
    tensor([1, 2])
      .dot(tensor([3, 4]))
      .item(),
    11,
  );
});

test("unknown options and extra arguments are refused", () => {
  const a = tensor([
    [1.5, 2],
    [3, 4],
  ]);
  assert.throws(() => pr.addmm(a, a, a, { gamma: 1 } as never), ValueError);
  assert.throws(() => (pr.mm as (...x: unknown[]) => Tensor)(a, a, a), ValueError);
  assert.throws(
    () => pr.addmm(tensor([1, 2]), tensor([[1, 2]]), tensor([[1], [2]]), { beta: 0.5 }),
    ValueError,
  );
});

errorTest("mm 3-D", "mm", ShapeError, () => pr.mm(tensor([[[1.5]]]), tensor([[1.5]])));
errorTest("mm shapes", "matmul", ShapeError, () =>
  pr.mm(tensor([[1.5, 2, 3]]), tensor([[1.5, 2]])),
);
errorTest("bmm 2-D", "bmm", ShapeError, () => pr.bmm(tensor([[1.5]]), tensor([[1.5]])));
errorTest("bmm batch", "bmm", ShapeError, () =>
  pr.bmm(tensor([[[1.5]], [[2]]]), tensor([[[1.5]]])),
);
errorTest("mv shapes", "mv", ShapeError, () => pr.mv(tensor([[1.5, 2, 3]]), tensor([1.5, 2])));
errorTest("dot 2-D", "dot", ShapeError, () => pr.dot(tensor([[1.5]]), tensor([1.5])));
errorTest("dot sizes", "dot", ShapeError, () => pr.dot(tensor([1.5, 2]), tensor([1.5])));
errorTest("dot dtypes", "dot", DTypeError, () =>
  pr.dot(tensor([1.5], { dtype: "float64" }), tensor([1.5])),
);
errorTest("einsum operands", "einsum", ValueError, () => pr.einsum("ij,jk->ik", tensor([[1.5]])));
errorTest("einsum dims", "einsum", ShapeError, () => pr.einsum("ijk->i", tensor([[1.5]])));
errorTest("einsum sizes", "einsum", ShapeError, () =>
  pr.einsum("ij,jk->ik", tensor([[1.5, 2]]), tensor([[1.5], [2], [3]])),
);
errorTest("einsum output", "einsum", ValueError, () => pr.einsum("ij->k", tensor([[1.5]])));
errorTest("tensordot sizes", "tensordot", ShapeError, () =>
  pr.tensordot(tensor([[1.5, 2]]), tensor([[1.5], [2], [3]]), 1),
);

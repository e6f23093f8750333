// Sorting, selection and search (src/ops/sorting.ts, src/ops/search.ts) against PyTorch 1.13:
// sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, unique, uniqueConsecutive,
// searchsorted and bucketize: values, int32 indices (PyTorch's int64), gradients, float64
// finite differences, PyTorch's errors, and the named-tuple results.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as se from "../../src/ops/search.ts";
import * as so from "../../src/ops/sorting.ts";
import { IndexError, ShapeError, type Tensor, tensor, ValueError, zeros } from "./kiln.ts";
import { errorTest } from "./torch-ops-errors.ts";
import { type Arg, goldenSuite, gradcheckSuite, type OpFn } from "./torch-ops-golden.ts";

const T = (a: Arg | undefined) => a as Tensor;

const OPS: Record<string, OpFn> = {
  sort: ([x], kw) => so.sort(T(x), kw),
  argsort: ([x], kw) => T(x).argsort(kw),
  msort: ([x]) => T(x).msort(),
  topk: ([x, k], kw) => T(x).topk(k as number, kw),
  kthvalue: ([x, k], kw) => so.kthvalue(T(x), k as number, kw),
  median: ([x], kw) => (kw.dim === undefined ? so.median(T(x)) : T(x).median(kw)),
  nanmedian: ([x], kw) => (kw.dim === undefined ? T(x).nanmedian() : so.nanmedian(T(x), kw)),
  mode: ([x], kw) => T(x).mode(kw),
  unique: ([x], kw) => se.unique(T(x), kw),
  uniqueConsecutive: ([x], kw) => T(x).uniqueConsecutive(kw),
  searchsorted: ([s, v], kw) => se.searchsorted(T(s), T(v), kw),
  searchsortedScalar: ([s], kw) => se.searchsorted(T(s), kw.value as number),
  searchsortedSorter: ([s, v, srt]) => se.searchsorted(T(s), T(v), { sorter: T(srt) }),
  bucketize: ([v, b], kw) => se.bucketize(T(v), T(b), kw),
};

// grad_fn names checked where Kiln records PyTorch's node (composites keep their last op's).
goldenSuite("sorting", OPS, ["sort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode"]);
// mode's samples are all ties (its point), where a finite step changes the mode itself: its
// gradient is checked against PyTorch's in the goldens only.
gradcheckSuite("sorting", OPS, 2, ["mode"]);

test("multi-output results destructure and carry PyTorch's field names", () => {
  const x = tensor([[3, 1, 2]]);
  const r = so.topk(x, 2);
  const [values, indices] = r;
  assert.equal(r.values, values);
  assert.equal(r.indices, indices);
  assert.equal(r.length, 2);
  assert.deepEqual(values.toArray(), [[3, 2]]);
  assert.equal(indices.dtype, "int32");
  // JSON and spreading see only the two tensors, as a tuple.
  assert.deepEqual(Object.keys(r), ["0", "1"]);
  assert.deepEqual(x.sort(-1, true).indices.toArray(), [[0, 2, 1]]);
});

test("positional forms match PyTorch's parameter order; unknown options are refused", () => {
  const x = tensor([
    [3, 1, 2],
    [0, 5, 4],
  ]);
  assert.deepEqual(
    so.sort(x, 0, true).values.toArray(),
    so.sort(x, { dim: 0, descending: true }).values.toArray(),
  );
  assert.deepEqual(so.topk(x, 1, 0, false).values.toArray(), [[0, 1, 2]]);
  assert.deepEqual(
    (se.unique(tensor([2, 1, 2]), true, true) as Tensor[]).map((t) => t.toArray()),
    [
      [1, 2],
      [1, 0, 1],
    ],
  );
  assert.throws(() => so.sort(x, { reverse: true } as never), ValueError);
  assert.throws(
    () => (so.topk as (...a: unknown[]) => unknown)(x, 1, 0, true, true, 5),
    ValueError,
  );
});

errorTest("sort dim", "sort", IndexError, () => so.sort(zeros(2, 3), 2));
errorTest("topk k", "topk", IndexError, () => so.topk(zeros(2, 3), 4));
errorTest("kthvalue k", "kthvalue", IndexError, () => so.kthvalue(zeros(2, 3), 0));
errorTest("median empty dim", "median", IndexError, () => so.median(zeros(2, 0), 1));
errorTest("searchsorted dims", "searchsorted", ShapeError, () =>
  se.searchsorted(zeros(2, 3), zeros(3, 2)),
);
errorTest("searchsorted side", "searchsorted", ValueError, () =>
  se.searchsorted(zeros(3), zeros(2), { right: true, side: "left" }),
);
errorTest("bucketize 2-D", "bucketize", ShapeError, () => se.bucketize(zeros(3), zeros(2, 2)));

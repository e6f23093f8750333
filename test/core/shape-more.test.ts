// Shape helpers (src/ops/shape-more.ts) against PyTorch 1.13: unbind, movedim, swapaxes,
// viewAs, reshapeAs, flipud, fliplr, roll, repeatInterleave, tile, rot90 and meshgrid, forward
// and backward, float64 finite differences, PyTorch's errors, and the method forms.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as sm from "../../src/ops/shape-more.ts";
import { arange, DTypeError, ShapeError, type Tensor, tensor, ValueError, zeros } from "./kiln.ts";
import { errorTest } from "./torch-ops-errors.ts";
import { type Arg, goldenSuite, gradcheckSuite, type OpFn } from "./torch-ops-golden.ts";

const T = (a: Arg | undefined) => a as Tensor;

const OPS: Record<string, OpFn> = {
  unbind: ([x], kw) => (kw.dim === undefined ? sm.unbind(T(x)) : T(x).unbind(kw.dim)),
  movedim: ([x], kw) => sm.movedim(T(x), kw.source, kw.destination),
  swapaxes: ([x], kw) => T(x).swapaxes(kw.axis0, kw.axis1),
  viewAs: ([x, y]) => T(x).viewAs(T(y)),
  reshapeAs: ([x, y]) => sm.reshapeAs(T(x), T(y)),
  flipud: ([x]) => sm.flipud(T(x)),
  fliplr: ([x]) => T(x).fliplr(),
  roll: ([x], kw) => T(x).roll(kw.shifts, (kw.dims as number | undefined) ?? null),
  repeatInterleave: ([x], kw) =>
    T(x).repeatInterleave(kw.repeats, (kw.dim as number | undefined) ?? null),
  repeatInterleaveT: ([x, r], kw) => sm.repeatInterleave(T(x), T(r), { dim: kw.dim }),
  repeatInterleaveCounts: ([r]) => sm.repeatInterleave(T(r)),
  tile: ([x], kw) => T(x).tile(kw.dims),
  rot90: ([x], kw) => sm.rot90(T(x), kw),
  meshgrid: (args, kw) => sm.meshgrid(...args.map(T), kw),
};

// grad_fn names checked where Kiln records PyTorch's node (composites keep their last op's).
goldenSuite("shape-more", OPS, [
  "flipud",
  "fliplr",
  "roll",
  "repeatInterleave",
  "repeatInterleaveT",
  "tile",
  "viewAs",
]);
gradcheckSuite("shape-more", OPS, 2);

test("aliases and views", () => {
  const x = arange(24).reshape(2, 3, 4);
  assert.deepEqual(sm.moveaxis(x, 0, -1).shape, [3, 4, 2]);
  assert.deepEqual(x.swapdims(0, 1).shape, [3, 2, 4]);
  const parts = sm.unbind(x, 1);
  assert.equal(parts.length, 3);
  // unbind gives views: x[:, 1, :] written through parts[1].
  parts[1]!.fill_(0);
  assert.equal(x.index(1, 1, 2).item(), 0);
  assert.deepEqual(
    sm.meshgrid([tensor([1, 2]), tensor([3])]).map((t) => t.shape),
    [
      [2, 1],
      [2, 1],
    ],
  );
});

test("unknown options and bad arguments are refused", () => {
  assert.throws(() => sm.rot90(zeros(2, 2), { turns: 1 } as never), ValueError);
  assert.throws(() => sm.meshgrid(tensor([1]), { indexing: "yx" } as never), ValueError);
  assert.throws(() => sm.repeatInterleave(zeros(3), tensor([1.5, 1, 1])), DTypeError);
});

errorTest("movedim lengths", "movedim", ValueError, () => sm.movedim(zeros(2, 3), [0, 1], [0]));
errorTest("roll align", "roll", ValueError, () => sm.roll(zeros(2, 3), [1, 2], [0]));
errorTest("repeatInterleave sizes", "repeatInterleave", ShapeError, () =>
  sm.repeatInterleave(zeros(3), tensor([1, 2])),
);
errorTest("rot90 dims", "rot90", ValueError, () => sm.rot90(zeros(2, 3), 1, [0, 0]));
errorTest("fliplr 1-D", "fliplr", ShapeError, () => sm.fliplr(zeros(3)));
errorTest("meshgrid 2-D", "meshgrid", ShapeError, () => sm.meshgrid(zeros(2, 2), zeros(2)));

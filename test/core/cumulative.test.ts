// Cumulative ops, NaN-aware reductions and norms (src/ops/cumulative.ts, src/ops/norms.ts)
// against PyTorch 1.13: cumprod, cummax, cummin, logcumsumexp, diff, nansum, nanmean,
// quantile, nanquantile, histc, bincount, norm, dist, cdist, vectorNorm and matrixNorm,
// forward and backward, float64 finite differences, PyTorch's errors and the method forms.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as cu from "../../src/ops/cumulative.ts";
import * as no from "../../src/ops/norms.ts";
import { DTypeError, ShapeError, type Tensor, tensor, ValueError, zeros } from "./kiln.ts";
import { errorTest } from "./torch-ops-errors.ts";
import { type Arg, goldenSuite, gradcheckSuite, type OpFn } from "./torch-ops-golden.ts";

const T = (a: Arg | undefined) => a as Tensor;

const num = (v: unknown) =>
  v === "inf" ? Number.POSITIVE_INFINITY : v === "-inf" ? Number.NEGATIVE_INFINITY : (v as number);

const OPS: Record<string, OpFn> = {
  cumprod: ([x], kw) => cu.cumprod(T(x), kw.dim),
  cummax: ([x], kw) => T(x).cummax(kw.dim),
  cummin: ([x], kw) => cu.cummin(T(x), kw.dim),
  logcumsumexp: ([x], kw) => T(x).logcumsumexp(kw.dim),
  diff: ([x, pre, app], kw) =>
    cu.diff(T(x), {
      ...(kw as object),
      prepend: (pre as Tensor | undefined) ?? null,
      append: (app as Tensor | undefined) ?? null,
    }),
  nansum: ([x], kw) => T(x).nansum(kw),
  nanmean: ([x], kw) => cu.nanmean(T(x), kw),
  quantile: ([x, q], kw) => {
    const { q: qk, ...rest } = kw;
    return T(x).quantile((q as Tensor | undefined) ?? (qk as number), rest);
  },
  nanquantile: ([x, q], kw) => {
    const { q: qk, ...rest } = kw;
    return cu.nanquantile(T(x), (q as Tensor | undefined) ?? (qk as number), rest);
  },
  histc: ([x], kw) => T(x).histc(kw),
  bincount: ([x, w], kw) =>
    cu.bincount(T(x), (w as Tensor | undefined) ?? null, (kw.minlength as number | undefined) ?? 0),
  vectorNorm: ([x], kw) => no.vectorNorm(T(x), { ...(kw as object), ord: num(kw.ord ?? 2) }),
  matrixNorm: ([x], kw) =>
    no.matrixNorm(T(x), {
      ...(kw as object),
      ord: kw.ord === "fro" ? "fro" : num(kw.ord ?? "fro"),
    } as never),
  norm: ([x], kw) => T(x).norm(kw),
  dist: ([a, b], kw) => T(a).dist(T(b), num(kw.p ?? 2)),
  cdist: ([a, b], kw) => no.cdist(T(a), T(b), num(kw.p ?? 2)),
};

// grad_fn names checked where Kiln records PyTorch's node (composites keep their last op's).
goldenSuite("cumulative", OPS, [
  "cumprod",
  "cummax",
  "cummin",
  "logcumsumexp",
  "nansum",
  "vectorNorm",
  "dist",
  "cdist",
]);
// cummax#2 and cummin#2 are the samples with ties, where a finite step moves the extreme;
// quantile#2 has q = 0 and 1, where a step leaves [0, 1].
gradcheckSuite("cumulative", OPS, 3, ["cummax#2", "cummin#2", "quantile#2"]);

test("quantile's interpolations on a hand-checked row", () => {
  // sorted [0, 1, 2, 3, 4]: q = 0.3 sits at rank 1.2.
  const x = tensor([4, 0, 3, 1, 2], { dtype: "float64" });
  const at = (interpolation: cu.QuantileInterpolation) =>
    cu.quantile(x, 0.3, { interpolation }).item();
  assert.equal(at("linear"), 1.2);
  assert.equal(at("lower"), 1);
  assert.equal(at("higher"), 2);
  assert.equal(at("midpoint"), 1.5);
  assert.equal(at("nearest"), 1);
});

test("unknown options are refused", () => {
  assert.throws(() => cu.quantile(zeros(3), 0.5, { method: "linear" } as never), ValueError);
  assert.throws(() => cu.diff(zeros(3), { order: 2 } as never), ValueError);
});

errorTest("diff 0-d", "diff", ShapeError, () => cu.diff(tensor(1.5)));
errorTest("quantile q", "quantile", ValueError, () => cu.quantile(zeros(3), 1.5));
errorTest("quantile int", "quantile", DTypeError, () => cu.quantile(tensor([1, 2]), 0.5));
errorTest("bincount negative", "bincount", ValueError, () => cu.bincount(tensor([1, -1])));
errorTest("bincount 2-D", "bincount", ShapeError, () => cu.bincount(tensor([[1]])));
errorTest("cdist columns", "cdist", ShapeError, () => no.cdist(zeros(2, 3), zeros(2, 4)));
errorTest("nanmean int", "nanmean", DTypeError, () => cu.nanmean(tensor([1, 2])));

// Higher-order gradients of linalg, cumulative, sorting and other ops: float64 second-order
// gradchecks (finite differences of the first gradient, computed with createGraph), and the loud
// error of an op whose backward is not differentiable (spectral matrix norm).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  atan2,
  autograd,
  cdist,
  cumprod,
  einsum,
  eye,
  fromTypedArray,
  hypot,
  linalg,
  logcumsumexp,
  median,
  sort,
  type Tensor,
  topk,
} from "../../src/index.ts";
import { rng } from "../rng.ts";
import { gradgradcheck } from "./gradgradcheck.ts";

/** A float64 tensor of values in [lo, hi), seeded. */
function rand(seed: number, shape: number[], lo = -1, hi = 1, grad = true): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * r();
  const t = fromTypedArray(d, shape);
  return grad ? t.requiresGrad_(true) : t;
}

type Case = [name: string, shapes: number[][], fn: (...xs: Tensor[]) => Tensor];

const I3 = () => eye(3, { dtype: "float64" });
const CASES: Case[] = [
  ["cumprod", [[5]], (a) => cumprod(a, 0)],
  ["logcumsumexp", [[4]], (a) => logcumsumexp(a, 0)],
  ["sort·topk", [[5]], (a) => sort(a).values.pow(2).add(topk(a, 5).values)],
  ["median", [[5]], (a) => median(a).mul(a.sum())],
  ["linalg.inv", [[3, 3]], (a) => linalg.inv(a.add(I3().mul(3)))],
  ["linalg.det", [[3, 3]], (a) => linalg.det(a)],
  [
    "linalg.solve",
    [
      [3, 3],
      [3, 2],
    ],
    (a, b) => linalg.solve(a.add(I3().mul(3)), b),
  ],
  ["linalg.cholesky", [[3, 3]], (a) => linalg.cholesky(a.matmul(a.t()).add(I3()))],
  [
    "linalg.cholesky upper",
    [[3, 3]],
    (a) => linalg.cholesky(a.matmul(a.t()).add(I3()), { upper: true }),
  ],
  ["linalg.vectorNorm", [[3, 3]], (a) => linalg.vectorNorm(a, 2, 1)],
  [
    "cdist",
    [
      [3, 2],
      [4, 2],
    ],
    (a, b) => cdist(a, b),
  ],
  [
    "einsum",
    [
      [2, 3],
      [3, 2],
    ],
    (a, b) => einsum("ij,jk->ik", a, b).pow(2),
  ],
  ["hypot·atan2", [[3], [3]], (a, b) => hypot(a, b).add(atan2(a, b))],
  [
    "scatterAdd",
    [
      [3, 4],
      [2, 4],
    ],
    (a, s) =>
      a.scatterAdd(0, fromTypedArray(Int32Array.of(0, 2, 1, 0, 2, 2, 0, 1), [2, 4]), s).pow(2),
  ],
];

describe("second-order gradients of linalg, cumulative and sorting ops (float64)", () => {
  CASES.forEach(([name, shapes, fn], k) => {
    test(name, () => {
      const xs = shapes.map((s, i) => rand(500 + 100 * k + i, s));
      const out = fn(...xs);
      const w = rand(13 + k, [...out.shape], -1, 1, false);
      const vs = xs.map((x, i) => rand(90 + 100 * k + i, [...x.shape], -1, 1, false));
      const bad = gradgradcheck(() => fn(...xs), xs, w, vs);
      assert.deepEqual(bad.slice(0, 3), [], `${name}: ${bad.length} mismatches`);
    });
  });

  test("the spectral matrix norm's gradient refuses to be differentiated", () => {
    const a = rand(1, [3, 3]);
    const [g] = autograd.grad(linalg.matrixNorm(a, 2), a, { createGraph: true });
    assert.throws(
      () => autograd.grad(g!.sum(), a),
      /the derivative of linalg.matrix_norm's backward is not implemented/,
    );
  });
});

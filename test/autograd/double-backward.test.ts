// Higher-order gradients: float64 second-order gradchecks (finite differences of the first
// gradient, computed with createGraph) over elementwise, reduction, matmul, movement, indexing
// and nn.functional ops; and the loud failure of an op without a differentiable backward.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { cat, fromTypedArray, nn, stack, type Tensor, where } from "../../src/index.ts";
import { rng } from "../rng.ts";
import { gradgradcheck } from "./gradgradcheck.ts";

const F = nn.functional;
const idx = (...v: number[]) => fromTypedArray(Int32Array.from(v), [v.length]);

/** A float64 tensor of values in [lo, hi), seeded. */
function rand(seed: number, shape: number[], lo = -1, hi = 1, grad = true): Tensor {
  const r = rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = lo + (hi - lo) * r();
  const t = fromTypedArray(d, shape);
  return grad ? t.requiresGrad_(true) : t;
}

type Case = [
  name: string,
  shapes: number[][],
  fn: (...xs: Tensor[]) => Tensor,
  lo?: number,
  hi?: number,
];

// Away from kinks (relu at 0, abs at 0) by construction of the input ranges where needed.
const CASES: Case[] = [
  [
    "mul",
    [
      [3, 4],
      [3, 4],
    ],
    (a, b) => a.mul(b),
  ],
  [
    "div",
    [
      [3, 4],
      [3, 4],
    ],
    (a, b) => a.div(b.add(3)),
  ],
  [
    "pow",
    [
      [3, 4],
      [3, 4],
    ],
    (a, b) => a.add(2).pow(b),
    0.5,
    1.5,
  ],
  ["pow scalar", [[5]], (a) => a.pow(3)],
  ["broadcast add·mul", [[3, 1], [4]], (a, b) => a.add(b).mul(a)],
  ["exp log", [[2, 3]], (a) => a.exp().add(a.add(2).log()), 0.5, 1.5],
  ["tanh sigmoid", [[2, 3]], (a) => a.tanh().mul(a.sigmoid())],
  ["sqrt rsqrt", [[4]], (a) => a.sqrt().add(a.rsqrt()), 0.5, 2],
  ["sin cos", [[4]], (a) => a.sin().mul(a.cos())],
  ["relu·x", [[6]], (a) => a.relu().mul(a), 0.1, 1],
  ["abs·x", [[6]], (a) => a.abs().mul(a), 0.1, 1],
  ["clamp", [[6]], (a) => a.clamp(-0.5, 0.5).mul(a)],
  ["where", [[6], [6]], (a, b) => where(a.gt(0), a.mul(b), b.mul(b))],
  ["sum·mean", [[3, 4]], (a) => a.sum(1).mul(a.mean(0).sum())],
  ["prod", [[2, 3]], (a) => a.prod(1), 0.5, 1.5],
  ["amax", [[3, 4]], (a) => a.mul(a).amax(1)],
  ["max dim", [[3, 4]], (a) => a.exp().max(1).values],
  ["logsumexp", [[3, 4]], (a) => a.logsumexp(1)],
  ["softmax", [[3, 4]], (a) => F.softmax(a, 1)],
  ["logSoftmax", [[3, 4]], (a) => F.logSoftmax(a, 1)],
  ["var", [[3, 4]], (a) => a.var(1)],
  ["norm", [[3, 4]], (a) => a.norm()],
  [
    "matmul",
    [
      [3, 4],
      [4, 2],
    ],
    (a, b) => a.matmul(b).pow(2),
  ],
  [
    "bmm",
    [
      [2, 3, 4],
      [2, 4, 2],
    ],
    (a, b) => a.matmul(b).tanh(),
  ],
  ["mv", [[3, 4], [4]], (a, b) => a.matmul(b).pow(2)],
  [
    "transpose·reshape",
    [[2, 3]],
    (a) =>
      a
        .t()
        .reshape([6])
        .mul(a.reshape([6])),
  ],
  ["slice·select", [[4, 5]], (a) => a.narrow(1, 1, 3).mul(a.select(0, 2).narrow(0, 0, 3))],
  [
    "cat·stack",
    [
      [2, 3],
      [2, 3],
    ],
    (a, b) => cat([a, b.mul(a)], 1).mul(stack([a, b]).sum(0).repeat([1, 2])),
  ],
  ["expand", [[3, 1]], (a) => a.expand([3, 4]).mul(a.expand([3, 4]).exp())],
  ["index", [[4, 3]], (a) => a.index(idx(0, 2, 2)).mul(a.index(idx(1, 3, 0)))],
  [
    "gather",
    [[3, 4]],
    (a) => a.gather(1, fromTypedArray(Int32Array.of(0, 3, 1, 1, 2, 0), [3, 2])).pow(2),
  ],
  ["indexSelect", [[4, 3]], (a) => a.indexSelect(0, idx(3, 1, 3)).pow(2)],
  ["maskedFill", [[6]], (a) => a.maskedFill(a.gt(0.3), 0).mul(a)],
  ["flip·permute", [[2, 3, 2]], (a) => a.flip([1]).permute([2, 0, 1]).pow(2)],
  ["cumsum", [[5]], (a) => a.cumsum(0).pow(2)],
  ["linear", [[3, 4], [2, 4], [2]], (x, w, b) => F.linear(x, w, b).tanh()],
  ["softplus", [[6]], (a) => F.softplus(a)],
  ["gelu", [[6]], (a) => F.gelu(a)],
  ["elu", [[6]], (a) => F.elu(a), 0.1, 1],
  ["leakyRelu·x", [[6]], (a) => F.leakyRelu(a, 0.1).mul(a), 0.1, 1],
  ["layerNorm", [[2, 4], [4], [4]], (x, w, b) => F.layerNorm(x, [4], w, b)],
  [
    "mseLoss",
    [
      [3, 2],
      [3, 2],
    ],
    (a, b) => F.mseLoss(a.tanh(), b),
  ],
  ["crossEntropy", [[3, 4]], (a) => F.crossEntropy(a, fromTypedArray(Int32Array.of(0, 3, 1), [3]))],
  [
    "conv2d",
    [
      [1, 2, 4, 4],
      [3, 2, 2, 2],
    ],
    (x, w) => F.conv2d(x, w, null, 1, 1).tanh(),
  ],
  ["maxPool2d·x²", [[1, 1, 4, 4]], (x) => F.maxPool2d(x.pow(2), 2)],
  ["avgPool2d", [[1, 1, 4, 4]], (x) => F.avgPool2d(x, 2).pow(2)],
  ["batchNorm (training)", [[4, 3], [3], [3]], (x, w, b) => F.batchNorm(x, null, null, w, b, true)],
];

describe("second-order gradients vs finite differences (float64)", () => {
  CASES.forEach(([name, shapes, fn, lo, hi], k) => {
    test(name, () => {
      const xs = shapes.map((s, i) => rand(100 * k + i, s, lo ?? -1, hi ?? 1));
      const out = fn(...xs);
      const w = rand(7 + k, [...out.shape], -1, 1, false);
      const vs = xs.map((x, i) => rand(50 + 100 * k + i, [...x.shape], -1, 1, false));
      const bad = gradgradcheck(() => fn(...xs), xs, w, vs);
      assert.deepEqual(bad.slice(0, 3), [], `${name}: ${bad.length} mismatches`);
    });
  });
});

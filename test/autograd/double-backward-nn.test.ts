// Higher-order gradients of nn.functional ops: float64 second-order gradchecks (finite
// differences of the first gradient, computed with createGraph), beyond double-backward.test.ts.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fromTypedArray, nn, type Tensor } from "../../src/index.ts";
import { rng } from "../rng.ts";
import { gradgradcheck } from "./gradgradcheck.ts";

const F = nn.functional;

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

const T = (shape: number[], ...v: number[]) => fromTypedArray(Float64Array.from(v), shape);

const CASES: Case[] = [
  [
    "conv2d stride·padding·dilation·groups",
    [[1, 4, 5, 5], [2, 2, 2, 2], [2]],
    (x, w, b) => F.conv2d(x, w, b, 2, 1, 1, 2).pow(2),
  ],
  [
    "conv1d",
    [
      [1, 2, 6],
      [3, 2, 3],
    ],
    (x, w) => F.conv1d(x, w, null, 1, 1).tanh(),
  ],
  [
    "convTranspose2d",
    [
      [1, 2, 3, 3],
      [2, 2, 2, 2],
    ],
    (x, w) => F.convTranspose2d(x, w, null, 2).pow(2),
  ],
  ["maxPool1d·x²", [[1, 2, 6]], (x) => F.maxPool1d(x.pow(2), 2)],
  ["adaptiveAvgPool2d", [[1, 1, 5, 5]], (x) => F.adaptiveAvgPool2d(x, 2).pow(2)],
  ["groupNorm", [[2, 4, 3], [4], [4]], (x, w, b) => F.groupNorm(x, 2, w, b)],
  ["instanceNorm", [[2, 2, 4]], (x) => F.instanceNorm(x)],
  [
    "batchNorm (eval)",
    [[4, 3], [3]],
    (x, w) => F.batchNorm(x, T([3], 0.1, -0.2, 0.3), T([3], 1.5, 0.5, 2), w, null, false),
  ],
  [
    "interpolate bilinear",
    [[1, 1, 3, 3]],
    (x) => F.interpolate(x, { scaleFactor: 2, mode: "bilinear", alignCorners: false }).pow(2),
  ],
  ["pad reflect", [[1, 1, 4]], (x) => F.pad(x, [2, 1], "reflect").pow(2)],
  [
    "embedding",
    [[5, 3]],
    (w) => F.embedding(fromTypedArray(Int32Array.of(0, 4, 4, 2), [4]), w).pow(2),
  ],
  ["silu·mish·selu", [[6]], (a) => F.silu(a).add(F.mish(a)).mul(F.selu(a))],
  ["hardtanh·x", [[6]], (a) => F.hardtanh(a.mul(2)).mul(a), 0.1, 0.4],
  ["logsigmoid·softsign", [[6]], (a) => F.logsigmoid(a).mul(F.softsign(a))],
  ["glu", [[2, 4]], (a) => F.glu(a, 1)],
  ["normalize", [[3, 4]], (a) => F.normalize(a, 2, 1)],
  [
    "cosineSimilarity",
    [
      [3, 4],
      [3, 4],
    ],
    (a, b) => F.cosineSimilarity(a, b, 1),
  ],
  [
    "pairwiseDistance",
    [
      [3, 4],
      [3, 4],
    ],
    (a, b) => F.pairwiseDistance(a, b),
  ],
  [
    "nllLoss·logSoftmax",
    [[3, 4]],
    (a) => F.nllLoss(F.logSoftmax(a, 1), fromTypedArray(Int32Array.of(1, 0, 3), [3])),
  ],
  [
    "crossEntropy label smoothing",
    [[3, 4]],
    (a) => F.crossEntropy(a, fromTypedArray(Int32Array.of(1, 0, 3), [3]), { labelSmoothing: 0.2 }),
  ],
  [
    "binaryCrossEntropyWithLogits",
    [
      [3, 2],
      [3, 2],
    ],
    (a, t) => F.binaryCrossEntropyWithLogits(a, t.sigmoid()),
  ],
  [
    "binaryCrossEntropy",
    [[3, 2]],
    (a) => F.binaryCrossEntropy(a.sigmoid(), T([3, 2], 0, 1, 0.5, 0.2, 1, 0)),
  ],
  ["smoothL1·huber", [[6], [6]], (a, b) => F.smoothL1Loss(a, b).add(F.huberLoss(a.mul(3), b))],
  [
    "klDiv",
    [
      [2, 3],
      [2, 3],
    ],
    (a, b) => F.klDiv(F.logSoftmax(a, 1), F.softmax(b, 1), { reduction: "batchmean" }),
  ],
  [
    "scaledDotProductAttention",
    [
      [1, 3, 2],
      [1, 3, 2],
      [1, 3, 2],
    ],
    (q, k, v) => F.scaledDotProductAttention(q, k, v),
  ],
];

describe("second-order gradients of nn.functional vs finite differences (float64)", () => {
  CASES.forEach(([name, shapes, fn, lo, hi], k) => {
    test(name, () => {
      const xs = shapes.map((s, i) => rand(300 + 100 * k + i, s, lo ?? -1, hi ?? 1));
      const out = fn(...xs);
      const w = rand(9 + k, [...out.shape], -1, 1, false);
      const vs = xs.map((x, i) => rand(70 + 100 * k + i, [...x.shape], -1, 1, false));
      const bad = gradgradcheck(() => fn(...xs), xs, w, vs);
      assert.deepEqual(bad.slice(0, 3), [], `${name}: ${bad.length} mismatches`);
    });
  });
});

// The native backend's fused kernels against the compositions they replace: conv2d, max/avg
// pooling, batch norm, cross-entropy (values and gradients) and the SGD / Adam / AdamW updates,
// on random inputs of odd sizes, 1 and 2 threads. The same op runs twice, once with the fused
// kernels switched off (the composition of primitives, the definition) and once with them on.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  backend,
  getNumThreads,
  setBackend,
  setFusedKernels,
  setNumThreads,
} from "../../src/backend/registry.ts";
import { manualSeed, nn, optim, rand, randn, type Tensor, tensor } from "../../src/index.ts";
import type {
  AvgPool2dOptions,
  Conv2dOptions,
  MaxPool2dOptions,
} from "../../src/nn/functional/layers.ts";
import { NO_DEPTH } from "../../src/ops/conv.ts";
import { closeTensors, skip } from "./helpers.ts";

const F = nn.functional;

/** Runs `fn` on copies of `inputs` (leaves requiring grad) without and with fused kernels. */
function both(
  inputs: Tensor[],
  fn: (xs: Tensor[]) => Tensor,
): { fused: [Tensor, (Tensor | null)[]]; composed: [Tensor, (Tensor | null)[]] } {
  const seed = gseed++;
  const run = (on: boolean): [Tensor, (Tensor | null)[]] => {
    setFusedKernels(on);
    try {
      const xs = inputs.map((t) => t.clone().detach().requiresGrad_(true));
      const y = fn(xs);
      const g = randLikeSeeded(y, seed);
      y.backward(g);
      return [y.detach(), xs.map((x) => x.grad)];
    } finally {
      setFusedKernels(true);
    }
  };
  return { composed: run(false), fused: run(true) };
}

let gseed = 1;
function randLikeSeeded(y: Tensor, seed: number): Tensor {
  manualSeed(1000 + seed);
  return y.ndim === 0 ? tensor(1.5) : randn(y.shape);
}

function compare(what: string, r: ReturnType<typeof both>, tol = 1e-4): void {
  closeTensors(`${what} value`, r.fused[0], r.composed[0], tol);
  r.fused[1].forEach((g, i) => {
    closeTensors(`${what} grad ${i}`, g, r.composed[1][i] ?? null, tol);
  });
}

function forThreads(fn: () => void): void {
  const before = getNumThreads();
  try {
    for (const t of [1, 2]) {
      setNumThreads(t);
      fn();
    }
  } finally {
    setNumThreads(before);
  }
}

describe("fused kernels match their compositions", { skip }, () => {
  setBackend("native");
  it("the native backend has every fused kernel", () => {
    const f = backend().fused;
    assert.ok(f !== undefined);
    for (const k of [
      "conv2d",
      "maxPool2d",
      "batchNorm",
      "crossEntropy",
      "sgdMany",
      "adam",
    ] as const) {
      assert.equal(typeof f[k], "function", k);
    }
  });

  it("conv2d: groups, strides, dilation, padding, odd sizes, with and without bias", () => {
    const cases = [
      { N: 2, C: 3, H: 7, W: 9, O: 4, k: [3, 3], o: {} },
      { N: 3, C: 4, H: 11, W: 6, O: 6, k: [3, 2], o: { stride: [2, 1], padding: [1, 2] } },
      { N: 1, C: 6, H: 9, W: 9, O: 4, k: [2, 3], o: { groups: 2, dilation: [2, 1], padding: 1 } },
      { N: 5, C: 1, H: 13, W: 5, O: 3, k: [5, 1], o: { stride: 3, padding: [2, 0] } },
      { N: 2, C: 4, H: 8, W: 8, O: 4, k: [3, 3], o: { groups: 4, stride: 2, padding: 1 } },
      { N: 2, C: 3, H: 6, W: 10, O: 2, k: [3, 2], o: { padding: [4, 5] } },
      { N: 3, C: 2, H: 9, W: 23, O: 3, k: [3, 3], o: { padding: 1 } },
      { N: 2, C: 4, H: 7, W: 19, O: 6, k: [2, 4], o: { groups: 2 } },
      // stride 1, one group: the direct kernels on AVX-512 (wide rows, 8-channel blocks, 4 x 4
      // weight-gradient tiles), with channel and tap counts off those blocks and rows past 32
      { N: 3, C: 5, H: 12, W: 37, O: 11, k: [3, 3], o: { padding: 1 } },
      { N: 2, C: 9, H: 6, W: 5, O: 17, k: [1, 1], o: {} },
      { N: 2, C: 2, H: 9, W: 8, O: 3, k: [5, 4], o: { padding: [2, 1] } },
      { N: 4, C: 1, H: 28, W: 28, O: 8, k: [3, 3], o: {} },
      { N: 3, C: 8, H: 13, W: 13, O: 16, k: [3, 3], o: {} },
      { N: 1, C: 3, H: 4, W: 3, O: 2, k: [3, 3], o: { padding: [0, 3] } },
    ];
    forThreads(() => {
      cases.forEach((c, i) => {
        manualSeed(i);
        const x = randn([c.N, c.C, c.H, c.W]);
        const groups = (c.o as { groups?: number }).groups ?? 1;
        const w = randn([c.O, c.C / groups, c.k[0]!, c.k[1]!]);
        const b = randn([c.O]);
        const o = c.o as Conv2dOptions;
        compare(
          `conv2d case ${i}`,
          both([x, w, b], ([x, w, b]) => F.conv2d(x!, w!, b!, o)),
        );
        compare(
          `conv2d case ${i} no bias`,
          both([x, w], ([x, w]) => F.conv2d(x!, w!, null, o)),
        );
      });
    });
  });

  it("maxPool2d and avgPool2d: padding, strides, dilation, ceil mode, divisors", () => {
    forThreads(() => {
      manualSeed(7);
      const x = randn([3, 5, 11, 9]);
      const maxCases: MaxPool2dOptions[] = [
        {},
        { stride: 1, padding: 1 },
        { stride: [2, 3], padding: [1, 0], dilation: [2, 1], ceilMode: true },
      ];
      for (const [i, o] of maxCases.entries()) {
        compare(
          `maxPool2d ${i}`,
          both([x], ([x]) => F.maxPool2d(x!, 3, o)),
        );
        setFusedKernels(false);
        const want = F.maxPool2dWithIndices(x, 3, o).indices;
        setFusedKernels(true);
        const got = F.maxPool2dWithIndices(x, 3, o).indices;
        assert.deepEqual(got.toArray(), want.toArray(), `maxPool2d ${i} indices`);
      }
      compare(
        "maxPool2d 2x2",
        both([x], ([x]) => F.maxPool2d(x!, 2)),
      );
      const avgCases: AvgPool2dOptions[] = [
        {},
        { stride: 2, padding: 1, countIncludePad: false },
        { stride: [1, 2], padding: [1, 1], ceilMode: true },
        { padding: 1, divisorOverride: 5 },
      ];
      for (const [i, o] of avgCases.entries()) {
        compare(
          `avgPool2d ${i}`,
          both([x], ([x]) => F.avgPool2d(x!, [3, 2], o)),
        );
      }
    });
  });

  it("2x2 max-pool windows: ties keep the first maximum, the first NaN wins, indices agree", () => {
    forThreads(() => {
      manualSeed(9);
      // Few distinct values, so windows hold ties; NaNs at every tap position of some window.
      // The second shape has 20 windows a row (a full and a partial block of 16 on AVX-512),
      // odd H and W, and NaNs in both blocks.
      const shapes = [
        { shape: [3, 4, 13, 18], nans: [0, 1, 18, 19, 41, 58, 77, 96, 300, 301, 319, 320, 1000] },
        { shape: [2, 3, 7, 41], nans: [3, 40, 41, 44, 82, 123, 160, 200, 240, 287, 520] },
      ];
      for (const { shape, nans } of shapes) {
        const x = randn(shape).mul(1.5).round();
        const d = x.storage.data;
        for (const i of nans) d[i] = Number.NaN;
        for (const o of [{}, { ceilMode: true }] as MaxPool2dOptions[]) {
          setFusedKernels(false);
          const want = F.maxPool2dWithIndices(x, 2, o);
          setFusedKernels(true);
          const got = F.maxPool2dWithIndices(x, 2, o);
          assert.deepEqual(got.indices.toArray(), want.indices.toArray(), "indices");
          closeTensors("values", got.values, want.values, 0);
        }
        compare(
          `maxPool2d 2x2 ${shape}`,
          both([x], ([x]) => F.maxPool2d(x!, 2)),
          0,
        );
      }
    });
  });

  it("max pooling reuses its argmax buffer after backward; indices a caller keeps stay right", () => {
    // Outputs of 2·4·32·32 = 8192 elements are large enough for the buffer pool.
    manualSeed(12);
    const xs = [0, 1, 2].map(() => randn([2, 4, 64, 64]));
    const want = (x: Tensor) => {
      setFusedKernels(false);
      try {
        const leaf = x.clone().requiresGrad_(true);
        const r = F.maxPool2dWithIndices(leaf, 2);
        r.values.mul(r.values).sum().backward();
        return { indices: r.indices.toArray(), grad: leaf.grad!.toArray() };
      } finally {
        setFusedKernels(true);
      }
    };
    const step = (x: Tensor) => {
      const leaf = x.clone().requiresGrad_(true);
      const y = F.maxPool2d(leaf, 2);
      y.mul(y).sum().backward();
      return leaf.grad!.toArray();
    };
    assert.deepEqual(step(xs[0]!), want(xs[0]!).grad);
    // takes the argmax buffer step 0 gave back, and keeps it through its own backward: indices
    // read after later steps must still be its own
    const leaf = xs[1]!.clone().requiresGrad_(true);
    const kept = F.maxPool2dWithIndices(leaf, 2);
    kept.values.sum().backward();
    assert.deepEqual(step(xs[2]!), want(xs[2]!).grad);
    assert.deepEqual(step(xs[0]!), want(xs[0]!).grad);
    assert.deepEqual(kept.indices.toArray(), want(xs[1]!).indices);
  });

  it("maxPool2dBackward rejects an index outside its own plane", () => {
    const f = backend().fused!;
    const g = { N: 1, C: 2, H: 4, W: 4, O: 2, Ho: 2, Wo: 2, kh: 2, kw: 2, sh: 2, sw: 2 };
    const geo = { ...g, dh: 1, dw: 1, pt: 0, pl: 0, groups: 1, ...NO_DEPTH };
    const gy = new Float32Array(8).fill(1);
    const gx = new Float32Array(32);
    const ok = Int32Array.from([0, 2, 8, -1, 16, 18, 24, 31]);
    f.maxPool2dBackward!(geo, gy, ok, gx);
    assert.equal(gx[31], 1);
    for (const bad of [16, 32, 100000]) {
      const arg = ok.slice();
      arg[1] = bad;
      assert.throws(() => f.maxPool2dBackward!(geo, gy, arg, gx), /out of range/);
    }
  });

  it("conv2d with an inf in the input: the weight gradient has inf where the composition has", () => {
    // Stride 1 without padding and 72 taps: the direct kernels' wide-row path, which an image
    // holding an inf must leave (a zero gradient times inf would add NaNs the composition lacks).
    forThreads(() => {
      manualSeed(11);
      const x = randn([3, 8, 9, 10]);
      // image 1, channel 0, row 4, column 0: read by no window through a tap with j > 0
      x.storage.data[8 * 90 + 4 * 10] = Number.POSITIVE_INFINITY;
      const w = randn([5, 8, 3, 3]);
      const r = both([x, w], ([x, w]) => F.conv2d(x!, w!));
      closeTensors("inf weight grad", r.fused[1][1]!, r.composed[1][1]!);
      closeTensors("inf input grad", r.fused[1][0]!, r.composed[1][0]!);
      const gw = r.fused[1][1]!.dataSync();
      assert.ok(
        gw.some((v) => Math.abs(v) === Number.POSITIVE_INFINITY),
        "some tap is ±inf",
      );
    });
  });

  it("conv2d with an inf in the input, through the shifted-tap kernel: no NaN the composition lacks", () => {
    // Unit stride, padding 1, 16 channels each side: conv_shifted.c's geometry. Its weight
    // gradient reads each padded row past the outputs (the next row's first input column among
    // them), which a finite input times a zero gradient leaves exact; an inf there would add
    // 0·inf = NaN, so an input holding one takes the im2col path.
    forThreads(() => {
      manualSeed(12);
      const x = randn([3, 16, 9, 10]);
      x.storage.data[16 * 90 + 3 * 90 + 4 * 10] = Number.POSITIVE_INFINITY; // image 1, ch 3, row 4, col 0
      const w = randn([16, 16, 3, 3]);
      const r = both([x, w], ([x, w]) => F.conv2d(x!, w!, null, { padding: 1 }));
      closeTensors("inf forward", r.fused[0], r.composed[0]);
      closeTensors("inf weight grad", r.fused[1][1]!, r.composed[1][1]!);
      closeTensors("inf input grad", r.fused[1][0]!, r.composed[1][0]!);
      const gw = r.fused[1][1]!.dataSync();
      assert.ok(
        gw.some((v) => Math.abs(v) === Number.POSITIVE_INFINITY),
        "some tap is ±inf",
      );
    });
  });

  it("conv2d with an inf weight, through the shifted-tap geometry: the input gradient as the composition", () => {
    // The shifted-tap input gradient would multiply a tap reaching past the output gradient by its
    // zero padding (inf·0 = NaN at the border); a weight holding an inf or NaN takes im2col.
    forThreads(() => {
      manualSeed(13);
      const x = randn([2, 16, 1, 4]);
      const w = randn([16, 16, 1, 3]);
      w.storage.data[0] = Number.POSITIVE_INFINITY; // filter 0, channel 0, tap (0, 0)
      const r = both([x, w], ([x, w]) => F.conv2d(x!, w!, null, { padding: [0, 1] }));
      closeTensors("inf weight input grad", r.fused[1][0]!, r.composed[1][0]!);
      assert.ok(
        r.fused[1][0]!.dataSync().every((v) => !Number.isNaN(v)),
        "no NaN in the input gradient",
      );
    });
  });

  it("conv2d with padding wider than the output row (dilated taps): as the composition", () => {
    // W = 1 padded by 4 on each side, a 1x3 kernel dilated by 4: one output column, and taps
    // whose first in-row column lies past it (im2col once wrote past the row there).
    forThreads(() => {
      manualSeed(14);
      const x = randn([2, 3, 4, 1]);
      const w = randn([5, 3, 1, 3]);
      compare(
        "padding 4, dilation 4",
        both([x, w], ([x, w]) => F.conv2d(x!, w!, null, { padding: [0, 4], dilation: [1, 4] })),
      );
    });
  });

  it("reluBackward: g where y > 0, g·0 elsewhere (signed zeros, NaN from inf), any length", () => {
    const f = backend().fused!;
    forThreads(() => {
      for (const n of [1, 15, 17, 300001]) {
        const y = new Float32Array(n);
        const g = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          y[i] = [1.5, -2, 0, -0, Number.NaN, 3e-39][i % 6]!;
          g[i] = [2.5, -1, Number.POSITIVE_INFINITY, Number.NaN, -0, 7][(i * 7) % 6]!;
        }
        const gx = new Float32Array(n).fill(42);
        f.reluBackward!(n, y, g, gx);
        for (let i = 0; i < n; i++) {
          const want = y[i]! > 0 ? g[i]! : g[i]! * 0;
          assert.ok(Object.is(gx[i], want), `n=${n} element ${i}: ${gx[i]} vs ${want}`);
        }
      }
    });
  });

  it("a NaN wins its max-pool window, as in the composition", () => {
    const x = randn([1, 2, 4, 4]);
    const d = x.storage.data;
    d[5] = Number.NaN;
    d[20] = Number.NaN;
    compare(
      "maxPool2d NaN",
      both([x], ([x]) => F.maxPool2d(x!, 2)),
    );
  });

  it("batchNorm: training and eval, affine or not, 2-D to 4-D, running statistics", () => {
    forThreads(() => {
      for (const shape of [
        [7, 3],
        [5, 4, 9],
        [3, 6, 5, 7],
      ]) {
        manualSeed(shape.length);
        const x = randn(shape).mul(2).add(0.5);
        const C = shape[1]!;
        const w = rand([C]).add(0.5);
        const b = randn([C]);
        for (const training of [true, false]) {
          const stats: Tensor[][] = [];
          const r = both([x, w, b], ([x, w, b]) => {
            const rm = randLikeStat(C, 3);
            const rv = rand([C]).add(0.5);
            stats.push([rm, rv]);
            return F.batchNorm(x!, rm, rv, { weight: w, bias: b, training, momentum: 0.2 });
          });
          compare(`batchNorm ${shape} training=${training}`, r, 2e-4);
          closeTensors("running mean", stats[1]![0]!, stats[0]![0]!, 1e-5);
          closeTensors("running var", stats[1]![1]!, stats[0]![1]!, 1e-4);
        }
        compare(
          `batchNorm ${shape} no affine`,
          both([x], ([x]) => F.batchNorm(x!, null, null, { training: true })),
          2e-4,
        );
      }
    });
  });

  it("crossEntropy: reductions, class weights, ignoreIndex, label smoothing", () => {
    manualSeed(11);
    const N = 13;
    const C = 7;
    const x = randn([N, C]).mul(3);
    const target = tensor(
      Array.from({ length: N }, (_, i) => (i % 5 === 2 ? -100 : (i * 3) % C)),
      { dtype: "int32" },
    );
    const weight = rand([C]).add(0.2);
    for (const reduction of ["mean", "sum", "none"] as const) {
      for (const labelSmoothing of [0, 0.15]) {
        for (const w of [null, weight]) {
          compare(
            `crossEntropy ${reduction} ε=${labelSmoothing} weight=${w !== null}`,
            both([x], ([x]) =>
              F.crossEntropy(x!, target, { reduction, labelSmoothing, weight: w }),
            ),
          );
        }
      }
    }
    const bad = tensor([0, 9], { dtype: "int32" });
    assert.throws(() => F.crossEntropy(randn([2, C]), bad), /out of bounds/);
  });

  it("SGD, Adam and AdamW updates equal the composition bit for bit", () => {
    const configs: [string, (p: Tensor[]) => optim.Optimizer][] = [
      ["sgd", (p) => new optim.SGD(p, { lr: 0.1 })],
      ["sgd momentum", (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.3 })],
      [
        "sgd nesterov",
        (p) => new optim.SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
      ],
      ["sgd maximize", (p) => new optim.SGD(p, { lr: 0.1, momentum: 0.5, maximize: true })],
      ["adam", (p) => new optim.Adam(p, { lr: 0.01, weightDecay: 0.1 })],
      ["adam amsgrad", (p) => new optim.Adam(p, { lr: 0.02, amsgrad: true, maximize: true })],
      ["adamw", (p) => new optim.AdamW(p, { lr: 0.01, weightDecay: 0.05 })],
      ["adamw amsgrad", (p) => new optim.AdamW(p, { lr: 0.01, amsgrad: true, betas: [0.8, 0.9] })],
    ];
    for (const [name, make] of configs) {
      const result = [false, true].map((on) => {
        setFusedKernels(on);
        try {
          manualSeed(3);
          const params = [randn([5, 7]).requiresGrad_(true), randn([9]).requiresGrad_(true)];
          const opt = make(params);
          for (let step = 0; step < 4; step++) {
            opt.zeroGrad();
            params[0]!.mul(params[0]!).sum().add(params[1]!.sin().sum()).backward();
            opt.step();
          }
          return params.map((p) => p.detach().dataSync());
        } finally {
          setFusedKernels(true);
        }
      });
      assert.deepEqual(result[1], result[0], name);
    }
  });
});

function randLikeStat(C: number, seed: number): Tensor {
  manualSeed(seed);
  return randn([C]);
}

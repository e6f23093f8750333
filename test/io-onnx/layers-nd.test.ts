// io.exportOnnx of the N-d and resampling layers of issue 18: Conv3d, ConvTranspose1d/2d/3d,
// 1-D/3-D pooling, BatchNorm3d, InstanceNorm, Upsample (Resize), PixelShuffle/Unshuffle and the
// padding layers. Each model runs in onnxruntime-node and agrees with Kiln's eval forward within
// 1e-4 (the independent reference: onnxruntime's own kernels); unsupported options raise ValueError.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, nn, noGrad, rand, randn, type Tensor, ValueError } from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

function kiln(model: nn.Module, x: Tensor): Tensor {
  model.eval();
  return noGrad(() => model.call(x));
}

/** Exports `model`, checks the ONNX ops it holds, and compares onnxruntime with Kiln. */
async function check(model: nn.Module, x: Tensor, want: string[], opsetVersion = 17) {
  const bytes = exportOnnxBytes(model, x, { opsetVersion });
  const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
  for (const op of want) assert.ok(ops.includes(op), `${op} missing from ${ops.join(", ")}`);
  assertClose((await runOrt(bytes, x)).output, kiln(model, x), 1e-4);
  return ops;
}

/** Non-trivial running statistics, so eval normalisation is not the identity. */
function setRunning(m: { runningMean: Tensor | null; runningVar: Tensor | null }, c: number) {
  noGrad(() => {
    m.runningMean!.copy_(randn(c));
    m.runningVar!.copy_(rand(c).add(0.5));
  });
}

/** Refusal check: a ValueError whose message matches every pattern. */
function refuses(model: nn.Module<unknown>, x: Tensor, ...patterns: RegExp[]) {
  assert.throws(
    () => exportOnnxBytes(model, x),
    (e: unknown) => e instanceof ValueError && patterns.every((p) => p.test(e.message)),
  );
}

class ConvTWithSize extends nn.Module<Tensor> {
  ct = new nn.ConvTranspose2d(2, 3, 3, { stride: 2, padding: 1 });
  override forward(x: Tensor): Tensor {
    return this.ct.call(x, [8, 10]);
  }
}

describe("exportOnnx: N-d layers", () => {
  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: Conv3d, MaxPool3d, BatchNorm3d, AvgPool3d, AdaptiveAvgPool3d`, async () => {
      manualSeed(10);
      const bn = new nn.BatchNorm3d(4);
      setRunning(bn, 4);
      const model = new nn.Sequential(
        new nn.Conv3d(2, 4, 3, { padding: 1, stride: [1, 2, 1], dilation: [1, 1, 2] }),
        bn,
        new nn.MaxPool3d(2, { stride: 1, padding: 1, dilation: [1, 2, 1] }),
        new nn.AvgPool3d([2, 2, 1], { padding: [1, 0, 0], countIncludePad: false }),
        new nn.Conv3d(4, 4, 1, { groups: 2, bias: false }),
        new nn.AdaptiveAvgPool3d(1),
      );
      await check(
        model,
        randn(2, 2, 5, 6, 7),
        ["Conv", "BatchNormalization", "MaxPool", "AveragePool", "GlobalAveragePool"],
        opsetVersion,
      );
    });
    it(`opset ${opsetVersion}: ConvTranspose1d/2d/3d with stride, pads, output_padding, dilation, groups`, async () => {
      manualSeed(11);
      const c1 = new nn.ConvTranspose1d(4, 6, 3, {
        stride: 3,
        padding: 1,
        outputPadding: 2,
        groups: 2,
      });
      await check(c1, randn(2, 4, 5), ["ConvTranspose"], opsetVersion);
      const c2 = new nn.ConvTranspose2d(2, 3, [3, 2], {
        stride: [2, 3],
        padding: [1, 0],
        outputPadding: [1, 0],
        dilation: [1, 2],
      });
      await check(c2, randn(1, 2, 4, 5), ["ConvTranspose"], opsetVersion);
      const c3 = new nn.ConvTranspose3d(2, 2, 2, { stride: 2, bias: false });
      await check(c3, randn(1, 2, 3, 2, 3), ["ConvTranspose"], opsetVersion);
    });
  }
  it("ConvTranspose: unbatched input and the forward outputSize argument", async () => {
    manualSeed(12);
    await check(new nn.ConvTranspose1d(3, 2, 4, 2), randn(3, 5), ["ConvTranspose", "Unsqueeze"]);
    const sized = new ConvTWithSize();
    const x = randn(1, 2, 4, 5);
    // Without outputSize the output is 7x9; [8, 10] picks output_padding [1, 1].
    assert.deepEqual(kiln(sized, x).shape, [1, 3, 8, 10]);
    await check(sized, x, ["ConvTranspose"]);
  });
  it("AvgPool1d, AdaptiveAvgPool1d, divisorOverride and AdaptiveMaxPool", async () => {
    manualSeed(13);
    const model1 = new nn.Sequential(
      new nn.AvgPool1d(3, 2, 1),
      new nn.AdaptiveAvgPool1d(2),
      new nn.AdaptiveMaxPool1d(1),
    );
    await check(model1, randn(2, 3, 8), ["AveragePool", "GlobalMaxPool"]);
    await check(new nn.AdaptiveAvgPool1d(1), randn(3, 7), ["GlobalAveragePool"]);
    // ceilMode with count_include_pad: the last window is clipped to the padded input (PyTorch).
    await check(new nn.AvgPool1d(3, 2, 1, true, true), randn(1, 2, 8), ["AveragePool"]);
    const model2 = new nn.Sequential(
      new nn.AvgPool2d(3, { stride: 2, padding: 1, divisorOverride: 5 }),
      new nn.AdaptiveMaxPool2d([2, 1]),
    );
    await check(model2, randn(1, 2, 8, 6), ["AveragePool", "Mul", "MaxPool"]);
    await check(
      new nn.AvgPool3d(2, { divisorOverride: 3 }),
      randn(1, 1, 4, 4, 2),
      ["AveragePool"],
      13,
    );
  });
  it("InstanceNorm1d/2d/3d: affine or not, batched or not, running statistics", async () => {
    manualSeed(14);
    const affine = new nn.InstanceNorm2d(3, { affine: true });
    noGrad(() => {
      affine.weight!.copy_(rand(3).add(0.5));
      affine.bias!.copy_(randn(3));
    });
    await check(affine, randn(2, 3, 4, 5), ["InstanceNormalization"]);
    await check(new nn.InstanceNorm1d(3), randn(3, 6), ["InstanceNormalization", "Squeeze"], 13);
    await check(new nn.InstanceNorm3d(2, { eps: 1e-3 }), randn(2, 2, 3, 3, 4), [
      "InstanceNormalization",
    ]);
    // trackRunningStats: eval normalises by the running statistics (BatchNormalization's form).
    const tracked = new nn.InstanceNorm1d(4, { affine: true, trackRunningStats: true });
    setRunning(tracked, 4);
    const ops = await check(tracked, randn(2, 4, 5), ["BatchNormalization"]);
    assert.ok(!ops.includes("InstanceNormalization"));
  });
});

describe("exportOnnx: Upsample → Resize", () => {
  const cases: [string, () => nn.Module, number[]][] = [
    ["nearest, scale 2", () => new nn.Upsample({ scaleFactor: 2 }), [1, 2, 3, 4]],
    ["nearest, scale [3, 2]", () => new nn.Upsample({ scaleFactor: [3, 2] }), [1, 2, 3, 4]],
    ["nearest, size 5x7", () => new nn.Upsample({ size: [5, 7] }), [1, 2, 3, 4]],
    ["nearest, scale 1.5", () => new nn.Upsample({ scaleFactor: 1.5 }), [1, 2, 5, 6]],
    [
      "bicubic, scale 0.7",
      () => new nn.Upsample({ scaleFactor: 0.7, mode: "bicubic" }),
      [1, 1, 9, 11],
    ],
    ["nearest, downsampling size", () => new nn.Upsample({ size: [2, 3] }), [1, 1, 5, 7]],
    ["nearest 1-D", () => new nn.Upsample({ size: 7 }), [2, 2, 3]],
    ["nearest 3-D", () => new nn.Upsample({ scaleFactor: 2 }), [1, 1, 2, 3, 2]],
    [
      "nearest-exact, size",
      () => new nn.Upsample({ size: [5, 7], mode: "nearest-exact" }),
      [1, 2, 3, 4],
    ],
    ["linear 1-D", () => new nn.Upsample({ scaleFactor: 2, mode: "linear" }), [2, 2, 5]],
    [
      "bilinear, scale 2",
      () => new nn.Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: false }),
      [1, 2, 3, 4],
    ],
    ["bilinear, size 5x7", () => new nn.Upsample({ size: [5, 7], mode: "bilinear" }), [1, 2, 3, 4]],
    // PyTorch maps a length-1 output to source ½·in − ½ (torch 1.13: [0, 1, 2, 3] → 1.5), which
    // is half_pixel; pytorch_half_pixel would read index 0.
    [
      "bilinear, length-1 output",
      () => new nn.Upsample({ size: [1, 5], mode: "bilinear" }),
      [1, 2, 4, 3],
    ],
    [
      "bilinear, align corners",
      () => new nn.Upsample({ size: [5, 7], mode: "bilinear", alignCorners: true }),
      [1, 2, 3, 4],
    ],
    [
      "bilinear, recomputed scale",
      () => new nn.Upsample({ scaleFactor: 1.7, mode: "bilinear", recomputeScaleFactor: true }),
      [1, 2, 3, 4],
    ],
    [
      "trilinear",
      () => new nn.Upsample({ scaleFactor: [2, 1, 2], mode: "trilinear" }),
      [1, 2, 2, 3, 2],
    ],
    [
      "trilinear, align corners",
      () => new nn.Upsample({ size: [3, 4, 5], mode: "trilinear", alignCorners: true }),
      [1, 1, 2, 3, 2],
    ],
    ["bicubic", () => new nn.Upsample({ scaleFactor: 2, mode: "bicubic" }), [1, 2, 4, 5]],
    [
      "bicubic, align corners",
      () => new nn.Upsample({ size: [7, 6], mode: "bicubic", alignCorners: true }),
      [1, 2, 4, 5],
    ],
    ["area", () => new nn.Upsample({ size: [2, 3], mode: "area" }), [1, 2, 4, 6]],
    ["UpsamplingNearest2d", () => new nn.UpsamplingNearest2d({ scaleFactor: 3 }), [1, 2, 2, 3]],
    ["UpsamplingBilinear2d", () => new nn.UpsamplingBilinear2d({ size: [5, 6] }), [1, 2, 3, 4]],
  ];
  // Resize is the same op from opset 13 to 17: every case at 17, one per mode at 13.
  const atOpset13 = new Set([
    "nearest, size 5x7",
    "nearest-exact, size",
    "bilinear, scale 2",
    "trilinear",
    "bicubic",
  ]);
  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: the interpolation modes agree with Kiln`, async () => {
      manualSeed(15);
      for (const [name, make, shape] of cases) {
        if (opsetVersion === 13 && !atOpset13.has(name)) continue;
        const want = name === "area" ? "AveragePool" : "Resize";
        await assert.doesNotReject(check(make(), randn(...shape), [want], opsetVersion), `${name}`);
      }
    });
  }
});

describe("exportOnnx: PixelShuffle, PixelUnshuffle and padding", () => {
  it("PixelShuffle → DepthToSpace (CRD), PixelUnshuffle → Reshape/Transpose or SpaceToDepth", async () => {
    manualSeed(16);
    const x = randn(2, 8, 3, 2);
    await check(new nn.PixelShuffle(2), x, ["DepthToSpace"], 13);
    await check(new nn.PixelShuffle(2), randn(8, 3, 2), ["DepthToSpace"]);
    await check(new nn.PixelShuffle(2), randn(2, 1, 12, 2, 3), ["Transpose"]);
    const un = await check(new nn.PixelUnshuffle(2), randn(2, 3, 4, 6), ["Transpose"]);
    assert.ok(!un.includes("SpaceToDepth"));
    await check(new nn.PixelUnshuffle(3), randn(1, 1, 6, 3), ["SpaceToDepth"]);
    await check(new nn.PixelUnshuffle(2), randn(3, 2, 4, 2), ["Transpose"], 13);
    const roundTrip = new nn.Sequential(new nn.PixelUnshuffle(2), new nn.PixelShuffle(2));
    await check(roundTrip, randn(1, 3, 4, 4), ["DepthToSpace"]);
  });
  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: the padding layers → Pad (constant, reflect, edge)`, async () => {
      manualSeed(17);
      const x4 = randn(2, 2, 4, 5);
      const layers: [nn.Module, Tensor][] = [
        [new nn.ConstantPad1d([2, 1], 1.5), randn(2, 3, 4)],
        [new nn.ConstantPad2d([1, -1, 0, 2], -2), x4],
        [new nn.ConstantPad3d(1, 0.25), randn(1, 2, 2, 3, 2)],
        [new nn.ZeroPad2d([2, 0, 1, 3]), x4],
        [new nn.ReflectionPad1d([3, 1]), randn(2, 5)],
        [new nn.ReflectionPad2d([1, 2, 3, 0]), x4],
        [new nn.ReflectionPad3d(1), randn(1, 1, 3, 3, 2)],
        [new nn.ReplicationPad1d([0, 3]), randn(1, 2, 4)],
        [new nn.ReplicationPad2d(2), x4],
        [new nn.ReplicationPad3d([1, 0, 2, 1, 0, 1]), randn(1, 2, 2, 3, 2)],
      ];
      // Pad is the same op from opset 13 to 17: one layer per mode at 13.
      for (const [layer, x] of opsetVersion === 13
        ? layers.filter((_, i) => i % 4 === 1)
        : layers) {
        const bytes = exportOnnxBytes(layer, x, { opsetVersion });
        const node = decodeModel(bytes).graph.node.find((n) => n.opType === "Pad");
        assert.ok(node !== undefined, `${layer.constructor.name}: no Pad node`);
        assertClose((await runOrt(bytes, x)).output, kiln(layer, x), 1e-4);
      }
    });
  }
});

describe("exportOnnx: N-d layers with a dynamic batch dimension", () => {
  it("exported at batch 1, the models run at batch 3", async () => {
    manualSeed(18);
    const dynamicAxes = { input: { 0: "batch" }, output: { 0: "batch" } };
    const model = new nn.Sequential(
      new nn.ConvTranspose2d(2, 4, 3, { stride: 2, outputPadding: 1 }),
      new nn.InstanceNorm2d(4),
      new nn.Upsample({ size: [9, 11], mode: "bilinear" }),
      new nn.ReflectionPad2d(1),
      new nn.Upsample({ size: [12, 12] }),
      new nn.PixelUnshuffle(2),
      new nn.PixelShuffle(2),
      new nn.AdaptiveAvgPool2d(3),
    );
    const bytes = exportOnnxBytes(model, randn(1, 2, 3, 4), { dynamicAxes });
    const x = randn(3, 2, 3, 4);
    assertClose((await runOrt(bytes, x)).output, kiln(model, x), 1e-4);
  });
});

describe("exportOnnx: N-d refusals", () => {
  it("throws ValueErrors naming the layer and the option", () => {
    const x5 = randn(1, 2, 4, 4, 4);
    refuses(new nn.MaxPool3d(2, { returnIndices: true }), x5, /MaxPool3d/, /returnIndices/);
    refuses(
      new nn.Conv3d(2, 2, 3, { padding: 1, paddingMode: "reflect" }),
      x5,
      /Conv3d/,
      /paddingMode "reflect"/,
      /nn\.ReflectionPad3d layer before a conv with padding 0/,
    );
    refuses(new nn.AdaptiveAvgPool3d(3), x5, /AdaptiveAvgPool3d/, /output_size/);
    refuses(
      new nn.AdaptiveMaxPool1d(2, true),
      randn(1, 2, 4),
      /AdaptiveMaxPool1d/,
      /returnIndices/,
    );
    refuses(
      new nn.AvgPool3d(2, { ceilMode: true, divisorOverride: 2 }),
      randn(1, 2, 5, 5, 5),
      /AvgPool3d/,
      /divisorOverride/,
    );
    refuses(new nn.Upsample({ size: [3, 3], mode: "area" }), randn(1, 1, 4, 4), /Upsample/, /area/);
  });
});

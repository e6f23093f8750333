// The zoo's initialisation statistics against the formulas of torchvision 0.14 and the dlwpt book:
// kaiming_normal_ fan_out std √(2/fan_out), norms 1 and 0, N(0, 0.01) linears, zero-init residual,
// the book's ResBlock (fan_in, BN weight 0.5) and _init_weights (bias ~ N(−bound, bound²)).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, models, type Tensor } from "../../src/index.ts";

function stats(t: Tensor): { mean: number; std: number; min: number; max: number; n: number } {
  const d = t.dataSync();
  let s = 0;
  let s2 = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of d) {
    const x = Number(v);
    s += x;
    s2 += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(s2 / d.length - mean * mean), min, max, n: d.length };
}

/** |sample std / std − 1| within `k` standard errors (≈ 1/√(2n) for a normal sample). */
function assertStd(t: Tensor, std: number, what: string, k = 5): void {
  const s = stats(t);
  const tol = k / Math.sqrt(2 * s.n);
  assert.ok(
    Math.abs(s.std / std - 1) < tol,
    `${what}: std ${s.std}, expected ${std} ± ${tol * std}`,
  );
  assert.ok(Math.abs(s.mean) < (k * std) / Math.sqrt(s.n), `${what}: mean ${s.mean}`);
}

function constant(t: Tensor, v: number, what: string): void {
  const s = stats(t);
  assert.ok(s.min === v && s.max === v, `${what}: expected all ${v}, got [${s.min}, ${s.max}]`);
}

describe("models: initialisation", () => {
  it("resnet18: convs kaiming_normal_(fan_out, relu), BN 1/0, fc nn.Linear's default", () => {
    manualSeed(0);
    const net = models.resnet18({ numClasses: 10 });
    const sd = net.stateDict();
    // layer4.0.conv2.weight [512, 512, 3, 3]: fan_out = 512·9 = 4608.
    assertStd(sd["layer4.0.conv2.weight"]!, Math.sqrt(2 / 4608), "layer4.0.conv2");
    // conv1 [64, 3, 7, 7]: fan_out = 64·49 = 3136.
    assertStd(sd["conv1.weight"]!, Math.sqrt(2 / 3136), "conv1");
    constant(sd["layer2.0.bn1.weight"]!, 1, "bn weight");
    constant(sd["layer2.0.downsample.1.bias"]!, 0, "bn bias");
    // fc: U(±1/√512) from kaiming_uniform_(a=√5): std = bound/√3.
    const fc = stats(sd["fc.weight"]!);
    const bound = 1 / Math.sqrt(512);
    assert.ok(fc.max <= bound && fc.min >= -bound && fc.max > 0.9 * bound);
  });

  it("zeroInitResidual zeroes bn2 of BasicBlock and bn3 of Bottleneck only", () => {
    const a = models.resnet18({ zeroInitResidual: true, numClasses: 2 }).stateDict();
    constant(a["layer1.1.bn2.weight"]!, 0, "BasicBlock bn2");
    constant(a["layer1.1.bn1.weight"]!, 1, "BasicBlock bn1");
    const b = new models.ResNet(models.Bottleneck, [1, 1, 1, 1], {
      zeroInitResidual: true,
      numClasses: 2,
    }).stateDict();
    constant(b["layer3.0.bn3.weight"]!, 0, "Bottleneck bn3");
    constant(b["layer3.0.bn2.weight"]!, 1, "Bottleneck bn2");
    constant(b["layer3.0.downsample.1.weight"]!, 1, "downsample bn");
  });

  it("mobilenetV2: convs kaiming_normal_(fan_out), Linear N(0, 0.01) with zero bias", () => {
    manualSeed(1);
    const sd = models.mobilenetV2({ numClasses: 100 }).stateDict();
    // features.18.0.weight [1280, 320, 1, 1]: fan_out = 1280; leaky_relu(a=0) gain √2.
    assertStd(sd["features.18.0.weight"]!, Math.sqrt(2 / 1280), "features.18.0");
    // A depthwise conv [144, 1, 3, 3]: fan_out = 144·9 (PyTorch ignores groups).
    assertStd(sd["features.3.conv.1.0.weight"]!, Math.sqrt(2 / (144 * 9)), "depthwise", 6);
    assertStd(sd["classifier.1.weight"]!, 0.01, "classifier");
    constant(sd["classifier.1.bias"]!, 0, "classifier bias");
  });

  it("NetResDeep's ResBlock: kaiming_normal_(fan_in, relu), BN weight 0.5 and bias 0", () => {
    manualSeed(2);
    const sd = new models.NetResDeep().stateDict();
    // conv [32, 32, 3, 3]: fan_in = 32·9 = 288.
    assertStd(sd["resblocks.0.conv.weight"]!, Math.sqrt(2 / 288), "ResBlock conv");
    constant(sd["resblocks.0.batch_norm.weight"]!, 0.5, "ResBlock BN weight");
    constant(sd["resblocks.0.batch_norm.bias"]!, 0, "ResBlock BN bias");
  });

  it("LunaModel: _init_weights' kaiming fan_out on Conv3d and Linear, bias ~ N(−bound, bound²)", () => {
    manualSeed(3);
    const net = new models.LunaModel();
    const sd = net.stateDict();
    // block4.conv2.weight [64, 64, 3, 3, 3]: fan_out = 64·27 = 1728.
    assertStd(sd["block4.conv2.weight"]!, Math.sqrt(2 / 1728), "block4.conv2");
    // head_linear.weight [2, 1152]: fan_out = 2, so std √(2/2) = 1 (nn.Linear's own would be ~0.017).
    assertStd(sd["head_linear.weight"]!, 1, "head_linear");
    // Every bias, standardised by its layer's bound = 1/√fan_out: z = (b + bound)/bound ~ N(0, 1).
    const z: number[] = [];
    for (const [k, b] of Object.entries(sd)) {
      if (!k.endsWith(".bias") || k.startsWith("tail")) continue;
      const w = sd[k.replace(/bias$/, "weight")]!;
      const fanOut = w.numel() / (w.shape[1] as number); // size(0)·receptive field
      const bound = 1 / Math.sqrt(fanOut);
      for (const v of b.dataSync()) z.push((Number(v) + bound) / bound);
    }
    assert.equal(z.length, 2 * (8 + 16 + 32 + 64) + 2);
    const mean = z.reduce((a, v) => a + v, 0) / z.length;
    const std = Math.sqrt(z.reduce((a, v) => a + (v - mean) ** 2, 0) / z.length);
    assert.ok(Math.abs(mean) < 0.35, `standardised bias mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.25, `standardised bias std ${std}`);
    constant(sd["tail_batchnorm.weight"]!, 1, "tail BN weight");
  });

  it("UNetWrapper: kaiming fan_out on Conv2d and ConvTranspose2d ([in, out, 2, 2]: fan_out = in·4)", () => {
    manualSeed(4);
    const sd = new models.UNetWrapper({
      inChannels: 1,
      depth: 3,
      wf: 5,
      upMode: "upconv",
    }).stateDict();
    // up_path.0.up.weight [128, 64, 2, 2]: PyTorch's fan_out = size(0)·4 = 512.
    assertStd(sd["unet.up_path.0.up.weight"]!, Math.sqrt(2 / 512), "ConvTranspose2d");
    // down_path.2.block.2.weight [128, 128, 3, 3]: fan_out = 1152.
    assertStd(sd["unet.down_path.2.block.2.weight"]!, Math.sqrt(2 / 1152), "Conv2d");
  });
});

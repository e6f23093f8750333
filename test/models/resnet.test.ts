// models.resnet18 and a ResNet with groups, width, dilation and zero-init residual against
// torchvision 0.14 (tools/golden/models.py): state-dict layout, repr, logits for given weights;
// the weights refusal and argument errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { models, nn, ValueError } from "../../src/index.ts";
import { checkCase, loadCase } from "./golden.ts";

describe("models.resnet (torchvision parity)", () => {
  it("resnet18({ numClasses: 10 }): keys, shapes, repr and logits on 1x3x64x64", () => {
    checkCase(models.resnet18({ numClasses: 10 }), loadCase("resnet18"));
  });

  it("ResNet(Bottleneck, [1, 2, 1, 1]) with groups 2, widthPerGroup 32, dilation, zeroInitResidual", () => {
    const net = new models.ResNet(models.Bottleneck, [1, 2, 1, 1], {
      numClasses: 5,
      groups: 2,
      widthPerGroup: 32,
      replaceStrideWithDilation: [false, true, true],
      zeroInitResidual: true,
    });
    checkCase(net, loadCase("resnet_custom"));
  });

  it("refuses pretrained weights, saying how to load a torchvision state dict", () => {
    assert.throws(
      () => models.resnet18({ weights: "IMAGENET1K_V1" as never }),
      (e: unknown) =>
        e instanceof ValueError &&
        /models\.resnet18: pretrained weights are not downloaded/.test(e.message) &&
        /loadStateDict\(load\("resnet18\.pt"\)\)/.test(e.message) &&
        /io\.loadSafetensors/.test(e.message),
    );
  });

  it("rejects unknown options, extra positionals and BasicBlock groups, as torchvision", () => {
    assert.throws(() => models.resnet18({ numClass: 10 } as never), /unknown option "numClass"/);
    assert.throws(() => (models.resnet50 as (...a: unknown[]) => unknown)({}, 3), ValueError);
    assert.throws(
      () => models.resnet18({ groups: 2 }),
      /BasicBlock only supports groups=1 and base_width=64/,
    );
    assert.throws(
      () => models.resnet18({ replaceStrideWithDilation: [false, true, false] }),
      /Dilation > 1 not supported in BasicBlock/,
    );
    assert.throws(
      () => models.resnet50({ replaceStrideWithDilation: [true] }),
      /replace_stride_with_dilation should be None or a 3-element tuple/,
    );
  });

  it("BasicBlock and Bottleneck take torchvision's arguments positionally or as options", () => {
    const ds = new nn.Sequential(
      new nn.Conv2d(64, 256, 1, { bias: false }),
      new nn.BatchNorm2d(256),
    );
    const a = new models.Bottleneck(64, 64, 1, ds, 1, 64, 1, null);
    const b = new models.Bottleneck(64, 64, { downsample: ds });
    assert.equal(String(a), String(b));
    assert.equal(a.downsample, ds);
    // width = int(64 · (128 / 64)) · 2 = 256 channels inside, as torchvision's Bottleneck.
    assert.deepEqual(
      new models.Bottleneck(64, 64, { groups: 2, baseWidth: 128 }).conv2.weight.shape,
      [256, 128, 3, 3],
    );
    const extra = [64, 64, 1, null, 1, 64, 1, null, 5] as unknown as [number, number];
    assert.throws(() => new models.BasicBlock(...extra), /takes 8 positional arguments/);
  });

  it("normLayer replaces every BatchNorm2d (GroupNorm here), as torchvision's norm_layer", () => {
    const net = new models.ResNet(models.BasicBlock, [1, 1, 1, 1], {
      numClasses: 4,
      normLayer: (c) => new nn.GroupNorm(2, c),
    });
    const kinds = new Set(net.modules().map((m) => m.constructor.name));
    assert.ok(kinds.has("GroupNorm") && !kinds.has("BatchNorm2d"));
    // GroupNorm has no running stats, so only parameters: stem 3, four blocks of 6, three
    // downsamples of 3, fc 2 = 38 entries, all 1.0 / 0.0 for the norms as torchvision's init.
    const sd = net.stateDict();
    assert.equal(Object.keys(sd).length, 38);
    assert.deepEqual([...sd["layer3.0.downsample.1.weight"]!.dataSync()], new Array(256).fill(1));
  });
});

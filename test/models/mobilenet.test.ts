// models.mobilenetV2 against torchvision 0.14 (tools/golden/models.py): state-dict layout, repr
// and logits for given weights, at width 1.0 and at width 0.5 with roundNearest 4.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { models } from "../../src/index.ts";
import { checkCase, loadCase } from "./golden.ts";

describe("models.mobilenetV2 (torchvision parity)", () => {
  it("mobilenetV2({ numClasses: 10 }) on 1x3x32x32", () => {
    checkCase(models.mobilenetV2({ numClasses: 10 }), loadCase("mobilenet_v2"));
  });

  it("mobilenetV2({ numClasses: 7, widthMult: 0.5, roundNearest: 4 })", () => {
    const net = models.mobilenetV2({ numClasses: 7, widthMult: 0.5, roundNearest: 4 });
    checkCase(net, loadCase("mobilenet_v2_w05"));
  });

  it("makeDivisible matches torchvision's _make_divisible", () => {
    // Values from torchvision.models._utils._make_divisible (16, 18, 1792, 3 with divisor 8):
    // max(8, int(v + 4) // 8 * 8), plus 8 when that is below 0.9·v (18 → 16 < 16.2 → 24).
    assert.equal(models.makeDivisible(32 * 0.5, 8), 16);
    assert.equal(models.makeDivisible(24 * 0.75, 8), 24);
    assert.equal(models.makeDivisible(1280 * 1.4, 8), 1792);
    assert.equal(models.makeDivisible(3, 8), 8);
  });

  it("refuses weights and checks inverted_residual_setting, as torchvision", () => {
    assert.throws(() => models.mobilenetV2({ weights: "DEFAULT" as never }), /mobilenet_v2\.pt/);
    assert.doesNotThrow(() => models.mobilenetV2({ weights: null, widthMult: 0.25 }));
    assert.throws(
      () => models.mobilenetV2({ invertedResidualSetting: [[1, 16, 1]] }),
      /inverted_residual_setting should be non-empty or a 4-element list/,
    );
    assert.throws(() => new models.InvertedResidual(8, 8, 3, 6), /stride should be 1 or 2/);
  });
});

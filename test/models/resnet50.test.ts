// models.resnet50 (Bottleneck) against torchvision 0.14 (tools/golden/models.py): state-dict
// layout, repr and logits for given weights on a 1x3x32x32 input.

import { describe, it } from "node:test";
import { models } from "../../src/index.ts";
import { checkCase, loadCase } from "./golden.ts";

describe("models.resnet50 (torchvision parity)", () => {
  it("resnet50({ numClasses: 10 }): keys, shapes, repr and logits", () => {
    checkCase(models.resnet50({ numClasses: 10 }), loadCase("resnet50"));
  });
});

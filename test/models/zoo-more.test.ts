// The rest of the torchvision zoo against torchvision 0.14 (tools/golden/models_more.py): alexnet's
// layout, repr and logits for the formula weights; the layouts and reprs of resnet101/152,
// resnext50_32x4d, wide_resnet50_2 and vgg13/16/19 (with and without batch norm). torchvision's
// fixed variant parameters are refused when given otherwise, as _ovewrite_named_param does.
// Building these models initialises 25M to 143M weights each (seconds apiece on this machine), so
// all but the refusal check run with KILN_SLOW_TESTS=1.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { models, type nn, ValueError } from "../../src/index.ts";
import { assertSameState, checkCase, loadCase, type ModelCase } from "./golden.ts";

const path = fileURLToPath(new URL("../golden/models/layouts.json", import.meta.url));
const LAYOUTS = (JSON.parse(readFileSync(path, "utf8")) as { models: Record<string, ModelCase> })
  .models;

const slow =
  process.env.KILN_SLOW_TESTS === "1" ? false : "set KILN_SLOW_TESTS=1 (a minute or more)";

const FACTORIES: [string, () => nn.Module<unknown>][] = [
  ["resnet101", () => models.resnet101({ numClasses: 10 })],
  ["resnet152", () => models.resnet152({ numClasses: 10 })],
  ["resnext50_32x4d", () => models.resnext50_32x4d({ numClasses: 10 })],
  ["wide_resnet50_2", () => models.wideResnet50_2({ numClasses: 10 })],
  ["vgg13", () => models.vgg13({ numClasses: 10, initWeights: false })],
  ["vgg13_bn", () => models.vgg13Bn({ numClasses: 10, initWeights: false })],
  ["vgg16", () => models.vgg16({ numClasses: 10, initWeights: false })],
  ["vgg16_bn", () => models.vgg16Bn({ numClasses: 10, initWeights: false })],
  ["vgg19", () => models.vgg19({ numClasses: 10, initWeights: false })],
  ["vgg19_bn", () => models.vgg19Bn({ numClasses: 10, initWeights: false })],
];

describe("models: the rest of the torchvision zoo", () => {
  it("alexnet({ numClasses: 10 }): keys, shapes, repr and logits", { skip: slow }, () => {
    checkCase(models.alexnet({ numClasses: 10 }), loadCase("alexnet"));
  });

  for (const [name, make] of FACTORIES) {
    it(`${name}: state-dict keys, shapes, dtypes and repr`, { skip: slow }, () => {
      const model = make();
      const c = LAYOUTS[name]!;
      assertSameState(model, c);
      assert.equal(String(model), c.repr);
    });
  }

  it("the ResNeXt and wide variants refuse another groups or widthPerGroup", () => {
    assert.throws(
      () => models.resnext50_32x4d({ groups: 2 }),
      (e: unknown) =>
        e instanceof ValueError && /'groups' expected value 32 but got 2/.test(e.message),
    );
    assert.throws(
      () => models.wideResnet50_2({ widthPerGroup: 64 }),
      (e: unknown) =>
        e instanceof ValueError && /'widthPerGroup' expected value 128/.test(e.message),
    );
  });
});

// models.vgg11 / vgg11Bn against torchvision 0.14 (tools/golden/models.py). By default the feature
// extractors (makeLayers) are checked: state-dict layout, repr and output for given weights. The
// whole models (132.9M weights: ~1 min to build and fill) run with KILN_SLOW_TESTS=1.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { models, type Tensor } from "../../src/index.ts";
import { assertClose, type Enc } from "../nn/golden.ts";
import { checkCase, filledState, formulaInput, loadCase } from "./golden.ts";

const slow = process.env.KILN_SLOW_TESTS === "1" ? false : "set KILN_SLOW_TESTS=1 (about a minute)";

interface VggCase {
  features_repr: string;
  features_output: Enc;
}

function checkFeatures(name: string, batchNorm: boolean): void {
  const c = loadCase(name);
  const g = c as unknown as VggCase;
  const features = models.makeLayers(models.vggConfigs.A, batchNorm);
  const prefixed = Object.keys(features.stateDict()).map((k) => `features.${k}`);
  // The features come first in VGG's state dict, so entry k is the same in both fills.
  assert.deepEqual(prefixed, c.keys.slice(0, prefixed.length));
  assert.equal(c.keys[prefixed.length], "classifier.0.weight");
  assert.equal(String(features), g.features_repr);
  assert.ok(c.repr.includes("(avgpool): AdaptiveAvgPool2d(output_size=(7, 7))"));
  features.loadStateDict(filledState(features), { strict: true });
  features.eval();
  const y: Tensor = features.call(formulaInput(c.input_shape));
  assertClose(y, g.features_output, `${name} features`);
}

describe("models.vgg (torchvision parity)", () => {
  it("vgg11's features: keys, repr and output on 1x3x32x32", () => {
    checkFeatures("vgg11", false);
  });

  it("vgg11Bn's features: keys, repr and output on 1x3x32x32", () => {
    checkFeatures("vgg11_bn", true);
  });

  it("refuses weights and unknown options", () => {
    assert.throws(() => models.vgg11Bn({ weights: "DEFAULT" as never }), /vgg11_bn\.pt/);
    assert.throws(() => models.vgg11({ numclasses: 3 } as never), /unknown option "numclasses"/);
  });

  it("vgg11({ numClasses: 10 }): the whole model, logits", { skip: slow }, () => {
    checkCase(models.vgg11({ numClasses: 10, initWeights: false }), loadCase("vgg11"));
  });

  it("vgg11Bn({ numClasses: 10 }): the whole model, logits", { skip: slow }, () => {
    checkCase(models.vgg11Bn({ numClasses: 10 }), loadCase("vgg11_bn"));
  });
});

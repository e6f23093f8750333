// io.exportOnnx of the activation layers of issue 18: each exports to its ONNX op (PRelu, Selu,
// Celu, HardSwish, HardSigmoid, Softsign, Shrink, ThresholdedRelu, ...) and the model agrees with
// Kiln within 1e-5 when onnxruntime-node runs it, at opsets 13 (HardSwish decomposed) and 17.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, nn, noGrad, rand, randn, type Tensor } from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

function kiln(model: nn.Module, x: Tensor): Tensor {
  model.eval();
  return noGrad(() => model.call(x));
}

/** Exports `model`, checks the ONNX ops it holds, and compares onnxruntime with Kiln. */
async function check(model: nn.Module, x: Tensor, opsetVersion: number, want: string[]) {
  const bytes = exportOnnxBytes(model, x, { opsetVersion });
  const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
  for (const op of want) assert.ok(ops.includes(op), `${op} missing from ${ops.join(", ")}`);
  assertClose((await runOrt(bytes, x)).output, kiln(model, x));
  return ops;
}

describe("exportOnnx: activation layers", () => {
  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: elementwise activations export to their ONNX ops and agree`, async () => {
      manualSeed(2);
      const prelu = new nn.PReLU(4);
      noGrad(() => prelu.weight.copy_(rand(4).sub(0.5)));
      const model = new nn.Sequential(
        new nn.Linear(4, 4),
        prelu,
        new nn.SELU(),
        new nn.CELU(1.5),
        new nn.Hardswish(),
        new nn.Softsign(),
        new nn.Softshrink(0.1),
        new nn.Hardshrink(0.05),
        new nn.Linear(4, 4),
        new nn.Hardsigmoid(),
        new nn.Threshold(0.55, 0),
        new nn.Threshold(0.5, -1),
        new nn.ReLU6(),
        new nn.Mish(),
        new nn.LogSigmoid(),
        new nn.Tanhshrink(),
        new nn.RReLU(0.1, 0.3),
        new nn.Softmin(1),
      );
      const x = randn(6, 4).mul(3);
      const ops = await check(model, x, opsetVersion, [
        "PRelu",
        "Selu",
        "Celu",
        "Softsign",
        "Shrink",
        "HardSigmoid",
        "ThresholdedRelu",
        "Where",
        "Clip",
        "LeakyRelu",
      ]);
      assert.equal(ops.includes("HardSwish"), opsetVersion >= 14);
    });
  }
  it("per-channel PReLU, Softmax2d and GLU on 4-D input", async () => {
    manualSeed(3);
    const prelu = new nn.PReLU(3);
    noGrad(() => prelu.weight.copy_(rand(3)));
    const model = new nn.Sequential(
      new nn.Conv2d(2, 3, 1),
      prelu,
      new nn.GLU(2),
      new nn.Softmax2d(),
    );
    await check(model, randn(2, 2, 4, 3), 17, ["PRelu", "Split", "Softmax"]);
  });
  it("in-place layers export like their out-of-place forms", async () => {
    manualSeed(4);
    const model = new nn.Sequential(
      new nn.Linear(5, 5),
      new nn.SELU(true),
      new nn.Hardswish(true),
      new nn.Threshold(0.2, 0.5, true),
      new nn.Mish(true),
    );
    await check(model, randn(3, 5), 17, ["Selu", "HardSwish", "Where"]);
  });
});

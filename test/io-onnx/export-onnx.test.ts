// io.exportOnnx: exported models run in onnxruntime-node and agree with Kiln within 1e-5; the
// file's IR version and opset; dynamic batch; the errors for ops without an ONNX mapping.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  arange,
  cat,
  io,
  manualSeed,
  nn,
  noGrad,
  rand,
  randn,
  type Tensor,
  train,
  ValueError,
  where,
} from "../../src/index.ts";
import { decodeModel, exportOnnxBytes } from "../../src/io/onnx/index.ts";
import { assertClose, runOrt } from "./ort.ts";

const dir = mkdtempSync(join(tmpdir(), "kiln-onnx-"));

function kiln(model: nn.Module, x: Tensor): Tensor {
  const was = model.training;
  model.eval();
  const y = noGrad(() => model.call(x));
  model.train(was);
  return y;
}

/** Gives BatchNorm layers non-trivial running statistics and affine parameters. */
function randomizeBatchNorm(model: nn.Module): void {
  noGrad(() => {
    for (const m of model.modules()) {
      if (m instanceof nn.BatchNorm1d || m instanceof nn.BatchNorm2d) {
        const c = m.numFeatures;
        m.runningMean!.copy_(randn(c).mul(0.1));
        m.runningVar!.copy_(rand(c).add(0.5));
        m.weight!.copy_(rand(c).add(0.5));
        m.bias!.copy_(randn(c).mul(0.1));
      }
    }
  });
}

/** Tensor ops in a custom forward, including functions outside Tensor (cat, nn.functional). */
class Custom extends nn.Module {
  fc = new nn.Linear(12, 6);
  scale = new nn.Parameter(randn(6));
  override forward(x: Tensor): Tensor {
    const h = x.view(x.shape[0]!, -1);
    const a = this.fc.forward(h).mul(this.scale).add(1).relu();
    const b = a
      .sub(a.mean(1, { keepDim: true }))
      .div(2)
      .abs()
      .add(1e-3)
      .sqrt()
      .log()
      .exp();
    const s = h.sum(1, { keepDim: true }).sigmoid();
    const c = cat([a, b.tanh(), s], 1);
    const t = c.unsqueeze(1).permute(0, 2, 1).squeeze(2).transpose(0, 1).t();
    const offset = arange(13).float().mul(0.01);
    const sm = nn.functional.softmax(t, 1);
    return sm.add(nn.functional.logSoftmax(t, -1).neg().mul(0.1)).add(offset).reshape(-1, 13);
  }
}

describe("exportOnnx", () => {
  it("exports the seed's MLP (train.NeuralNet) to a file onnxruntime runs, IR version <= 8", async () => {
    manualSeed(0);
    const model = new train.NeuralNet();
    const x = randn(4, 784);
    const path = join(dir, "mlp.onnx");
    io.exportOnnx(model, x, path);
    const bytes = readFileSync(path);
    const m = decodeModel(bytes);
    assert.ok(m.irVersion <= 8, `ir_version ${m.irVersion}`);
    assert.deepEqual(m.opsetImport, [{ domain: "", version: 17 }]);
    assert.deepEqual(
      m.graph.node.map((n) => n.opType),
      ["Gemm", "Relu", "Gemm"],
    );
    assert.deepEqual(m.graph.initializer.map((t) => t.name).sort(), [
      "fc1.bias",
      "fc1.weight",
      "fc2.bias",
      "fc2.weight",
    ]);
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
      "no temporary file left behind",
    );
    const out = await runOrt(path, x);
    assertClose(out.output, kiln(model, x));
  });

  it("exports a CNN with BatchNorm (train.ConvNet) in eval mode and restores training mode", async () => {
    manualSeed(1);
    const model = new train.ConvNet();
    randomizeBatchNorm(model);
    const x = randn(3, 1, 28, 28);
    const bytes = exportOnnxBytes(model, x);
    assert.equal(model.training, true, "training mode restored");
    assert.ok(model.modules().every((m) => m.training));
    const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
    assert.equal(ops.filter((o) => o === "BatchNormalization").length, 2);
    assertClose((await runOrt(bytes, x)).output, kiln(model, x));
  });

  it("exports a Sequential with Dropout (identity), BatchNorm1d and LogSoftmax", async () => {
    manualSeed(2);
    const model = new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(64, 32),
      new nn.BatchNorm1d(32),
      new nn.ReLU(),
      new nn.Dropout(0.5),
      new nn.Linear(32, 10),
      new nn.LogSoftmax(1),
    );
    randomizeBatchNorm(model);
    const x = randn(5, 1, 8, 8);
    const bytes = exportOnnxBytes(model, x);
    const ops = decodeModel(bytes).graph.node.map((n) => n.opType);
    assert.ok(!ops.includes("Dropout") && !ops.some((o) => o.startsWith("Random")), ops.join());
    assertClose((await runOrt(bytes, x)).output, kiln(model, x));
  });

  it("exports convolutions and pooling with strides, padding, groups, ceil mode", async () => {
    manualSeed(3);
    const model = new nn.Sequential(
      new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1 }),
      new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
      new nn.Conv2d(8, 8, 3, { padding: "same", groups: 4, dilation: 2 }),
      new nn.AvgPool2d(2, { padding: 1, countIncludePad: false }),
      new nn.Conv2d(8, 4, 1),
      new nn.AdaptiveAvgPool2d(1),
      new nn.Flatten(),
    );
    const x = randn(2, 3, 19, 17);
    assertClose((await runOrt(exportOnnxBytes(model, x), x)).output, kiln(model, x));
  });

  it("refuses what it cannot map instead of exporting another model", () => {
    const reflect = new nn.Conv2d(1, 2, 3, { padding: 1, paddingMode: "reflect" });
    assert.throws(() => exportOnnxBytes(reflect, randn(1, 1, 5, 5)), /paddingMode "reflect"/);
    const pool = new nn.MaxPool2d(2, { returnIndices: true });
    assert.throws(() => exportOnnxBytes(pool, randn(1, 1, 4, 4)), /returnIndices: true/);
  });

  it("keeps the batch dimension dynamic: exported at batch 1, run at batch 7", async () => {
    manualSeed(4);
    const dynamicAxes = { input: { 0: "batch" }, output: { 0: "batch" } };
    const custom = new Custom();
    const bytes = exportOnnxBytes(custom, randn(1, 3, 4), { dynamicAxes });
    const m = decodeModel(bytes);
    assert.equal(m.graph.input[0]!.type.tensorType.shape.dim[0]!.dimParam, "batch");
    assert.equal(m.graph.output[0]!.type.tensorType.shape.dim[0]!.dimParam, "batch");
    const x7 = randn(7, 3, 4);
    assertClose((await runOrt(bytes, x7)).output, kiln(custom, x7));

    const cnn = new train.ConvNet();
    randomizeBatchNorm(cnn);
    const cnnBytes = exportOnnxBytes(cnn, randn(1, 1, 28, 28), { dynamicAxes });
    const img7 = randn(7, 1, 28, 28);
    assertClose((await runOrt(cnnBytes, img7)).output, kiln(cnn, img7));
  });

  for (const opsetVersion of [13, 17]) {
    it(`opset ${opsetVersion}: LayerNorm, GELU and the activation layers load and agree`, async () => {
      manualSeed(5);
      const model = new nn.Sequential(
        new nn.LayerNorm(16),
        new nn.GELU(),
        new nn.Linear(16, 16),
        new nn.SiLU(),
        new nn.Softplus({ beta: 2 }),
        new nn.ELU(0.5),
        new nn.LeakyReLU(0.1),
        new nn.GELU({ approximate: "tanh" }),
        new nn.Hardtanh({ minVal: -0.5, maxVal: 0.8 }),
        new nn.Tanh(),
        new nn.Sigmoid(),
        new nn.Softmax(-1),
      );
      noGrad(() => {
        const ln = model.get(0) as nn.LayerNorm;
        ln.weight!.copy_(rand(16).add(0.5));
        ln.bias!.copy_(randn(16));
      });
      const x = randn(5, 16).mul(2);
      const bytes = exportOnnxBytes(model, x, { opsetVersion, outputNames: ["probs"] });
      const m = decodeModel(bytes);
      assert.equal(m.opsetImport[0]!.version, opsetVersion);
      const ops = m.graph.node.map((n) => n.opType);
      assert.equal(ops.includes("LayerNormalization"), opsetVersion >= 17);
      assertClose((await runOrt(bytes, x)).probs, kiln(model, x));
    });
  }

  it("names the op that has no ONNX mapping, and restores Tensor and layer methods", () => {
    const cumsum = randn(1).cumsum;
    const linearForward = nn.Linear.prototype.forward;
    class Cumulative extends nn.Module {
      fc = new nn.Linear(4, 4);
      override forward(x: Tensor): Tensor {
        return this.fc.forward(x).cumsum(1);
      }
    }
    const model = new Cumulative();
    assert.throws(
      () => exportOnnxBytes(model, randn(2, 4)),
      (e: Error) =>
        e instanceof ValueError && /exportOnnx: no ONNX mapping for Tensor\.cumsum/.test(e.message),
    );
    assert.equal(randn(1).cumsum, cumsum);
    assert.equal(nn.Linear.prototype.forward, linearForward);
    assert.equal(model.training, true);

    class Where extends nn.Module {
      override forward(x: Tensor): Tensor {
        return where(x.gt(0), x, x.mul(2)).add(1);
      }
    }
    assert.throws(
      () => exportOnnxBytes(new Where(), randn(2, 4)),
      /no ONNX mapping for WhereBackward0/,
    );
  });

  it("rejects an opset outside 13..17", () => {
    const model = new nn.Linear(2, 2);
    for (const opsetVersion of [12, 18, 13.5]) {
      assert.throws(
        () => exportOnnxBytes(model, randn(1, 2), { opsetVersion }),
        /opsetVersion must be an integer from 13 to 17/,
      );
    }
  });
});

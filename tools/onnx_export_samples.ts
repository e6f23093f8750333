// Writes the ONNX models that tools/onnx_check.py checks: the seed's MLP, the CNN with
// BatchNorm, a Sequential with Dropout, a custom forward with a dynamic batch, and the
// activation layers at opsets 13 and 17. Usage: node --import tsx tools/onnx_export_samples.ts <dir>

import { join } from "node:path";
import { arange, cat, io, manualSeed, nn, randn, type Tensor, train } from "../src/index.ts";

class Custom extends nn.Module {
  fc = new nn.Linear(12, 6);
  override forward(x: Tensor): Tensor {
    const h = x.view(x.shape[0]!, -1);
    const a = this.fc.forward(h).relu();
    const c = cat([a, h.sum(1, { keepDim: true }).sigmoid()], 1);
    const t = c.unsqueeze(1).permute(0, 2, 1).squeeze(2);
    return nn.functional.softmax(t, 1).add(arange(7).float().mul(0.01));
  }
}

const out = process.argv[2] ?? "onnx-samples";
manualSeed(0);
const dynamicAxes = { input: { 0: "batch" }, output: { 0: "batch" } };
const activations = () =>
  new nn.Sequential(
    new nn.LayerNorm(16),
    new nn.GELU(),
    new nn.Linear(16, 16),
    new nn.SiLU(),
    new nn.Softplus({ beta: 2 }),
    new nn.LeakyReLU(0.1),
    new nn.Softmax(-1),
  );
const samples: [string, nn.Module, Tensor, io.ExportOnnxOptions][] = [
  ["mlp.onnx", new train.NeuralNet(), randn(1, 784), {}],
  ["convnet.onnx", new train.ConvNet(), randn(1, 1, 28, 28), { dynamicAxes }],
  [
    "sequential-dropout.onnx",
    new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(64, 32),
      new nn.BatchNorm1d(32),
      new nn.ReLU(),
      new nn.Dropout(0.5),
      new nn.Linear(32, 10),
      new nn.LogSoftmax(1),
    ),
    randn(2, 1, 8, 8),
    {},
  ],
  ["custom-dynamic.onnx", new Custom(), randn(1, 3, 4), { dynamicAxes }],
  ["activations-opset13.onnx", activations(), randn(5, 16), { opsetVersion: 13 }],
  ["activations-opset17.onnx", activations(), randn(5, 16), { opsetVersion: 17 }],
];
for (const [name, model, x, options] of samples) {
  io.exportOnnx(model, x, join(out, name), options);
  console.log(join(out, name));
}

// The seed's NeuralNet and a small CNN against PyTorch: state-dict keys, repr, logits and
// gradients with given weights, and the loadStateDict(stateDict()) round trip.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fromTypedArray, nn, type Tensor } from "../../src/index.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

class NeuralNet extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

class SmallCNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3, { padding: 1 });
  bn1 = new nn.BatchNorm2d(8);
  pool = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
  bn2 = new nn.BatchNorm2d(16);
  head = new nn.Sequential(new nn.Flatten(), new nn.Dropout(0.25), new nn.Linear(16 * 7 * 7, 10));
  override forward(x: Tensor): Tensor {
    const a = this.pool.call(this.bn1.call(this.conv1.call(x)).relu());
    const b = this.pool.call(this.bn2.call(this.conv2.call(a)).relu());
    return this.head.call(b);
  }
}

/** scale·sin(0.37·i + phase) over the flat index, as `formula` in tools/golden/nn.py. */
function formula(shape: number[], scale: number, phase: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.37 + phase) * scale;
  return fromTypedArray(d, shape);
}

interface Models {
  torch: string;
  seed: {
    keys: string[];
    repr: string;
    input: Enc;
    labels: Enc;
    logits: Enc;
    losses: Enc;
    probs: Enc;
    grads: Record<string, Enc>;
    xavier_bound: number;
    xavier_std: number;
  };
  cnn: {
    keys: string[];
    repr: string;
    state: Record<string, Enc>;
    input: Enc;
    labels: Enc;
    named_modules: string[];
    eval: { logits: Enc; grad_input: Enc; grads: Record<string, Enc> };
  };
}
const golden = loadGolden<Models>("models.json");

describe(`seed NeuralNet and a small CNN vs PyTorch ${golden.torch}`, () => {
  it("NeuralNet registers fc1 and fc2 in field order with PyTorch's keys and repr", () => {
    const model = new NeuralNet();
    assert.deepEqual(Object.keys(model.stateDict()), golden.seed.keys);
    assert.deepEqual(
      model.namedParameters().map(([n]) => n),
      golden.seed.keys,
    );
    assert.equal(model.toString(), golden.seed.repr);
    assert.ok(model.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad));
  });

  it("NeuralNet with given weights: logits, per-sample losses, softmax and grads equal PyTorch's", () => {
    const model = new NeuralNet();
    model.loadStateDict({
      "fc1.weight": formula([128, 784], 0.05, 0),
      "fc1.bias": formula([128], 0.1, 1),
      "fc2.weight": formula([10, 128], 0.2, 2),
      "fc2.bias": formula([10], 0.1, 3),
    });
    const x = formula([4, 784], 1, 0.5).abs();
    assertClose(x, golden.seed.input, "input");
    const logits = model.call(x);
    assertClose(logits, golden.seed.logits, "logits");
    const losses = new nn.CrossEntropyLoss({ reduction: "none" }).forward(
      logits,
      dec(golden.seed.labels),
    );
    assertClose(losses, golden.seed.losses, "per-sample losses");
    assertClose(nn.functional.softmax(logits.detach(), 1), golden.seed.probs, "softmax");
    losses.mean().backward();
    for (const [name, p] of model.namedParameters())
      assertClose(p.grad!, golden.seed.grads[name]!, `grad ${name}`);
  });

  it("xavierUniform_ on fc1.weight: U(±√(6/(784 + 128))), std as PyTorch's draw", () => {
    const model = new NeuralNet();
    nn.init.xavierUniform_(model.fc1.weight);
    const v = Array.from(model.fc1.weight.dataSync());
    const b = golden.seed.xavier_bound;
    assert.ok(v.every((w) => w >= -b && w <= b));
    const mean = v.reduce((a, c) => a + c, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, c) => a + (c - mean) ** 2, 0) / (v.length - 1));
    assert.ok(Math.abs(std / golden.seed.xavier_std - 1) < 0.02);
  });

  it("SmallCNN: keys, repr and module names equal PyTorch's", () => {
    const cnn = new SmallCNN();
    assert.deepEqual(Object.keys(cnn.stateDict()), golden.cnn.keys);
    assert.equal(cnn.toString(), golden.cnn.repr);
    assert.deepEqual(
      cnn.namedModules().map(([n]) => n),
      golden.cnn.named_modules,
    );
  });

  it("SmallCNN in eval mode with PyTorch's weights: logits and every gradient", () => {
    const cnn = new SmallCNN();
    cnn.loadStateDict(decState(golden.cnn.state));
    cnn.eval();
    const x = dec(golden.cnn.input).requiresGrad_(true);
    const logits = cnn.call(x);
    assertClose(logits, golden.cnn.eval.logits, "logits");
    nn.functional.crossEntropy(logits, dec(golden.cnn.labels)).backward();
    assertClose(x.grad!, golden.cnn.eval.grad_input, "input grad");
    for (const [name, p] of cnn.namedParameters())
      assertClose(p.grad!, golden.cnn.eval.grads[name]!, `grad ${name}`, 1e-3, 1e-5);
  });

  it("loadStateDict(stateDict()) is the identity, and copies values (no aliasing)", () => {
    const a = new SmallCNN();
    const b = new SmallCNN();
    b.loadStateDict(a.stateDict());
    const sa = a.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sa)) assert.deepEqual(sb[k]!.toArray(), sa[k]!.toArray(), k);
    assert.notEqual(sb["conv1.weight"]!.storage, sa["conv1.weight"]!.storage);
  });
});

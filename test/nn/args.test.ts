// API.md rule 2 for nn: every layer constructor, nn.functional function, nn.init function and
// nn.utils clipper accepts PyTorch's positional order, equals its options form, and throws a
// ValueError naming an extra positional, an unknown option, a value given twice or a wrong type.
// Numbers come from tools/golden/nn_args.py (PyTorch 1.13) or are derived by hand in a comment.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  arange,
  Generator,
  linspace,
  nn,
  ones,
  randn,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";
import { loadGolden } from "./golden.ts";

/** `f` typed to take anything: calls with arguments the types forbid, as plain JavaScript may. */
const loose = (f: unknown) => f as (...args: unknown[]) => unknown;

const F = nn.functional;
const I = nn.init;
const G = loadGolden<Record<string, unknown>>("args.json");

/** The inputs of tools/golden/nn_args.py, rebuilt from the same formulas (float64). */
const f64 = { dtype: "float64" } as const;
const x = arange(0, 150, 1, f64).mul(0.37).sin().reshape(2, 3, 5, 5);
const w = arange(0, 108, 1, f64).mul(0.11).cos().reshape(4, 3, 3, 3);
const b = tensor([0.1, -0.2, 0.3, -0.4], f64);
const logits = arange(0, 12, 1, f64).mul(0.7).sin().mul(3).reshape(4, 3);
const y = tensor([0, 2, 1, 1]);
const cw = tensor([1, 2, 0.5], f64);
const p = linspace(-2, 2, 10, f64);
const q = linspace(1, -1, 10, f64).pow(3);

function close(got: Tensor, want: unknown, name: string, tol = 1e-9): void {
  const g = got.toArray() as unknown;
  const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);
  const a = flat(g);
  const e = flat(want);
  assert.equal(a.length, e.length, `${name}: length`);
  for (let i = 0; i < a.length; i++)
    assert.ok(
      Math.abs(a[i]! - e[i]!) <= tol * (1 + Math.abs(e[i]!)),
      `${name}[${i}]: ${a[i]} vs ${e[i]}`,
    );
}

function same(a: Tensor, b: Tensor, name: string): void {
  assert.deepEqual(a.toArray(), b.toArray(), name);
}

const throwsValue = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof ValueError && re.test((e as Error).message));

describe("nn.functional: positional arguments in PyTorch's order", () => {
  it("pooling and convolution match PyTorch, and the options form", () => {
    close(F.maxPool2d(x, 2, 1), G.maxPool2d_2_1, "maxPool2d(x, 2, 1)");
    same(F.maxPool2d(x, 2, 1), F.maxPool2d(x, 2, { stride: 1 }), "maxPool2d forms");
    close(
      F.maxPool2d(x, 3, 2, 1, 1, true),
      G.maxPool2d_3_2_1_1_true,
      "maxPool2d(x, 3, 2, 1, 1, true)",
    );
    same(
      F.maxPool2d(x, 3, 2, 1, 1, true),
      F.maxPool2d(x, 3, 2, { padding: 1, dilation: 1, ceilMode: true }),
      "maxPool2d mixed",
    );
    close(F.avgPool2d(x, 3, 2, 1, false, false), G.avgPool2d_3_2_1_false_false, "avgPool2d");
    same(
      F.avgPool2d(x, 3, 2, 1, false, false),
      F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }),
      "avgPool2d forms",
    );
    close(F.conv2d(x, w, b, 2, 1), G.conv2d_b_2_1, "conv2d(x, w, b, 2, 1)");
    close(F.conv2d(x, w, b, 1, 2, 2), G.conv2d_b_1_2_2, "conv2d(x, w, b, 1, 2, 2)");
    same(
      F.conv2d(x, w, b, 1, 2, 2),
      F.conv2d(x, w, b, { padding: 2, dilation: 2 }),
      "conv2d forms",
    );
    const x1 = x.reshape(2, 3, 25);
    const w1 = w.reshape(4, 3, 9).narrow(2, 0, 3);
    same(F.conv1d(x1, w1, b, 2, 1), F.conv1d(x1, w1, b, { stride: 2, padding: 1 }), "conv1d forms");
    same(
      F.maxPool1d(x1, 3, 2, 1),
      F.maxPool1d(x1, 3, { stride: 2, padding: 1 }),
      "maxPool1d forms",
    );
  });

  it("activations match PyTorch, and the options form", () => {
    close(F.leakyRelu(p, 0.2), G["leakyRelu_0.2"], "leakyRelu");
    same(F.leakyRelu(p, 0.2), F.leakyRelu(p, { negativeSlope: 0.2 }), "leakyRelu forms");
    close(F.elu(p, 0.5), G["elu_0.5"], "elu");
    close(F.softplus(p, 2, 1), G.softplus_2_1, "softplus");
    same(F.softplus(p, 2, 1), F.softplus(p, { beta: 2, threshold: 1 }), "softplus forms");
    close(F.hardtanh(p, -0.5, 0.5), G["hardtanh_-0.5_0.5"], "hardtanh");
    same(F.softmax(logits, 1), F.softmax(logits, { dim: 1 }), "softmax forms");
    same(F.logSoftmax(logits, 0), F.logSoftmax(logits, { dim: 0 }), "logSoftmax forms");
    // dim null is PyTorch's legacy implicit dim: 1 for a 2-D input
    same(F.softmax(logits, null), F.softmax(logits, 1), "softmax implicit dim");
    assert.equal(F.softmax(logits.float(), 1, { dtype: "float64" }).dtype, "float64");
  });

  it("inplace flags write into the input and return it", () => {
    const t = p.clone();
    const r = F.relu(t, true);
    assert.equal(r, t);
    assert.deepEqual(t.toArray(), p.relu().toArray());
    const u = p.clone();
    assert.equal(F.leakyRelu(u, 0.1, true), u);
    same(u, F.leakyRelu(p, 0.1), "leakyRelu inplace");
    const d = ones(1000);
    const out = F.dropout(d, 0.5, true, true, { generator: new Generator().manualSeed(1) });
    assert.equal(out, d);
    same(
      d,
      F.dropout(ones(1000), 0.5, true, false, { generator: new Generator().manualSeed(1) }),
      "dropout inplace",
    );
    // training false: identity
    assert.equal(F.dropout(p, 0.5, false), p);
  });

  it("losses match PyTorch, and the options form", () => {
    const ce = F.crossEntropy(logits, y, cw, null, 1, null, "sum", 0.1);
    close(ce, G["crossEntropy_w_1_sum_0.1"], "crossEntropy positional");
    same(
      ce,
      F.crossEntropy(logits, y, {
        weight: cw,
        ignoreIndex: 1,
        reduction: "sum",
        labelSmoothing: 0.1,
      }),
      "crossEntropy forms",
    );
    const nll = F.nllLoss(F.logSoftmax(logits, 1), y, cw, null, 2, null, "none");
    close(nll, G.nllLoss_w_2_none, "nllLoss positional");
    close(F.smoothL1Loss(p, q, null, null, "sum", 0.5), G["smoothL1_sum_0.5"], "smoothL1Loss");
    close(F.huberLoss(p, q, "sum", 0.5), G["huber_sum_0.5"], "huberLoss");
    close(F.mseLoss(p, q, null, null, "sum"), G.mse_sum, "mseLoss");
    same(F.l1Loss(p, q, null, null, "sum"), F.l1Loss(p, q, { reduction: "sum" }), "l1Loss forms");
  });

  it("norms, embedding, oneHot and pad take PyTorch's order", () => {
    const wt = tensor([1, 2, 3], f64);
    const bs = tensor([0.5, 0, -0.5], f64);
    same(
      F.batchNorm(x, null, null, wt, bs, true, 0.1, 1e-3),
      F.batchNorm(x, null, null, { weight: wt, bias: bs, training: true, eps: 1e-3 }),
      "batchNorm forms",
    );
    same(
      F.layerNorm(x, [5, 5], null, null, 1e-3),
      F.layerNorm(x, [5, 5], { eps: 1e-3 }),
      "layerNorm",
    );
    same(
      F.groupNorm(x, 3, wt, bs, 1e-3),
      F.groupNorm(x, 3, { weight: wt, bias: bs, eps: 1e-3 }),
      "groupNorm",
    );
    const table = arange(0, 12, 1, f64).reshape(4, 3);
    same(F.embedding(y, table, 1), F.embedding(y, table, { paddingIdx: 1 }), "embedding");
    same(F.oneHot(y, 5), F.oneHot(y, { numClasses: 5 }), "oneHot");
    same(F.pad(p, [1, 2], "constant", 7), F.pad(p, [1, 2], { value: 7 }), "pad");
    assert.deepEqual(F.pad(tensor([1]), [1, 1], "constant", 7).toArray(), [7, 1, 7]);
  });
});

describe("nn layers: positional constructor arguments", () => {
  it("MaxPool2d(2, 1) uses stride 1 (was 2)", () => {
    const m = new nn.MaxPool2d(2, 1);
    assert.equal(m.stride, 1);
    close(m.forward(x), G.maxPool2d_2_1, "MaxPool2d(2, 1)");
    const m2 = new nn.MaxPool2d(3, 2, 1, 1, false, true);
    close(m2.forward(x), G.maxPool2d_3_2_1_1_true, "MaxPool2d(3, 2, 1, 1, false, true)");
    assert.equal(new nn.MaxPool1d(3, 2).stride, 2);
    const a = new nn.AvgPool2d(3, 2, 1, false, false);
    close(a.forward(x), G.avgPool2d_3_2_1_false_false, "AvgPool2d positional");
    assert.deepEqual(new nn.AdaptiveAvgPool2d({ outputSize: 2 }).outputSize, 2);
  });

  it("activations: new nn.Softmax(1), Softmax({ dim: 1 }), LeakyReLU(0.2, true)", () => {
    same(new nn.Softmax(1).forward(logits), F.softmax(logits, 1), "Softmax(1)");
    same(new nn.Softmax({ dim: 1 }).forward(logits), F.softmax(logits, 1), "Softmax({ dim: 1 })");
    same(new nn.LogSoftmax(0).forward(logits), F.logSoftmax(logits, 0), "LogSoftmax(0)");
    const l = new nn.LeakyReLU(0.2, true);
    assert.equal(l.negativeSlope, 0.2);
    assert.equal(l.inplace, true);
    assert.equal(String(l), "LeakyReLU(negative_slope=0.2, inplace=True)");
    const t = p.clone();
    assert.equal(l.forward(t), t);
    close(t, G["leakyRelu_0.2"], "LeakyReLU inplace");
    assert.equal(new nn.ELU(0.5).alpha, 0.5);
    assert.equal(new nn.GELU("tanh").approximate, "tanh");
    assert.equal(new nn.ReLU(true).inplace, true);
    assert.equal(new nn.SiLU({ inplace: true }).inplace, true);
    const s = new nn.Softplus(2, 1);
    close(s.forward(p), G.softplus_2_1, "Softplus(2, 1)");
    close(new nn.Hardtanh(-0.5, 0.5).forward(p), G["hardtanh_-0.5_0.5"], "Hardtanh");
  });

  it("Linear, norms, dropout, embedding, flatten: positional = options", () => {
    assert.equal(new nn.Linear(4, 2, false).bias, null);
    assert.equal(new nn.Linear(4, 2, { bias: false }).bias, null);
    assert.equal(new nn.Linear(4, 2, true, { dtype: "float64" }).weight.dtype, "float64");
    const bn = new nn.BatchNorm1d(3, 1e-3, null, false, false);
    assert.deepEqual(
      [bn.eps, bn.momentum, bn.affine, bn.trackRunningStats],
      [1e-3, null, false, false],
    );
    assert.equal(
      String(new nn.BatchNorm2d(3, 1e-3, 0.2)),
      String(new nn.BatchNorm2d(3, { eps: 1e-3, momentum: 0.2 })),
    );
    assert.equal(
      String(new nn.LayerNorm([5, 5], 1e-3, false)),
      "LayerNorm((5, 5), eps=0.001, elementwise_affine=False)",
    );
    assert.equal(
      String(new nn.GroupNorm(3, 6, 1e-3, false)),
      "GroupNorm(3, 6, eps=0.001, affine=False)",
    );
    assert.equal(String(new nn.Dropout(0.2, true)), "Dropout(p=0.2, inplace=True)");
    assert.equal(String(new nn.Dropout2d({ p: 0.3 })), "Dropout2d(p=0.3, inplace=False)");
    assert.equal(new nn.Embedding(10, 3, 0).paddingIdx, 0);
    assert.equal(String(new nn.Flatten(0, 2)), "Flatten(start_dim=0, end_dim=2)");
    assert.equal(String(new nn.Unflatten(1, [5, 5])), "Unflatten(dim=1, unflattened_size=(5, 5))");
    assert.equal(new nn.Identity(54, { unused: true }).forward(p), p); // as PyTorch: ignores arguments
  });

  it("losses: PyTorch's positional order, deprecated slots null", () => {
    const ce = new nn.CrossEntropyLoss(cw, null, 1, null, "sum", 0.1);
    close(ce.forward(logits, y), G["crossEntropy_w_1_sum_0.1"], "CrossEntropyLoss positional");
    assert.equal(new nn.NLLLoss(null, null, 3).ignoreIndex, 3);
    assert.equal(new nn.MSELoss(null, null, "sum").reduction, "sum");
    close(
      new nn.SmoothL1Loss(null, null, "sum", 0.5).forward(p, q),
      G["smoothL1_sum_0.5"],
      "SmoothL1Loss",
    );
    close(new nn.HuberLoss("sum", 0.5).forward(p, q), G["huber_sum_0.5"], "HuberLoss");
    assert.equal(new nn.KLDivLoss(null, null, "batchmean", true).logTarget, true);
    assert.equal(new nn.BCEWithLogitsLoss(null, null, null, "mean", cw).posWeight, cw);
  });
});

describe("nn.init and nn.utils: positional arguments", () => {
  it("normal_(w, 0.0, 0.02) draws from N(0, 0.02²)", () => {
    const t = zeros(200000);
    I.normal_(t, 0.0, 0.02);
    const n = t.numel();
    const mean = t.mean().item() as number;
    const std = t.std().item() as number;
    // sample mean SE = σ/√n = 0.02/447 ≈ 4.5e-5; sample std SE ≈ σ/√(2n) ≈ 3.2e-5: 6 SE margins
    assert.ok(Math.abs(mean) < 3e-4, `mean ${mean} (n = ${n})`);
    assert.ok(Math.abs(std - 0.02) < 2e-4, `std ${std}`);
    const a = I.normal_(zeros(50), 1, 2, { generator: new Generator().manualSeed(5) });
    const c = I.normal_(zeros(50), { mean: 1, std: 2, generator: new Generator().manualSeed(5) });
    same(a, c, "normal_ forms");
  });

  it("uniform_, constant_, xavier, kaiming, truncNormal_, orthogonal_, calculateGain", () => {
    const u = I.uniform_(zeros(100000), -3, -1);
    assert.ok((u.min().item() as number) >= -3 && (u.max().item() as number) <= -1);
    // mean of U(−3, −1) is −2; SE = (2/√12)/√n ≈ 1.8e-3
    assert.ok(Math.abs((u.mean().item() as number) + 2) < 1e-2);
    assert.deepEqual(I.constant_(zeros(2), 3).toArray(), [3, 3]);
    assert.deepEqual(I.constant_(zeros(2), { val: 4 }).toArray(), [4, 4]);
    const gen = () => ({ generator: new Generator().manualSeed(9) });
    const W = () => zeros(64, 32);
    same(
      I.xavierUniform_(W(), 2, gen()),
      I.xavierUniform_(W(), { gain: 2, ...gen() }),
      "xavierUniform_",
    );
    same(
      I.xavierNormal_(W(), 2, gen()),
      I.xavierNormal_(W(), { gain: 2, ...gen() }),
      "xavierNormal_",
    );
    same(
      I.kaimingNormal_(W(), 0, "fanOut", "relu", gen()),
      I.kaimingNormal_(W(), { mode: "fanOut", nonlinearity: "relu", ...gen() }),
      "kaimingNormal_",
    );
    same(
      I.kaimingUniform_(W(), 0.2, "fan_in", "leaky_relu", gen()),
      I.kaimingUniform_(W(), { a: 0.2, ...gen() }),
      "kaimingUniform_ (PyTorch spelling fan_in)",
    );
    // kaimingUniform_ bound = gain·√(3/fanIn), gain = √(2/(1 + 0.2²)), fanIn = 32
    const bound = Math.sqrt(2 / 1.04) * Math.sqrt(3 / 32);
    const k = I.kaimingUniform_(W(), 0.2);
    assert.ok((k.abs().max().item() as number) <= bound + 1e-6);
    assert.ok((k.abs().max().item() as number) > 0.95 * bound);
    same(
      I.truncNormal_(W(), 0, 1, -1, 1, gen()),
      I.truncNormal_(W(), { a: -1, b: 1, ...gen() }),
      "truncNormal_",
    );
    same(I.orthogonal_(W(), 2, gen()), I.orthogonal_(W(), { gain: 2, ...gen() }), "orthogonal_");
    assert.equal(I.calculateGain("leaky_relu", 0.2), Math.sqrt(2 / (1 + 0.04)));
    assert.equal(I.calculateGain("leaky_relu", { param: 0.2 }), Math.sqrt(2 / 1.04));
  });

  it("clipGradNorm_(params, maxNorm, normType) and clipGradValue_", () => {
    const make = () => {
      const t = tensor([1, 1], { requiresGrad: true });
      t.mul(tensor([3, 4]))
        .sum()
        .backward(); // grad [3, 4]: L2 norm 5, inf norm 4
      return t;
    };
    const a = make();
    const total = nn.utils.clipGradNorm_([a], 1, Number.POSITIVE_INFINITY);
    assert.equal(total.item(), 4);
    const c = 1 / (4 + 1e-6);
    close(a.grad!, [3 * c, 4 * c], "inf-norm clip", 1e-6);
    const b2 = make();
    assert.equal(nn.utils.clipGradNorm_([b2], 1, { normType: 2 }).item(), 5);
    const v = make();
    nn.utils.clipGradValue_([v], 3.5);
    assert.deepEqual(v.grad!.toArray(), [3, 3.5]);
  });
});

describe("nn: arguments that are not understood throw a ValueError naming them", () => {
  it("extra positionals, unknown options, camelCase hints, duplicates, wrong types", () => {
    const any = (v: unknown) => v as never;
    throwsValue(
      () => new nn.Linear(4, 2, true, any(false)),
      /nn.Linear: takes 3 positional arguments .* the extra one is false/,
    );
    throwsValue(
      () => new nn.Linear(4, 2, any({ in_features: 3 })),
      /unknown option "in_features".*"inFeatures"/,
    );
    throwsValue(
      () => new nn.Linear(4, 2, true, any({ device: "cuda" })),
      /unknown option "device"/,
    );
    throwsValue(
      () => new nn.MaxPool2d(2, 1, any({ stride: 1 })),
      /multiple values for argument "stride"/,
    );
    throwsValue(
      () => new nn.MaxPool2d(2, any("1")),
      /argument "stride" must be an int or a tuple of 2 ints or null/,
    );
    throwsValue(() => new nn.MaxPool2d(2, { returnIndices: any("yes") }), /returnIndices/);
    throwsValue(
      () => new nn.Softmax(any("1")),
      /nn.Softmax: argument "dim" must be an int or null/,
    );
    throwsValue(() => new nn.ReLU(any(1)), /argument "inplace" must be a boolean/);
    throwsValue(
      () => new (nn.Sigmoid as never as new (a: unknown) => unknown)(1),
      /nn.Sigmoid: takes 0 arguments/,
    );
    throwsValue(() => new nn.Dropout(0.5, false, any(1)), /takes 2 positional arguments/);
    throwsValue(
      () => new nn.CrossEntropyLoss({ sizeAverage: any(true) }),
      /sizeAverage.*deprecated/,
    );
    throwsValue(
      () => new nn.CrossEntropyLoss({ label_smoothing: 0.1 } as never),
      /"labelSmoothing"/,
    );
    throwsValue(() => new nn.MSELoss(any("sum")), /argument "sizeAverage" must be null/);
    throwsValue(() => new nn.Embedding(10, 3, null, any("1.0")), /maxNorm/);
    throwsValue(
      () => new nn.GELU(any("sigmoid")),
      /argument "approximate" must be one of "none", "tanh"/,
    );
    throwsValue(() => F.softmax(p, 0, any(3)), /softmax: takes 2 positional arguments/);
    throwsValue(() => F.gelu(p, any("tanh")), /gelu/);
    throwsValue(
      () => F.maxPool2d(x, 2, { kernel_size: 2 } as never),
      /unknown option "kernel_size".*"kernelSize"/,
    );
    throwsValue(() => F.conv2d(x, w, b, 1, any("full")), /argument "padding" must be/);
    throwsValue(
      () => F.crossEntropy(logits, y, { reduction: any("avg") }),
      /argument "reduction" must be one of "none", "mean", "sum"/,
    );
    throwsValue(() => F.dropout(p, any("0.5")), /argument "p" must be a number/);
    throwsValue(() => loose(F.linear)(p, w, b, 1), /linear: takes 3 arguments/);
    throwsValue(
      () => F.pad(p, [1, 1], any("wrap")),
      /argument "mode" must be one of "constant", "reflect", "replicate", "circular"/,
    );
    throwsValue(() => I.normal_(zeros(2), 0, 1, any(2)), /normal_: takes 3 positional arguments/);
    throwsValue(
      () => I.kaimingNormal_(zeros(2, 2), 0, any("fan_avg")),
      /argument "mode" must be one of/,
    );
    throwsValue(() => I.xavierUniform_(zeros(2, 2), { gian: 1 } as never), /unknown option "gian"/);
    throwsValue(() => I.calculateGain(any("swish")), /argument "nonlinearity" must be one of/);
    throwsValue(() => loose(I.constant_)(zeros(2), 1, 2), /constant_: takes 2 arguments/);
    throwsValue(
      () => nn.utils.clipGradNorm_([], 1, 2, false, any(true)),
      /takes 4 positional arguments/,
    );
    throwsValue(
      () => nn.utils.clipGradValue_(any(3), 1),
      /argument "parameters" must be a Tensor or an iterable of Tensors/,
    );
    throwsValue(() => new nn.Flatten(any(1.5)), /argument "startDim" must be an int/);
    void randn;
  });
});

// Every layer and activation against PyTorch: forward, input gradient and parameter gradients,
// train and eval, BatchNorm running statistics after several steps, and the repr.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, type Tensor } from "../../src/index.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

interface Step {
  mode: "train" | "eval";
  input: Enc;
  gy: Enc;
  output: Enc;
  grad_input?: Enc;
  grads: Record<string, Enc>;
}
interface Case {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  steps: Step[];
  final_state: Record<string, Enc>;
}

// The same constructions as tools/golden/nn.py, in Kiln's spelling.
const factories: Record<string, () => nn.Module> = {
  linear: () => new nn.Linear(5, 3),
  linear_nobias_3d: () => new nn.Linear(5, 3, { bias: false }),
  conv2d: () => new nn.Conv2d(3, 4, 3),
  conv2d_pad_stride: () => new nn.Conv2d(3, 4, [3, 2], { stride: 2, padding: 1 }),
  conv2d_same_dil: () => new nn.Conv2d(2, 4, 3, { padding: "same", dilation: 2 }),
  conv2d_same_even: () => new nn.Conv2d(2, 3, [2, 4], { padding: "same" }),
  conv2d_groups: () =>
    new nn.Conv2d(4, 6, 3, { groups: 2, bias: false, stride: [2, 1], padding: [0, 1] }),
  conv2d_unbatched: () => new nn.Conv2d(2, 3, 2),
  conv1d: () => new nn.Conv1d(3, 5, 3, { stride: 2, padding: 1 }),
  conv1d_same: () => new nn.Conv1d(2, 3, 4, { padding: "same" }),
  conv1d_groups_dil: () => new nn.Conv1d(4, 4, 2, { groups: 4, dilation: 3 }),
  maxpool2d: () => new nn.MaxPool2d(2),
  maxpool2d_ceil_pad: () => new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  maxpool2d_dil: () => new nn.MaxPool2d(2, { stride: 1, dilation: 2 }),
  maxpool2d_ties: () => new nn.MaxPool2d(2),
  maxpool1d_ceil: () => new nn.MaxPool1d(3, { stride: 2, ceilMode: true }),
  avgpool2d: () => new nn.AvgPool2d(2),
  avgpool2d_pad_ceil: () => new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
  avgpool2d_exclude_pad: () =>
    new nn.AvgPool2d(3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgpool2d_divisor: () => new nn.AvgPool2d(2, { divisorOverride: 3 }),
  adaptiveavgpool2d: () => new nn.AdaptiveAvgPool2d([3, 2]),
  adaptiveavgpool2d_1: () => new nn.AdaptiveAvgPool2d(1),
  batchnorm1d: () => new nn.BatchNorm1d(4),
  batchnorm1d_3d: () => new nn.BatchNorm1d(3),
  batchnorm2d: () => new nn.BatchNorm2d(3),
  batchnorm2d_momentum_none: () => new nn.BatchNorm2d(3, { momentum: null }),
  batchnorm2d_momentum_05: () => new nn.BatchNorm2d(3, { momentum: 0.5, eps: 1e-3 }),
  batchnorm2d_no_affine: () => new nn.BatchNorm2d(3, { affine: false }),
  batchnorm2d_no_track: () => new nn.BatchNorm2d(3, { trackRunningStats: false }),
  layernorm: () => new nn.LayerNorm([4, 5]),
  layernorm_no_affine: () => new nn.LayerNorm(6, { elementwiseAffine: false, eps: 1e-3 }),
  groupnorm: () => new nn.GroupNorm(2, 4),
  groupnorm_no_affine: () => new nn.GroupNorm(3, 6, { affine: false }),
  embedding: () => new nn.Embedding(10, 4),
  embedding_padding: () => new nn.Embedding(10, 3, { paddingIdx: 2 }),
  flatten: () => new nn.Flatten(),
  unflatten: () => new nn.Unflatten(1, [2, 3]),
  identity: () => new nn.Identity(),
  sequential: () => new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2)),
  dropout_eval: () => new nn.Dropout(0.3),
  dropout2d_eval: () => new nn.Dropout2d(0.3),
  relu: () => new nn.ReLU(),
  leakyrelu: () => new nn.LeakyReLU(),
  leakyrelu_02: () => new nn.LeakyReLU(0.2),
  elu: () => new nn.ELU(),
  elu_15: () => new nn.ELU(1.5),
  gelu: () => new nn.GELU(),
  gelu_tanh: () => new nn.GELU({ approximate: "tanh" }),
  silu: () => new nn.SiLU(),
  sigmoid: () => new nn.Sigmoid(),
  tanh: () => new nn.Tanh(),
  softmax: () => new nn.Softmax(1),
  softmax_0: () => new nn.Softmax(0),
  logsoftmax: () => new nn.LogSoftmax(1),
  softplus: () => new nn.Softplus(),
  softplus_beta: () => new nn.Softplus({ beta: 2, threshold: 5 }),
  hardtanh: () => new nn.Hardtanh(),
  hardtanh_range: () => new nn.Hardtanh({ minVal: -0.5, maxVal: 1.5 }),
};

const golden = loadGolden<{ torch: string; cases: Case[] }>("layers.json");

describe(`nn layers vs PyTorch ${golden.torch}`, () => {
  it("covers every fixture case", () => {
    assert.deepEqual(golden.cases.map((c) => c.name).sort(), Object.keys(factories).sort());
  });
  for (const c of golden.cases) {
    it(c.name, () => {
      const m = factories[c.name]!();
      assert.equal(m.toString(), c.repr, "repr");
      assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state), "state dict keys");
      m.loadStateDict(decState(c.state));
      c.steps.forEach((s, k) => {
        const where = `step ${k} (${s.mode})`;
        m.train(s.mode === "train");
        const x = dec(s.input);
        if (x.dtype !== "int32") x.requiresGrad_(true);
        const y = m.call(x) as Tensor;
        assertClose(y, s.output, `${where} output`);
        y.mul(dec(s.gy)).sum().backward();
        if (s.grad_input) assertClose(x.grad!, s.grad_input, `${where} input grad`);
        const grads = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.grad]));
        for (const [n, g] of Object.entries(s.grads))
          assertClose(grads[n]!, g, `${where} grad ${n}`);
        m.zeroGrad();
      });
      const finalState = m.stateDict();
      for (const [n, t] of Object.entries(c.final_state))
        assertClose(finalState[n]!, t, `final ${n}`);
    });
  }
});

// nn.utils.weightNorm/removeWeightNorm, spectralNorm/removeSpectralNorm and
// parametersToVector/vectorToParameters against PyTorch 1.13 (tools/golden/nn_misc.py): the
// reparametrised state-dict keys, forward and gradients through the pre-hooks, spectral norm's
// power-iteration buffers after training steps (u, v loaded from PyTorch's state dict), and the
// state after removal; plus the hooks' bookkeeping and errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, type Tensor, tensor, ValueError } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

interface Step {
  mode: "train" | "eval";
  inputs: Enc[];
  gy: Enc;
  output: Enc;
  grad_inputs: Enc[];
  grads: Record<string, Enc>;
}
interface Case {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  steps: Step[];
  final_state: Record<string, Enc>;
  removed_repr: string;
  removed_params: string[];
  removed_state: Record<string, Enc>;
}

const U = nn.utils;
// The same constructions as tools/golden/nn_misc.py, in Kiln's spelling.
const factories: Record<string, () => nn.Module> = {
  weightnorm_linear: () => U.weightNorm(new nn.Linear(4, 3)),
  weightnorm_conv1d_dim_none: () => U.weightNorm(new nn.Conv1d(2, 3, 3), { dim: null }),
  weightnorm_conv2d_dim1: () => U.weightNorm(new nn.Conv2d(2, 3, 2), "weight", 1),
  spectralnorm_linear: () => U.spectralNorm(new nn.Linear(5, 4)),
  spectralnorm_conv2d_iters: () =>
    U.spectralNorm(new nn.Conv2d(3, 4, 3), { nPowerIterations: 3, eps: 1e-6 }),
  spectralnorm_linear_dim1: () => U.spectralNorm(new nn.Linear(3, 6), { dim: 1 }),
};

const golden = loadGolden<{
  torch: string;
  cases: Case[];
  vectors: { params: Enc[]; vector: Enc; new: Enc; after: Enc[] };
}>("nn_misc.json");

describe(`weightNorm and spectralNorm vs PyTorch ${golden.torch}`, () => {
  for (const [name, make] of Object.entries(factories)) {
    it(name, () => {
      const c = golden.cases.find((x) => x.name === name)!;
      const m = make();
      assert.equal(m.toString(), c.repr, "repr");
      assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state), "state dict keys");
      m.loadStateDict(decState(c.state));
      c.steps.forEach((s, k) => {
        const where = `step ${k} (${s.mode})`;
        m.train(s.mode === "train");
        const x = dec(s.inputs[0]!).requiresGrad_(true);
        const y = m.call(x);
        assertClose(y, s.output, `${where} output`);
        y.mul(dec(s.gy)).sum().backward();
        assertClose(x.grad!, s.grad_inputs[0]!, `${where} input grad`);
        const named = Object.fromEntries(m.namedParameters());
        assert.deepEqual(Object.keys(named), Object.keys(s.grads), `${where} parameters`);
        for (const [n, g] of Object.entries(s.grads))
          assertClose(named[n]!.grad!, g, `${where} grad ${n}`);
        m.zeroGrad();
      });
      const fin = m.stateDict();
      for (const [n, t] of Object.entries(c.final_state)) assertClose(fin[n]!, t, `final ${n}`);
      const remove = name.startsWith("weight") ? U.removeWeightNorm : U.removeSpectralNorm;
      remove(m);
      assert.equal(m.toString(), c.removed_repr);
      assert.deepEqual(
        m.namedParameters().map(([n]) => n),
        c.removed_params,
      );
      const after = m.stateDict();
      assert.deepEqual(Object.keys(after), Object.keys(c.removed_state));
      for (const [n, t] of Object.entries(c.removed_state))
        assertClose(after[n]!, t, `after removal ${n}`);
    });
  }
});

describe("weightNorm", () => {
  it("g is the norm of each output row and weight = g·v/‖v‖ before each call", () => {
    const fc = U.weightNorm(new nn.Linear(2, 2));
    fc.loadStateDict({
      bias: tensor([0, 0], { dtype: "float32" }),
      weight_g: tensor([[2], [1]], { dtype: "float32" }),
      weight_v: tensor(
        [
          [3, 4],
          [0, 5],
        ],
        { dtype: "float32" },
      ),
    });
    // Rows (3, 4)/5·2 = (1.2, 1.6) and (0, 5)/5·1 = (0, 1): the pre-hook rebuilds weight.
    const y = fc.call(tensor([[1, 1]], { dtype: "float32" }));
    assertClose(y, tensor([[2.8, 1]], { dtype: "float32" }), "output", 1e-6, 1e-7);
    const fresh = U.weightNorm(new nn.Linear(3, 2));
    const v = fresh.stateDict().weight_v!;
    const rowNorms = v.pow(2).sum(1, true).sqrt();
    assertClose(fresh.stateDict().weight_g!, rowNorms, "initial g", 1e-6, 1e-7);
  });

  it("passes a float64 gradcheck through g and v", () => {
    const fc = U.weightNorm(new nn.Linear(3, 2, { dtype: "float64" }));
    const x = randn([4, 3], { dtype: "float64" });
    const ps = fc.parameters();
    const gy = randn([4, 2], { dtype: "float64" });
    assert.deepEqual(
      gradcheck(() => fc.call(x), ps, [gy]),
      [],
    );
  });

  it("runs inside a Sequential (which calls each layer's hooks) and refuses misuse", () => {
    const fc = new nn.Linear(3, 2);
    const net = new nn.Sequential(U.weightNorm(fc), new nn.ReLU());
    assert.deepEqual(Object.keys(net.stateDict()), ["0.bias", "0.weight_g", "0.weight_v"]);
    fc.loadStateDict({ ...fc.stateDict(), weight_g: fc.stateDict().weight_g!.mul(0) });
    // g = 0 makes the weight zero: the output is relu(bias).
    assertClose(net.call(randn(2, 3)), fc.bias!.relu().unsqueeze(0).expand(2, 2), "g = 0");
    assert.throws(() => U.weightNorm(fc), /Cannot register two weight_norm hooks/);
    assert.throws(() => U.weightNorm(new nn.Linear(2, 2), "nope"), ValueError);
    assert.throws(
      () => U.removeWeightNorm(new nn.Linear(2, 2)),
      /weight_norm of 'weight' not found/,
    );
  });
});

describe("spectralNorm", () => {
  it("divides by the largest singular value once u and v have converged", () => {
    // diag(3, 1) has σ = 3; with u, v = e1, σ = uᵀWv = 3 and one more iteration keeps them.
    const fc = U.spectralNorm(new nn.Linear(2, 2, { bias: false }));
    fc.loadStateDict({
      weight_orig: tensor(
        [
          [3, 0],
          [0, 1],
        ],
        { dtype: "float32" },
      ),
      weight_u: tensor([1, 0], { dtype: "float32" }),
      weight_v: tensor([1, 0], { dtype: "float32" }),
    });
    const y = fc.call(tensor([[3, 6]], { dtype: "float32" }));
    assertClose(y, tensor([[3, 2]], { dtype: "float32" }), "W/3 x", 1e-6, 1e-7);
  });

  it("normalises ConvTranspose weights along dim 1 by default, as PyTorch", () => {
    // ConvTranspose2d(2, 5, 3).weight is [in 2, out 5, 3, 3]: u has size(1) = 5, v 2·3·3 = 18.
    const sd = U.spectralNorm(new nn.ConvTranspose2d(2, 5, 3)).stateDict();
    assert.deepEqual([sd.weight_u!.shape, sd.weight_v!.shape], [[5], [18]]);
    const lin = U.spectralNorm(new nn.Linear(2, 5)).stateDict();
    assert.deepEqual([lin.weight_u!.shape, lin.weight_v!.shape], [[5], [2]]);
  });

  it("eval mode leaves u and v alone; misuse throws", () => {
    const fc = U.spectralNorm(new nn.Linear(3, 4)).eval();
    const u = fc.stateDict().weight_u!.clone();
    fc.call(randn(2, 3));
    assertClose(fc.stateDict().weight_u!, u, "u", 0, 0);
    assert.throws(() => U.spectralNorm(fc), /Cannot register two spectral_norm hooks/);
    assert.throws(() => U.spectralNorm(new nn.Linear(2, 2), { nPowerIterations: 0 }), /positive/);
    assert.throws(() => U.removeSpectralNorm(new nn.Linear(2, 2)), /not found/);
  });
});

describe("parametersToVector and vectorToParameters", () => {
  it("flatten and refill in order, as PyTorch", () => {
    const v = golden.vectors;
    const ps: Tensor[] = v.params.map(dec);
    assertClose(U.parametersToVector(ps), v.vector, "vector", 0, 0);
    U.vectorToParameters(dec(v.new), ps);
    for (const [i, p] of ps.entries()) assertClose(p, v.after[i]!, `param ${i}`, 0, 0);
    assert.throws(() => U.vectorToParameters(randn(3), ps), ValueError);
  });
});

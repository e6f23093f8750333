// autograd.grad and backward({ createGraph, inputs }), grad-mode scopes and anomaly detection.
// Expected values are hand-derived (stated in comments) or PyTorch 1.13's, run and copied here.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AutogradError,
  autograd,
  inferenceMode,
  isGradEnabled,
  isInferenceModeEnabled,
  setGradEnabled,
  type Tensor,
  tensor,
} from "../../src/index.ts";

const vals = (t: Tensor | null) => [...(t as Tensor).dataSync()].map(Number);

describe("autograd.grad", () => {
  test("returns gradients without touching .grad; positional and options forms", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(x).sum(); // ∂/∂x Σx² = 2x
    const [g] = autograd.grad(y, x, null, true);
    assert.deepEqual(vals(g!), [2, 4]);
    assert.equal(x.grad, null);
    const [g2] = autograd.grad([y], [x], { gradOutputs: [tensor(3)] });
    assert.deepEqual(vals(g2!), [6, 12]);
  });

  test("non-leaf inputs and several outputs", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.mul(3); // a non-leaf
    const y1 = h.pow(2).sum(); // ∂/∂h = 2h = [6, 12]
    const y2 = h.sum(); // ∂/∂h = 1
    const [gh, gx] = autograd.grad([y1, y2], [h, x]);
    assert.deepEqual(vals(gh!), [7, 13]);
    assert.deepEqual(vals(gx!), [21, 39]); // 3·(2h + 1)
  });

  test("allowUnused gives null; otherwise PyTorch's error", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const z = tensor([3], { requiresGrad: true });
    const y = x.mul(x).sum();
    const r = autograd.grad(y, [x, z], { allowUnused: true, retainGraph: true });
    assert.equal(r[1], null);
    assert.throws(
      () => autograd.grad(y, [x, z]),
      (e: Error) =>
        e instanceof AutogradError && /appears to not have been used in the graph/.test(e.message),
    );
  });

  test("errors: input without grad, non-scalar without gradOutputs, shape mismatch, graph freed", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = x.mul(2);
    assert.throws(() => autograd.grad(y.sum(), [tensor([1])]), /does not require grad/);
    assert.throws(() => autograd.grad(y, [x]), /implicitly created only for scalar outputs/);
    assert.throws(
      () => autograd.grad(y, [x], [tensor([1, 2, 3])]),
      /Mismatch in shape: grad_output\[0\] has a shape of \[3\]/,
    );
    const s = x.exp().sum();
    autograd.grad(s, [x]);
    assert.throws(() => autograd.grad(s, [x]), /backward through the graph a second time/);
    assert.throws(() => autograd.grad(s, [x], { bogus: 1 } as never), /bogus/);
  });

  test("createGraph: a third derivative of x⁴", () => {
    const x = tensor([2], { requiresGrad: true });
    const y = x.pow(4).sum();
    const [g1] = autograd.grad(y, x, { createGraph: true }); // 4x³ = 32
    const [g2] = autograd.grad(g1!.sum(), x, { createGraph: true }); // 12x² = 48
    const [g3] = autograd.grad(g2!.sum(), x); // 24x = 48
    assert.deepEqual([vals(g1!), vals(g2!), vals(g3!)], [[32], [48], [48]]);
  });

  test("isGradsBatched: one gradient per row of the batched gradOutputs", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const y = x.mul(x); // Jacobian diag(2x): rows of the identity pick its rows
    const eye = tensor([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    const [j] = autograd.grad(y, x, { gradOutputs: eye, isGradsBatched: true });
    assert.deepEqual(vals(j!), [2, 0, 0, 0, 4, 0, 0, 0, 6]);
  });
});

describe("backward options", () => {
  test("createGraph keeps a differentiable .grad; inputs limits accumulation", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const w = tensor([3, 4], { requiresGrad: true });
    x.mul(x).mul(w).sum().backward({ createGraph: true }); // x.grad = 2xw = [6, 16]
    assert.deepEqual(vals(x.grad), [6, 16]);
    assert.ok(x.grad!.requiresGrad);
    const [gw] = autograd.grad(x.grad!.sum(), w); // ∂Σ2xw/∂w = 2x
    assert.deepEqual(vals(gw!), [2, 4]);
    const a = tensor([1, 2], { requiresGrad: true });
    const b = tensor([5, 6], { requiresGrad: true });
    a.mul(b).sum().backward(null, null, false, [a]);
    assert.deepEqual(vals(a.grad), [5, 6]);
    assert.equal(b.grad, null);
    assert.throws(() => a.mul(b).sum().backward({ inputs: [] }), /cannot be empty/);
  });
});

describe("grad mode scopes", () => {
  test("setGradEnabled as a function and as a scope", () => {
    const x = tensor([1], { requiresGrad: true });
    const y = setGradEnabled(false, () => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(isGradEnabled(), true);
    setGradEnabled(false);
    try {
      assert.equal(x.mul(2).requiresGrad, false);
      assert.equal(setGradEnabled(true, () => x.mul(2)).requiresGrad, true);
    } finally {
      setGradEnabled(true);
    }
    assert.throws(() => setGradEnabled("no" as never), /expected mode to be a boolean/);
  });

  test("inferenceMode records nothing and reports itself", () => {
    const x = tensor([1], { requiresGrad: true });
    const y = inferenceMode(() => {
      assert.equal(isInferenceModeEnabled(), true);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(isInferenceModeEnabled(), false);
    assert.equal(inferenceMode(false, () => x.mul(2)).requiresGrad, true);
    assert.throws(() => inferenceMode(1 as never), /inferenceMode: expected/);
  });
});

describe("anomaly detection", () => {
  test("names the node whose gradient has NaN and its forward op", () => {
    // d/da Σ(√a·0) at a = 0 is 0·∞ = NaN, produced by sqrt's backward (as PyTorch 1.13).
    autograd.detectAnomaly(() => {
      const a = tensor([0, 1], { requiresGrad: true });
      assert.throws(
        () => a.sqrt().mul(0).sum().backward(),
        (e: Error) =>
          e instanceof AutogradError &&
          e.message.startsWith("Function 'SqrtBackward0' returned nan values in its 0th output.") &&
          /forward op was 'Sqrt'/.test(e.message),
      );
    });
    assert.equal(autograd.isAnomalyEnabled(), false);
    // Outside anomaly mode the NaN goes through silently, as PyTorch.
    const a = tensor([0, 1], { requiresGrad: true });
    a.sqrt().mul(0).sum().backward();
    assert.ok(Number.isNaN(vals(a.grad)[0]!));
    autograd.setDetectAnomaly(true);
    try {
      const b = tensor([0], { requiresGrad: true });
      assert.throws(() => b.sqrt().mul(0).sum().backward(), /SqrtBackward0/);
    } finally {
      autograd.setDetectAnomaly(false);
    }
  });
});

describe("autograd.backward", () => {
  test("sums the gradients of several tensors into .grad", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    // ∂/∂x (Σx² + 3·Σx) = 2x + 3
    autograd.backward([x.mul(x).sum(), x.sum()], [null, tensor(3)]);
    assert.deepEqual(vals(x.grad), [5, 7]);
    assert.throws(
      () => autograd.backward(x.sum(), { gradTensors: [tensor(1)], gradVariables: [tensor(1)] }),
      /grad_variables/,
    );
  });
});

describe("autograd.functional options and errors", () => {
  const AF = autograd.functional;
  test("strict, createGraph, v and strategy", () => {
    const x = tensor([1, 2], { dtype: "float32" });
    const constant = (t: Tensor) => t.mul(0).detach().add(1);
    // Not strict: an output independent of the input has a zero Jacobian (as PyTorch).
    assert.deepEqual(vals(AF.jacobian(constant, x) as Tensor), [0, 0, 0, 0]);
    assert.throws(
      () => AF.jacobian(constant, x, { strict: true }),
      /does not depend on the input 0/,
    );
    // createGraph: the Jacobian of x² (diag 2x) stays differentiable.
    const xg = tensor([1, 2], { requiresGrad: true });
    const j = AF.jacobian((t: Tensor) => t.pow(2), xg, true) as Tensor;
    assert.ok(j.requiresGrad);
    const [d] = autograd.grad(j.sum(), xg); // ∂Σ diag(2x)/∂x = 2
    assert.deepEqual(vals(d!), [2, 2]);
    assert.throws(() => AF.vjp((t: Tensor) => t.mul(2), x), /v can only be None/);
    assert.throws(
      () => AF.jacobian((t: Tensor) => t, x, { strategy: "forward-mode" }),
      /forward-mode AD/,
    );
    assert.throws(() => AF.hessian((t: Tensor) => t.mul(2), x), /should contain a single element/);
  });
});

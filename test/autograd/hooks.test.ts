// Tensor.registerHook (leaf and non-leaf, replacement, remove) and Module hooks (forward pre,
// forward, full backward, full backward pre). Expected numbers are PyTorch 1.13's for the same
// code (run and copied) or derived in the comments.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AutogradError, nn, type Tensor, tensor } from "../../src/index.ts";

const vals = (t: Tensor | null) => [...(t as Tensor).dataSync()].map(Number);

describe("Tensor.registerHook", () => {
  test("leaf and non-leaf hooks; replacement; retained grad sees the hooked value", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const h = x.registerHook((g) => g.mul(10));
    x.mul(3).sum().backward();
    assert.deepEqual(vals(x.grad), [30, 30]); // PyTorch: tensor([30., 30.])
    x.grad = null;
    const y = x.mul(2);
    y.registerHook((g) => g.add(1));
    y.retainGrad();
    y.mul(y).sum().backward();
    assert.deepEqual(vals(y.grad), [5, 9]); // PyTorch: 2y + 1
    assert.deepEqual(vals(x.grad), [100, 180]); // PyTorch: 10·2·(2y + 1)
    h.remove();
    x.grad = null;
    x.mul(3).sum().backward();
    assert.deepEqual(vals(x.grad), [3, 3]);
  });

  test("a hook that returns nothing only observes; errors as PyTorch", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seen: number[][] = [];
    x.registerHook((g) => {
      seen.push(vals(g));
    });
    x.mul(4).sum().backward();
    assert.deepEqual(seen, [[4, 4]]);
    assert.deepEqual(vals(x.grad), [4, 4]);
    assert.throws(
      () => tensor([1]).registerHook((g) => g),
      (e: Error) => e instanceof AutogradError && /doesn't require gradient/.test(e.message),
    );
    const z = tensor([1, 2], { requiresGrad: true });
    z.registerHook(() => tensor([1, 2, 3]));
    assert.throws(() => z.mul(2).sum().backward(), /hook returned a gradient of shape \[3\]/);
  });
});

describe("Module hooks", () => {
  test("forward pre-hook and forward hook replace arguments and output", () => {
    const lin = new nn.Linear(2, 1, { bias: false });
    lin.weight.data.copy_(tensor([[1, 1]]));
    const pre = lin.registerForwardPreHook((_m, args) => [(args[0] as Tensor).mul(2)]);
    const post = lin.registerForwardHook((_m, _args, out) => (out as Tensor).add(1));
    assert.deepEqual(vals(lin.call(tensor([[1, 2]], { dtype: "float32" }))), [7]); // (2 + 4) + 1
    pre.remove();
    post.remove();
    assert.deepEqual(vals(lin.call(tensor([[1, 2]], { dtype: "float32" }))), [3]);
  });

  test("full backward pre-hook replaces gradOutput; gradInput null for inputs without grad", () => {
    const lin = new nn.Linear(2, 1, { bias: false });
    lin.weight.data.copy_(tensor([[3, 4]]));
    let gradInput: (Tensor | null)[] = [];
    let gradOutput: (Tensor | null)[] = [];
    lin.registerFullBackwardPreHook((_m, go) => [go[0]!.mul(10)]);
    lin.registerFullBackwardHook((_m, gi, go) => {
      gradInput = gi;
      gradOutput = go;
    });
    lin
      .call(tensor([[1, 2]], { dtype: "float32" }))
      .sum()
      .backward();
    // No input requires grad: the hook runs with gradInput [null] (as PyTorch).
    assert.deepEqual(gradInput, [null]);
    assert.deepEqual(vals(gradOutput[0]!), [10]);
    // ∂/∂W of Σ(Wx)·10 = 10·x
    assert.deepEqual(vals(lin.weight.grad), [10, 20]);
    const x = tensor([[1, 2]], { requiresGrad: true });
    lin.weight.grad = null;
    lin.call(x).sum().backward();
    assert.deepEqual(vals(gradInput[0]!), [30, 40]); // 10·W
    assert.deepEqual(vals(x.grad), [30, 40]);
  });

  test("a backward hook returning the wrong number of gradients is an error", () => {
    const lin = new nn.Linear(2, 1);
    lin.registerFullBackwardHook(() => [null, null]);
    const x = tensor([[1, 2]], { requiresGrad: true });
    assert.throws(() => lin.call(x).sum().backward(), /invalid number of grad_input/);
  });
});

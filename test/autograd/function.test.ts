// Custom autograd.Function: ctx (saved tensors, needsInputGrad, markDirty,
// markNonDifferentiable, setMaterializeGrads), several outputs, double backward through a
// user's backward, and PyTorch 1.13's errors (messages copied from running PyTorch).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AutogradError, autograd, type Tensor, tensor } from "../../src/index.ts";

const vals = (t: Tensor | null) => [...(t as Tensor).dataSync()].map(Number);
type Ctx = autograd.FunctionCtx;

class Cube extends autograd.Function {
  static override forward(ctx: Ctx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.pow(3);
  }
  static override backward(ctx: Ctx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x!.pow(2)).mul(3);
  }
}

describe("autograd.Function", () => {
  test("forward, saved tensors, backward; grad_fn named <Name>Backward", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = Cube.apply(x);
    assert.equal(y.gradFn?.name, "CubeBackward");
    y.sum().backward(); // 3x²
    assert.deepEqual(vals(x.grad), [3, 12]);
    assert.throws(() => y.sum().backward(), /second time/);
  });

  test("double backward through a backward written in Tensor ops", () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const [g] = autograd.grad(Cube.apply(x).sum(), x, { createGraph: true });
    const [h] = autograd.grad(g!.sum(), x); // 6x
    assert.deepEqual(vals(h!), [6, 12]);
  });

  test("needsInputGrad, non-tensor arguments, and a gradient per argument", () => {
    let needs: readonly boolean[] = [];
    class Scale extends autograd.Function {
      static override forward(ctx: Ctx, x: Tensor, k: number, y: Tensor): Tensor {
        needs = ctx.needsInputGrad;
        ctx.k = k;
        return x.mul(k).add(y);
      }
      static override backward(ctx: Ctx, g: Tensor): (Tensor | null)[] {
        return [g.mul(ctx.k as number), null, g];
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([0, 0]);
    Scale.apply(x, 5, y).sum().backward();
    assert.deepEqual(needs, [true, false, false]);
    assert.deepEqual(vals(x.grad), [5, 5]);
  });

  test("several outputs: one backward with all gradients, zeros for unused ones", () => {
    let second: Tensor | null = null;
    class Two extends autograd.Function {
      static override forward(_ctx: Ctx, a: Tensor): Tensor[] {
        return [a.mul(2), a.mul(3)];
      }
      static override backward(_ctx: Ctx, g1: Tensor, g2: Tensor): Tensor {
        second = g2;
        return g1.mul(2).add(g2.mul(3));
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const [o1, o2] = Two.apply(x);
    o1!.sum().backward(); // PyTorch: g2 = zeros, x.grad = [2, 2]... ×? see next line
    assert.deepEqual(vals(second), [0, 0]);
    assert.deepEqual(vals(x.grad), [2, 2]);
    x.grad = null;
    const [p1, p2] = Two.apply(x);
    p1!.sum().add(p2!.mul(2).sum()).backward(); // 2 + 3·2
    assert.deepEqual(vals(x.grad), [8, 8]);
    void o2;
  });

  test("setMaterializeGrads(false) passes null for outputs without a gradient", () => {
    let second: unknown = "unset";
    class Two extends autograd.Function {
      static override forward(ctx: Ctx, a: Tensor): Tensor[] {
        ctx.setMaterializeGrads(false);
        return [a.mul(2), a.mul(3)];
      }
      static override backward(_ctx: Ctx, g1: Tensor, g2: Tensor | null): Tensor {
        second = g2;
        return g1.mul(2);
      }
    }
    const x = tensor([1], { requiresGrad: true });
    Two.apply(x)[0]!.sum().backward();
    assert.equal(second, null);
  });

  test("markNonDifferentiable and markDirty", () => {
    class ArgMaxAndValue extends autograd.Function {
      static override forward(ctx: Ctx, x: Tensor): Tensor[] {
        const idx = x.argmax().to("float32");
        ctx.markNonDifferentiable(idx);
        ctx.saveForBackward(x);
        return [x.max(), idx];
      }
      static override backward(ctx: Ctx, g: Tensor, gIdx: Tensor): Tensor {
        assert.deepEqual(vals(gIdx), [0]); // materialized zeros for the non-differentiable output
        const [x] = ctx.savedTensors;
        return x!.eq(x!.max()).to("float32").mul(g);
      }
    }
    const x = tensor([1, 5, 2], { requiresGrad: true });
    const [v, i] = ArgMaxAndValue.apply(x);
    assert.equal(i!.requiresGrad, false);
    v!.backward();
    assert.deepEqual(vals(x.grad), [0, 1, 0]);

    class AddOne_ extends autograd.Function {
      static override forward(ctx: Ctx, x: Tensor): Tensor {
        x.add_(1);
        ctx.markDirty(x);
        return x;
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    const leaf = tensor([1, 2], { requiresGrad: true });
    const h = leaf.mul(2);
    const r = AddOne_.apply(h);
    assert.equal(r, h);
    assert.equal(h.gradFn?.name, "AddOne_Backward");
    r.sum().backward();
    assert.deepEqual(vals(leaf.grad), [2, 2]);
    assert.throws(() => AddOne_.apply(leaf), /leaf Variable that requires grad/);
  });

  test("PyTorch's errors for what backward returns", () => {
    class F1 extends autograd.Function {
      static override forward(_ctx: Ctx, a: Tensor, b: Tensor): Tensor {
        return a.mul(b);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g;
      }
    }
    class F2 extends autograd.Function {
      static override forward(_ctx: Ctx, a: Tensor): Tensor {
        return a.mul(2);
      }
      static override backward(_ctx: Ctx, g: Tensor): Tensor {
        return g.narrow(0, 0, 1);
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    assert.throws(
      () => F1.apply(x, x).sum().backward(),
      (e: Error) =>
        e instanceof AutogradError &&
        e.message ===
          "function F1Backward returned an incorrect number of gradients (expected 2, got 1)",
    );
    assert.throws(
      () => F2.apply(x).sum().backward(),
      /Function F2Backward returned an invalid gradient at index 0 - got \[1\] but expected shape compatible with \[2\]/,
    );
  });

  test("a backward that leaves autograd's sight fails loudly when differentiated again", () => {
    class Opaque extends autograd.Function {
      static override forward(ctx: Ctx, x: Tensor): Tensor {
        ctx.saveForBackward(x);
        return x.pow(2);
      }
      static override backward(ctx: Ctx, g: Tensor): Tensor {
        const [x] = ctx.savedTensors;
        return g.detach().mul(x!.detach()).mul(2); // once-differentiable on purpose
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    // The gradient reaching Opaque (x, from the product) carries a graph, so its backward's
    // detached result is caught. (PyTorch would silently drop that term, as @once_differentiable
    // warns; Kiln raises once anything differentiates through it.)
    const [g] = autograd.grad(Opaque.apply(x).mul(x).sum(), x, { createGraph: true });
    assert.throws(
      () => autograd.grad(g!.sum(), x),
      /the derivative of Opaque's backward is not implemented/,
    );
  });
});

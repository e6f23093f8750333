// Autograd semantics: accumulation into .grad, retainGrad, detach, requiresGrad_, isLeaf,
// gradFn names (PyTorch's, from tools/golden/core.py), grad mode, broadcast gradients, and the
// errors PyTorch raises for freed graphs, modified saved tensors, in-place on leaves and
// non-scalar backward without a gradient.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { record } from "../../src/tensor/autograd.ts";
import { fixture } from "./helpers.ts";
import {
  AutogradError,
  cat,
  enableGrad,
  isGradEnabled,
  matmul,
  noGrad,
  stack,
  type Tensor,
  tensor,
  where,
} from "./kiln.ts";

const f64 = (data: number[] | number[][], requiresGrad = true) =>
  tensor(data, { dtype: "float64", requiresGrad });

describe("autograd semantics", () => {
  test("gradients accumulate into .grad across backward calls", () => {
    // d(sum(2x))/dx = 2 per call, so two calls give 4 (hand-derived).
    const x = f64([1, 2, 3]);
    x.mul(2).sum().backward();
    x.mul(2).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [4, 4, 4]);
  });

  test("a tensor used twice receives both contributions", () => {
    // d(x·x)/dx = 2x.
    const x = f64([1, -2]);
    x.mul(x).sum().backward();
    assert.deepEqual(x.grad!.toArray(), [2, -4]);
  });

  test("retainGrad keeps the gradient of a non-leaf; others stay null", () => {
    const x = f64([1, 2]);
    const y = x.mul(3);
    const z = y.mul(y);
    y.retainGrad();
    z.sum().backward();
    // dz/dy = 2y = [6, 12]; dz/dx = 6y = [18, 36].
    assert.deepEqual(y.grad!.toArray(), [6, 12]);
    assert.deepEqual(x.grad!.toArray(), [18, 36]);
    assert.equal(z.grad, null);
  });

  test("isLeaf, requiresGrad and detach", () => {
    const x = f64([1, 2]);
    const y = x.mul(2);
    assert.equal(x.isLeaf, true);
    assert.equal(y.isLeaf, false);
    assert.equal(y.requiresGrad, true);
    const d = y.detach();
    assert.equal(d.isLeaf, true);
    assert.equal(d.requiresGrad, false);
    assert.equal(d.gradFn, null);
    // detach shares memory: a write through the detached tensor is seen by y.
    d.fill_(7);
    assert.deepEqual(y.toArray(), [7, 7]);
    const plain = tensor([1, 2]);
    assert.equal(plain.isLeaf, true);
    assert.equal(plain.requiresGrad, false);
  });

  test("requiresGrad_ turns a leaf on and off; ints cannot require grad", () => {
    const x = tensor([1.5, 2]);
    assert.equal(x.requiresGrad_(), x);
    assert.equal(x.requiresGrad, true);
    x.requiresGrad_(false);
    assert.equal(x.requiresGrad, false);
    assert.throws(() => tensor([1, 2]).requiresGrad_(true), /floating point/);
    const y = f64([1]).mul(2);
    assert.throws(() => y.requiresGrad_(false), /only change requires_grad flags of leaf/);
  });

  test("gradFn names match PyTorch's", () => {
    const names = fixture<Record<string, string>>("grad-fn");
    const a = tensor([0.5, -1.5, 2], { requiresGrad: true });
    const row = a.reshape(1, 3);
    const kiln: Record<string, Tensor> = {
      AddBackward0: a.add(a),
      addScalar: a.add(1),
      mulScalar: a.mul(2),
      powScalar: a.pow(2),
      powTensor: a.abs().pow(a),
      indexMask: a.index(a.gt(0)),
      select: a.index(0),
      slice: a.index({ kind: "slice", start: 1, stop: null, step: null }),
      unsqueezeNone: a.index(null),
      where: where(a.gt(0), a, a),
      sumAll: a.sum(),
      sumDim: a.sum(0),
      meanAll: a.mean(),
      maxAll: a.max(),
      maxDim: a.max(0).values,
      expand: a.unsqueeze(0).expand(2, 3),
      permute: row.permute(1, 0),
      transpose: row.transpose(0, 1),
      t: row.t(),
      view: a.view(3, 1),
      cat: cat([a, a]),
      stack: stack([a, a]),
      flip: a.flip(0),
      repeat: a.repeat(2),
      clone: a.clone(),
      toDouble: a.double(),
      cumsum: a.cumsum(0),
      gather: a.gather(0, tensor([0])),
      indexSelect: a.indexSelect(0, tensor([0])),
      maskedFill: a.maskedFill(a.gt(0), 0),
      maskedSelect: a.maskedSelect(a.gt(0)),
      dot: matmul(a, a),
      mm: matmul(row, a.reshape(3, 1)),
      mv: matmul(row, a),
      var: a.var(),
      std: a.std(),
      logsumexp: a.logsumexp(0),
      clampScalar: a.clamp(0, 1),
      squeeze: row.squeeze(),
      squeezeDim: row.squeeze(0),
      neg: a.neg(),
      sigmoid: a.sigmoid(),
      relu: a.relu(),
      div: a.div(2),
      sub: a.sub(a),
    };
    const wrong: string[] = [];
    for (const [key, expected] of Object.entries(names)) {
      const got = kiln[key]?.gradFn?.name;
      if (got !== expected) wrong.push(`${key}: ${got} (PyTorch ${expected})`);
    }
    assert.deepEqual(wrong, []);
  });

  test("noGrad and enableGrad", () => {
    const x = f64([1, 2]);
    const y = noGrad(() => x.mul(2));
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.equal(isGradEnabled(), true);
    const z = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return enableGrad(() => x.mul(2));
    });
    assert.equal(z.requiresGrad, true);
    // Grad mode is restored even when the callback throws.
    assert.throws(() =>
      noGrad(() => {
        throw new Error("boom");
      }),
    );
    assert.equal(isGradEnabled(), true);
  });

  test("broadcast gradients are reduced to each input's shape", () => {
    // a [2,1] + b [3] → [2,3]; d/da = 3 per row, d/db = 2 per column (hand-derived).
    const a = f64([[1], [2]]);
    const b = f64([1, 2, 3]);
    const s = tensor(2.5, { dtype: "float64", requiresGrad: true });
    a.add(b).mul(s).sum().backward();
    assert.deepEqual(a.grad!.toArray(), [[7.5], [7.5]]);
    assert.deepEqual(b.grad!.toArray(), [5, 5, 5]);
    // d/ds = Σ(a + b) = 2·6 + 3·3 = 21.
    assert.deepEqual(s.grad!.toArray(), 21);
    assert.deepEqual(s.grad!.shape, []);
  });

  test("backward with an explicit gradient; non-scalar without one throws", () => {
    const x = f64([1, 2]);
    const y = x.mul(3);
    assert.throws(
      () => y.backward(),
      (e: Error) =>
        e instanceof AutogradError &&
        /grad can be implicitly created only for scalar outputs/.test(e.message),
    );
    y.backward(tensor([1, 10], { dtype: "float64" }));
    assert.deepEqual(x.grad!.toArray(), [3, 30]);
  });

  test("backward twice without retainGraph throws; with it, accumulates", () => {
    const msg = fixture<Record<string, string>>("errors").backwardTwice!;
    const x = f64([1, 2]);
    const y = x.mul(2).exp().sum();
    y.backward(undefined, { retainGraph: true });
    y.backward();
    assert.throws(
      () => y.backward(),
      (e: Error) => e instanceof AutogradError && e.message.includes(msg.slice(0, 60)),
    );
    // d exp(2x)/dx = 2 exp(2x), twice.
    const expected = [1, 2].map((v) => 4 * Math.exp(2 * v));
    (x.grad!.toArray() as number[]).forEach((g, i) => {
      assert.ok(Math.abs(g - expected[i]!) < 1e-9 * expected[i]!);
    });
  });

  test("modifying a saved tensor in place breaks backward (version counter)", () => {
    const x = f64([1, 2]);
    const y = x.mul(1);
    const z = y.sin();
    y.add_(1);
    assert.throws(() => z.sum().backward(), /modified by an inplace operation/);
    // exp saves its output, not its input, so PyTorch (and Kiln) allow this one.
    const x2 = f64([1, 2]);
    const y2 = x2.mul(1);
    const z2 = y2.exp();
    y2.add_(1);
    z2.sum().backward();
    assert.ok(Math.abs((x2.grad!.toArray() as number[])[0]! - Math.E) < 1e-12);
  });

  test("in-place ops on non-leaf tensors work when nothing saved is overwritten", () => {
    // PyTorch: y = x*2; y.add_(1); y.mul_(3); y.sqrt_() ... backward works.
    const x = f64([1, 2]);
    const y = x.mul(2);
    y.add_(1);
    y.mul_(3);
    y.sub_(1, { alpha: 2 });
    y.sum().backward();
    // y = 3(2x + 1) - 2, dy/dx = 6.
    assert.deepEqual(x.grad!.toArray(), [6, 6]);
    const x2 = f64([4, 9]);
    const r = x2.mul(1);
    r.sqrt_();
    r.sum().backward();
    // d sqrt(x)/dx = 1 / (2 sqrt x) = [0.25, 1/6].
    assert.ok(Math.abs((x2.grad!.toArray() as number[])[1]! - 1 / 6) < 1e-12);
  });

  test("a node's onRelease runs once, when backward frees the graph", () => {
    let released = 0;
    const x = f64([1, 2]);
    const y = record(
      x.mul(1),
      "TestBackward0",
      [x],
      (g) => [g],
      [],
      () => released++,
    );
    const s = y.sum();
    s.backward(undefined, { retainGraph: true });
    assert.equal(released, 0, "a retained graph keeps its buffers");
    s.backward();
    assert.equal(released, 1);
    assert.deepEqual(x.grad!.toArray(), [2, 2]);
  });

  test("relu_ writes in place and saves its result, as PyTorch's", () => {
    // PyTorch: y = x*2; z = y.relu_() → z is y, ReluBackward0 after MulBackward0, version 1,
    // x.grad = 2·[2x > 0]; a later in-place write to y breaks backward.
    const x = f64([-1, 2]);
    const y = x.mul(2);
    const z = y.relu_();
    assert.equal(z, y);
    assert.deepEqual(y.toArray(), [0, 4]);
    assert.equal(y.gradFn!.name, "ReluBackward0");
    assert.equal(y.gradFn!.next[0]!.name, "MulBackward0");
    assert.equal(y.version, 1);
    y.sum().backward();
    assert.deepEqual(x.grad!.toArray(), [0, 2]);
    const y2 = x.mul(2);
    y2.relu_();
    y2.add_(1);
    assert.throws(() => y2.sum().backward(), /modified by an inplace operation/);
  });

  test("in-place op on a leaf that requires grad throws, but is allowed under noGrad", () => {
    const msg = fixture<Record<string, string>>("errors").inplaceLeaf!;
    const x = f64([1, 2]);
    assert.throws(
      () => x.add_(1),
      (e: Error) => e instanceof AutogradError && e.message.includes(msg),
    );
    noGrad(() => x.add_(1));
    assert.deepEqual(x.toArray(), [2, 3]);
  });

  test("the in-place forms write into their receiver", () => {
    // Hand-derived: [4, 9] / 2 = [2, 4.5]; clamp_ to [0, 3] gives [2, 3]; copy_ broadcasts.
    const x = f64([4, 9], false);
    assert.equal(x.div_(2), x);
    assert.deepEqual(x.toArray(), [2, 4.5]);
    x.clamp_(0, 3);
    assert.deepEqual(x.toArray(), [2, 3]);
    x.copy_(tensor([7]));
    assert.deepEqual(x.toArray(), [7, 7]);
    x.zero_();
    assert.deepEqual(x.toArray(), [0, 0]);
    // Writes through a view reach the base.
    const m = f64(
      [
        [1, 2],
        [3, 4],
      ],
      false,
    );
    m.index(1).fill_(-1);
    assert.deepEqual(m.toArray(), [
      [1, 2],
      [-1, -1],
    ]);
    // clamp_ on a non-leaf keeps the graph: d clamp(2x, 0, 3)/dx = 2 inside, 0 outside.
    const w = f64([1, 2]);
    const y = w.mul(2);
    y.clamp_(0, 3);
    y.sum().backward();
    assert.deepEqual(w.grad!.toArray(), [2, 0]);
  });

  test("backward on a tensor that does not require grad throws", () => {
    assert.throws(() => tensor([1.5]).sum().backward(), /does not require grad/);
  });

  test("earlier uses of a tensor keep the history they saw when it is later changed in place", () => {
    // a = 2x, b = exp(a), then a *= 3. loss = sum(b) + sum(a) = Σ exp(2x) + Σ 6x, so
    // d loss/dx = 2·exp(2x) + 6 (PyTorch agrees: x = [0.5, 1] gives [11.4366, 20.7781]).
    const x = f64([0.5, 1]);
    const a = x.mul(2);
    const b = a.exp();
    a.mul_(3);
    b.sum().add(a.sum()).backward();
    const g = x.grad!.toArray() as number[];
    for (const [i, v] of [0.5, 1].entries()) {
      assert.ok(Math.abs(g[i]! - (2 * Math.exp(2 * v) + 6)) < 1e-12);
    }
  });
});

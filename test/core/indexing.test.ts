// Indexing goldens: t.index(...) with ints, slices, None, Ellipsis, index arrays and tensors,
// bool masks (PyTorch's placement of advanced indices included), indexPut_ with and without
// accumulate, and the gradients that flow back through them; then the masked ops.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertTensor, dec, type Enc, fixture } from "./helpers.ts";
import { type Subscript, slice, type Tensor, tensor, where } from "./kiln.ts";

type Sub =
  | { k: "int"; v: number }
  | { k: "slice"; start: number | null; stop: number | null; step: number | null }
  | { k: "none" }
  | { k: "ellipsis" }
  | { k: "list"; v: number[] | boolean[] }
  | { k: "tensor"; v: Enc };

function toSub(s: Sub): Subscript {
  switch (s.k) {
    case "int":
      return s.v;
    case "slice":
      return slice(s.start, s.stop, s.step);
    case "none":
      return null;
    case "ellipsis":
      return "...";
    case "list":
      return s.v;
    case "tensor":
      return dec(s.v);
  }
}

function describeSubs(subs: Sub[]): string {
  return subs
    .map((s) => {
      if (s.k === "int") return String(s.v);
      if (s.k === "slice")
        return `${s.start ?? ""}:${s.stop ?? ""}${s.step === null ? "" : `:${s.step}`}`;
      if (s.k === "none") return "None";
      if (s.k === "ellipsis") return "...";
      if (s.k === "list") return JSON.stringify(s.v);
      return `${s.v.dtype}[${s.v.shape}]`;
    })
    .join(", ");
}

interface IndexCase {
  input: Enc;
  subs: Sub[];
  out: Enc;
  gradOutput: Enc;
  grad: Enc;
  gradFn: string;
}

interface IndexPutCase {
  input: Enc;
  subs: Sub[];
  values: Enc | { scalar: number };
  accumulate: boolean;
  out: Enc;
  gradOutput: Enc;
  grads: Enc[];
}

describe("t.index(...) against PyTorch's t[...]", () => {
  for (const c of fixture<IndexCase[]>("index")) {
    const name = `x${JSON.stringify(c.input.shape)}[${describeSubs(c.subs)}]`;
    test(name, () => {
      const x = dec(c.input).requiresGrad_(true);
      const y = x.index(...c.subs.map(toSub));
      assertTensor(y, c.out, name);
      // NOTE: x[True] / x[False] are views in Kiln (UnsqueezeBackward0, SliceBackward0) where
      // PyTorch runs advanced indexing (IndexBackward0); values and gradients agree.
      const zeroDimMask = c.subs.some(
        (s) => s.k === "tensor" && s.v.dtype === "bool" && s.v.shape.length === 0,
      );
      if (!zeroDimMask) assert.equal(y.gradFn?.name, c.gradFn, `${name}: gradFn`);
      y.backward(dec(c.gradOutput));
      assert.ok(x.grad !== null);
      assertTensor(x.grad, c.grad, `${name}: grad`);
    });
  }
});

describe("indexPut_ against PyTorch's index_put_ / t[...] = v", () => {
  for (const c of fixture<IndexPutCase[]>("index-put")) {
    const v = "scalar" in c.values ? `${c.values.scalar}` : `[${c.values.shape}]`;
    const name = `x[${describeSubs(c.subs)}] ${c.accumulate ? "+=" : "="} ${v}`;
    test(name, () => {
      // Without grad: straight into a fresh tensor.
      const plain = dec(c.input);
      const values = "scalar" in c.values ? c.values.scalar : dec(c.values);
      const r = plain.indexPut_(c.subs.map(toSub), values, { accumulate: c.accumulate });
      assert.equal(r, plain, "indexPut_ returns its receiver");
      assertTensor(plain, c.out, name);
      // With grad: into a non-leaf clone; gradients reach the input and the values.
      const x = dec(c.input).requiresGrad_(true);
      const vals = "scalar" in c.values ? c.values.scalar : dec(c.values).requiresGrad_(true);
      const y = x.clone();
      y.indexPut_(c.subs.map(toSub), vals, { accumulate: c.accumulate });
      assertTensor(y, c.out, `${name} (recorded)`);
      y.backward(dec(c.gradOutput));
      assertTensor(x.grad!, c.grads[0]!, `${name}: grad of input`);
      if (typeof vals !== "number")
        assertTensor(vals.grad!, c.grads[1]!, `${name}: grad of values`);
    });
  }
});

describe("masks", () => {
  test("mask.sum() counts trues as an int32 tensor", () => {
    // torch.tensor([True, False, True, True]).sum() is tensor(3) (int64 there).
    const s = tensor([true, false, true, true]).sum();
    assert.equal(s.dtype, "int32");
    assert.equal(s.item(), 3);
  });

  test("any / all on bool masks", () => {
    const m = tensor([
      [true, false],
      [false, false],
    ]);
    assert.equal(m.any().item(), true);
    assert.equal(m.all().item(), false);
    assert.deepEqual(m.any(1).toArray(), [true, false]);
    assert.deepEqual(m.logicalNot().all(0, { keepDim: true }).toArray(), [[false, true]]);
  });

  test("the seed's metrics code: masks from comparisons select rows of a metrics tensor", () => {
    // metrics_t[METRICS_PRED_NDX, posLabel_mask] with labels [1, 0, 1]: hand-derived.
    const labels = tensor([1, 0, 1]);
    const metrics = tensor([
      [1, 0, 1],
      [0.9, 0.2, 0.4],
    ]);
    const posMask = labels.eq(1);
    assert.deepEqual(metrics.index(1, posMask).toArray(), [
      metrics.index(1, 0).item(),
      metrics.index(1, 2).item(),
    ]);
    const posCorrect = metrics.index(1, posMask).gt(0.5).sum();
    assert.equal(posCorrect.dtype, "int32");
    assert.equal(posCorrect.item(), 1);
  });

  test("gradient through where goes to the chosen side", () => {
    // d/da sum(where(c, a, b)) = c, d/db = !c (hand-derived).
    const c = tensor([true, false, true]);
    const a = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const b = tensor([4, 5, 6], { dtype: "float64", requiresGrad: true });
    where(c, a, b).sum().backward();
    assert.deepEqual(a.grad!.toArray(), [1, 0, 1]);
    assert.deepEqual(b.grad!.toArray(), [0, 1, 0]);
  });

  test("gradient through index(mask) scatters into the masked positions", () => {
    // y = x[x > 0] * [1, 2]; dy/dx is [1, 0, 2] at the positive entries (hand-derived).
    const x = tensor([1.5, -1, 2], { dtype: "float64", requiresGrad: true });
    const y = x.index(x.gt(0)).mul(tensor([1, 2], { dtype: "float64" }));
    y.sum().backward();
    assert.deepEqual((x.grad as Tensor).toArray(), [1, 0, 2]);
  });

  test("maskedFill_ writes in place and bumps the version", () => {
    const x = tensor([1, 2, 3]);
    const v = x.version;
    x.maskedFill_(x.gt(1), -1);
    assert.deepEqual(x.toArray(), [1, -1, -1]);
    assert.ok(x.version > v);
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultCollate } from "../../src/data/index.ts";
import { type Tensor, tensor } from "../../src/index.ts";

// Expected values follow torch.utils.data.default_collate (PyTorch 1.13), hand-derived:
// default_collate([(t0, 1), (t1, 2)]) == [stack([t0, t1]), tensor([1, 2])].

test("defaultCollate stacks tensors and turns integers into int32, other numbers into float32", () => {
  const a = tensor(
    [
      [1, 2],
      [3, 4],
    ],
    { dtype: "float32" },
  );
  const b = tensor(
    [
      [5, 6],
      [7, 8],
    ],
    { dtype: "float32" },
  );
  const samples: [Tensor, number, number][] = [
    [a, 1, 0.5],
    [b, 2, 1],
  ];
  const [x, y, z] = defaultCollate(samples);
  assert.deepEqual(x.shape, [2, 2, 2]);
  assert.deepEqual(x.toArray(), [a.toArray(), b.toArray()]);
  assert.equal(y.dtype, "int32");
  assert.deepEqual(y.toArray(), [1, 2]);
  assert.equal(z.dtype, "float32");
  assert.deepEqual(z.toArray(), [0.5, 1]);
});

test("defaultCollate recurses into plain objects, keeps strings as lists, bools as bool tensors", () => {
  const out = defaultCollate([
    { img: tensor([1, 2]), meta: { name: "a", ok: true } },
    { img: tensor([3, 4]), meta: { name: "b", ok: false } },
  ]);
  assert.deepEqual(out.img.toArray(), [
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(out.meta.name, ["a", "b"]);
  assert.equal(out.meta.ok.dtype, "bool");
  assert.deepEqual(out.meta.ok.toArray(), [true, false]);
});

test("defaultCollate stacks strided views and keeps gradients flowing", () => {
  const base = tensor(
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
    { dtype: "float32" },
  );
  const cols = [base.t().index(0), base.t().index(1)]; // strided views [1, 4] and [2, 5]
  assert.deepEqual(defaultCollate(cols).toArray(), [
    [1, 4],
    [2, 5],
  ]);
  const w = tensor([1, 2], { dtype: "float32", requiresGrad: true });
  const s = defaultCollate([w, w.mul(2)]);
  s.sum().backward();
  assert.deepEqual(w.grad?.toArray(), [3, 3]);
});

test("defaultCollate rejects ragged lists and unsupported values like PyTorch", () => {
  assert.throws(
    () => defaultCollate([[1, 2], [3]]),
    /each element in list of batch should be of equal size/,
  );
  assert.throws(() => defaultCollate([null, null]), /found null/);
  assert.throws(() => defaultCollate([]), /empty batch/);
});

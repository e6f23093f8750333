// defaultCollate of nested structures, as torch.utils.data.default_collate: dicts of tuples of
// dicts, lists of strings, numbers and booleans at depth, typed arrays in numpy arrays' part, and
// PyTorch's errors for ragged input. Expected batches are derived by hand from default_collate's
// rules (stack tensors on a new dim 0, transpose sequences, collate mapping values per key).

import "../../src/index.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { DataLoader, defaultCollate } from "../../src/data/index.ts";
import { type Tensor, tensor } from "../../src/index.ts";

const vals = (t: unknown): number[] => [...(t as Tensor).dataSync()].map(Number);

test("defaultCollate: dict → tuple → dict nesting, strings kept, numbers and booleans batched", () => {
  const samples = [0, 1, 2].map((i) => ({
    image: tensor([i, i + 0.5]),
    meta: [{ id: i, name: `s${i}` }, i % 2 === 0, [i * 1.5, `t${i}`]] as const,
  }));
  const b = defaultCollate(samples);
  assert.deepEqual([...b.image.shape], [3, 2]);
  assert.deepEqual(vals(b.image), [0, 0.5, 1, 1.5, 2, 2.5]);
  const [m0, m1, m2] = b.meta;
  assert.equal(m0.id.dtype, "int32");
  assert.deepEqual(vals(m0.id), [0, 1, 2]);
  assert.deepEqual(m0.name, ["s0", "s1", "s2"]);
  assert.equal(m1.dtype, "bool");
  assert.deepEqual(vals(m1), [1, 0, 1]);
  assert.equal(m2[0].dtype, "float32");
  assert.deepEqual(vals(m2[0]), [0, 1.5, 3]);
  assert.deepEqual(m2[1], ["t0", "t1", "t2"]);
});

test("defaultCollate: typed arrays stack into a tensor of their dtype", () => {
  const f = defaultCollate([Float32Array.of(1, 2), Float32Array.of(3, 4)]);
  assert.equal(f.dtype, "float32");
  assert.deepEqual([...f.shape], [2, 2]);
  assert.deepEqual(vals(f), [1, 2, 3, 4]);
  const d = defaultCollate([{ x: Float64Array.of(0.1) }, { x: Float64Array.of(0.2) }]);
  assert.equal((d.x as Tensor).dtype, "float64");
  const n = defaultCollate([Int32Array.of(7), Int32Array.of(8)]) as Tensor;
  assert.equal(n.dtype, "int32");
  assert.deepEqual(vals(n), [7, 8]);
  assert.throws(
    () => defaultCollate([Float32Array.of(1), Int32Array.of(1)] as never),
    /mixes Float32Arrays/,
  );
});

test("defaultCollate: ragged input fails as PyTorch's", () => {
  assert.throws(
    () => defaultCollate([[1, 2], [3]]),
    /each element in list of batch should be of equal size/,
  );
  assert.throws(
    () => defaultCollate([{ a: 1, b: 2 }, { a: 3 }] as never),
    (e: unknown) =>
      e instanceof ValueError && /sample 1 of the batch has no key "b"/.test(e.message),
  );
  assert.throws(() => defaultCollate([tensor([1, 2]), tensor([1, 2, 3])]));
  assert.throws(() => defaultCollate(["a", 1] as never), /mixes strings/);
  assert.throws(() => defaultCollate([null] as never), /found null/);
  assert.throws(() => defaultCollate([]), /empty batch/);
});

test("DataLoader batches a dataset of nested samples with defaultCollate", () => {
  const ds = {
    length: 5,
    get: (i: number) => ({ x: tensor([i, -i]), y: [i, `n${i}`] as [number, string] }),
  };
  const batches = [...new DataLoader(ds, { batchSize: 2 })];
  assert.equal(batches.length, 3);
  assert.deepEqual(vals(batches[1]!.x), [2, -2, 3, -3]);
  assert.deepEqual(vals(batches[2]!.y[0]), [4]);
  assert.deepEqual(batches[0]!.y[1], ["n0", "n1"]);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ConcatDataset, randomSplit, Subset, TensorDataset } from "../../src/data/index.ts";
import { arange, Generator } from "../../src/index.ts";
import { RangeDataset } from "./fixtures/datasets.ts";

test("TensorDataset rows, getBatch equals collated rows, size mismatch", () => {
  const x = arange(12).reshape(4, 3).float();
  const y = arange(4);
  const ds = new TensorDataset(x, y);
  assert.equal(ds.length, 4);
  const [xi, yi] = ds.get(2);
  assert.deepEqual(xi.toArray(), [6, 7, 8]);
  assert.equal(yi.item(), 2);
  const [xb, yb] = ds.getBatch([3, 0, 3]);
  assert.deepEqual(xb.toArray(), [
    [9, 10, 11],
    [0, 1, 2],
    [9, 10, 11],
  ]);
  assert.deepEqual(yb.toArray(), [3, 0, 3]);
  assert.deepEqual(ds.get(-1)[1].item(), 3);
  assert.throws(() => ds.get(4), /index 4 is out of range for a dataset of length 4/);
  assert.throws(() => new TensorDataset(x, arange(3)), /Size mismatch between tensors/);
});

test("Subset and ConcatDataset index like PyTorch's", () => {
  const a = new RangeDataset(3);
  const b = new RangeDataset(5);
  const c = new ConcatDataset([a, b]);
  assert.equal(c.length, 8);
  assert.deepEqual(c.cumulativeSizes, [3, 8]);
  assert.deepEqual(
    [0, 2, 3, 7, -1].map((i) => c.get(i)[1]),
    [0, 2, 0, 4, 4],
  );
  const s = new Subset(b, [4, 1]);
  assert.equal(s.length, 2);
  assert.equal(s.get(0)[1], 4);
  const t = new TensorDataset(arange(10));
  assert.deepEqual(new Subset(t, [9, 2]).getBatch([1, 0])[0].toArray(), [2, 9]);
});

test("randomSplit: lengths or fractions, disjoint, covering, reproducible", () => {
  const ds = new RangeDataset(10);
  const parts = randomSplit(ds, [0.5, 0.3, 0.2], new Generator(1));
  assert.deepEqual(
    parts.map((p) => p.length),
    [5, 3, 2],
  );
  const all = parts.flatMap((p) => [...p.indices]).sort((x, y) => x - y);
  assert.deepEqual(all, [...Array(10).keys()]);
  const again = randomSplit(ds, [0.5, 0.3, 0.2], new Generator(1));
  assert.deepEqual(
    again.map((p) => p.indices),
    parts.map((p) => p.indices),
  );
  // torch: floor(10 · 1/3) = 3 each, the remainder 1 goes to the first subset.
  assert.deepEqual(
    randomSplit(new RangeDataset(10), [1 / 3, 1 / 3, 1 / 3]).map((p) => p.length),
    [4, 3, 3],
  );
  assert.deepEqual(
    randomSplit(ds, [7, 3]).map((p) => p.length),
    [7, 3],
  );
  assert.throws(
    () => randomSplit(ds, [7, 4]),
    /Sum of input lengths \(11\) does not equal the length of the input dataset \(10\)/,
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BatchSampler,
  DataLoader,
  IterableDataset,
  type MapDataset,
  SequentialSampler,
  TensorDataset,
} from "../../src/data/index.ts";
import { arange, Generator, type Tensor, tensor } from "../../src/index.ts";
import { RangeDataset } from "./fixtures/datasets.ts";

interface Epoch {
  indices: number[][];
}

/** One epoch's index lists, checking on the way that every batch's rows match its labels. */
function epoch(dl: Iterable<[Tensor, Tensor]>): Epoch {
  const indices: number[][] = [];
  for (const [x, y] of dl) {
    const ys = Array.from(y.dataSync());
    assert.equal(y.dtype, "int32");
    assert.deepEqual(x.shape, [ys.length, 2]);
    assert.deepEqual(
      Array.from(x.dataSync()),
      ys.flatMap((i) => [i, -i]),
    );
    indices.push(ys);
  }
  return { indices };
}

/** Both paths: per-sample get + defaultCollate (RangeDataset), and the row gather (TensorDataset). */
function datasets(n: number): MapDataset<unknown>[] {
  const x = tensor(
    Array.from({ length: n }, (_, i) => [i, -i]),
    { dtype: "float32" },
  );
  return [new RangeDataset(n), new TensorDataset(x, arange(n))];
}

test("DataLoader epochs visit every index once, with PyTorch's batch sizes and length", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 120 }),
      fc.integer({ min: 1, max: 40 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (n, batchSize, dropLast, shuffle, seed) => {
        for (const ds of datasets(n)) {
          const dl = new DataLoader(ds, {
            batchSize,
            dropLast,
            shuffle,
            generator: new Generator(seed),
          });
          const { indices } = epoch(dl as Iterable<[Tensor, Tensor]>);
          // torch: len = n // bs if drop_last else ceil(n / bs); every batch full except a short last one.
          const full = Math.floor(n / batchSize);
          const expectedLength = dropLast ? full : Math.ceil(n / batchSize);
          assert.equal(dl.length, expectedLength);
          assert.equal(indices.length, expectedLength);
          indices.forEach((b, k) => {
            assert.equal(b.length, k < full ? batchSize : n % batchSize);
          });
          const flat = indices.flat();
          assert.equal(new Set(flat).size, flat.length, "no index twice");
          assert.ok(flat.every((i) => Number.isInteger(i) && i >= 0 && i < n));
          if (!dropLast) assert.equal(flat.length, n);
          if (!shuffle)
            assert.deepEqual(
              flat,
              Array.from({ length: flat.length }, (_, k) => k),
            );
        }
      },
    ),
    { numRuns: 60 },
  );
});

test("the same generator seed gives the same order; the next epoch reshuffles", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 300 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      (n, seed) => {
        const ds = new RangeDataset(n);
        const a = new DataLoader(ds, {
          batchSize: 7,
          shuffle: true,
          generator: new Generator(seed),
        });
        const b = new DataLoader(ds, {
          batchSize: 7,
          shuffle: true,
          generator: new Generator(seed),
        });
        const a1 = epoch(a).indices;
        assert.deepEqual(epoch(b).indices, a1);
        assert.deepEqual(epoch(b).indices, epoch(a).indices);
      },
    ),
    { numRuns: 40 },
  );
  const ds = new RangeDataset(50);
  const dl = new DataLoader(ds, { batchSize: 50, shuffle: true, generator: new Generator(3) });
  assert.notDeepEqual(
    epoch(dl).indices,
    epoch(dl).indices,
    "two epochs of 50 items in the same order",
  );
});

test("for await gives the same batches as for...of", async () => {
  const ds = new RangeDataset(23);
  const sync = epoch(
    new DataLoader(ds, { batchSize: 5, shuffle: true, generator: new Generator(9) }),
  ).indices;
  const got: number[][] = [];
  for await (const [, y] of new DataLoader(ds, {
    batchSize: 5,
    shuffle: true,
    generator: new Generator(9),
  })) {
    got.push(Array.from(y.dataSync()));
  }
  assert.deepEqual(got, sync);
});

test("sampler, batchSampler, batchSize null and collateFn options", () => {
  const ds = new RangeDataset(10);
  const reversed = {
    length: 10,
    *[Symbol.iterator]() {
      for (let i = 9; i >= 0; i--) yield i;
    },
  };
  assert.deepEqual(epoch(new DataLoader(ds, { batchSize: 4, sampler: reversed })).indices, [
    [9, 8, 7, 6],
    [5, 4, 3, 2],
    [1, 0],
  ]);
  const bs = new BatchSampler(new SequentialSampler(ds), 3, true);
  const dl = new DataLoader(ds, { batchSampler: bs });
  assert.equal(dl.length, 3);
  assert.deepEqual(epoch(dl).indices, [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7, 8],
  ]);
  const single = [...new DataLoader(ds, { batchSize: null })];
  assert.equal(single.length, 10);
  assert.equal(single[3]![1], 3);
  const sums = [
    ...new DataLoader(ds, { batchSize: 4, collateFn: (s) => s.reduce((a, [, i]) => a + i, 0) }),
  ];
  assert.deepEqual(sums, [0 + 1 + 2 + 3, 4 + 5 + 6 + 7, 8 + 9]);
});

test("DataLoader rejects option combinations as PyTorch does", () => {
  const ds = new RangeDataset(4);
  const s = new SequentialSampler(ds);
  assert.throws(
    () => new DataLoader(ds, { sampler: s, shuffle: true }),
    /mutually exclusive with shuffle/,
  );
  assert.throws(
    () => new DataLoader(ds, { batchSampler: new BatchSampler(s, 2, false), batchSize: 2 }),
    /mutually exclusive/,
  );
  // PyTorch 1.13 allows the default 2 without workers and refuses any other value.
  assert.throws(() => new DataLoader(ds, { prefetchFactor: 3 }), /prefetchFactor/);
  assert.throws(
    () => new DataLoader(ds, { persistentWorkers: true }),
    /persistentWorkers option needs numWorkers > 0/,
  );
  assert.throws(() => new DataLoader(ds, { numWorkers: -1 }), /non-negative/);
  assert.throws(
    () => new DataLoader(ds, { batchSize: 0 }),
    /batch_size should be a positive integer/,
  );
  const dl = new DataLoader(ds, { numWorkers: 1 });
  assert.throws(() => [...dl], /for await/);
});

class Countdown extends IterableDataset<number> {
  constructor(readonly length: number) {
    super();
  }
  *[Symbol.iterator](): Iterator<number> {
    for (let i = this.length; i > 0; i--) yield i;
  }
}

test("an IterableDataset is batched in stream order", () => {
  const dl = new DataLoader(new Countdown(5), { batchSize: 2 });
  assert.equal(dl.length, 3);
  assert.deepEqual(
    [...dl].map((b) => b.toArray()),
    [[5, 4], [3, 2], [1]],
  );
  assert.deepEqual(
    [...new DataLoader(new Countdown(5), { batchSize: 2, dropLast: true })].length,
    2,
  );
  assert.throws(() => new DataLoader(new Countdown(3), { shuffle: true }), /IterableDataset/);
});

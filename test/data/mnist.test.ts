import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { DataLoader, datasets, defaultCollate, transforms } from "../../src/data/index.ts";
import { Generator, type Tensor } from "../../src/index.ts";

// Computed independently from the same IDX files by tools/data_mnist_stats.py (plain Python).
const golden = JSON.parse(
  readFileSync(new URL("./golden/mnist-stats.json", import.meta.url), "utf8"),
);

function byteSum(t: Tensor): number {
  let s = 0;
  for (const v of t.dataSync()) s += Math.round(v * 255);
  return s;
}

for (const split of ["train", "test"] as const) {
  test(`MNIST ${split}: length, label histogram and pixel sums match an independent reader`, () => {
    const g = golden[split];
    const ds = new datasets.MNIST({ train: split === "train" });
    assert.equal(ds.length, g.length);
    assert.deepEqual(ds.targets.shape, [g.length]);
    assert.equal(ds.targets.dtype, "int32");
    const hist = new Array<number>(10).fill(0);
    for (const y of ds.targets.dataSync()) hist[y]! += 1;
    assert.deepEqual(hist, g.labelHistogram);
    for (const p of g.picks) {
      const [x, y] = ds.get(p.index);
      assert.deepEqual(x.shape, [1, 28, 28]);
      assert.equal(x.dtype, "float32");
      assert.equal(y, p.label);
      assert.equal(byteSum(x), p.pixelSum);
    }
    assert.deepEqual(ds.data.shape, [g.length, 28, 28]);
    let total = 0;
    for (const v of ds.data.dataSync()) total += v;
    assert.equal(total, g.totalPixelSum);
  });
}

test("MNIST getBatch is the collated items, and values lie in [0, 1]", () => {
  const ds = new datasets.MNIST({ train: false });
  const idx = [5, 9999, 0, 5];
  const [xb, yb] = ds.getBatch(idx);
  const [xc, yc] = defaultCollate(idx.map((i) => ds.get(i)));
  assert.deepEqual(xb.shape, [4, 1, 28, 28]);
  assert.deepEqual(Array.from(xb.dataSync()), Array.from(xc.dataSync()));
  assert.deepEqual(yb.toArray(), yc.toArray());
  const v = xb.dataSync();
  assert.ok(v.every((p) => p >= 0 && p <= 1));
  assert.equal(Math.max(...v), 1);
});

test("MNIST with a transform, in worker threads, gives the same batches as in the main thread", async () => {
  const make = () =>
    new datasets.MNIST({
      train: false,
      transform: new transforms.Compose([
        new transforms.ToTensor(),
        new transforms.Normalize([0.1307], [0.3081]),
      ]),
      targetTransform: (y) => y,
    });
  await assert.rejects(async () => {
    for await (const _ of new DataLoader(make(), { numWorkers: 1 })) break;
  }, /targetTransform is a function/);
  const ds = new datasets.MNIST({
    train: false,
    transform: new transforms.Compose([
      new transforms.ToTensor(),
      new transforms.Normalize([0.1307], [0.3081]),
    ]),
  });
  const opts = { batchSize: 1000, shuffle: true };
  const main: number[][] = [];
  for (const [x, y] of new DataLoader(ds, { ...opts, generator: new Generator(4) }))
    main.push([x.sum().item() as number, ...y.dataSync()]);
  const work: number[][] = [];
  for await (const [x, y] of new DataLoader(ds, {
    ...opts,
    generator: new Generator(4),
    numWorkers: 2,
  }))
    work.push([x.sum().item() as number, ...y.dataSync()]);
  assert.equal(main.length, 10);
  assert.deepEqual(work, main);
});

test("MNIST without transforms gives the same batches from worker threads (scaled on the fly there)", async () => {
  const ds = new datasets.MNIST({ train: false });
  const opts = { batchSize: 2500, shuffle: true };
  const main: number[] = [];
  for (const [x] of new DataLoader(ds, { ...opts, generator: new Generator(8) }))
    main.push(x.sum().item() as number);
  const work: number[] = [];
  for await (const [x] of new DataLoader(ds, {
    ...opts,
    generator: new Generator(8),
    numWorkers: 2,
  }))
    work.push(x.sum().item() as number);
  assert.deepEqual(work, main);
});

// ClassifierApp keeps image sets as bytes and normalises batch by batch (NormalizedImages) to hold
// a quarter of the memory. These tests check it gives exactly what the float32 path gave: the
// batches of a TensorDataset over `scaled.sub(mean).div(std)` (Kiln's own float32 ops as the
// reference), the statistics of `x.mean` / `x.std` over the float images, the same batches from
// worker threads, and the raw images for display.

import assert from "node:assert/strict";
import { test } from "node:test";
import { data, manualSeed, randint, type Tensor, tensor, train } from "../../src/index.ts";
import { imageBytes, NormalizedImages, scaledImages } from "../../src/train/normalized-images.ts";

/** Random bytes as an image set [n, c, h, w] and labels, from a fixed seed. */
function bytesSet(n: number, c: number, h: number, w: number): { x: Tensor; y: Tensor } {
  manualSeed(3);
  const values = randint(0, 256, [n * c * h * w]).dataSync();
  const x = imageBytes(Uint8Array.from(values as ArrayLike<number>), n, [c, h, w]);
  return { x, y: randint(0, 10, [n]) };
}

/** Kiln's float32 ops on the scaled images: the reference for the batches. */
function reference(x: Tensor, mean: number[], std: number[], flatten: boolean): Tensor {
  const c = x.shape[1]!;
  const z = scaledImages(x)
    .sub(tensor(mean).reshape(1, c, 1, 1))
    .div(tensor(std).reshape(1, c, 1, 1));
  return flatten ? z.reshape(z.shape[0]!, -1) : z;
}

const bits = (t: Tensor) => Array.from(t.dataSync() as Float32Array);

test("NormalizedImages: getBatch and get equal the float32 sub/div of the scaled images, bit for bit", () => {
  const { x, y } = bytesSet(20, 3, 4, 5);
  const mean = [0.4914, 0.4822, 0.4465];
  const std = [0.247, 0.2435, 0.2616];
  for (const flatten of [false, true]) {
    const ds = new NormalizedImages(x, y, mean, std, flatten);
    const ref = reference(x, mean, std, flatten);
    const idx = [7, 0, 19, -1, 3];
    const [xb, yb] = ds.getBatch(idx);
    const want = ref.indexSelect(0, tensor([7, 0, 19, 19, 3], { dtype: "int32" }));
    assert.deepEqual(xb.shape, want.shape);
    assert.deepEqual(bits(xb), bits(want));
    assert.deepEqual(
      Array.from(yb.dataSync()),
      [7, 0, 19, 19, 3].map((i) => y.dataSync()[i]),
    );
    const [x1, y1] = ds.get(4);
    assert.deepEqual(x1.shape, flatten ? [60] : [3, 4, 5]);
    assert.deepEqual(bits(x1), bits(ref.index(4)));
    assert.equal(Number(y1.item()), Number(y.index(4).item()));
  }
});

test("NormalizedImages: scaledImages are the bytes / 255 as float32, as MNIST's scaled", () => {
  const { x } = bytesSet(4, 1, 3, 3);
  const want = Array.from(x.dataSync() as ArrayLike<number>, (v) => Math.fround(v / 255));
  assert.deepEqual(bits(scaledImages(x)), want);
  assert.deepEqual(bits(scaledImages(x, [2])), want.slice(18, 27));
});

test("NormalizedImages: refuses float images and a wrong number of channel statistics", () => {
  const { x, y } = bytesSet(2, 3, 2, 2);
  assert.throws(
    () => new NormalizedImages(scaledImages(x), y, [0, 0, 0], [1, 1, 1], false),
    /NormalizedImages: expected contiguous uint8 images/,
  );
  assert.throws(
    () => new NormalizedImages(x, y, [0], [1], false),
    /expected 3 means and stds \(one per channel\), but got 1 and 1/,
  );
});

test("NormalizedImages: worker threads give the same batches", async () => {
  const { x, y } = bytesSet(40, 1, 6, 6);
  const ds = new NormalizedImages(x, y, [0.5], [0.25], true);
  const order = (numWorkers: number) => new data.DataLoader(ds, { batchSize: 16, numWorkers });
  const inline: number[][] = [];
  for (const [xb] of order(0)) inline.push(bits(xb));
  const workers: number[][] = [];
  for await (const [xb] of order(2)) workers.push(bits(xb));
  assert.deepEqual(workers, inline);
});

test("ClassifierApp on MNIST: the statistics of the float images, and batches as the float path", () => {
  const mnist = new data.datasets.MNIST({ train: true });
  const x = mnist.scaled;
  const app = new train.ClassifierApp({ limit: 640, valLimit: 64 }, () => {});
  const extras = app.checkpointExtras() as { mean: number[]; std: number[] };
  // the old path's statistics: Kiln's float32 reductions over the float images
  const first = x.narrow(0, 0, 640);
  assert.deepEqual(extras.mean, [first.mean([0, 2, 3]).item()]);
  assert.deepEqual(extras.std, [first.std([0, 2, 3], { correction: 0 }).item()]);
  const dl = app.initValDl();
  const [xb] = dl[Symbol.iterator]().next().value as [Tensor, Tensor];
  const val = new data.datasets.MNIST({ train: false }).scaled.narrow(0, 0, 64);
  const want = app.prepareInputs(val);
  assert.deepEqual(bits(xb), bits(want));
});

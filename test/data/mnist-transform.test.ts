import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { DataLoader, datasets, type transforms as T, transforms } from "../../src/data/index.ts";
import type { Tensor } from "../../src/index.ts";

// torchvision's outputs on PIL images of the same bytes: tools/golden/data_mnist_transform.py.
const golden = JSON.parse(
  readFileSync(new URL("../golden/data/mnist-transform.json", import.meta.url), "utf8"),
);
const { Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor } = transforms;

/** Exact float32 equality (the golden doubles are float32 values written exactly). */
function assertF32(t: Tensor, expected: { shape: number[]; values: number[] }): void {
  assert.deepEqual(t.shape, expected.shape);
  assert.equal(t.dtype, "float32");
  const v = t.dataSync();
  let bad = 0;
  expected.values.forEach((e, i) => {
    if (v[i] !== Math.fround(e)) bad++;
  });
  assert.equal(bad, 0, `${bad} of ${v.length} values differ from torchvision's`);
}

test("MNIST + Compose([ToTensor(), Normalize]) gives torchvision's [1, 28, 28] exactly (issue 13, item 6)", () => {
  const g = golden.mnist;
  const tf = new Compose([new ToTensor(), new Normalize(g.mean, g.std)]);
  const ds = new datasets.MNIST({ train: false, transform: tf });
  const positional = new datasets.MNIST(null, false, tf);
  for (const item of g.items) {
    assertF32(ds.get(item.index)[0], item);
    assertF32(positional.get(item.index)[0], item);
  }
});

test("MNIST hands its transform the raw uint8 HWC image; without one items stay [1, 28, 28] in [0, 1]", () => {
  let seen: T.RawImage | undefined;
  const ds = new datasets.MNIST({
    train: false,
    transform: (img: T.RawImage) => {
      seen = img;
      return new ToTensor().forward(img);
    },
  });
  const [x] = ds.get(3);
  assert.ok(seen !== undefined);
  assert.ok(seen.data instanceof Uint8Array);
  assert.deepEqual([seen.height, seen.width, seen.channels], [28, 28, 1]);
  const plain = new datasets.MNIST({ train: false });
  const [p] = plain.get(3);
  assert.deepEqual(p.shape, [1, 28, 28]);
  assert.deepEqual(Array.from(x.dataSync()), Array.from(p.dataSync()));
  assert.deepEqual(Array.from(seen.data), Array.from(plain.rawImage(3).data));
  assert.deepEqual(
    Array.from(seen.data).slice(0, 28 * 28),
    Array.from(plain.data.index(3).dataSync()),
  );
});

test("a 3-channel HWC raw image (CIFAR-10's layout): ToTensor, Normalize, flip and padded crops as torchvision", () => {
  const g = golden.rgb;
  const img: T.RawImage = {
    data: Uint8Array.from(g.bytes),
    height: g.height,
    width: g.width,
    channels: 3,
  };
  const c = g.cases;
  assertF32(
    new Compose<T.RawImage, Tensor>([new ToTensor(), new Normalize(g.mean, g.std)]).forward(img),
    c.toTensorNormalize,
  );
  assertF32(new ToTensor().forward(new RandomHorizontalFlip(1).forward(img)), c.flip);
  const crop = new RandomCrop([6, 7], 1, false, 9).forward(img);
  assert.ok(crop.data instanceof Uint8Array, "a raw image in, a raw image out (as PIL)");
  assertF32(new ToTensor().forward(crop), c.cropConstant);
  assertF32(
    new ToTensor().forward(
      new RandomCrop([6, 7], { padding: 1, paddingMode: "reflect" }).forward(img),
    ),
    c.cropReflect,
  );
});

test("Normalize refuses a raw image and says to put ToTensor first, as torchvision", () => {
  const img: T.RawImage = { data: new Uint8Array(4), height: 2, width: 2, channels: 1 };
  assert.throws(
    () => new Normalize([0.5], [0.5]).forward(img as never),
    /^ValueError: Normalize: .*put ToTensor\(\) before Normalize/,
  );
});

test("MNIST with Compose([ToTensor(), Normalize]) in worker threads gives the main thread's batches", async () => {
  const make = () =>
    new datasets.MNIST(
      null,
      false,
      new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]),
    );
  const idx = [0, 1, 2, 3, 9999];
  const sampler = { length: idx.length, [Symbol.iterator]: () => idx[Symbol.iterator]() };
  const main = [];
  for await (const b of new DataLoader(make(), { batchSize: 5, sampler })) main.push(b);
  const workers = [];
  for await (const b of new DataLoader(make(), { batchSize: 5, sampler, numWorkers: 2 }))
    workers.push(b);
  assert.equal(main.length, 1);
  assert.deepEqual(main[0]![0].shape, [5, 1, 28, 28]);
  assert.deepEqual(Array.from(workers[0]![0].dataSync()), Array.from(main[0]![0].dataSync()));
  const g = golden.mnist.items[0];
  assertF32(main[0]![0].index(0), g);
});

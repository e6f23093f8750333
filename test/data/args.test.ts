// Rule 2 of shared/API.md for data: PyTorch's positional order, one trailing options object, and
// a ValueError for anything not understood (options Kiln lacks throw rather than being ignored).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import {
  BatchSampler,
  DataLoader,
  datasets,
  RandomSampler,
  randomSplit,
  SequentialSampler,
  Subset,
  SubsetRandomSampler,
  TensorDataset,
  transforms,
  WeightedRandomSampler,
} from "../../src/data/index.ts";
import { arange, Generator, type Tensor } from "../../src/index.ts";

function throwsValue(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ValueError && re.test(e.message));
}

const ds = () => new TensorDataset(arange(10).reshape(10, 1).float(), arange(10));
const batches = (dl: Iterable<[Tensor, Tensor]>) => [...dl].map(([, y]) => y.toArray());

test("DataLoader(ds, 4, true, ...) = DataLoader(ds, { batchSize: 4, shuffle: true, ... })", () => {
  const g = () => new Generator().manualSeed(3);
  // prettier-ignore
  const positional = new DataLoader(
    ds(),
    4,
    true,
    null,
    null,
    0,
    null,
    false,
    true,
    0,
    null,
    null,
    g(),
  );
  const options = new DataLoader(ds(), {
    batchSize: 4,
    shuffle: true,
    dropLast: true,
    generator: g(),
  });
  const a = batches(positional);
  assert.deepEqual(a, batches(options));
  assert.equal(a.length, 2, "dropLast taken positionally: 10 items give 2 full batches of 4");
  assert.notDeepEqual(
    a,
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
    "shuffled",
  );
  assert.deepEqual(batches(new DataLoader(ds(), 4)), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9],
  ]);
  assert.deepEqual(batches(new DataLoader(ds(), 4, { dropLast: true })), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
  ]);
});

test("DataLoader: bad option values throw, and each error kind names the argument", () => {
  throwsValue(
    () => new DataLoader(ds(), { batchSize: 2, pinMemory: 1 as never }),
    /^DataLoader: argument "pinMemory" must be/,
  );
  throwsValue(
    () => new DataLoader(ds(), { timeout: -1 }),
    /^DataLoader: timeout option should be non-negative/,
  );
  throwsValue(
    () => new DataLoader(ds(), { workerInitFn: 3 as never }),
    /^DataLoader: argument "workerInitFn" must be/,
  );
  throwsValue(
    () => new DataLoader(ds(), { batch_size: 2 } as never),
    /^DataLoader: unknown option "batch_size" \(did you mean "batchSize"/,
  );
  throwsValue(
    () => new DataLoader(ds(), 2, { batchSize: 3 }),
    /^DataLoader: got multiple values for argument "batchSize"/,
  );
  throwsValue(
    () => new DataLoader(ds(), "2" as never),
    /^DataLoader: argument "batchSize" must be an int or null/,
  );
  // prefetchFactor is keyword-only in PyTorch: a 14th positional is an extra one.
  // prettier-ignore
  throwsValue(
    () =>
      new (DataLoader as never as new (...a: unknown[]) => unknown)(
        ds(),
        1,
        false,
        null,
        null,
        0,
        null,
        false,
        false,
        0,
        null,
        null,
        null,
        2,
      ),
    /^DataLoader: takes 13 positional arguments/,
  );
});

test("datasets and samplers: positional as PyTorch, errors named", () => {
  const d = ds();
  assert.deepEqual((new Subset(d, [3, 1]).get(0)[1] as Tensor).item(), 3);
  throwsValue(() => new Subset(d, [1], [2] as never), /^Subset: takes 2 positional arguments/);
  throwsValue(
    () => new TensorDataset(arange(3), [1, 2, 3] as never),
    /^TensorDataset: takes tensors only.*argument 1 is \[1,2,3\]/,
  );
  const [a] = randomSplit(d, [5, 5], new Generator().manualSeed(0));
  const [b] = randomSplit(d, [5, 5], new Generator().manualSeed(0));
  assert.deepEqual(a!.indices, b!.indices);
  throwsValue(
    () => randomSplit(d, [5, 5], 42 as never),
    /^randomSplit: argument "generator" must be a Generator/,
  );
  const g = () => new Generator().manualSeed(1);
  assert.deepEqual(
    [...new RandomSampler(d, true, 4, g())],
    [...new RandomSampler(d, { replacement: true, numSamples: 4, generator: g() })],
  );
  assert.equal(new RandomSampler(d, true, 4).length, 4);
  assert.deepEqual(
    [...new SubsetRandomSampler([5, 6, 7], g())],
    [...new SubsetRandomSampler([5, 6, 7], { generator: g() })],
  );
  // Without replacement, 3 draws from 3 weights give each index once.
  assert.deepEqual([...new WeightedRandomSampler([1, 2, 3], 3, false, g())].sort(), [0, 1, 2]);
  assert.deepEqual(
    [...new WeightedRandomSampler([1, 2, 3], 5, true, g())],
    [...new WeightedRandomSampler([1, 2, 3], 5, { replacement: true, generator: g() })],
  );
  assert.deepEqual([...new WeightedRandomSampler([0, 1, 0], 3, true, g())], [1, 1, 1]);
  assert.deepEqual([...new BatchSampler(new SequentialSampler(d), 4, true)].length, 2);
  throwsValue(
    () => new RandomSampler(d, { replace: true } as never),
    /^RandomSampler: unknown option "replace"/,
  );
  throwsValue(
    () => new BatchSampler(new SequentialSampler(d), 4, "no" as never),
    /^BatchSampler: argument "dropLast" must be a boolean/,
  );
});

test("transforms: positional arguments in torchvision's order", () => {
  const { Normalize, RandomAffine, RandomCrop, RandomHorizontalFlip, ToTensor } = transforms;
  const img = arange(16).reshape(1, 4, 4).float();
  const same = (x: Tensor, y: Tensor) => assert.deepEqual(x.toArray(), y.toArray());
  same(
    new RandomCrop(4, 2, false, 7, "constant", { generator: new Generator(5) }).forward(img),
    new RandomCrop(4, { padding: 2, fill: 7, generator: new Generator(5) }).forward(img),
  );
  same(new RandomHorizontalFlip(1).forward(img), img.flip(-1));
  same(new RandomHorizontalFlip(0).forward(img), img);
  same(new RandomHorizontalFlip({ p: 1 }).forward(img), img.flip(-1));
  same(
    new RandomAffine(30, [0.1, 0.1], [0.9, 1.1], 5, "nearest", 0, null, {
      generator: new Generator(2),
    }).forward(img),
    new RandomAffine(30, {
      translate: [0.1, 0.1],
      scale: [0.9, 1.1],
      shear: 5,
      generator: new Generator(2),
    }).forward(img),
  );
  // center: a 90° turn about the top-left pixel centre (0.5, 0.5) moves the image out of view
  // except that pixel, where the centre rotation keeps every value.
  const turned = new RandomAffine([90, 90], { center: [0.5, 0.5], fill: -1 })
    .forward(img)
    .toArray() as number[][][];
  assert.equal(turned[0]![0]![0], 0);
  assert.equal(turned[0]![3]![3], -1);
  same(new Normalize(0.5, 2).forward(img), new Normalize([0.5], [2]).forward(img));
  throwsValue(
    () => new Normalize([0.5], [2], true as never),
    /^Normalize: argument "inplace" must be one of false/,
  );
  throwsValue(
    () => new RandomCrop(4, { pad_if_needed: true } as never),
    /^RandomCrop: unknown option "pad_if_needed" \(did you mean "padIfNeeded"/,
  );
  throwsValue(
    () => new RandomCrop(4, 1, false, 0, "wrap" as never),
    /^RandomCrop: argument "paddingMode" must be one of "constant", "edge", "reflect", "symmetric"/,
  );
  throwsValue(
    () => new RandomAffine(10, { interpolation: "bilinear" } as never),
    /^RandomAffine: argument "interpolation" must be one of "nearest"/,
  );
  throwsValue(
    () => new RandomHorizontalFlip(0.5, 1 as never),
    /^RandomHorizontalFlip: takes 1 positional argument/,
  );
  throwsValue(() => new ToTensor(3 as never), /^ToTensor: takes 0 positional arguments/);
  throwsValue(
    () => new transforms.Compose([3] as never),
    /^Compose: expected an array of transforms.*at index 0/,
  );
});

test("MNIST(root, train, transform, targetTransform, download): positional, and errors named", () => {
  const t = new datasets.MNIST(null, false, null, (y: number) => y + 100);
  assert.equal(t.length, 10000);
  assert.equal(t.get(0)[1], new datasets.MNIST({ train: false }).get(0)[1] + 100);
  throwsValue(
    () => new datasets.MNIST({ trian: false } as never),
    /^MNIST: unknown option "trian"/,
  );
  throwsValue(
    () => new datasets.MNIST(null, "yes" as never),
    /^MNIST: argument "train" must be a boolean/,
  );
  throwsValue(
    () => new datasets.MNIST(null, true, 5 as never),
    /^MNIST: argument "transform" must be a transform/,
  );
  throwsValue(
    () => new datasets.FashionMNIST({ target_transform: null } as never),
    /^FashionMNIST: unknown option "target_transform" \(did you mean "targetTransform"/,
  );
  throwsValue(
    () => new datasets.CIFAR10({ train: true } as never),
    /^CIFAR10: missing required argument "root"/,
  );
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { transforms } from "../../src/data/index.ts";
import { inverseAffineMatrix, warpNearest } from "../../src/data/transforms/random-affine.ts";
import { arange, Generator, tensor } from "../../src/index.ts";

const { Compose, Normalize, RandomAffine, RandomCrop, RandomHorizontalFlip, ToTensor } = transforms;

test("ToTensor: uint8 HWC or CHW to float CHW in [0, 1]; float input keeps its values", () => {
  // A 1×2 RGB image: pixel 0 = (0, 51, 255), pixel 1 = (102, 153, 204).
  const raw = { data: Uint8Array.of(0, 51, 255, 102, 153, 204), width: 2, height: 1 };
  const expected = [[[0, 0.4]], [[0.2, 0.6]], [[1, 0.8]]];
  const close = (a: unknown, b: number[][][]) =>
    assert.ok(
      (a as number[][][]).flat(2).every((v, i) => Math.abs(v - b.flat(2)[i]!) < 1e-7),
      String(a),
    );
  close(new ToTensor().forward(raw).toArray(), expected);
  const hwc = tensor([
    [
      [0, 51, 255],
      [102, 153, 204],
    ],
  ]);
  close(new ToTensor().forward(hwc).toArray(), expected);
  close(new ToTensor({ layout: "CHW" }).forward(hwc.permute(2, 0, 1)).toArray(), expected);
  assert.deepEqual(new ToTensor().forward(tensor([[0.5]], { dtype: "float32" })).toArray(), [
    [[0.5]],
  ]);
});

test("Normalize: (x - mean[c]) / std[c]", () => {
  const x = tensor([[[1, 2]], [[3, 4]]], { dtype: "float32" });
  assert.deepEqual(new Normalize([1, 2], [2, 0.5]).forward(x).toArray(), [[[0, 0.5]], [[2, 4]]]);
  assert.throws(() => new Normalize([0], [0]), /division by zero/);
});

test("RandomCrop: a window of the padded image, every position reachable, reproducible", () => {
  const img = arange(1, 5).reshape(1, 2, 2).float(); // [[1, 2], [3, 4]]
  const crop = new RandomCrop(2, { padding: 1, generator: new Generator(0) });
  const seen = new Set<string>();
  for (let k = 0; k < 200; k++) seen.add(JSON.stringify(crop.forward(img).toArray()));
  // The padded image is [[0,0,0,0],[0,1,2,0],[0,3,4,0],[0,0,0,0]]: 3 × 3 windows of 2 × 2.
  const padded = [
    [0, 0, 0, 0],
    [0, 1, 2, 0],
    [0, 3, 4, 0],
    [0, 0, 0, 0],
  ];
  const windows = new Set<string>();
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      windows.add(JSON.stringify([padded.slice(i, i + 2).map((r) => r.slice(j, j + 2))]));
  assert.deepEqual(seen, windows);
  const a = new RandomCrop(2, { padding: 1, generator: new Generator(7) });
  const b = new RandomCrop(2, { padding: 1, generator: new Generator(7) });
  for (let k = 0; k < 10; k++) assert.deepEqual(a.forward(img).toArray(), b.forward(img).toArray());
  assert.throws(
    () => new RandomCrop(3).forward(img),
    /Required crop size \(3, 3\) is larger than input image size \(2, 2\)/,
  );
  assert.deepEqual(new RandomCrop(3, { padIfNeeded: true, fill: 9 }).forward(img).toArray(), [
    [
      [1, 2, 9],
      [3, 4, 9],
      [9, 9, 9],
    ],
  ]);
});

test("RandomCrop padding modes follow torch.nn.functional.pad", () => {
  const row = tensor([[[1, 2, 3]]], { dtype: "float32" });
  const pad = (paddingMode: "edge" | "reflect" | "symmetric") =>
    new RandomCrop([1, 7], { padding: [2, 0], paddingMode }).forward(row).toArray();
  // F.pad([1, 2, 3], (2, 2), mode): replicate, reflect, and symmetric (numpy's) by hand.
  assert.deepEqual(pad("edge"), [[[1, 1, 1, 2, 3, 3, 3]]]);
  assert.deepEqual(pad("reflect"), [[[3, 2, 1, 2, 3, 2, 1]]]);
  assert.deepEqual(pad("symmetric"), [[[2, 1, 1, 2, 3, 3, 2]]]);
});

test("RandomHorizontalFlip flips the width with probability p", () => {
  const img = arange(6).reshape(1, 2, 3).float();
  assert.deepEqual(new RandomHorizontalFlip(1).forward(img).toArray(), [
    [
      [2, 1, 0],
      [5, 4, 3],
    ],
  ]);
  assert.deepEqual(new RandomHorizontalFlip(0).forward(img).toArray(), img.toArray());
  const f = new RandomHorizontalFlip(0.5, { generator: new Generator(3) });
  let flips = 0;
  for (let k = 0; k < 2000; k++)
    if ((f.forward(img).index(0, 0, 0).item() as number) === 2) flips++;
  assert.ok(Math.abs(flips / 2000 - 0.5) < 0.06, String(flips)); // 5 sigma = 0.056
});

test("RandomAffine: identity at zero, clockwise quarter turn at 90 degrees, integer shifts", () => {
  const img = arange(16).reshape(1, 4, 4).float();
  assert.deepEqual(new RandomAffine(0).forward(img).toArray(), img.toArray());
  // torchvision's affine angle is clockwise: 90 degrees is torch.rot90(img, -1, [-2, -1]):
  // out[i][j] = in[H-1-j][i].
  const rot = new RandomAffine([90, 90]).forward(img).toArray() as number[][][];
  const src = img.toArray() as number[][][];
  for (let i = 0; i < 4; i++)
    for (let j = 0; j < 4; j++) assert.equal(rot[0]![i]![j], src[0]![3 - j]![i]);
  // translate (1, 0): out[i][j] = in[i][j-1], zero fill in column 0.
  const m = inverseAffineMatrix([0, 0], 0, [1, 0], 1, [0, 0]);
  const shifted = warpNearest(Float32Array.from(img.dataSync()), 1, 4, 4, m, 0);
  assert.deepEqual(Array.from(shifted), [0, 0, 1, 2, 0, 4, 5, 6, 0, 8, 9, 10, 0, 12, 13, 14]);
  const a = new RandomAffine(15, {
    translate: [0.1, 0.1],
    scale: [0.8, 1.2],
    generator: new Generator(5),
  });
  const b = new RandomAffine(15, {
    translate: [0.1, 0.1],
    scale: [0.8, 1.2],
    generator: new Generator(5),
  });
  assert.deepEqual(a.forward(img).toArray(), b.forward(img).toArray());
});

test("Compose applies transforms in order, functions included", () => {
  const t = new Compose<ReturnType<typeof tensor>>([
    new ToTensor(),
    new Normalize([0.5], [0.5]),
    (x: ReturnType<typeof tensor>) => x.mul(2),
  ]);
  assert.deepEqual(t.forward(tensor([[0, 255]])).toArray(), [[[-2, 2]]]);
});

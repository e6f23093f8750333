// data.datasets.ImageFolder / DatasetFolder against torchvision 0.14's ImageFolder on the same
// tree (test/golden/data/image-folder/, written with its expected classes, samples and RGB pixels
// by tools/golden/transforms_more.py): class order, sample order, PNG pixels exactly (gray,
// RGBA and palette converted to RGB as PIL's convert("RGB")), JPEG within jpeg-js's IDCT
// difference; plus torchvision's errors for empty classes and missing folders.

import "../../src/index.ts";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ValueError } from "../../src/core/errors.ts";
import {
  DatasetFolder,
  defaultLoader,
  ImageFolder,
  makeDataset,
} from "../../src/data/datasets/index.ts";
import { DataLoader, DatasetNotFoundError } from "../../src/data/index.ts";
import { Compose, type RawImage, Resize, ToTensor } from "../../src/data/transforms/index.ts";
import type { Tensor } from "../../src/index.ts";
import { dec, type Enc } from "../nn/golden.ts";

const root = fileURLToPath(new URL("../golden/data/image-folder", import.meta.url));
const golden = JSON.parse(
  readFileSync(fileURLToPath(new URL("../golden/data/image-folder.json", import.meta.url)), "utf8"),
) as {
  classes: string[];
  classToIdx: Record<string, number>;
  samples: [string, number][];
  images: Enc[];
};

function chw(img: RawImage): number[] {
  const c = img.channels!;
  const hw = img.height * img.width;
  const out: number[] = [];
  for (let k = 0; k < c; k++) for (let p = 0; p < hw; p++) out.push(img.data[p * c + k]!);
  return out;
}

test("ImageFolder: classes, classToIdx, samples and targets in torchvision's order", () => {
  const ds = new ImageFolder(root);
  assert.deepEqual(ds.classes, golden.classes); // "Zebra" < "cat": code-point order, as Python
  assert.deepEqual(ds.classToIdx, golden.classToIdx);
  assert.deepEqual(
    ds.samples.map(([p, t]) => [p.slice(root.length + 1), t]),
    golden.samples,
  );
  assert.equal(ds.imgs, ds.samples);
  assert.deepEqual(
    ds.targets,
    golden.samples.map((s) => s[1]),
  );
  assert.equal(ds.length, golden.samples.length);
});

test("ImageFolder: pixels as PIL's convert('RGB') (PNG exact, JPEG within jpeg-js's IDCT)", () => {
  const ds = new ImageFolder(root);
  for (let i = 0; i < ds.length; i++) {
    const [img, target] = ds.get(i);
    assert.equal(target, golden.samples[i]![1]);
    const want = dec(golden.images[i]!);
    assert.deepEqual([img.channels, img.height, img.width], [...want.shape]);
    const got = chw(img);
    const exp = [...want.dataSync()].map(Number);
    const isJpeg = /\.jpe?g$/i.test(ds.samples[i]![0]);
    // jpeg-js's IDCT and upsampling are not libjpeg's: measured at most 2 levels on these files.
    const tol = isJpeg ? 3 : 0;
    for (let k = 0; k < got.length; k++) {
      assert.ok(
        Math.abs(got[k]! - exp[k]!) <= tol,
        `${ds.samples[i]![0]} byte ${k}: ${got[k]} vs ${exp[k]}`,
      );
    }
  }
});

test("ImageFolder: transform, targetTransform and a DataLoader batch", () => {
  const ds = new ImageFolder<Tensor>(
    root,
    new Compose<RawImage, Tensor>([new Resize([4, 4]), new ToTensor()]),
    (t: number) => t * 10,
  );
  const [x, y] = ds.get(1);
  assert.deepEqual([...x.shape], [3, 4, 4]);
  assert.equal(y, 10);
  const dl = new DataLoader(ds, { batchSize: 3 });
  const batches = [...dl];
  assert.equal(batches.length, 2);
  assert.deepEqual([...batches[0]![0].shape], [3, 3, 4, 4]);
  assert.deepEqual([...batches[1]![1].dataSync()].map(Number), [10, 20, 20]);
  // Options form, and isValidFile instead of the extensions: Zebra holds no .png, so the scan
  // fails as torchvision's (no "Supported extensions" part without extensions).
  const jpegs = new ImageFolder(root, { isValidFile: (p: string) => /\.(jpe?g|PNG)$/.test(p) });
  assert.deepEqual(
    jpegs.samples.map((s) => s[1]),
    [0, 1, 2],
  );
  assert.throws(
    () => new ImageFolder(root, { isValidFile: (p: string) => p.endsWith(".png") }),
    (e: unknown) =>
      e instanceof DatasetNotFoundError &&
      e.message === "Found no valid file for the classes Zebra. ",
  );
});

test("DatasetFolder: a custom loader and extensions; torchvision's errors", () => {
  const dir = mkdtempSync(join(tmpdir(), "kiln-folder-"));
  try {
    mkdirSync(join(dir, "b", "deep"), { recursive: true });
    mkdirSync(join(dir, "a"));
    writeFileSync(join(dir, "a", "2.txt"), "two");
    writeFileSync(join(dir, "a", "1.TXT"), "one");
    writeFileSync(join(dir, "b", "deep", "3.txt"), "three");
    writeFileSync(join(dir, "b", "x.bin"), "skip");
    const ds = new DatasetFolder(dir, (p: string) => readFileSync(p, "utf8"), [".txt"]);
    assert.deepEqual(ds.classes, ["a", "b"]);
    assert.deepEqual(ds.get(0), ["one", 0]);
    assert.deepEqual(ds.get(1), ["two", 0]);
    assert.deepEqual(ds.get(2), ["three", 1]);
    assert.equal(ds.length, 3);
    // Exactly one of extensions / isValidFile, as torchvision's make_dataset.
    assert.throws(
      () => new DatasetFolder(dir, (p: string) => p),
      /Both extensions and isValidFile/,
    );
    assert.throws(
      () =>
        new DatasetFolder(
          dir,
          (p: string) => p,
          ".txt",
          null,
          null,
          () => true,
        ),
      ValueError,
    );
    // A class folder without a valid file: torchvision's FileNotFoundError message.
    mkdirSync(join(dir, "c"));
    writeFileSync(join(dir, "c", "y.bin"), "no");
    assert.throws(
      () => new DatasetFolder(dir, (p: string) => p, [".txt", ".md"]),
      (e: unknown) =>
        e instanceof DatasetNotFoundError &&
        e.message === "Found no valid file for the classes c. Supported extensions are: .txt, .md",
    );
    assert.deepEqual(makeDataset(dir, { a: 0 }, ".txt").length, 2);
    const empty = mkdtempSync(join(tmpdir(), "kiln-empty-"));
    assert.throws(() => new ImageFolder(empty), /Couldn't find any class folder in/);
    rmSync(empty, { recursive: true });
    assert.throws(() => new ImageFolder(join(dir, "nope")), DatasetNotFoundError);
    writeFileSync(join(dir, "c", "bad.png"), "not a png");
    assert.throws(() => defaultLoader(join(dir, "c", "bad.png")), /cannot identify image file/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("ImageFolder travels to DataLoader workers (its workerSpec) and gives the same batches", async () => {
  const ds = new ImageFolder<Tensor>(root, {
    transform: new Compose<RawImage, Tensor>([new Resize([4, 5]), new ToTensor()]),
  });
  const here = [...new DataLoader(ds, { batchSize: 4 })];
  const there: [Tensor, Tensor][] = [];
  for await (const b of new DataLoader(ds, { batchSize: 4, numWorkers: 1 })) there.push(b);
  assert.equal(there.length, here.length);
  there.forEach(([x, y], k) => {
    assert.deepEqual([...x.dataSync()], [...here[k]![0].dataSync()]);
    assert.deepEqual([...y.dataSync()], [...here[k]![1].dataSync()]);
  });
  // A custom loader is a function, which cannot cross to a worker: a clear error.
  const custom = new ImageFolder(root, { loader: (p: string) => defaultLoader(p) });
  await assert.rejects(async () => {
    for await (const _ of new DataLoader(custom, { numWorkers: 1 })) break;
  }, /is a function, which cannot be sent to a worker thread/);
});

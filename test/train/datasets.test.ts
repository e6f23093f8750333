// `kiln train --dataset` with the non-bundled formats, end to end on small files the test writes:
// a CSV table of three separable clusters, a CIFAR-10 binary directory and a Fashion-MNIST IDX
// directory. Checks the runs finish, name the classes, and write checkpoints of the right shapes.

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { io } from "../../src/index.ts";
import { kiln, only, tempDir } from "./helpers.ts";

const tmp = tempDir("datasets");
after(() => tmp.cleanup());

/** A small deterministic generator (Numerical Recipes' LCG), so the files are the same every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function checkpointOf(out: string): Record<string, { shape: readonly number[] }> {
  return io.loadSafetensors(only(join(out, "models", "kiln"), /\.best\.safetensors$/));
}

test("csv:<file>: word labels become classes, every 10th row validates", async () => {
  // Three clusters 10 apart with noise below 1 in each coordinate: a linear classifier separates
  // them perfectly, so validation accuracy must end at 100%.
  const rand = lcg(1);
  const centres: Record<string, [number, number]> = { ant: [0, 0], bee: [10, 0], cat: [0, 10] };
  const names = Object.keys(centres);
  const rows = ["x,y,species"];
  for (let i = 0; i < 300; i++) {
    const name = names[i % 3]!;
    const [cx, cy] = centres[name]!;
    rows.push(`${(cx + rand() - 0.5).toFixed(4)},${(cy + rand() - 0.5).toFixed(4)},${name}`);
  }
  const file = join(tmp.dir, "clusters.csv");
  writeFileSync(file, `${rows.join("\n")}\n`);
  const out = join(tmp.dir, "csv-run");
  const r = await kiln(
    "train",
    "--dataset",
    `csv:${file}`,
    "--epochs",
    "5",
    "--batch-size",
    "16",
    "--lr",
    "0.05",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  // 300 rows: rows 0, 10, ..., 290 validate (30), the other 270 train (17 batches of 16).
  assert.match(r.stdout, /^Epoch 1 of 5, 17\/2 batches of size 16$/m);
  const last = /^E5 val\s+\S+ loss,\s+(\S+)% correct/m.exec(r.stdout);
  assert.ok(last, r.stdout);
  assert.equal(Number(last[1]), 100);
  for (const n of names) assert.match(r.stdout, new RegExp(`^E5 val_${n}\\s`, "m"));
  const sd = checkpointOf(out);
  assert.deepEqual(sd["fc1.weight"]!.shape, [128, 2]);
  assert.deepEqual(sd["fc2.weight"]!.shape, [3, 128]);
});

test("cifar10:<dir>: the binary layout trains the MLP and the CNN on 3x32x32 images", async () => {
  const dir = join(tmp.dir, "cifar-10-batches-bin");
  mkdirSync(dir);
  const rand = lcg(2);
  const batch = (records: number): Uint8Array => {
    const bytes = new Uint8Array(records * 3073);
    for (let r = 0; r < records; r++) {
      bytes[r * 3073] = r % 10;
      for (let k = 1; k < 3073; k++) bytes[r * 3073 + k] = Math.floor(rand() * 256);
    }
    return bytes;
  };
  for (let k = 1; k <= 5; k++) writeFileSync(join(dir, `data_batch_${k}.bin`), batch(20));
  writeFileSync(join(dir, "test_batch.bin"), batch(20));
  for (const model of ["mlp", "cnn"]) {
    const out = join(tmp.dir, `cifar-${model}`);
    const r = await kiln(
      "train",
      "--dataset",
      `cifar10:${tmp.dir}`,
      "--model",
      model,
      "--epochs",
      "1",
      "--batch-size",
      "25",
      "--out",
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    // 5 files of 20 records train (4 batches of 25), test_batch's 20 validate (1 batch).
    assert.match(r.stdout, /^Epoch 1 of 1, 4\/1 batches of size 25$/m);
    assert.match(r.stdout, /^E1 val_airplane\s/m);
    assert.match(r.stdout, /^E1 val_truck\s/m);
    const sd = checkpointOf(out);
    if (model === "mlp") assert.deepEqual(sd["fc1.weight"]!.shape, [128, 3 * 32 * 32]);
    else {
      assert.deepEqual(sd["block1.0.weight"]!.shape, [16, 3, 3, 3]);
      assert.deepEqual(sd["fc.weight"]!.shape, [10, 32 * 8 * 8]);
    }
  }
});

test("fashion-mnist:<dir>: IDX files from a user directory, with Fashion-MNIST's class names", async () => {
  const dir = join(tmp.dir, "fashion");
  mkdirSync(dir);
  const rand = lcg(3);
  // IDX: magic 0x00000803 (ubyte, 3 dims) then the sizes as big-endian u32, then the bytes.
  const images = (n: number): Uint8Array => {
    const b = new Uint8Array(16 + n * 784);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x803);
    v.setUint32(4, n);
    v.setUint32(8, 28);
    v.setUint32(12, 28);
    for (let i = 16; i < b.length; i++) b[i] = Math.floor(rand() * 256);
    return b;
  };
  const labels = (n: number): Uint8Array => {
    const b = new Uint8Array(8 + n);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0x801);
    v.setUint32(4, n);
    for (let i = 0; i < n; i++) b[8 + i] = i % 10;
    return b;
  };
  writeFileSync(join(dir, "train-images-idx3-ubyte"), images(60));
  writeFileSync(join(dir, "train-labels-idx1-ubyte"), labels(60));
  writeFileSync(join(dir, "t10k-images-idx3-ubyte"), images(20));
  writeFileSync(join(dir, "t10k-labels-idx1-ubyte"), labels(20));
  const out = join(tmp.dir, "fashion-run");
  const r = await kiln(
    "train",
    "--dataset",
    `fashion-mnist:${dir}`,
    "--epochs",
    "1",
    "--batch-size",
    "20",
    "--out",
    out,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Epoch 1 of 1, 3\/1 batches of size 20$/m);
  assert.match(r.stdout, /^E1 val_Ankle boot\s/m);
  assert.ok(only(join(out, "models", "kiln"), /^fashion-mnist_.*\.best\.safetensors$/));
});

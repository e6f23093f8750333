import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { DatasetNotFoundError, datasets } from "../../src/data/index.ts";
import { FormatError } from "../../src/index.ts";

const tmp = mkdtempSync(join(tmpdir(), "kiln-data-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const bundled = datasets.bundledMnistDir();

/** An IDX file: magic (0, 0, type, ndim), big-endian dims, then the bytes. */
function idx(typeCode: number, dims: number[], body: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE((typeCode << 8) | dims.length, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, body]);
}

/** The first n test images and labels of the bundled MNIST, as new IDX files in `dir`. */
function writeSplit(dir: string, n: number, options: { gz?: boolean; labels?: number } = {}): void {
  mkdirSync(dir, { recursive: true });
  const images = readFileSync(join(bundled, "t10k-images-idx3-ubyte")).subarray(16, 16 + n * 784);
  const labels = readFileSync(join(bundled, "t10k-labels-idx1-ubyte")).subarray(
    8,
    8 + (options.labels ?? n),
  );
  const files: [string, Buffer][] = [
    ["train-images-idx3-ubyte", idx(0x08, [n, 28, 28], images)],
    ["train-labels-idx1-ubyte", idx(0x08, [options.labels ?? n], labels)],
  ];
  for (const [name, bytes] of files) {
    if (options.gz) writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes));
    else writeFileSync(join(dir, name), bytes);
  }
}

test("FashionMNIST/KMNIST read IDX files from a user dir, gzipped or not, also in torchvision's layout", () => {
  const mnist = new datasets.MNIST({ train: false });
  writeSplit(join(tmp, "fashion"), 50, { gz: true });
  const f = new datasets.FashionMNIST({ root: join(tmp, "fashion") });
  assert.equal(f.length, 50);
  assert.deepEqual(f.get(7)[0].toArray(), mnist.get(7)[0].toArray());
  assert.equal(f.get(49)[1], mnist.get(49)[1]);
  assert.equal(f.classes[9], "Ankle boot");
  writeSplit(join(tmp, "k", "KMNIST", "raw"), 20);
  assert.equal(new datasets.KMNIST({ root: join(tmp, "k") }).length, 20);
});

test("a missing dataset names the files it looked for", () => {
  assert.throws(
    () => new datasets.FashionMNIST({ root: join(tmp, "nowhere"), train: false }),
    (e: unknown) =>
      e instanceof DatasetNotFoundError &&
      /t10k-images-idx3-ubyte/.test(e.message) &&
      e.message.includes(join(tmp, "nowhere", "t10k-labels-idx1-ubyte.gz")),
  );
  assert.throws(() => new datasets.FashionMNIST(), /root is required/);
});

test("IDX errors: wrong magic, truncated file, image/label count mismatch", () => {
  const dir = join(tmp, "bad");
  writeSplit(dir, 10);
  const images = join(dir, "train-images-idx3-ubyte");
  const good = readFileSync(images);
  const wrong = Buffer.from(good);
  wrong.writeUInt32BE(0x00000801, 0);
  writeFileSync(images, wrong);
  assert.throws(
    () => new datasets.FashionMNIST({ root: dir }),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.includes(images) &&
      /wrong IDX magic number at byte offset 0: expected 0x00000803 \(unsigned byte values, 3 dimensions\), got 0x00000801/.test(
        e.message,
      ),
  );
  writeFileSync(images, good.subarray(0, 16 + 784 * 10 - 5));
  assert.throws(
    () => new datasets.FashionMNIST({ root: dir }),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.includes(images) &&
      e.message.includes(
        "truncated IDX file: dimensions [10, 28, 28] need 7840 bytes of data from byte offset 16 (up to 7856), the file ends at byte offset 7851",
      ),
  );
  writeFileSync(images, good.subarray(0, 10));
  assert.throws(
    () => new datasets.FashionMNIST({ root: dir }),
    /truncated IDX header: expected 3 dimension sizes \(bytes 4 to 15\), the file ends at byte offset 10/,
  );
  writeSplit(join(tmp, "mismatch"), 10, { labels: 9 });
  assert.throws(
    () => new datasets.FashionMNIST({ root: join(tmp, "mismatch") }),
    /image count and label count disagree: .*train-images-idx3-ubyte holds 10 images .* but .*train-labels-idx1-ubyte holds 9 labels/,
  );
  const gz = join(tmp, "badgz");
  writeSplit(gz, 3);
  writeFileSync(join(gz, "train-images-idx3-ubyte"), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
  assert.throws(() => new datasets.FashionMNIST({ root: gz }), /not a valid gzip file/);
});

/** A CIFAR-10 record: label, then 1024 R, 1024 G, 1024 B bytes (R = 10, G = 20, B = 30 + r). */
function cifarRecord(label: number, r: number): Buffer {
  const b = Buffer.alloc(3073);
  b[0] = label;
  b.fill(10, 1, 1025);
  b.fill(20, 1025, 2049);
  b.fill(30 + r, 2049, 3073);
  b[1 + 32 + 5] = 255; // red at row 1, column 5
  return b;
}

test("CIFAR10 binary layout: CHW items, HWC data, labels; malformed records are named", () => {
  const dir = join(tmp, "cifar", "cifar-10-batches-bin");
  mkdirSync(dir, { recursive: true });
  for (let k = 1; k <= 5; k++)
    writeFileSync(
      join(dir, `data_batch_${k}.bin`),
      Buffer.concat([cifarRecord(k, 0), cifarRecord(9, 1)]),
    );
  writeFileSync(join(dir, "test_batch.bin"), cifarRecord(3, 2));
  const ds = new datasets.CIFAR10({ root: join(tmp, "cifar") });
  assert.equal(ds.length, 10);
  assert.deepEqual(ds.targets.toArray(), [1, 9, 2, 9, 3, 9, 4, 9, 5, 9]);
  const [x, y] = ds.get(1);
  assert.equal(y, 9);
  assert.deepEqual(x.shape, [3, 32, 32]);
  assert.equal(x.index(0, 1, 5).item(), 1);
  assert.ok(Math.abs((x.index(0, 0, 0).item() as number) - 10 / 255) < 1e-7);
  assert.ok(Math.abs((x.index(2, 31, 31).item() as number) - 31 / 255) < 1e-7);
  assert.deepEqual(ds.data.shape, [10, 32, 32, 3]);
  assert.deepEqual(ds.data.index(1, 1, 5).toArray(), [255, 20, 31]);
  assert.equal(new datasets.CIFAR10({ root: dir, train: false }).get(0)[1], 3);

  const bad = join(tmp, "cifar-bad");
  mkdirSync(bad);
  writeFileSync(
    join(bad, "test_batch.bin"),
    Buffer.concat([cifarRecord(1, 0), cifarRecord(2, 0).subarray(0, 100)]),
  );
  assert.throws(
    () => new datasets.CIFAR10({ root: bad, train: false }),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message.includes(join(bad, "test_batch.bin")) &&
      e.message.includes(
        "record 1 at byte offset 3073 is 100 bytes long: expected CIFAR-10 records of 3073 bytes",
      ),
  );
  writeFileSync(
    join(bad, "test_batch.bin"),
    Buffer.concat([cifarRecord(1, 0), cifarRecord(12, 0)]),
  );
  assert.throws(
    () => new datasets.CIFAR10({ root: bad, train: false }),
    /record 1 at byte offset 3073: expected a label byte 0\.\.9, got 12/,
  );
  assert.throws(() => new datasets.CIFAR10({ root: bad }), /data_batch_1\.bin/);
});

test("CSVDataset: header detection, label by name or index, class names, cell errors with line and column", () => {
  const file = join(tmp, "iris.csv");
  writeFileSync(
    file,
    "sepal,petal,species\n5.1,1.4,setosa\n6.2,4.5,versicolor\r\n5.0,1.5,setosa\n\n",
  );
  const ds = new datasets.CSVDataset(file, { labelColumn: "species" });
  assert.equal(ds.length, 3);
  assert.deepEqual(ds.classes, ["setosa", "versicolor"]);
  assert.deepEqual(ds.featureColumns, ["sepal", "petal"]);
  const [x, y] = ds.get(1);
  assert.deepEqual(Array.from(x.dataSync()), [Math.fround(6.2), Math.fround(4.5)]);
  assert.equal(y, 1);
  const [xb, yb] = ds.getBatch([2, 0]);
  assert.deepEqual(xb.shape, [2, 2]);
  assert.deepEqual(yb.toArray(), [0, 0]);

  const plain = join(tmp, "plain.csv");
  writeFileSync(plain, "1,2,0\n3,4,1\n");
  const p = new datasets.CSVDataset(plain, { labelColumn: 0 });
  assert.equal(p.length, 2, "no header: the first line is numeric");
  assert.deepEqual(p.labels.toArray(), [1, 3]);
  assert.deepEqual(p.features.toArray(), [
    [2, 0],
    [4, 1],
  ]);

  const bad = join(tmp, "bad.csv");
  writeFileSync(bad, "a,b,label\n1,2,0\n3,x4,1\n");
  assert.throws(
    () => new datasets.CSVDataset(bad),
    (e: unknown) =>
      e instanceof FormatError &&
      e.message === `${bad}: line 3, column 2 ("b"): expected a number, got "x4"`,
  );
  writeFileSync(bad, "a,b,label\n1,,0\n");
  assert.throws(
    () => new datasets.CSVDataset(bad),
    /line 2, column 2 \("b"\): expected a number, got ""/,
  );
  writeFileSync(bad, "a,b,label\n1,2\n");
  assert.throws(() => new datasets.CSVDataset(bad), /line 2: expected 3 columns, got 2/);
  assert.throws(
    () => new datasets.CSVDataset(file, { labelColumn: "kind" }),
    /no column named "kind"/,
  );
});

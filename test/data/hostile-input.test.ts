// Issue 17, the dataset readers: hostile and broken IDX, gzip, CIFAR-10 and CSV files are
// refused with typed Kiln errors and short messages naming the file, in bounded time and memory
// (gzip is never inflated past what the header declares, or past a cap).

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { FormatError, type KilnError, ValueError } from "../../src/core/errors.ts";
import { MAX_CIFAR_RECORDS, parseCifarBatch } from "../../src/data/datasets/cifar10.ts";
import { CSVDataset, MAX_CSV_CLASSES, parseCsv } from "../../src/data/datasets/csv.ts";
import { gunzipCapped, readBytes } from "../../src/data/datasets/files.ts";
import { MAX_IDX_ELEMENTS, parseIdx, readIdx } from "../../src/data/datasets/idx.ts";
import { DatasetNotFoundError, datasets } from "../../src/data/index.ts";
import { loadClassifierData } from "../../src/train/classifier-app.ts";

const tmp = mkdtempSync(join(tmpdir(), "kiln-hostile-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function idx(typeCode: number, dims: number[], body: Uint8Array = new Uint8Array(0)): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE((typeCode << 8) | dims.length, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, body]);
}

/** `members` gzip members of `size` zero bytes each, concatenated (gunzip reads them all). */
function zeroBomb(size: number, members: number, prefix?: Uint8Array): Buffer {
  const one = gzipSync(Buffer.alloc(size));
  const parts = prefix ? [gzipSync(prefix)] : [];
  for (let i = 0; i < members; i++) parts.push(one);
  return Buffer.concat(parts);
}

/** The extra heap and array buffers `fn` leaves at its peak, roughly (sampled after it). */
function heapDelta(fn: () => void): number {
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const before = m0.heapUsed + m0.arrayBuffers;
  fn();
  const m1 = process.memoryUsage();
  return m1.heapUsed + m1.arrayBuffers - before;
}

/** Asserts that `fn` throws a KilnError of `type` whose message matches and is short. */
function refuses(fn: () => unknown, type: new (...a: never[]) => KilnError, pattern: RegExp) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof type, `expected a ${type.name}, got ${String(e)}`);
    assert.ok(e.message.length < 2000, `a ${e.message.length}-character message`);
    assert.ok(!e.message.includes("\n"), "one line");
    assert.match(e.message, pattern);
    return true;
  });
}

describe("gzip: capped inflation, zlib errors as FormatErrors", () => {
  test("the 4 bytes 1f 8b 08 00 are a FormatError naming the file", () => {
    const file = join(tmp, "t.idx.gz");
    writeFileSync(file, Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    refuses(() => readIdx(file), FormatError, /t\.idx\.gz: not a valid gzip file/);
    refuses(() => readBytes(file), FormatError, /t\.idx\.gz: not a valid gzip file/);
  });

  test("an IDX .gz whose content outgrows its header stops at the declared size", () => {
    // header [10, 28, 28] (7856 bytes), then 64 MB of zeros in 8 MB gzip members (~64 KB)
    const file = join(tmp, "bomb-idx3-ubyte.gz");
    const bomb = zeroBomb(8 << 20, 8, idx(0x08, [10, 28, 28], new Uint8Array(7840)));
    writeFileSync(file, bomb);
    const t0 = performance.now();
    const grew = heapDelta(() =>
      refuses(
        () => readIdx(file, { typeCode: 0x08, ndim: 3 }),
        FormatError,
        /bomb-idx3-ubyte\.gz: inflates to more than the 7856 bytes its header declares/,
      ),
    );
    assert.ok(performance.now() - t0 < 2000, "fast");
    assert.ok(grew < 32 << 20, `memory grew ${grew} bytes`);
  });

  test("an IDX .gz whose header declares too much is refused before inflating", () => {
    const file = join(tmp, "huge-idx3-ubyte.gz");
    writeFileSync(file, gzipSync(idx(0x08, [0xffffffff, 0xffffffff, 28])));
    refuses(
      () => readIdx(file, { typeCode: 0x08, ndim: 3 }),
      FormatError,
      /declare more than 1073741824 values/,
    );
    writeFileSync(file, zeroBomb(1 << 20, 4, idx(0x0e, [1 << 28])));
    refuses(() => readIdx(file), FormatError, /declare 2147483656 bytes, more than the 1073741824/);
  });

  test("a gzipped file without a declared size stops at the cap", () => {
    const bomb = zeroBomb(4 << 20, 4);
    refuses(
      () => gunzipCapped("x.gz", bomb, { maxBytes: 1 << 20 }),
      FormatError,
      /x\.gz: inflates to more than the 1048576-byte cap/,
    );
    assert.equal(gunzipCapped("x.gz", bomb, { maxBytes: 16 << 20 }).length, 16 << 20);
  });

  test("fashion-mnist: a bomb given as train images is refused in bounded memory", () => {
    const dir = join(tmp, "fashion-bomb");
    mkdirSync(dir);
    // the audit's 1.1 MB file: a header of [60000, 28, 28], then far more than 47 MB
    const bomb = zeroBomb(16 << 20, 16, idx(0x08, [60000, 28, 28]));
    writeFileSync(join(dir, "train-images-idx3-ubyte.gz"), bomb);
    writeFileSync(join(dir, "train-labels-idx1-ubyte"), idx(0x08, [60000], new Uint8Array(60000)));
    const grew = heapDelta(() =>
      refuses(
        () => new datasets.FashionMNIST({ root: dir }),
        FormatError,
        /inflates to more than the 47040016 bytes its header declares/,
      ),
    );
    assert.ok(grew < 128 << 20, `memory grew ${grew} bytes`);
  });
});

describe("IDX limits", () => {
  test("the dims product is checked without overflow and against the cap", () => {
    refuses(
      () => parseIdx("a", idx(0x08, [65536, 65536, 65536, 65536, 65536])),
      FormatError,
      new RegExp(
        `a: IDX dimensions \\[65536, 65536, 65536, 65536, 65536\\] .* more than ${MAX_IDX_ELEMENTS} values`,
      ),
    );
    // 2^16 × 2^16 × 0: no data at all, accepted
    assert.deepEqual(parseIdx("z", idx(0x08, [65536, 65536, 0])).dims, [65536, 65536, 0]);
    refuses(() => parseIdx("b", idx(0x0c, [1 << 27])), FormatError, /b: truncated IDX file/);
  });

  test("255 dimensions give a short message", () => {
    const dims = Array.from({ length: 255 }, () => 0xffffffff);
    refuses(() => parseIdx("c", idx(0x08, dims)), FormatError, /… \(255 dimensions\)\]/);
  });

  test("an unknown type code is a FormatError even when expected", () => {
    refuses(
      () => parseIdx("d", idx(0x42, [1], new Uint8Array(1)), { typeCode: 0x42, ndim: 1 }),
      FormatError,
      /wrong IDX magic number/,
    );
  });

  test("missing files and directories are typed errors naming the path", () => {
    refuses(() => readIdx(join(tmp, "nope")), DatasetNotFoundError, /nope: no such file/);
    refuses(() => readIdx(tmp), ValueError, /is a directory, expected a file/);
  });
});

describe("CIFAR-10 batches", () => {
  test("an empty batch and a batch with too many records are FormatErrors", () => {
    refuses(() => parseCifarBatch("e.bin", new Uint8Array(0)), FormatError, /e\.bin: empty/);
    const dir = join(tmp, "cifar-bomb");
    mkdirSync(join(dir, "cifar-10-batches-bin"), { recursive: true });
    // 4 × 64 MB of zeros, gzipped: more than 60,000 records
    writeFileSync(join(dir, "cifar-10-batches-bin", "test_batch.bin"), zeroBomb(64 << 20, 4));
    refuses(
      () => new datasets.CIFAR10({ root: dir, train: false }),
      FormatError,
      new RegExp(
        `test_batch\\.bin: inflates to more than the ${MAX_CIFAR_RECORDS * 3073}-byte cap`,
      ),
    );
  });
});

describe("CSV labels", () => {
  const csv = (name: string, text: string) => {
    const file = join(tmp, name);
    writeFileSync(file, text);
    return file;
  };

  for (const [value, why] of [
    ["1e9", "too large"],
    ["1e400", "infinite"],
    ["2000000", "too large"],
    ["2147483649", "past int32"],
    ["0.5", "fractional"],
    ["-1", "negative"],
    ["nan", "not a number"],
    ["-inf", "infinite"],
  ] as const) {
    test(`a label of ${value} (${why}) is a FormatError naming file, line and value`, () => {
      const file = csv("big.csv", `a,label\n1,0\n2,${value}\n3,1\n`);
      const expected = new RegExp(
        `big\\.csv: line 3, column 2 \\("label"\\): expected a class index, an integer from 0 to ${MAX_CSV_CLASSES - 1} .*got "${value}"`,
      );
      const t0 = performance.now();
      refuses(() => new CSVDataset(file), FormatError, expected);
      refuses(() => loadClassifierData(`csv:${file}`), FormatError, expected);
      assert.ok(performance.now() - t0 < 1000);
    });
  }

  test("class labels up to maxClasses - 1 are accepted; the option raises the cap", () => {
    const file = csv("ok.csv", `a,label\n1,0\n2,${MAX_CSV_CLASSES - 1}\n`);
    assert.deepEqual(new CSVDataset(file).labels.toArray(), [0, MAX_CSV_CLASSES - 1]);
    const more = csv("more.csv", "a,label\n1,0\n2,5000\n");
    refuses(() => new CSVDataset(more), FormatError, /line 3/);
    assert.deepEqual(new CSVDataset(more, { maxClasses: 5001 }).labels.toArray(), [0, 5000]);
    refuses(() => new CSVDataset(more, { maxClasses: 0 }), ValueError, /maxClasses/);
    assert.equal(new CSVDataset(csv("one.csv", "a,label\n1,1.0\n")).labels.dtype, "int32");
  });

  test('task "regression" keeps finite fractional labels as float32', () => {
    const file = csv("reg.csv", "a,y\n1,0.5\n2,-3e2\n");
    const ds = new CSVDataset(file, { task: "regression" });
    assert.equal(ds.labels.dtype, "float32");
    assert.deepEqual(ds.labels.toArray(), [0.5, -300]);
    refuses(
      () => new CSVDataset(csv("reg2.csv", "a,y\n1,inf\n"), { task: "regression" }),
      FormatError,
      /line 2, column 2 \("y"\): expected a finite number, got "inf"/,
    );
    refuses(
      () => new CSVDataset(csv("reg3.csv", "a,y\n1,cat\n"), { task: "regression" }),
      FormatError,
      /expected a number \(task "regression"\), got "cat"/,
    );
  });

  test("word labels: at most maxClasses distinct; an empty label cell is refused", () => {
    const words = Array.from({ length: 12 }, (_, i) => `1,w${i}`).join("\n");
    refuses(
      () => new CSVDataset(csv("words.csv", `a,kind\n${words}\n`), { maxClasses: 10 }),
      FormatError,
      /words\.csv: line 12, column 2 \("kind"\): "w10" is label number 11, more than the 10 classes/,
    );
    assert.deepEqual(new CSVDataset(csv("w2.csv", "a,kind\n1,cat\n2,1.5\n")).classes, [
      "1.5",
      "cat",
    ]);
    refuses(
      () => new CSVDataset(csv("empty-label.csv", "a,label\n1,0\n2,\n")),
      FormatError,
      /line 3, column 2 \("label"\): expected a label, got an empty cell/,
    );
    refuses(
      () => new CSVDataset(csv("blank.csv", "a,label\n1,0\n\n2,1\n")),
      FormatError,
      /line 3: expected 2 columns, got 1/,
    );
  });

  test("trailing blank lines, CRLF and a BOM are fine; a long cell is cut in the message", () => {
    const ds = new CSVDataset(csv("crlf.csv", "\ufeffa,label\r\n1,0\r\n2,1\r\n\r\n  \n"));
    assert.deepEqual(ds.columns, ["a", "label"]);
    assert.equal(ds.length, 2);
    const long = "x".repeat(100_000);
    refuses(
      () => parseCsv("long.csv", `a,label\n${long},0\n`),
      FormatError,
      /long\.csv: line 2, column 1 \("a"\): expected a number, got "x{40}…"/,
    );
  });

  test("csv:missing.csv and csv:<a directory> are one-line typed errors", () => {
    refuses(
      () => loadClassifierData(`csv:${join(tmp, "missing.csv")}`),
      DatasetNotFoundError,
      /missing\.csv: no such file/,
    );
    refuses(() => loadClassifierData(`csv:${tmp}`), ValueError, /is a directory, expected a file/);
  });
});

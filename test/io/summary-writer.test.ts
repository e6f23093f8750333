// Tests of the TensorBoard writer, read back with the independent reader in tb-reader.ts:
// CRC-32C test vectors, TFRecord framing, the file-version event, scalars, histograms, PR curves
// and text; histogram and PR-curve math against PyTorch's own summary.py (tools/io_tb_golden.py)
// and against values derived by hand.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { crc32c } from "../../src/io/crc32c.ts";
import { SummaryWriter } from "../../src/io/summary-writer.ts";
import { computePrCurve, type HistogramBins, makeHistogram } from "../../src/io/tb-summaries.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { crc32cBitwise, type ReadEvent, readEvent, readTfRecords } from "./tb-reader.ts";

const GOLDEN = path.join(import.meta.dirname, "..", "golden", "io", "tb_summaries.json");

function readEvents(file: string): ReadEvent[] {
  return readTfRecords(fs.readFileSync(file)).map(readEvent);
}

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kiln-tb-"));
}

function close(actual: number[], expected: number[], tol = 1e-12): void {
  assert.equal(actual.length, expected.length);
  for (const [i, a] of actual.entries()) {
    const e = expected[i]!;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `at ${i}: ${a} vs ${e}`);
  }
}

describe("CRC-32C", () => {
  // Check value from the CRC catalogue ("123456789") and RFC 3720 appendix B.4.
  const vectors: [Uint8Array, number][] = [
    [new TextEncoder().encode("123456789"), 0xe3069283],
    [new Uint8Array(32), 0x8a9136aa],
    [new Uint8Array(32).fill(0xff), 0x62a8ab43],
    [Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    [Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ];
  it("the writer's table-driven and the reader's bitwise CRC match the test vectors", () => {
    for (const [bytes, want] of vectors) {
      assert.equal(crc32c(bytes), want);
      assert.equal(crc32cBitwise(bytes), want);
    }
  });
});

describe("SummaryWriter: event files", () => {
  it("writes a file-version event, then scalars, histograms, PR curves and text", () => {
    const dir = path.join(tmpDir(), "runs", "exp1");
    const w = new SummaryWriter(dir, { maxQueue: 100 });
    assert.match(path.basename(w.file), /^events\.out\.tfevents\.\d{10}\.[^.]+.*\.\d+\.\d+$/);
    w.addScalar("loss/all", 0.2563, 1000, 1700000000.25);
    w.addScalar("correct/all", 0, 0);
    w.addScalar("pr/f1_score", Tensor.fromData(new Float64Array([0.5]), [], "float64"), 2000);
    w.addHistogram("prob_neg", [0.1, 0.25, 0.3, 0.9], 1000, { bins: [0, 0.2, 0.4, 0.6, 0.8, 1.0] });
    w.addPrCurve(
      "pr",
      [1, 0, 1, 0],
      Tensor.fromData(new Float32Array([0.9, 0.6, 0.4, 0.1]), [4], "float32"),
      1000,
      {
        numThresholds: 3,
      },
    );
    w.addText("args", "lr=0.01 épochs=3", 5);
    w.close();
    const events = readEvents(w.file);
    assert.equal(events.length, 7);
    const [version, loss, zero, f1, histo, pr, text] = events as [ReadEvent, ...ReadEvent[]];
    assert.equal(version.fileVersion, "brain.Event:2");
    assert.ok(Math.abs(version.wallTime - Date.now() / 1000) < 60);

    assert.equal(loss!.tag, "loss/all");
    assert.equal(loss!.step, 1000);
    assert.equal(loss!.wallTime, 1700000000.25);
    assert.equal(loss!.simpleValue, Math.fround(0.2563));
    assert.equal(zero!.simpleValue, 0, "a zero scalar is still written (oneof member)");
    assert.equal(zero!.step, 0);
    assert.equal(f1!.simpleValue, 0.5);

    // By hand: [0.1] in [0, 0.2), [0.25, 0.3] in [0.2, 0.4), [0.9] in [0.8, 1.0]; one empty
    // bucket in front carries the left edge.
    assert.equal(histo!.tag, "prob_neg");
    assert.deepEqual(histo!.histo!.bucket, [0, 1, 2, 0, 0, 1]);
    assert.deepEqual(histo!.histo!.bucketLimit, [0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    assert.equal(histo!.histo!.min, 0.1);
    assert.equal(histo!.histo!.max, 0.9);
    assert.equal(histo!.histo!.num, 4);
    close([histo!.histo!.sum, histo!.histo!.sumSquares], [1.55, 0.01 + 0.0625 + 0.09 + 0.81]);

    // By hand, thresholds 0, 0.5, 1: at 0.5 the positives predicted are {0.9 (pos), 0.6 (neg)}.
    assert.equal(pr!.tag, "pr");
    assert.equal(pr!.pluginName, "pr_curves");
    assert.equal(pr!.pluginContent!.get(2)![0]!.varint, 3n);
    assert.equal(pr!.pluginContent!.has(1), false, "version 0 is left out, as proto3 does");
    assert.equal(pr!.tensor!.dtype, 1);
    assert.deepEqual(pr!.tensor!.shape, [6, 3]);
    assert.deepEqual(pr!.tensor!.floats, [
      ...[2, 1, 0], // TP
      ...[2, 1, 0], // FP
      ...[0, 1, 2], // TN
      ...[0, 1, 2], // FN
      ...[0.5, 0.5, 0], // precision
      ...[1, 0.5, 0], // recall
    ]);

    assert.equal(text!.tag, "args/text_summary");
    assert.equal(text!.step, 5);
    assert.equal(text!.pluginName, "text");
    assert.equal(text!.tensor!.dtype, 7);
    assert.deepEqual(text!.tensor!.shape, [1]);
    assert.deepEqual(text!.tensor!.strings, ["lr=0.01 épochs=3"]);
  });

  it("buffers whole records: nothing but the version event until a flush, maxQueue or the timer", async () => {
    const w = new SummaryWriter(tmpDir(), { maxQueue: 3, flushSecs: 0.05 });
    w.addScalar("a", 1, 1);
    w.addScalar("a", 2, 2);
    assert.equal(readEvents(w.file).length, 1);
    w.addScalar("a", 3, 3);
    assert.equal(readEvents(w.file).length, 4, "the third record reaches maxQueue");
    w.addScalar("a", 4, 4);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      readEvents(w.file).map((e) => e.simpleValue ?? null),
      [null, 1, 2, 3, 4],
    );
    w.flush();
    w.close();
    w.close();
    assert.throws(() => w.addScalar("a", 5, 5), ValueError);
  });

  it("flushes pending records at process exit when close() was never called", () => {
    const dir = tmpDir();
    const writerUrl = new URL("../../src/io/summary-writer.ts", import.meta.url).href;
    const script = `import { SummaryWriter } from ${JSON.stringify(writerUrl)};
      const w = new SummaryWriter(${JSON.stringify(dir)});
      w.addScalar("loss/all", 0.5, 7);`;
    execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
    const [file] = fs.readdirSync(dir);
    const events = readEvents(path.join(dir, file!));
    assert.deepEqual(
      events.map((e) => e.tag ?? e.fileVersion),
      ["brain.Event:2", "loss/all"],
    );
    assert.equal(events[1]!.step, 7);
  });

  it("rejects bad input with typed errors", () => {
    const w = new SummaryWriter(tmpDir());
    assert.throws(() => w.addHistogram("h", [], 0), /no element/);
    assert.throws(() => w.addHistogram("h", [5], 0, { bins: [0, 1] }), /outside the bins/);
    assert.throws(
      () => w.addPrCurve("p", [1, 0], [0.5], 0),
      /labels has 2 elements but predictions has 1/,
    );
    assert.throws(() => w.addScalar("s", 1, 1.5), /step must be an integer/);
    w.close();
  });
});

describe("histograms and PR curves match PyTorch's summary.py", () => {
  const golden = JSON.parse(fs.readFileSync(GOLDEN, "utf8")) as {
    histograms: Record<
      string,
      { values: number[]; bins: HistogramBins; histo: Record<string, number | number[]> }
    >;
    pr_curves: Record<
      string,
      {
        labels: number[];
        predictions: number[];
        num_thresholds: number;
        weights?: number[];
        data: number[][];
      }
    >;
  };

  for (const [name, c] of Object.entries(golden.histograms)) {
    it(`make_histogram, ${name}`, () => {
      const h = makeHistogram(c.values, c.bins);
      assert.deepEqual(h.bucket, c.histo.bucket);
      close(h.bucketLimit, c.histo.bucket_limit as number[], 0);
      assert.equal(h.min, c.histo.min);
      assert.equal(h.max, c.histo.max);
      assert.equal(h.num, c.histo.num);
      close([h.sum, h.sumSquares], [c.histo.sum as number, c.histo.sum_squares as number]);
    });
  }

  for (const [name, c] of Object.entries(golden.pr_curves)) {
    it(`compute_curve, ${name}`, () => {
      const data = computePrCurve(c.labels, c.predictions, c.num_thresholds, c.weights);
      close(Array.from(data), c.data.flat());
    });
  }
});

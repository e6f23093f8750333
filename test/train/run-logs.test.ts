// What a `kiln train` run leaves for people to look at, read back with readers that share no code
// with the writers (the suite's TensorBoard reader, PIL for PNGs, the MNIST IDX file itself):
// per-step loss and learning rate every --log-every steps beside the per-epoch scalars, the model
// as text, the misclassified validation samples and the confusion matrix as images, the run's
// hparams, and a report.html whose rebuild by `kiln report` is the same page.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { data, io } from "../../src/index.ts";
import { type ReadEvent, readEvent, readHParams, readTfRecords } from "../io/tb-reader.ts";
import { type KilnResult, kiln, only, tempDir } from "./helpers.ts";

const tmp = tempDir("run-logs");
after(() => tmp.cleanup());
let run: KilnResult;
let runs: string;

// 640 / 32 = 20 batches an epoch; --log-every 5 logs after global steps 5, 10, ..., 40.
before(async () => {
  run = await kiln(
    "train",
    "--limit",
    "640",
    "--val-limit",
    "200",
    "--batch-size",
    "32",
    "--epochs",
    "2",
    "--log-every",
    "5",
    "--out",
    tmp.dir,
  );
  runs = join(tmp.dir, "runs", "kiln");
});

const runDir = () => only(runs, /^\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d-kiln$/);
function events(dir: string): ReadEvent[] {
  return readTfRecords(new Uint8Array(readFileSync(only(dir, /^events\.out\.tfevents\./)))).map(
    readEvent,
  );
}

const PYTHON = "/usr/bin/python3";
const hasPil = spawnSync(PYTHON, ["-c", "import PIL"], { stdio: "ignore" }).status === 0;
/** Decodes PNGs (base64) with PIL: size and RGB pixels, row-major. */
function pngPixels(pngs: Uint8Array[]): { size: [number, number]; rgb: number[][] }[] {
  const script = `
import base64, io, json, sys
from PIL import Image
out = []
for b in json.load(sys.stdin):
    im = Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB")
    out.append({"size": list(im.size), "rgb": [list(p) for p in im.getdata()]})
print(json.dumps(out))
`;
  const input = JSON.stringify(pngs.map((p) => Buffer.from(p).toString("base64")));
  const r = spawnSync(PYTHON, ["-c", script], { input, encoding: "utf8", maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The first `n` MNIST test images as raw bytes (the validation split of `kiln train`). */
function mnistVal(n: number): Uint8Array[] {
  const dir = data.datasets.bundledMnistDir();
  const idx = data.datasets.parseIdx("t10k", readFileSync(join(dir, "t10k-images-idx3-ubyte")));
  return Array.from({ length: n }, (_, i) => idx.bytes.subarray(i * 784, (i + 1) * 784));
}

describe("kiln train --log-every 5", () => {
  test("exits 0", () => assert.equal(run.code, 0, run.stderr));

  test("step records: every 5 steps, at samples seen, and their losses average to the epoch's", () => {
    const log = io.readMetricsJsonl(join(runDir(), "metrics.jsonl"));
    const text = readFileSync(join(runDir(), "metrics.jsonl"), "utf8");
    const steps = text
      .split("\n")
      .filter((l) => l.includes('"kind":"step"'))
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      steps.map((s) => [s.epoch, s.batch, s.step, s.metrics.lr]),
      [5, 10, 15, 20, 25, 30, 35, 40].map((g) => [
        g <= 20 ? 1 : 2,
        ((g - 1) % 20) + 1,
        32 * g,
        0.01,
      ]),
    );
    // Every batch holds 32 samples, so the mean of the four windows' mean batch losses is the mean
    // per-sample loss of the epoch: the trn loss/all of metrics.jsonl.
    for (const epoch of [1, 2]) {
      const windows = steps.filter((s) => s.epoch === epoch).map((s) => s.metrics.loss as number);
      const mean = windows.reduce((a, b) => a + b, 0) / windows.length;
      const want = log.find((r) => r.epoch === epoch && r.mode === "trn")!.metrics["loss/all"]!;
      assert.ok(
        Math.abs(mean - want) < 1e-5 * Math.max(1, want),
        `epoch ${epoch}: ${mean} vs ${want}`,
      );
    }
  });

  test("TensorBoard: loss/step and lr beside the per-epoch scalars, the model as text", () => {
    const trn = events(only(runs, /-trn_cls-kiln$/));
    const steps = readFileSync(join(runDir(), "metrics.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.includes('"kind":"step"'))
      .map((l) => JSON.parse(l));
    const scalars = (tag: string) =>
      trn
        .filter((e) => e.tag === tag && e.simpleValue !== undefined)
        .map((e) => [e.step, e.simpleValue]);
    assert.deepEqual(
      scalars("loss/step"),
      steps.map((s) => [s.step, Math.fround(s.metrics.loss)]),
    );
    assert.deepEqual(
      scalars("lr"),
      steps.map((s) => [s.step, Math.fround(0.01)]),
    );
    assert.deepEqual(
      scalars("loss/all").map(([step]) => step),
      [640, 1280],
    );
    const text = trn.filter((e) => e.tag === "model/text_summary");
    assert.equal(text.length, 1);
    assert.equal(text[0]!.pluginName, "text");
    const body = text[0]!.tensor!.strings[0]!;
    assert.match(body, /^ {4}NeuralNet\($/m);
    assert.match(body, /^ {6}\(fc1\): Linear\(in_features=784, out_features=128, bias=True\)$/m);
    // 784·128 + 128 + 128·10 + 10 = 101770 parameters, all trainable.
    assert.match(body, /101,770 parameters \(101,770 trainable\)$/);
  });

  test("TensorBoard hparams: the run's arguments and final validation metrics", () => {
    const hp = events(join(only(runs, /-val_cls-kiln$/), "hparams"));
    const contents = hp
      .filter((e) => e.pluginName === "hparams")
      .map((e) => readHParams(e.pluginContentBytes!));
    const start = contents.find((c) => c.sessionStartInfo !== undefined)!.sessionStartInfo!;
    assert.equal(start.hparams.lr, 0.01);
    assert.equal(start.hparams.batchSize, 32);
    assert.equal(start.hparams.epochs, 2);
    assert.equal(start.hparams.logEvery, 5);
    assert.equal(start.hparams.optimizer, "sgd");
    assert.equal(start.hparams.model, "mlp");
    assert.equal(start.hparams.out, undefined, "paths are not hyperparameters");
    const experiment = contents.find((c) => c.experiment !== undefined)!.experiment!;
    assert.deepEqual(experiment.metricInfos.map((m) => m.tag).sort(), [
      "hparam/accuracy",
      "hparam/f1",
      "hparam/loss",
      "hparam/precision",
      "hparam/recall",
      "hparam/score",
    ]);
    const lastVal = io
      .readMetricsJsonl(join(runDir(), "metrics.jsonl"))
      .filter((r) => r.mode === "val")
      .at(-1)!;
    const metric = (tag: string) => hp.find((e) => e.tag === tag)?.simpleValue;
    assert.equal(metric("hparam/accuracy"), Math.fround(lastVal.metrics["correct/all"]!));
    assert.equal(metric("hparam/loss"), Math.fround(lastVal.metrics["loss/all"]!));
    assert.equal(metric("hparam/f1"), Math.fround(lastVal.metrics["pr/f1_score"]!));
  });

  test("TensorBoard images: the confusion matrix and the misclassified samples, per validation", {
    skip: hasPil ? false : "needs PIL at /usr/bin/python3",
  }, () => {
    const val = events(only(runs, /-val_cls-kiln$/));
    const records = io
      .readMetricsJsonl(join(runDir(), "metrics.jsonl"))
      .filter((r) => r.mode === "val");
    const raw = mnistVal(200);
    for (const r of records) {
      const confusion = val.find((e) => e.tag === "confusion_matrix" && e.step === r.step)!.image!;
      const grid = val.find((e) => e.tag === "misclassified" && e.step === r.step)!.image!;
      const [c, g] = pngPixels([confusion.png, grid.png]);
      // 10 cells of 24 pixels and 11 one-pixel white lines: 251 a side.
      assert.deepEqual(c!.size, [251, 251]);
      assert.deepEqual(c!.rgb[0], [255, 255, 255]);
      // The centre of cell (i, j) is white → deep blue (247,251,255) → (8,48,107) at
      // sqrt(share of its row), as report.html colours it (±1 for the 0-255 rounding).
      for (const [i, j] of [
        [0, 0],
        [3, 5],
        [9, 9],
        [7, 2],
      ] as const) {
        const row = r.confusion![i]!;
        const t = Math.sqrt(row[j]! / row.reduce((a, b) => a + b, 0));
        const want = [
          [247, 8],
          [251, 48],
          [255, 107],
        ].map(([a, b]) => a! + (b! - a!) * t);
        const px = c!.rgb[(1 + i * 25 + 12) * 251 + 1 + j * 25 + 12]!;
        for (const [k, v] of px.entries()) {
          assert.ok(Math.abs(v - want[k]!) <= 1, `cell ${i},${j}: ${px} vs ${want}`);
        }
      }
      // The most confident mistakes, at most 16, in rows of 8 without padding (torch's grid).
      const wrong = r
        .confusion!.flatMap((row, i) => row.filter((_, j) => j !== i))
        .reduce((a, b) => a + b, 0);
      const items = r.misclassified!.items;
      assert.equal(items.length, Math.min(16, wrong));
      const cols = Math.min(8, items.length);
      assert.deepEqual(g!.size, [cols * 28, Math.ceil(items.length / cols) * 28]);
      items.forEach((it, k) => {
        const [x0, y0] = [(k % cols) * 28, Math.floor(k / cols) * 28];
        for (let p = 0; p < 784; p++) {
          const got = g!.rgb[(y0 + Math.floor(p / 28)) * cols * 28 + x0 + (p % 28)]![0]!;
          assert.ok(Math.abs(got - raw[it.index]![p]!) <= 1, `sample ${it.index} pixel ${p}`);
        }
      });
    }
  });

  test("report.html: step charts, overall metrics first, the gallery; kiln report rebuilds the same page", {
    skip: hasPil ? false : "needs PIL at /usr/bin/python3",
  }, async () => {
    const html = join(runDir(), "report.html");
    const live = readFileSync(html, "utf8");
    assert.match(live, /Training loss per step/);
    assert.match(live, /Learning rate/);
    const heads = [
      ...live
        .match(/<table class="metrics">(.*?)<\/table>/s)![1]!
        .matchAll(/<th(?: [^>]*)?>([^<]*)<\/th>/g),
    ].map((m) => m[1]);
    assert.deepEqual(heads, [
      "epoch",
      "mode",
      "loss",
      "accuracy %",
      "precision",
      "recall",
      "F1",
      "score",
    ]);
    const last = io.readMetricsJsonl(join(runDir(), "metrics.jsonl")).at(-1)!;
    const figures = [
      ...live.matchAll(
        /<img src="data:image\/png;base64,([^"]+)"[^>]*><figcaption>([^<]*)<\/figcaption>/g,
      ),
    ];
    const items = last.misclassified!.items;
    assert.deepEqual(
      figures.map((f) => f[2]!.replace(/ \(p=.*/, "")),
      items.map((it) => `true ${it.label} · predicted ${it.pred}`),
    );
    // Each inline PNG is the raw validation image, exactly.
    const raw = mnistVal(200);
    const decoded = pngPixels(figures.map((f) => Buffer.from(f[1]!, "base64")));
    decoded.forEach((img, k) => {
      assert.deepEqual(img.size, [28, 28]);
      assert.deepEqual(
        img.rgb.map((p) => p[0]),
        Array.from(raw[items[k]!.index]!),
        `sample ${k}`,
      );
    });
    assert.deepEqual(
      readdirSync(runDir())
        .filter((n) => n.endsWith(".png"))
        .sort(),
      ["misclassified_E1.png", "misclassified_E2.png"],
    );
    const r = await kiln("report", runDir());
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(html, "utf8"), live, "the rebuilt report differs from the live one");
  });
});

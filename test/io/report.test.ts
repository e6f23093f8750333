// Tests of metrics.jsonl and report.html: NaN survives the JSON round trip, a torn last line is
// skipped, step records are kept apart from epoch records, and the rendered page holds the SVG
// paths, the numbers and tables (overall metrics before per-class ones), the gallery of
// misclassified samples (PNGs written and read back by PIL, which shares no code with Kiln) and
// no external URL.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { FormatError } from "../../src/core/errors.ts";
import {
  appendMetricsJsonl,
  type EpochRecord,
  parseMetricsJsonl,
  parseRunLog,
  readMetricsJsonl,
  readRunLog,
  type StepRecord,
} from "../../src/io/metrics-jsonl.ts";
import {
  loadRunSummary,
  type RunSummary,
  rebuildReport,
  renderReport,
  summaryFromRecords,
} from "../../src/io/report.ts";
import { formatNumber, niceTicks } from "../../src/io/svg-chart.ts";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kiln-report-"));
}

/** A three-epoch binary run, with one NaN (no positive predictions in epoch 1). */
export function sampleRecords(): EpochRecord[] {
  const rows: EpochRecord[] = [];
  const loss = [
    [0.6932, 0.6012],
    [0.4123, 0.3988],
    [0.2563, 0.2613],
  ];
  loss.forEach(([trn, val], i) => {
    const epoch = i + 1;
    rows.push({
      epoch,
      mode: "trn",
      step: epoch * 1000,
      metrics: {
        "loss/all": trn!,
        "correct/all": 70 + 10 * i,
        "pr/precision": i === 0 ? Number.NaN : 0.8 + 0.05 * i,
      },
    });
    rows.push({
      epoch,
      mode: "val",
      step: epoch * 1000,
      metrics: {
        "loss/all": val!,
        "correct/all": 72 + 9 * i,
        "pr/precision": i === 0 ? Number.NaN : 0.81 + 0.04 * i,
        "pr/recall": 0.5 + 0.2 * i,
        "pr/f1_score": i === 0 ? Number.NaN : 0.7 + 0.1 * i,
      },
    });
  });
  const last = rows.at(-1)!;
  last.confusion = [
    [850, 17],
    [42, 91],
  ];
  last.classNames = ["neg", "pos"];
  last.perClass = [
    { precision: 850 / 892, recall: 850 / 867, f1: (2 * 850) / (892 + 867), support: 867 },
    { precision: 91 / 108, recall: 91 / 133, f1: (2 * 91) / (108 + 133), support: 133 },
  ];
  last.curve = { kind: "roc", x: [0, 0.02, 0.1, 0.4, 1], y: [0, 0.6, 0.8, 0.95, 1], auc: 0.9123 };
  return rows;
}

describe("metrics.jsonl", () => {
  it("round-trips records with NaN and infinities, one line each", () => {
    const file = path.join(tmpDir(), "run", "metrics.jsonl");
    const records = sampleRecords();
    for (const r of records) appendMetricsJsonl(file, r);
    appendMetricsJsonl(file, {
      epoch: 4,
      mode: "trn",
      metrics: { a: Number.POSITIVE_INFINITY, b: Number.NEGATIVE_INFINITY },
    });
    const text = fs.readFileSync(file, "utf8");
    assert.equal(text.split("\n").length, records.length + 2);
    assert.match(text, /"pr\/precision":"nan"/);
    const back = readMetricsJsonl(file);
    assert.deepEqual(back.slice(0, records.length), records);
    assert.deepEqual(back.at(-1)!.metrics, {
      a: Number.POSITIVE_INFINITY,
      b: Number.NEGATIVE_INFINITY,
    });
  });

  it("skips a torn last line but rejects a bad line in the middle", () => {
    const good = '{"epoch":1,"mode":"trn","metrics":{"loss/all":0.5}}';
    assert.equal(parseMetricsJsonl(`${good}\n{"epoch":2,"mo`).length, 1);
    assert.throws(
      () => parseMetricsJsonl(`{"epoch":2,"mo\n${good}\n`, "m.jsonl"),
      (e: unknown) => e instanceof FormatError && /m\.jsonl: line 1/.test(e.message),
    );
    assert.throws(
      () => parseMetricsJsonl(`{"epoch":1,"mode":"test","metrics":{}}\n`),
      /line 1 is not a record/,
    );
  });
});

describe("report.html", () => {
  const run: RunSummary = {
    ...summaryFromRecords(sampleRecords(), {
      title: "NeuralNet on MNIST <binary 3>",
      created: "2026-11-27T14:03:11Z",
      args: { epochs: 3, lr: 0.01, optimizer: "sgd", comment: "dwlpt" },
    }),
  };
  const html = renderReport(run);

  it("is self-contained: no scripts, no external URLs, escaped text", () => {
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.doesNotMatch(html, /https?:\/\//);
    assert.doesNotMatch(html, /<script|<link|src=|@import|url\(/i);
    assert.match(html, /<title>NeuralNet on MNIST &#60;binary 3&#62;<\/title>/);
  });

  it("draws loss, accuracy, val P/R/F1 and ROC charts as SVG paths, one per series", () => {
    const svgs = html.match(/<svg /g) ?? [];
    assert.equal(svgs.length, 4);
    for (const name of [
      "trn loss/all",
      "val loss/all",
      "trn correct/all",
      "val correct/all",
      "val precision",
      "val recall",
      "val f1_score",
      "ROC",
      "chance",
    ]) {
      assert.match(
        html,
        new RegExp(
          `<path class="series" data-series="${name.replace("/", "\\/")}" d="M[\\d.]+ [\\d.]+`,
        ),
        name,
      );
    }
    const lossPath = html.match(/data-series="trn loss\/all" d="([^"]+)"/)![1]!;
    assert.equal(lossPath.split(/[ML]/).filter(Boolean).length, 3, "three epochs, three points");
    const precisionPath = html.match(/data-series="val precision" d="([^"]+)"/)![1]!;
    assert.ok(
      precisionPath.startsWith("M") && !precisionPath.includes("NaN"),
      "NaN starts a new segment",
    );
    assert.equal(precisionPath.split(/[ML]/).filter(Boolean).length, 2);
    assert.match(html, /ROC curve, AUC 0\.9123/);
  });

  it("shows the numbers: metric table with nan, confusion matrix, per-class table, args", () => {
    assert.match(html, /<td>0\.2563<\/td>/);
    assert.match(html, /<span class="nan">nan<\/span>/);
    assert.match(html, /<table class="confusion">.*<th>neg<\/th><th>pos<\/th>/s);
    assert.match(
      html,
      /<td style="background:rgb\(\d+, \d+, \d+\);color:#fff" title="850 \(98\.0% of row\)">850<\/td>/,
    );
    assert.match(
      html,
      /<td class="name">pos<\/td><td>0\.8426<\/td><td>0\.6842<\/td><td>0\.7552<\/td><td>133<\/td>/,
    );
    assert.match(html, /<td class="name">optimizer<\/td><td class="name">sgd<\/td>/);
    assert.match(html, /last validation \(epoch 3\): loss\/all 0\.2613, correct\/all 90/);
  });

  it("leaves out sections without data", () => {
    const bare = renderReport({
      title: "t",
      created: "now",
      epochs: [{ epoch: 1, mode: "trn", metrics: { loss: 1.5 } }],
    });
    assert.equal((bare.match(/<svg /g) ?? []).length, 1);
    assert.doesNotMatch(bare, /Confusion|Per-class|ROC|Arguments/);
  });

  it("accepts train.classificationMetrics' shapes: roc {fpr, tpr, auc} and per-class name/count", () => {
    const records: EpochRecord[] = [
      {
        epoch: 1,
        mode: "val",
        metrics: { "loss/all": 0.3 },
        perClass: [
          { name: "neg", count: 90, precision: 0.9, recall: 0.95, f1: 0.925 },
          { name: "pos", count: 10, precision: Number.NaN, recall: 0, f1: Number.NaN },
        ],
        roc: { fpr: [0, 0.5, 1], tpr: [0, 0.8, 1], auc: 0.65 },
      },
    ];
    const page = renderReport(
      summaryFromRecords(
        parseMetricsJsonl(
          `${records.map((r) => JSON.stringify(r, (_k, v) => (Number.isNaN(v) ? "nan" : v))).join("\n")}\n`,
        ),
        { title: "t" },
      ),
    );
    assert.match(page, /ROC curve, AUC 0\.6500/);
    assert.match(
      page,
      /<td class="name">pos<\/td><td><span class="nan">nan<\/span><\/td><td>0<\/td><td><span class="nan">nan<\/span><\/td><td>10<\/td>/,
    );
    assert.match(page, /macro avg<\/th>.*<th>100<\/th>/);
  });

  it("rebuilds report.html from a run directory's metrics.jsonl and run.json", () => {
    const dir = tmpDir();
    for (const r of sampleRecords()) appendMetricsJsonl(path.join(dir, "metrics.jsonl"), r);
    fs.writeFileSync(
      path.join(dir, "run.json"),
      JSON.stringify({ title: "from run.json", args: { seed: 0 } }),
    );
    const file = rebuildReport(dir);
    assert.equal(file, path.join(dir, "report.html"));
    const page = fs.readFileSync(file, "utf8");
    assert.match(page, /<h1>from run\.json<\/h1>/);
    assert.match(page, /<td class="name">seed<\/td><td class="name">0<\/td>/);
    assert.match(page, /<table class="confusion">/);
  });
});

describe("chart helpers", () => {
  it("formats numbers and picks 1-2-5 ticks", () => {
    assert.deepEqual(
      [Number.NaN, Number.POSITIVE_INFINITY, 3, 0.25634, 1.5e-7].map((v) => formatNumber(v)),
      ["nan", "inf", "3", "0.2563", "1.500e-7"],
    );
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(1, 3, 6, true), [1, 2, 3]);
  });
});

describe("metrics.jsonl step records", () => {
  const step = (n: number): StepRecord => ({
    kind: "step",
    epoch: 1,
    batch: n,
    step: 32 * n,
    metrics: { loss: 2 / n, lr: 0.01, "lr/pg1": Number.NaN },
  });

  it("are read apart from the epoch records, which parseMetricsJsonl alone returns", () => {
    const file = path.join(tmpDir(), "metrics.jsonl");
    const epochs = sampleRecords();
    appendMetricsJsonl(file, step(5));
    appendMetricsJsonl(file, epochs[0]!);
    appendMetricsJsonl(file, step(10));
    for (const r of epochs.slice(1)) appendMetricsJsonl(file, r);
    const log = readRunLog(file);
    assert.deepEqual(log.steps, [step(5), step(10)]);
    assert.deepEqual(log.epochs, epochs);
    assert.deepEqual(readMetricsJsonl(file), epochs);
    assert.deepEqual(parseMetricsJsonl(fs.readFileSync(file, "utf8")), epochs);
  });

  it("reject a bad step record or a gallery file outside the run directory, naming the line", () => {
    const good = '{"epoch":1,"mode":"trn","metrics":{"loss/all":0.5}}';
    assert.throws(
      () => parseRunLog(`${good}\n{"kind":"step","epoch":1,"batch":-1,"step":3,"metrics":{}}\n`),
      (e: unknown) =>
        e instanceof FormatError && /line 2 is not a step record.*batch/.test(e.message),
    );
    const gallery = (file: string) =>
      `{"epoch":1,"mode":"val","metrics":{},"misclassified":{"file":"${file}","width":2,"height":2,"items":[]}}\n`;
    assert.equal(parseRunLog(gallery("misclassified_E1.png")).epochs.length, 1);
    for (const bad of ["../x.png", "/etc/passwd", "a/b.png", ".hidden"]) {
      assert.throws(
        () => parseRunLog(gallery(bad)),
        /line 1 is not a record.*misclassified\.file/,
        bad,
      );
    }
  });
});

/** A ten-class run's records: overall metrics and 20 per-class ones, plus the score. */
function multiClassRecords(): EpochRecord[] {
  return [1, 2].flatMap((epoch) =>
    (["trn", "val"] as const).map((mode) => {
      const metrics: Record<string, number> = { "loss/all": 1 / epoch };
      for (let c = 0; c < 10; c++) {
        metrics[`loss/${c}`] = c / 10;
        metrics[`correct/${c}`] = 50 + c;
      }
      Object.assign(metrics, {
        "correct/all": 80 + epoch,
        "pr/precision": 0.8,
        "pr/recall": 0.7,
        "pr/f1_score": 0.75,
        score: 80 + epoch,
      });
      return { epoch, mode, step: 640 * epoch, metrics };
    }),
  );
}

describe("report.html of a run with steps, many classes and a gallery", () => {
  it("shows overall metrics (loss, accuracy, precision, recall, F1, score) before the per-class ones", () => {
    const html = renderReport(summaryFromRecords(multiClassRecords(), { title: "t" }));
    const overall = html.match(/<table class="metrics">(.*?)<\/table>/s)![1]!;
    const heads = [...overall.matchAll(/<th(?: [^>]*)?>([^<]*)<\/th>/g)].map((m) => m[1]);
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
    // Epoch 2, val: loss 0.5, 82% correct, ..., score 82.
    assert.match(
      overall,
      /<tr><td>2<\/td><td class="name">val<\/td><td>0\.5000<\/td><td>82<\/td><td>0\.8000<\/td><td>0\.7000<\/td><td>0\.7500<\/td><td>82<\/td><\/tr>/,
    );
    const perClass = html.match(/<table class="metrics per-class-epochs">(.*?)<\/table>/s)![1]!;
    const perHeads = [...perClass.matchAll(/<th(?: [^>]*)?>([^<]*)<\/th>/g)].map((m) => m[1]);
    assert.equal(perHeads.length, 2 + 20);
    assert.ok(perHeads.includes("loss/9") && perHeads.includes("correct/0"));
    assert.ok(html.indexOf("Metrics per epoch") < html.indexOf("Per-class metrics per epoch"));
  });

  it("draws the per-step training loss and the learning rate against samples seen", () => {
    const steps = [1, 2, 3, 4].map((i) => ({
      epoch: i <= 2 ? 1 : 2,
      step: 160 * i,
      metrics: { loss: 2.3 / i, lr: 0.01 * 0.7 ** Math.floor((i - 1) / 2) },
    }));
    const html = renderReport({
      ...summaryFromRecords(multiClassRecords(), { title: "t" }),
      steps,
    });
    assert.match(html, /Training loss per step/);
    const loss = html.match(/data-series="trn loss per step" d="([^"]+)"/)![1]!;
    assert.equal(loss.split(/[ML]/).filter(Boolean).length, 4);
    // The per-epoch losses sit on the same axis at their steps (640 and 1280 samples).
    const epochLoss = html.match(/data-series="trn loss\/all \(epoch\)" d="([^"]+)"/)![1]!;
    assert.equal(epochLoss.split(/[ML]/).filter(Boolean).length, 2);
    assert.match(html, /<title>lr: 640, 0\.0070<\/title>/);
    assert.match(html, /Learning rate/);
  });
});

const PYTHON = "/usr/bin/python3";
const hasPil = spawnSync(PYTHON, ["-c", "import PIL"], { stdio: "ignore" }).status === 0;

/** Runs Python with PIL: `script` reads JSON from stdin and prints JSON. */
function pil(script: string, input: unknown): unknown {
  const r = spawnSync(PYTHON, ["-c", script], { input: JSON.stringify(input), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe("the gallery of misclassified samples", {
  skip: hasPil ? false : "needs PIL at /usr/bin/python3",
}, () => {
  // A 9 x 4 RGB PNG written by PIL holding two 3 x 2 samples, at (1, 1) and (5, 1), their pixels
  // (r, g, b) = (10·x + y, 100 + i, 200) for sample i; the rest black.
  const WRITE = `
import json, sys
from PIL import Image
spec = json.load(sys.stdin)
im = Image.new("RGB", (9, 4))
for i, (x0, y0) in enumerate([(1, 1), (5, 1)]):
    for y in range(2):
        for x in range(3):
            im.putpixel((x0 + x, y0 + y), (10 * x + y, 100 + i, 200))
im.save(spec["path"])
print("{}")
`;
  const READ = `
import base64, io, json, sys
from PIL import Image
out = []
for b in json.load(sys.stdin):
    im = Image.open(io.BytesIO(base64.b64decode(b)))
    out.append({"size": list(im.size), "pixels": [list(p)[:3] for p in im.convert("RGBA").getdata()]})
print(json.dumps(out))
`;

  function runDir(withImage: boolean): string {
    const dir = tmpDir();
    fs.writeFileSync(
      path.join(dir, "run.json"),
      JSON.stringify({ title: "gallery", created: "now" }),
    );
    if (withImage) pil(WRITE, { path: path.join(dir, "misclassified_E2.png") });
    const records = multiClassRecords();
    const val = records.at(-1)!;
    val.classNames = [
      "zero",
      "one",
      "two",
      "three",
      "four",
      "five",
      "six",
      "seven",
      "eight",
      "nine",
    ];
    val.misclassified = {
      file: "misclassified_E2.png",
      width: 3,
      height: 2,
      items: [
        { index: 17, label: 3, pred: 5, prob: 0.91, x: 1, y: 1 },
        { index: 4, label: 8, pred: 0, prob: 0.6, x: 5, y: 1 },
      ],
    };
    for (const r of records) appendMetricsJsonl(path.join(dir, "metrics.jsonl"), r);
    return dir;
  }

  it("shows each sample as an inline PNG with its true and predicted class", () => {
    const dir = runDir(true);
    const html = fs.readFileSync(rebuildReport(dir), "utf8");
    const figures = [
      ...html.matchAll(
        /<figure class="sample"><img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"[^>]*><figcaption>([^<]*)<\/figcaption><\/figure>/g,
      ),
    ];
    assert.deepEqual(
      figures.map((f) => f[2]),
      ["true three · predicted five (p=0.91)", "true eight · predicted zero (p=0.60)"],
    );
    const images = pil(
      READ,
      figures.map((f) => f[1]),
    ) as { size: number[]; pixels: number[][] }[];
    images.forEach((img, i) => {
      assert.deepEqual(img.size, [3, 2]);
      const want = [0, 1].flatMap((y) => [0, 1, 2].map((x) => [10 * x + y, 100 + i, 200]));
      assert.deepEqual(img.pixels, want, `sample ${i}`);
    });
    // Inline images are the only sources: no scripts, no links, no other URL.
    assert.doesNotMatch(
      html.replace(/src="data:image\/png;base64,[A-Za-z0-9+/=]+"/g, ""),
      /<script|<link|src=|@import|url\(|https?:\/\//i,
    );
  });

  it("a missing PNG leaves the captions, marked missing, with a note", () => {
    const dir = runDir(false);
    const run = loadRunSummary(dir);
    assert.deepEqual(
      run.misclassified!.items.map((it) => [it.png, it.label, it.pred]),
      [
        [null, "three", "five"],
        [null, "eight", "zero"],
      ],
    );
    const html = renderReport(run);
    assert.equal((html.match(/<span class="missing">missing<\/span>/g) ?? []).length, 2);
    assert.match(
      html,
      /could not be read: misclassified samples .*misclassified_E2\.png: cannot read \(ENOENT\)/,
    );
  });
});

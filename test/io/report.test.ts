// Tests of metrics.jsonl and report.html: NaN survives the JSON round trip, a torn last line is
// skipped, and the rendered page holds the SVG paths, the numbers and tables and no external URL.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { FormatError } from "../../src/core/errors.ts";
import {
  appendMetricsJsonl,
  type EpochRecord,
  parseMetricsJsonl,
  readMetricsJsonl,
} from "../../src/io/metrics-jsonl.ts";
import {
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

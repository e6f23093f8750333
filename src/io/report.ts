// report.html: a self-contained page summarising a training run (inline CSS, inline SVG, inline
// PNG data URIs, no scripts, no network): loss and accuracy curves per epoch for train and val, the
// per-step training loss and learning rate, the per-epoch metric tables (overall first, then per
// class), the misclassified validation samples, the confusion matrix as a heat-coloured table,
// per-class precision/recall/F1, and the PR or ROC curve of a binary task. Everything comes from
// files the run writes (metrics.jsonl, run.json, the samples' PNG), so a rebuild equals the live
// report. Depends on io/atomic, io/metrics-jsonl, io/report-images and io/svg-chart.

import * as fs from "node:fs";
import * as path from "node:path";
import * as v from "valibot";
import { checkArity } from "../core/args.ts";
import { writeFileAtomic } from "./atomic.ts";
import {
  type ClassStats,
  type CurveData,
  type EpochRecord,
  parseJsonWith,
  readRunLog,
  readTextCapped,
  type StepRecord,
} from "./metrics-jsonl.ts";
import { readGalleryImages } from "./report-images.ts";
import { escapeHtml, formatNumber, lineChart, type Series } from "./svg-chart.ts";

/** Everything report.html shows. */
export interface RunSummary {
  title: string;
  /** When the run started (ISO string or any display string). */
  created: string;
  /** The run's arguments, shown as a table. */
  args?: Record<string, unknown>;
  /** One row per epoch and mode; `step` (samples seen) places it on the per-step charts. */
  epochs: { epoch: number; mode: "trn" | "val"; metrics: Record<string, number>; step?: number }[];
  /** Logged training steps: `step` = samples seen; metrics `loss`, `lr`, `lr/pg<i>`. */
  steps?: { epoch: number; step: number; metrics: Record<string, number> }[];
  /** Rows = true class, columns = predicted class. */
  confusion?: number[][];
  classNames?: string[];
  perClass?: ClassStats[];
  curve?: CurveData;
  /** Validation samples the model got wrong in validation `epoch`, as PNGs with their labels. */
  misclassified?: { epoch: number; items: GalleryItem[]; note?: string };
}

/** One misclassified sample of the report's gallery. */
export interface GalleryItem {
  /** The sample as a PNG file's bytes (null: not available). */
  png: Uint8Array | null;
  /** True and predicted class names. */
  label: string;
  pred: string;
  /** Predicted probability of `pred`. */
  prob: number;
  /** Index of the sample in the validation set. */
  index: number;
}

const COLORS = { trn: "#1f77b4", val: "#e4572e" } as const;
const LOSS_KEYS = ["loss/all", "loss"];
const ACCURACY_KEYS = ["correct/all", "accuracy", "acc"];

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330; margin: 0; background: #f5f6f8; }
main { max-width: 1120px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; border-bottom: 1px solid #d8dce3; padding-bottom: 4px; }
.sub { color: #5b6475; margin: 0 0 12px; }
section.card { background: #fff; border: 1px solid #e1e4ea; border-radius: 8px; padding: 12px 16px; margin-bottom: 16px; overflow-x: auto; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; text-align: right; border-bottom: 1px solid #eceef2; white-space: nowrap; }
th { background: #f0f2f5; font-weight: 600; }
td.name, th.name { text-align: left; }
table.confusion td { text-align: center; min-width: 44px; border: 1px solid #fff; }
table.confusion th.corner { background: #fff; font-size: 12px; color: #5b6475; }
svg.chart { background: #fff; }
.gallery { display: flex; flex-wrap: wrap; gap: 10px; }
.gallery figure { margin: 0; width: 96px; text-align: center; font-size: 12px; }
.gallery img { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid #d8dce3; background: #000; }
.gallery .missing { display: inline-block; width: 84px; height: 84px; line-height: 84px; border: 1px dashed #d8dce3; color: #a0a6b1; }
svg .chart-title { font-size: 14px; font-weight: 600; fill: #1d2330; }
svg .tick, svg .legend { font-size: 11px; fill: #4a5263; }
svg .axis-label { font-size: 12px; fill: #1d2330; }
svg .grid { stroke: #e6e8ec; stroke-width: 1; }
svg .frame { fill: none; stroke: #9aa1ad; stroke-width: 1; }
.nan { color: #a0a6b1; }
`;

function firstKey(epochs: RunSummary["epochs"], keys: string[]): string | undefined {
  return keys.find((k) => epochs.some((e) => k in e.metrics));
}

function num(v: number | undefined): string {
  if (v === undefined) return "";
  const s = formatNumber(v);
  return s === "nan" ? `<span class="nan">nan</span>` : s;
}

function curveFor(epochs: RunSummary["epochs"], key: string): Series[] {
  return (["trn", "val"] as const)
    .map((mode) => ({
      name: `${mode} ${key}`,
      color: COLORS[mode],
      points: epochs
        .filter((e) => e.mode === mode && key in e.metrics)
        .sort((a, b) => a.epoch - b.epoch)
        .map((e) => [e.epoch, e.metrics[key]!] as const),
    }))
    .filter((s) => s.points.length > 0);
}

function argsTable(args: Record<string, unknown>): string {
  const rows = Object.entries(args).map(([k, v]) => {
    const text = typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
    return `<tr><td class="name">${escapeHtml(k)}</td><td class="name">${escapeHtml(String(text))}</td></tr>`;
  });
  return `<table class="args"><tr><th class="name">argument</th><th class="name">value</th></tr>${rows.join("")}</table>`;
}

/** Overall metrics, in the order the tables show them, with their column headings. */
const OVERALL: [key: string, heading: string][] = [
  ["loss/all", "loss"],
  ["loss", "loss"],
  ["correct/all", "accuracy %"],
  ["accuracy", "accuracy"],
  ["pr/precision", "precision"],
  ["pr/recall", "recall"],
  ["pr/f1_score", "F1"],
  ["auc", "AUC"],
  ["score", "score"],
];

/** `loss/<class>` and `correct/<class>`: the per-class columns (not `.../all`). */
function isPerClassKey(k: string): boolean {
  const m = /^(loss|correct)\/(.+)$/.exec(k);
  return m !== null && m[2] !== "all";
}

function epochTable(epochs: RunSummary["epochs"], keys: string[], cls: string): string {
  const heading = (k: string) => {
    const known = OVERALL.find(([key]) => key === k)?.[1];
    return known === undefined
      ? `<th>${escapeHtml(k)}</th>`
      : `<th title="${escapeHtml(k)}">${escapeHtml(known)}</th>`;
  };
  const head = `<tr><th>epoch</th><th class="name">mode</th>${keys.map(heading).join("")}</tr>`;
  const rows = [...epochs]
    .sort((a, b) => a.epoch - b.epoch || a.mode.localeCompare(b.mode))
    .map(
      (e) =>
        `<tr><td>${e.epoch}</td><td class="name">${e.mode}</td>${keys.map((k) => `<td>${num(e.metrics[k])}</td>`).join("")}</tr>`,
    );
  return `<table class="${cls}">${head}${rows.join("")}</table>`;
}

/**
 * The per-epoch tables: overall metrics first (loss, accuracy, precision, recall, F1, AUC, score,
 * then any other run-wide metric), then the per-class columns in a table of their own.
 */
function metricsTables(epochs: RunSummary["epochs"]): { overall: string; perClass: string | null } {
  const all = [...new Set(epochs.flatMap((e) => Object.keys(e.metrics)))];
  const known = OVERALL.map(([k]) => k).filter((k) => all.includes(k));
  const otherOverall = all.filter((k) => !known.includes(k) && !isPerClassKey(k));
  const perClassKeys = all.filter(isPerClassKey);
  return {
    overall: epochTable(epochs, [...known, ...otherOverall], "metrics"),
    perClass:
      perClassKeys.length > 0 ? epochTable(epochs, perClassKeys, "metrics per-class-epochs") : null,
  };
}

function stepCharts(run: RunSummary): string[] {
  const steps = [...(run.steps ?? [])].sort((a, b) => a.step - b.step);
  if (steps.length === 0) return [];
  const charts: string[] = [];
  const lossPoints = steps
    .filter((s) => "loss" in s.metrics)
    .map((s) => [s.step, s.metrics.loss!] as const);
  if (lossPoints.length > 0) {
    const series: Series[] = [
      {
        name: "trn loss per step",
        color: COLORS.trn,
        points: lossPoints,
        markers: lossPoints.length <= 40,
      },
    ];
    const lossKey = firstKey(run.epochs, LOSS_KEYS);
    if (lossKey !== undefined) {
      for (const mode of ["trn", "val"] as const) {
        const points = run.epochs
          .filter((e) => e.mode === mode && e.step !== undefined && lossKey in e.metrics)
          .sort((a, b) => a.step! - b.step!)
          .map((e) => [e.step!, e.metrics[lossKey]!] as const);
        if (points.length > 0) {
          series.push({
            name: `${mode} ${lossKey} (epoch)`,
            color: mode === "trn" ? "#7aa6cc" : COLORS.val,
            points,
            dashed: true,
          });
        }
      }
    }
    charts.push(
      lineChart({
        title: "Training loss per step",
        xLabel: "samples seen",
        yLabel: "loss",
        series,
      }),
    );
  }
  const lrKeys = [...new Set(steps.flatMap((s) => Object.keys(s.metrics)))].filter(
    (k) => k === "lr" || k.startsWith("lr/"),
  );
  if (lrKeys.length > 0) {
    const palette = ["#2a9d8f", "#8d5fd3", "#e9a03b", "#c0392b"];
    charts.push(
      lineChart({
        title: "Learning rate",
        xLabel: "samples seen",
        yLabel: "lr",
        series: lrKeys.map((k, i) => {
          const points = steps
            .filter((s) => k in s.metrics)
            .map((s) => [s.step, s.metrics[k]!] as const);
          return {
            name: k,
            color: palette[i % palette.length]!,
            points,
            markers: points.length <= 40,
          };
        }),
      }),
    );
  }
  return charts;
}

/** Base64 of the bytes (btoa over Latin-1 chunks: no Node Buffer, so the report renders in a page). */
function base64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

function gallery(g: NonNullable<RunSummary["misclassified"]>): string {
  const figures = g.items.map((it) => {
    const caption = `true ${escapeHtml(it.label)} · predicted ${escapeHtml(it.pred)} (p=${formatNumber(it.prob, 2)})`;
    const img =
      it.png === null
        ? `<span class="missing">missing</span>`
        : `<img src="data:image/png;base64,${base64(it.png)}" alt="${caption}" title="validation sample ${it.index}">`;
    return `<figure class="sample">${img}<figcaption>${caption}</figcaption></figure>`;
  });
  const note = g.note === undefined ? "" : `<p class="sub">${escapeHtml(g.note)}</p>`;
  return `<p class="sub">The most confident mistakes of validation epoch ${g.epoch}, most confident first.</p>${note}<div class="gallery">${figures.join("")}</div>`;
}

/**
 * Cell colour on a white → deep blue scale for a fraction f in [0, 1], on a square-root scale so
 * that a few percent of errors still show against the diagonal.
 */
function heat(f: number): { bg: string; fg: string } {
  const t = Number.isFinite(f) ? Math.sqrt(Math.min(1, Math.max(0, f))) : 0;
  const lerp = (a: number, b: number) => Math.round(a + (b - a) * t);
  return {
    bg: `rgb(${lerp(247, 8)}, ${lerp(251, 48)}, ${lerp(255, 107)})`,
    fg: t > 0.55 ? "#fff" : "#1d2330",
  };
}

function confusionTable(confusion: number[][], names: string[]): string {
  const n = confusion.length;
  const label = (i: number) => escapeHtml(names[i] ?? String(i));
  const head = `<tr><th class="corner">true ↓ / predicted →</th>${Array.from({ length: n }, (_, j) => `<th>${label(j)}</th>`).join("")}<th>total</th></tr>`;
  const rows = confusion.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    const cells = row.map((v) => {
      const { bg, fg } = heat(total > 0 ? v / total : 0);
      const pct = total > 0 ? ` (${((100 * v) / total).toFixed(1)}% of row)` : "";
      return `<td style="background:${bg};color:${fg}" title="${formatNumber(v)}${pct}">${formatNumber(v)}</td>`;
    });
    return `<tr><th>${label(i)}</th>${cells.join("")}<td>${formatNumber(total)}</td></tr>`;
  });
  return `<table class="confusion">${head}${rows.join("")}</table><p class="sub">Cells are coloured by their share of the row (square-root scale); the diagonal is each class's recall.</p>`;
}

function support(c: ClassStats): number | undefined {
  return c.support ?? c.count;
}

function perClassTable(perClass: ClassStats[], names: string[]): string {
  const head = `<tr><th class="name">class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>`;
  const rows = perClass.map(
    (c, i) =>
      `<tr><td class="name">${escapeHtml(names[i] ?? c.name ?? String(i))}</td><td>${num(c.precision)}</td><td>${num(c.recall)}</td><td>${num(c.f1)}</td><td>${num(support(c))}</td></tr>`,
  );
  const mean = (k: "precision" | "recall" | "f1") =>
    perClass.reduce((a, c) => a + c[k], 0) / perClass.length;
  const total = perClass.every((c) => support(c) !== undefined)
    ? perClass.reduce((a, c) => a + support(c)!, 0)
    : undefined;
  const macro = `<tr><th class="name">macro avg</th><th>${num(mean("precision"))}</th><th>${num(mean("recall"))}</th><th>${num(mean("f1"))}</th><th>${num(total)}</th></tr>`;
  return `<table class="per-class">${head}${rows.join("")}${macro}</table>`;
}

function curveChart(curve: CurveData): string {
  const pr = curve.kind === "pr";
  const points = curve.x.map((x, i) => [x, curve.y[i] ?? Number.NaN] as const);
  const series: Series[] = [
    {
      name: pr ? "precision / recall" : "ROC",
      color: COLORS.val,
      points,
      markers: points.length <= 40,
    },
  ];
  if (!pr)
    series.push({
      name: "chance",
      color: "#9aa1ad",
      points: [
        [0, 0],
        [1, 1],
      ],
      dashed: true,
      markers: false,
    });
  const auc = curve.auc === undefined ? "" : `, AUC ${formatNumber(curve.auc)}`;
  return lineChart({
    title: `${pr ? "Precision-recall curve" : "ROC curve"}${auc}`,
    xLabel: pr ? "recall" : "false positive rate",
    yLabel: pr ? "precision" : "true positive rate",
    series,
    xDomain: [0, 1],
    yDomain: [0, 1],
  });
}

/**
 * Renders the report of a run as one self-contained HTML page (no scripts, no external resources;
 * charts are inline SVG). Sections appear only when their data is present: loss and accuracy
 * curves (`loss/all` or `loss`, `correct/all` or `accuracy`), other `pr/*` metrics of val, the
 * metric table, the confusion matrix, per-class precision/recall/F1 and the PR or ROC curve.
 * NaN shows as "nan".
 */
export function renderReport(run: RunSummary): string {
  checkArity("io.renderReport", arguments, 1);
  const names = run.classNames ?? [];
  const sections: string[] = [];
  const charts: string[] = [];
  const lossKey = firstKey(run.epochs, LOSS_KEYS);
  const accKey = firstKey(run.epochs, ACCURACY_KEYS);
  if (lossKey !== undefined) {
    charts.push(
      lineChart({
        title: "Loss",
        xLabel: "epoch",
        yLabel: lossKey,
        series: curveFor(run.epochs, lossKey),
        integerX: true,
      }),
    );
  }
  if (accKey !== undefined) {
    const pct = accKey === "correct/all";
    charts.push(
      lineChart({
        title: pct ? "Accuracy (% correct)" : "Accuracy",
        xLabel: "epoch",
        yLabel: accKey,
        series: curveFor(run.epochs, accKey),
        integerX: true,
      }),
    );
  }
  const prKeys = ["pr/precision", "pr/recall", "pr/f1_score"].filter((k) =>
    run.epochs.some((e) => e.mode === "val" && k in e.metrics),
  );
  if (prKeys.length > 0) {
    const palette = ["#2a9d8f", "#8d5fd3", "#e9a03b"];
    const series = prKeys.map((k, i) => ({
      name: `val ${k.slice(3)}`,
      color: palette[i]!,
      points: run.epochs
        .filter((e) => e.mode === "val" && k in e.metrics)
        .sort((a, b) => a.epoch - b.epoch)
        .map((e) => [e.epoch, e.metrics[k]!] as const),
    }));
    charts.push(
      lineChart({
        title: "Validation precision, recall, F1",
        xLabel: "epoch",
        yLabel: "score",
        series,
        integerX: true,
      }),
    );
  }
  if (run.curve !== undefined) charts.push(curveChart(run.curve));
  charts.push(...stepCharts(run));
  if (charts.length > 0)
    sections.push(`<h2>Curves</h2><section class="card charts">${charts.join("\n")}</section>`);
  if (run.epochs.length > 0) {
    const tables = metricsTables(run.epochs);
    sections.push(`<h2>Metrics per epoch</h2><section class="card">${tables.overall}</section>`);
    if (tables.perClass !== null) {
      sections.push(
        `<h2>Per-class metrics per epoch</h2><section class="card">${tables.perClass}</section>`,
      );
    }
  }
  if (run.misclassified !== undefined && run.misclassified.items.length > 0) {
    sections.push(
      `<h2>Misclassified validation samples</h2><section class="card">${gallery(run.misclassified)}</section>`,
    );
  }
  if (run.confusion !== undefined && run.confusion.length > 0) {
    sections.push(
      `<h2>Confusion matrix (last validation)</h2><section class="card">${confusionTable(run.confusion, names)}</section>`,
    );
  }
  if (run.perClass !== undefined && run.perClass.length > 0) {
    sections.push(
      `<h2>Per-class precision, recall, F1</h2><section class="card">${perClassTable(run.perClass, names)}</section>`,
    );
  }
  if (run.args !== undefined && Object.keys(run.args).length > 0) {
    sections.push(`<h2>Arguments</h2><section class="card">${argsTable(run.args)}</section>`);
  }
  const lastVal = [...run.epochs]
    .filter((e) => e.mode === "val")
    .sort((a, b) => a.epoch - b.epoch)
    .at(-1);
  const headline =
    lastVal === undefined
      ? ""
      : ` · last validation (epoch ${lastVal.epoch}): ${[lossKey, accKey]
          .filter((k): k is string => k !== undefined && k in lastVal.metrics)
          .map((k) => `${escapeHtml(k)} ${formatNumber(lastVal.metrics[k]!)}`)
          .join(", ")}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(run.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<h1>${escapeHtml(run.title)}</h1>
<p class="sub">created ${escapeHtml(run.created)} · ${run.epochs.length} epoch records${headline}</p>
${sections.join("\n")}
</main>
</body>
</html>
`;
}

/** Writes `<dir>/report.html` atomically and returns its path. */
export function writeReport(dir: string, run: RunSummary): string {
  checkArity("io.writeReport", arguments, 2);
  const file = path.join(dir, "report.html");
  writeFileAtomic(file, renderReport(run));
  return file;
}

/**
 * Builds a RunSummary from metrics.jsonl records: every record becomes an epoch row; confusion,
 * class names, per-class stats and the curve (`curve`, or `roc` as {fpr, tpr, auc}) come from the
 * last record that has them, val records taking precedence over trn ones.
 */
export function summaryFromRecords(
  records: EpochRecord[],
  info: { title: string; created?: string; args?: Record<string, unknown> },
): RunSummary {
  checkArity("io.summaryFromRecords", arguments, 2);
  const run: RunSummary = {
    title: info.title,
    created: info.created ?? records[0]?.time ?? new Date().toISOString(),
    epochs: records.map((r) => ({
      epoch: r.epoch,
      mode: r.mode,
      metrics: r.metrics,
      ...(r.step !== undefined ? { step: r.step } : {}),
    })),
  };
  if (info.args !== undefined) run.args = info.args;
  const ordered = [
    ...records.filter((r) => r.mode === "trn"),
    ...records.filter((r) => r.mode === "val"),
  ];
  for (const r of ordered) {
    if (r.confusion !== undefined) run.confusion = r.confusion;
    if (r.classNames !== undefined) run.classNames = r.classNames;
    if (r.perClass !== undefined) run.perClass = r.perClass;
    if (r.curve !== undefined) run.curve = r.curve;
    else if (r.roc !== undefined) {
      run.curve = {
        kind: "roc",
        x: r.roc.fpr,
        y: r.roc.tpr,
        ...(r.roc.auc !== undefined ? { auc: r.roc.auc } : {}),
      };
    }
  }
  if (run.classNames === undefined && run.perClass?.every((c) => c.name !== undefined)) {
    run.classNames = run.perClass.map((c) => c.name!);
  }
  return run;
}

/** Largest run.json accepted (it holds a title, a time and the arguments). */
export const RUN_JSON_MAX_BYTES = 16 * 1024 * 1024;

/** The schema of run.json: `{ title?, created?, args? }` (other fields are kept and ignored). */
export const RunJsonSchema = v.pipe(
  // NOTE: valibot's object schemas take arrays (they are objects); run.json must be a record
  v.custom<object>(
    (o) => typeof o === "object" && o !== null && !Array.isArray(o),
    "expected a JSON object",
  ),
  v.looseObject({
    title: v.optional(v.pipe(v.string(), v.maxLength(1000))),
    created: v.optional(v.pipe(v.string(), v.maxLength(200))),
    args: v.optional(v.record(v.pipe(v.string(), v.maxLength(200)), v.unknown())),
  }),
);

/**
 * Parses and validates run.json text (JSON, nesting, `RunJsonSchema`): FormatError naming
 * `source` otherwise.
 */
export function parseRunJson(
  text: string,
  source = "<text>",
): { title?: string; created?: string; args?: Record<string, unknown> } {
  checkArity("io.parseRunJson", arguments, 2);
  return parseJsonWith(RunJsonSchema, text, `run.json: ${source}`);
}

/**
 * The report of a run directory, from the files the run writes: `metrics.jsonl` (epoch and step
 * records), `run.json` (`{ title?, created?, args? }`) when it exists, and the PNG of the last
 * validation's misclassified samples. Title, creation time and arguments come from `info` first,
 * the directory name last.
 */
export function loadRunSummary(
  runDir: string,
  info: { title?: string; created?: string; args?: Record<string, unknown> } = {},
): RunSummary {
  checkArity("io.loadRunSummary", arguments, 2);
  const log = readRunLog(path.join(runDir, "metrics.jsonl"));
  const runJson = path.join(runDir, "run.json");
  const saved = fs.existsSync(runJson)
    ? parseRunJson(readTextCapped(runJson, RUN_JSON_MAX_BYTES, `run.json: ${runJson}`), runJson)
    : {};
  const created = info.created ?? saved.created;
  const args = info.args ?? saved.args;
  const run = summaryFromRecords(log.epochs, {
    title: info.title ?? saved.title ?? path.basename(path.resolve(runDir)),
    ...(created !== undefined ? { created } : {}),
    ...(args !== undefined ? { args } : {}),
  });
  if (log.steps.length > 0) run.steps = log.steps.map(stepRow);
  const withGallery = log.epochs.filter((r) => r.mode === "val" && r.misclassified !== undefined);
  const last = withGallery.at(-1);
  if (last?.misclassified !== undefined) {
    const names = last.classNames ?? run.classNames ?? [];
    const name = (c: number) => names[c] ?? String(c);
    let pngs: (Uint8Array | null)[];
    let note: string | undefined;
    try {
      pngs = readGalleryImages(runDir, last.misclassified);
    } catch (err) {
      pngs = last.misclassified.items.map(() => null);
      note = `The samples' images could not be read: ${(err as Error).message}`;
    }
    run.misclassified = {
      epoch: last.epoch,
      items: last.misclassified.items.map((it, i) => ({
        png: pngs[i] ?? null,
        label: name(it.label),
        pred: name(it.pred),
        prob: it.prob,
        index: it.index,
      })),
      ...(note !== undefined ? { note } : {}),
    };
  }
  return run;
}

function stepRow(r: StepRecord): { epoch: number; step: number; metrics: Record<string, number> } {
  return { epoch: r.epoch, step: r.step, metrics: r.metrics };
}

/**
 * Rebuilds `<runDir>/report.html` from the run's files (see `loadRunSummary`): what
 * `kiln report <run dir>` does, and what a training run does after every epoch, so the two
 * reports are the same. Returns the report's path.
 */
export function rebuildReport(
  runDir: string,
  info: { title?: string; created?: string; args?: Record<string, unknown> } = {},
): string {
  checkArity("io.rebuildReport", arguments, 2);
  return writeReport(runDir, loadRunSummary(runDir, info));
}

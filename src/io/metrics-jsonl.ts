// metrics.jsonl: one JSON object per line, one line per epoch and mode, appended as training goes,
// so `kiln report <run dir>` can rebuild report.html from it. Non-finite numbers, which JSON cannot
// hold, are written as the strings "nan", "inf" and "-inf" and read back as numbers.
// Depends on core/errors and io/atomic.

import * as fs from "node:fs";
import { checkArity } from "../core/args.ts";
import { FormatError } from "../core/errors.ts";
import { appendFileWhole } from "./atomic.ts";

/**
 * Per-class statistics of a classification run (one-vs-rest). The number of samples of the class
 * is `support` (scikit-learn's name) or `count` (train.classificationMetrics' name); other fields
 * such as `name`, `correct` or `loss` may ride along and are kept in metrics.jsonl.
 */
export interface ClassStats {
  precision: number;
  recall: number;
  f1: number;
  support?: number;
  count?: number;
  name?: string;
}

/** A PR curve (x = recall, y = precision) or a ROC curve (x = FPR, y = TPR) of a binary task. */
export interface CurveData {
  kind: "pr" | "roc";
  x: number[];
  y: number[];
  auc?: number;
}

/** One line of metrics.jsonl: the metrics of one epoch in one mode, plus optional detail. */
export interface EpochRecord {
  epoch: number;
  mode: "trn" | "val";
  /** The metrics dict of `logMetrics` (`loss/all`, `correct/all`, `pr/f1_score`, ...). */
  metrics: Record<string, number>;
  /** `totalTrainingSamples_count` when the line was written. */
  step?: number;
  /** ISO time the line was written. */
  time?: string;
  /** Confusion matrix, rows = true class, columns = predicted class. */
  confusion?: number[][];
  classNames?: string[];
  perClass?: ClassStats[];
  curve?: CurveData;
  /** A ROC curve as train.classificationMetrics returns it; read as `curve` of kind "roc". */
  roc?: { fpr: number[]; tpr: number[]; auc?: number };
}

const NON_FINITE: Record<string, number> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  "-inf": Number.NEGATIVE_INFINITY,
};

function encodeValue(_key: string, value: unknown): unknown {
  if (typeof value !== "number" || Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "nan" : value > 0 ? "inf" : "-inf";
}

const STRING_FIELDS = new Set(["mode", "time", "kind", "classNames", "name"]);

function decodeNumbers(value: unknown): unknown {
  if (typeof value === "string" && value in NON_FINITE) return NON_FINITE[value];
  if (Array.isArray(value)) return value.map(decodeNumbers);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // Names stay strings: only numeric fields can carry "nan".
      out[k] = STRING_FIELDS.has(k) ? v : decodeNumbers(v);
    }
    return out;
  }
  return value;
}

/** The line `appendMetricsJsonl` writes for `record` (without the newline). */
export function formatMetricsLine(record: EpochRecord): string {
  checkArity("io.formatMetricsLine", arguments, 1);
  return JSON.stringify(record, encodeValue);
}

/**
 * Appends one record as one line of `file` (created with its directories if missing), in a single
 * write so a crash never leaves half a line before the next one.
 *
 * @example io.appendMetricsJsonl("runs/exp1/metrics.jsonl", { epoch: 1, mode: "val", metrics });
 */
export function appendMetricsJsonl(file: string, record: EpochRecord): void {
  checkArity("io.appendMetricsJsonl", arguments, 2);
  appendFileWhole(file, `${formatMetricsLine(record)}\n`);
}

/** Parses metrics.jsonl text; a line that is not a record raises FormatError naming its number. */
export function parseMetricsJsonl(text: string, source = "<text>"): EpochRecord[] {
  checkArity("io.parseMetricsJsonl", arguments, 2);
  const out: EpochRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = decodeNumbers(JSON.parse(line));
    } catch (err) {
      // NOTE: a crash can cut only the last line short; that one is skipped, others are errors.
      if (i === lines.length - 1) return;
      throw new FormatError(
        `readMetricsJsonl: ${source}: line ${i + 1} is not JSON (${(err as Error).message})`,
      );
    }
    const r = value as Partial<EpochRecord> | null;
    if (
      r === null ||
      typeof r !== "object" ||
      typeof r.epoch !== "number" ||
      (r.mode !== "trn" && r.mode !== "val") ||
      typeof r.metrics !== "object" ||
      r.metrics === null
    ) {
      throw new FormatError(
        `readMetricsJsonl: ${source}: line ${i + 1} is not a record {epoch: number, mode: "trn"|"val", metrics: {...}}`,
      );
    }
    out.push(r as EpochRecord);
  });
  return out;
}

/** Reads every record of a metrics.jsonl file, in file order. */
export function readMetricsJsonl(file: string): EpochRecord[] {
  checkArity("io.readMetricsJsonl", arguments, 1);
  return parseMetricsJsonl(fs.readFileSync(file, "utf8"), file);
}

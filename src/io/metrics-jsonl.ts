// metrics.jsonl: one JSON object per line, appended as training goes: one line per epoch and mode,
// and one per logged training step (`"kind": "step"`), so `kiln report <run dir>` can rebuild
// report.html from it. Non-finite numbers, which JSON cannot hold, are written as the strings
// "nan", "inf" and "-inf" and read back as numbers.
// Depends on core/errors and io/atomic.

import * as fs from "node:fs";
import * as v from "valibot";
import { checkArity } from "../core/args.ts";
import { FormatError } from "../core/errors.ts";
import { appendFileWhole } from "./atomic.ts";

// ---- shared by the readers of Kiln's JSON side files (metrics.jsonl, run.json, checkpoint sidecars)

/** Largest nesting of arrays and objects accepted in a side file (JSON.parse itself is iterative). */
export const MAX_JSON_DEPTH = 64;

/**
 * Checks, without recursion, that a parsed JSON value nests at most `maxDepth` deep; returns a
 * description of the problem or null.
 */
export function jsonDepthProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): string | null {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (typeof x !== "object" || x === null) continue;
    if (depth > maxDepth) return `nests deeper than ${maxDepth} levels`;
    for (const child of Array.isArray(x) ? x : Object.values(x)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return null;
}

/** A short description of what a value is, never the value itself. */
function kindOf(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === "string") return `a string of ${x.length} characters`;
  if (typeof x === "number") return `the number ${x}`;
  return typeof x === "object" ? "an object" : `a ${typeof x}`;
}

/**
 * One short line for the first schema issue: the field's path, what was expected, what was found
 * (described, not quoted: the input never enters the message).
 */
export function schemaProblem(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0]!;
  const field =
    issue.path
      ?.map((p) => String(p.key))
      .join(".")
      .slice(0, 120) || "(top level)";
  // a custom check's own message says what it wants; valibot's `expected` is then "unknown"
  if (issue.type === "custom") {
    return `field ${field}: ${issue.message.slice(0, 120)}, found ${kindOf(issue.input)}`;
  }
  const expected = (issue.expected ?? issue.message).slice(0, 120);
  return `field ${field}: expected ${expected}, found ${kindOf(issue.input)}`;
}

/**
 * Parses JSON text (at most `maxBytes` long) and validates it against `schema`: a FormatError
 * naming `where` for bad JSON, too deep nesting or a schema violation.
 */
export function parseJsonWith<S extends v.GenericSchema>(
  schema: S,
  text: string,
  where: string,
): v.InferOutput<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FormatError(
      `${where}: not valid JSON (${String((err as Error).message).slice(0, 120)})`,
    );
  }
  return validateWith(schema, value, where);
}

/** Validates an already parsed value against `schema` (nesting checked first). */
export function validateWith<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  where: string,
): v.InferOutput<S> {
  const deep = jsonDepthProblem(value);
  if (deep !== null) throw new FormatError(`${where}: ${deep}`);
  const r = v.safeParse(schema, value);
  if (!r.success) throw new FormatError(`${where}: ${schemaProblem(r.issues)}`);
  return r.output;
}

/** Reads a text file of at most `maxBytes` bytes: FormatError when larger or unreadable. */
export function readTextCapped(file: string, maxBytes: number, where: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    throw new FormatError(
      `${where}: cannot open (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new FormatError(`${where}: not a regular file`);
    if (st.size > maxBytes) {
      throw new FormatError(`${where}: ${st.size} bytes, more than the ${maxBytes}-byte limit`);
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = fs.readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString("utf8");
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(
      `${where}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  } finally {
    fs.closeSync(fd);
  }
}

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
  /** Validation samples the model got wrong, stored as one PNG beside metrics.jsonl. */
  misclassified?: MisclassifiedGallery;
}

/**
 * Misclassified samples of one validation: the PNG `file` (a plain name in the run directory)
 * holds them side by side, each `width` x `height` pixels with its top-left corner at (x, y).
 */
export interface MisclassifiedGallery {
  file: string;
  width: number;
  height: number;
  items: {
    /** Column of the sample in the validation metrics (its index in the validation set). */
    index: number;
    /** True class index. */
    label: number;
    /** Predicted class index. */
    pred: number;
    /** Predicted probability of `pred`. */
    prob: number;
    x: number;
    y: number;
  }[];
}

/**
 * One logged training step (`"kind": "step"` in metrics.jsonl): the mean training loss of the
 * steps since the previous record and the learning rate, every `--log-every` optimizer steps.
 */
export interface StepRecord {
  kind: "step";
  epoch: number;
  /** Batches done in this epoch. */
  batch: number;
  /** Samples trained on so far: the x axis of every Kiln log (`totalTrainingSamples_count`). */
  step: number;
  /** `loss` (mean over the window), `lr` (param group 0), `lr/pg<i>` (other param groups). */
  metrics: Record<string, number>;
  time?: string;
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

const STRING_FIELDS = new Set(["mode", "time", "kind", "classNames", "name", "file"]);

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
export function formatMetricsLine(record: EpochRecord | StepRecord): string {
  checkArity("io.formatMetricsLine", arguments, 1);
  return JSON.stringify(record, encodeValue);
}

/**
 * Appends one record as one line of `file` (created with its directories if missing), in a single
 * write so a crash never leaves half a line before the next one.
 *
 * @example io.appendMetricsJsonl("runs/exp1/metrics.jsonl", { epoch: 1, mode: "val", metrics });
 */
export function appendMetricsJsonl(file: string, record: EpochRecord | StepRecord): void {
  checkArity("io.appendMetricsJsonl", arguments, 2);
  appendFileWhole(file, `${formatMetricsLine(record)}\n`);
}

/**
 * Limits of metrics.jsonl: file size, classes (confusion rows/columns), curve points, metric keys,
 * misclassified samples per validation and the side of one sample image in pixels.
 */
export const METRICS_LIMITS = {
  fileBytes: 256 * 1024 * 1024,
  classes: 1000,
  curvePoints: 100_000,
  metricKeys: 1000,
  galleryItems: 1000,
  imageSide: 4096,
} as const;

const Finite = v.pipe(v.number(), v.finite());
// NaN and ±Infinity are numbers here ("nan", "inf", "-inf" in the file); v.number() refuses NaN.
const Num = v.custom<number>((x) => typeof x === "number", "number");
const Name = v.pipe(v.string(), v.maxLength(1000));
const Points = v.pipe(v.array(Num), v.maxLength(METRICS_LIMITS.curvePoints));
const Index = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 31 - 1));
const Pixels = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(METRICS_LIMITS.imageSide));
const MetricsSchema = v.pipe(
  v.record(v.pipe(v.string(), v.maxLength(200)), Num),
  v.check(
    (m) => Object.keys(m).length <= METRICS_LIMITS.metricKeys,
    `at most ${METRICS_LIMITS.metricKeys} metrics`,
  ),
);
const ClassStatsSchema = v.looseObject({
  precision: Num,
  recall: Num,
  f1: Num,
  support: v.optional(Num),
  count: v.optional(Num),
  name: v.optional(Name),
});

/** The schema of one metrics.jsonl record (after "nan"/"inf"/"-inf" are decoded to numbers). */
export const EpochRecordSchema = v.looseObject({
  epoch: Finite,
  mode: v.picklist(["trn", "val"]),
  metrics: MetricsSchema,
  step: v.optional(Finite),
  time: v.optional(v.pipe(v.string(), v.maxLength(200))),
  confusion: v.optional(
    v.pipe(
      v.array(v.pipe(v.array(Num), v.maxLength(METRICS_LIMITS.classes))),
      v.maxLength(METRICS_LIMITS.classes),
    ),
  ),
  classNames: v.optional(v.pipe(v.array(Name), v.maxLength(METRICS_LIMITS.classes))),
  perClass: v.optional(v.pipe(v.array(ClassStatsSchema), v.maxLength(METRICS_LIMITS.classes))),
  curve: v.optional(
    v.object({ kind: v.picklist(["pr", "roc"]), x: Points, y: Points, auc: v.optional(Num) }),
  ),
  roc: v.optional(v.object({ fpr: Points, tpr: Points, auc: v.optional(Num) })),
  misclassified: v.optional(
    v.object({
      file: v.pipe(
        v.string(),
        v.maxLength(255),
        v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "a plain file name of the run directory"),
        v.check((f) => !f.includes(".."), "a file name without '..'"),
      ),
      width: Pixels,
      height: Pixels,
      items: v.pipe(
        v.array(
          v.object({
            index: Index,
            label: Index,
            pred: Index,
            prob: Num,
            x: Index,
            y: Index,
          }),
        ),
        v.maxLength(METRICS_LIMITS.galleryItems),
      ),
    }),
  ),
});

/** The schema of one step record (`"kind": "step"`). */
export const StepRecordSchema = v.looseObject({
  kind: v.literal("step"),
  epoch: Finite,
  batch: Index,
  step: Finite,
  metrics: MetricsSchema,
  time: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

/** Everything a metrics.jsonl holds: epoch records and step records, each in file order. */
export interface RunLog {
  epochs: EpochRecord[];
  steps: StepRecord[];
}

/**
 * Parses metrics.jsonl text into its epoch and step records; a line that is not a valid record
 * (JSON, nesting, `EpochRecordSchema` or `StepRecordSchema`) raises FormatError naming its number.
 * A cut-short last line (what a crash can leave) is skipped.
 */
export function parseRunLog(text: string, source = "<text>"): RunLog {
  checkArity("io.parseRunLog", arguments, 2);
  if (typeof text !== "string") throw new FormatError(`readMetricsJsonl: ${source}: not text`);
  const out: RunLog = { epochs: [], steps: [] };
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `readMetricsJsonl: ${source}: line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      // NOTE: a crash can cut only the last line short; that one is skipped, others are errors.
      if (i === lines.length - 1) return;
      throw new FormatError(
        `${where} is not JSON (${String((err as Error).message).slice(0, 120)})`,
      );
    }
    const deep = jsonDepthProblem(value);
    if (deep !== null) throw new FormatError(`${where}: ${deep}`);
    const decoded = decodeNumbers(value);
    if (typeof decoded === "object" && decoded !== null && "kind" in decoded) {
      const r = v.safeParse(StepRecordSchema, decoded);
      if (!r.success) {
        throw new FormatError(
          `${where} is not a step record {kind: "step", epoch, batch, step, metrics: {...}}: ${schemaProblem(r.issues)}`,
        );
      }
      out.steps.push(r.output as StepRecord);
      return;
    }
    const r = v.safeParse(EpochRecordSchema, decoded);
    if (!r.success) {
      throw new FormatError(
        `${where} is not a record {epoch: number, mode: "trn"|"val", metrics: {...}}: ${schemaProblem(r.issues)}`,
      );
    }
    out.epochs.push(r.output as EpochRecord);
  });
  return out;
}

/**
 * Parses metrics.jsonl text and returns its epoch records (step records are checked and left
 * out; `parseRunLog` returns both). Errors as `parseRunLog`.
 */
export function parseMetricsJsonl(text: string, source = "<text>"): EpochRecord[] {
  checkArity("io.parseMetricsJsonl", arguments, 2);
  return parseRunLog(text, source).epochs;
}

/** Reads every epoch record of a metrics.jsonl file, in file order. */
export function readMetricsJsonl(file: string): EpochRecord[] {
  checkArity("io.readMetricsJsonl", arguments, 1);
  return readRunLog(file).epochs;
}

/** Reads every epoch and step record of a metrics.jsonl file, in file order. */
export function readRunLog(file: string): RunLog {
  checkArity("io.readRunLog", arguments, 1);
  const text = readTextCapped(file, METRICS_LIMITS.fileBytes, `readMetricsJsonl: ${file}`);
  return parseRunLog(text, file);
}

// CSVDataset: numeric feature columns and one label column of a delimited text file. Every cell
// is validated; a bad one raises a FormatError naming file, line and column.

import { readFileSync } from "node:fs";
import { bool, either, int, oneOf, opt, parseArgs, signature, str } from "../../core/args.ts";
import { FormatError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type Collated, defaultCollate } from "../collate.ts";
import { checkIndex, Dataset } from "../dataset.ts";
import { gatherRows } from "../gather.ts";
import { applyTransform, type Transform } from "../transforms/transform.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { transformArg } from "./uint8-images.ts";

export interface CSVDatasetOptions {
  /** The label column, by header name or 0-based index (negative counts from the end). Default: the last column. */
  labelColumn?: string | number;
  /** Whether the first line is a header; "auto" (default): it is when any of its cells is not a number. */
  header?: boolean | "auto";
  /** Cell separator (default ","). */
  delimiter?: string;
  /** Applied to each feature vector [F]. */
  transform?: Transform<Tensor, Tensor>;
  targetTransform?: Transform<number, number>;
}

// Kiln's own: the path, then the options (torchvision-style transform and targetTransform).
const CSV = signature(
  "CSVDataset",
  { path: str },
  {
    labelColumn: opt(either(str, int)),
    header: opt(either(bool, oneOf("auto"))),
    delimiter: opt(str),
    transform: opt(transformArg),
    targetTransform: opt(transformArg),
  },
);

/** Python's float(): decimal and exponent forms, inf and nan; null for anything else ("" included). */
function parseNumber(cell: string): number | null {
  const s = cell.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (/^[+-]?nan$/.test(lower)) return Number.NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/.test(lower)) return Number.NEGATIVE_INFINITY;
  return null;
}

function unquote(cell: string): string {
  const s = cell.trim();
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"')
    ? s.slice(1, -1).replace(/""/g, '"')
    : s;
}

/**
 * A table of numbers: items are `[features, label]` with features float32 [F]; `features` is
 * float32 [N, F] and `labels` int32 [N] (float32 when some label is fractional). A label column
 * of words becomes class indices into `classes` (sorted).
 *
 * @example const ds = new CSVDataset("iris.csv", { labelColumn: "species" });
 */
export class CSVDataset extends Dataset<[Tensor, number]> {
  readonly path: string;
  readonly columns: readonly string[];
  readonly labelColumn: string;
  readonly featureColumns: readonly string[];
  readonly features: Tensor;
  readonly labels: Tensor;
  /** Class names when the label column holds words, else null. */
  readonly classes: readonly string[] | null;
  readonly options: CSVDatasetOptions;

  constructor(path: string, options: CSVDatasetOptions = {}) {
    super();
    parseArgs(CSV, arguments);
    this.path = path;
    this.options = options;
    const delimiter = options.delimiter ?? ",";
    const lines = readFileSync(path, "utf8").split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
    if (lines.length === 0) throw new FormatError(`${path}: empty CSV file`);
    const first = lines[0]!.split(delimiter).map(unquote);
    const header = options.header ?? "auto";
    const hasHeader = header === "auto" ? first.some((c) => !isNumeric(c)) : header;
    const ncol = first.length;
    this.columns = hasHeader ? first : first.map((_, i) => String(i));
    const label = options.labelColumn ?? ncol - 1;
    let li: number;
    if (typeof label === "string") {
      li = this.columns.indexOf(label);
      if (li < 0)
        throw new ValueError(
          `CSVDataset: ${path} has no column named "${label}" (columns: ${this.columns.join(", ")})`,
        );
    } else {
      if (!Number.isInteger(label) || label < -ncol || label >= ncol) {
        throw new ValueError(
          `CSVDataset: label column ${label} is out of range for ${ncol} columns in ${path}`,
        );
      }
      li = label < 0 ? label + ncol : label;
    }
    this.labelColumn = this.columns[li]!;
    this.featureColumns = this.columns.filter((_, i) => i !== li);
    const start = hasHeader ? 1 : 0;
    const rows = lines.length - start;
    const nf = ncol - 1;
    const feats = new Float32Array(rows * nf);
    const rawLabels: string[] = [];
    for (let r = 0; r < rows; r++) {
      const lineNo = start + r + 1;
      const cells = lines[start + r]!.split(delimiter);
      if (cells.length !== ncol) {
        throw new FormatError(
          `${path}: line ${lineNo}: expected ${ncol} columns, got ${cells.length}`,
        );
      }
      let f = r * nf;
      for (let c = 0; c < ncol; c++) {
        const cell = unquote(cells[c]!);
        if (c === li) {
          rawLabels.push(cell);
          continue;
        }
        if (!isNumeric(cell)) {
          throw new FormatError(
            `${path}: line ${lineNo}, column ${c + 1} ("${this.columns[c]}"): expected a number, got ${JSON.stringify(cell)}`,
          );
        }
        feats[f++] = toNumber(cell);
      }
    }
    this.features = Tensor.fromData(feats, [rows, nf], "float32");
    if (rawLabels.every(isNumeric)) {
      const values = rawLabels.map(toNumber);
      this.classes = null;
      this.labels = values.every(Number.isInteger)
        ? Tensor.fromData(Int32Array.from(values), [rows], "int32")
        : Tensor.fromData(Float32Array.from(values), [rows], "float32");
    } else {
      const classes = [...new Set(rawLabels)].sort();
      const lookup = new Map(classes.map((c, i) => [c, i]));
      this.classes = classes;
      this.labels = Tensor.fromData(
        Int32Array.from(rawLabels, (l) => lookup.get(l)!),
        [rows],
        "int32",
      );
    }
  }

  get length(): number {
    return this.labels.shape[0]!;
  }

  get(index: number): [Tensor, number] {
    const i = checkIndex("CSVDataset.get", index, this.length);
    let x = this.features.index(i).contiguous();
    let y = this.labels.storage.data[i]!;
    if (this.options.transform) x = applyTransform(this.options.transform, x);
    if (this.options.targetTransform) y = applyTransform(this.options.targetTransform, y);
    return [x, y];
  }

  getBatch(indices: readonly number[]): Collated<[Tensor, number]> {
    if (this.options.transform || this.options.targetTransform)
      return defaultCollate(indices.map((i) => this.get(i)));
    return [
      gatherRows("CSVDataset.getBatch", this.features, indices),
      gatherRows("CSVDataset.getBatch", this.labels, indices),
    ];
  }

  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "CSVDataset", args: [this.path, this.options] };
  }
}

function isNumeric(cell: string): boolean {
  return parseNumber(cell) !== null;
}

function toNumber(cell: string): number {
  return parseNumber(cell) ?? Number.NaN;
}

// CSVDataset: numeric feature columns and one label column of a delimited text file. Every cell
// is validated; a bad one raises a FormatError naming file, line and column.

import { bool, either, int, oneOf, opt, parseArgs, signature, str } from "../../core/args.ts";
import { FormatError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { checkIndex } from "../check-index.ts";
import { type Collated, defaultCollate } from "../collate.ts";
import { Dataset } from "../dataset.ts";
import { gatherRows } from "../gather.ts";
import { applyTransform, type Transform } from "../transforms/transform.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { readFileChecked } from "./files.ts";
import { transformArg } from "./uint8-images.ts";

/**
 * Options of CSVDataset: which column is the label, how the file is read, the task, and transforms.
 */
export interface CSVDatasetOptions {
  /** The label column, by header name or 0-based index (negative counts from the end). Default: the last column. */
  labelColumn?: string | number;
  /** Whether the first line is a header; "auto" (default): it is when any of its cells is not a number. */
  header?: boolean | "auto";
  /** Cell separator (default ","). */
  delimiter?: string;
  /**
   * "classification" (default): labels are class indices, integers 0 ≤ label < maxClasses, or
   * words (class names, at most maxClasses distinct); "regression": labels are finite numbers,
   * kept as float32.
   */
  task?: "classification" | "regression";
  /** Classification: the most classes (default MAX_CSV_CLASSES, 1000). */
  maxClasses?: number;
  /** Applied to each feature vector [F]. */
  transform?: Transform<Tensor, Tensor>;
  targetTransform?: Transform<number, number>;
}

/**
 * The default cap on the number of classes of a CSV label column (integer labels are below it;
 * a column of words holds at most this many distinct ones). Downstream, a classifier's output
 * layer and its confusion matrix (classes²) grow with it: 1000 classes make a 1,000,000-cell
 * matrix. Raise it with the `maxClasses` option.
 */
export const MAX_CSV_CLASSES = 1000;

/** The largest CSV file read (256 MiB; V8's longest string is about 512 million characters). */
export const MAX_CSV_BYTES = 2 ** 28;

// Kiln's own: the path, then the options (torchvision-style transform and targetTransform).
const CSV = signature(
  "CSVDataset",
  { path: str },
  {
    labelColumn: opt(either(str, int)),
    header: opt(either(bool, oneOf("auto"))),
    delimiter: opt(str),
    task: opt(oneOf("classification", "regression")),
    maxClasses: opt(int),
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

/** A cell or column name for a message: JSON-quoted, at most 40 characters of it. */
function show(cell: string): string {
  return JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell);
}

/** A growable typed array. */
class Grow<T extends Float32Array | Float64Array | Int32Array> {
  data: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.data = make(1024);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  done(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** What `parseCsv` reads from a CSV file. */
export interface ParsedCsv {
  columns: string[];
  labelColumn: string;
  featureColumns: string[];
  rows: number;
  /** Row-major [rows, featureColumns.length]. */
  features: Float32Array;
  /** Class indices (classification) or values (regression). */
  labels: Int32Array | Float32Array;
  /** Class names when the label column holds words, else null. */
  classes: string[] | null;
}

/**
 * Parses the text (or UTF-8 bytes) of a CSV file as CSVDataset does, validating every cell: a
 * bad cell or label raises a FormatError naming `path`, line and column; options are those of
 * CSVDataset. Linear in the input; memory about 4 bytes per cell beyond the text.
 */
export function parseCsv(
  path: string,
  input: string | Uint8Array,
  options: Omit<CSVDatasetOptions, "transform" | "targetTransform"> = {},
): ParsedCsv {
  const delimiter = options.delimiter ?? ",";
  if (delimiter === "" || /[\r\n"]/.test(delimiter)) {
    throw new ValueError(
      `CSVDataset: delimiter ${show(delimiter)} must be non-empty, without quotes or line breaks`,
    );
  }
  const task = options.task ?? "classification";
  const maxClasses = options.maxClasses ?? MAX_CSV_CLASSES;
  if (!Number.isInteger(maxClasses) || maxClasses < 1 || maxClasses > 2 ** 31 - 1) {
    throw new ValueError(
      `CSVDataset: maxClasses must be an integer from 1 to ${2 ** 31 - 1}, got ${maxClasses}`,
    );
  }
  if (typeof input !== "string" && input.length > MAX_CSV_BYTES) {
    throw new FormatError(
      `${path}: the file has ${input.length} bytes, more than the ${MAX_CSV_BYTES} a CSV file may have`,
    );
  }
  const text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);

  // Lines, without materialising them all: [start, end) offsets, the "\r" of "\r\n" dropped.
  let pos = 0;
  let lineNo = 0;
  const nextLine = (): string | null => {
    if (pos > text.length) return null;
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = text.slice(pos, end > pos && text[end - 1] === "\r" ? end - 1 : end);
    pos = end + 1;
    lineNo++;
    return line;
  };

  let firstLine = nextLine();
  while (firstLine !== null && firstLine.trim() === "") firstLine = nextLine();
  if (firstLine === null) throw new FormatError(`${path}: empty CSV file`);
  const firstNo = lineNo;
  const first = firstLine.split(delimiter).map(unquote);
  const header = options.header ?? "auto";
  const hasHeader = header === "auto" ? first.some((c) => parseNumber(c) === null) : header;
  const ncol = first.length;
  const columns = hasHeader ? first : first.map((_, i) => String(i));
  const label = options.labelColumn ?? ncol - 1;
  let li: number;
  if (typeof label === "string") {
    li = columns.indexOf(label);
    if (li < 0) {
      const list = columns.slice(0, 20).map(show).join(", ");
      throw new ValueError(
        `CSVDataset: ${path} has no column named ${show(label)} (columns: ${list}${ncol > 20 ? `, … ${ncol} in all` : ""})`,
      );
    }
  } else {
    if (!Number.isInteger(label) || label < -ncol || label >= ncol) {
      throw new ValueError(
        `CSVDataset: label column ${label} is out of range for ${ncol} columns in ${path}`,
      );
    }
    li = label < 0 ? label + ncol : label;
  }
  const labelName = show(columns[li]!);
  const feats = new Grow((n) => new Float32Array(n));
  const values = new Grow((n) => new Float64Array(n));
  // Classification with numeric labels: the first label that is not a class index.
  let badLabel: { line: number; cell: string } | null = null;
  let allNumeric = true;
  let rows = 0;
  let blank = 0; // the line number of a blank line not yet known to be trailing
  const rowLines = new Grow((n) => new Int32Array(n));

  const cellsOf = (line: string, no: number): string[] => {
    const cells = line.split(delimiter);
    if (cells.length !== ncol) {
      throw new FormatError(`${path}: line ${no}: expected ${ncol} columns, got ${cells.length}`);
    }
    return cells;
  };
  const emptyLabel = (no: number) =>
    new FormatError(
      `${path}: line ${no}, column ${li + 1} (${labelName}): expected a label, got an empty cell`,
    );

  let line: string | null = hasHeader ? nextLine() : firstLine;
  let no = hasHeader ? lineNo : firstNo;
  while (line !== null) {
    if (line.trim() === "") {
      if (blank === 0) blank = no;
    } else {
      if (blank !== 0) {
        // A blank line before this one: not trailing, so a row with a wrong number of cells.
        if (ncol !== 1) cellsOf("", blank);
        throw emptyLabel(blank);
      }
      const cells = cellsOf(line, no);
      for (let c = 0; c < ncol; c++) {
        const cell = unquote(cells[c]!);
        const v = parseNumber(cell);
        if (c === li) {
          if (cell === "") throw emptyLabel(no);
          if (v === null) {
            if (task === "regression") {
              throw new FormatError(
                `${path}: line ${no}, column ${c + 1} (${labelName}): expected a number (task "regression"), got ${show(cell)}`,
              );
            }
            allNumeric = false;
          } else if (
            badLabel === null &&
            (task === "regression"
              ? !Number.isFinite(v)
              : !Number.isInteger(v) || v < 0 || v >= maxClasses)
          ) {
            badLabel = { line: no, cell };
          }
          values.push(v ?? Number.NaN);
          continue;
        }
        if (v === null) {
          throw new FormatError(
            `${path}: line ${no}, column ${c + 1} (${show(columns[c]!)}): expected a number, got ${show(cell)}`,
          );
        }
        feats.push(v);
      }
      rowLines.push(no);
      rows++;
    }
    line = nextLine();
    no = lineNo;
  }

  const features = feats.done();
  let labels: Int32Array | Float32Array;
  let classes: string[] | null = null;
  if (allNumeric) {
    if (badLabel !== null) {
      const expected =
        task === "regression"
          ? "expected a finite number"
          : `expected a class index, an integer from 0 to ${maxClasses - 1}${maxClasses === MAX_CSV_CLASSES ? " (the maxClasses cap)" : ""}`;
      throw new FormatError(
        `${path}: line ${badLabel.line}, column ${li + 1} (${labelName}): ${expected}, got ${show(badLabel.cell)}`,
      );
    }
    const v = values.done();
    labels = task === "regression" ? Float32Array.from(v) : Int32Array.from(v);
  } else {
    // Words: a second pass over the label cells, at most maxClasses distinct ones.
    const names = new Set<string>();
    const cellOfRow: string[] = [];
    pos = 0;
    lineNo = 0;
    const lineOfRow = rowLines.done();
    for (let r = 0; r < rows; r++) {
      let l = nextLine()!;
      while (lineNo < lineOfRow[r]!) l = nextLine()!;
      const cell = unquote(l.split(delimiter)[li]!);
      if (!names.has(cell)) {
        if (names.size >= maxClasses) {
          throw new FormatError(
            `${path}: line ${lineNo}, column ${li + 1} (${labelName}): ${show(cell)} is label number ${maxClasses + 1}, more than the ${maxClasses} classes allowed (the maxClasses option)`,
          );
        }
        names.add(cell);
      }
      cellOfRow.push(cell);
    }
    classes = [...names].sort();
    const lookup = new Map(classes.map((c, i) => [c, i]));
    labels = Int32Array.from(cellOfRow, (c) => lookup.get(c)!);
  }
  return {
    columns,
    labelColumn: columns[li]!,
    featureColumns: columns.filter((_, i) => i !== li),
    rows,
    features,
    labels,
    classes,
  };
}

/**
 * A table of numbers: items are `[features, label]` with features float32 [F]; `features` is
 * float32 [N, F] and `labels` int32 [N]. Labels are class indices (non-negative integers below
 * `maxClasses`, default MAX_CSV_CLASSES) or, for a column of words, indices into `classes`
 * (sorted); with `task: "regression"`, finite numbers as float32. A fractional, negative,
 * non-finite or too large class label is a FormatError naming file, line and value. The file
 * holds at most MAX_CSV_BYTES; filesystem errors are typed Kiln errors naming the path.
 *
 * @example const ds = new CSVDataset("iris.csv", { labelColumn: "species" });
 */
export class CSVDataset extends Dataset<[Tensor, number]> {
  /** The file the rows were read from. */
  readonly path: string;
  /** The column names, from the header or "0", "1", ... without one. */
  readonly columns: readonly string[];
  /** The name of the label column. */
  readonly labelColumn: string;
  /** The names of the feature columns, in file order. */
  readonly featureColumns: readonly string[];
  /** All feature rows, float32 `[rows, features]`. */
  readonly features: Tensor;
  /** All labels, `[rows]`: int32 class indices for classification, float32 for regression. */
  readonly labels: Tensor;
  /** Class names when the label column holds words, else null. */
  readonly classes: readonly string[] | null;
  /** The options the dataset was created with. */
  readonly options: CSVDatasetOptions;

  /**
   * Reads and parses the whole file at `path`; throws FormatError naming file, line and value on a
   * bad cell.
   */
  constructor(path: string, options: CSVDatasetOptions = {}) {
    super();
    parseArgs(CSV, arguments);
    this.path = path;
    this.options = options;
    const parsed = parseCsv(path, readFileChecked(path, MAX_CSV_BYTES), options);
    const { rows } = parsed;
    this.columns = parsed.columns;
    this.labelColumn = parsed.labelColumn;
    this.featureColumns = parsed.featureColumns;
    this.features = Tensor.fromData(
      parsed.features,
      [rows, parsed.featureColumns.length],
      "float32",
    );
    this.classes = parsed.classes;
    this.labels =
      parsed.labels instanceof Int32Array
        ? Tensor.fromData(parsed.labels, [rows], "int32")
        : Tensor.fromData(parsed.labels, [rows], "float32");
  }

  get length(): number {
    return this.labels.shape[0]!;
  }

  /** Row `index` as `[features [F], label]`, after the transforms. */
  get(index: number): [Tensor, number] {
    const i = checkIndex("CSVDataset.get", index, this.length);
    let x = this.features.index(i).contiguous();
    let y = this.labels.storage.data[i]!;
    if (this.options.transform) x = applyTransform(this.options.transform, x);
    if (this.options.targetTransform) y = applyTransform(this.options.targetTransform, y);
    return [x, y];
  }

  /**
   * The rows at `indices` as `[features [B, F], labels [B]]`, gathered directly when there are no
   * transforms.
   */
  getBatch(indices: readonly number[]): Collated<[Tensor, number]> {
    if (this.options.transform || this.options.targetTransform)
      return defaultCollate(indices.map((i) => this.get(i)));
    return [
      gatherRows("CSVDataset.getBatch", this.features, indices),
      gatherRows("CSVDataset.getBatch", this.labels, indices),
    ];
  }

  /**
   * How a worker thread rebuilds this dataset (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "CSVDataset", args: [this.path, this.options] };
  }
}

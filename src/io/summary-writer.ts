// SummaryWriter: TensorBoard event files, as torch.utils.tensorboard.SummaryWriter writes them.
// Records are buffered whole and appended in one write per flush, so the log can be cut short by
// a crash but never holds a torn record. Depends on core, tensor, io/atomic, io/tfrecord and
// io/tb-summaries.

import * as os from "node:os";
import * as path from "node:path";
import { ValueError } from "../core/errors.ts";
import { Tensor } from "../tensor/tensor.ts";
import { appendFileWhole, writeFileAtomic } from "./atomic.ts";
import {
  computePrCurve,
  encodeEvent,
  encodePrCurvePluginData,
  encodeSummary,
  type HistogramBins,
  makeHistogram,
  type SummaryValue,
} from "./tb-summaries.ts";
import { encodeTfRecord } from "./tfrecord.ts";

/** Options of `new SummaryWriter(logDir, options)`; defaults are torch's. */
export interface SummaryWriterOptions {
  /** Seconds between automatic flushes of pending records (torch: 120). */
  flushSecs?: number;
  /** Pending records that trigger a flush (torch: 10). */
  maxQueue?: number;
  /** Appended to the events file name (torch's `filename_suffix`). */
  filenameSuffix?: string;
}

/** Options of `addHistogram`. */
export interface HistogramOptions {
  /** A bin count over [min, max], explicit increasing edges, or "tensorflow" (torch's default). */
  bins?: HistogramBins;
  wallTime?: number;
}

/** Options of `addPrCurve`. */
export interface PrCurveOptions {
  /** Thresholds i / (T - 1), i = 0..T-1 (torch: 127, and torch caps it at 127). */
  numThresholds?: number;
  /** Per-sample weights (default 1). */
  weights?: Tensor | ArrayLike<number>;
  wallTime?: number;
}

const open = new Set<SummaryWriter>();
let exitHookInstalled = false;
let fileCounter = 0;

function numbers(name: string, x: Tensor | ArrayLike<number | boolean>): Float64Array {
  if (x instanceof Tensor) return Float64Array.from(x.dataSync());
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== "number" && typeof v !== "boolean") {
      throw new ValueError(`${name}: element ${i} is ${typeof v}, expected a number`);
    }
    out[i] = Number(v);
  }
  return out;
}

function now(): number {
  return Date.now() / 1000;
}

/**
 * Writes TensorBoard event files under `logDir`: `events.out.tfevents.<secs>.<host>.<pid>.<n>`,
 * starting with the `brain.Event:2` file-version event, as torch.utils.tensorboard does.
 * Steps are the x axis (the book uses `totalTrainingSamples_count`); wall times are seconds since
 * the epoch. Pending records are flushed every `flushSecs`, after `maxQueue` records, on `flush()`,
 * `close()` and at process exit.
 *
 * @example
 * const w = new io.SummaryWriter("runs/p2ch11/2026-11-27_14.03.11-trn_cls-dwlpt");
 * w.addScalar("loss/all", 0.2563, 1000);
 * w.close();
 */
export class SummaryWriter {
  /** The directory the events file lives in. */
  readonly logDir: string;
  /** The events file's path. */
  readonly file: string;
  #pending: Uint8Array[] = [];
  #maxQueue: number;
  #timer: ReturnType<typeof setInterval> | null;
  #closed = false;

  constructor(logDir: string, options: SummaryWriterOptions = {}) {
    const flushSecs = options.flushSecs ?? 120;
    this.#maxQueue = options.maxQueue ?? 10;
    if (!(flushSecs > 0))
      throw new ValueError(`SummaryWriter: flushSecs must be positive, got ${flushSecs}`);
    if (!(this.#maxQueue >= 1))
      throw new ValueError(`SummaryWriter: maxQueue must be at least 1, got ${this.#maxQueue}`);
    this.logDir = logDir;
    const secs = String(Math.floor(now())).padStart(10, "0");
    const name = `events.out.tfevents.${secs}.${os.hostname()}.${process.pid}.${fileCounter++}`;
    this.file = path.join(logDir, name + (options.filenameSuffix ?? ""));
    writeFileAtomic(
      this.file,
      encodeTfRecord(encodeEvent(now(), 0, { fileVersion: "brain.Event:2" })),
    );
    this.#timer = setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        // NOTE: a background flush must not crash training; the records stay queued for the next try.
        process.emitWarning(
          `SummaryWriter: flushing ${this.file} failed: ${(err as Error).message}`,
        );
      }
    }, flushSecs * 1000);
    this.#timer.unref();
    open.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on("exit", () => {
        for (const w of open) w.close();
      });
    }
  }

  #add(
    tag: string,
    value: SummaryValue,
    step: number | undefined,
    wallTime: number | undefined,
  ): void {
    if (this.#closed)
      throw new ValueError(`SummaryWriter(${this.logDir}): cannot add "${tag}" after close()`);
    if (step !== undefined && !Number.isSafeInteger(step)) {
      throw new ValueError(`SummaryWriter: step must be an integer, got ${step} for "${tag}"`);
    }
    const event = encodeEvent(wallTime ?? now(), step ?? 0, { summary: encodeSummary(tag, value) });
    this.#pending.push(encodeTfRecord(event));
    if (this.#pending.length >= this.#maxQueue) this.flush();
  }

  /** Logs one scalar (a float32 `simple_value`, as torch's `add_scalar`). */
  addScalar(tag: string, value: number | Tensor, step?: number, wallTime?: number): void {
    const v = value instanceof Tensor ? value.item() : value;
    if (typeof v !== "number")
      throw new ValueError(`addScalar: "${tag}" needs a number, got ${typeof v}`);
    this.#add(tag, { kind: "scalar", value: v }, step, wallTime);
  }

  /**
   * Logs a histogram of `values` (a HistogramProto, as torch's `add_histogram`): min, max, count,
   * sum, sum of squares, and the counts of the bins between the first and the last non-empty one.
   * The book uses `bins` = [0, 0.02, ..., 1] for predicted probabilities.
   */
  addHistogram(
    tag: string,
    values: Tensor | ArrayLike<number>,
    step?: number,
    options: HistogramOptions = {},
  ): void {
    const histo = makeHistogram(numbers("addHistogram", values), options.bins ?? "tensorflow");
    this.#add(tag, { kind: "histogram", histo }, step, options.wallTime);
  }

  /**
   * Logs a precision-recall curve for the pr_curves plugin, as torch's `add_pr_curve`: a float32
   * tensor [6, T] of TP, FP, TN, FN, precision and recall at thresholds i / (T - 1), with plugin
   * data PrCurvePluginData { version 0, num_thresholds T }. `labels` are 0/1 (or bool),
   * `predictions` probabilities in [0, 1].
   */
  addPrCurve(
    tag: string,
    labels: Tensor | ArrayLike<number | boolean>,
    predictions: Tensor | ArrayLike<number>,
    step?: number,
    options: PrCurveOptions = {},
  ): void {
    // NOTE: torch caps num_thresholds at 127 ("weird, value > 127 breaks protobuf").
    const T = Math.min(options.numThresholds ?? 127, 127);
    if (!Number.isInteger(T) || T < 2) {
      throw new ValueError(
        `addPrCurve: numThresholds must be an integer of at least 2, got ${options.numThresholds}`,
      );
    }
    const weights =
      options.weights === undefined ? undefined : numbers("addPrCurve", options.weights);
    const data = computePrCurve(
      numbers("addPrCurve", labels),
      numbers("addPrCurve", predictions),
      T,
      weights,
    );
    this.#add(
      tag,
      {
        kind: "tensor",
        pluginName: "pr_curves",
        pluginContent: encodePrCurvePluginData(T),
        dtype: "float",
        shape: [6, T],
        floats: data,
      },
      step,
      options.wallTime,
    );
  }

  /** Logs text for the text plugin under `<tag>/text_summary`, as torch's `add_text`. */
  addText(tag: string, text: string, step?: number, wallTime?: number): void {
    this.#add(
      `${tag}/text_summary`,
      {
        kind: "tensor",
        pluginName: "text",
        pluginContent: new Uint8Array(0), // TextPluginData { version 0 } encodes to no bytes
        dtype: "string",
        shape: [1],
        strings: [new TextEncoder().encode(text)],
      },
      step,
      wallTime,
    );
  }

  /** Appends every pending record to the events file in one write. */
  flush(): void {
    if (this.#pending.length === 0) return;
    // Records leave the queue only once the write succeeded, so a failed flush can be retried.
    appendFileWhole(this.file, Buffer.concat(this.#pending));
    this.#pending = [];
  }

  /** Flushes and stops the flush timer; further `add*` calls throw. Calling it twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    open.delete(this);
  }
}

// SummaryWriter: TensorBoard event files, as torch.utils.tensorboard.SummaryWriter writes them.
// Records are buffered whole and appended in one write per flush, so the log can be cut short by
// a crash but never holds a torn record. Depends on core, tensor, io/atomic, io/tfrecord and
// io/tb-summaries (which encodes with protobufjs through io/protobuf).

import * as os from "node:os";
import * as path from "node:path";
import {
  checkArity,
  custom,
  either,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  record,
  signature,
  str,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { Tensor } from "../tensor/tensor.ts";
import { appendFileWhole, writeFileAtomic } from "./atomic.ts";
import {
  computePrCurve,
  encodeEvent,
  encodePrCurvePluginData,
  encodeTextPluginData,
  type HistogramBins,
  HPARAMS_TAGS,
  type HParamValue,
  hparamsPluginData,
  type ImageDataFormats,
  makeHistogram,
  type SummaryValue,
  summaryValue,
  toHwcImage,
} from "./tb-summaries.ts";
import { encodeTfRecord } from "./tfrecord.ts";

/** Options of `new SummaryWriter(logDir, options)`: torch's parameters after `log_dir`, with its defaults. */
export interface SummaryWriterOptions {
  /** Appended to the default log directory (ignored when `logDir` is given), as torch's `comment`. */
  comment?: string;
  /** torch's `purge_step`: Kiln does not purge, so only null is accepted. */
  purgeStep?: null;
  /** Pending records that trigger a flush (torch: 10). */
  maxQueue?: number;
  /** Seconds between automatic flushes of pending records (torch: 120). */
  flushSecs?: number;
  /** Appended to the events file name (torch's `filename_suffix`). */
  filenameSuffix?: string;
}

/** Options of `addScalar`, after `tag` and `scalarValue`. */
export interface ScalarOptions {
  globalStep?: number;
  /** Seconds since the epoch (default now), torch's `walltime`. */
  walltime?: number;
  /** Kiln writes the old-style `simple_value`: only false. */
  newStyle?: false;
  /** Only with `newStyle`: only false. */
  doublePrecision?: false;
}

/** Options of `addHistogram`, after `tag` and `values`. */
export interface HistogramOptions {
  globalStep?: number;
  /** A bin count over [min, max], explicit increasing edges, or "tensorflow" (torch's default). */
  bins?: HistogramBins;
  walltime?: number;
  /** torch's `max_bins`: Kiln never merges bins, so only null. */
  maxBins?: null;
}

/** Options of `addPrCurve`, after `tag`, `labels` and `predictions`. */
export interface PrCurveOptions {
  globalStep?: number;
  /** Thresholds i / (T - 1), i = 0..T-1 (torch: 127, and torch caps it at 127). */
  numThresholds?: number;
  /** Per-sample weights (default 1). */
  weights?: Tensor | ArrayLike<number> | null;
  walltime?: number;
}

/** Options of `addText`, after `tag` and `textString`. */
export interface TextOptions {
  globalStep?: number;
  walltime?: number;
}

/** Options of `addImage`, after `tag`, `imgTensor` and `globalStep`. */
export interface ImageOptions {
  /** Seconds since the epoch (default now), torch's `walltime`. */
  walltime?: number;
  /** The axes of `imgTensor` (torch: "CHW"). */
  dataformats?: "CHW" | "HWC" | "HW";
}

/** Options of `addImages`, after `tag`, `imgTensor` and `globalStep`. */
export interface ImagesOptions {
  /** Seconds since the epoch (default now), torch's `walltime`. */
  walltime?: number;
  /** The axes of `imgTensor` (torch: "NCHW"). */
  dataformats?: "NCHW" | "NHWC" | "CHW" | "HWC" | "HW";
}

/** Options of `addHparams`, after `hparamDict` and `metricDict`. */
export interface HparamsOptions {
  /** Every value each hyperparameter can take, for TensorBoard's filters (torch's `hparam_domain_discrete`). */
  hparamDomainDiscrete?: Record<string, (number | string | boolean)[]>;
  /** The sub-run under `logDir` that receives the summaries (torch's `run_name`, default the current time). */
  runName?: string;
}

/** The values of a histogram: a tensor or an array of numbers. */
export type Values = Tensor | ArrayLike<number>;

const isValues = (v: unknown): v is Values =>
  v instanceof Tensor || Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
const values = custom("a Tensor or an array of numbers", isValues);
// An int, checked in #add (a number here, so that 1.5 gets #add's message naming the tag).
const step = opt(nullable(num));
const walltime = opt(nullable(num));
const onlyNull = (what: string) =>
  opt(custom(`null (Kiln does not implement ${what})`, (v): v is null => v === null));
const onlyFalse = (what: string) =>
  opt(custom(`false (Kiln does not implement ${what})`, (v): v is false => v === false));

// torch.utils.tensorboard.SummaryWriter(log_dir=None, comment='', purge_step=None, max_queue=10,
// flush_secs=120, filename_suffix='') and its methods' parameters, in torch's order.
const WRITER = signature("SummaryWriter", {
  logDir: opt(nullable(str)),
  comment: opt(str, ""),
  purgeStep: onlyNull("purge_step"),
  maxQueue: opt(num, 10),
  flushSecs: opt(num, 120),
  filenameSuffix: opt(str, ""),
});
const ADD_SCALAR = signature("SummaryWriter.addScalar", {
  tag: str,
  // NaN is a value here, as in PyTorch (a precision with no positive prediction is NaN)
  scalarValue: either(
    custom("a number", (v): v is number => typeof v === "number"),
    instanceOf(Tensor, "a Tensor"),
  ),
  globalStep: step,
  walltime,
  newStyle: onlyFalse("new_style"),
  doublePrecision: onlyFalse("double_precision"),
});
const ADD_HISTOGRAM = signature("SummaryWriter.addHistogram", {
  tag: str,
  values,
  globalStep: step,
  bins: opt(
    custom(
      'an int, an array of increasing edges or "tensorflow"',
      (v): v is HistogramBins => v === "tensorflow" || typeof v === "number" || isValues(v),
    ),
    "tensorflow",
  ),
  walltime,
  maxBins: onlyNull("max_bins"),
});
const ADD_PR_CURVE = signature("SummaryWriter.addPrCurve", {
  tag: str,
  labels: custom("a Tensor or an array of numbers or booleans", isValues),
  predictions: values,
  globalStep: step,
  numThresholds: opt(int, 127),
  weights: opt(nullable(values)),
  walltime,
});
const ADD_TEXT = signature("SummaryWriter.addText", {
  tag: str,
  textString: str,
  globalStep: step,
  walltime,
});

const imageFormats = (...formats: ImageDataFormats[]) =>
  opt(
    custom(formats.map((f) => JSON.stringify(f)).join(" | "), (v): v is ImageDataFormats =>
      formats.includes(v as ImageDataFormats),
    ),
  );
// add_image/add_images(tag, img_tensor, global_step=None, walltime=None, dataformats=...): Kiln's
// signature takes walltime and dataformats by name only.
const ADD_IMAGE = signature(
  "SummaryWriter.addImage",
  { tag: str, imgTensor: instanceOf(Tensor, "a Tensor"), globalStep: step },
  { walltime, dataformats: imageFormats("CHW", "HWC", "HW") },
);
const ADD_IMAGES = signature(
  "SummaryWriter.addImages",
  { tag: str, imgTensor: instanceOf(Tensor, "a Tensor"), globalStep: step },
  { walltime, dataformats: imageFormats("NCHW", "NHWC", "CHW", "HWC", "HW") },
);
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Tensor);
// add_hparams(hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None): the last two
// by name only in Kiln.
const ADD_HPARAMS = signature(
  "SummaryWriter.addHparams",
  {
    hparamDict: record<Record<string, unknown>>(
      "a record of numbers, strings or booleans",
      isRecord,
    ),
    metricDict: record<Record<string, unknown>>("a record of numbers", isRecord),
  },
  {
    hparamDomainDiscrete: opt(nullable(custom("a record of arrays", isRecord))),
    runName: opt(nullable(str)),
  },
);

/** torch's default log directory: runs/<%b%d_%H-%M-%S>_<hostname><comment>. */
function defaultLogDir(comment: string): string {
  const d = new Date();
  const month = d.toLocaleString("en-US", { month: "short" });
  const p2 = (n: number) => String(n).padStart(2, "0");
  const time = `${month}${p2(d.getDate())}_${p2(d.getHours())}-${p2(d.getMinutes())}-${p2(d.getSeconds())}`;
  return path.join("runs", `${time}_${os.hostname()}${comment}`);
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

  /**
   * Opens a new events file, as torch.utils.tensorboard.SummaryWriter(log_dir=None, comment='',
   * purge_step=None, max_queue=10, flush_secs=120, filename_suffix=''); a null `logDir` means
   * `runs/<date>_<host><comment>`. Arguments positional or in one options object.
   */
  constructor(
    ...args: WithOptions<
      [
        logDir: string | null,
        comment: string,
        purgeStep: null,
        maxQueue: number,
        flushSecs: number,
        filenameSuffix: string,
      ],
      SummaryWriterOptions
    >
  ) {
    const a = parseArgs(WRITER, args);
    const { flushSecs } = a;
    this.#maxQueue = a.maxQueue;
    if (!(flushSecs > 0))
      throw new ValueError(`SummaryWriter: flushSecs must be positive, got ${flushSecs}`);
    if (!(this.#maxQueue >= 1))
      throw new ValueError(`SummaryWriter: maxQueue must be at least 1, got ${this.#maxQueue}`);
    const logDir = a.logDir ?? defaultLogDir(a.comment);
    this.logDir = logDir;
    const secs = String(Math.floor(now())).padStart(10, "0");
    const name = `events.out.tfevents.${secs}.${os.hostname()}.${process.pid}.${fileCounter++}`;
    this.file = path.join(logDir, name + a.filenameSuffix);
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
    step: number | null | undefined,
    walltime: number | null | undefined,
  ): void {
    if (this.#closed)
      throw new ValueError(`SummaryWriter(${this.logDir}): cannot add "${tag}" after close()`);
    if (step != null && !Number.isSafeInteger(step)) {
      throw new ValueError(`SummaryWriter: step must be an integer, got ${step} for "${tag}"`);
    }
    const event = encodeEvent(walltime ?? now(), step ?? 0, {
      summary: [summaryValue(tag, value)],
    });
    this.#pending.push(encodeTfRecord(event));
    if (this.#pending.length >= this.#maxQueue) this.flush();
  }

  /**
   * Logs one scalar (a float32 `simple_value`), as torch's
   * `add_scalar(tag, scalar_value, global_step=None, walltime=None, new_style=False, double_precision=False)`.
   *
   * @example w.addScalar("loss/all", 0.2563, 1000);
   */
  addScalar(
    tag: string,
    scalarValue: number | Tensor,
    ...rest: WithOptions<
      [globalStep: number | null, walltime: number | null, newStyle: false, doublePrecision: false],
      ScalarOptions
    >
  ): void {
    const a = parseArgs(ADD_SCALAR, [tag, scalarValue, ...rest]);
    const v = a.scalarValue instanceof Tensor ? a.scalarValue.item() : a.scalarValue;
    if (typeof v !== "number")
      throw new ValueError(`addScalar: "${tag}" needs a number, got ${typeof v}`);
    this.#add(a.tag, { kind: "scalar", value: v }, a.globalStep, a.walltime);
  }

  /**
   * Logs a histogram of `values` (a HistogramProto), as torch's
   * `add_histogram(tag, values, global_step=None, bins='tensorflow', walltime=None, max_bins=None)`:
   * min, max, count, sum, sum of squares, and the counts of the bins between the first and the
   * last non-empty one. `bins` is a bin count, explicit edges, or "tensorflow" (numpy's named
   * estimators such as "auto" are refused). The book uses `bins` = [0, 0.02, ..., 1].
   */
  addHistogram(
    tag: string,
    values: Values,
    ...rest: WithOptions<
      [globalStep: number | null, bins: HistogramBins, walltime: number | null, maxBins: null],
      HistogramOptions
    >
  ): void {
    const a = parseArgs(ADD_HISTOGRAM, [tag, values, ...rest]);
    const histo = makeHistogram(numbers("addHistogram", a.values), a.bins);
    this.#add(a.tag, { kind: "histogram", histo }, a.globalStep, a.walltime);
  }

  /**
   * Logs a precision-recall curve for the pr_curves plugin, as torch's `add_pr_curve(tag, labels,
   * predictions, global_step=None, num_thresholds=127, weights=None, walltime=None)`: a float32
   * tensor [6, T] of TP, FP, TN, FN, precision and recall at thresholds i / (T - 1), with plugin
   * data PrCurvePluginData { version 0, num_thresholds T }. `labels` are 0/1 (or bool),
   * `predictions` probabilities in [0, 1].
   */
  addPrCurve(
    tag: string,
    labels: Tensor | ArrayLike<number | boolean>,
    predictions: Values,
    ...rest: WithOptions<
      [
        globalStep: number | null,
        numThresholds: number,
        weights: Values | null,
        walltime: number | null,
      ],
      PrCurveOptions
    >
  ): void {
    const a = parseArgs(ADD_PR_CURVE, [tag, labels, predictions, ...rest]);
    // NOTE: torch caps num_thresholds at 127 ("weird, value > 127 breaks protobuf").
    const T = Math.min(a.numThresholds, 127);
    if (T < 2) {
      throw new ValueError(
        `addPrCurve: numThresholds must be an integer of at least 2, got ${a.numThresholds}`,
      );
    }
    const weights = a.weights == null ? undefined : numbers("addPrCurve", a.weights);
    const data = computePrCurve(
      numbers("addPrCurve", a.labels as Tensor | ArrayLike<number | boolean>),
      numbers("addPrCurve", a.predictions),
      T,
      weights,
    );
    this.#add(
      a.tag,
      {
        kind: "tensor",
        pluginName: "pr_curves",
        pluginContent: encodePrCurvePluginData(T),
        dtype: "float",
        shape: [6, T],
        floats: data,
      },
      a.globalStep,
      a.walltime,
    );
  }

  /**
   * Logs text for the text plugin under `<tag>/text_summary`, as torch's
   * `add_text(tag, text_string, global_step=None, walltime=None)`.
   */
  addText(
    tag: string,
    textString: string,
    ...rest: WithOptions<[globalStep: number | null, walltime: number | null], TextOptions>
  ): void {
    const a = parseArgs(ADD_TEXT, [tag, textString, ...rest]);
    this.#add(
      `${a.tag}/text_summary`,
      {
        kind: "tensor",
        pluginName: "text",
        pluginContent: encodeTextPluginData(),
        dtype: "string",
        shape: [1],
        strings: [new TextEncoder().encode(a.textString)],
      },
      a.globalStep,
      a.walltime,
    );
  }

  #image(
    tag: string,
    img: Tensor,
    dataformats: ImageDataFormats,
    step: number | null | undefined,
    walltime: number | null | undefined,
  ): void {
    // NOTE: int tensors stand for torch's uint8 (taken as 0-255); float and bool ones are scaled by 255.
    const floating = img.dtype !== "int32";
    const data = floating ? img.float().dataSync() : img.dataSync();
    const image = toHwcImage(Array.from(data, Number), img.shape, dataformats, floating);
    this.#add(tag, { kind: "image", image }, step, walltime);
  }

  /**
   * Logs one image (a PNG in a Summary.Image with its height, width and colorspace), as torch's
   * `add_image(tag, img_tensor, global_step=None, walltime=None, dataformats='CHW')`. Float (and
   * bool) tensors hold [0, 1] and become trunc(float32(v) · 255), as torch's
   * `(x.astype(np.float32) * 255).astype(np.uint8)`; int tensors stand for torch's uint8 and are
   * taken as 0-255; out-of-range values are clamped. 1 channel is written as RGB (as torch), 3 as
   * RGB, 4 as RGBA.
   *
   * @example w.addImage("sample", rand(3, 28, 28), 1000);
   */
  addImage(
    tag: string,
    imgTensor: Tensor,
    ...rest: [globalStep?: number, options?: ImageOptions]
  ): void {
    const a = parseArgs(ADD_IMAGE, [tag, imgTensor, ...rest]);
    this.#image(a.tag, a.imgTensor, a.dataformats ?? "CHW", a.globalStep, a.walltime);
  }

  /**
   * Logs a batch of images tiled into one grid image, as torch's `add_images(tag, img_tensor,
   * global_step=None, walltime=None, dataformats='NCHW')`: min(N, 8) columns, ceil(N / columns)
   * rows, no padding, empty cells black (torch's `_utils.make_grid`); a batch has 1 or 3 channels.
   * Values are scaled as in `addImage`.
   *
   * @example w.addImages("batch", rand(16, 1, 28, 28), 1000);
   */
  addImages(
    tag: string,
    imgTensor: Tensor,
    ...rest: [globalStep?: number, options?: ImagesOptions]
  ): void {
    const a = parseArgs(ADD_IMAGES, [tag, imgTensor, ...rest]);
    this.#image(a.tag, a.imgTensor, a.dataformats ?? "NCHW", a.globalStep, a.walltime);
  }

  /**
   * Logs a set of hyperparameters and their metrics for TensorBoard's HParams dashboard, as
   * torch's `add_hparams(hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None)`:
   * a new events file in the sub-run `<logDir>/<runName>` (default: the current time in seconds,
   * torch's `str(time.time())`) holds the plugin's experiment, session-start and session-end
   * summaries, then each metric as a scalar at step 0. Booleans are written as numbers, as torch does.
   *
   * @example w.addHparams({ lr: 0.1, bsize: 32 }, { "hparam/accuracy": 0.9 });
   */
  addHparams(
    hparamDict: Record<string, number | string | boolean>,
    metricDict: Record<string, number>,
    ...rest: [options?: HparamsOptions]
  ): void {
    const a = parseArgs(ADD_HPARAMS, [hparamDict, metricDict, ...rest]);
    if (this.#closed)
      throw new ValueError(`SummaryWriter(${this.logDir}): cannot add hparams after close()`);
    for (const [k, v] of Object.entries(a.metricDict)) {
      if (typeof v !== "number")
        throw new ValueError(`addHparams: metricDict[${JSON.stringify(k)}] should be a number`);
    }
    const contents = hparamsPluginData(
      a.hparamDict as Record<string, HParamValue>,
      a.metricDict as Record<string, number>,
      (a.hparamDomainDiscrete ?? {}) as Record<string, HParamValue[]>,
    );
    const runName = a.runName ?? String(now());
    const w = new SummaryWriter(path.join(this.logDir, runName), { maxQueue: 1000 });
    try {
      const tags = [
        HPARAMS_TAGS.experiment,
        HPARAMS_TAGS.sessionStartInfo,
        HPARAMS_TAGS.sessionEndInfo,
      ];
      tags.forEach((tag, i) => {
        w.#add(
          tag,
          { kind: "plugin", pluginName: "hparams", pluginContent: contents[i]! },
          0,
          null,
        );
      });
      for (const [k, v] of Object.entries(a.metricDict)) w.addScalar(k, v as number);
    } finally {
      w.close();
    }
  }

  /** Appends every pending record to the events file in one write. */
  flush(): void {
    checkArity("SummaryWriter.flush", arguments, 0);
    if (this.#pending.length === 0) return;
    // Records leave the queue only once the write succeeded, so a failed flush can be retried.
    appendFileWhole(this.file, Buffer.concat(this.#pending));
    this.#pending = [];
  }

  /** Flushes and stops the flush timer; further `add*` calls throw. Calling it twice is harmless. */
  close(): void {
    checkArity("SummaryWriter.close", arguments, 0);
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    open.delete(this);
  }
}

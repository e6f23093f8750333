// TensorBoard summaries as torch.utils.tensorboard builds them (torch/utils/tensorboard/summary.py
// and _utils.py, PyTorch 1.13): scalars, histograms, PR curves, text, images and hparams, computed
// in plain TypeScript and encoded as tensorflow.Event protobufs by io/protobuf (protobufjs).
// Depends on core, pngjs and io/protobuf only (no Tensor: callers pass plain arrays).

import { checkArity } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { encodePng } from "./png.ts";
import {
  type EventJson,
  encodeEventMessage,
  encodeHParamsPluginDataMessage,
  encodePrCurvePluginDataMessage,
  encodeSummaryMessage,
  encodeTextPluginDataMessage,
  HPARAM_STATUS,
  HPARAM_TYPE,
  type HParamsPluginDataJson,
  type StructValueJson,
  type SummaryValueJson,
  TB_DTYPE,
} from "./protobuf.ts";

// ---- numpy.histogram, the parts torch's summaries use ------------------------------------------

/**
 * np.histogram with `nBins` equal bins over [first, last] (optionally weighted), with numpy's own
 * bin assignment (numpy/lib/histograms.py, the uniform-bins fast path): values outside the range
 * are dropped and the last bin is closed on the right.
 */
export function uniformHistogram(
  values: ArrayLike<number>,
  nBins: number,
  first: number,
  last: number,
  weights?: ArrayLike<number>,
): { counts: Float64Array; edges: Float64Array } {
  const edges = linspace(first, last, nBins + 1);
  const counts = new Float64Array(nBins);
  const denom = last - first;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!(x >= first && x <= last)) continue;
    let k = Math.trunc(((x - first) / denom) * nBins);
    if (k === nBins) k -= 1;
    if (x < edges[k]!) k -= 1;
    else if (x >= edges[k + 1]! && k !== nBins - 1) k += 1;
    counts[k]! += weights === undefined ? 1 : weights[i]!;
  }
  return { counts, edges };
}

/** np.histogram with explicit, increasing edges: bin i is [e_i, e_i+1), the last [e_n-1, e_n]. */
export function edgesHistogram(values: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const n = edges.length - 1;
  const counts = new Float64Array(Math.max(n, 0));
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (!(x >= edges[0]! && x <= edges[n]!)) continue;
    // The last edge e with e <= x, by binary search (searchsorted side="right" minus one).
    let lo = 0;
    let hi = n + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    counts[Math.min(lo - 1, n - 1)]! += 1;
  }
  return counts;
}

/** np.linspace(start, stop, num): start + i * step, with the last point exactly `stop`. */
function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = start + i * step;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/**
 * torch.utils.tensorboard's default `bins="tensorflow"`: ±1e-12·1.1^k up to 1e20 and 0, built by
 * the same repeated multiplication as `SummaryWriter.__init__` so the edges match bit for bit.
 */
export function tensorflowDefaultBins(): Float64Array {
  const pos: number[] = [];
  for (let v = 1e-12; v < 1e20; v *= 1.1) pos.push(v);
  return Float64Array.from([...pos.map((v) => -v).reverse(), 0, ...pos]);
}

/** The fields of tensorflow.HistogramProto. */
export interface HistogramData {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

/** How `addHistogram` bins: a bin count over [min, max], explicit edges, or TensorFlow's default. */
export type HistogramBins = number | readonly number[] | "tensorflow";

/**
 * torch.utils.tensorboard.summary.make_histogram: numpy's histogram, trimmed to the bins between
 * the first and the last non-empty one, with one empty bin in front so the left edge shows
 * (TensorBoard stores only right limits).
 */
export function makeHistogram(
  values: ArrayLike<number>,
  bins: HistogramBins = "tensorflow",
): HistogramData {
  checkArity("io.makeHistogram", arguments, 2);
  if (values.length === 0) throw new ValueError("addHistogram: the input has no element");
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sumSquares += v * v;
  }
  let counts: Float64Array;
  let limits: ArrayLike<number>;
  if (typeof bins === "number") {
    if (!Number.isInteger(bins) || bins < 1) {
      throw new ValueError(`addHistogram: bins must be a positive integer, got ${bins}`);
    }
    if (!Number.isFinite(min) || !Number.isFinite(max)) {
      throw new ValueError(`addHistogram: autodetected range of [${min}, ${max}] is not finite`);
    }
    const [lo, hi] = min === max ? [min - 0.5, max + 0.5] : [min, max];
    ({ counts, edges: limits } = uniformHistogram(values, bins, lo, hi));
  } else {
    limits = bins === "tensorflow" ? tensorflowDefaultBins() : bins;
    for (let i = 1; i < limits.length; i++) {
      if (!(limits[i]! >= limits[i - 1]!)) {
        throw new ValueError("addHistogram: bins must increase monotonically");
      }
    }
    if (limits.length < 2) throw new ValueError("addHistogram: bins needs at least two edges");
    counts = edgesHistogram(values, limits);
  }
  let start = -1;
  let end = -1;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! > 0) {
      if (start < 0) start = i;
      end = i;
    }
  }
  if (start < 0) throw new ValueError("addHistogram: every value lies outside the bins");
  end += 1;
  const bucket =
    start > 0 ? Array.from(counts.subarray(start - 1, end)) : [0, ...counts.subarray(0, end)];
  const bucketLimit = Array.from(limits).slice(start, end + 1);
  return { min, max, num: values.length, sum, sumSquares, bucketLimit, bucket };
}

// ---- PR curves -------------------------------------------------------------------------------

/** Below this the denominators of precision and recall are clamped (summary.py's _MINIMUM_COUNT). */
const MINIMUM_COUNT = 1e-7;

/**
 * torch.utils.tensorboard.summary.compute_curve (the pr_curve plugin's algorithm): predictions are
 * bucketed by floor(p · (T - 1)), weighted label counts are summed from the top bucket down, and
 * rows TP, FP, TN, FN, precision = TP / max(1e-7, TP + FP), recall = TP / max(1e-7, TP + FN) come
 * back as a [6, T] row-major array (threshold i = i / (T - 1)).
 */
export function computePrCurve(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numThresholds: number,
  weights?: ArrayLike<number>,
): Float64Array {
  checkArity("io.computePrCurve", arguments, 4);
  if (labels.length !== predictions.length) {
    throw new ValueError(
      `addPrCurve: labels has ${labels.length} elements but predictions has ${predictions.length}`,
    );
  }
  const n = labels.length;
  const idx = new Float64Array(n);
  const tpW = new Float64Array(n);
  const fpW = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = weights === undefined ? 1 : weights[i]!;
    idx[i] = Math.floor(predictions[i]! * (numThresholds - 1));
    tpW[i] = labels[i]! * w;
    fpW[i] = (1 - labels[i]!) * w;
  }
  const tpBuckets = uniformHistogram(idx, numThresholds, 0, numThresholds - 1, tpW).counts;
  const fpBuckets = uniformHistogram(idx, numThresholds, 0, numThresholds - 1, fpW).counts;
  const T = numThresholds;
  const out = new Float64Array(6 * T);
  let tpAcc = 0;
  let fpAcc = 0;
  for (let i = T - 1; i >= 0; i--) {
    tpAcc += tpBuckets[i]!;
    fpAcc += fpBuckets[i]!;
    out[i] = tpAcc;
    out[T + i] = fpAcc;
  }
  for (let i = 0; i < T; i++) {
    const tp = out[i]!;
    const fp = out[T + i]!;
    const tn = out[T]! - fp;
    const fn = out[0]! - tp;
    out[2 * T + i] = tn;
    out[3 * T + i] = fn;
    out[4 * T + i] = tp / Math.max(MINIMUM_COUNT, tp + fp);
    out[5 * T + i] = tp / Math.max(MINIMUM_COUNT, tp + fn);
  }
  return out;
}

// ---- images (summary.image, _utils.convert_to_HWC and make_grid) ------------------------------

/** How the axes of an image tensor are laid out, as torch's `dataformats`. */
export type ImageDataFormats = "NCHW" | "NHWC" | "CHW" | "HWC" | "HW";

/** An image ready for Summary.Image: height x width x channels (3 or 4) bytes, row-major. */
export interface HwcImage {
  height: number;
  width: number;
  channels: 3 | 4;
  pixels: Uint8Array;
}

/**
 * torch.utils.tensorboard's image pipeline up to the PNG: `convert_to_HWC` (a batch is tiled by
 * `make_grid` into min(N, 8) columns and ceil(N / columns) rows, no padding, empty cells black;
 * one channel is repeated to RGB), then `_calc_scale_factor`: floating values v become
 * uint8(float32(v) · 255) with the product in float32 and truncated, as
 * `(tensor.astype(np.float32) * 255).astype(np.uint8)`; integer values (Kiln has no uint8, so
 * int tensors stand for it) are taken as 0-255. NOTE: values outside [0, 255] after scaling
 * (undefined in numpy's cast) are clamped, and NaN becomes 0.
 */
export function toHwcImage(
  values: ArrayLike<number>,
  shape: readonly number[],
  dataformats: ImageDataFormats,
  scale: boolean,
): HwcImage {
  checkArity("io.toHwcImage", arguments, 4);
  if (shape.length !== dataformats.length) {
    throw new ValueError(
      `addImage: a ${dataformats} image needs ${dataformats.length} dimensions, got shape [${shape.join(", ")}]`,
    );
  }
  // Strides of the input for each of N, C, H, W (0 for an axis the format lacks).
  const strides = new Map<string, number>();
  const sizes = new Map<string, number>();
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides.set(dataformats[d]!, stride);
    sizes.set(dataformats[d]!, shape[d]!);
    stride *= shape[d]!;
  }
  const n = sizes.get("N") ?? 1;
  const c = sizes.get("C") ?? 1;
  const h = sizes.get("H")!;
  const w = sizes.get("W")!;
  const batched = dataformats.length === 4;
  if (!(c === 1 || c === 3 || (c === 4 && !batched))) {
    throw new ValueError(
      `addImage: images need 1, 3 or 4 channels (1 or 3 for a batch, as torch's make_grid), got ${c}`,
    );
  }
  if (n === 0 || h === 0 || w === 0) {
    throw new ValueError(`addImage: the image is empty (shape [${shape.join(", ")}])`);
  }
  const cols = batched ? Math.min(n, 8) : 1;
  const rows = batched ? Math.ceil(n / cols) : 1;
  const channels = c === 4 ? 4 : 3;
  const height = h * rows;
  const width = w * cols;
  const pixels = new Uint8Array(height * width * channels);
  const [sn, sc, sh, sw] = ["N", "C", "H", "W"].map((k) => strides.get(k) ?? 0) as [
    number,
    number,
    number,
    number,
  ];
  const byte = (v: number): number => {
    const x = scale ? Math.fround(Math.fround(v) * 255) : v;
    return x >= 255 ? 255 : x > 0 ? Math.trunc(x) : 0;
  };
  for (let i = 0; i < n; i++) {
    const top = Math.floor(i / cols) * h;
    const left = (i % cols) * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const out = ((top + y) * width + left + x) * channels;
        for (let k = 0; k < channels; k++) {
          const src = i * sn + (c === 1 ? 0 : k) * sc + y * sh + x * sw;
          pixels[out + k] = byte(values[src]!);
        }
      }
    }
  }
  return { height, width, channels, pixels };
}

// ---- hparams (summary.hparams) ----------------------------------------------------------------

/** A hyperparameter value: a number, a string or a boolean. */
export type HParamValue = number | string | boolean;

/** The tags of the hparams plugin's three summaries (tensorboard/plugins/hparams/metadata.py). */
export const HPARAMS_TAGS = {
  experiment: "_hparams_/experiment",
  sessionStartInfo: "_hparams_/session_start_info",
  sessionEndInfo: "_hparams_/session_end_info",
} as const;

/**
 * The hparams plugin's experiment, session-start and session-end plugin data, as
 * torch.utils.tensorboard.summary.hparams builds them (in that order). NOTE: torch tests
 * `isinstance(v, int)` before `bool`, so booleans are written as numbers 1/0 of type
 * DATA_TYPE_FLOAT64, and so are their discrete domains; Kiln does the same. Session-start map
 * entries are written sorted by name (protobuf's deterministic order).
 */
export function hparamsPluginData(
  hparamDict: Readonly<Record<string, HParamValue>>,
  metricDict: Readonly<Record<string, number>>,
  hparamDomainDiscrete: Readonly<Record<string, readonly HParamValue[]>> = {},
): [experiment: Uint8Array, sessionStart: Uint8Array, sessionEnd: Uint8Array] {
  checkArity("io.hparamsPluginData", arguments, 3);
  for (const [k, domain] of Object.entries(hparamDomainDiscrete)) {
    const v = hparamDict[k];
    if (v === undefined || !Array.isArray(domain) || !domain.every((d) => typeof d === typeof v)) {
      throw new ValueError(
        `addHparams: hparamDomainDiscrete[${JSON.stringify(k)}] should be an array of the same type as hparamDict[${JSON.stringify(k)}]`,
      );
    }
  }
  const struct = (v: HParamValue): StructValueJson =>
    typeof v === "string" ? { stringValue: v } : { numberValue: Number(v) };
  const hparams: Record<string, StructValueJson> = {};
  const infos: NonNullable<HParamsPluginDataJson["experiment"]>["hparamInfos"] = [];
  for (const [k, v] of Object.entries(hparamDict)) {
    if (typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") {
      throw new ValueError(
        `addHparams: hparamDict[${JSON.stringify(k)}] should be a number, string or boolean, got ${v === null ? "null" : typeof v}`,
      );
    }
    hparams[k] = struct(v);
    const domain = hparamDomainDiscrete[k];
    infos.push({
      name: k,
      type: typeof v === "string" ? HPARAM_TYPE.DATA_TYPE_STRING : HPARAM_TYPE.DATA_TYPE_FLOAT64,
      ...(domain === undefined ? {} : { domainDiscrete: { values: domain.map(struct) } }),
    });
  }
  const sorted: Record<string, StructValueJson> = {};
  for (const k of Object.keys(hparams).sort()) sorted[k] = hparams[k]!;
  return [
    encodeHParamsPluginDataMessage({
      experiment: {
        hparamInfos: infos,
        metricInfos: Object.keys(metricDict).map((tag) => ({ name: { tag } })),
      },
    }),
    encodeHParamsPluginDataMessage({ sessionStartInfo: { hparams: sorted } }),
    encodeHParamsPluginDataMessage({
      sessionEndInfo: { status: HPARAM_STATUS.STATUS_SUCCESS },
    }),
  ];
}

// ---- Summary and Event messages ---------------------------------------------------------------

/** What one Summary.Value carries besides its tag. */
export type SummaryValue =
  | { kind: "scalar"; value: number }
  | { kind: "histogram"; histo: HistogramData }
  | { kind: "image"; image: HwcImage }
  | { kind: "plugin"; pluginName: string; pluginContent: Uint8Array }
  | {
      kind: "tensor";
      pluginName: string;
      pluginContent: Uint8Array;
      dtype: "float" | "string";
      shape: number[];
      floats?: ArrayLike<number>;
      strings?: Uint8Array[];
    };

/** proto3 leaves zero scalars out: the fields of `o` that are not 0. */
function nonZero<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0)) as Partial<T>;
}

function metadata(pluginName: string, content: Uint8Array): SummaryValueJson["metadata"] {
  return { pluginData: { pluginName, ...(content.length > 0 ? { content } : {}) } };
}

/** The Summary.Value of `value` under `tag`, as summary.py's scalar/histogram/image/text/pr_curve/hparams. */
export function summaryValue(tag: string, value: SummaryValue): SummaryValueJson {
  checkArity("io.summaryValue", arguments, 2);
  const v: SummaryValueJson = { tag };
  if (value.kind === "scalar") {
    v.simpleValue = value.value; // a oneof member: written even when 0
  } else if (value.kind === "histogram") {
    const { bucketLimit, bucket, ...scalars } = value.histo;
    v.histo = { ...nonZero(scalars), bucketLimit, bucket };
  } else if (value.kind === "image") {
    const { height, width, channels } = value.image;
    v.image = {
      height,
      width,
      colorspace: channels,
      encodedImageString: encodePng(value.image.pixels, width, height, channels),
    };
  } else if (value.kind === "plugin") {
    v.metadata = metadata(value.pluginName, value.pluginContent);
  } else {
    v.tensor = {
      dtype: value.dtype === "float" ? TB_DTYPE.DT_FLOAT : TB_DTYPE.DT_STRING,
      tensorShape: { dim: value.shape.map((size) => ({ size })) },
      ...(value.floats === undefined ? {} : { floatVal: Array.from(value.floats) }),
      ...(value.strings === undefined ? {} : { stringVal: value.strings }),
    };
    v.metadata = metadata(value.pluginName, value.pluginContent);
  }
  return v;
}

/** The bytes of a tensorflow.Summary holding one Value (`summaryValue(tag, value)`). */
export function encodeSummary(tag: string, value: SummaryValue): Uint8Array {
  checkArity("io.encodeSummary", arguments, 2);
  return encodeSummaryMessage([summaryValue(tag, value)]);
}

/**
 * The bytes of a tensorflow.Event { wall_time, step, file_version | summary }; step 0 is left
 * out, as proto3 and torch's writer do.
 */
export function encodeEvent(
  wallTime: number,
  step: number,
  what: { fileVersion: string } | { summary: SummaryValueJson[] },
): Uint8Array {
  checkArity("io.encodeEvent", arguments, 3);
  const event: EventJson = { wallTime, ...nonZero({ step }) };
  if ("fileVersion" in what) event.fileVersion = what.fileVersion;
  else event.summary = { value: what.summary };
  return encodeEventMessage(event);
}

/** PrCurvePluginData { version 0, num_thresholds }, as summary.pr_curve. */
export function encodePrCurvePluginData(numThresholds: number): Uint8Array {
  checkArity("io.encodePrCurvePluginData", arguments, 1);
  return encodePrCurvePluginDataMessage({ numThresholds });
}

/** TextPluginData { version 0 }, as summary.text (encodes to no bytes). */
export function encodeTextPluginData(): Uint8Array {
  checkArity("io.encodeTextPluginData", arguments, 0);
  return encodeTextPluginDataMessage({});
}

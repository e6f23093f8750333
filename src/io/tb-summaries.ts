// TensorBoard summaries as torch.utils.tensorboard builds them (torch/utils/tensorboard/summary.py,
// PyTorch 1.13): scalars, histograms, PR curves and text, computed in plain TypeScript and encoded
// as tensorflow.Event protobufs. Field numbers, from tensorflow/core/util/event.proto,
// tensorflow/core/framework/{summary,tensor,tensor_shape,types}.proto and
// tensorboard/plugins/pr_curve/plugin_data.proto, are listed beside each encoder.
// Depends on core/errors and io/protobuf only.

import { checkArity } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { ProtoWriter } from "./protobuf.ts";

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

// ---- protobuf encoders ------------------------------------------------------------------------

/** tensorflow.DataType values (types.proto). */
const DT_FLOAT = 1;
const DT_STRING = 7;

/** What one Summary.Value carries besides its tag. */
export type SummaryValue =
  | { kind: "scalar"; value: number }
  | { kind: "histogram"; histo: HistogramData }
  | {
      kind: "tensor";
      pluginName: string;
      pluginContent: Uint8Array;
      dtype: "float" | "string";
      shape: number[];
      floats?: ArrayLike<number>;
      strings?: Uint8Array[];
    };

function encodeHistogram(w: ProtoWriter, h: HistogramData): void {
  // HistogramProto: min 1, max 2, num 3, sum 4, sum_squares 5 (doubles), bucket_limit 6, bucket 7
  // (packed doubles). proto3 leaves zero scalars out.
  if (h.min !== 0) w.double(1, h.min);
  if (h.max !== 0) w.double(2, h.max);
  if (h.num !== 0) w.double(3, h.num);
  if (h.sum !== 0) w.double(4, h.sum);
  if (h.sumSquares !== 0) w.double(5, h.sumSquares);
  w.packedDoubles(6, h.bucketLimit);
  w.packedDoubles(7, h.bucket);
}

/** Summary { repeated Value value = 1 } with one Value { tag 1, metadata 9, simple_value 2 | histo 5 | tensor 8 }. */
export function encodeSummary(tag: string, value: SummaryValue): Uint8Array {
  return new ProtoWriter()
    .message(1, (v) => {
      v.string(1, tag);
      if (value.kind === "scalar") {
        v.float(2, value.value); // oneof member: written even when 0
      } else if (value.kind === "histogram") {
        v.message(5, (h) => encodeHistogram(h, value.histo));
      } else {
        v.message(8, (t) => {
          // TensorProto: dtype 1, tensor_shape 2 (TensorShapeProto: dim 2 → Dim: size 1),
          // float_val 5 (packed), string_val 8.
          t.uint(1, value.dtype === "float" ? DT_FLOAT : DT_STRING);
          t.message(2, (s) => {
            for (const size of value.shape) s.message(2, (d) => d.uint(1, size));
          });
          if (value.floats !== undefined) t.packedFloats(5, value.floats);
          for (const s of value.strings ?? []) t.bytes(8, s);
        });
        v.message(9, (m) => {
          // SummaryMetadata: plugin_data 1 → PluginData: plugin_name 1, content 2.
          m.message(1, (p) => {
            p.string(1, value.pluginName);
            if (value.pluginContent.length > 0) p.bytes(2, value.pluginContent);
          });
        });
      }
    })
    .finish();
}

/** Event { wall_time 1 (double), step 2 (int64), file_version 3 | summary 5 }. */
export function encodeEvent(
  wallTime: number,
  step: number,
  what: { fileVersion: string } | { summary: Uint8Array },
): Uint8Array {
  const w = new ProtoWriter().double(1, wallTime);
  if (step !== 0) w.uint(2, step);
  if ("fileVersion" in what) w.string(3, what.fileVersion);
  else w.bytes(5, what.summary);
  return w.finish();
}

/** PrCurvePluginData { version 1 (int32), num_thresholds 2 (uint32) }, version 0 left out. */
export function encodePrCurvePluginData(numThresholds: number): Uint8Array {
  return new ProtoWriter().uint(2, numThresholds).finish();
}

// Cumulative ops and NaN-aware reductions: cumprod, cummax, cummin, logcumsumexp, diff,
// nansum, nanmean, quantile, nanquantile, histc and bincount, as torch's functions of those
// names (norms live in norms.ts). Composed of existing ops, with loops over contiguous copies
// where an order or a count is needed. Must not depend on nn or anything above ops.

import {
  arrayOf,
  bool,
  either,
  instanceOf,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { type DType, isFloating, sumDType } from "../core/dtype.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDim } from "../core/shape.ts";
import { named, record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { asIndexInt32, full } from "./dispatch.ts";
import * as el from "./elementwise.ts";
import { gather } from "./indexing.ts";
import {
  cat,
  flip,
  narrow,
  permute,
  reshape,
  select,
  squeeze,
  stack,
  unsqueeze,
} from "./movement.ts";
import { sum } from "./reduce.ts";
import { int32Tensor, rowsOf } from "./rows.ts";
import { sortIndices } from "./sorting.ts";
import { type ValuesIndices, valuesIndices } from "./tuple.ts";

/** Interpolation of quantile between the two nearest sorted values. */
export type QuantileInterpolation = "linear" | "lower" | "higher" | "midpoint" | "nearest";
/** Options of quantile and nanquantile. */
export interface QuantileOptions {
  dim?: number | null;
  keepDim?: boolean;
  /** How to pick between the two nearest values (default "linear"). */
  interpolation?: QuantileInterpolation;
}
/** Options of diff. */
export interface DiffOptions {
  n?: number;
  dim?: number;
  prepend?: Tensor | null;
  append?: Tensor | null;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const nanRed = (op: string) =>
    signature(op, {
      input: tensor,
      dim: opt(nullable(either(int, arrayOf(int))), null),
      keepDim: opt(bool, false),
    });
  const quant = (op: string) =>
    signature(
      op,
      {
        input: tensor,
        q: either(num, tensor),
        dim: opt(nullable(int), null),
        keepDim: opt(bool, false),
      },
      { interpolation: opt(oneOf("linear", "lower", "higher", "midpoint", "nearest"), "linear") },
    );
  return {
    cumprod: signature("cumprod", { input: tensor, dim: int }),
    cummax: signature("cummax", { input: tensor, dim: int }),
    cummin: signature("cummin", { input: tensor, dim: int }),
    logcumsumexp: signature("logcumsumexp", { input: tensor, dim: int }),
    diff: signature("diff", {
      input: tensor,
      n: opt(int, 1),
      dim: opt(int, -1),
      prepend: opt(nullable(tensor), null),
      append: opt(nullable(tensor), null),
    }),
    nansum: nanRed("nansum"),
    nanmean: nanRed("nanmean"),
    quantile: quant("quantile"),
    nanquantile: quant("nanquantile"),
    histc: signature("histc", {
      input: tensor,
      bins: opt(int, 100),
      min: opt(num, 0),
      max: opt(num, 0),
    }),
    bincount: signature("bincount", {
      input: tensor,
      weights: opt(nullable(tensor), null),
      minlength: opt(int, 0),
    }),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/**
 * The running product along `dim`, as torch.cumprod (ints to int32, PyTorch's int64). Computed
 * step by step, so its gradient is exact where inputs are zero too.
 */
export function cumprod<D extends DType>(input: Tensor<D>, dim: number): Tensor<D>;
export function cumprod(input: Tensor, _dim: number): Tensor {
  const p = parseArgs(sigs().cumprod, arguments);
  const x = el.cast(input, sumDType(input.dtype));
  if (x.ndim === 0) return el.clone(x);
  const d = normalizeDim("cumprod", p.dim, x.ndim);
  const n = x.shape[d]!;
  if (n === 0) return el.clone(x);
  const parts: Tensor[] = [select(x, d, 0)];
  for (let i = 1; i < n; i++) parts.push(el.mul(parts[i - 1]!, select(x, d, i)));
  return named(stack(parts, d), "CumprodBackward0", [input]);
}

function cumExtreme(op: "cummax" | "cummin", input: Tensor, dim: number): ValuesIndices {
  if (input.dtype === "float16" || input.dtype === "bfloat16") {
    throw new DTypeError(
      `${op}: ${input.dtype} is a storage dtype here; convert with .float() first`,
    );
  }
  const r = rowsOf(op, input, dim);
  const out = new Int32Array(r.rows * r.len);
  const data = r.data;
  for (let row = 0; row < r.rows; row++) {
    const b = row * r.len;
    let best = 0;
    for (let i = 0; i < r.len; i++) {
      const v = data[b + i]!;
      const cur = data[b + best]!;
      // PyTorch moves to a later equal value, and to NaN, which then stays.
      if (Number.isNaN(v) || (!Number.isNaN(cur) && (op === "cummax" ? v >= cur : v <= cur)))
        best = i;
      out[b + i] = best;
    }
  }
  let idx: Tensor = int32Tensor(out, r.lastShape);
  idx = input.ndim === 0 ? reshape(idx, []) : r.back(idx).contiguous();
  const values = input.ndim === 0 ? el.clone(input) : gather(input, r.dim, idx);
  return valuesIndices(
    named(values, op === "cummax" ? "CummaxBackward0" : "CumminBackward0", [input]),
    idx,
  );
}

/** The running maximum along `dim` and the index where it was last reached, as torch.cummax. */
export function cummax<D extends DType>(input: Tensor<D>, dim: number): ValuesIndices<D>;
export function cummax(input: Tensor, _dim: number): ValuesIndices {
  const p = parseArgs(sigs().cummax, arguments);
  return cumExtreme("cummax", input, p.dim);
}

/** The running minimum along `dim` and the index where it was last reached, as torch.cummin. */
export function cummin<D extends DType>(input: Tensor<D>, dim: number): ValuesIndices<D>;
export function cummin(input: Tensor, _dim: number): ValuesIndices {
  const p = parseArgs(sigs().cummin, arguments);
  return cumExtreme("cummin", input, p.dim);
}

/**
 * `log Σ_{j<=i} exp(x_j)` along `dim`, as torch.logcumsumexp: a running log-add-exp per row.
 * Gradient (as PyTorch's, in log space for stability): Σ_{i>=j} g_i exp(x_j − out_i), with g
 * split into its positive and negative parts.
 */
export function logcumsumexp<D extends DType>(input: Tensor<D>, dim: number): Tensor<D>;
export function logcumsumexp(input: Tensor, _dim: number): Tensor {
  const p = parseArgs(sigs().logcumsumexp, arguments);
  if (!isFloating(input.dtype)) {
    throw new DTypeError(`logcumsumexp: expected a floating point input, got ${input.dtype}`);
  }
  if (input.dtype === "float16" || input.dtype === "bfloat16") {
    throw new DTypeError(
      `logcumsumexp: ${input.dtype} is a storage dtype here; convert with .float() first`,
    );
  }
  const r = rowsOf("logcumsumexp", input, p.dim);
  const res = new Float64Array(r.rows * r.len);
  for (let row = 0; row < r.rows; row++) {
    let acc = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < r.len; i++) {
      const v = r.data[row * r.len + i] as number;
      const hi = Math.max(acc, v);
      // log(e^a + e^b) = max + log1p(e^(min − max)); both -inf stays -inf, NaN propagates.
      acc =
        hi === Number.NEGATIVE_INFINITY || Number.isNaN(hi)
          ? Number.isNaN(v) || Number.isNaN(acc)
            ? Number.NaN
            : hi
          : hi + Math.log1p(Math.exp(Math.min(acc, v) - hi));
      res[row * r.len + i] = acc;
    }
  }
  const last = el.cast(Tensor.fromData(res, r.lastShape, "float64"), input.dtype);
  const out = input.ndim === 0 ? reshape(last, []) : r.back(last).contiguous();
  const d = r.dim;
  return record(
    out,
    "LogcumsumexpBackward0",
    [input],
    (g) => {
      if (input.ndim === 0) return [g];
      const rev = (t: Tensor) => flip(logcumsumexp(flip(t, [d]), d), [d]);
      // As PyTorch's logcumsumexp_backward: log|g| where g has the sign, the lowest float
      // elsewhere (a where, not a relu, so that the gradient of this gradient has no 0·∞).
      const logAbs = el.log(el.abs(g));
      const lowest = input.dtype === "float64" ? -Number.MAX_VALUE : -3.4028234663852886e38;
      const part = (sign: Tensor) =>
        el.exp(el.add(rev(el.sub(el.where(sign, logAbs, lowest), out)), input));
      return [el.sub(part(el.gt(g, 0)), part(el.lt(g, 0)))];
    },
    [out],
  );
}

/**
 * The `n`-th forward difference along `dim` (default -1), after concatenating `prepend` and
 * `append`, as torch.diff; bool inputs use xor, as PyTorch.
 */
export function diff<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<
    [n: number, dim: number, prepend: Tensor | null, append: Tensor | null],
    DiffOptions
  >
): Tensor<D>;
export function diff(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().diff, arguments);
  if (input.ndim === 0)
    throw new ShapeError("diff: diff expects input to be at least one-dimensional");
  if (p.n < 0) throw new ValueError(`diff: order must be non-negative but got ${p.n}`);
  const d = normalizeDim("diff", p.dim, input.ndim);
  const parts = [p.prepend, input, p.append].filter((t): t is Tensor => t !== null);
  let x = parts.length === 1 ? input : cat(parts, d);
  for (let k = 0; k < p.n && x.shape[d]! > 0; k++) {
    const len = x.shape[d]! - 1;
    const hi = narrow(x, d, 1, len);
    const lo = narrow(x, d, 0, len);
    x = x.dtype === "bool" ? el.logicalXor(hi, lo) : el.sub(hi, lo);
  }
  return x;
}

/** Sum treating NaN as zero, as torch.nansum (ints sum to int32). */
export function nansum<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<
    [dim: number | readonly number[] | null, keepDim: boolean],
    { dim?: number | readonly number[] | null; keepDim?: boolean }
  >
): Tensor;
export function nansum(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().nansum, arguments);
  const x = isFloating(input.dtype)
    ? el.where(el.isnan(input), full([], 0, input.dtype), input)
    : input;
  return named(sum(x, p.dim as number | number[] | null, p.keepDim), "NansumBackward0", [input]);
}

/** Mean over the non-NaN entries, as torch.nanmean (floating inputs only). */
export function nanmean<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<
    [dim: number | readonly number[] | null, keepDim: boolean],
    { dim?: number | readonly number[] | null; keepDim?: boolean }
  >
): Tensor<D>;
export function nanmean(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().nanmean, arguments);
  if (!isFloating(input.dtype)) {
    throw new DTypeError(
      `nanmean: expected input to have floating point dtype but got ${input.dtype}`,
    );
  }
  const nan = el.isnan(input);
  const dims = p.dim as number | number[] | null;
  const total = sum(el.where(nan, full([], 0, input.dtype), input), dims, p.keepDim);
  const count = sum(el.logicalNot(nan), dims, p.keepDim);
  return el.div(total, el.cast(count, input.dtype));
}

function quantileImpl(op: "quantile" | "nanquantile", args: IArguments): Tensor {
  const p = parseArgs(sigs()[op], args);
  const input = p.input;
  if (input.dtype !== "float32" && input.dtype !== "float64") {
    throw new DTypeError(
      `${op}: quantile() input tensor must be either float or double dtype (got ${input.dtype})`,
    );
  }
  const qs: number[] = typeof p.q === "number" ? [p.q] : Array.from(p.q.dataSync(), Number);
  if (typeof p.q !== "number") {
    if (p.q.ndim > 1) throw new ShapeError(`${op}: quantile() q must be a scalar or 1D tensor`);
    if (p.q.dtype !== input.dtype) {
      throw new DTypeError(`${op}: quantile() q tensor must be same dtype as the input tensor`);
    }
  }
  for (const q of qs) {
    if (!(q >= 0 && q <= 1))
      throw new ValueError(`${op}: quantile() q values must be in the range [0, 1]`);
  }
  const x = p.dim === null ? reshape(input, [-1]) : input;
  if (x.numel() === 0) throw new IndexError(`${op}: quantile() input tensor must be non-empty`);
  const d = x.ndim === 0 ? 0 : normalizeDim(op, p.dim ?? 0, x.ndim);
  const x1 = x.ndim === 0 ? reshape(x, [1]) : x;
  const sorted = gather(x1, d, sortIndices(op, x1, d, false));
  const last = permute(sorted, [...x1.shape.map((_, i) => i).filter((i) => i !== d), d]);
  const r = rowsOf(op, x1, d);
  const nq = qs.length;
  const lo = new Int32Array(r.rows * nq);
  const hi = new Int32Array(r.rows * nq);
  const w = new Float64Array(r.rows * nq);
  for (let row = 0; row < r.rows; row++) {
    let valid = 0;
    let hasNan = false;
    for (let i = 0; i < r.len; i++) {
      if (Number.isNaN(r.data[row * r.len + i]!)) hasNan = true;
      else valid++;
    }
    qs.forEach((q, k) => {
      const at = row * nq + k;
      if ((hasNan && op === "quantile") || valid === 0) {
        lo[at] = r.len - 1;
        hi[at] = r.len - 1;
        return;
      }
      let rank = q * (valid - 1);
      const interp = p.interpolation;
      if (interp === "lower") rank = Math.floor(rank);
      else if (interp === "higher") rank = Math.ceil(rank);
      else if (interp === "nearest") rank = roundHalfEven(rank);
      const below = Math.floor(rank);
      lo[at] = below;
      hi[at] = Math.ceil(rank);
      w[at] = interp === "midpoint" ? (rank === below ? 0 : 0.5) : rank - below;
    });
  }
  const keptShape = r.lastShape.slice(0, -1);
  const loT = gather(last, -1, int32Tensor(lo, [...keptShape, nq]));
  const hiT = gather(last, -1, int32Tensor(hi, [...keptShape, nq]));
  let wT = el.cast(Tensor.fromData(w, [...keptShape, nq], "float64"), input.dtype);
  if (typeof p.q !== "number" && p.interpolation === "linear") {
    // d out / d q = (hi − lo)·(valid − 1): the weight is q·(valid − 1) − below, kept in the graph.
    const below = Float64Array.from(lo);
    const span = new Float64Array(r.rows);
    for (let row = 0; row < r.rows; row++) {
      let valid = 0;
      for (let i = 0; i < r.len; i++) if (!Number.isNaN(r.data[row * r.len + i]!)) valid++;
      span[row] = Math.max(valid - 1, 0);
    }
    const spanT = el.cast(Tensor.fromData(span, [...keptShape, 1], "float64"), input.dtype);
    const belowT = el.cast(Tensor.fromData(below, [...keptShape, nq], "float64"), input.dtype);
    wT = el.sub(el.mul(p.q, spanT), belowT);
  }
  // lerp(lo, hi, w) = lo + w·(hi − lo); where lo = hi the difference is 0 (NaN stays NaN).
  let out = el.add(loT, el.mul(wT, el.sub(hiT, loT)));
  // [..kept, nq] → [nq, ..kept], then restore a kept dim of size 1 for keepDim.
  out = permute(out, [out.ndim - 1, ...keptShape.map((_, i) => i)]);
  if (p.keepDim) {
    if (p.dim === null) out = reshape(out, [nq, ...input.shape.map(() => 1)]);
    else out = unsqueeze(out, d + 1);
  }
  if (typeof p.q === "number" || p.q.ndim === 0) out = squeeze(out, 0);
  return out.contiguous();
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diffv = v - f;
  if (diffv > 0.5) return f + 1;
  if (diffv < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The `q`-th quantiles (a number or a 1-D tensor of them in [0, 1]) along `dim` (default: all
 * elements), interpolating as `interpolation` says, as torch.quantile; NaN if a value is NaN.
 * A tensor q adds a leading dim of its length.
 */
export function quantile<D extends DType>(
  input: Tensor<D>,
  q: number | Tensor,
  ...args: WithOptions<[dim: number | null, keepDim: boolean], QuantileOptions>
): Tensor<D>;
export function quantile(_input: Tensor, _q: unknown, ..._args: unknown[]): Tensor {
  return quantileImpl("quantile", arguments);
}

/** `quantile` ignoring NaN (NaN only where every value is), as torch.nanquantile. */
export function nanquantile<D extends DType>(
  input: Tensor<D>,
  q: number | Tensor,
  ...args: WithOptions<[dim: number | null, keepDim: boolean], QuantileOptions>
): Tensor<D>;
export function nanquantile(_input: Tensor, _q: unknown, ..._args: unknown[]): Tensor {
  return quantileImpl("nanquantile", arguments);
}

/**
 * A histogram of `bins` equal-width bins over [min, max] (both 0: the data's range), counting
 * only values inside it, as torch.histc; the counts have the input's dtype.
 */
export function histc<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<
    [bins: number, min: number, max: number],
    { bins?: number; min?: number; max?: number }
  >
): Tensor<D>;
export function histc(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().histc, arguments);
  if (!isFloating(input.dtype)) {
    throw new DTypeError(`histc: "histogram_cpu" not implemented for '${input.dtype}'`);
  }
  if (p.bins <= 0) throw new ValueError(`histc: bins must be > 0 (got ${p.bins})`);
  const data = input.detach().dataSync();
  let lo = p.min;
  let hi = p.max;
  if (lo === hi && data.length > 0) {
    lo = Number.POSITIVE_INFINITY;
    hi = Number.NEGATIVE_INFINITY;
    for (const v of data) {
      lo = Math.min(lo, v as number);
      hi = Math.max(hi, v as number);
    }
  }
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  if (lo > hi)
    throw new ValueError(`histc: max must be larger than min (got min ${p.min}, max ${p.max})`);
  const counts = new Float64Array(p.bins);
  for (const raw of data) {
    const v = raw as number;
    if (!(v >= lo && v <= hi)) continue;
    let b = Math.floor(((v - lo) * p.bins) / (hi - lo));
    if (b === p.bins) b -= 1;
    counts[b]! += 1;
  }
  return el.cast(Tensor.fromData(counts, [p.bins], "float64"), input.dtype);
}

/**
 * How often each value 0..max occurs in a 1-D non-negative int tensor (at least `minlength`
 * bins), as torch.bincount: int32 counts, or sums of `weights` (float32 weights stay float32,
 * others give float64, as PyTorch).
 */
export function bincount(
  input: Tensor,
  ...args: WithOptions<
    [weights: Tensor | null, minlength: number],
    { weights?: Tensor | null; minlength?: number }
  >
): Tensor;
export function bincount(inputIn: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().bincount, arguments);
  // int64 counts (PyTorch's Long) read exactly as int32
  const input = inputIn.dtype === "int64" ? asIndexInt32("bincount", inputIn, "input") : inputIn;
  if (input.dtype !== "int32" && input.dtype !== "bool") {
    throw new DTypeError(
      `bincount: bincount only supports 1-d non-negative integral inputs (got ${input.dtype})`,
    );
  }
  if (input.ndim !== 1)
    throw new ShapeError(
      `bincount: bincount only supports 1-d non-negative integral inputs (got ${input.ndim}-D)`,
    );
  if (p.minlength < 0) throw new ValueError("bincount: minlength should be >= 0");
  const x = input.dataSync();
  const wts = p.weights === null ? null : p.weights.detach().dataSync();
  if (p.weights !== null && (p.weights.ndim !== 1 || p.weights.shape[0] !== x.length)) {
    throw new ShapeError("bincount: weights should be 1-d and have the same length as input");
  }
  let max = -1;
  for (const v of x) {
    if ((v as number) < 0)
      throw new ValueError("bincount: bincount only supports 1-d non-negative integral inputs.");
    max = Math.max(max, v as number);
  }
  const n = Math.max(max + 1, p.minlength);
  const out = new Float64Array(n);
  x.forEach((v, i) => {
    out[v as number]! += wts === null ? 1 : (wts[i] as number);
  });
  if (p.weights === null) return el.cast(Tensor.fromData(out, [n], "float64"), "int32");
  return el.cast(
    Tensor.fromData(out, [n], "float64"),
    p.weights.dtype === "float32" ? "float32" : "float64",
  );
}

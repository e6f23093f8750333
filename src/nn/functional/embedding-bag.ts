// The lookup machinery of embedding and embeddingBag: index checks, PyTorch's in-place max-norm
// renormalisation, a row gather whose backward honours paddingIdx and scaleGradByFreq, and
// embeddingBag (sum, mean, max over bags). Composes Tensor ops; depends on src/ops and below,
// never on the nn layers.

import {
  bool,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { fromTypedArray } from "../../ops/creation.ts";
import { asIndexInt32, backend, full } from "../../ops/dispatch.ts";
import { putFlat, takeFlat } from "../../ops/indexing.ts";
import { cat } from "../../ops/movement.ts";
import { named, record } from "../../tensor/autograd.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { optTensor, tensorArg } from "./args.ts";

/** The int32 indices of `input`, each checked to lie in [0, num). */
export function checkedIndices(op: string, inputIn: Tensor, weight: Tensor): Int32Array {
  // int64 indices (PyTorch's Long) are read exactly as int32.
  const input = inputIn.dtype === "int64" ? asIndexInt32(op, inputIn) : inputIn;
  if (input.dtype !== "int32") {
    throw new DTypeError(
      `${op}: Expected tensor for argument #1 'indices' to have scalar type int32 (PyTorch: Long), but got ${input.dtype}`,
    );
  }
  if (weight.ndim !== 2)
    throw new ShapeError(`${op}: 'weight' must be 2-D, got ${formatShape(weight.shape)}`);
  const num = weight.shape[0]!;
  const idx = input.contiguous().dataSync() as Int32Array;
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= num)
      throw new IndexError(`${op}: index ${v} is out of range for an embedding of ${num} rows`);
  }
  return idx;
}

/**
 * paddingIdx counted from the end when negative, checked to lie in [−num, num), as PyTorch's
 * F.embedding; −1 (PyTorch's "none") when null.
 */
export function wrapPaddingIdx(op: string, paddingIdx: number | null, num: number): number {
  if (paddingIdx === null) return -1;
  if (paddingIdx >= num || paddingIdx < -num) {
    throw new ValueError(
      `${op}: Padding_idx must be within num_embeddings (got ${paddingIdx} for ${num} rows)`,
    );
  }
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}

function pNorm(row: ArrayLike<number>, start: number, n: number, p: number): number {
  let s = 0;
  if (p === Number.POSITIVE_INFINITY) {
    for (let j = 0; j < n; j++) s = Math.max(s, Math.abs(row[start + j]!));
    return s;
  }
  if (p === 0) {
    for (let j = 0; j < n; j++) s += row[start + j] !== 0 ? 1 : 0;
    return s;
  }
  for (let j = 0; j < n; j++) s += Math.abs(row[start + j]!) ** p;
  return s ** (1 / p);
}

/**
 * Rescales in place, without recording gradients, each row of `weight` that `idx` names whose
 * `normType`-norm exceeds `maxNorm` to norm maxNorm, as torch.embedding_renorm_:
 * row *= maxNorm / (norm + 1e-7) (the 1e-7 is ATen's, aten/src/ATen/native/Embedding.cpp).
 */
export function embeddingRenorm_(
  weight: Tensor,
  idx: Int32Array,
  maxNorm: number,
  normType: number,
): void {
  const dim = weight.shape[1]!;
  const rows = [...new Set(idx)].sort((a, b) => a - b);
  if (rows.length === 0 || dim === 0) return;
  const flat = new Int32Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++)
    for (let j = 0; j < dim; j++) flat[r * dim + j] = rows[r]! * dim + j;
  noGrad(() => {
    const w = weight.contiguous();
    const data = takeFlat(w, flat, [rows.length, dim]).dataSync();
    const f32 = weight.dtype === "float32";
    const over: number[] = [];
    const scales: number[] = [];
    for (let r = 0; r < rows.length; r++) {
      // NOTE: ATen computes the norm in the weight's dtype and casts the scale to it (float32).
      let norm = pNorm(data as ArrayLike<number>, r * dim, dim, normType);
      if (f32) norm = Math.fround(norm);
      if (norm > maxNorm) {
        over.push(rows[r]!);
        scales.push(maxNorm / (norm + 1e-7));
      }
    }
    if (over.length === 0) return;
    const rowIdx = fromTypedArray(Int32Array.from(over), [over.length]);
    const scale = fromTypedArray(f32 ? Float32Array.from(scales) : Float64Array.from(scales), [
      over.length,
      1,
    ]);
    const picked = weight.index(rowIdx);
    weight.indexPut_([rowIdx], picked.mul(scale));
  });
}

/**
 * `weight[rows]` reshaped to `shape` (the last dim is weight's), recorded as one node whose
 * backward scatters `grad · scale[i]` into row rows[i] (scale null: 1), as ATen's
 * embedding_dense_backward with a zero scale for padding positions.
 */
export function lookupRows(
  weight: Tensor,
  rows: Int32Array,
  scale: Float64Array | null,
  shape: readonly number[],
): Tensor {
  const dim = weight.shape[1]!;
  const flat = new Int32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < dim; j++) flat[i * dim + j] = rows[i]! * dim + j;
  const out = noGrad(() => takeFlat(weight.contiguous(), flat, shape));
  return record(out, "EmbeddingBackward0", [weight], (g) => {
    let gr = g.contiguous().reshape([rows.length, dim]);
    if (scale !== null) {
      const s = g.dtype === "float64" ? Float64Array.from(scale) : Float32Array.from(scale);
      gr = gr.mul(fromTypedArray(s, [rows.length, 1]));
    }
    return [scatterRows(weight.shape, flat, gr)];
  });
}

/** zeros(shape) with values.flat[i] added at flat[i]; its gradient gathers back. */
function scatterRows(shape: readonly number[], flat: Int32Array, values: Tensor): Tensor {
  const z = full(shape, 0, values.dtype);
  backend().put(z.view_(), flat, values.contiguous().view_(), true);
  return record(z, "EmbeddingDenseBackward0", [values], (gg) => [takeFlat(gg, flat, values.shape)]);
}

/**
 * Per-position gradient scales: 0 at paddingIdx and 1/count(index) with scaleGradByFreq (counts
 * over `countOver`), or null when every scale is 1.
 */
export function gradScales(
  rows: Int32Array,
  pad: number,
  scaleGradByFreq: boolean,
  countOver: Int32Array,
): Float64Array | null {
  if (!scaleGradByFreq && (pad < 0 || !rows.includes(pad))) return null;
  const counts = new Map<number, number>();
  if (scaleGradByFreq) for (const v of countOver) counts.set(v, (counts.get(v) ?? 0) + 1);
  const s = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    s[i] = r === pad ? 0 : scaleGradByFreq ? 1 / counts.get(r)! : 1;
  }
  return s;
}

/** The parsed options shared by `embedding` and its layer. */
export interface EmbeddingConfig {
  paddingIdx: number | null;
  maxNorm: number | null;
  normType: number;
  scaleGradByFreq: boolean;
  sparse: boolean;
}

/**
 * The body of F.embedding after argument parsing: renormalise (maxNorm), then gather with
 * PyTorch's backward rules.
 */
export function embeddingLookup(input: Tensor, weight: Tensor, a: EmbeddingConfig): Tensor {
  const idx = checkedIndices("embedding", input, weight);
  const pad = wrapPaddingIdx("embedding", a.paddingIdx, weight.shape[0]!);
  if (a.maxNorm !== null) embeddingRenorm_(weight, idx, a.maxNorm, a.normType);
  const scale = gradScales(idx, pad, a.scaleGradByFreq, idx);
  return lookupRows(weight, idx, scale, [...input.shape, weight.shape[1]!]);
}

// ---- embeddingBag ---------------------------------------------------------------------------

/** A bag reduction: PyTorch's `mode` of embedding_bag. */
export type BagMode = "sum" | "mean" | "max";

const EMBEDDING_BAG = signature("embeddingBag", {
  input: tensorArg,
  weight: tensorArg,
  offsets: optTensor,
  maxNorm: opt(nullable(num), null),
  normType: opt(num, 2),
  scaleGradByFreq: opt(bool, false),
  mode: opt(oneOf("sum", "mean", "max"), "mean"),
  sparse: opt(bool, false),
  perSampleWeights: optTensor,
  includeLastOffset: opt(bool, false),
  paddingIdx: opt(nullable(int), null),
});

/** Options of `embeddingBag` after the weight; defaults as torch.nn.functional.embedding_bag. */
export interface EmbeddingBagFnOptions {
  offsets?: Tensor | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: BagMode;
  /** Accepted; Kiln's gradients are always dense (the values are those of PyTorch's sparse grad). */
  sparse?: boolean;
  perSampleWeights?: Tensor | null;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
}

/** The positional parameters of `embeddingBag` after the weight, in PyTorch's order. */
export type EmbeddingBagRest = WithOptions<
  [
    offsets: Tensor | null,
    maxNorm: number | null,
    normType: number,
    scaleGradByFreq: boolean,
    mode: BagMode,
    sparse: boolean,
    perSampleWeights: Tensor | null,
    includeLastOffset: boolean,
    paddingIdx: number | null,
  ],
  EmbeddingBagFnOptions
>;

/** [start, end) of each bag, checked as ATen checks offsets. */
function bagBounds(offs: Int32Array, n: number, includeLast: boolean): [number, number][] {
  const op = "embeddingBag";
  const bags = includeLast ? offs.length - 1 : offs.length;
  if (includeLast && offs.length === 0)
    throw new ValueError(`${op}: includeLastOffset needs at least one offset, got none`);
  if (offs.length > 0 && offs[0] !== 0) {
    throw new ValueError(
      `${op}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${offs[0]}`,
    );
  }
  const last = offs.length > 0 ? offs[offs.length - 1]! : 0;
  if (last > n) {
    throw new ValueError(
      `${op}: offsets[-1] can not be greater than input's length ${n} but got offsets[-1] of ${last}`,
    );
  }
  const out: [number, number][] = [];
  for (let b = 0; b < bags; b++) {
    const start = offs[b]!;
    const end = b + 1 < offs.length ? offs[b + 1]! : n;
    if (end < start)
      throw new ValueError(`${op}: offsets must be non-decreasing, got ${start} before ${end}`);
    out.push([start, end]);
  }
  return out;
}

/**
 * Sums, averages or maxes the embeddings of each bag of indices, as
 * torch.nn.functional.embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
 * scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None,
 * include_last_offset=False, padding_idx=None). `input [B, N]` (offsets null: each row a bag) or
 * `input [N]` with `offsets [B]` (bag b starts at offsets[b]; `[B + 1]` with includeLastOffset)
 * → `[B, embeddingDim]`. Entries equal to paddingIdx are left out of their bag (and its mean's
 * count); an empty bag gives zeros. `perSampleWeights` (shape of input, mode "sum" only) scales
 * each embedding. Max mode sends the gradient to the first maximal entry, as ATen.
 *
 * PyTorch parity: `sparse` is accepted but gradients are dense (equal to PyTorch's sparse
 * gradient densified). With scaleGradByFreq each row's gradient is divided by that index's count
 * in `input`, as documented; PyTorch 1.13's CPU kernel divides some rows by another index's count.
 */
export function embeddingBag(input: Tensor, weight: Tensor, ...rest: EmbeddingBagRest): Tensor {
  const a = parseArgs(EMBEDDING_BAG, [input, weight, ...rest]);
  const op = "embeddingBag";
  const psw = a.perSampleWeights;
  if (psw !== null && psw.shape.join() !== input.shape.join()) {
    throw new ShapeError(
      `${op}: If per_sample_weights (${formatShape(psw.shape)}) is not null, then it must have the same shape as the input (${formatShape(input.shape)})`,
    );
  }
  let offs: Int32Array;
  let flatInput = input;
  if (input.ndim === 2) {
    if (a.offsets !== null) {
      throw new ValueError(
        `${op}: if input is 2D, then offsets has to be null, as input is treated is a mini-batch of fixed length sequences. However, found offsets of shape ${formatShape(a.offsets.shape)}`,
      );
    }
    const [bags, len] = input.shape as [number, number];
    offs = Int32Array.from({ length: bags }, (_, b) => b * len);
    flatInput = input.reshape([-1]);
  } else if (input.ndim === 1) {
    if (a.offsets === null)
      throw new ValueError(`${op}: offsets has to be a 1D Tensor but got null`);
    if (a.offsets.ndim !== 1 || (a.offsets.dtype !== "int32" && a.offsets.dtype !== "int64")) {
      throw new ValueError(
        `${op}: offsets has to be a 1D int64 (or int32) Tensor, got ${a.offsets.dtype} of shape ${formatShape(a.offsets.shape)}`,
      );
    }
    offs = asIndexInt32(op, a.offsets, "offsets").contiguous().dataSync() as Int32Array;
  } else {
    throw new ShapeError(
      `${op}: input has to be 1D or 2D Tensor, but got Tensor of dimension ${input.ndim}`,
    );
  }
  if (psw !== null && a.mode !== "sum") {
    throw new ValueError(
      `${op}: per_sample_weights was not null. per_sample_weights is only supported for mode='sum' (got mode='${a.mode}')`,
    );
  }
  if (psw !== null && psw.dtype !== weight.dtype) {
    throw new DTypeError(
      `${op}: expected per_sample_weights of the weight's dtype ${weight.dtype}, got ${psw.dtype}`,
    );
  }
  if (a.scaleGradByFreq && a.mode === "max")
    throw new ValueError(`${op}: max mode does not support scaling the gradient by the frequency`);
  const idx = checkedIndices(op, flatInput, weight);
  const [num, dim] = weight.shape as [number, number];
  const pad = wrapPaddingIdx(op, a.paddingIdx, num);
  if (a.maxNorm !== null) embeddingRenorm_(weight, idx, a.maxNorm, a.normType);
  const bounds = bagBounds(offs, idx.length, a.includeLastOffset);
  const bags = bounds.length;
  // The positions that enter a bag (padding left out), and the bag of each.
  const kept: number[] = [];
  const bagOf: number[] = [];
  const counts = new Float64Array(bags);
  bounds.forEach(([s, e], b) => {
    for (let p = s; p < e; p++) {
      if (idx[p] === pad) continue;
      kept.push(p);
      bagOf.push(b);
      counts[b]!++;
    }
  });
  const rows = Int32Array.from(kept, (p) => idx[p]!);
  const scale = gradScales(rows, -1, a.scaleGradByFreq, idx);
  const picked = lookupRows(weight, rows, scale, [rows.length, dim]);
  if (a.mode === "max") return bagMax(picked, bagOf, bags, dim);
  let vals = picked;
  if (psw !== null) {
    const w = takeFlat(psw.reshape([-1]), Int32Array.from(kept), [kept.length, 1]);
    vals = vals.mul(w);
  }
  const flat = new Int32Array(kept.length * dim);
  for (let i = 0; i < kept.length; i++)
    for (let j = 0; j < dim; j++) flat[i * dim + j] = bagOf[i]! * dim + j;
  let out = putFlat(full([bags, dim], 0, weight.dtype), flat, vals.reshape([-1]), true);
  if (a.mode === "mean") {
    const d = Float64Array.from(counts, (c) => Math.max(c, 1));
    const div = fromTypedArray(weight.dtype === "float64" ? d : Float32Array.from(d), [bags, 1]);
    out = out.div(div);
  }
  return named(out, "EmbeddingBagBackward0", [weight]);
}

/** The elementwise max over each bag's rows of `picked`; zeros for an empty bag. */
function bagMax(picked: Tensor, bagOf: readonly number[], bags: number, dim: number): Tensor {
  const data = picked.dataSync() as ArrayLike<number>;
  const k = bagOf.length;
  // Row k of `ext` is zeros, picked for empty bags; ATen keeps the first maximal entry (strict >).
  const flat = new Int32Array(bags * dim).fill(-1);
  for (let i = 0; i < k; i++) {
    const b = bagOf[i]!;
    for (let j = 0; j < dim; j++) {
      const at = b * dim + j;
      const cur = flat[at]!;
      if (cur < 0 || data[i * dim + j]! > data[cur]!) flat[at] = i * dim + j;
    }
  }
  for (let t = 0; t < flat.length; t++) if (flat[t]! < 0) flat[t] = k * dim + (t % dim);
  const ext = cat([picked, full([1, dim], 0, picked.dtype)], 0);
  return takeFlat(ext, flat, [bags, dim], "EmbeddingBagBackward0");
}

// Set-like and search ops: unique, uniqueConsecutive, searchsorted and bucketize, as torch's
// functions of those names. Loops over contiguous copies in TypeScript; results are not
// differentiable (as in PyTorch, whose unique and searchsorted have no gradient).
// Must not depend on nn or anything above ops.

import {
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
import type { DType } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDim } from "../core/shape.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { gather, indexSelect } from "./indexing.ts";
import { permute, reshape } from "./movement.ts";
import { compareAsc, int32Tensor } from "./rows.ts";

/** Options of unique and uniqueConsecutive. */
export interface UniqueOptions {
  /** Whether to sort the unique values; Kiln always does (PyTorch's order otherwise is unspecified). */
  sorted?: boolean;
  /** Also return, for each input element (or slice), the index of its unique value. */
  returnInverse?: boolean;
  /** Also return how often each unique value (or slice) occurs. */
  returnCounts?: boolean;
  /** The dim whose slices are compared (default null: the flattened elements). */
  dim?: number | null;
}
/** Options of searchsorted. */
export interface SearchsortedOptions {
  /** Accepted for PyTorch's signature: Kiln's indices are int32 either way. */
  outInt32?: boolean;
  /** Find the last suitable position (`seq[i-1] <= v < seq[i]`) instead of the first. */
  right?: boolean;
  /** "left" or "right", the same as `right: false` / `right: true`. */
  side?: "left" | "right" | null;
  /** Indices that sort `sortedSequence` along its last dim, when it is not sorted itself. */
  sorter?: Tensor | null;
}
/** Options of bucketize. */
export interface BucketizeOptions {
  /** Accepted for PyTorch's signature: Kiln's indices are int32 either way. */
  outInt32?: boolean;
  /** Whether a value equal to a boundary goes to the bucket after it. */
  right?: boolean;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const flags = {
    returnInverse: opt(bool, false),
    returnCounts: opt(bool, false),
    dim: opt(nullable(int), null),
  };
  const values = either(tensor, num);
  return {
    unique: signature("unique", { input: tensor, sorted: opt(bool, true), ...flags }),
    uniqueConsecutive: signature("uniqueConsecutive", { input: tensor, ...flags }),
    searchsorted: signature(
      "searchsorted",
      { sortedSequence: tensor, input: values },
      {
        outInt32: opt(bool, false),
        right: opt(bool, false),
        side: opt(nullable(oneOf("left", "right")), null),
        sorter: opt(nullable(tensor), null),
      },
    ),
    bucketize: signature(
      "bucketize",
      { input: values, boundaries: tensor },
      { outInt32: opt(bool, false), right: opt(bool, false) },
    ),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/** The slices of `x` along `dim` as rows of numbers (the flattened elements when dim is null). */
function slicesOf(
  op: string,
  x: Tensor,
  dim: number | null,
): { rows: number; width: number; data: ArrayLike<number>; d: number } {
  if (x.dtype === "float16" || x.dtype === "bfloat16") {
    throw new DTypeError(`${op}: ${x.dtype} is a storage dtype here; convert with .float() first`);
  }
  if (dim === null) return { rows: x.numel(), width: 1, data: x.detach().dataSync(), d: -1 };
  const d = normalizeDim(op, dim, Math.max(x.ndim, 1));
  if (x.ndim === 0) return { rows: 1, width: 1, data: x.detach().dataSync(), d: 0 };
  const order = [d, ...x.shape.map((_, i) => i).filter((i) => i !== d)];
  const rows = x.shape[d]!;
  const p = permute(x.detach(), order);
  return { rows, width: rows === 0 ? 0 : x.numel() / rows, data: p.dataSync(), d };
}

/** Lexicographic order of two slices, NaN last. */
function compareRows(data: ArrayLike<number>, width: number, a: number, b: number): number {
  for (let k = 0; k < width; k++) {
    const c = compareAsc(data[a * width + k]!, data[b * width + k]!);
    if (c !== 0) return c;
  }
  return 0;
}

/** Whether two slices are equal (NaN equals nothing, as PyTorch's comparison). */
function sameRows(data: ArrayLike<number>, width: number, a: number, b: number): boolean {
  for (let k = 0; k < width; k++) if (data[a * width + k] !== data[b * width + k]) return false;
  return true;
}

/** Groups rows in `order`; returns the first row of each group, each row's group, group sizes. */
function group(data: ArrayLike<number>, width: number, order: readonly number[]) {
  const firsts: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(order.length);
  for (let i = 0; i < order.length; i++) {
    const r = order[i]!;
    if (i === 0 || !sameRows(data, width, order[i - 1]!, r)) {
      firsts.push(r);
      counts.push(0);
    }
    counts[counts.length - 1]!++;
    inverse[r] = firsts.length - 1;
  }
  return { firsts, counts, inverse };
}

function uniqueResult(
  x: Tensor,
  s: ReturnType<typeof slicesOf>,
  g: ReturnType<typeof group>,
  returnInverse: boolean,
  returnCounts: boolean,
): Tensor | Tensor[] {
  const pickIdx = int32Tensor(Int32Array.from(g.firsts), [g.firsts.length]);
  const output =
    s.d < 0 ? gather(reshape(x.detach(), [-1]), 0, pickIdx) : indexSelect(x.detach(), s.d, pickIdx);
  if (!returnInverse && !returnCounts) return output;
  const out: Tensor[] = [output];
  if (returnInverse) out.push(int32Tensor(g.inverse, s.d < 0 ? [...x.shape] : [s.rows]));
  if (returnCounts) out.push(int32Tensor(Int32Array.from(g.counts), [g.counts.length]));
  return out;
}

/**
 * The unique elements (or, with `dim`, unique slices along it) in ascending order, as
 * torch.unique; with `returnInverse` / `returnCounts` an array `[output, inverse?, counts?]`
 * (int32). NaNs are each unique. `sorted: false` still sorts (PyTorch's order then is unspecified).
 */
export function unique<D extends DType>(input: Tensor<D>): Tensor<D>;
export function unique(
  input: Tensor,
  ...args: WithOptions<
    [sorted: boolean, returnInverse: boolean, returnCounts: boolean, dim: number | null],
    UniqueOptions
  >
): Tensor | Tensor[];
export function unique(input: Tensor, ..._args: unknown[]): Tensor | Tensor[] {
  const p = parseArgs(sigs().unique, arguments);
  const s = slicesOf("unique", input, p.dim);
  const order = Array.from({ length: s.rows }, (_, i) => i);
  order.sort((a, b) => compareRows(s.data, s.width, a, b));
  return uniqueResult(input, s, group(s.data, s.width, order), p.returnInverse, p.returnCounts);
}

/**
 * Collapses runs of equal consecutive elements (or slices along `dim`) to one, as
 * torch.unique_consecutive; with `returnInverse` / `returnCounts` an array
 * `[output, inverse?, counts?]` (int32).
 */
export function uniqueConsecutive<D extends DType>(input: Tensor<D>): Tensor<D>;
export function uniqueConsecutive(
  input: Tensor,
  ...args: WithOptions<
    [returnInverse: boolean, returnCounts: boolean, dim: number | null],
    Omit<UniqueOptions, "sorted">
  >
): Tensor | Tensor[];
export function uniqueConsecutive(input: Tensor, ..._args: unknown[]): Tensor | Tensor[] {
  const p = parseArgs(sigs().uniqueConsecutive, arguments);
  const s = slicesOf("uniqueConsecutive", input, p.dim);
  const order = Array.from({ length: s.rows }, (_, i) => i);
  return uniqueResult(input, s, group(s.data, s.width, order), p.returnInverse, p.returnCounts);
}

/** Binary search in one sorted row: the first i with v <= seq[i] (right: v < seq[i]). */
function bisect(
  seq: ArrayLike<number>,
  base: number,
  len: number,
  v: number,
  right: boolean,
): number {
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = seq[base + mid]!;
    const goRight = right ? !(s > v) : s < v;
    if (goRight) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function searchImpl(op: string, seq: Tensor, input: Tensor | number, right: boolean): Tensor {
  const values = typeof input === "number" ? null : input;
  if (values === null && seq.ndim !== 1) {
    throw new ShapeError(
      `${op}: boundaries tensor must be 1 dimension when the input is a scalar, but got a ${seq.ndim}-D tensor`,
    );
  }
  if (seq.ndim === 0)
    throw new ShapeError(
      `${op}: boundaries tensor should have positive dimension, but got 0 dimension`,
    );
  if (values !== null && seq.ndim > 1) {
    const lead = seq.shape.slice(0, -1).join(",");
    if (values.ndim !== seq.ndim || values.shape.slice(0, -1).join(",") !== lead) {
      throw new ShapeError(
        `${op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor [${seq.shape.join(", ")}] and input value tensor [${values.shape.join(", ")}]`,
      );
    }
  }
  const len = seq.shape[seq.ndim - 1]!;
  const s = seq.detach().dataSync();
  const v = values === null ? [input as number] : values.detach().dataSync();
  const out = new Int32Array(v.length);
  const perRow = values !== null && seq.ndim > 1 ? values.shape[values.ndim - 1]! : v.length;
  for (let i = 0; i < v.length; i++) {
    const base = seq.ndim > 1 ? Math.floor(i / perRow) * len : 0;
    out[i] = bisect(s, base, len, Number(v[i]!), right);
  }
  return int32Tensor(out, values === null ? [] : [...values.shape]);
}

/**
 * For each value of `input`, the index in the last dim of `sortedSequence` where it would be
 * inserted to keep it sorted (int32), as torch.searchsorted. A 1-D sequence serves every value;
 * an N-D one pairs its leading dims with input's.
 */
export function searchsorted(
  sortedSequence: Tensor,
  input: Tensor | number,
  options?: SearchsortedOptions,
): Tensor<"int32">;
export function searchsorted(sortedSequence: Tensor, input: Tensor | number): Tensor<"int32"> {
  const p = parseArgs(sigs().searchsorted, arguments);
  if (p.side !== null && p.right && p.side === "left") {
    throw new ValueError(
      "searchsorted: side and right can't be set to opposites, got side of left while right was True",
    );
  }
  let seq = sortedSequence;
  if (p.sorter !== null) {
    if (p.sorter.shape.join() !== seq.shape.join()) {
      throw new ShapeError(
        `searchsorted: boundary and sorter must have the same size, but got boundary tensor [${seq.shape.join(", ")}] and got sorter tensor [${p.sorter.shape.join(", ")}]`,
      );
    }
    seq = gather(seq.detach(), -1, p.sorter);
  }
  return searchImpl("searchsorted", seq, input, p.right || p.side === "right") as Tensor<"int32">;
}

/**
 * The index of the bucket of each value given 1-D ascending `boundaries` (int32), as
 * torch.bucketize: `boundaries[i-1] < v <= boundaries[i]` (with `right`, `<=` and `<` swap).
 */
export function bucketize(
  input: Tensor | number,
  boundaries: Tensor,
  options?: BucketizeOptions,
): Tensor<"int32">;
export function bucketize(input: Tensor | number, boundaries: Tensor): Tensor<"int32"> {
  const p = parseArgs(sigs().bucketize, arguments);
  if (boundaries.ndim !== 1) {
    throw new ShapeError(
      `bucketize: boundaries tensor must be 1 dimension, but got dim(${boundaries.ndim})`,
    );
  }
  return searchImpl("bucketize", boundaries, input, p.right) as Tensor<"int32">;
}

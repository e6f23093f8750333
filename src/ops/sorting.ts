// Sorting and selection: sort, argsort, msort, topk, kthvalue, median, nanmedian and mode, as
// torch's functions of those names. The order is found by a stable sort of each row in
// TypeScript; the values are then gathered, so their gradient is gather's (scatter back).
// Must not depend on nn or anything above ops; unique and searchsorted live in search.ts.

import {
  bool,
  instanceOf,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { DTypeError, IndexError } from "../core/errors.ts";
import { named, record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";
import { gather } from "./indexing.ts";
import { narrow, reshape, squeeze } from "./movement.ts";
import { sum } from "./reduce.ts";
import { compareAsc, int32Tensor, rowsOf } from "./rows.ts";
import { type ValuesIndices, valuesIndices } from "./tuple.ts";

/** Options of sort: `descending`, and `stable` (every Kiln sort is stable). */
export interface SortOptions {
  dim?: number;
  descending?: boolean;
  stable?: boolean;
}
/** Options of topk. */
export interface TopkOptions {
  dim?: number;
  largest?: boolean;
  sorted?: boolean;
}
/** Options of the dim reductions kthvalue, median(dim), nanmedian(dim) and mode. */
export interface DimKeepOptions {
  dim?: number;
  keepDim?: boolean;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const dimKeep = (op: string) =>
    signature(op, { input: tensor, dim: opt(int, -1), keepDim: opt(bool, false) });
  const median = (op: string) =>
    signature(op, { input: tensor, dim: opt(nullable(int), null), keepDim: opt(bool, false) });
  return {
    sort: signature(
      "sort",
      { input: tensor, dim: opt(int, -1), descending: opt(bool, false) },
      { stable: opt(nullable(bool)) },
    ),
    argsort: signature("argsort", {
      input: tensor,
      dim: opt(int, -1),
      descending: opt(bool, false),
      stable: opt(bool, false),
    }),
    msort: signature("msort", { input: tensor }),
    topk: signature("topk", {
      input: tensor,
      k: int,
      dim: opt(int, -1),
      largest: opt(bool, true),
      sorted: opt(bool, true),
    }),
    kthvalue: signature("kthvalue", {
      input: tensor,
      k: int,
      dim: opt(int, -1),
      keepDim: opt(bool, false),
    }),
    median: median("median"),
    nanmedian: median("nanmedian"),
    mode: dimKeep("mode"),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

function noHalf(op: string, x: Tensor): void {
  if (x.dtype === "float16" || x.dtype === "bfloat16") {
    throw new DTypeError(`${op}: ${x.dtype} is a storage dtype here; convert with .float() first`);
  }
}

/** The stable sorting permutation of each row along `dim`, as int32 indices shaped like `x`. */
export function sortIndices(
  op: string,
  x: Tensor,
  dim: number,
  descending: boolean,
): Tensor<"int32"> {
  noHalf(op, x);
  const r = rowsOf(op, x, dim);
  const out = new Int32Array(r.rows * r.len);
  const order = new Array<number>(r.len);
  const data = r.data;
  for (let row = 0; row < r.rows; row++) {
    const base = row * r.len;
    for (let i = 0; i < r.len; i++) order[i] = i;
    if (descending) order.sort((a, b) => compareAsc(data[base + b]!, data[base + a]!));
    else order.sort((a, b) => compareAsc(data[base + a]!, data[base + b]!));
    for (let i = 0; i < r.len; i++) out[base + i] = order[i]!;
  }
  return r.back(int32Tensor(out, r.lastShape)).contiguous() as Tensor<"int32">;
}

function pick(x: Tensor, dim: number, indices: Tensor, name: string): Tensor {
  if (x.ndim === 0) return named(el.clone(x), name, [x]);
  return named(gather(x, dim, indices), name, [x]);
}

/**
 * Sorts along `dim` (default -1), ascending unless `descending`; NaN sorts as the largest value.
 * Returns `[values, indices]` (int32), as torch.sort. Every sort here is stable, so `stable`
 * changes nothing (PyTorch's unstable order on ties is unspecified).
 */
export function sort<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[dim: number, descending: boolean], SortOptions>
): ValuesIndices<D>;
export function sort(input: Tensor, ..._args: unknown[]): ValuesIndices {
  const p = parseArgs(sigs().sort, arguments);
  const idx = sortIndices("sort", input, p.dim, p.descending);
  // PyTorch's overload with `stable` records SortBackward1.
  const name = p.stable === undefined ? "SortBackward0" : "SortBackward1";
  return valuesIndices(pick(input, p.dim, idx, name), idx);
}

/** The indices that sort along `dim` (int32), as torch.argsort; stable, like every sort here. */
export function argsort(
  input: Tensor,
  ...args: WithOptions<[dim: number, descending: boolean, stable: boolean], SortOptions>
): Tensor<"int32">;
export function argsort(input: Tensor, ..._args: unknown[]): Tensor<"int32"> {
  const p = parseArgs(sigs().argsort, arguments);
  return sortIndices("argsort", input, p.dim, p.descending);
}

/** Sorts along the first dim, ascending: the values of `sort(input, 0)`, as torch.msort. */
export function msort<D extends DType>(input: Tensor<D>): Tensor<D>;
export function msort(input: Tensor): Tensor {
  parseArgs(sigs().msort, arguments);
  const idx = sortIndices("msort", input, 0, false);
  return pick(input, 0, idx, "SortBackward0");
}

/**
 * The `k` largest (or smallest, `largest: false`) entries along `dim` (default -1), as
 * `[values, indices]`, as torch.topk. NaN counts as the largest value. The result is always in
 * sorted order, which `sorted: false` allows (PyTorch's order then is unspecified).
 */
export function topk<D extends DType>(
  input: Tensor<D>,
  k: number,
  ...args: WithOptions<[dim: number, largest: boolean, sorted: boolean], TopkOptions>
): ValuesIndices<D>;
export function topk(input: Tensor, _k: number, ..._args: unknown[]): ValuesIndices {
  const p = parseArgs(sigs().topk, arguments);
  const size = input.ndim === 0 ? 1 : input.shape[normDim("topk", p.dim, input.ndim)]!;
  if (p.k < 0 || p.k > size) {
    throw new IndexError(`topk: selected index k out of range (k=${p.k}, dimension size ${size})`);
  }
  const all = sortIndices("topk", input, p.dim, p.largest);
  const idx = (input.ndim === 0 ? all : narrow(all, p.dim, 0, p.k).contiguous()) as Tensor<"int32">;
  return valuesIndices(pick(input, p.dim, idx, "TopkBackward0"), idx);
}

function normDim(op: string, dim: number, ndim: number): number {
  if (dim < -ndim || dim >= ndim) {
    throw new IndexError(
      `${op}: Dimension out of range (expected to be in range of [${-ndim}, ${ndim - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + ndim : dim;
}

/** Selects, per row along `dim`, the position `choose(sortedOrder, rowValues)` (an index into the row). */
function selectPerRow(
  op: string,
  x: Tensor,
  dim: number,
  keepDim: boolean,
  choose: (row: ArrayLike<number>, base: number, len: number) => number,
  name: string,
): ValuesIndices {
  noHalf(op, x);
  const r = rowsOf(op, x, dim);
  if (r.len === 0) {
    throw new IndexError(`${op}: Expected reduction dim ${r.dim} to have non-zero size.`);
  }
  const out = new Int32Array(r.rows);
  for (let row = 0; row < r.rows; row++) out[row] = choose(r.data, row * r.len, r.len);
  const keptShape = r.lastShape.slice(0, -1);
  let idx: Tensor = int32Tensor(out, [...keptShape, 1]);
  idx = x.ndim === 0 ? reshape(idx, []) : r.back(idx).contiguous();
  const values = pick(x, r.dim, idx, name);
  if (keepDim || x.ndim === 0) return valuesIndices(values, idx);
  return valuesIndices(named(squeeze(values, r.dim), name, [x]), squeeze(idx, r.dim).contiguous());
}

/** The index of the `k`-th smallest (0-based) value of a row, ties in stable order. */
function kth(
  data: ArrayLike<number>,
  base: number,
  len: number,
  k: number,
  skipNan: boolean,
): number {
  const order: number[] = [];
  for (let i = 0; i < len; i++) if (!(skipNan && Number.isNaN(data[base + i]!))) order.push(i);
  if (order.length === 0) return 0;
  order.sort((a, b) => compareAsc(data[base + a]!, data[base + b]!));
  return order[k < 0 ? (order.length - 1) >> 1 : k]!;
}

function firstNan(data: ArrayLike<number>, base: number, len: number): number {
  for (let i = 0; i < len; i++) if (Number.isNaN(data[base + i]!)) return i;
  return -1;
}

/**
 * The `k`-th smallest value (1-based) along `dim` (default -1) and its index, as
 * torch.kthvalue. `[values, indices]`.
 */
export function kthvalue<D extends DType>(
  input: Tensor<D>,
  k: number,
  ...args: WithOptions<[dim: number, keepDim: boolean], DimKeepOptions>
): ValuesIndices<D>;
export function kthvalue(input: Tensor, _k: number, ..._args: unknown[]): ValuesIndices {
  const p = parseArgs(sigs().kthvalue, arguments);
  const size = input.ndim === 0 ? 1 : input.shape[normDim("kthvalue", p.dim, input.ndim)]!;
  if (p.k < 1 || p.k > size) {
    throw new IndexError(
      `kthvalue: selected number k out of range for dimension ${p.dim} (k=${p.k}, size ${size})`,
    );
  }
  return selectPerRow(
    "kthvalue",
    input,
    p.dim,
    p.keepDim,
    (d, b, n) => kth(d, b, n, p.k - 1, false),
    "KthvalueBackward0",
  );
}

function medianImpl(
  op: "median" | "nanmedian",
  input: Tensor,
  args: IArguments,
): Tensor | ValuesIndices {
  const p = parseArgs(sigs()[op], args);
  const skip = op === "nanmedian";
  const choose = (d: ArrayLike<number>, b: number, n: number) => {
    if (!skip) {
      const nan = firstNan(d, b, n);
      if (nan >= 0) return nan;
    }
    return kth(d, b, n, -1, skip);
  };
  if (p.dim !== null) {
    const name = op === "median" ? "MedianBackward1" : "NanmedianBackward1";
    return selectPerRow(op, input, p.dim, p.keepDim, choose, name);
  }
  if (input.numel() === 0) {
    return el.full([], Number.NaN, input.dtype);
  }
  const flat = reshape(input.detach(), [-1]);
  const { values } = selectPerRow(op, flat, 0, false, choose, "");
  // d median(x): the gradient is shared evenly among the entries equal to the median, as PyTorch.
  return record(
    values.detach(),
    op === "median" ? "MedianBackward0" : "NanmedianBackward0",
    [input],
    (g) => {
      const hit = el.eq(input.detach(), values);
      return [el.div(el.mul(g, hit), sum(hit, null, false))];
    },
  );
}

/**
 * The median: with no `dim`, the lower median of all elements (NaN if any is NaN), a 0-d tensor;
 * with `dim`, `[values, indices]` along it, as torch.median.
 */
export function median<D extends DType>(input: Tensor<D>): Tensor<D>;
export function median<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[dim: number, keepDim: boolean], DimKeepOptions>
): ValuesIndices<D>;
export function median(input: Tensor, ..._args: unknown[]): Tensor | ValuesIndices {
  return medianImpl("median", input, arguments);
}

/** The median ignoring NaN (NaN only when every value is), as torch.nanmedian; see `median`. */
export function nanmedian<D extends DType>(input: Tensor<D>): Tensor<D>;
export function nanmedian<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[dim: number, keepDim: boolean], DimKeepOptions>
): ValuesIndices<D>;
export function nanmedian(input: Tensor, ..._args: unknown[]): Tensor | ValuesIndices {
  return medianImpl("nanmedian", input, arguments);
}

/**
 * The most frequent value along `dim` (default -1; the smallest on ties) and the index of its
 * last occurrence, as torch.mode. `[values, indices]`.
 */
export function mode<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[dim: number, keepDim: boolean], DimKeepOptions>
): ValuesIndices<D>;
export function mode(input: Tensor, ..._args: unknown[]): ValuesIndices {
  const p = parseArgs(sigs().mode, arguments);
  return selectPerRow(
    "mode",
    input,
    p.dim,
    p.keepDim,
    (d, b, n) => {
      const order = Array.from({ length: n }, (_, i) => i);
      order.sort((x, y) => compareAsc(d[b + x]!, d[b + y]!));
      let best = order[0]!;
      let bestCount = 0;
      for (let i = 0; i < n; ) {
        let j = i;
        let last = order[i]!;
        while (j < n && compareAsc(d[b + order[j]!]!, d[b + order[i]!]!) === 0) {
          last = Math.max(last, order[j]!);
          j++;
        }
        if (j - i > bestCount) {
          bestCount = j - i;
          best = last;
        }
        i = j;
      }
      return best;
    },
    "ModeBackward0",
  );
}

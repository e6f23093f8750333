// Reductions: sum, mean, prod, max/min (values, indices, amax), arg-reductions, var/std,
// logsumexp, any/all and cumsum. The kernel reduces trailing dims; ops permute the reduced
// dims to the end first, and route gradients back by broadcasting.

import type { ReduceOp } from "../backend/backend.ts";
import { type DType, isFloating, sumDType, type TypedArray } from "../core/dtype.ts";
import { DTypeError, IndexError, ValueError } from "../core/errors.ts";
import { normalizeDim, normalizeDims } from "../core/shape.ts";
import { named, record } from "../tensor/autograd.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor-class.ts";
import { backend, empty } from "./dispatch.ts";
import * as el from "./elementwise.ts";
import { expand, flip, permute, reshape, unsqueeze } from "./movement.ts";
import { type ValuesIndices, valuesIndices } from "./tuple.ts";

export type DimArg = number | readonly number[] | null;

function resolveDims(op: string, x: Tensor, dim: DimArg): number[] {
  if (dim === null) return x.shape.map((_, i) => i);
  const list = typeof dim === "number" ? [dim] : dim;
  if (x.ndim === 0) {
    for (const d of list) normalizeDim(op, d, 0);
    return [];
  }
  return normalizeDims(op, list, x.ndim);
}

/** Runs the reduce kernel over `dims`, giving the kept shape (no gradient recorded). */
function reduceRaw(
  op: ReduceOp,
  x: Tensor,
  dims: readonly number[],
  dtype: DType,
  keepDim: boolean,
): Tensor {
  const kept = x.shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const p = permute(x.detach(), [...kept, ...dims]);
  const out = empty(
    kept.map((i) => x.shape[i]!),
    dtype,
  );
  if (dtype === "int32" && (op === "sum" || op === "prod")) {
    // NOTE: PyTorch sums integers into int64; Kiln's int32 would wrap (2^31 trues summed to
    // -2^31). The kernels accumulate in float64, exact to 2^53, and a result int32 cannot hold
    // throws instead of wrapping.
    const wide = new Float64Array(out.numel());
    backend().reduce(op, p.view_(), kept.length, wide);
    narrowInt32(op, wide, out.storage.data);
  } else backend().reduce(op, p.view_(), kept.length, out.storage.data);
  return keepDim ? reshape(out, keptShape(x, dims)) : out;
}

/** Copies float64 integer results into int32 storage, throwing where one does not fit. */
function narrowInt32(op: string, wide: Float64Array, out: TypedArray): void {
  for (let i = 0; i < wide.length; i++) {
    const v = wide[i]!;
    if (!(v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new ValueError(
        `${op}: the result ${v} does not fit int32, Kiln's integer dtype (PyTorch returns int64 here); convert the input with .double() first`,
      );
    }
    out[i] = v;
  }
}

function keptShape(x: Tensor, dims: readonly number[]): number[] {
  return x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

/** Broadcasts a reduced gradient back over the reduced dims. */
function unreduce(g: Tensor, x: Tensor, dims: readonly number[], keepDim: boolean): Tensor {
  const kept = keepDim ? g : reshape(g, keptShape(x, dims));
  return expand(kept, x.shape);
}

function checkNonEmpty(op: string, x: Tensor, dims: readonly number[]): void {
  for (const d of dims) {
    if (x.shape[d] === 0) {
      throw new IndexError(
        `${op}: Expected reduction dim ${d} to have non-zero size (input shape [${x.shape.join(", ")}])`,
      );
    }
  }
}

/** Sum over `dim` (all dims when null); bool and int sum to int32 (int64 stays), PyTorch gives int64. */
export function sum(x: Tensor, dim: DimArg, keepDim: boolean): Tensor {
  const dims = resolveDims("sum", x, dim);
  const dtype = sumDType(x.dtype);
  const out = reduceRaw("sum", x, dims, dtype, keepDim);
  return record(out, dim === null ? "SumBackward0" : "SumBackward1", [x], (g) => [
    unreduce(g, x, dims, keepDim),
  ]);
}

/** Arithmetic mean; floating inputs only, as PyTorch. */
export function mean(x: Tensor, dim: DimArg, keepDim: boolean): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `mean: could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${x.dtype}`,
    );
  }
  const dims = resolveDims("mean", x, dim);
  const n = dims.reduce((a, d) => a * x.shape[d]!, 1);
  const out = noGrad(() => el.div(reduceRaw("sum", x, dims, x.dtype, keepDim), n));
  return record(out, dim === null ? "MeanBackward0" : "MeanBackward1", [x], (g) => [
    el.div(unreduce(g, x, dims, keepDim), n),
  ]);
}

/** Product over one dim (or all); the gradient handles zeros as PyTorch does. */
export function prod(x: Tensor, dim: number | null, keepDim: boolean): Tensor {
  const dims = resolveDims("prod", x, dim);
  const dtype = sumDType(x.dtype);
  const out = reduceRaw("prod", x, dims, dtype, keepDim);
  return record(
    out,
    dim === null ? "ProdBackward0" : "ProdBackward1",
    [x],
    (g) => {
      // Where x ≠ 0 the derivative is prod/x; at a lone zero it is the product of the others.
      const isZero = el.eq(x, 0);
      const y = unreduce(keepDim ? out : reshape(out, keptShape(x, dims)), x, dims, true);
      const nonzero = el.add(el.mul(x, el.logicalNot(isZero)), isZero);
      const prodOthers = unreduce(prod(nonzero, dim, true), x, dims, true);
      const zeros = unreduce(sum(isZero, dim, true), x, dims, true);
      const atZero = el.mul(prodOthers, el.eq(zeros, 1));
      const d = el.add(el.mul(el.div(y, nonzero), el.logicalNot(isZero)), el.mul(atZero, isZero));
      return [el.mul(unreduce(g, x, dims, keepDim), d)];
    },
    [x, out],
  );
}

/** Full max/min; the gradient is shared evenly among tied maxima, as PyTorch. */
export function maxAll(x: Tensor, op: "max" | "min"): Tensor {
  if (x.numel() === 0) {
    throw new IndexError(
      `${op}: Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
    );
  }
  return amaxImpl(x, op, null, false, op === "max" ? "MaxBackward1" : "MinBackward1");
}

/** torch.amax / torch.amin over dims. */
export function amax(x: Tensor, op: "max" | "min", dim: DimArg, keepDim: boolean): Tensor {
  return amaxImpl(x, op, dim, keepDim, op === "max" ? "AmaxBackward0" : "AminBackward0");
}

function amaxImpl(
  x: Tensor,
  op: "max" | "min",
  dim: DimArg,
  keepDim: boolean,
  name: string,
): Tensor {
  if (x.dtype === "bool")
    throw new DTypeError(
      `${op}: bool tensors are not supported (expected int32, float32 or float64)`,
    );
  const dims = resolveDims(op, x, dim);
  checkNonEmpty(op, x, dims);
  const out = reduceRaw(op, x, dims, x.dtype, keepDim);
  return record(
    out,
    name,
    [x],
    (g) => {
      const y = unreduce(keepDim ? out : reshape(out, keptShape(x, dims)), x, dims, true);
      const hit = el.eq(x, y);
      const count = unreduce(sum(hit, dims, true), x, dims, true);
      return [el.div(el.mul(unreduce(g, x, dims, keepDim), hit), count)];
    },
    [x, out],
  );
}

/**
 * `max(dim)` / `min(dim)`: values and the index of the first extreme along `dim`, as
 * `[values, indices]` that also carries the two as fields (torch.return_types.max).
 */
export function maxDim(x: Tensor, op: "max" | "min", dim: number, keepDim: boolean): ValuesIndices {
  const d = x.ndim === 0 ? 0 : normalizeDim(op, dim, x.ndim);
  const dims = x.ndim === 0 ? [] : [d];
  checkNonEmpty(op, x, dims);
  const values = reduceRaw(op, x, dims, x.dtype, keepDim);
  const indices = reduceRaw(op === "max" ? "argmax" : "argmin", x, dims, "int32", keepDim);
  record(
    values,
    op === "max" ? "MaxBackward0" : "MinBackward0",
    [x],
    (g) => {
      if (x.ndim === 0) return [g];
      const idx = keepDim ? indices : unsqueeze(indices, d);
      const positions = reshape(
        arangeInt(x.shape[d]!),
        x.shape.map((s, i) => (i === d ? s : 1)),
      );
      const onehot = el.eq(positions, idx);
      return [el.mul(unreduce(g, x, dims, keepDim), onehot)];
    },
    [indices],
  );
  return valuesIndices(values, indices);
}

function arangeInt(n: number): Tensor {
  const t = empty([n], "int32");
  const d = t.storage.data;
  for (let i = 0; i < n; i++) d[i] = i;
  return t;
}

/** argmax / argmin over `dim`, or over the flattened tensor when dim is null. */
export function argReduce(
  x: Tensor,
  op: "argmax" | "argmin",
  dim: number | null,
  keepDim: boolean,
): Tensor {
  if (dim === null) {
    if (x.numel() === 0)
      throw new IndexError(`${op}: Expected reduction dim to be specified for input.numel() == 0.`);
    const flat = reduceRaw(op, reshape(x.detach(), [-1]), [0], "int32", false);
    return keepDim
      ? reshape(
          flat,
          x.shape.map(() => 1),
        )
      : flat;
  }
  const d = x.ndim === 0 ? 0 : normalizeDim(op, dim, x.ndim);
  const dims = x.ndim === 0 ? [] : [d];
  checkNonEmpty(op, x, dims);
  return reduceRaw(op, x, dims, "int32", keepDim);
}

/** Variance with `correction` (default 1, Bessel's), as torch.var; `unbiased: false` means 0. */
export function variance(
  x: Tensor,
  dim: DimArg,
  options: { keepDim?: boolean; correction?: number; unbiased?: boolean },
): Tensor {
  if (!isFloating(x.dtype))
    throw new DTypeError(`var: std and var only support floating point dtypes (got ${x.dtype})`);
  const dims = resolveDims("var", x, dim);
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  const n = dims.reduce((a, d) => a * x.shape[d]!, 1);
  const centred = el.sub(x, mean(x, dims, true));
  const out = el.div(
    sum(el.mul(centred, centred), dims, options.keepDim ?? false),
    Math.max(n - correction, 0),
  );
  return named(out, "VarBackward0", [x]);
}

/** Standard deviation: the square root of `variance` with the same options, as torch.std. */
export function std(
  x: Tensor,
  dim: DimArg,
  options: { keepDim?: boolean; correction?: number; unbiased?: boolean },
): Tensor {
  return named(el.sqrt(variance(x, dim, options)), "StdBackward0", [x]);
}

/** log Σ exp(x) over dims, computed stably by subtracting the max. */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepDim: boolean): Tensor {
  const xf = isFloating(x.dtype) ? x : el.cast(x, "float32");
  const dims = resolveDims("logsumexp", xf, dim);
  const m = amax(xf.detach(), "max", dims, true);
  const safe = el.where(el.isnan(el.sub(m, m)), 0, m);
  const s = el.add(el.log(sum(el.exp(el.sub(xf, safe)), dims, true)), safe);
  const out = keepDim
    ? s
    : reshape(
        s,
        xf.shape.filter((_, i) => !dims.includes(i)),
      );
  return named(out, "LogsumexpBackward0", [x]);
}

/** any / all: a bool tensor telling whether any / every element is nonzero. */
export function anyAll(x: Tensor, op: "any" | "all", dim: DimArg, keepDim: boolean): Tensor {
  return reduceRaw(op, x, resolveDims(op, x, dim), "bool", keepDim);
}

/** Inclusive cumulative sum along `dim`. */
export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normalizeDim("cumsum", dim, x.ndim);
  const dtype = sumDType(x.dtype);
  if (x.ndim === 0) return el.cast(el.clone(x), dtype);
  const order = x.shape.map((_, i) => i).filter((i) => i !== d);
  order.push(d);
  const p = permute(x.detach(), order);
  const tmp = empty(p.shape, dtype);
  if (dtype === "int32") {
    const wide = new Float64Array(tmp.numel());
    backend().cumsum(p.view_(), wide);
    narrowInt32("cumsum", wide, tmp.storage.data);
  } else backend().cumsum(p.view_(), tmp.storage.data);
  const inverse = new Array<number>(order.length);
  order.forEach((o, i) => {
    inverse[o] = i;
  });
  const out = permute(tmp, inverse).contiguous();
  // d cumsum: the gradient of element i is the sum of g over positions >= i (a reversed cumsum).
  return record(out, "CumsumBackward0", [x], (g) => [flip(cumsum(flip(g, [d]), d), [d])]);
}

// Reductions and splits composed from existing ops: stdMean, varMean, aminmax, countNonzero,
// argwhere, unflatten, tensorSplit, and the fused-looking pointwise addcmul/addcdiv, as torch's
// functions of those names. Gradients come from the ops they compose.
// Must not depend on nn or anything above ops.

import {
  arrayOf,
  bool,
  custom,
  either,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { type DType, isFloating } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDim, normalizeDims } from "../core/shape.ts";
import { named } from "../tensor/autograd.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";
import { nonzero } from "./indexing.ts";
import { narrow, view } from "./movement.ts";
import * as red from "./reduce.ts";
import { namedTuple } from "./tuple.ts";

/** `[std, mean]` (or `[var, mean]`), as torch.std_mean / torch.var_mean return them. */
export type StatMean<D extends DType = DType> = [Tensor<D>, Tensor<D>];
/** `[min, max]` with the fields `min` and `max`, as torch.return_types.aminmax. */
export type MinMax<D extends DType = DType> = [min: Tensor<D>, max: Tensor<D>] & {
  readonly min: Tensor<D>;
  readonly max: Tensor<D>;
};

/** Options of stdMean and varMean (torch.std_mean's keywords). */
export interface StatMeanOptions {
  keepDim?: boolean;
  correction?: number;
  unbiased?: boolean;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const dims = either(int, arrayOf(int));
  const stat = (op: string) =>
    signature(
      op,
      { input: tensor, dim: opt(nullable(dims), null), unbiased: opt(bool), keepDim: opt(bool) },
      { correction: opt(num) },
    );
  const statUnbiased = (op: string) => signature(op, { input: tensor, unbiased: bool });
  const addc = (op: string) =>
    signature(op, { input: tensor, tensor1: tensor, tensor2: tensor }, { value: opt(num, 1) });
  return {
    stdMean: stat("stdMean"),
    varMean: stat("varMean"),
    stdMeanUnbiased: statUnbiased("stdMean"),
    varMeanUnbiased: statUnbiased("varMean"),
    aminmax: signature(
      "aminmax",
      { input: tensor },
      { dim: opt(nullable(int), null), keepDim: opt(bool, false) },
    ),
    countNonzero: signature("countNonzero", { input: tensor, dim: opt(nullable(dims), null) }),
    argwhere: signature("argwhere", { input: tensor }),
    unflatten: signature("unflatten", { input: tensor, dim: int, sizes: arrayOf(int) }),
    tensorSplit: signature("tensorSplit", {
      input: tensor,
      indicesOrSections: either(
        int,
        arrayOf(int),
        custom("a Tensor", (v): v is Tensor => v instanceof Tensor),
      ),
      dim: opt(int, 0),
    }),
    addcmul: addc("addcmul"),
    addcdiv: addc("addcdiv"),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

function statMean(op: "stdMean" | "varMean", args: IArguments): [Tensor, Tensor] {
  const unbiasedForm = typeof args[1] === "boolean";
  const p = unbiasedForm
    ? {
        ...parseArgs(sigs()[`${op}Unbiased`], args),
        dim: null,
        keepDim: false,
        correction: undefined,
      }
    : parseArgs(sigs()[op], args);
  const x = p.input;
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `${op}: ${op === "stdMean" ? "std_mean" : "var_mean"} only support floating point dtypes (got ${x.dtype})`,
    );
  }
  const o = { keepDim: p.keepDim ?? false, correction: p.correction, unbiased: p.unbiased };
  const v = op === "stdMean" ? red.std(x, p.dim, o) : red.variance(x, p.dim, o);
  return [v, red.mean(x, p.dim, o.keepDim)];
}

/**
 * The standard deviation and the mean over `dim` in one call, as torch.std_mean(input, dim=None,
 * unbiased=True, keepdim=False, *, correction): `[std, mean]`.
 */
export function stdMean<D extends DType>(
  input: Tensor<D>,
  ...args:
    | [unbiased: boolean]
    | WithOptions<
        [dim: number | readonly number[] | null, unbiased: boolean, keepDim: boolean],
        StatMeanOptions
      >
): StatMean<D>;
export function stdMean(_input: Tensor, ..._args: unknown[]): StatMean {
  return statMean("stdMean", arguments);
}

/** The variance and the mean over `dim` in one call, as torch.var_mean: `[var, mean]`. */
export function varMean<D extends DType>(
  input: Tensor<D>,
  ...args:
    | [unbiased: boolean]
    | WithOptions<
        [dim: number | readonly number[] | null, unbiased: boolean, keepDim: boolean],
        StatMeanOptions
      >
): StatMean<D>;
export function varMean(_input: Tensor, ..._args: unknown[]): StatMean {
  return statMean("varMean", arguments);
}

/**
 * The minimum and maximum (over `dim`, or everything), as torch.aminmax(input, *, dim=None,
 * keepdim=False): `[min, max]` with fields `min` and `max`. Gradients flow as amin/amax's do
 * (PyTorch 1.13 has no aminmax gradient).
 */
export function aminmax<D extends DType>(
  input: Tensor<D>,
  options?: { dim?: number | null; keepDim?: boolean },
): MinMax<D>;
export function aminmax(_input: Tensor, _options?: unknown): MinMax {
  const p = parseArgs(sigs().aminmax, arguments);
  const x = p.input;
  const empty =
    p.dim === null ? x.numel() === 0 : x.shape[normalizeDim("aminmax", p.dim, x.ndim)] === 0;
  if (empty) {
    throw new ValueError(
      "aminmax: cannot compute aminmax over an empty dimension as the operation has no identity.",
    );
  }
  const dim = p.dim === null ? null : p.dim;
  const keep = p.dim === null ? false : p.keepDim;
  // bool is reduced as int32 and cast back (Kiln's amin/amax take numbers only)
  const src = x.dtype === "bool" ? el.cast(x, "int32") : x;
  const back = (t: Tensor) => (x.dtype === "bool" ? el.cast(t, "bool") : t);
  const lo = back(red.amax(src, "min", dim, keep));
  const hi = back(red.amax(src, "max", dim, keep));
  return namedTuple(["min", "max"], [lo, hi]) as unknown as MinMax;
}

/** The number of non-zero entries (over `dim`), an int32 tensor, as torch.count_nonzero. */
export function countNonzero(
  input: Tensor,
  ...args: WithOptions<
    [dim: number | readonly number[] | null],
    { dim?: number | readonly number[] | null }
  >
): Tensor<"int32">;
export function countNonzero(_input: Tensor, ..._args: unknown[]): Tensor<"int32"> {
  const p = parseArgs(sigs().countNonzero, arguments);
  const x = p.input;
  if (p.dim !== null) {
    const list = typeof p.dim === "number" ? [p.dim] : p.dim;
    const ds = normalizeDims("countNonzero", list, x.ndim);
    if (new Set(ds).size !== ds.length) {
      throw new ValueError(
        `countNonzero: dim ${ds.find((d, i) => ds.indexOf(d) !== i)} appears multiple times in the list of dims`,
      );
    }
  }
  return noGrad(() => red.sum(el.ne(x, 0), p.dim, false)) as Tensor<"int32">;
}

/** The indices of the non-zero entries, one row per entry `[n, ndim]`, as torch.argwhere. */
export function argwhere(input: Tensor): Tensor<"int32"> {
  parseArgs(sigs().argwhere, arguments);
  if (input.ndim === 0) {
    const nz = noGrad(() => el.ne(input, 0).item()) as boolean;
    return el.full([nz ? 1 : 0, 0], 0, "int32") as Tensor<"int32">;
  }
  return nonzero(input) as Tensor<"int32">;
}

/** `dim` expanded into `sizes` (one may be −1), as torch.unflatten (a view when possible). */
export function unflatten<D extends DType>(
  input: Tensor<D>,
  dim: number,
  sizes: readonly number[],
): Tensor<D>;
export function unflatten(_input: Tensor, _dim: number, _sizes: readonly number[]): Tensor {
  const p = parseArgs(sigs().unflatten, arguments);
  const x = p.input;
  const d = normalizeDim("unflatten", p.dim, x.ndim);
  if (p.sizes.length === 0) throw new ValueError("unflatten: sizes must be non-empty");
  const n = x.shape[d] ?? 1;
  const infer = p.sizes.filter((s) => s === -1).length;
  const known = p.sizes.reduce((a, s) => (s === -1 ? a : a * s), 1);
  const bad =
    infer > 1 ||
    p.sizes.some((s) => s < -1) ||
    (infer === 1 ? known === 0 || n % known !== 0 : known !== n);
  if (bad) {
    throw new ShapeError(
      `unflatten: Provided sizes [${p.sizes.join(", ")}] don't multiply up to the size of dim ${p.dim} (${n}) in the input tensor`,
    );
  }
  const sizes = p.sizes.map((s) => (s === -1 ? n / known : s));
  const shape = [...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)];
  const out = x.reshape(shape);
  // a reshape to the same shape returns x itself; unflatten always returns a view, as in PyTorch
  return out === x ? view(x, shape) : out;
}

/**
 * Views of `input` split along `dim` (default 0) into `sections` nearly equal parts (the first
 * `n % sections` one longer) or at the given indices, as torch.tensor_split.
 */
export function tensorSplit<D extends DType>(
  input: Tensor<D>,
  indicesOrSections: number | readonly number[] | Tensor,
  ...args: WithOptions<[dim: number], { dim?: number }>
): Tensor<D>[];
export function tensorSplit(_input: Tensor, _ios: unknown, ..._args: unknown[]): Tensor[] {
  const p = parseArgs(sigs().tensorSplit, arguments);
  const x = p.input;
  if (x.ndim === 0) {
    throw new ShapeError(
      "tensorSplit: expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
    );
  }
  const d = normalizeDim("tensorSplit", p.dim, x.ndim);
  const n = x.shape[d]!;
  let ios = p.indicesOrSections;
  if (ios instanceof Tensor) {
    if (isFloating(ios.dtype) || ios.dtype === "bool") {
      throw new DTypeError(
        `tensorSplit: expected tensor_indices_or_sections to have an integer dtype, but got ${ios.dtype}`,
      );
    }
    if (ios.ndim > 1) {
      throw new ShapeError(
        `tensorSplit: expected tensor_indices_or_sections to be a zero-dimensional or one-dimensional tensor, but got a tensor with ${ios.ndim} dims`,
      );
    }
    const vals = Array.from(ios.dataSync() as ArrayLike<number | bigint>, Number);
    ios = ios.ndim === 0 ? vals[0]! : vals;
  }
  const bounds: number[] = [];
  if (typeof ios === "number") {
    if (ios <= 0)
      throw new ValueError(`tensorSplit: number of sections must be larger than 0, got ${ios}`);
    const base = Math.floor(n / ios);
    const extra = n % ios;
    let at = 0;
    for (let i = 0; i < ios - 1; i++) {
      at += base + (i < extra ? 1 : 0);
      bounds.push(at);
    }
  } else {
    bounds.push(...ios);
  }
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const out: Tensor[] = [];
  let start = 0;
  for (const b of [...bounds, n]) {
    const s = clampIdx(start);
    const e = Math.max(clampIdx(b), s);
    out.push(narrow(x, d, s, e - s));
    start = b;
  }
  return out;
}

function addc(op: "addcmul" | "addcdiv", args: IArguments): Tensor {
  const p = parseArgs(sigs()[op], args);
  if (op === "addcdiv" && !isFloating(p.tensor1.dtype) && !isFloating(p.tensor2.dtype)) {
    throw new DTypeError(
      "addcdiv: Integer division with addcdiv is no longer supported; use " +
        "(input + value * trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs",
    );
  }
  const prod = op === "addcmul" ? el.mul(p.tensor1, p.tensor2) : el.div(p.tensor1, p.tensor2);
  const out = el.add(p.input, p.value === 1 ? prod : el.mul(prod, p.value));
  return named(out, op === "addcmul" ? "AddcmulBackward0" : "AddcdivBackward0", [
    p.input,
    p.tensor1,
    p.tensor2,
  ]);
}

/** `input + value · tensor1 · tensor2` (broadcast), as torch.addcmul(..., *, value=1). */
export function addcmul(
  input: Tensor,
  tensor1: Tensor,
  tensor2: Tensor,
  options?: { value?: number },
): Tensor;
export function addcmul(_i: Tensor, _a: Tensor, _b: Tensor, _o?: unknown): Tensor {
  return addc("addcmul", arguments);
}

/** `input + value · tensor1 / tensor2` (broadcast), as torch.addcdiv(..., *, value=1). */
export function addcdiv(
  input: Tensor,
  tensor1: Tensor,
  tensor2: Tensor,
  options?: { value?: number },
): Tensor;
export function addcdiv(_i: Tensor, _a: Tensor, _b: Tensor, _o?: unknown): Tensor {
  return addc("addcdiv", arguments);
}

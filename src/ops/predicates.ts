// Value tests and value clean-ups composed from elementwise ops: isinf, isfinite, isposinf,
// isneginf, isclose, allclose, equal, nanToNum, logit, sgn and clip, as torch's functions of those
// names. Gradients come from the ops they compose (where, clamp, log, div).
// Must not depend on nn or anything above ops.

import {
  bool,
  instanceOf,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { type DType, isFloating } from "../core/dtype.ts";
import { DTypeError, ValueError } from "../core/errors.ts";
import { named } from "../tensor/autograd.ts";
import { noGrad } from "../tensor/graph.ts";
import { type Operand, Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";

/** Options of isclose and allclose (PyTorch's defaults: rtol 1e-5, atol 1e-8, equalNan false). */
export interface IscloseOptions {
  rtol?: number;
  atol?: number;
  equalNan?: boolean;
}

/** Options of nanToNum: the replacements (default 0, and the dtype's largest and lowest). */
export interface NanToNumOptions {
  nan?: number | null;
  posinf?: number | null;
  neginf?: number | null;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const close = (op: string) =>
    signature(op, {
      input: tensor,
      other: tensor,
      rtol: opt(num, 1e-5),
      atol: opt(num, 1e-8),
      equalNan: opt(bool, false),
    });
  const nanToNum = (op: string) =>
    signature(op, {
      input: tensor,
      nan: opt(nullable(num), null),
      posinf: opt(nullable(num), null),
      neginf: opt(nullable(num), null),
    });
  return {
    one: (op: string) => signature(op, { input: tensor }),
    isclose: close("isclose"),
    allclose: close("allclose"),
    equal: signature("equal", { input: tensor, other: tensor }),
    nanToNum: nanToNum("nanToNum"),
    nanToNum_: nanToNum("nanToNum_"),
    logit: signature("logit", { input: tensor, eps: opt(nullable(num), null) }),
    logit_: signature("logit_", { input: tensor, eps: opt(nullable(num), null) }),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

function constantMask(x: Tensor, value: boolean): Tensor<"bool"> {
  return el.full(x.shape, value ? 1 : 0, "bool") as Tensor<"bool">;
}

/** Whether each element is ±∞ (a bool tensor), as torch.isinf; integers and bools are never. */
export function isinf(input: Tensor): Tensor<"bool"> {
  parseArgs(sigs().one("isinf"), arguments);
  if (!isFloating(input.dtype)) return constantMask(input, false);
  return noGrad(() => el.eq(el.abs(input), Number.POSITIVE_INFINITY)) as Tensor<"bool">;
}

/** Whether each element is +∞, as torch.isposinf. */
export function isposinf(input: Tensor): Tensor<"bool"> {
  parseArgs(sigs().one("isposinf"), arguments);
  if (!isFloating(input.dtype)) return constantMask(input, false);
  return noGrad(() => el.eq(input, Number.POSITIVE_INFINITY)) as Tensor<"bool">;
}

/** Whether each element is −∞, as torch.isneginf. */
export function isneginf(input: Tensor): Tensor<"bool"> {
  parseArgs(sigs().one("isneginf"), arguments);
  if (!isFloating(input.dtype)) return constantMask(input, false);
  return noGrad(() => el.eq(input, Number.NEGATIVE_INFINITY)) as Tensor<"bool">;
}

/** Whether each element is finite (not ±∞ nor NaN), as torch.isfinite. */
export function isfinite(input: Tensor): Tensor<"bool"> {
  parseArgs(sigs().one("isfinite"), arguments);
  if (!isFloating(input.dtype)) return constantMask(input, true);
  // x − x is 0 exactly when x is finite (∞ − ∞ and NaN − NaN are NaN).
  return noGrad(() => el.eq(el.sub(input, input), 0)) as Tensor<"bool">;
}

function iscloseImpl(
  op: string,
  a: Tensor,
  b: Tensor,
  rtol: number,
  atol: number,
  equalNan: boolean,
): Tensor<"bool"> {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(`${op}: ${a.dtype} did not match ${b.dtype} (the dtypes must be equal)`);
  }
  if (rtol < 0)
    throw new ValueError(`${op}: rtol must be greater than or equal to zero, but got ${rtol}`);
  if (atol < 0)
    throw new ValueError(`${op}: atol must be greater than or equal to zero, but got ${atol}`);
  return noGrad(() => {
    let close = el.eq(a, b);
    if (a.dtype === "bool") return close;
    if (equalNan && isFloating(a.dtype)) {
      close = el.logicalOr(close, el.logicalAnd(el.isnan(a), el.isnan(b)));
    }
    if (rtol === 0 && atol === 0) return close;
    // NOTE: integers are compared in the default float dtype, as PyTorch does.
    const fa = isFloating(a.dtype) ? a : el.cast(a, "float32");
    const fb = isFloating(b.dtype) ? b : el.cast(b, "float32");
    const allowed = el.add(el.mul(el.abs(fb), rtol), atol);
    const actual = el.abs(el.sub(fa, fb));
    const within = el.logicalAnd(el.eq(el.sub(actual, actual), 0), el.le(actual, allowed));
    return el.logicalOr(close, within);
  }) as Tensor<"bool">;
}

/**
 * Whether each pair is close: `|input − other| ≤ atol + rtol·|other|` (or equal; NaNs equal when
 * `equalNan`), broadcast, as torch.isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False).
 * The dtypes must match, as in PyTorch.
 */
export function isclose(
  input: Tensor,
  other: Tensor,
  ...args: WithOptions<[rtol: number, atol: number, equalNan: boolean], IscloseOptions>
): Tensor<"bool">;
export function isclose(_input: Tensor, _other: Tensor, ..._args: unknown[]): Tensor<"bool"> {
  const p = parseArgs(sigs().isclose, arguments);
  return iscloseImpl("isclose", p.input, p.other, p.rtol, p.atol, p.equalNan);
}

/** Whether every pair is close (see isclose), as torch.allclose; a JS boolean. */
export function allclose(
  input: Tensor,
  other: Tensor,
  ...args: WithOptions<[rtol: number, atol: number, equalNan: boolean], IscloseOptions>
): boolean;
export function allclose(_input: Tensor, _other: Tensor, ..._args: unknown[]): boolean {
  const p = parseArgs(sigs().allclose, arguments);
  const c = iscloseImpl("allclose", p.input, p.other, p.rtol, p.atol, p.equalNan);
  return c.all().item() as boolean;
}

/** Whether the two tensors have the same shape and equal elements, as torch.equal; a boolean. */
export function equal(input: Tensor, other: Tensor): boolean {
  parseArgs(sigs().equal, arguments);
  if (input.ndim !== other.ndim || input.shape.some((d, i) => d !== other.shape[i])) return false;
  return noGrad(() => el.eq(input, other).all().item() as boolean);
}

const FLOAT_MAX: Partial<Record<DType, number>> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

function nanToNumImpl(x: Tensor, nan: number | null, posinf: number | null, neginf: number | null) {
  if (!isFloating(x.dtype)) return el.clone(x);
  const big = FLOAT_MAX[x.dtype] ?? Number.MAX_VALUE;
  const hi = posinf ?? big;
  const lo = neginf ?? -big;
  const inner = el.where(el.eq(x, Number.NEGATIVE_INFINITY), lo, x);
  const mid = el.where(el.eq(x, Number.POSITIVE_INFINITY), hi, inner);
  return el.where(el.isnan(x), nan ?? 0, mid);
}

/**
 * NaN, +∞ and −∞ replaced by `nan` (default 0), `posinf` and `neginf` (default the dtype's
 * largest and lowest finite values), as torch.nan_to_num; integer and bool tensors are copied.
 * The gradient flows to the finite elements only.
 */
export function nanToNum<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<
    [nan: number | null, posinf: number | null, neginf: number | null],
    NanToNumOptions
  >
): Tensor<D>;
export function nanToNum(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().nanToNum, arguments);
  const out = nanToNumImpl(p.input, p.nan, p.posinf, p.neginf);
  return named(out, "NanToNumBackward0", [p.input]);
}

/** In-place `nanToNum`, as torch.Tensor.nan_to_num_; returns `input`. */
export function nanToNum_<T extends Tensor>(
  input: T,
  ...args: WithOptions<
    [nan: number | null, posinf: number | null, neginf: number | null],
    NanToNumOptions
  >
): T;
export function nanToNum_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().nanToNum_, arguments);
  return el.inplace(p.input, "nanToNum_", (x) => nanToNumImpl(x, p.nan, p.posinf, p.neginf), []);
}

function logitImpl(x: Tensor, eps: number | null): Tensor {
  const f = el.cast(x, isFloating(x.dtype) ? x.dtype : "float32");
  const z = eps === null ? f : el.clamp(f, eps, 1 - eps);
  // logit(z) = log(z / (1 − z)); d/dz = 1 / (z (1 − z)), zero where eps clamps, as PyTorch.
  return el.log(el.div(z, el.sub(1, z)));
}

/**
 * `log(p / (1 − p))` with p clamped to [eps, 1 − eps] when eps is given, as
 * torch.logit(input, eps=None); integer inputs give float32.
 */
export function logit<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[eps: number | null], { eps?: number | null }>
): Tensor;
export function logit(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().logit, arguments);
  return named(logitImpl(p.input, p.eps), "LogitBackward0", [p.input]);
}

/** In-place `logit`, as torch.Tensor.logit_; returns `input`. */
export function logit_<T extends Tensor>(
  input: T,
  ...args: WithOptions<[eps: number | null], { eps?: number | null }>
): T;
export function logit_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().logit_, arguments);
  return el.inplace(p.input, "logit_", (x) => logitImpl(x, p.eps), []);
}

/** The sign (−1, 0 or 1; bool stays bool), as torch.sgn on real tensors (torch.sign). */
export function sgn<D extends DType>(input: Tensor<D>): Tensor<D> {
  parseArgs(sigs().one("sgn"), arguments);
  if (input.dtype === "bool") return el.clone(input) as Tensor<D>;
  // NOTE: sgn(NaN) is 0 in PyTorch (the complex-safe formula), where Kiln's sign keeps NaN.
  return named(el.where(el.isnan(input), 0, el.sign(input)), "SgnBackward0", [input]) as Tensor<D>;
}

/** The same as clamp, as torch.clip (min and max may be tensors, numbers or null). */
export function clip(input: Tensor, min?: Operand | null, max?: Operand | null): Tensor {
  return input.clamp(min, max);
}

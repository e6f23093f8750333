// Elementwise ops: each primitive is one definition with its dtype rule, kernel and gradient.
// Also casts, copies and the in-place machinery shared by every `op_` method.

import type { BinaryOp, UnaryOp } from "../backend/backend.ts";
import { referenceBackend } from "../backend/reference/index.ts";
import { checkArity, showValue } from "../core/args.ts";
import {
  canCast,
  checkFits,
  type DType,
  isFloating,
  isHalf,
  resultType,
  toFloating,
} from "../core/dtype.ts";
import { AutogradError, DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { decodeHalf, encodeHalf } from "../core/half.ts";
import { broadcastShapes, formatShape, type Shape, shapeEquals } from "../core/shape.ts";
import { claimFresh, freshGrad, named, needsGrad, record } from "../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../tensor/graph.ts";
import type { Operand, ResultDType2, Tensor } from "../tensor/tensor.ts";
import {
  asTensorOf,
  backend,
  broadcastPair,
  broadcastView,
  empty,
  full,
  fusedKernels,
  isTensor,
  promotionOperand,
  uninitializedF32,
} from "./dispatch.ts";
import { expand, sumToShape } from "./movement.ts";

export { full };

// ---- unary --------------------------------------------------------------------------------

type UnaryDtype = "same" | "float" | "bool";
type UnaryGrad = (g: Tensor, x: Tensor, y: Tensor) => Tensor;
/** What the gradient reads: the input x, the output y, or neither (saved to catch in-place writes). */
type UnarySaves = "x" | "y" | "none";

function defineUnary(
  op: UnaryOp,
  gradName: string,
  dtypeRule: UnaryDtype,
  grad?: UnaryGrad,
  saves: UnarySaves = "none",
) {
  return (x: Tensor): Tensor => {
    if (op === "neg" && x.dtype === "bool") {
      throw new DTypeError(
        "neg: Negation, the `-` operator, on a bool tensor is not supported. If you are trying " +
          "to invert a mask, use logicalNot() instead.",
      );
    }
    const outDtype =
      dtypeRule === "bool" ? "bool" : dtypeRule === "float" ? toFloating(x.dtype) : x.dtype;
    const input = dtypeRule === "float" ? asTensorOf(x, outDtype) : x;
    // Every element is written by the kernel, so float32 outputs skip the zero fill.
    const out = outDtype === "float32" ? uninitializedF32(x.shape) : empty(x.shape, outDtype);
    backend().unary(op, input.view_(), out.view_());
    if (grad === undefined || !isFloating(outDtype) || !x.requiresGrad || !isGradEnabled()) {
      return out;
    }
    const saved = saves === "x" ? [input] : saves === "y" ? [out] : [];
    return record(out, gradName, [x], (g) => [grad(g, input, out)], saved);
  };
}

const zeroGrad: UnaryGrad = (g) => full(g.shape, 0, g.dtype);

// d(-x) = -dx
export const neg = defineUnary("neg", "NegBackward0", "same", (g) => neg(g));
// d|x| = sign(x) dx
export const abs = defineUnary("abs", "AbsBackward0", "same", (g, x) => mul(g, sign(x)), "x");
// d exp(x) = exp(x) dx
export const exp = defineUnary("exp", "ExpBackward0", "float", (g, _x, y) => mul(g, y), "y");
// d expm1(x) = (expm1(x) + 1) dx
export const expm1 = defineUnary(
  "expm1",
  "Expm1Backward0",
  "float",
  (g, _x, y) => mul(g, add(y, 1)),
  "y",
);
// d log(x) = dx / x
export const log = defineUnary("log", "LogBackward0", "float", (g, x) => div(g, x), "x");
// d log1p(x) = dx / (1 + x)
export const log1p = defineUnary(
  "log1p",
  "Log1PBackward0",
  "float",
  (g, x) => div(g, add(x, 1)),
  "x",
);
// d sqrt(x) = dx / (2 sqrt(x))
export const sqrt = defineUnary(
  "sqrt",
  "SqrtBackward0",
  "float",
  (g, _x, y) => div(g, mul(y, 2)),
  "y",
);
// d x^(-1/2) = -1/2 x^(-3/2) dx
export const rsqrt = defineUnary(
  "rsqrt",
  "RsqrtBackward0",
  "float",
  (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)),
  "y",
);
// d (1/x) = -1/x² dx
export const reciprocal = defineUnary(
  "reciprocal",
  "ReciprocalBackward0",
  "float",
  (g, _x, y) => mul(g, neg(mul(y, y))),
  "y",
);
// d sin(x) = cos(x) dx
export const sin = defineUnary("sin", "SinBackward0", "float", (g, x) => mul(g, cos(x)), "x");
// d cos(x) = -sin(x) dx
export const cos = defineUnary("cos", "CosBackward0", "float", (g, x) => mul(g, neg(sin(x))), "x");
// d tanh(x) = (1 - tanh²(x)) dx
export const tanh = defineUnary(
  "tanh",
  "TanhBackward0",
  "float",
  (g, _x, y) => mul(g, rsub(mul(y, y), 1)),
  "y",
);
// d σ(x) = σ(x)(1 - σ(x)) dx
export const sigmoid = defineUnary(
  "sigmoid",
  "SigmoidBackward0",
  "float",
  (g, _x, y) => mul(g, mul(y, rsub(y, 1))),
  "y",
);
// d relu(x) = [relu(x) > 0] dx
export const relu = defineUnary("relu", "ReluBackward0", "same", reluGrad, "y");

/** mul(g, gt(y, 0)) in one pass (and one output) when the backend has a fused kernel for it. */
function reluGrad(g: Tensor, _x: Tensor, y: Tensor): Tensor {
  const k = fusedKernels()?.reluBackward;
  if (
    k === undefined ||
    g.dtype !== "float32" ||
    y.dtype !== "float32" ||
    !g.isContiguous() ||
    !y.isContiguous() ||
    !shapeEquals(g.shape, y.shape)
  ) {
    return mul(g, gt(y, 0));
  }
  // A fresh gradient nobody else holds is overwritten in place (one large buffer fewer).
  const out = g.offset === 0 && claimFresh(g) ? g : uninitializedF32(y.shape);
  k(out.numel(), f32Of(y), f32Of(g), out.storage.data as Float32Array);
  return freshGrad(out)!;
}

function f32Of(t: Tensor): Float32Array {
  const d = t.storage.data as Float32Array;
  return t.offset === 0 ? d : d.subarray(t.offset);
}
// d erf(x) = 2/√π exp(-x²) dx
export const erf = defineUnary(
  "erf",
  "ErfBackward0",
  "float",
  (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
  "x",
);
// Piecewise constant: the gradient is zero almost everywhere, as in PyTorch.
export const sign = defineUnary("sign", "SignBackward0", "same", zeroGrad);
export const floor = defineUnary("floor", "FloorBackward0", "same", zeroGrad);
export const ceil = defineUnary("ceil", "CeilBackward0", "same", zeroGrad);
export const round = defineUnary("round", "RoundBackward0", "same", zeroGrad);
export const trunc = defineUnary("trunc", "TruncBackward0", "same", zeroGrad);
export const logicalNot = defineUnary("logicalNot", "", "bool");
export const isnan = defineUnary("isnan", "", "bool");

// ---- binary -------------------------------------------------------------------------------

/** "promote": torch.result_type; "float": promoted then made floating; "bool": a predicate. */
type BinaryDtype = "promote" | "float" | "compare" | "logical";
type BinaryGrad = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];
/** The operands each input's gradient reads ("a", "b", "y" for the output), as two strings. */
type BinarySaves = readonly [string, string];

function defineBinary(
  op: BinaryOp,
  gradName: string,
  dtypeRule: BinaryDtype,
  grad?: BinaryGrad,
  saves: BinarySaves = ["", ""],
) {
  return (aIn: Operand, bIn: Operand): Tensor => {
    // Two tensors of one dtype promote to it: skip the general rule on the hot path.
    let compute =
      isTensor(aIn) && isTensor(bIn) && aIn.dtype === bIn.dtype
        ? aIn.dtype
        : mixedDtype(op, aIn, bIn);
    if (dtypeRule === "float") compute = toFloating(compute);
    else if (compute === "int32") scalarsFit(op, aIn, bIn);
    if (op === "sub" && compute === "bool") {
      throw new DTypeError(
        "sub: Subtraction, the `-` operator, with two bool tensors is not supported. Use the " +
          "`^` or `logicalXor()` operator instead.",
      );
    }
    const a = dtypeRule === "logical" && isTensor(aIn) ? aIn : asTensorOf(aIn, compute);
    const b = dtypeRule === "logical" && isTensor(bIn) ? bIn : asTensorOf(bIn, compute);
    const shape = broadcastPair(op, a.shape, b.shape);
    const outDtype = dtypeRule === "compare" || dtypeRule === "logical" ? "bool" : compute;
    const out = outDtype === "float32" ? uninitializedF32(shape) : empty(shape, outDtype);
    backend().binary(op, broadcastView(a, shape), broadcastView(b, shape), out.view_());
    if (grad === undefined || !isFloating(outDtype) || !operandNeedsGrad(aIn, bIn)) return out;
    return record(
      out,
      gradName,
      [aIn, bIn],
      (g) => {
        const [ga, gb] = grad(g, a, b, out);
        return [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
      },
      savedFor(saves, aIn, bIn, { a, b, y: out }),
    );
  };
}

/** torch.result_type of two operands that are not two tensors of one dtype; checks their types. */
function mixedDtype(op: string, a: Operand, b: Operand): DType {
  checkOperand(op, "input", a);
  checkOperand(op, "other", b);
  return resultType([promotionOperand(a), promotionOperand(b)]);
}

/** Throws a ValueError unless `v` is a Tensor, a number or a boolean (an operand of `op`). */
export function checkOperand(op: string, name: string, v: unknown): void {
  if (!isTensor(v) && typeof v !== "number" && typeof v !== "boolean") {
    throw new ValueError(
      `${op}: argument "${name}" must be a Tensor, a number or a boolean, got ${showValue(v)}`,
    );
  }
}

/** Integer results never wrap: a JS number operand must fit int32 (see checkFits). */
function scalarsFit(op: string, a: Operand, b: Operand): void {
  if (typeof a === "number") checkFits(op, a, "int32");
  if (typeof b === "number") checkFits(op, b, "int32");
}

function operandNeedsGrad(a: Operand, b: Operand): boolean {
  return isGradEnabled() && ((isTensor(a) && a.requiresGrad) || (isTensor(b) && b.requiresGrad));
}

// Only what the gradients of the inputs that require grad read is saved, as in PyTorch, so an
// in-place write to an operand the backward never reads is not an error.
function savedFor(
  saves: BinarySaves,
  aIn: Operand,
  bIn: Operand,
  values: { a: Tensor; b: Tensor; y: Tensor },
): Tensor[] {
  let keys = "";
  if (isTensor(aIn) && aIn.requiresGrad) keys += saves[0];
  if (isTensor(bIn) && bIn.requiresGrad) keys += saves[1];
  const out: Tensor[] = [];
  for (const k of ["a", "b", "y"] as const) if (keys.includes(k)) out.push(values[k]);
  return out;
}

const rawAdd = defineBinary("add", "AddBackward0", "promote", (g) => [g, g]);
const rawSub = defineBinary("sub", "SubBackward0", "promote", (g) => [g, neg(g)]);
// d(ab) = b da + a db
export const mul = defineBinary(
  "mul",
  "MulBackward0",
  "promote",
  (g, a, b) => [mul(g, b), mul(g, a)],
  ["b", "a"],
);
// d(a/b) = da / b - a/b² db
export const div = defineBinary(
  "div",
  "DivBackward0",
  "float",
  (g, a, b) => [div(g, b), neg(div(mul(g, a), mul(b, b)))],
  ["b", "ab"],
);
// d(a^b) = b a^(b-1) da + a^b log(a) db, with PyTorch's zeros where b = 0 and where a = 0, b >= 0.
const rawPow = defineBinary(
  "pow",
  "PowBackward0",
  "promote",
  (g, a, b, y) => [
    mul(g, maskedZero(mul(b, pow(a, sub(b, 1))), eq(b, 0))),
    mul(g, maskedZero(mul(y, log(a)), logicalAnd(eq(a, 0), ge(b, 0)))),
  ],
  ["ab", "aby"],
);
// Ties send half the gradient to each side, as torch.maximum does.
export const maximum = defineBinary(
  "maximum",
  "MaximumBackward0",
  "promote",
  (g, a, b) => tieSplit(g, gt(a, b), eq(a, b)),
  ["ab", "ab"],
);
export const minimum = defineBinary(
  "minimum",
  "MinimumBackward0",
  "promote",
  (g, a, b) => tieSplit(g, lt(a, b), eq(a, b)),
  ["ab", "ab"],
);
// d remainder(a, b) = da - floor(a/b) db
export const remainder = defineBinary(
  "remainder",
  "RemainderBackward0",
  "promote",
  (g, a, b) => [g, mul(neg(g), floor(div(a, b)))],
  ["", "ab"],
);
// d fmod(a, b) = da - trunc(a/b) db
export const fmod = defineBinary(
  "fmod",
  "FmodBackward0",
  "promote",
  (g, a, b) => [g, mul(neg(g), trunc(div(a, b)))],
  ["", "ab"],
);
export const floorDivide = defineBinary("floorDivide", "", "promote");
export const eq = defineBinary("eq", "", "compare");
export const ne = defineBinary("ne", "", "compare");
export const lt = defineBinary("lt", "", "compare");
export const le = defineBinary("le", "", "compare");
export const gt = defineBinary("gt", "", "compare");
export const ge = defineBinary("ge", "", "compare");
export const logicalAnd = defineBinary("logicalAnd", "", "logical");
export const logicalOr = defineBinary("logicalOr", "", "logical");
export const logicalXor = defineBinary("logicalXor", "", "logical");

/** a^b elementwise; a tensor exponent records PowBackward1, a scalar one PowBackward0, as PyTorch. */
export function pow(a: Operand, b: Operand): Tensor {
  const y = rawPow(a, b);
  return isTensor(b) ? named(y, "PowBackward1", [b, ...(isTensor(a) ? [a] : [])]) : y;
}

/** a + alpha·b */
export function add(a: Operand, b: Operand, options?: { alpha?: number }): Tensor {
  const alpha = options?.alpha ?? 1;
  if (alpha !== 1) checkAlpha("add", a, b, alpha);
  return rawAdd(a, alpha === 1 ? b : mul(asTensorIfScalar(b), alpha));
}

/** a - alpha·b */
export function sub(a: Operand, b: Operand, options?: { alpha?: number }): Tensor {
  const alpha = options?.alpha ?? 1;
  if (alpha !== 1) checkAlpha("sub", a, b, alpha);
  return rawSub(a, alpha === 1 ? b : mul(asTensorIfScalar(b), alpha));
}

/** An alpha that an integer result cannot hold throws, as in PyTorch. */
function checkAlpha(op: string, a: Operand, b: Operand, alpha: number): void {
  checkOperand(op, "input", a);
  checkOperand(op, "other", b);
  if (resultType([promotionOperand(a), promotionOperand(b)]) === "int32") {
    checkFits(op, alpha, "int32");
  }
}

/** s - x, for a scalar s. */
function rsub(x: Tensor, s: number): Tensor {
  return rawSub(s, x);
}

function asTensorIfScalar(x: Operand): Tensor | number {
  return typeof x === "boolean" ? Number(x) : x;
}

function maskedZero(x: Tensor, mask: Tensor): Tensor {
  return where(mask, 0, x);
}

function tieSplit(g: Tensor, wins: Tensor, ties: Tensor): [Tensor, Tensor] {
  const half = mul(g, mul(ties, 0.5));
  return [add(mul(g, wins), half), add(mul(g, logicalNot(logicalOr(wins, ties))), half)];
}

/**
 * Clamps into [min, max]; either bound may be null. The gradient flows to x where it is inside
 * the bounds (inclusive), and to a tensor bound where it was applied, as torch.clamp.
 */
export function clamp(x: Tensor, min: Operand | null, max: Operand | null): Tensor {
  if (min === null && max === null) {
    throw new DTypeError("clamp: At least one of 'min' or 'max' must not be None");
  }
  const operands: Operand[] = [x];
  if (min !== null) operands.push(min);
  if (max !== null) operands.push(max);
  if (min !== null) checkOperand("clamp", "min", min);
  if (max !== null) checkOperand("clamp", "max", max);
  const dtype = resultType(operands.map(promotionOperand));
  if (typeof min === "number") checkFits("clamp", min, dtype);
  if (typeof max === "number") checkFits("clamp", max, dtype);
  const out = noGrad(() => {
    let y = asTensorOf(x, dtype);
    if (min !== null) y = maximum(y, min);
    if (max !== null) y = minimum(y, max);
    return y;
  });
  return record(
    out,
    "ClampBackward1",
    [x, min, max],
    (g) => {
      let inside: Tensor = full(x.shape, true, "bool");
      if (min !== null) inside = logicalAnd(inside, ge(x, min));
      if (max !== null) inside = logicalAnd(inside, le(x, max));
      const gx = mul(g, inside);
      const gmin = isTensor(min) ? sumToShape(mul(g, lt(x, min)), min.shape) : null;
      const gmax = isTensor(max) ? sumToShape(mul(g, gt(x, max)), max.shape) : null;
      return [gx, gmin, gmax];
    },
    [x],
  );
}

/**
 * Picks from `a` where `cond` is true and from `b` elsewhere, broadcasting all three; the
 * gradient goes to the side that was chosen, as torch.where; the dtype is torch.result_type(a, b).
 */
export function where<A extends Operand, B extends Operand>(
  cond: Tensor,
  a: A,
  b: B,
): Tensor<ResultDType2<A, B>>;
export function where(cond: Tensor, a: Operand, b: Operand): Tensor {
  if (arguments.length > 3) checkArity("where", arguments, 3);
  if (!isTensor(cond)) {
    throw new ValueError(`where: argument "condition" must be a Tensor, got ${showValue(cond)}`);
  }
  if (cond.dtype !== "bool") {
    throw new DTypeError(
      `where: expected condition to be a boolean tensor, but got a tensor with dtype ${cond.dtype}`,
    );
  }
  checkOperand("where", "input", a);
  checkOperand("where", "other", b);
  const dtype = resultType([promotionOperand(a), promotionOperand(b)]);
  if (typeof a === "number") checkFits("where", a, dtype);
  if (typeof b === "number") checkFits("where", b, dtype);
  const ta = asTensorOf(a, dtype);
  const tb = asTensorOf(b, dtype);
  const shape = broadcastShapes("where", cond.shape, ta.shape, tb.shape);
  const out = empty(shape, dtype);
  backend().where(
    broadcastView(cond, shape),
    broadcastView(ta, shape),
    broadcastView(tb, shape),
    out.view_(),
  );
  if (!isFloating(dtype)) return out;
  return record(
    out,
    "WhereBackward0",
    [cond, a, b],
    (g) => [null, sumToShape(where(cond, g, 0), ta.shape), sumToShape(where(cond, 0, g), tb.shape)],
    [cond],
  );
}

// ---- casts and copies ---------------------------------------------------------------------

/** A copy of `x` in `dtype` (x itself when it already has it), as torch.Tensor.to. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const out = empty(x.shape, dtype);
  if (isHalf(x.dtype) || isHalf(dtype)) convertHalf(x, out);
  else backend().unary("copy", x.view_(), out.view_());
  if (!isFloating(dtype)) return out;
  return record(out, "ToCopyBackward0", [x], (g) => [cast(g, x.dtype)]);
}

/** A contiguous copy that keeps the graph, as torch.clone. */
export function clone(x: Tensor): Tensor {
  const out = empty(x.shape, x.dtype);
  if (isHalf(x.dtype)) copyBits(x, out);
  else backend().unary("copy", x.view_(), out.view_());
  return record(out, "CloneBackward0", [x], (g) => [g]);
}

/** A tensor shaped like `x` filled with a scalar or a broadcast 0-d tensor. */
export function fullLikeOf(x: Tensor, value: Operand, op = "fill_"): Tensor {
  if (isTensor(value)) return expand(cast(value, x.dtype), x.shape);
  checkOperand(op, "value", value);
  checkFits(op, value, x.dtype);
  return full(x.shape, value, x.dtype);
}

/** Writes `src` (same shape, any dtype) into `dst`'s memory through dst's strides. */
function writeInto(dst: Tensor, src: Tensor): void {
  if (isHalf(dst.dtype) && src.dtype === dst.dtype) copyBits(src, dst);
  else backend().unary("copy", src.view_(), dst.view_());
  dst.storage.version++;
}

// float16 and bfloat16 are storage dtypes: no backend kernel reads them (Tensor.view_ refuses),
// so their copies and conversions, the only operations they have, run here on bit patterns.

/** `src`'s 16-bit patterns written through `dst`'s strides (same shape and dtype): exact. */
function copyBits(src: Tensor, dst: Tensor): void {
  const view = (t: Tensor) => ({
    data: t.storage.data,
    shape: t.shape,
    strides: t.strides,
    offset: t.offset,
  });
  referenceBackend.unary("copy", view(src), view(dst));
}

/**
 * `src` converted into the fresh contiguous `out`, where one side is float16 or bfloat16:
 * values pass through float32, as PyTorch converts a double or an int to Half through float,
 * and to the 16-bit formats with rounding to nearest even.
 */
function convertHalf(src: Tensor, out: Tensor): void {
  let values: Tensor;
  if (isHalf(src.dtype)) {
    const bits = empty(src.shape, src.dtype);
    copyBits(src, bits);
    const b = bits.storage.data;
    values = empty(src.shape, "float32");
    const f = values.storage.data;
    for (let i = 0; i < b.length; i++) f[i] = decodeHalf(src.dtype, b[i]!);
  } else values = cast(src, "float32").contiguous();
  const dtype = out.dtype;
  if (isHalf(dtype)) {
    const v = values.storage.data;
    const o = out.storage.data;
    for (let i = 0; i < o.length; i++) o[i] = encodeHalf(dtype, v[values.offset + i]!);
  } else backend().unary("copy", values.view_(), out.view_());
}

/**
 * relu_, in place without a copy: relu's gradient reads only its output, so the node saves `t`
 * itself after the write (PyTorch's relu_ saves its result the same way), where inplace() would
 * run relu on a copy and write the result back. Leaves and views that require grad go through
 * inplace(), which refuses them with PyTorch's errors.
 */
export function reluInplace<T extends Tensor>(t: T): T {
  const grad = needsGrad(t);
  if ((grad && (t.isLeaf || t.base !== null)) || t.dtype === "bool") {
    return inplace(t, "relu_", (x) => relu(x), []);
  }
  backend().unary("relu", t.view_(), t.view_());
  t.storage.version++;
  if (!grad) return t;
  return record(t, "ReluBackward0", [t], (g) => [reluGrad(g, t, t)], [t]) as T;
}

/**
 * Runs the out-of-place `fn` and writes its result into `t`, as every in-place op does. With
 * autograd on, `t` takes over the history of the result; the checks mirror PyTorch's.
 */
export function inplace<T extends Tensor>(
  t: T,
  name: string,
  fn: (x: Tensor) => Tensor,
  others: readonly unknown[],
  allowCast = false,
): T {
  const grad = needsGrad(t, ...others);
  if (grad && t.isLeaf && t.requiresGrad) {
    throw new AutogradError(
      `${name}: a leaf Variable that requires grad is being used in an in-place operation.`,
    );
  }
  if (grad && t.base?.requiresGrad) {
    throw new AutogradError(
      `${name}: in-place modification of a view of a tensor that requires grad is not supported; ` +
        "use the out-of-place op instead",
    );
  }
  let input: Tensor = t;
  if (grad) {
    // NOTE: the op reads a copy of t, so what it saves for backward is not overwritten by the
    // write below (PyTorch saves the original self of an in-place op the same way).
    input = noGrad(() => clone(t));
    if (t.gradFn !== null) input.setGradFn(t.gradFn);
  }
  const y = grad ? fn(input) : noGrad(() => fn(t));
  if (!shapeEquals(y.shape, t.shape)) {
    throw new ShapeError(
      `${name}: output with shape ${formatShape(t.shape)} doesn't match the broadcast shape ${formatShape(y.shape)}`,
    );
  }
  if (!allowCast && !canCast(y.dtype, t.dtype)) {
    throw new DTypeError(
      `${name}: result type ${y.dtype} can't be cast to the desired output type ${t.dtype}`,
    );
  }
  writeInto(t, y);
  if (grad && isGradEnabled() && y.gradFn !== null) t.setGradFn(y.gradFn);
  return t;
}

/** `dst.copy_(src)`: src broadcast to dst's shape and cast to its dtype, written in place. */
export function copyInto<T extends Tensor>(dst: T, src: Tensor): T {
  return inplace(dst, "copy_", () => cast(expand(src, dst.shape), dst.dtype), [src], true);
}

export type { Shape };

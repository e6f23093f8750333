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
import { claimFresh, freshGrad, linearGrad, named, needsGrad, record } from "../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../tensor/graph.ts";
import type { Operand, ResultDType2, Tensor } from "../tensor/tensor-class.ts";
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

// ---- the op table: unary ------------------------------------------------------------------

/** The VJP of a unary op: the input's gradient from the output's `g`, the input x and output y. */
type UnaryVjp = (g: Tensor, x: Tensor, y: Tensor) => Tensor;

/**
 * One step of an op's ONNX form, applied to the running value (the input, cast to the result
 * dtype unless `onnxInput` says otherwise): a node name (`"Exp"`), or a binary node with a scalar
 * (`["Sub", 1]`: value − 1; `["Sub", 1, "left"]`: 1 − value).
 */
export type OnnxStep = string | readonly [op: string, scalar: number, side?: "left"];
/** An op's ONNX form: its steps, or why there is none (the export then fails naming the op). */
export type OnnxForm = readonly OnnxStep[] | { readonly none: string };

/** A unary op with a floating result: a VJP is required (d/dx = 0 is written out). */
interface DifferentiableUnary {
  /** "same": the input's dtype; "float": the input made floating (bool and int32 → float32). */
  readonly dtype: "same" | "float";
  /** The autograd node's name, as PyTorch's grad_fn. */
  readonly node: string;
  readonly vjp: UnaryVjp;
  /** What the VJP reads (saved, so an in-place write to it is caught); nothing when absent. */
  readonly reads?: "x" | "y";
  readonly onnx: OnnxForm;
}
/** A predicate: a bool result and no gradient. */
interface PredicateUnary {
  readonly dtype: "bool";
  readonly vjp?: never;
  readonly onnx: OnnxForm;
  /** The ONNX input: cast to bool, or as it is. */
  readonly onnxInput: "bool" | "raw";
}
/** The definition of a unary op, beside its backend kernel (src/backend/elementwise-ops.ts). */
export type UnaryRule = DifferentiableUnary | PredicateUnary;

const zeroGrad: UnaryVjp = (g) => {
  const z = full(g.shape, 0, g.dtype);
  // createGraph: 0·g, whose own gradient is zero too.
  return isGradEnabled() ? linearGrad(z, g, "ZerosBackward0", () => full(g.shape, 0, g.dtype)) : z;
};

/**
 * Every unary op but `copy` (a movement, see clone/cast): typed over the backend's primitive
 * list, so an op without an entry, a floating op without a VJP, or an entry without an ONNX
 * form, does not compile. Each VJP carries its math as a comment.
 */
export const UNARY_RULES = {
  // d(-x) = -dx
  neg: { dtype: "same", node: "NegBackward0", vjp: (g) => neg(g), onnx: ["Neg"] },
  // d|x| = sign(x) dx
  abs: {
    dtype: "same",
    node: "AbsBackward0",
    vjp: (g, x) => mul(g, sign(x)),
    reads: "x",
    onnx: ["Abs"],
  },
  // d exp(x) = exp(x) dx
  exp: {
    dtype: "float",
    node: "ExpBackward0",
    vjp: (g, _x, y) => mul(g, y),
    reads: "y",
    onnx: ["Exp"],
  },
  // d expm1(x) = (expm1(x) + 1) dx
  expm1: {
    dtype: "float",
    node: "Expm1Backward0",
    vjp: (g, _x, y) => mul(g, add(y, 1)),
    reads: "y",
    onnx: ["Exp", ["Sub", 1]],
  },
  // d 2^x = 2^x ln 2 dx
  exp2: {
    dtype: "float",
    node: "Exp2Backward0",
    vjp: (g, _x, y) => mul(g, mul(y, Math.LN2)),
    reads: "y",
    onnx: [["Mul", Math.LN2], "Exp"],
  },
  // d log(x) = dx / x
  log: {
    dtype: "float",
    node: "LogBackward0",
    vjp: (g, x) => div(g, x),
    reads: "x",
    onnx: ["Log"],
  },
  // d log1p(x) = dx / (1 + x)
  log1p: {
    dtype: "float",
    node: "Log1PBackward0",
    vjp: (g, x) => div(g, add(x, 1)),
    reads: "x",
    onnx: [["Add", 1], "Log"],
  },
  // d log2(x) = dx / (x ln 2)
  log2: {
    dtype: "float",
    node: "Log2Backward0",
    vjp: (g, x) => div(g, mul(x, Math.LN2)),
    reads: "x",
    onnx: ["Log", ["Div", Math.LN2]],
  },
  // d log10(x) = dx / (x ln 10)
  log10: {
    dtype: "float",
    node: "Log10Backward0",
    vjp: (g, x) => div(g, mul(x, Math.LN10)),
    reads: "x",
    onnx: ["Log", ["Div", Math.LN10]],
  },
  // d sqrt(x) = dx / (2 sqrt(x))
  sqrt: {
    dtype: "float",
    node: "SqrtBackward0",
    vjp: (g, _x, y) => div(g, mul(y, 2)),
    reads: "y",
    onnx: ["Sqrt"],
  },
  // d x^(-1/2) = -1/2 x^(-3/2) dx
  rsqrt: {
    dtype: "float",
    node: "RsqrtBackward0",
    vjp: (g, _x, y) => mul(g, mul(pow(y, 3), -0.5)),
    reads: "y",
    onnx: ["Sqrt", "Reciprocal"],
  },
  // d (1/x) = -1/x² dx
  reciprocal: {
    dtype: "float",
    node: "ReciprocalBackward0",
    vjp: (g, _x, y) => mul(g, neg(mul(y, y))),
    reads: "y",
    onnx: ["Reciprocal"],
  },
  // d sin(x) = cos(x) dx
  sin: {
    dtype: "float",
    node: "SinBackward0",
    vjp: (g, x) => mul(g, cos(x)),
    reads: "x",
    onnx: ["Sin"],
  },
  // d cos(x) = -sin(x) dx
  cos: {
    dtype: "float",
    node: "CosBackward0",
    vjp: (g, x) => mul(g, neg(sin(x))),
    reads: "x",
    onnx: ["Cos"],
  },
  // d tan(x) = (1 + tan²(x)) dx
  tan: {
    dtype: "float",
    node: "TanBackward0",
    vjp: (g, _x, y) => mul(g, add(mul(y, y), 1)),
    reads: "y",
    onnx: ["Tan"],
  },
  // d asin(x) = dx / √(1 − x²)
  asin: {
    dtype: "float",
    node: "AsinBackward0",
    vjp: (g, x) => div(g, sqrt(rsub(mul(x, x), 1))),
    reads: "x",
    onnx: ["Asin"],
  },
  // d acos(x) = −dx / √(1 − x²)
  acos: {
    dtype: "float",
    node: "AcosBackward0",
    vjp: (g, x) => neg(div(g, sqrt(rsub(mul(x, x), 1)))),
    reads: "x",
    onnx: ["Acos"],
  },
  // d atan(x) = dx / (1 + x²)
  atan: {
    dtype: "float",
    node: "AtanBackward0",
    vjp: (g, x) => div(g, add(mul(x, x), 1)),
    reads: "x",
    onnx: ["Atan"],
  },
  // d sinh(x) = cosh(x) dx
  sinh: {
    dtype: "float",
    node: "SinhBackward0",
    vjp: (g, x) => mul(g, cosh(x)),
    reads: "x",
    onnx: ["Sinh"],
  },
  // d cosh(x) = sinh(x) dx
  cosh: {
    dtype: "float",
    node: "CoshBackward0",
    vjp: (g, x) => mul(g, sinh(x)),
    reads: "x",
    onnx: ["Cosh"],
  },
  // d tanh(x) = (1 - tanh²(x)) dx
  tanh: {
    dtype: "float",
    node: "TanhBackward0",
    vjp: (g, _x, y) => mul(g, rsub(mul(y, y), 1)),
    reads: "y",
    onnx: ["Tanh"],
  },
  // d asinh(x) = dx / √(x² + 1)
  asinh: {
    dtype: "float",
    node: "AsinhBackward0",
    vjp: (g, x) => div(g, sqrt(add(mul(x, x), 1))),
    reads: "x",
    onnx: ["Asinh"],
  },
  // d acosh(x) = dx / (√(x − 1) √(x + 1))
  acosh: {
    dtype: "float",
    node: "AcoshBackward0",
    vjp: (g, x) => div(g, mul(sqrt(sub(x, 1)), sqrt(add(x, 1)))),
    reads: "x",
    onnx: ["Acosh"],
  },
  // d atanh(x) = dx / (1 − x²)
  atanh: {
    dtype: "float",
    node: "AtanhBackward0",
    vjp: (g, x) => div(g, rsub(mul(x, x), 1)),
    reads: "x",
    onnx: ["Atanh"],
  },
  // d σ(x) = σ(x)(1 - σ(x)) dx
  sigmoid: {
    dtype: "float",
    node: "SigmoidBackward0",
    vjp: (g, _x, y) => mul(g, mul(y, rsub(y, 1))),
    reads: "y",
    onnx: ["Sigmoid"],
  },
  // d relu(x) = [relu(x) > 0] dx
  relu: { dtype: "same", node: "ReluBackward0", vjp: reluGrad, reads: "y", onnx: ["Relu"] },
  // d erf(x) = 2/√π exp(-x²) dx
  erf: {
    dtype: "float",
    node: "ErfBackward0",
    vjp: (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))),
    reads: "x",
    onnx: ["Erf"],
  },
  // d erfc(x) = −2/√π exp(−x²) dx
  erfc: {
    dtype: "float",
    node: "ErfcBackward0",
    vjp: (g, x) => mul(g, mul(exp(neg(mul(x, x))), -2 / Math.sqrt(Math.PI))),
    reads: "x",
    onnx: ["Erf", ["Sub", 1, "left"]],
  },
  // d erfinv(x) = √π/2 · exp(erfinv(x)²) dx
  erfinv: {
    dtype: "float",
    node: "ErfinvBackward0",
    vjp: (g, _x, y) => mul(g, mul(exp(mul(y, y)), Math.sqrt(Math.PI) / 2)),
    reads: "y",
    onnx: { none: "ONNX (opset 13 to 17) has no Erfinv" },
  },
  // d lgamma(x) = ψ(x) dx
  lgamma: {
    dtype: "float",
    node: "LgammaBackward0",
    vjp: (g, x) => mul(g, digamma(x)),
    reads: "x",
    onnx: { none: "ONNX (opset 13 to 17) has no Lgamma" },
  },
  // d ψ(x) = ψ′(x) dx (polygamma(1, x))
  digamma: {
    dtype: "float",
    node: "DigammaBackward0",
    vjp: (g, x) => mul(g, trigamma(x)),
    reads: "x",
    onnx: { none: "ONNX (opset 13 to 17) has no Digamma" },
  },
  // d ψ′(x) = ψ″(x) dx: polygamma(2, x) is not implemented, so this gradient throws.
  trigamma: {
    dtype: "float",
    node: "PolygammaBackward0",
    vjp: () => {
      throw new AutogradError(
        "polygamma: the gradient of polygamma(1, x) (the second derivative of digamma) needs " +
          "polygamma(2, x), which Kiln does not implement",
      );
    },
    onnx: { none: "ONNX (opset 13 to 17) has no Polygamma" },
  },
  // Piecewise constant: the gradient is zero almost everywhere, as in PyTorch.
  sign: { dtype: "same", node: "SignBackward0", vjp: zeroGrad, onnx: ["Sign"] },
  floor: { dtype: "same", node: "FloorBackward0", vjp: zeroGrad, onnx: ["Floor"] },
  ceil: { dtype: "same", node: "CeilBackward0", vjp: zeroGrad, onnx: ["Ceil"] },
  round: { dtype: "same", node: "RoundBackward0", vjp: zeroGrad, onnx: ["Round"] },
  trunc: {
    dtype: "same",
    node: "TruncBackward0",
    vjp: zeroGrad,
    onnx: { none: "ONNX (opset 13 to 17) has no Trunc" },
  },
  logicalNot: { dtype: "bool", onnx: ["Not"], onnxInput: "bool" },
  isnan: { dtype: "bool", onnx: ["IsNaN"], onnxInput: "raw" },
} as const satisfies { readonly [K in Exclude<UnaryOp, "copy">]: UnaryRule };

/** A unary op with a definition in UNARY_RULES. */
export type UnaryRuleName = keyof typeof UNARY_RULES;

function unaryOp(op: UnaryRuleName): (x: Tensor) => Tensor {
  const rule: UnaryRule = UNARY_RULES[op];
  return (x: Tensor): Tensor => {
    if (op === "neg" && x.dtype === "bool") {
      throw new DTypeError(
        "neg: Negation, the `-` operator, on a bool tensor is not supported. If you are trying " +
          "to invert a mask, use logicalNot() instead.",
      );
    }
    const outDtype =
      rule.dtype === "bool" ? "bool" : rule.dtype === "float" ? toFloating(x.dtype) : x.dtype;
    const input = rule.dtype === "float" ? asTensorOf(x, outDtype) : x;
    // Every element is written by the kernel, so float32 outputs skip the zero fill.
    const out = outDtype === "float32" ? uninitializedF32(x.shape) : empty(x.shape, outDtype);
    backend().unary(op, input.view_(), out.view_());
    if (rule.vjp === undefined || !isFloating(outDtype) || !x.requiresGrad || !isGradEnabled()) {
      return out;
    }
    const vjp = rule.vjp;
    const saved = rule.reads === "x" ? [input] : rule.reads === "y" ? [out] : [];
    return record(out, rule.node, [x], (g) => [vjp(g, input, out)], saved);
  };
}

export const neg = unaryOp("neg");
export const abs = unaryOp("abs");
export const exp = unaryOp("exp");
export const expm1 = unaryOp("expm1");
export const exp2 = unaryOp("exp2");
export const log = unaryOp("log");
export const log1p = unaryOp("log1p");
export const log2 = unaryOp("log2");
export const log10 = unaryOp("log10");
export const sqrt = unaryOp("sqrt");
export const rsqrt = unaryOp("rsqrt");
export const reciprocal = unaryOp("reciprocal");
export const sin = unaryOp("sin");
export const cos = unaryOp("cos");
export const tan = unaryOp("tan");
export const asin = unaryOp("asin");
export const acos = unaryOp("acos");
export const atan = unaryOp("atan");
export const sinh = unaryOp("sinh");
export const cosh = unaryOp("cosh");
export const tanh = unaryOp("tanh");
export const asinh = unaryOp("asinh");
export const acosh = unaryOp("acosh");
export const atanh = unaryOp("atanh");
export const sigmoid = unaryOp("sigmoid");
export const relu = unaryOp("relu");
export const erf = unaryOp("erf");
export const erfc = unaryOp("erfc");
export const erfinv = unaryOp("erfinv");
export const lgamma = unaryOp("lgamma");
export const digamma = unaryOp("digamma");
/** polygamma(1, x), the derivative of digamma (not exported at the root). */
export const trigamma = unaryOp("trigamma");
export const sign = unaryOp("sign");
export const floor = unaryOp("floor");
export const ceil = unaryOp("ceil");
export const round = unaryOp("round");
export const trunc = unaryOp("trunc");
export const logicalNot = unaryOp("logicalNot");
export const isnan = unaryOp("isnan");

/** mul(g, gt(y, 0)) in one pass (and one output) when the backend has a fused kernel for it. */
function reluGrad(g: Tensor, _x: Tensor, y: Tensor): Tensor {
  if (isGradEnabled()) return reluGradGraph(g, y);
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

/**
 * reluGrad while recording the gradient's graph (createGraph), as PyTorch's threshold_backward:
 * g·(y > 0), a node over g and y whose derivative is the same mask for g and zero for y (so y's
 * history, a bias for one, gets a zero gradient rather than none, as in PyTorch).
 */
function reluGradGraph(g: Tensor, y: Tensor): Tensor {
  const mask = noGrad(() => gt(y, 0));
  const out = noGrad(() => mul(g, mask));
  return record(out, "ThresholdBackwardBackward0", [g, y], (gg) => [
    mul(gg, mask),
    full(y.shape, 0, y.dtype),
  ]);
}

function f32Of(t: Tensor): Float32Array {
  const d = t.storage.data as Float32Array;
  return t.offset === 0 ? d : d.subarray(t.offset);
}

// ---- the op table: binary -----------------------------------------------------------------

/** The VJP of a binary op: both operands' gradients (before un-broadcasting); null: none. */
type BinaryVjp = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

/** A binary op with a numeric result: a VJP, or PyTorch's reason it has none. */
interface NumericBinary {
  /** "promote": torch.result_type; "float": promoted, then made floating. */
  readonly dtype: "promote" | "float";
  /** The autograd node's name, as PyTorch's grad_fn. */
  readonly node: string;
  readonly vjp: BinaryVjp | { readonly notDifferentiable: string };
  /** What each operand's gradient reads ("a", "b", "y"), saved only for operands that need it. */
  readonly reads?: readonly [string, string];
  /** The ONNX node, or why there is none. */
  readonly onnx: string | { readonly none: string };
  /** Integer attributes of the ONNX node. */
  readonly onnxAttrs?: Readonly<Record<string, number>>;
}
/** A comparison ("compare": operands promoted) or logical op (operands as they are): bool out. */
interface PredicateBinary {
  readonly dtype: "compare" | "logical";
  readonly vjp?: never;
  /** The ONNX node; `negate` adds a Not after it (ne is Not(Equal)). */
  readonly onnx: string | { readonly none: string };
  readonly negate?: boolean;
}
/** The definition of a binary op, beside its backend kernel (src/backend/elementwise-ops.ts). */
export type BinaryRule = NumericBinary | PredicateBinary;

/**
 * Every binary op, typed over the backend's primitive list like UNARY_RULES. The gradients are
 * un-broadcast to each operand's shape by the caller.
 */
export const BINARY_RULES = {
  add: { dtype: "promote", node: "AddBackward0", vjp: (g) => [g, g], onnx: "Add" },
  sub: { dtype: "promote", node: "SubBackward0", vjp: (g) => [g, neg(g)], onnx: "Sub" },
  // d(ab) = b da + a db
  mul: {
    dtype: "promote",
    node: "MulBackward0",
    vjp: (g, a, b) => [mul(g, b), mul(g, a)],
    reads: ["b", "a"],
    onnx: "Mul",
  },
  // d(a/b) = da / b - a/b² db
  div: {
    dtype: "float",
    node: "DivBackward0",
    vjp: (g, a, b) => [div(g, b), neg(div(mul(g, a), mul(b, b)))],
    reads: ["b", "ab"],
    onnx: "Div",
  },
  // d(a^b) = b a^(b-1) da + a^b log(a) db, with PyTorch's zeros where b = 0 and where a = 0, b >= 0.
  pow: {
    dtype: "promote",
    node: "PowBackward0",
    vjp: (g, a, b, y) => [
      mul(g, maskedZero(mul(b, pow(a, sub(b, 1))), eq(b, 0))),
      mul(g, maskedZero(mul(y, log(a)), logicalAnd(eq(a, 0), ge(b, 0)))),
    ],
    reads: ["ab", "aby"],
    onnx: "Pow",
  },
  // Ties send half the gradient to each side, as torch.maximum does.
  maximum: {
    dtype: "promote",
    node: "MaximumBackward0",
    vjp: (g, a, b) => tieSplit(g, gt(a, b), eq(a, b)),
    reads: ["ab", "ab"],
    onnx: "Max",
  },
  minimum: {
    dtype: "promote",
    node: "MinimumBackward0",
    vjp: (g, a, b) => tieSplit(g, lt(a, b), eq(a, b)),
    reads: ["ab", "ab"],
    onnx: "Min",
  },
  // d fmod(a, b) = da - trunc(a/b) db
  fmod: {
    dtype: "promote",
    node: "FmodBackward0",
    vjp: (g, a, b) => [g, mul(neg(g), trunc(div(a, b)))],
    reads: ["", "ab"],
    onnx: "Mod",
    onnxAttrs: { fmod: 1 },
  },
  // d remainder(a, b) = da - floor(a/b) db
  remainder: {
    dtype: "promote",
    node: "RemainderBackward0",
    vjp: (g, a, b) => [g, mul(neg(g), floor(div(a, b)))],
    reads: ["", "ab"],
    onnx: { none: "ONNX's Mod with fmod=0 is defined for integers only" },
  },
  // d atan2(a, b) = (b da − a db) / (a² + b²)
  atan2: {
    dtype: "float",
    node: "Atan2Backward0",
    vjp: (g, a, b) => {
      const r = div(g, add(mul(a, a), mul(b, b)));
      return [mul(r, b), neg(mul(r, a))];
    },
    reads: ["ab", "ab"],
    onnx: { none: "ONNX (opset 13 to 17) has no Atan2" },
  },
  // d hypot(a, b) = (a da + b db) / hypot(a, b)
  hypot: {
    dtype: "float",
    node: "HypotBackward0",
    vjp: (g, a, b, y) => [mul(g, div(a, y)), mul(g, div(b, y))],
    reads: ["ay", "by"],
    onnx: { none: "ONNX (opset 13 to 17) has no Hypot" },
  },
  // d logaddexp(a, b) = σ(a − b) da + σ(b − a) db
  logaddexp: {
    dtype: "float",
    node: "LogaddexpBackward0",
    vjp: (g, a, b) => [mul(g, sigmoid(sub(a, b))), mul(g, sigmoid(sub(b, a)))],
    reads: ["ab", "ab"],
    onnx: { none: "ONNX (opset 13 to 17) has no LogAddExp" },
  },
  // d xlogy(a, b) = log(b) da + a/b db, as xlogy(g, b); PyTorch zeroes da where a = 0 and b <= 0
  xlogy: {
    dtype: "float",
    node: "XlogyBackward0",
    vjp: (g, a, b) => [maskedZero(xlogy(g, b), logicalAnd(eq(a, 0), le(b, 0))), mul(g, div(a, b))],
    reads: ["ab", "ab"],
    onnx: { none: "ONNX (opset 13 to 17) has no Xlogy" },
  },
  floorDivide: {
    dtype: "promote",
    node: "FloorDivideBackward0",
    vjp: { notDifferentiable: "floor_divide has no derivative in PyTorch" },
    onnx: { none: "ONNX's Div truncates integers instead of flooring" },
  },
  eq: { dtype: "compare", onnx: "Equal" },
  ne: { dtype: "compare", onnx: "Equal", negate: true },
  lt: { dtype: "compare", onnx: "Less" },
  le: { dtype: "compare", onnx: "LessOrEqual" },
  gt: { dtype: "compare", onnx: "Greater" },
  ge: { dtype: "compare", onnx: "GreaterOrEqual" },
  logicalAnd: { dtype: "logical", onnx: "And" },
  logicalOr: { dtype: "logical", onnx: "Or" },
  logicalXor: { dtype: "logical", onnx: "Xor" },
} as const satisfies { readonly [K in BinaryOp]: BinaryRule };

function binaryOp(op: BinaryOp) {
  const rule: BinaryRule = BINARY_RULES[op];
  const vjp = typeof rule.vjp === "function" ? rule.vjp : undefined;
  const node = "node" in rule ? rule.node : "";
  const reads = ("reads" in rule ? rule.reads : undefined) ?? ["", ""];
  const dtypeRule = rule.dtype;
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
    if (!isFloating(outDtype) || !operandNeedsGrad(aIn, bIn)) return out;
    if (vjp === undefined) {
      return record(out, node, [aIn, bIn], () => {
        throw new AutogradError(`the derivative for '${op}' is not implemented.`);
      });
    }
    return record(
      out,
      node,
      [aIn, bIn],
      (g) => {
        const [ga, gb] = vjp(g, a, b, out);
        return [ga && sumToShape(ga, a.shape), gb && sumToShape(gb, b.shape)];
      },
      savedFor(reads, aIn, bIn, { a, b, y: out }),
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
  saves: readonly [string, string],
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

const rawAdd = binaryOp("add");
const rawSub = binaryOp("sub");
export const mul = binaryOp("mul");
export const div = binaryOp("div");
const rawPow = binaryOp("pow");
export const maximum = binaryOp("maximum");
export const minimum = binaryOp("minimum");
export const remainder = binaryOp("remainder");
export const fmod = binaryOp("fmod");
export const atan2 = binaryOp("atan2");
export const hypot = binaryOp("hypot");
export const logaddexp = binaryOp("logaddexp");
export const xlogy = binaryOp("xlogy");
export const floorDivide = binaryOp("floorDivide");
export const eq = binaryOp("eq");
export const ne = binaryOp("ne");
export const lt = binaryOp("lt");
export const le = binaryOp("le");
export const gt = binaryOp("gt");
export const ge = binaryOp("ge");
export const logicalAnd = binaryOp("logicalAnd");
export const logicalOr = binaryOp("logicalOr");
export const logicalXor = binaryOp("logicalXor");

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

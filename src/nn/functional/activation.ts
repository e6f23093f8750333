// The rectifier-family activations (relu, relu6, leakyRelu, elu, celu, selu, threshold,
// hardtanh) and gelu, silu, sigmoid, tanh, softplus, softmax, logSoftmax, as compositions of
// differentiable primitives. Numerically stable forms: softmax subtracts the row max; softplus and
// the ELUs never exponentiate large positive inputs. Arguments in PyTorch's order, positional or
// in one trailing options object (API.md rule 2). Depends on src/ops, src/tensor and src/core only.

import {
  bool,
  checkArity,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { where } from "../../ops/elementwise.ts";
import { wrapDim } from "../../ops/movement.ts";
import { named } from "../../tensor/autograd.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import {
  checkNonNegativeSlope,
  inplaceKeepingInput,
  inplaceSavingResult,
} from "./activation-inplace.ts";
import { tensorArg } from "./args.ts";
import { softmaxRows } from "./softmax-rows.ts";

const INPLACE_ONLY = { input: tensorArg, inplace: opt(bool, false) };
const RELU = signature("relu", INPLACE_ONLY);

/**
 * max(0, x), as torch.nn.functional.relu(input, inplace=False). With `inplace` the input is
 * overwritten and returned (its version bumped), as PyTorch's relu_.
 *
 * @example F.relu(x); F.relu(x, true); // in place
 */
export function relu(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(RELU, [x, ...rest]);
  return a.inplace ? a.input.relu_() : a.input.relu();
}

/** relu in place: F.relu(x, true), as torch.nn.functional.relu_(input). */
export function relu_(x: Tensor): Tensor {
  checkArity("relu_", arguments, 1);
  return parseArgs(RELU, [x]).input.relu_();
}

const LEAKY = signature("leakyRelu", {
  input: tensorArg,
  negativeSlope: opt(num, 0.01),
  inplace: opt(bool, false),
});

function leakyImpl(x: Tensor, slope: number, inplace: boolean, op: string): Tensor {
  const f = (t: Tensor) => named(where(t.gt(0), t, t.mul(slope)), "LeakyReluBackward0", [t]);
  if (!inplace) return f(x);
  return inplaceSavingResult(x, op, "LeakyReluBackward1", f, (g, y) => {
    checkNonNegativeSlope("leakyReLu", slope);
    return where(y.gt(0), g, g.mul(slope));
  });
}

/**
 * x for x > 0, negativeSlope·x otherwise, as torch.nn.functional.leaky_relu(input,
 * negative_slope=0.01, inplace=False). The gradient at 0 is negativeSlope, as PyTorch's.
 */
export function leakyRelu(
  x: Tensor,
  ...rest: WithOptions<
    [negativeSlope: number, inplace: boolean],
    { negativeSlope?: number; inplace?: boolean }
  >
): Tensor {
  const a = parseArgs(LEAKY, [x, ...rest]);
  return leakyImpl(a.input, a.negativeSlope, a.inplace, "leakyRelu");
}

/** leakyRelu in place, as torch.nn.functional.leaky_relu_(input, negative_slope=0.01). */
export function leakyRelu_(
  x: Tensor,
  ...rest: WithOptions<[negativeSlope: number], { negativeSlope?: number }>
): Tensor {
  const a = parseArgs(
    signature("leakyRelu_", { input: tensorArg, negativeSlope: opt(num, 0.01) }),
    [x, ...rest],
  );
  return leakyImpl(a.input, a.negativeSlope, true, "leakyRelu_");
}

/**
 * PyTorch's one ELU kernel: scale·x for x > 0, scale·α(e^(x·inputScale) − 1) otherwise; elu,
 * celu and selu are its three parametrisations. The gradient at 0 is the left one, as PyTorch's.
 */
function eluFamily(
  x: Tensor,
  alpha: number,
  scale: number,
  inputScale: number,
  inplace: boolean,
  op: string,
  node: string,
): Tensor {
  const f = (t: Tensor) => {
    // NOTE: expm1 of the clamped input keeps the unselected branch finite (no inf·0 = NaN grads).
    let neg = t.clamp(null, 0);
    if (inputScale !== 1) neg = neg.mul(inputScale);
    const y = where(t.gt(0), scale === 1 ? t : t.mul(scale), neg.expm1().mul(alpha * scale));
    return named(y, `${node}0`, [t]);
  };
  if (!inplace) return f(x);
  // d/dx from the result y: scale for y > 0, inputScale·(y + α·scale) otherwise.
  return inplaceSavingResult(x, op, `${node}1`, f, (g, y) => {
    checkNonNegativeSlope("elu", alpha);
    return where(y.gt(0), g.mul(scale), g.mul(y.add(alpha * scale).mul(inputScale)));
  });
}

const ELU = signature("elu", { input: tensorArg, alpha: opt(num, 1), inplace: opt(bool, false) });

/** x for x > 0, α(eˣ − 1) otherwise, as torch.nn.functional.elu(input, alpha=1.0, inplace=False). */
export function elu(
  x: Tensor,
  ...rest: WithOptions<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>
): Tensor {
  const a = parseArgs(ELU, [x, ...rest]);
  return eluFamily(a.input, a.alpha, 1, 1, a.inplace, "elu", "EluBackward");
}

/** elu in place, as torch.nn.functional.elu_(input, alpha=1.0). */
export function elu_(x: Tensor, ...rest: WithOptions<[alpha: number], { alpha?: number }>): Tensor {
  const a = parseArgs(signature("elu_", { input: tensorArg, alpha: opt(num, 1) }), [x, ...rest]);
  return eluFamily(a.input, a.alpha, 1, 1, true, "elu_", "EluBackward");
}

const CELU = signature("celu", { input: tensorArg, alpha: opt(num, 1), inplace: opt(bool, false) });

function celuImpl(x: Tensor, alpha: number, inplace: boolean, op: string): Tensor {
  if (alpha === 0) throw new ValueError(`${op}: alpha cannot be 0 for CELU`);
  return eluFamily(x, alpha, 1, 1 / alpha, inplace, op, "CeluBackward");
}

/**
 * max(0, x) + min(0, α(e^(x/α) − 1)), as torch.nn.functional.celu(input, alpha=1.0,
 * inplace=False); α = 0 throws a ValueError, as PyTorch's ZeroDivisionError.
 */
export function celu(
  x: Tensor,
  ...rest: WithOptions<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>
): Tensor {
  const a = parseArgs(CELU, [x, ...rest]);
  return celuImpl(a.input, a.alpha, a.inplace, "celu");
}

/** celu in place, as torch.nn.functional.celu_(input, alpha=1.0). */
export function celu_(
  x: Tensor,
  ...rest: WithOptions<[alpha: number], { alpha?: number }>
): Tensor {
  const a = parseArgs(signature("celu_", { input: tensorArg, alpha: opt(num, 1) }), [x, ...rest]);
  return celuImpl(a.input, a.alpha, true, "celu_");
}

/** SELU's α and scale (Klambauer et al. 2017; torch.nn.SELU's 1.6732632423543772848… and 1.0507009873554804934…, as doubles). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const SELU = signature("selu", INPLACE_ONLY);

/**
 * scale·(max(0, x) + min(0, α(eˣ − 1))) with α ≈ 1.6733 and scale ≈ 1.0507, as
 * torch.nn.functional.selu(input, inplace=False).
 */
export function selu(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(SELU, [x, ...rest]);
  return eluFamily(a.input, SELU_ALPHA, SELU_SCALE, 1, a.inplace, "selu", "EluBackward");
}

/** selu in place, as torch.nn.functional.selu_(input). */
export function selu_(x: Tensor): Tensor {
  checkArity("selu_", arguments, 1);
  const a = parseArgs(SELU, [x]);
  return eluFamily(a.input, SELU_ALPHA, SELU_SCALE, 1, true, "selu_", "EluBackward");
}

const THRESHOLD = signature("threshold", {
  input: tensorArg,
  threshold: num,
  value: num,
  inplace: opt(bool, false),
});

function thresholdImpl(x: Tensor, th: number, value: number, inplace: boolean, op: string) {
  const f = (t: Tensor) => named(where(t.gt(th), t, value), "ThresholdBackward0", [t]);
  return inplace ? inplaceKeepingInput(x, op, f, "ThresholdBackward1") : f(x);
}

/**
 * x where x > threshold, else value, as torch.nn.functional.threshold(input, threshold, value,
 * inplace=False); the gradient is zero at x = threshold, as PyTorch's.
 */
export function threshold(
  x: Tensor,
  th: number,
  value: number,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(THRESHOLD, [x, th, value, ...rest]);
  return thresholdImpl(a.input, a.threshold, a.value, a.inplace, "threshold");
}

/** threshold in place, as torch.nn.functional.threshold_(input, threshold, value). */
export function threshold_(x: Tensor, th: number, value: number): Tensor {
  checkArity("threshold_", arguments, 3);
  const a = parseArgs(THRESHOLD, [x, th, value]);
  return thresholdImpl(a.input, a.threshold, a.value, true, "threshold_");
}

const HARDTANH = signature("hardtanh", {
  input: tensorArg,
  minVal: opt(num, -1),
  maxVal: opt(num, 1),
  inplace: opt(bool, false),
});

function hardtanhImpl(x: Tensor, lo: number, hi: number, inplace: boolean, op: string): Tensor {
  const f = (t: Tensor) => {
    const inside = t.gt(lo).logicalAnd(t.lt(hi));
    return named(where(inside, t, t.detach().clamp(lo, hi)), "HardtanhBackward0", [t]);
  };
  return inplace ? inplaceKeepingInput(x, op, f) : f(x);
}

/**
 * clamp(x, minVal, maxVal), as torch.nn.functional.hardtanh(input, min_val=-1.0, max_val=1.0,
 * inplace=False). The gradient is zero at and beyond the bounds, as PyTorch's hardtanh_backward
 * (strict inequalities).
 */
export function hardtanh(
  x: Tensor,
  ...rest: WithOptions<
    [minVal: number, maxVal: number, inplace: boolean],
    { minVal?: number; maxVal?: number; inplace?: boolean }
  >
): Tensor {
  const a = parseArgs(HARDTANH, [x, ...rest]);
  return hardtanhImpl(a.input, a.minVal, a.maxVal, a.inplace, "hardtanh");
}

/** hardtanh in place, as torch.nn.functional.hardtanh_(input, min_val=-1.0, max_val=1.0). */
export function hardtanh_(
  x: Tensor,
  ...rest: WithOptions<[minVal: number, maxVal: number], { minVal?: number; maxVal?: number }>
): Tensor {
  const sig = signature("hardtanh_", {
    input: tensorArg,
    minVal: opt(num, -1),
    maxVal: opt(num, 1),
  });
  const a = parseArgs(sig, [x, ...rest]);
  return hardtanhImpl(a.input, a.minVal, a.maxVal, true, "hardtanh_");
}

const RELU6 = signature("relu6", INPLACE_ONLY);

/**
 * min(max(0, x), 6), as torch.nn.functional.relu6(input, inplace=False) (hardtanh(x, 0, 6):
 * zero gradient at 0 and 6).
 */
export function relu6(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(RELU6, [x, ...rest]);
  return hardtanhImpl(a.input, 0, 6, a.inplace, "relu6");
}

const GELU = signature(
  "gelu",
  { input: tensorArg },
  { approximate: opt(oneOf("none", "tanh"), "none") },
);

/**
 * Gaussian error linear unit, as torch.nn.functional.gelu(input, *, approximate='none'): exact
 * ½x(1 + erf(x/√2)), or with `approximate: "tanh"` ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 * PyTorch parity: `approximate` is keyword-only, as in PyTorch.
 */
export function gelu(x: Tensor, options?: { approximate?: "none" | "tanh" }): Tensor {
  const { input, approximate } = parseArgs(GELU, [x, options]);
  checkArity("gelu", arguments, 2);
  let y: Tensor;
  if (approximate === "tanh") {
    const inner = input.add(input.mul(input).mul(input).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    y = input.mul(0.5).mul(inner.tanh().add(1));
  } else y = input.mul(0.5).mul(input.mul(Math.SQRT1_2).erf().add(1));
  return named(y, "GeluBackward0", [input]);
}

const SILU = signature("silu", INPLACE_ONLY);

/** x·σ(x), as torch.nn.functional.silu(input, inplace=False). */
export function silu(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(SILU, [x, ...rest]);
  const f = (t: Tensor) => named(t.mul(t.sigmoid()), "SiluBackward0", [t]);
  return a.inplace ? inplaceKeepingInput(a.input, "silu", f) : f(a.input);
}

const SIGMOID = signature("sigmoid", { input: tensorArg });
const TANH = signature("tanh", { input: tensorArg });

/** 1/(1 + e^−x), as torch.sigmoid(input). */
export function sigmoid(x: Tensor): Tensor {
  checkArity("sigmoid", arguments, 1);
  return parseArgs(SIGMOID, [x]).input.sigmoid();
}

/** tanh(x), as torch.tanh(input). */
export function tanh(x: Tensor): Tensor {
  checkArity("tanh", arguments, 1);
  return parseArgs(TANH, [x]).input.tanh();
}

const SOFTPLUS = signature("softplus", {
  input: tensorArg,
  beta: opt(num, 1),
  threshold: opt(num, 20),
});

/**
 * log(1 + e^(βx))/β, and x where βx > threshold, as torch.nn.functional.softplus(input, beta=1,
 * threshold=20).
 */
export function softplus(
  x: Tensor,
  ...rest: WithOptions<[beta: number, threshold: number], { beta?: number; threshold?: number }>
): Tensor {
  const { input, beta, threshold } = parseArgs(SOFTPLUS, [x, ...rest]);
  const bx = input.mul(beta);
  const soft = bx.clamp(null, threshold).exp().log1p().div(beta);
  return named(where(bx.gt(threshold), input, soft), "SoftplusBackward0", [input]);
}

/**
 * PyTorch's `_get_softmax_dim`, the dim softmax uses when given `dim` null (deprecated there):
 * 0 for 0-, 1- and 3-D input, else 1.
 */
export function implicitSoftmaxDim(ndim: number): number {
  return ndim === 0 || ndim === 1 || ndim === 3 ? 0 : 1;
}

function softmaxDim(x: Tensor, dim: number | null): number {
  return dim ?? implicitSoftmaxDim(x.ndim);
}

/** Options of `softmax` and `logSoftmax`: the dimension and the dtype to cast the input to. */
export type SoftmaxOptions = { dim?: number | null; dtype?: "float32" | "float64" | null };

function softmaxSignature(op: string) {
  return signature(
    op,
    { input: tensorArg, dim: opt(nullable(int), null) },
    { dtype: opt(nullable(oneOf("float32", "float64")), null) },
  );
}
const SOFTMAX = softmaxSignature("softmax");
const LOG_SOFTMAX = softmaxSignature("logSoftmax");

/** softmax of `input` (already cast) along `dim`, recorded as PyTorch's SoftmaxBackward0. */
export function softmaxAlong(input: Tensor, dim: number): Tensor {
  return softmaxRows(input, dim, false) ?? softmaxComposite(input, dim);
}

/**
 * softmax or log-softmax of a tensor without elements: empty too, as PyTorch's (the composition's
 * max would refuse the empty dim). `dim` is still checked.
 */
function emptySoftmax(input: Tensor, dim: number, op: string, node: string): Tensor {
  wrapDim(op, dim, Math.max(input.ndim, 1));
  return named(input.mul(1), node, [input]);
}

/** softmaxAlong from primitives: the definition the fused kernels are held to. */
function softmaxComposite(input: Tensor, dim: number): Tensor {
  if (input.numel() === 0) return emptySoftmax(input, dim, "softmax", "SoftmaxBackward0");
  const e = input.sub(input.detach().amax(dim, { keepDim: true })).exp();
  return named(e.div(e.sum(dim, { keepDim: true })), "SoftmaxBackward0", [input]);
}

/** logSoftmax from primitives: the definition the fused kernels are held to. */
function logSoftmaxComposite(input: Tensor, dim: number): Tensor {
  if (input.numel() === 0) return emptySoftmax(input, dim, "logSoftmax", "LogSoftmaxBackward0");
  const shifted = input.sub(input.detach().amax(dim, { keepDim: true }));
  const y = shifted.sub(shifted.exp().sum(dim, { keepDim: true }).log());
  return named(y, "LogSoftmaxBackward0", [input]);
}

/**
 * exp(x − max) / Σ exp(x − max) along `dim`; rows sum to 1. As torch.nn.functional.softmax(input,
 * dim, *, dtype=None) (`dtype` casts the input first).
 * PyTorch parity: `dim` null picks PyTorch's legacy implicit dim (0 for 0-, 1-, 3-D input, else 1).
 */
export function softmax(
  x: Tensor,
  ...rest: WithOptions<[dim: number | null], SoftmaxOptions>
): Tensor {
  const a = parseArgs(SOFTMAX, [x, ...rest]);
  const input = a.dtype === null ? a.input : a.input.to(a.dtype);
  return softmaxAlong(input, softmaxDim(input, a.dim));
}

/** x − max − log Σ exp(x − max) along `dim`, as torch.nn.functional.log_softmax (as softmax). */
export function logSoftmax(
  x: Tensor,
  ...rest: WithOptions<[dim: number | null], SoftmaxOptions>
): Tensor {
  const a = parseArgs(LOG_SOFTMAX, [x, ...rest]);
  const input = a.dtype === null ? a.input : a.input.to(a.dtype);
  const dim = softmaxDim(input, a.dim);
  return softmaxRows(input, dim, true) ?? logSoftmaxComposite(input, dim);
}

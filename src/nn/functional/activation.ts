// Activation functions as compositions of differentiable primitives. Numerically stable forms:
// softmax subtracts the row max; softplus and ELU never exponentiate large positive inputs.
// Arguments in PyTorch's order, positional or in one trailing options object (API.md rule 2).
// Depends on src/ops, src/tensor and src/core only.

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
import { where } from "../../ops/elementwise.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";

/** With `inplace`, writes `y` into `x` and returns `x`, as PyTorch's in-place activations. */
function finish(x: Tensor, y: Tensor, inplace: boolean): Tensor {
  return inplace ? x.copy_(y) : y;
}

const RELU = signature("relu", { input: tensorArg, inplace: opt(bool, false) });

/**
 * max(0, x), as torch.nn.functional.relu(input, inplace=False).
 *
 * @example F.relu(x); F.relu(x, true); // in place
 */
export function relu(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(RELU, [x, ...rest]);
  return finish(a.input, a.input.relu(), a.inplace);
}

const LEAKY = signature("leakyRelu", {
  input: tensorArg,
  negativeSlope: opt(num, 0.01),
  inplace: opt(bool, false),
});

/**
 * x for x > 0, negativeSlope·x otherwise, as torch.nn.functional.leaky_relu(input,
 * negative_slope=0.01, inplace=False).
 */
export function leakyRelu(
  x: Tensor,
  ...rest: WithOptions<
    [negativeSlope: number, inplace: boolean],
    { negativeSlope?: number; inplace?: boolean }
  >
): Tensor {
  const a = parseArgs(LEAKY, [x, ...rest]);
  const y = where(a.input.gt(0), a.input, a.input.mul(a.negativeSlope));
  return finish(a.input, y, a.inplace);
}

const ELU = signature("elu", { input: tensorArg, alpha: opt(num, 1), inplace: opt(bool, false) });

/** x for x > 0, α(eˣ − 1) otherwise, as torch.nn.functional.elu(input, alpha=1.0, inplace=False). */
export function elu(
  x: Tensor,
  ...rest: WithOptions<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>
): Tensor {
  const a = parseArgs(ELU, [x, ...rest]);
  // NOTE: expm1 of the clamped input keeps the unselected branch finite (no inf·0 = NaN grads).
  const y = where(a.input.gt(0), a.input, a.input.clamp(null, 0).expm1().mul(a.alpha));
  return finish(a.input, y, a.inplace);
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
  if (approximate === "tanh") {
    const inner = input.add(input.mul(input).mul(input).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return input.mul(0.5).mul(inner.tanh().add(1));
  }
  return input.mul(0.5).mul(input.mul(Math.SQRT1_2).erf().add(1));
}

const SILU = signature("silu", { input: tensorArg, inplace: opt(bool, false) });

/** x·σ(x), as torch.nn.functional.silu(input, inplace=False). */
export function silu(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(SILU, [x, ...rest]);
  return finish(a.input, a.input.mul(a.input.sigmoid()), a.inplace);
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
  return where(bx.gt(threshold), input, soft);
}

const HARDTANH = signature("hardtanh", {
  input: tensorArg,
  minVal: opt(num, -1),
  maxVal: opt(num, 1),
  inplace: opt(bool, false),
});

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
  const { input, minVal, maxVal, inplace } = parseArgs(HARDTANH, [x, ...rest]);
  const inside = input.gt(minVal).logicalAnd(input.lt(maxVal));
  return finish(input, where(inside, input, input.detach().clamp(minVal, maxVal)), inplace);
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
  const dim = softmaxDim(input, a.dim);
  const e = input.sub(input.detach().amax(dim, { keepDim: true })).exp();
  return e.div(e.sum(dim, { keepDim: true }));
}

/** x − max − log Σ exp(x − max) along `dim`, as torch.nn.functional.log_softmax (as softmax). */
export function logSoftmax(
  x: Tensor,
  ...rest: WithOptions<[dim: number | null], SoftmaxOptions>
): Tensor {
  const a = parseArgs(LOG_SOFTMAX, [x, ...rest]);
  const input = a.dtype === null ? a.input : a.input.to(a.dtype);
  const dim = softmaxDim(input, a.dim);
  const shifted = input.sub(input.detach().amax(dim, { keepDim: true }));
  return shifted.sub(shifted.exp().sum(dim, { keepDim: true }).log());
}

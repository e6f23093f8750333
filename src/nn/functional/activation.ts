// Activation functions as compositions of differentiable primitives. Numerically stable forms:
// softmax subtracts the row max; softplus and ELU never exponentiate large positive inputs.
// Depends on src/ops and src/tensor only.

import { where } from "../../ops/elementwise.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** max(0, x), as torch.relu. */
export function relu(x: Tensor): Tensor {
  return x.relu();
}

/** x for x > 0, negativeSlope·x otherwise (default 0.01, as torch.nn.LeakyReLU). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return where(x.gt(0), x, x.mul(negativeSlope));
}

/** x for x > 0, α(eˣ − 1) otherwise (α = 1, as torch.nn.ELU). */
export function elu(x: Tensor, alpha = 1): Tensor {
  // NOTE: expm1 of the clamped input keeps the unselected branch finite (no inf·0 = NaN grads).
  return where(x.gt(0), x, x.clamp(null, 0).expm1().mul(alpha));
}

/**
 * Gaussian error linear unit, as torch.nn.functional.gelu: exact ½x(1 + erf(x/√2)), or with
 * `approximate: "tanh"` ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
export function gelu(x: Tensor, options: { approximate?: "none" | "tanh" } = {}): Tensor {
  if (options.approximate === "tanh") {
    const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
    return x.mul(0.5).mul(inner.tanh().add(1));
  }
  return x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
}

/** x·σ(x), as torch.nn.SiLU. */
export function silu(x: Tensor): Tensor {
  return x.mul(x.sigmoid());
}

export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}

export function tanh(x: Tensor): Tensor {
  return x.tanh();
}

/** log(1 + e^(βx))/β, and x where βx > threshold (β = 1, threshold = 20, as torch.nn.Softplus). */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  const bx = x.mul(beta);
  const soft = bx.clamp(null, threshold).exp().log1p().div(beta);
  return where(bx.gt(threshold), x, soft);
}

/**
 * clamp(x, minVal, maxVal) (−1, 1 as torch.nn.Hardtanh). The gradient is zero at and beyond the
 * bounds, as PyTorch's hardtanh_backward (strict inequalities).
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  const inside = x.gt(minVal).logicalAnd(x.lt(maxVal));
  return where(inside, x, x.detach().clamp(minVal, maxVal));
}

/** exp(x − max) / Σ exp(x − max) along `dim`; rows sum to 1. */
export function softmax(x: Tensor, dim: number): Tensor {
  const e = x.sub(x.detach().amax(dim, { keepDim: true })).exp();
  return e.div(e.sum(dim, { keepDim: true }));
}

/** x − max − log Σ exp(x − max) along `dim`, as torch.log_softmax. */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  const shifted = x.sub(x.detach().amax(dim, { keepDim: true }));
  return shifted.sub(shifted.exp().sum(dim, { keepDim: true }).log());
}

// nn.utils: gradient clipping and flattening parameters into one vector, as torch.nn.utils.

import { ValueError } from "../core/errors.ts";
import { full } from "../ops/dispatch.ts";
import { cat, stack } from "../ops/movement.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

type Params = Tensor | Iterable<Tensor>;

function list(params: Params): Tensor[] {
  return params instanceof Tensor ? [params] : [...params];
}

/**
 * Scales gradients in place so that their joint norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_: coef = min(1, maxNorm/(total + 1e-6)). Returns the total
 * norm (before clipping) as a 0-d tensor. `normType` may be Infinity.
 */
export function clipGradNorm_(
  params: Params,
  maxNorm: number,
  options: { normType?: number; errorIfNonfinite?: boolean } = {},
): Tensor {
  const normType = options.normType ?? 2;
  const grads = list(params)
    .map((p) => p.peekGrad())
    .filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return full([], 0, "float32");
  return noGrad(() => {
    let total: Tensor;
    if (normType === Number.POSITIVE_INFINITY) {
      total = stack(grads.map((g) => g.abs().amax())).amax();
    } else {
      const norms = grads.map((g) =>
        g
          .abs()
          .pow(normType)
          .sum()
          .pow(1 / normType),
      );
      total = stack(norms)
        .pow(normType)
        .sum()
        .pow(1 / normType);
    }
    const t = total.item() as number;
    if (options.errorIfNonfinite && !Number.isFinite(t)) {
      throw new ValueError(
        `clipGradNorm_: The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped.`,
      );
    }
    const coef = Math.min(maxNorm / (t + 1e-6), 1);
    for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps every gradient to [−clipValue, clipValue] in place, as clip_grad_value_. */
export function clipGradValue_(params: Params, clipValue: number): void {
  noGrad(() => {
    for (const p of list(params)) p.peekGrad()?.clamp_(-clipValue, clipValue);
  });
}

/** The parameters flattened and concatenated into one 1-D tensor (differentiable). */
export function parametersToVector(params: Params): Tensor {
  return cat(list(params).map((p) => p.reshape(-1)));
}

/** Copies consecutive slices of `vec` into the parameters, as vector_to_parameters. */
export function vectorToParameters(vec: Tensor, params: Params): void {
  const ps = list(params);
  const total = ps.reduce((a, p) => a + p.numel(), 0);
  if (vec.ndim !== 1 || vec.numel() !== total) {
    throw new ValueError(
      `vectorToParameters: expected a 1-D vector of ${total} elements, got shape [${vec.shape.join(", ")}]`,
    );
  }
  noGrad(() => {
    let k = 0;
    for (const p of ps) {
      p.copy_(vec.narrow(0, k, p.numel()).reshape(p.shape));
      k += p.numel();
    }
  });
}

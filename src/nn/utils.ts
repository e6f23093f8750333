// nn.utils: gradient clipping and flattening parameters into one vector, as torch.nn.utils.
// Arguments in PyTorch's order, positional or in one trailing options object (API.md rule 2).

import {
  bool,
  checkArity,
  custom,
  instanceOf,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { full } from "../ops/dispatch.ts";
import { cat, stack } from "../ops/movement.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

/** The tensors to work on: one tensor or an iterable of tensors. */
export type Params = Tensor | Iterable<Tensor>;

const paramsArg = custom(
  "a Tensor or an iterable of Tensors",
  (v): v is Params =>
    v instanceof Tensor ||
    (typeof v === "object" &&
      v !== null &&
      typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === "function"),
);
const CLIP_NORM = signature("clipGradNorm_", {
  parameters: paramsArg,
  maxNorm: num,
  normType: opt(num, 2),
  errorIfNonfinite: opt(bool, false),
});
const CLIP_VALUE = signature("clipGradValue_", { parameters: paramsArg, clipValue: num });
const TO_VECTOR = signature("parametersToVector", { parameters: paramsArg });
const FROM_VECTOR = signature("vectorToParameters", {
  vec: instanceOf(Tensor, "a Tensor"),
  parameters: paramsArg,
});

function list(params: Params): Tensor[] {
  return params instanceof Tensor ? [params] : [...params];
}

/**
 * Scales gradients in place so that their joint norm is at most `maxNorm`, as
 * torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
 * coef = min(1, maxNorm/(total + 1e-6)). Returns the total norm (before clipping) as a 0-d
 * tensor. `normType` may be Infinity.
 *
 * @example nn.utils.clipGradNorm_(model.parameters(), 1.0, Infinity); // = (..., 1.0, { normType: Infinity })
 */
export function clipGradNorm_(
  params: Params,
  maxNorm: number,
  ...rest: WithOptions<
    [normType: number, errorIfNonfinite: boolean],
    { normType?: number; errorIfNonfinite?: boolean }
  >
): Tensor {
  const options = parseArgs(CLIP_NORM, [params, maxNorm, ...rest]);
  const normType = options.normType;
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

/**
 * Clamps every gradient to [−clipValue, clipValue] in place, as
 * torch.nn.utils.clip_grad_value_(parameters, clip_value).
 */
export function clipGradValue_(params: Params, clipValue: number): void {
  checkArity("clipGradValue_", arguments, 2);
  parseArgs(CLIP_VALUE, [params, clipValue]);
  noGrad(() => {
    for (const p of list(params)) p.peekGrad()?.clamp_(-clipValue, clipValue);
  });
}

/** The parameters flattened and concatenated into one 1-D tensor (differentiable). */
export function parametersToVector(params: Params): Tensor {
  checkArity("parametersToVector", arguments, 1);
  parseArgs(TO_VECTOR, [params]);
  return cat(list(params).map((p) => p.reshape(-1)));
}

/** Copies consecutive slices of `vec` into the parameters, as vector_to_parameters. */
export function vectorToParameters(vec: Tensor, params: Params): void {
  checkArity("vectorToParameters", arguments, 2);
  parseArgs(FROM_VECTOR, [vec, params]);
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

export * as rnn from "./rnn-utils.ts";
export { removeSpectralNorm, spectralNorm } from "./spectral-norm.ts";
export { removeWeightNorm, weightNorm } from "./weight-norm.ts";

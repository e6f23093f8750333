// Instance normalisation (per-sample, per-channel statistics, with PyTorch's running-stats
// update) and local response normalisation (across channels), composed from reductions, a
// window average and elementwise ops. Arguments in PyTorch's order, positional or in one
// trailing options object (API.md rule 2). Depends on src/ops and src/tensor, never on layers.

import { bool, int, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { full } from "../../ops/dispatch.ts";
import { cat } from "../../ops/movement.ts";
import { avgPoolNd } from "../../ops/window.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { optTensor, tensorArg } from "./args.ts";

/**
 * Options of `instanceNorm` after the input; defaults running stats, weight and bias null,
 * useInputStats true, momentum 0.1, eps 1e-5, as torch.nn.functional.instance_norm.
 */
export interface InstanceNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  useInputStats?: boolean;
  momentum?: number;
  eps?: number;
}

const INSTANCE_NORM = signature("instanceNorm", {
  input: tensorArg,
  runningMean: optTensor,
  runningVar: optTensor,
  weight: optTensor,
  bias: optTensor,
  useInputStats: opt(bool, true),
  momentum: opt(num, 0.1),
  eps: opt(num, 1e-5),
});

/**
 * Normalises each channel of each sample over its spatial dims, as
 * torch.nn.functional.instance_norm(input, running_mean=None, running_var=None, weight=None,
 * bias=None, use_input_stats=True, momentum=0.1, eps=1e-05): `[N, C, *] → [N, C, *]`,
 * y = (x − mean)/√(var + eps)·weight + bias (biased variance). With `useInputStats` the running
 * stats (if given) move towards the batch average of the per-sample stats (unbiased variance);
 * otherwise they normalise.
 */
export function instanceNorm(
  x: Tensor,
  ...rest: WithOptions<
    [
      runningMean: Tensor | null,
      runningVar: Tensor | null,
      weight: Tensor | null,
      bias: Tensor | null,
      useInputStats: boolean,
      momentum: number,
      eps: number,
    ],
    InstanceNormOptions
  >
): Tensor {
  const a = parseArgs(INSTANCE_NORM, [x, ...rest]);
  const { runningMean, runningVar, momentum, eps } = a;
  if (x.ndim < 2)
    throw new ShapeError(`instanceNorm: expected at least 2-D input, got ${formatShape(x.shape)}`);
  const [N, C] = x.shape as [number, number];
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  for (const [name, t] of [
    ["weight", a.weight],
    ["bias", a.bias],
    ["running_mean", runningMean],
    ["running_var", runningVar],
  ] as const) {
    if (t !== null && t.numel() !== C) {
      throw new ShapeError(
        `instanceNorm: ${name} should contain ${C} elements not ${t.numel()} (input ${formatShape(x.shape)})`,
      );
    }
  }
  let mean: Tensor;
  let varb: Tensor;
  if (a.useInputStats) {
    const n = x.numel() / Math.max(N * C, 1);
    if (n <= 1) {
      throw new ValueError(
        `instanceNorm: Expected more than 1 spatial element when training, got input size ${formatShape(x.shape)}`,
      );
    }
    const dims = x.shape.map((_, i) => i).slice(2);
    mean = x.mean(dims, { keepDim: true });
    varb = x.var(dims, { keepDim: true, correction: 0 });
    noGrad(() => {
      if (runningMean !== null) {
        const m = mean.reshape(N, C).mean(0).mul(momentum);
        runningMean.mul_(1 - momentum).add_(m);
      }
      if (runningVar !== null) {
        const v = varb
          .reshape(N, C)
          .mean(0)
          .mul((momentum * n) / (n - 1));
        runningVar.mul_(1 - momentum).add_(v);
      }
    });
  } else {
    if (runningMean === null || runningVar === null) {
      throw new ValueError(
        "instanceNorm: Expected running_mean and running_var to be defined when use_input_stats is false",
      );
    }
    mean = runningMean.reshape(bshape);
    varb = runningVar.reshape(bshape);
  }
  let y = x.sub(mean).mul(varb.add(eps).rsqrt());
  if (a.weight !== null) y = y.mul(a.weight.reshape(bshape));
  if (a.bias !== null) y = y.add(a.bias.reshape(bshape));
  return y;
}

const LRN = signature("localResponseNorm", {
  input: tensorArg,
  size: int,
  alpha: opt(num, 1e-4),
  beta: opt(num, 0.75),
  k: opt(num, 1),
});

/**
 * Local response normalisation across channels, as torch.nn.functional.local_response_norm(
 * input, size, alpha=0.0001, beta=0.75, k=1.0): `[N, C, *] → [N, C, *]`,
 * y_c = x_c / (k + α/n·Σ_{c' in window of size n around c} x_c'²)^β, zero-padded at the ends.
 */
export function localResponseNorm(
  x: Tensor,
  size: number,
  ...rest: WithOptions<
    [alpha: number, beta: number, k: number],
    { alpha?: number; beta?: number; k?: number }
  >
): Tensor {
  const a = parseArgs(LRN, [x, size, ...rest]);
  if (x.ndim < 3) {
    throw new ValueError(
      `localResponseNorm: Expected 3D or higher dimensionality input (got ${x.ndim} dimensions)`,
    );
  }
  if (a.size <= 0) throw new ValueError(`localResponseNorm: size must be positive, got ${a.size}`);
  if (x.numel() === 0) return x;
  const [N, C] = x.shape as [number, number];
  const sq = x.mul(x).reshape(N, 1, C, -1);
  const lo = Math.floor(a.size / 2);
  const hi = Math.floor((a.size - 1) / 2);
  const R = sq.shape[3]!;
  const parts = [sq];
  if (lo > 0) parts.unshift(full([N, 1, lo, R], 0, x.dtype));
  if (hi > 0) parts.push(full([N, 1, hi, R], 0, x.dtype));
  const padded = parts.length > 1 ? cat(parts, 2) : sq;
  const w = { kernel: [a.size, 1], stride: [1, 1], dilation: [1, 1], padLo: [0, 0], padHi: [0, 0] };
  const div = avgPoolNd(padded, w, [C, R], true, null).reshape(x.shape);
  return x.div(div.mul(a.alpha).add(a.k).pow(a.beta));
}

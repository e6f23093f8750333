// InstanceNorm1d/2d/3d (per-sample, per-channel normalisation, PyTorch's _InstanceNorm: no
// affine and no running stats by default) and LocalResponseNorm, over the function forms in
// functional/instance-norm.ts. Depends on nn's module machinery (and norm-state.ts), never on other
// layers.

import { bool, int, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg } from "../functional/args.ts";
import { instanceNorm, localResponseNorm } from "../functional/instance-norm.ts";
import { getBuffer, Module } from "../module.ts";
import type { Parameter } from "../parameter.ts";
import { pyBool, pyFloat } from "../repr.ts";
import { initNormState, resetAffine, resetRunningStats } from "./norm-state.ts";

/**
 * Options of InstanceNorm1d/2d/3d after `numFeatures`; defaults eps 1e-5, momentum 0.1,
 * affine false, trackRunningStats false, dtype float32 (PyTorch 1.13's).
 */
export interface InstanceNormOptions {
  eps?: number;
  momentum?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: "float32" | "float64";
}

/** The arguments of InstanceNorm1d/2d/3d after `numFeatures`, positional or as options. */
export type InstanceNormArgs = WithOptions<
  [eps: number, momentum: number, affine: boolean, trackRunningStats: boolean],
  InstanceNormOptions
>;

function instanceNormSignature(op: string) {
  return signature(
    op,
    {
      numFeatures: int,
      eps: opt(num, 1e-5),
      momentum: opt(num, 0.1),
      affine: opt(bool, false),
      trackRunningStats: opt(bool, false),
    },
    { dtype: floatDtypeArg },
  );
}

abstract class InstanceNormNd extends Module {
  /** C, the number of channels. */
  readonly numFeatures: number;
  /** Added to the variance for numerical stability (default 1e-5). */
  readonly eps: number;
  /** Weight of the newest batch in the running stats (default 0.1). */
  readonly momentum: number;
  /** Whether the layer has a learnable per-channel weight and bias (default false). */
  readonly affine: boolean;
  /** Whether running stats are kept and used in eval mode (default false). */
  readonly trackRunningStats: boolean;
  /** γ `[numFeatures]`, initialised to ones; null when not affine. */
  weight!: Parameter | null; // assigned by initNormState
  /** β `[numFeatures]`, initialised to zeros; null when not affine. */
  bias!: Parameter | null;

  /** The number of spatial dims (1, 2 or 3). */
  readonly #n: number;

  constructor(n: number, args: unknown[]) {
    super();
    this.#n = n;
    const o = parseArgs(instanceNormSignature(`nn.InstanceNorm${n}d`), args);
    const C = o.numFeatures;
    this.numFeatures = C;
    this.eps = o.eps;
    this.momentum = o.momentum;
    this.affine = o.affine;
    this.trackRunningStats = o.trackRunningStats;
    initNormState(this, C, this.affine, this.trackRunningStats, o.dtype);
  }

  /** The running mean buffer (`running_mean` in the state dict), or null. */
  get runningMean(): Tensor | null {
    return getBuffer(this, "running_mean");
  }
  /** The running variance buffer (`running_var` in the state dict), or null. */
  get runningVar(): Tensor | null {
    return getBuffer(this, "running_var");
  }

  /** Resets the running mean to 0 and variance to 1, γ to ones and β to zeros. */
  resetParameters(): void {
    resetRunningStats(this);
    resetAffine(this);
  }

  override forward(x: Tensor): Tensor {
    const n = this.#n;
    if (x.ndim !== n + 1 && x.ndim !== n + 2) {
      throw new ValueError(
        `${this.constructor.name}: expected ${n + 1}D or ${n + 2}D input (got ${x.ndim}D input)`,
      );
    }
    const unbatched = x.ndim === n + 1;
    const b = unbatched ? x.unsqueeze(0) : x;
    const y = instanceNorm(b, this.runningMean, this.runningVar, {
      weight: this.weight,
      bias: this.bias,
      useInputStats: this.training || !this.trackRunningStats,
      momentum: this.momentum,
      eps: this.eps,
    });
    return unbatched ? y.squeeze(0) : y;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Instance normalisation over `[N, C, L]` (or unbatched `[C, L]`), as
 * torch.nn.InstanceNorm1d(num_features, eps=1e-05, momentum=0.1, affine=False,
 * track_running_stats=False): each (sample, channel) row normalised by its own mean and biased
 * variance. With trackRunningStats, eval mode uses the running stats instead.
 */
export class InstanceNorm1d extends InstanceNormNd {
  /** Creates the layer from `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)`. */
  constructor(numFeatures: number, ...rest: InstanceNormArgs) {
    super(1, [numFeatures, ...rest]);
  }
}

/** Instance normalisation over `[N, C, H, W]` (or `[C, H, W]`), as torch.nn.InstanceNorm2d. */
export class InstanceNorm2d extends InstanceNormNd {
  /** Creates the layer from `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)`. */
  constructor(numFeatures: number, ...rest: InstanceNormArgs) {
    super(2, [numFeatures, ...rest]);
  }
}

/**
 * Instance normalisation over `[N, C, D, H, W]` (or `[C, D, H, W]`), as torch.nn.InstanceNorm3d.
 */
export class InstanceNorm3d extends InstanceNormNd {
  /** Creates the layer from `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)`. */
  constructor(numFeatures: number, ...rest: InstanceNormArgs) {
    super(3, [numFeatures, ...rest]);
  }
}

const LRN = signature("nn.LocalResponseNorm", {
  size: int,
  alpha: opt(num, 1e-4),
  beta: opt(num, 0.75),
  k: opt(num, 1),
});

/**
 * Local response normalisation across channels, as torch.nn.LocalResponseNorm(size,
 * alpha=0.0001, beta=0.75, k=1.0): `[N, C, *] → [N, C, *]`.
 */
export class LocalResponseNorm extends Module {
  /** Number of neighbouring channels in each sum. */
  readonly size: number;
  /** Scale of the sum (default 1e-4). */
  readonly alpha: number;
  /** Exponent (default 0.75). */
  readonly beta: number;
  /** Additive constant (default 1). */
  readonly k: number;
  /** Creates the layer from `(size, alpha?, beta?, k?)`, positional or as options. */
  constructor(
    size: number,
    ...rest: WithOptions<
      [alpha: number, beta: number, k: number],
      { alpha?: number; beta?: number; k?: number }
    >
  ) {
    super();
    const a = parseArgs(LRN, [size, ...rest]);
    this.size = a.size;
    this.alpha = a.alpha;
    this.beta = a.beta;
    this.k = a.k;
  }
  override forward(x: Tensor): Tensor {
    return localResponseNorm(x, this.size, this.alpha, this.beta, this.k);
  }
  override extraRepr(): string {
    return `${this.size}, alpha=${pyFloat(this.alpha)}, beta=${pyFloat(this.beta)}, k=${pyFloat(this.k)}`;
  }
}

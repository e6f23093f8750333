// BatchNorm1d, BatchNorm2d and BatchNorm3d: batch statistics in training, running statistics in eval,
// buffers running_mean, running_var and num_batches_tracked as in PyTorch's _BatchNorm.

import {
  bool,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg } from "../functional/args.ts";
import { batchNorm } from "../functional/norm.ts";
import { getBuffer, Module } from "../module.ts";
import type { Parameter } from "../parameter.ts";
import { pyBool, pyFloat } from "../repr.ts";
import { initNormState, resetAffine, resetRunningStats } from "./norm-state.ts";

/**
 * Options of BatchNorm1d and BatchNorm2d after `numFeatures`; defaults eps 1e-5, momentum 0.1,
 * affine true, trackRunningStats true, dtype float32.
 */
export interface BatchNormOptions {
  eps?: number;
  /** Weight of the newest batch in the running stats; null for a cumulative average. */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  dtype?: "float32" | "float64";
}

/** The positional parameters after numFeatures, in PyTorch's order. */
export type BatchNormPositional = [
  eps: number,
  momentum: number | null,
  affine: boolean,
  trackRunningStats: boolean,
];
/** The arguments of BatchNorm1d and BatchNorm2d after `numFeatures`, positional or as options. */
export type BatchNormArgs = WithOptions<BatchNormPositional, BatchNormOptions>;

function batchNormSignature(op: string) {
  return signature(
    op,
    {
      numFeatures: int,
      eps: opt(num, 1e-5),
      momentum: opt(nullable(num), 0.1),
      affine: opt(bool, true),
      trackRunningStats: opt(bool, true),
    },
    { dtype: floatDtypeArg },
  );
}
const BN1D = batchNormSignature("nn.BatchNorm1d");
const BN2D = batchNormSignature("nn.BatchNorm2d");
const BN3D = batchNormSignature("nn.BatchNorm3d");
type Parsed = ReturnType<typeof parseArgs<(typeof BN1D)["params"]>>;

abstract class BatchNormBase extends Module {
  /** C, the number of channels normalised. */
  readonly numFeatures: number;
  /** Added to the variance for numerical stability (default 1e-5). */
  readonly eps: number;
  /**
   * Weight of the newest batch in the running stats (default 0.1); null for a cumulative average.
   */
  readonly momentum: number | null;
  /** Whether the layer has the learnable γ (`weight`) and β (`bias`) (default true). */
  readonly affine: boolean;
  /** Whether running mean and variance are kept and used in eval mode (default true). */
  readonly trackRunningStats: boolean;
  /** γ `[numFeatures]`, initialised to ones; null when not affine. */
  weight!: Parameter | null; // assigned by initNormState
  /** β `[numFeatures]`, initialised to zeros; null when not affine. */
  bias!: Parameter | null;

  constructor(o: Parsed) {
    super();
    const numFeatures = o.numFeatures;
    this.numFeatures = numFeatures;
    this.eps = o.eps;
    this.momentum = o.momentum;
    this.affine = o.affine;
    this.trackRunningStats = o.trackRunningStats;
    initNormState(this, numFeatures, this.affine, this.trackRunningStats, o.dtype);
  }

  /** The running mean buffer (`running_mean` in the state dict), or null. */
  get runningMean(): Tensor | null {
    return getBuffer(this, "running_mean");
  }
  /** The running variance buffer (`running_var` in the state dict), or null. */
  get runningVar(): Tensor | null {
    return getBuffer(this, "running_var");
  }
  /**
   * The int64 count of training batches seen (`num_batches_tracked` in the state dict), or null.
   */
  get numBatchesTracked(): Tensor | null {
    return getBuffer(this, "num_batches_tracked");
  }

  /**
   * Resets the running mean to 0, the running variance to 1 and the batch count to 0, as PyTorch's
   * reset_running_stats.
   */
  resetRunningStats(): void {
    resetRunningStats(this);
  }

  /** Resets the running stats, γ to ones and β to zeros, as PyTorch's reset_parameters. */
  resetParameters(): void {
    this.resetRunningStats();
    resetAffine(this);
  }

  protected abstract checkInputDim(x: Tensor): void;

  override forward(x: Tensor): Tensor {
    this.checkInputDim(x);
    if (x.shape[1] !== this.numFeatures) {
      throw new ValueError(
        `${this.constructor.name}: expected input with ${this.numFeatures} channels in dim 1, got shape [${x.shape.join(", ")}]`,
      );
    }
    let factor = this.momentum ?? 0;
    const nbt = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && nbt !== null) {
      noGrad(() => nbt.add_(1));
      factor = this.momentum === null ? 1 / (nbt.item() as number) : this.momentum;
    }
    const useBatch = this.training || (this.runningMean === null && this.runningVar === null);
    const track = !this.training || this.trackRunningStats;
    return batchNorm(x, track ? this.runningMean : null, track ? this.runningVar : null, {
      weight: this.weight,
      bias: this.bias,
      training: useBatch,
      momentum: factor,
      eps: this.eps,
    });
  }

  override extraRepr(): string {
    const m = this.momentum === null ? "None" : pyFloat(this.momentum);
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${m}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Batch normalisation over `[N, C]` or `[N, C, L]`, as torch.nn.BatchNorm1d:
 * y = (x − E[x])/√(Var[x] + eps)·γ + β per channel. Defaults eps 1e-5, momentum 0.1,
 * affine, trackRunningStats; the running variance uses the unbiased batch variance.
 * Arguments as torch.nn.BatchNorm1d(num_features, eps=1e-05, momentum=0.1, affine=True,
 * track_running_stats=True, *, dtype), positional or as options.
 *
 * @example new nn.BatchNorm1d(16, 1e-3, 0.01); // = new nn.BatchNorm1d(16, { eps: 1e-3, momentum: 0.01 })
 */
export class BatchNorm1d extends BatchNormBase {
  /**
   * Creates the layer from `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)`,
   * positional or as options.
   */
  constructor(numFeatures: number, ...rest: BatchNormArgs) {
    super(parseArgs(BN1D, [numFeatures, ...rest]));
  }
  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3)
      throw new ValueError(`BatchNorm1d: expected 2D or 3D input (got ${x.ndim}D input)`);
  }
}

/**
 * Batch normalisation over `[N, C, H, W]`, as torch.nn.BatchNorm2d (same arguments and defaults
 * as BatchNorm1d).
 *
 * @example const bn = new nn.BatchNorm2d(16); bn.forward(x); bn.eval(); // now uses running stats
 */
export class BatchNorm2d extends BatchNormBase {
  /**
   * Creates the layer from `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)`,
   * positional or as options.
   */
  constructor(numFeatures: number, ...rest: BatchNormArgs) {
    super(parseArgs(BN2D, [numFeatures, ...rest]));
  }
  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 4) throw new ValueError(`BatchNorm2d: expected 4D input (got ${x.ndim}D input)`);
  }
}

/**
 * Batch normalisation over `[N, C, D, H, W]`, as torch.nn.BatchNorm3d (same arguments and
 * defaults as BatchNorm1d).
 *
 * @example const bn = new nn.BatchNorm3d(1); // LunaModel's tail normalisation
 */
export class BatchNorm3d extends BatchNormBase {
  /**
   * Creates the layer from `(numFeatures, eps?, momentum?, affine?, trackRunningStats?)`,
   * positional or as options.
   */
  constructor(numFeatures: number, ...rest: BatchNormArgs) {
    super(parseArgs(BN3D, [numFeatures, ...rest]));
  }
  protected override checkInputDim(x: Tensor): void {
    if (x.ndim !== 5) throw new ValueError(`BatchNorm3d: expected 5D input (got ${x.ndim}D input)`);
  }
}

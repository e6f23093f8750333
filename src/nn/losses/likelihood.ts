// Likelihood loss modules (Poisson and Gaussian negative log likelihood): thin Module wrappers
// over nn.functional's loss-more.ts with PyTorch's constructor arguments and attributes.
// Depends on src/nn/functional and src/nn/module.ts only.

import { bool, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import type { FloatDType } from "../../core/dtype.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { reductionArg } from "../functional/args.ts";
import type { Legacy, Reduction } from "../functional/loss.ts";
import * as F from "../functional/loss-more.ts";
import { legacy, ReducedLoss } from "./base.ts";

const POISSON = signature("nn.PoissonNLLLoss", {
  logInput: opt(bool, true),
  full: opt(bool, false),
  sizeAverage: legacy,
  eps: opt(num, 1e-8),
  reduce: legacy,
  reduction: reductionArg,
});

/**
 * Poisson negative log likelihood, as torch.nn.PoissonNLLLoss(log_input=True, full=False,
 * size_average=None, eps=1e-08, reduce=None, reduction='mean').
 */
export class PoissonNLLLoss extends ReducedLoss {
  /** Whether the input is log λ (e^x − y·x) rather than λ (x − y·log(x + eps)) (default true). */
  readonly logInput: boolean;
  /** Whether Stirling's approximation of log y! is added (default false). */
  readonly full: boolean;
  /** Added to λ inside the log when `logInput` is false (default 1e-8). */
  readonly eps: number;
  /**
   * `(logInput = true, full = false, sizeAverage = null, eps = 1e-8, reduce = null,
   * reduction = "mean")`, positional or as one options object.
   */
  constructor(
    ...args: WithOptions<
      [
        logInput: boolean,
        full: boolean,
        sizeAverage: Legacy,
        eps: number,
        reduce: Legacy,
        reduction: Reduction,
      ],
      F.PoissonNLLOptions
    >
  ) {
    const a = parseArgs(POISSON, args);
    super(a.reduction);
    this.logInput = a.logInput;
    this.full = a.full;
    this.eps = a.eps;
  }
  /** The loss, as torch.nn.PoissonNLLLoss.forward(log_input, target). */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.poissonNllLoss(input, target, {
      logInput: this.logInput,
      full: this.full,
      eps: this.eps,
      reduction: this.reduction,
    });
  }
}

const GAUSSIAN = signature(
  "nn.GaussianNLLLoss",
  {},
  { full: opt(bool, false), eps: opt(num, 1e-6), reduction: reductionArg },
);

/**
 * Gaussian negative log likelihood, as torch.nn.GaussianNLLLoss(*, full=False, eps=1e-06,
 * reduction='mean'); its options are keyword-only, as PyTorch's.
 */
export class GaussianNLLLoss extends ReducedLoss {
  /** Whether the constant ½·log 2π is added (default false). */
  readonly full: boolean;
  /** The smallest variance used (default 1e-6). */
  readonly eps: number;
  /** `{ full = false, eps = 1e-6, reduction = "mean" }`. */
  constructor(...args: [options?: F.GaussianNLLOptions]) {
    const a = parseArgs(GAUSSIAN, args);
    super(a.reduction);
    this.full = a.full;
    this.eps = a.eps;
  }
  /** The loss, as torch.nn.GaussianNLLLoss.forward(input, target, var). */
  override forward(input: Tensor, target: Tensor, variance: Tensor): Tensor<FloatDType> {
    return F.gaussianNllLoss(input, target, variance, {
      full: this.full,
      eps: this.eps,
      reduction: this.reduction,
    });
  }
}

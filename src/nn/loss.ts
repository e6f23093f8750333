// Loss modules: thin Module wrappers over nn.functional's losses. `weight` and `posWeight` are
// buffers, as in PyTorch's _WeightedLoss and BCEWithLogitsLoss.

import type { Tensor } from "../tensor/tensor.ts";
import type { Reduction } from "./functional/loss.ts";
import * as F from "./functional/loss.ts";
import { getBuffer, Module } from "./module.ts";

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(reduction: Reduction | undefined) {
    super();
    this.reduction = reduction ?? "mean";
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

abstract class WeightedLoss extends Loss {
  constructor(weight: Tensor | null | undefined, reduction: Reduction | undefined) {
    super(reduction);
    this.registerBuffer("weight", weight ?? null);
  }
  get weight(): Tensor | null {
    return getBuffer(this, "weight");
  }
}

/**
 * Cross entropy of logits `[N, C]` (or `[N, C, d1, ...]`) against int32 class indices `[N]` or
 * class probabilities shaped like the input, as torch.nn.CrossEntropyLoss. Options `weight`,
 * `ignoreIndex` (−100), `reduction` ("mean"), `labelSmoothing` (0).
 *
 * @example const perSample = new nn.CrossEntropyLoss({ reduction: "none" }).forward(logits, labels);
 */
export class CrossEntropyLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(
    options: {
      weight?: Tensor | null;
      ignoreIndex?: number;
      reduction?: Reduction;
      labelSmoothing?: number;
    } = {},
  ) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = options.labelSmoothing ?? 0;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/** Negative log likelihood of log-probabilities, as torch.nn.NLLLoss. */
export class NLLLoss extends WeightedLoss {
  readonly ignoreIndex: number;
  constructor(
    options: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {},
  ) {
    super(options.weight, options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.nllLoss(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
}

/** Binary cross entropy of probabilities, as torch.nn.BCELoss (logs clamped at −100). */
export class BCELoss extends WeightedLoss {
  constructor(options: { weight?: Tensor | null; reduction?: Reduction } = {}) {
    super(options.weight, options.reduction);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** Sigmoid + BCE in the stable log-sum-exp form, as torch.nn.BCEWithLogitsLoss (`posWeight`). */
export class BCEWithLogitsLoss extends WeightedLoss {
  constructor(
    options: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null } = {},
  ) {
    super(options.weight, options.reduction);
    this.registerBuffer("pos_weight", options.posWeight ?? null);
  }
  get posWeight(): Tensor | null {
    return getBuffer(this, "pos_weight");
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.posWeight,
      reduction: this.reduction,
    });
  }
}

/** Mean squared error, as torch.nn.MSELoss. */
export class MSELoss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error, as torch.nn.L1Loss. */
export class L1Loss extends Loss {
  constructor(options: { reduction?: Reduction } = {}) {
    super(options.reduction);
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Smooth L1 (β = 1), as torch.nn.SmoothL1Loss. */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(options: { reduction?: Reduction; beta?: number } = {}) {
    super(options.reduction);
    this.beta = options.beta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Huber loss (δ = 1), as torch.nn.HuberLoss. */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(options: { reduction?: Reduction; delta?: number } = {}) {
    super(options.reduction);
    this.delta = options.delta ?? 1;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** KL divergence of log-probability inputs, as torch.nn.KLDivLoss ("batchmean" allowed). */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | "batchmean";
  readonly logTarget: boolean;
  constructor(options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}) {
    super();
    this.reduction = options.reduction ?? "mean";
    this.logTarget = options.logTarget ?? false;
  }
  override forward(input: Tensor, target: Tensor): Tensor {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

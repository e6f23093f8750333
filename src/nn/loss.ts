// Loss modules: thin Module wrappers over nn.functional's losses. `weight` and `posWeight` are
// buffers, as in PyTorch's _WeightedLoss and BCEWithLogitsLoss. Constructor arguments in
// PyTorch's order, positional or in one options object (API.md rule 2); the deprecated
// `sizeAverage`/`reduce` slots accept only null.

import {
  bool,
  int,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import type { DType, FloatDType } from "../core/dtype.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { onlyNull, optTensor, reductionArg } from "./functional/args.ts";
import type { Legacy, Reduction } from "./functional/loss.ts";
import * as F from "./functional/loss.ts";
import { getBuffer, Module } from "./module.ts";

const legacy = onlyNull("sizeAverage and reduce are deprecated in PyTorch; use reduction");
/** The deprecated `sizeAverage` and `reduce` options, accepted only as null. */
export interface LegacyOptions {
  sizeAverage?: Legacy;
  reduce?: Legacy;
}

abstract class Loss extends Module {
  /** How `forward` reduces the elementwise loss: "none", "mean" (the default) or "sum". */
  readonly reduction: Reduction;
  constructor(reduction: Reduction) {
    super();
    this.reduction = reduction;
  }
  /** The loss of `input` against `target`, reduced as `reduction` says. */
  abstract override forward(input: Tensor, target: Tensor): Tensor<Exclude<DType, "bool">>;
}

abstract class WeightedLoss extends Loss {
  constructor(weight: Tensor | null, reduction: Reduction) {
    super(reduction);
    this.registerBuffer("weight", weight);
  }
  /**
   * The rescaling weight (the `weight` buffer): per class `[C]` for NLL and cross entropy,
   * broadcast to the input for BCE; null for none.
   */
  get weight(): Tensor | null {
    return getBuffer(this, "weight");
  }
}

const NLL = signature("nn.NLLLoss", {
  weight: optTensor,
  sizeAverage: legacy,
  ignoreIndex: opt(int, -100),
  reduce: legacy,
  reduction: reductionArg,
});
const CROSS_ENTROPY = signature("nn.CrossEntropyLoss", {
  ...NLL.params,
  labelSmoothing: opt(num, 0),
});

/** Options of NLLLoss and CrossEntropyLoss; defaults as PyTorch's. */
export interface NLLLossOptions extends LegacyOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}
/** The positional parameters of NLLLoss and CrossEntropyLoss, in PyTorch's order. */
export type NLLPositional = [
  weight: Tensor | null,
  sizeAverage: Legacy,
  ignoreIndex: number,
  reduce: Legacy,
  reduction: Reduction,
];

/**
 * Cross entropy of logits `[N, C]` (or `[N, C, d1, ...]`) against int32 class indices `[N]` or
 * class probabilities shaped like the input, as torch.nn.CrossEntropyLoss(weight=None,
 * size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0).
 * The input must be floating (a DTypeError otherwise, as PyTorch).
 *
 * @example const perSample = new nn.CrossEntropyLoss({ reduction: "none" }).forward(logits, labels);
 */
export class CrossEntropyLoss extends WeightedLoss {
  /** Target class that contributes nothing to the loss or to the "mean" divisor (default −100). */
  readonly ignoreIndex: number;
  /** Smoothing ε in [0, 1]: the target mixes (1 − ε)·one-hot with ε/C uniform (default 0). */
  readonly labelSmoothing: number;
  /**
   * `(weight = null, sizeAverage = null, ignoreIndex = -100, reduce = null, reduction = "mean",
   * labelSmoothing = 0)`, positional or as one options object.
   */
  constructor(
    ...args: WithOptions<
      [...NLLPositional, labelSmoothing: number],
      NLLLossOptions & { labelSmoothing?: number }
    >
  ) {
    const a = parseArgs(CROSS_ENTROPY, args);
    super(a.weight, a.reduction);
    this.ignoreIndex = a.ignoreIndex;
    this.labelSmoothing = a.labelSmoothing;
  }
  /** The loss of `input` against `target`, as torch.nn.CrossEntropyLoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/**
 * Negative log likelihood of log-probabilities, as torch.nn.NLLLoss(weight=None,
 * size_average=None, ignore_index=-100, reduce=None, reduction='mean').
 */
export class NLLLoss extends WeightedLoss {
  /** Target class that contributes nothing to the loss or to the "mean" divisor (default −100). */
  readonly ignoreIndex: number;
  /**
   * `(weight = null, sizeAverage = null, ignoreIndex = -100, reduce = null, reduction = "mean")`,
   * positional or as one options object.
   */
  constructor(...args: WithOptions<NLLPositional, NLLLossOptions>) {
    const a = parseArgs(NLL, args);
    super(a.weight, a.reduction);
    this.ignoreIndex = a.ignoreIndex;
  }
  /** The loss of `input` against `target`, as torch.nn.NLLLoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.nllLoss(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
}

const BCE = signature("nn.BCELoss", {
  weight: optTensor,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});
const BCE_LOGITS = signature("nn.BCEWithLogitsLoss", { ...BCE.params, posWeight: optTensor });

/** The positional parameters of BCELoss and BCEWithLogitsLoss, in PyTorch's order. */
export type BCEPositional = [
  weight: Tensor | null,
  sizeAverage: Legacy,
  reduce: Legacy,
  reduction: Reduction,
];
/** Options of BCELoss and BCEWithLogitsLoss; defaults as PyTorch's. */
export interface BCEOptions extends LegacyOptions {
  weight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Binary cross entropy of probabilities (logs clamped at −100), as torch.nn.BCELoss(weight=None,
 * size_average=None, reduce=None, reduction='mean').
 */
export class BCELoss extends WeightedLoss {
  /**
   * `(weight = null, sizeAverage = null, reduce = null, reduction = "mean")`, positional or as one
   * options object; `weight` rescales each element (broadcast to the input).
   */
  constructor(...args: WithOptions<BCEPositional, BCEOptions>) {
    const a = parseArgs(BCE, args);
    super(a.weight, a.reduction);
  }
  /** The loss of `input` against `target`, as torch.nn.BCELoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/**
 * Sigmoid + BCE in the stable log-sum-exp form, as torch.nn.BCEWithLogitsLoss(weight=None,
 * size_average=None, reduce=None, reduction='mean', pos_weight=None).
 */
export class BCEWithLogitsLoss extends WeightedLoss {
  /**
   * `(weight = null, sizeAverage = null, reduce = null, reduction = "mean", posWeight = null)`,
   * positional or as one options object.
   */
  constructor(
    ...args: WithOptions<
      [...BCEPositional, posWeight: Tensor | null],
      BCEOptions & { posWeight?: Tensor | null }
    >
  ) {
    const a = parseArgs(BCE_LOGITS, args);
    super(a.weight, a.reduction);
    this.registerBuffer("pos_weight", a.posWeight);
  }
  /**
   * Weight of positive examples (the `pos_weight` buffer, `[C]` broadcast to the target), or null
   * for 1.
   */
  get posWeight(): Tensor | null {
    return getBuffer(this, "pos_weight");
  }
  /** The loss of `input` against `target`, as torch.nn.BCEWithLogitsLoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.posWeight,
      reduction: this.reduction,
    });
  }
}

function pointwiseSignature(op: string) {
  return signature(op, { sizeAverage: legacy, reduce: legacy, reduction: reductionArg });
}
const MSE = pointwiseSignature("nn.MSELoss");
const L1 = pointwiseSignature("nn.L1Loss");
/** The arguments of MSELoss and L1Loss, in PyTorch's order, positional or as options. */
export type PointwiseArgs = WithOptions<
  [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  LegacyOptions & { reduction?: Reduction }
>;

/** Mean squared error, as torch.nn.MSELoss(size_average=None, reduce=None, reduction='mean'). */
export class MSELoss extends Loss {
  /**
   * `(sizeAverage = null, reduce = null, reduction = "mean")`, positional or as one options object.
   */
  constructor(...args: PointwiseArgs) {
    super(parseArgs(MSE, args).reduction);
  }
  /** The loss of `input` against `target`, as torch.nn.MSELoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.mseLoss(input, target, { reduction: this.reduction });
  }
}

/** Mean absolute error, as torch.nn.L1Loss(size_average=None, reduce=None, reduction='mean'). */
export class L1Loss extends Loss {
  /**
   * `(sizeAverage = null, reduce = null, reduction = "mean")`, positional or as one options object.
   */
  constructor(...args: PointwiseArgs) {
    super(parseArgs(L1, args).reduction);
  }
  /** The loss of `input` against `target`, as torch.nn.L1Loss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<Exclude<DType, "bool">> {
    return F.l1Loss(input, target, { reduction: this.reduction });
  }
}

const SMOOTH_L1 = signature("nn.SmoothL1Loss", { ...MSE.params, beta: opt(num, 1) });

/**
 * Smooth L1, as torch.nn.SmoothL1Loss(size_average=None, reduce=None, reduction='mean',
 * beta=1.0).
 */
export class SmoothL1Loss extends Loss {
  /**
   * Where the loss turns from quadratic 0.5·d²/β to linear d − 0.5·β, d = |input − target| (default
   * 1; 0 gives L1).
   */
  readonly beta: number;
  /**
   * `(sizeAverage = null, reduce = null, reduction = "mean", beta = 1)`, positional or as one
   * options object.
   */
  constructor(
    ...args: WithOptions<
      [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction, beta: number],
      LegacyOptions & { reduction?: Reduction; beta?: number }
    >
  ) {
    const a = parseArgs(SMOOTH_L1, args);
    super(a.reduction);
    this.beta = a.beta;
  }
  /** The loss of `input` against `target`, as torch.nn.SmoothL1Loss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

const HUBER = signature("nn.HuberLoss", { reduction: reductionArg, delta: opt(num, 1) });

/** Huber loss, as torch.nn.HuberLoss(reduction='mean', delta=1.0). */
export class HuberLoss extends Loss {
  /**
   * Where the loss turns from quadratic 0.5·d² to linear δ·(d − 0.5·δ), d = |input − target|
   * (default 1).
   */
  readonly delta: number;
  /** `(reduction = "mean", delta = 1)`, positional or as one options object. */
  constructor(
    ...args: WithOptions<
      [reduction: Reduction, delta: number],
      { reduction?: Reduction; delta?: number }
    >
  ) {
    const a = parseArgs(HUBER, args);
    super(a.reduction);
    this.delta = a.delta;
  }
  /** The loss of `input` against `target`, as torch.nn.HuberLoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

const KL_DIV = signature("nn.KLDivLoss", {
  sizeAverage: legacy,
  reduce: legacy,
  reduction: opt(oneOf("none", "mean", "sum", "batchmean"), "mean"),
  logTarget: opt(bool, false),
});

/**
 * KL divergence of log-probability inputs, as torch.nn.KLDivLoss(size_average=None, reduce=None,
 * reduction='mean', log_target=False) ("batchmean" allowed).
 */
export class KLDivLoss extends Module {
  /**
   * "none", "mean" (the default, over all elements), "sum", or "batchmean" (sum / batch size, the
   * true KL).
   */
  readonly reduction: Reduction | "batchmean";
  /** Whether `target` holds log-probabilities rather than probabilities (default false). */
  readonly logTarget: boolean;
  /**
   * `(sizeAverage = null, reduce = null, reduction = "mean", logTarget = false)`, positional or as
   * one options object.
   */
  constructor(
    ...args: WithOptions<
      [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction | "batchmean", logTarget: boolean],
      LegacyOptions & { reduction?: Reduction | "batchmean"; logTarget?: boolean }
    >
  ) {
    super();
    const a = parseArgs(KL_DIV, args);
    this.reduction = a.reduction;
    this.logTarget = a.logTarget;
  }
  /** The loss of `input` against `target`, as torch.nn.KLDivLoss.forward. */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}

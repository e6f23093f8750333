// Margin and embedding loss modules: thin Module wrappers over nn.functional's loss-more.ts, with
// PyTorch's constructor arguments (positional in its order, or one options object), attributes,
// buffers (`weight`) and reprs. Depends on src/nn/functional and src/nn/module.ts only.

import {
  bool,
  custom,
  int,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import type { FloatDType } from "../../core/dtype.ts";
import { ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { optTensor, reductionArg } from "../functional/args.ts";
import type { Legacy, Reduction } from "../functional/loss.ts";
import * as F from "../functional/loss-more.ts";
import { PairwiseDistance } from "../layers/distance.ts";
import { getBuffer, Module } from "../module.ts";
import { legacy, ReducedLoss, type ReductionOptions } from "./base.ts";
import * as M from "./multiclass.ts";

const reductionParams = { sizeAverage: legacy, reduce: legacy, reduction: reductionArg };
const MARGIN0 = (op: string, dflt: number) =>
  signature(op, { margin: opt(num, dflt), ...reductionParams });

/** `(margin, sizeAverage, reduce, reduction)`, positional or as one options object. */
export type MarginLossArgs = WithOptions<
  [margin: number, sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  ReductionOptions & { margin?: number }
>;
/** `(sizeAverage, reduce, reduction)`, positional or as one options object. */
export type ReductionLossArgs = WithOptions<
  [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  ReductionOptions
>;

/**
 * What CosineEmbeddingLoss, MarginRankingLoss and HingeEmbeddingLoss share: the arguments
 * `(margin, sizeAverage, reduce, reduction)` parsed against the loss's signature.
 */
export abstract class MarginLossBase extends ReducedLoss {
  /** The loss's margin (its default and meaning: see the loss). */
  readonly margin: number;
  /** Parses `args` against `sig` (one of MARGIN0's). */
  protected constructor(sig: ReturnType<typeof MARGIN0>, args: MarginLossArgs) {
    const a = parseArgs(sig, args);
    super(a.reduction);
    this.margin = a.margin;
  }
}

const COSINE_EMBEDDING = MARGIN0("nn.CosineEmbeddingLoss", 0);

/**
 * 1 − cos(x1, x2) for y = 1, max(0, cos(x1, x2) − margin) for y = −1, as
 * torch.nn.CosineEmbeddingLoss(margin=0.0, size_average=None, reduce=None, reduction='mean').
 * `input1, input2 [N, D]`, `target [N]` of ±1.
 */
export class CosineEmbeddingLoss extends MarginLossBase {
  /** `(margin = 0, sizeAverage = null, reduce = null, reduction = "mean")`. */
  constructor(...args: MarginLossArgs) {
    super(COSINE_EMBEDDING, args);
  }
  /** The loss, as torch.nn.CosineEmbeddingLoss.forward(input1, input2, target). */
  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.cosineEmbeddingLoss(input1, input2, target, this.margin, {
      reduction: this.reduction,
    });
  }
}

const MARGIN_RANKING = MARGIN0("nn.MarginRankingLoss", 0);

/**
 * max(0, −y·(x1 − x2) + margin), as torch.nn.MarginRankingLoss(margin=0.0, size_average=None,
 * reduce=None, reduction='mean').
 */
export class MarginRankingLoss extends MarginLossBase {
  /** `(margin = 0, sizeAverage = null, reduce = null, reduction = "mean")`. */
  constructor(...args: MarginLossArgs) {
    super(MARGIN_RANKING, args);
  }
  /** The loss, as torch.nn.MarginRankingLoss.forward(input1, input2, target). */
  override forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.marginRankingLoss(input1, input2, target, this.margin, { reduction: this.reduction });
  }
}

const HINGE = MARGIN0("nn.HingeEmbeddingLoss", 1);

/**
 * x for y = 1, max(0, margin − x) for y = −1, as torch.nn.HingeEmbeddingLoss(margin=1.0,
 * size_average=None, reduce=None, reduction='mean').
 */
export class HingeEmbeddingLoss extends MarginLossBase {
  /** `(margin = 1, sizeAverage = null, reduce = null, reduction = "mean")`. */
  constructor(...args: MarginLossArgs) {
    super(HINGE, args);
  }
  /** The loss, as torch.nn.HingeEmbeddingLoss.forward(input, target). */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.hingeEmbeddingLoss(input, target, this.margin, { reduction: this.reduction });
  }
}

const TRIPLET = signature("nn.TripletMarginLoss", {
  margin: opt(num, 1),
  p: opt(num, 2),
  eps: opt(num, 1e-6),
  swap: opt(bool, false),
  ...reductionParams,
});

/**
 * max(d(a, p) − d(a, n) + margin, 0) with the pairwise p-norm distance, as
 * torch.nn.TripletMarginLoss(margin=1.0, p=2.0, eps=1e-06, swap=False, size_average=None,
 * reduce=None, reduction='mean'). Inputs `[N, D]` or `[D]`.
 */
export class TripletMarginLoss extends ReducedLoss {
  /** The required gap between the positive and the negative distance (default 1). */
  readonly margin: number;
  /** The norm degree of the distance (default 2). */
  readonly p: number;
  /** Added to differences before the norm (default 1e-6). */
  readonly eps: number;
  /** Whether d(a, n) is replaced by min(d(a, n), d(p, n)) (default false). */
  readonly swap: boolean;
  /**
   * `(margin = 1, p = 2, eps = 1e-6, swap = false, sizeAverage = null, reduce = null,
   * reduction = "mean")`, positional or as one options object.
   */
  constructor(
    ...args: WithOptions<
      [
        margin: number,
        p: number,
        eps: number,
        swap: boolean,
        sizeAverage: Legacy,
        reduce: Legacy,
        reduction: Reduction,
      ],
      F.TripletMarginOptions
    >
  ) {
    const a = parseArgs(TRIPLET, args);
    super(a.reduction);
    this.margin = a.margin;
    this.p = a.p;
    this.eps = a.eps;
    this.swap = a.swap;
  }
  /** The loss, as torch.nn.TripletMarginLoss.forward(anchor, positive, negative). */
  override forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor<FloatDType> {
    return F.tripletMarginLoss(anchor, positive, negative, {
      margin: this.margin,
      p: this.p,
      eps: this.eps,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

const TRIPLET_DISTANCE = signature(
  "nn.TripletMarginWithDistanceLoss",
  {},
  {
    distanceFunction: opt(
      custom("a function or an nn.Module, or null", (v): v is F.DistanceFunction | null => {
        return v === null || F.isDistanceFunction(v);
      }),
      null,
    ),
    margin: opt(num, 1),
    swap: opt(bool, false),
    reduction: reductionArg,
  },
);

/**
 * max(d(a, p) − d(a, n) + margin, 0) for any distance d, as
 * torch.nn.TripletMarginWithDistanceLoss(*, distance_function=None, margin=1.0, swap=False,
 * reduction='mean'). Without a distance function it holds a PairwiseDistance child
 * (`distance_function`), as PyTorch; a module given is registered there too.
 */
export class TripletMarginWithDistanceLoss extends ReducedLoss {
  /** The required gap between the positive and the negative distance (default 1). */
  readonly margin: number;
  /** Whether d(a, n) is replaced by min(d(a, n), d(p, n)) (default false). */
  readonly swap: boolean;
  readonly #fn: F.DistanceFunction;
  /** Keyword-only options, as PyTorch: `{ distanceFunction, margin, swap, reduction }`. */
  constructor(...args: [options?: F.TripletMarginWithDistanceOptions]) {
    const a = parseArgs(TRIPLET_DISTANCE, args);
    super(a.reduction);
    this.margin = a.margin;
    this.swap = a.swap;
    const fn = a.distanceFunction ?? new PairwiseDistance();
    if (fn instanceof Module) this.registerModule("distance_function", fn);
    this.#fn = fn;
  }
  /** The distance used: a PairwiseDistance by default (PyTorch's `distance_function`). */
  get distanceFunction(): F.DistanceFunction {
    return this.#fn;
  }
  /** The loss, as torch.nn.TripletMarginWithDistanceLoss.forward(anchor, positive, negative). */
  override forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor<FloatDType> {
    return F.tripletMarginWithDistanceLoss(anchor, positive, negative, {
      distanceFunction: this.#fn,
      margin: this.margin,
      swap: this.swap,
      reduction: this.reduction,
    });
  }
}

const MULTILABEL_MARGIN = signature("nn.MultiLabelMarginLoss", reductionParams);

/**
 * Multi-class multi-label hinge loss, as torch.nn.MultiLabelMarginLoss(size_average=None,
 * reduce=None, reduction='mean'). `input [N, C]`, int32 `target [N, C]` listing the target
 * classes first, ended by −1.
 */
export class MultiLabelMarginLoss extends ReducedLoss {
  /** `(sizeAverage = null, reduce = null, reduction = "mean")`. */
  constructor(...args: ReductionLossArgs) {
    super(parseArgs(MULTILABEL_MARGIN, args).reduction);
  }
  /** The loss, as torch.nn.MultiLabelMarginLoss.forward(input, target). */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return M.multilabelMarginLoss(input, target, { reduction: this.reduction });
  }
}

const SOFT_MARGIN = signature("nn.SoftMarginLoss", reductionParams);

/**
 * log(1 + e^(−y·x)), as torch.nn.SoftMarginLoss(size_average=None, reduce=None,
 * reduction='mean').
 */
export class SoftMarginLoss extends ReducedLoss {
  /** `(sizeAverage = null, reduce = null, reduction = "mean")`. */
  constructor(...args: ReductionLossArgs) {
    super(parseArgs(SOFT_MARGIN, args).reduction);
  }
  /** The loss, as torch.nn.SoftMarginLoss.forward(input, target). */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return F.softMarginLoss(input, target, { reduction: this.reduction });
  }
}

const MULTILABEL_SOFT = signature("nn.MultiLabelSoftMarginLoss", {
  weight: optTensor,
  ...reductionParams,
});

/**
 * Per-class logistic loss averaged over classes, as torch.nn.MultiLabelSoftMarginLoss(
 * weight=None, size_average=None, reduce=None, reduction='mean'); `weight [C]` is a buffer.
 */
export class MultiLabelSoftMarginLoss extends ReducedLoss {
  /**
   * `(weight = null, sizeAverage = null, reduce = null, reduction = "mean")`, positional or as
   * one options object.
   */
  constructor(
    ...args: WithOptions<
      [weight: Tensor | null, sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
      ReductionOptions & { weight?: Tensor | null }
    >
  ) {
    const a = parseArgs(MULTILABEL_SOFT, args);
    super(a.reduction);
    this.registerBuffer("weight", a.weight);
  }
  /** The per-class rescaling weight (the `weight` buffer), or null. */
  get weight(): Tensor | null {
    return getBuffer(this, "weight");
  }
  /** The loss, as torch.nn.MultiLabelSoftMarginLoss.forward(input, target). */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return M.multilabelSoftMarginLoss(input, target, {
      weight: this.weight,
      reduction: this.reduction,
    });
  }
}

const MULTI_MARGIN = signature("nn.MultiMarginLoss", {
  p: opt(int, 1),
  margin: opt(num, 1),
  weight: optTensor,
  ...reductionParams,
});

/**
 * Multi-class hinge loss, as torch.nn.MultiMarginLoss(p=1, margin=1.0, weight=None,
 * size_average=None, reduce=None, reduction='mean'); `weight [C]` is a buffer. `input [N, C]`,
 * int32 `target [N]`.
 */
export class MultiMarginLoss extends ReducedLoss {
  /** The exponent of each hinge term, 1 or 2 (default 1). */
  readonly p: number;
  /** The margin of each hinge term (default 1). */
  readonly margin: number;
  /**
   * `(p = 1, margin = 1, weight = null, sizeAverage = null, reduce = null, reduction = "mean")`,
   * positional or as one options object.
   */
  constructor(
    ...args: WithOptions<
      [
        p: number,
        margin: number,
        weight: Tensor | null,
        sizeAverage: Legacy,
        reduce: Legacy,
        reduction: Reduction,
      ],
      M.MultiMarginOptions
    >
  ) {
    const a = parseArgs(MULTI_MARGIN, args);
    super(a.reduction);
    if (a.p !== 1 && a.p !== 2)
      throw new ValueError(`nn.MultiMarginLoss: only p == 1 and p == 2 supported (got ${a.p})`);
    this.p = a.p;
    this.margin = a.margin;
    this.registerBuffer("weight", a.weight);
  }
  /** The per-class rescaling weight (the `weight` buffer), or null. */
  get weight(): Tensor | null {
    return getBuffer(this, "weight");
  }
  /** The loss, as torch.nn.MultiMarginLoss.forward(input, target). */
  override forward(input: Tensor, target: Tensor): Tensor<FloatDType> {
    return M.multiMarginLoss(input, target, {
      p: this.p,
      margin: this.margin,
      weight: this.weight,
      reduction: this.reduction,
    });
  }
}

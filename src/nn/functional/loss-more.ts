// Margin, embedding and likelihood losses with PyTorch's formulas (ATen's Loss.cpp and
// torch/nn/functional.py of 1.13), options and reductions. Class-index targets are int32 (PyTorch's
// int64). Arguments in PyTorch's order, positional or in one trailing options object (API.md
// rule 2); the deprecated `sizeAverage`/`reduce` slots accept only null.
// Depends on src/ops, src/tensor and the sibling functional files only.

import { bool, custom, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { type FloatDType, isFloating } from "../../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape, shapeEquals } from "../../core/shape.ts";
import { where } from "../../ops/elementwise.ts";
import { record } from "../../tensor/autograd.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { onlyNull, reductionArg, tensorArg } from "./args.ts";
import { pairwiseDistance } from "./distance.ts";
import type { Legacy, Reduction } from "./loss.ts";

export const legacy = onlyNull("sizeAverage and reduce are deprecated in PyTorch; use reduction");
const EPSILON = 1e-12; // ATen's EPSILON in Loss.cpp (cosine_embedding_loss)

/** The deprecated slots and `reduction`, as every loss here takes them. */
export interface ReductionOptions {
  sizeAverage?: Legacy;
  reduce?: Legacy;
  reduction?: Reduction;
}

/** `loss` reduced as PyTorch's apply_loss_reduction; a non-floating result throws. */
export function reduced(op: string, loss: Tensor, reduction: Reduction): Tensor<FloatDType> {
  if (!isFloating(loss.dtype)) {
    throw new DTypeError(
      `${op}: expected floating operands (float32 or float64), but they give ${loss.dtype}; convert them with .float() first`,
    );
  }
  const out = reduction === "sum" ? loss.sum() : reduction === "mean" ? loss.mean() : loss;
  return out as Tensor<FloatDType>;
}

export function checkFloatingInput(op: string, input: Tensor): void {
  if (!isFloating(input.dtype)) {
    throw new DTypeError(
      `${op}: expected input of a floating dtype (float32 or float64), but got ${input.dtype}`,
    );
  }
}

export function checkIndexTarget(op: string, target: Tensor): void {
  if (target.dtype !== "int32") {
    throw new DTypeError(
      `${op}: expected target of class indices with dtype int32 (PyTorch: Long), but found ${target.dtype}`,
    );
  }
}

const COSINE_EMBEDDING = signature("cosineEmbeddingLoss", {
  input1: tensorArg,
  input2: tensorArg,
  target: tensorArg,
  margin: opt(num, 0),
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/** The arguments after the three tensors of cosineEmbeddingLoss and marginRankingLoss. */
export type MarginArgs = WithOptions<
  [margin: number, sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  ReductionOptions & { margin?: number }
>;

/**
 * 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1 (0 for other y), as
 * torch.nn.functional.cosine_embedding_loss(input1, input2, target, margin=0, size_average=None,
 * reduce=None, reduction='mean'). `input1, input2 [N, D]` with `target [N]`, or `[D]` with `[]`.
 */
export function cosineEmbeddingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  ...rest: MarginArgs
): Tensor<FloatDType> {
  const o = parseArgs(COSINE_EMBEDDING, [input1, input2, target, ...rest]);
  const op = "cosineEmbeddingLoss";
  const d = target.ndim;
  if (d > 1)
    throw new ShapeError(`${op}: 0D or 1D target tensor expected, multi-target not supported`);
  if (input1.ndim !== d + 1 || input2.ndim !== d + 1) {
    throw new ShapeError(
      `${op}: ${d}D target tensor expects ${d + 1}D input tensors, but found inputs with sizes ${formatShape(input1.shape)} and ${formatShape(input2.shape)}.`,
    );
  }
  const prod = input1.mul(input2).sum(d);
  const mag1 = input1.mul(input1).sum(d).add(EPSILON);
  const mag2 = input2.mul(input2).sum(d).add(EPSILON);
  const cos = prod.div(mag1.mul(mag2).sqrt());
  const pos = where(target.eq(1), cos.neg().add(1), 0);
  const neg = where(target.eq(-1), cos.sub(o.margin).clamp(0, null), 0);
  return reduced(op, pos.add(neg), o.reduction);
}

const MARGIN_RANKING = signature("marginRankingLoss", { ...COSINE_EMBEDDING.params });

/**
 * max(0, −y·(x1 − x2) + margin), as torch.nn.functional.margin_ranking_loss(input1, input2,
 * target, margin=0, size_average=None, reduce=None, reduction='mean'). The three tensors must have
 * the same number of dims and broadcast.
 */
export function marginRankingLoss(
  input1: Tensor,
  input2: Tensor,
  target: Tensor,
  ...rest: MarginArgs
): Tensor<FloatDType> {
  const o = parseArgs(MARGIN_RANKING, [input1, input2, target, ...rest]);
  if (input1.ndim !== input2.ndim || input1.ndim !== target.ndim) {
    throw new ShapeError(
      `marginRankingLoss: All input tensors should have same dimension but got sizes: input1: ${formatShape(input1.shape)}, input2: ${formatShape(input2.shape)}, target: ${formatShape(target.shape)}`,
    );
  }
  const loss = target.neg().mul(input1.sub(input2)).add(o.margin).clamp(0, null);
  return reduced("marginRankingLoss", loss, o.reduction);
}

const TRIPLET = signature("tripletMarginLoss", {
  anchor: tensorArg,
  positive: tensorArg,
  negative: tensorArg,
  margin: opt(num, 1),
  p: opt(num, 2),
  eps: opt(num, 1e-6),
  swap: opt(bool, false),
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/** Options of tripletMarginLoss after the three tensors; defaults as PyTorch's. */
export interface TripletMarginOptions extends ReductionOptions {
  margin?: number;
  p?: number;
  eps?: number;
  swap?: boolean;
}

/**
 * max(d(a, p) − d(a, n) + margin, 0) with d the pairwise p-norm distance (d(a, n) replaced by
 * min(d(a, n), d(p, n)) with `swap`), as torch.nn.functional.triplet_margin_loss(anchor,
 * positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None, reduce=None,
 * reduction='mean'). Inputs `[N, D]` or `[D]`, with the same number of dims.
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  ...rest: WithOptions<
    [
      margin: number,
      p: number,
      eps: number,
      swap: boolean,
      sizeAverage: Legacy,
      reduce: Legacy,
      reduction: Reduction,
    ],
    TripletMarginOptions
  >
): Tensor<FloatDType> {
  const o = parseArgs(TRIPLET, [anchor, positive, negative, ...rest]);
  if (anchor.ndim !== positive.ndim || positive.ndim !== negative.ndim) {
    throw new ShapeError(
      `tripletMarginLoss: All inputs should have same dimension but got ${anchor.ndim}D, ${positive.ndim}D and ${negative.ndim}D inputs.`,
    );
  }
  const dPos = pairwiseDistance(anchor, positive, o.p, o.eps);
  let dNeg: Tensor = pairwiseDistance(anchor, negative, o.p, o.eps);
  if (o.swap) dNeg = dNeg.minimum(pairwiseDistance(positive, negative, o.p, o.eps));
  const loss = dPos.add(o.margin).sub(dNeg).clamp(0, null);
  return reduced("tripletMarginLoss", loss, o.reduction);
}

/** A distance of two batches of vectors: a function, or a module whose `call` is used. */
export type DistanceFunction =
  | ((x1: Tensor, x2: Tensor) => Tensor)
  | { call(x1: Tensor, x2: Tensor): Tensor };

/** Whether `v` can serve as a `distanceFunction`. */
export function isDistanceFunction(v: unknown): v is DistanceFunction {
  return (
    typeof v === "function" ||
    (typeof v === "object" &&
      v !== null &&
      typeof (v as { call?: unknown }).call === "function" &&
      typeof (v as { forward?: unknown }).forward === "function")
  );
}

/** Applies a distance function or module. */
export function applyDistance(f: DistanceFunction, x1: Tensor, x2: Tensor): Tensor {
  return typeof f === "function" ? f(x1, x2) : f.call(x1, x2);
}

const TRIPLET_DISTANCE = signature(
  "tripletMarginWithDistanceLoss",
  { anchor: tensorArg, positive: tensorArg, negative: tensorArg },
  {
    distanceFunction: opt(
      custom("a function or an nn.Module, or null", (v): v is DistanceFunction | null => {
        return v === null || isDistanceFunction(v);
      }),
      null,
    ),
    margin: opt(num, 1),
    swap: opt(bool, false),
    reduction: reductionArg,
  },
);

/** The keyword-only options of tripletMarginWithDistanceLoss; defaults as PyTorch's. */
export interface TripletMarginWithDistanceOptions {
  distanceFunction?: DistanceFunction | null;
  margin?: number;
  swap?: boolean;
  reduction?: Reduction;
}

/**
 * max(d(a, p) − d(a, n) + margin, 0) for any distance d (pairwiseDistance by default), as
 * torch.nn.functional.triplet_margin_with_distance_loss(anchor, positive, negative, *,
 * distance_function=None, margin=1.0, swap=False, reduction='mean').
 */
export function tripletMarginWithDistanceLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  ...rest: [options?: TripletMarginWithDistanceOptions]
): Tensor<FloatDType> {
  const o = parseArgs(TRIPLET_DISTANCE, [anchor, positive, negative, ...rest]);
  const d = o.distanceFunction ?? ((x1: Tensor, x2: Tensor) => pairwiseDistance(x1, x2));
  const dPos = applyDistance(d, anchor, positive);
  let dNeg = applyDistance(d, anchor, negative);
  if (o.swap) dNeg = dNeg.minimum(applyDistance(d, positive, negative));
  const loss = dPos.sub(dNeg).add(o.margin).clamp(0, null);
  return reduced("tripletMarginWithDistanceLoss", loss, o.reduction);
}

const HINGE = signature("hingeEmbeddingLoss", {
  input: tensorArg,
  target: tensorArg,
  margin: opt(num, 1),
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/**
 * x where y = 1, max(0, margin − x) where y = −1 (both terms for other y, as ATen), as
 * torch.nn.functional.hinge_embedding_loss(input, target, margin=1.0, size_average=None,
 * reduce=None, reduction='mean'). `input` and `target` broadcast.
 */
export function hingeEmbeddingLoss(
  input: Tensor,
  target: Tensor,
  ...rest: MarginArgs
): Tensor<FloatDType> {
  const o = parseArgs(HINGE, [input, target, ...rest]);
  const marginTerm = where(target.ne(1), input.neg().add(o.margin).clamp(0, null), 0);
  const selfTerm = where(target.ne(-1), input, 0);
  return reduced("hingeEmbeddingLoss", marginTerm.add(selfTerm), o.reduction);
}

/** The arguments of the losses whose only options are the reduction ones, in PyTorch's order. */
export type ReductionArgs = WithOptions<
  [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  ReductionOptions
>;

const SOFT_MARGIN = signature("softMarginLoss", {
  input: tensorArg,
  target: tensorArg,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/**
 * log(1 + e^(−y·x)), as torch.nn.functional.soft_margin_loss(input, target, size_average=None,
 * reduce=None, reduction='mean'); computed as PyTorch does (no log-sum-exp), so it overflows
 * where PyTorch's does.
 */
export function softMarginLoss(
  input: Tensor,
  target: Tensor,
  ...rest: ReductionArgs
): Tensor<FloatDType> {
  const o = parseArgs(SOFT_MARGIN, [input, target, ...rest]);
  const loss = input.neg().mul(target).exp().log1p();
  return reduced("softMarginLoss", loss, o.reduction);
}

const POISSON = signature("poissonNllLoss", {
  input: tensorArg,
  target: tensorArg,
  logInput: opt(bool, true),
  full: opt(bool, false),
  sizeAverage: legacy,
  eps: opt(num, 1e-8),
  reduce: legacy,
  reduction: reductionArg,
});

/** Options of poissonNllLoss after (input, target); defaults as PyTorch's. */
export interface PoissonNLLOptions extends ReductionOptions {
  logInput?: boolean;
  full?: boolean;
  eps?: number;
}

/**
 * Poisson negative log likelihood: e^x − y·x (`logInput`), or x − y·log(x + eps); `full` adds
 * Stirling's y·log y − y + ½·log(2πy) where y > 1. As torch.nn.functional.poisson_nll_loss(input,
 * target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
 * reduction='mean'); input and target broadcast.
 */
export function poissonNllLoss(
  input: Tensor,
  target: Tensor,
  ...rest: WithOptions<
    [
      logInput: boolean,
      full: boolean,
      sizeAverage: Legacy,
      eps: number,
      reduce: Legacy,
      reduction: Reduction,
    ],
    PoissonNLLOptions
  >
): Tensor<FloatDType> {
  const o = parseArgs(POISSON, [input, target, ...rest]);
  let loss = o.logInput
    ? input.exp().sub(target.mul(input))
    : input.sub(target.mul(input.add(o.eps).log()));
  if (o.full) {
    const stirling = target
      .mul(target.log())
      .sub(target)
      .add(
        target
          .mul(2 * Math.PI)
          .log()
          .mul(0.5),
      );
    loss = loss.add(stirling.maskedFill(target.le(1), 0));
  }
  return reduced("poissonNllLoss", loss, o.reduction);
}

const GAUSSIAN = signature("gaussianNllLoss", {
  input: tensorArg,
  target: tensorArg,
  var: tensorArg,
  full: opt(bool, false),
  eps: opt(num, 1e-6),
  reduction: reductionArg,
});

/** Options of gaussianNllLoss after (input, target, var); defaults as PyTorch's. */
export interface GaussianNLLOptions {
  full?: boolean;
  eps?: number;
  reduction?: Reduction;
}

/**
 * Gaussian negative log likelihood ½·(log v + (x − y)²/v) (+ ½·log 2π with `full`), v = max(var,
 * eps), as torch.nn.functional.gaussian_nll_loss(input, target, var, full=False, eps=1e-6,
 * reduction='mean'). `var` has the input's shape, or lacks (or has size 1 in) its last dim.
 * NOTE: as PyTorch, the clamp to eps is invisible to autograd (var's gradient is taken at the
 * clamped value and passed straight through).
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  ...rest: WithOptions<[full: boolean, eps: number, reduction: Reduction], GaussianNLLOptions>
): Tensor<FloatDType> {
  const o = parseArgs(GAUSSIAN, [input, target, variance, ...rest]);
  let v = variance;
  if (!shapeEquals(v.shape, input.shape)) {
    const lead = input.shape.slice(0, -1);
    if (shapeEquals(lead, v.shape)) v = v.unsqueeze(-1);
    else if (!(shapeEquals(lead, v.shape.slice(0, -1)) && v.shape[v.ndim - 1] === 1)) {
      throw new ValueError(
        `gaussianNllLoss: var is of incorrect size ${formatShape(v.shape)} (expected ${formatShape(input.shape)}, ${formatShape(lead)} or ${formatShape([...lead, 1])})`,
      );
    }
  }
  if (noGrad(() => v.lt(0).any().item()))
    throw new ValueError("gaussianNllLoss: var has negative entry/entries");
  const clamped = record(
    noGrad(() => v.clamp(o.eps, null)),
    "CloneBackward0",
    [v],
    (g) => [g],
    [v],
  );
  const d = input.sub(target);
  let loss = clamped.log().add(d.mul(d).div(clamped)).mul(0.5);
  if (o.full) loss = loss.add(0.5 * Math.log(2 * Math.PI));
  return reduced("gaussianNllLoss", loss, o.reduction);
}

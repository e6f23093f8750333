// Loss functions with PyTorch's formulas, options and reductions. Class-index targets are int32
// (PyTorch's int64). Arguments in PyTorch's order, positional or in one trailing options object
// (API.md rule 2); the deprecated `sizeAverage`/`reduce` slots accept only null.
// Depends on src/ops and src/tensor only.

import {
  bool,
  int,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { type DType, type FloatDType, isFloating } from "../../core/dtype.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape, shapeEquals } from "../../core/shape.ts";
import { f32 } from "../../ops/conv.ts";
import { asIndexInt32, empty, fusedKernels } from "../../ops/dispatch.ts";
import { where } from "../../ops/elementwise.ts";
import { compositeVjp, record } from "../../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { logSoftmax } from "./activation.ts";
import { onlyNull, optTensor, reductionArg, tensorArg } from "./args.ts";

const legacy = onlyNull("sizeAverage and reduce are deprecated in PyTorch; use reduction");
/** The deprecated positional slots `size_average` and `reduce`: only null. */
export type Legacy = null;

function checkFloatingInput(op: string, input: Tensor): void {
  if (!isFloating(input.dtype)) {
    throw new DTypeError(
      `${op}: expected input of a floating dtype (float32 or float64), but got ${input.dtype} (PyTorch refuses it too)`,
    );
  }
}

/**
 * How a loss reduces its elementwise values: kept as is, averaged, or summed (PyTorch's
 * `reduction`).
 */
export type Reduction = "none" | "mean" | "sum";

/**
 * `loss` as the floating tensor it is. A loss of integer operands throws, as PyTorch's kernels do
 * for int64 operands (`mse_cpu` refuses 'Long'), so the floating type never lies.
 */
function floating(op: string, loss: Tensor): Tensor<FloatDType> {
  if (!isFloating(loss.dtype)) {
    throw new DTypeError(
      `${op}: expected floating operands (float32 or float64), but they give ${loss.dtype} (PyTorch refuses int64 operands too); convert them with .float() first`,
    );
  }
  return loss as Tensor<FloatDType>;
}

function reduce(op: string, loss: Tensor, reduction: Reduction | "batchmean"): Tensor {
  switch (reduction) {
    case "none":
      return loss;
    case "sum":
      return loss.sum();
    case "mean":
      return loss.mean();
    default:
      throw new ValueError(`${op}: ${String(reduction)} is not a valid value for reduction`);
  }
}

function checkSameShape(op: string, input: Tensor, target: Tensor): void {
  if (!shapeEquals(input.shape, target.shape)) {
    throw new ShapeError(
      `${op}: Using a target size (${formatShape(target.shape)}) that is different to the input size (${formatShape(input.shape)}) is not supported; please ensure they have the same size.`,
    );
  }
}

/** Moves the class dim (1) last and flattens: [N, C, d1, ...] → [N·d1·..., C]; [C] → [1, C]. */
function classesLast(x: Tensor): Tensor {
  if (x.ndim === 1) return x.reshape(1, -1);
  if (x.ndim === 2) return x;
  const perm = [0, ...x.shape.map((_, i) => i).slice(2), 1];
  return x.permute(perm).reshape(-1, x.shape[1]!);
}

/**
 * Options of `nllLoss` after `target`, as torch's
 * `weight=None, ignore_index=-100, reduction='mean'`.
 */
export interface NLLOptions {
  weight?: Tensor | null;
  sizeAverage?: Legacy;
  ignoreIndex?: number;
  reduce?: Legacy;
  reduction?: Reduction;
}

const NLL = signature("nllLoss", {
  input: tensorArg,
  target: tensorArg,
  weight: optTensor,
  sizeAverage: legacy,
  ignoreIndex: opt(int, -100),
  reduce: legacy,
  reduction: reductionArg,
});

/** int64 class indices (PyTorch's Long) read exactly as int32, Kiln's index dtype. */
function int64Target(op: string, target: Tensor): Tensor {
  return target instanceof Tensor && target.dtype === "int64"
    ? asIndexInt32(op, target, "target")
    : target;
}

function checkIndexTarget(op: string, input: Tensor, target: Tensor): void {
  if (target.dtype !== "int32") {
    throw new DTypeError(
      `${op}: expected target of class indices with dtype int64 or int32, but found ${target.dtype}${isFloating(target.dtype) ? "; use .int() for class indices, or pass class probabilities with the input's shape" : ""}`,
    );
  }
  const expected = input.ndim === 1 ? [] : [input.shape[0]!, ...input.shape.slice(2)];
  if (!shapeEquals(expected, target.shape)) {
    throw new ShapeError(
      `${op}: expected target of shape ${formatShape(expected)} for input of shape ${formatShape(input.shape)}, got ${formatShape(target.shape)}`,
    );
  }
}

/**
 * Negative log likelihood of log-probabilities, as torch.nn.functional.nll_loss(input, target,
 * weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean'):
 * loss_i = −w[y_i]·input[i, y_i], 0 where y_i = ignoreIndex; "mean" divides by Σ w[y_i].
 * `input [N, C]` or `[N, C, d1, ...]`, `target [N]` or `[N, d1, ...]` int32.
 */
export function nllLoss(
  input: Tensor,
  targetIn: Tensor,
  ...rest: WithOptions<
    [
      weight: Tensor | null,
      sizeAverage: Legacy,
      ignoreIndex: number,
      reduce: Legacy,
      reduction: Reduction,
    ],
    NLLOptions
  >
): Tensor<FloatDType> {
  const options = parseArgs(NLL, [input, targetIn, ...rest]);
  const target = int64Target("nllLoss", targetIn);
  checkFloatingInput("nllLoss", input);
  checkIndexTarget("nllLoss", input, target);
  const C = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  const ignore = options.ignoreIndex;
  const t = target.reshape(-1);
  const tv = t.dataSync();
  for (const v of tv) {
    if (v !== ignore && (v < 0 || v >= C)) {
      throw new IndexError(
        `nllLoss: Target ${v} is out of bounds (expected class indices in [0, ${C - 1}])`,
      );
    }
  }
  const valid = t.ne(ignore);
  const safe = where(valid, t, 0);
  const picked = classesLast(input).gather(1, safe.reshape(-1, 1)).reshape(-1);
  let w = valid.to(input.dtype);
  if (options.weight !== null) w = options.weight.index(safe).mul(w);
  const loss = picked.neg().mul(w);
  const reduction = options.reduction;
  if (reduction === "mean") return floating("nllLoss", loss.sum().div(w.sum()));
  return floating(
    "nllLoss",
    reduce("nllLoss", reduction === "none" ? loss.reshape(target.shape) : loss, reduction),
  );
}

/** Options of `crossEntropy`: `NLLOptions` plus `labelSmoothing` ε in [0, 1] (torch: 0.0). */
export interface CrossEntropyOptions extends NLLOptions {
  labelSmoothing?: number;
}

const CROSS_ENTROPY = signature("crossEntropy", {
  ...NLL.params,
  labelSmoothing: opt(num, 0),
});
type CrossEntropyArgs = ReturnType<typeof parseArgs<(typeof CROSS_ENTROPY)["params"]>>;

/**
 * Cross entropy of logits, as torch.nn.functional.cross_entropy(input, target, weight=None,
 * size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0): logSoftmax over dim 1, then
 * NLL for int32 class indices, or −Σ p·log q for float class probabilities (same shape as input).
 * `labelSmoothing` ε mixes in the uniform distribution: (1 − ε)·nll + ε/C·Σ_c −w_c·log q_c.
 */
export function crossEntropy(
  input: Tensor,
  targetIn: Tensor,
  ...rest: WithOptions<
    [
      weight: Tensor | null,
      sizeAverage: Legacy,
      ignoreIndex: number,
      reduce: Legacy,
      reduction: Reduction,
      labelSmoothing: number,
    ],
    CrossEntropyOptions
  >
): Tensor<FloatDType> {
  const options = parseArgs(CROSS_ENTROPY, [input, targetIn, ...rest]);
  const target = int64Target("crossEntropy", targetIn);
  checkFloatingInput("crossEntropy", input);
  const eps = options.labelSmoothing;
  if (eps < 0 || eps > 1)
    throw new ValueError(`crossEntropy: label_smoothing must be between 0.0 and 1.0. Got: ${eps}`);
  const reduction = options.reduction;
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim]!;
  const fk = fusedKernels();
  if (
    fk?.crossEntropy !== undefined &&
    fk.crossEntropyBackward !== undefined &&
    input.ndim === 2 &&
    input.dtype === "float32" &&
    target.dtype === "int32" &&
    (options.weight === null ||
      (options.weight.dtype === "float32" && options.weight.numel() === C)) &&
    !options.weight?.requiresGrad &&
    !composing
  ) {
    return floating("crossEntropy", crossEntropyFused(input, target, options, reduction, eps));
  }
  const logp = logSoftmax(input, classDim);
  const wShape = input.shape.map((s, i) => (i === classDim ? s : 1));
  const weight = options.weight;
  if (isFloating(target.dtype) && shapeEquals(target.shape, input.shape)) {
    const p = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
    let prod = logp.mul(p);
    if (weight !== null) prod = prod.mul(weight.reshape(wShape));
    if (reduction === "none") return floating("crossEntropy", prod.sum(classDim).neg());
    if (reduction === "sum") return floating("crossEntropy", prod.sum().neg());
    return floating(
      "crossEntropy",
      prod
        .sum()
        .neg()
        .div(input.numel() / C),
    );
  }
  const nll = nllLoss(logp, target, { weight, ignoreIndex: options.ignoreIndex, reduction });
  if (eps === 0) return floating("crossEntropy", nll);
  const ignore = target.eq(options.ignoreIndex);
  let smooth = (weight !== null ? logp.mul(weight.reshape(wShape)) : logp).sum(classDim).neg();
  smooth = smooth.maskedFill(ignore, 0);
  let ret: Tensor;
  if (reduction === "mean") {
    const valid = ignore.logicalNot();
    const denom = weight !== null ? weight.index(target.maskedSelect(valid)).sum() : valid.sum();
    ret = smooth.sum().div(denom);
  } else ret = reduction === "sum" ? smooth.sum() : smooth;
  return floating("crossEntropy", nll.mul(1 - eps).add(ret.mul(eps / C)));
}

/** True while a fused VJP recomputes crossEntropy from primitives (createGraph). */
let composing = false;

/** crossEntropy of [N, C] logits and int32 classes through the backend's fused kernels. */
function crossEntropyFused(
  inputIn: Tensor,
  target: Tensor,
  options: CrossEntropyArgs,
  reduction: Reduction,
  eps: number,
): Tensor {
  checkIndexTarget("nllLoss", inputIn, target);
  const [N, C] = inputIn.shape as [number, number];
  const ignore = options.ignoreIndex;
  const t = target.contiguous().dataSync() as Int32Array;
  for (const v of t) {
    if (v !== ignore && (v < 0 || v >= C)) {
      throw new IndexError(
        `nllLoss: Target ${v} is out of bounds (expected class indices in [0, ${C - 1}])`,
      );
    }
  }
  const fk = fusedKernels()!;
  const backward = fk.crossEntropyBackward!;
  const input = inputIn.contiguous();
  const weight = options.weight === null ? null : f32(options.weight.contiguous());
  const loss = empty([N], "float32");
  const rowWeight = new Float32Array(N);
  const lse = new Float32Array(N);
  fk.crossEntropy!(N, C, f32(input), t, weight, ignore, eps, f32(loss), rowWeight, lse);
  let out: Tensor;
  let denom = 1;
  if (reduction === "none") out = loss;
  else {
    const l = f32(loss);
    let s = 0;
    for (let i = 0; i < N; i++) s += l[i]!;
    if (reduction === "mean") {
      let d = 0;
      for (let i = 0; i < N; i++) d += rowWeight[i]!;
      denom = Math.fround(d);
      s = Math.fround(s) / denom;
    }
    out = Tensor.fromData(Float32Array.of(s), [], "float32");
  }
  return record(
    out,
    "NllLossBackward0",
    [input],
    (g) => {
      // createGraph: differentiate the composite form, so the gradient records a graph.
      if (isGradEnabled()) {
        return compositeVjp(
          [input],
          () => {
            composing = true;
            try {
              const o = { weight: options.weight, ignoreIndex: ignore, labelSmoothing: eps };
              return crossEntropy(input, target, { ...o, reduction });
            } finally {
              composing = false;
            }
          },
          g,
        );
      }
      const gx = empty([N, C], "float32");
      const gs = reduction === "none" ? 1 : 0;
      const gv =
        reduction === "none"
          ? f32(g.to("float32").contiguous())
          : Float32Array.of((g.item() as number) / denom);
      backward(N, C, f32(input), t, weight, ignore, eps, lse, gv, gs, f32(gx));
      return [gx];
    },
    [input],
  );
}

const BCE = signature("binaryCrossEntropy", {
  input: tensorArg,
  target: tensorArg,
  weight: optTensor,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/**
 * −w·(y·log x + (1 − y)·log(1 − x)), logs clamped at −100 as PyTorch; x are probabilities. As
 * torch.nn.functional.binary_cross_entropy(input, target, weight=None, size_average=None,
 * reduce=None, reduction='mean').
 * NOTE: the gradient is PyTorch's closed form, w·(x − y) / max(x·(1 − x), 1e-12), not the
 * chain rule through the clamp, which gives 0·∞ = NaN at x = 0 or 1 (a saturated sigmoid).
 */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  ...rest: WithOptions<
    [weight: Tensor | null, sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
    { weight?: Tensor | null; sizeAverage?: Legacy; reduce?: Legacy; reduction?: Reduction }
  >
): Tensor<FloatDType> {
  const options = parseArgs(BCE, [input, target, ...rest]);
  checkSameShape("binaryCrossEntropy", input, target);
  const w = options.weight;
  const reduction = options.reduction;
  const loss = noGrad(() => {
    const lx = input.log().clamp(-100, null);
    const l1x = input.neg().add(1).log().clamp(-100, null);
    const l = target.mul(lx).add(target.neg().add(1).mul(l1x)).neg();
    return reduce("binaryCrossEntropy", w === null ? l : l.mul(w), reduction);
  });
  // As PyTorch's kernels: the weight multiplies last, then "mean" divides by the element count.
  const finish = (t: Tensor) => {
    const weighted = w === null ? t : t.mul(w);
    return reduction === "mean" ? weighted.div(input.numel()) : weighted;
  };
  return floating(
    "binaryCrossEntropy",
    record(
      loss,
      "BinaryCrossEntropyBackward0",
      [input, target],
      (g) => [
        // d/dx = w·(x − y) / max(x·(1 − x), ε), ε = float(1e-12) (PyTorch's EPSILON in Loss.cpp)
        finish(g.mul(input.sub(target)).div(input.neg().add(1).mul(input).clamp(EPSILON, null))),
        // d/dy = w·(log(1 − x) − log x), unclamped as PyTorch's target gradient
        finish(g.mul(input.neg().add(1).log().sub(input.log()))),
      ],
      [input, target],
    ),
  );
}

const EPSILON = Math.fround(1e-12);

const BCE_LOGITS = signature("binaryCrossEntropyWithLogits", {
  ...BCE.params,
  posWeight: optTensor,
});

/**
 * BCE on logits in the log-sum-exp form, as torch.nn.functional.binary_cross_entropy_with_logits(
 * input, target, weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None):
 * m = max(−x, 0); loss = (1 − y)·x + lw·(log(e^−m + e^(−x−m)) + m), lw = 1 + (posWeight − 1)·y.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  ...rest: WithOptions<
    [
      weight: Tensor | null,
      sizeAverage: Legacy,
      reduce: Legacy,
      reduction: Reduction,
      posWeight: Tensor | null,
    ],
    {
      weight?: Tensor | null;
      sizeAverage?: Legacy;
      reduce?: Legacy;
      reduction?: Reduction;
      posWeight?: Tensor | null;
    }
  >
): Tensor<FloatDType> {
  const options = parseArgs(BCE_LOGITS, [input, target, ...rest]);
  checkSameShape("binaryCrossEntropyWithLogits", input, target);
  const m = input.neg().clamp(0, null);
  const lse = m.neg().exp().add(input.neg().sub(m).exp()).log().add(m);
  const oneMinusT = target.neg().add(1);
  let loss: Tensor;
  if (options.posWeight !== null) {
    const lw = options.posWeight.sub(1).mul(target).add(1);
    loss = oneMinusT.mul(input).add(lw.mul(lse));
  } else {
    loss = oneMinusT.mul(input).add(lse);
  }
  if (options.weight !== null) loss = loss.mul(options.weight);
  return floating(
    "binaryCrossEntropyWithLogits",
    reduce("binaryCrossEntropyWithLogits", loss, options.reduction),
  );
}

function pointwiseSignature(op: string) {
  return signature(op, {
    input: tensorArg,
    target: tensorArg,
    sizeAverage: legacy,
    reduce: legacy,
    reduction: reductionArg,
  });
}
const MSE = pointwiseSignature("mseLoss");
const L1 = pointwiseSignature("l1Loss");

/** The arguments of mse_loss and l1_loss after (input, target), in PyTorch's order. */
export type PointwiseLossArgs = WithOptions<
  [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  { sizeAverage?: Legacy; reduce?: Legacy; reduction?: Reduction }
>;

/**
 * (x − y)², as torch.nn.functional.mse_loss(input, target, size_average=None, reduce=None,
 * reduction='mean').
 */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  ...rest: PointwiseLossArgs
): Tensor<FloatDType> {
  const { reduction } = parseArgs(MSE, [input, target, ...rest]);
  checkSameShape("mseLoss", input, target);
  const d = floating("mseLoss", input.sub(target));
  return floating("mseLoss", reduce("mseLoss", d.mul(d), reduction));
}

/**
 * |x − y|, as torch.nn.functional.l1_loss (arguments as mseLoss's). Floating for floating
 * operands; int32 ones give int32 with "none" and "sum" (and throw with "mean"), as PyTorch's.
 */
export function l1Loss(
  input: Tensor,
  target: Tensor,
  ...rest: PointwiseLossArgs
): Tensor<Exclude<DType, "bool">> {
  const { reduction } = parseArgs(L1, [input, target, ...rest]);
  checkSameShape("l1Loss", input, target);
  // NOTE: bool − bool throws in sub, so the result is never bool.
  return reduce("l1Loss", input.sub(target).abs(), reduction) as Tensor<Exclude<DType, "bool">>;
}

const SMOOTH_L1 = signature("smoothL1Loss", { ...MSE.params, beta: opt(num, 1) });

/**
 * ½d²/β where |d| < β, |d| − ½β elsewhere (β = 0 is L1), as torch.nn.functional.smooth_l1_loss(
 * input, target, size_average=None, reduce=None, reduction='mean', beta=1.0).
 */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  ...rest: WithOptions<
    [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction, beta: number],
    { sizeAverage?: Legacy; reduce?: Legacy; reduction?: Reduction; beta?: number }
  >
): Tensor<FloatDType> {
  const options = parseArgs(SMOOTH_L1, [input, target, ...rest]);
  checkSameShape("smoothL1Loss", input, target);
  const beta = options.beta;
  if (beta < 0)
    throw new ValueError("smoothL1Loss: smooth_l1_loss does not support negative values for beta.");
  const d = floating("smoothL1Loss", input.sub(target)).abs();
  if (beta === 0) return floating("smoothL1Loss", reduce("smoothL1Loss", d, options.reduction));
  const loss = where(d.lt(beta), d.mul(d).mul(0.5 / beta), d.sub(0.5 * beta));
  return floating("smoothL1Loss", reduce("smoothL1Loss", loss, options.reduction));
}

const HUBER = signature("huberLoss", {
  input: tensorArg,
  target: tensorArg,
  reduction: reductionArg,
  delta: opt(num, 1),
});

/**
 * ½d² where |d| ≤ δ, δ(|d| − ½δ) elsewhere, as torch.nn.functional.huber_loss(input, target,
 * reduction='mean', delta=1.0).
 */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  ...rest: WithOptions<
    [reduction: Reduction, delta: number],
    { reduction?: Reduction; delta?: number }
  >
): Tensor<FloatDType> {
  const options = parseArgs(HUBER, [input, target, ...rest]);
  checkSameShape("huberLoss", input, target);
  const delta = options.delta;
  if (delta <= 0)
    throw new ValueError("huberLoss: huber_loss does not support non-positive values for delta.");
  const d = floating("huberLoss", input.sub(target)).abs();
  const loss = where(d.le(delta), d.mul(d).mul(0.5), d.sub(0.5 * delta).mul(delta));
  return floating("huberLoss", reduce("huberLoss", loss, options.reduction));
}

const KL_DIV = signature("klDiv", {
  input: tensorArg,
  target: tensorArg,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: opt(oneOf("none", "mean", "sum", "batchmean"), "mean"),
  logTarget: opt(bool, false),
});

/**
 * KL divergence with log-probability input, as torch.nn.functional.kl_div(input, target,
 * size_average=None, reduce=None, reduction='mean', log_target=False):
 * y·(log y − x) (0 where y = 0), or e^y·(y − x) with `logTarget`. "batchmean" divides the sum
 * by the batch size (PyTorch's "mean" divides by every element).
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  ...rest: WithOptions<
    [sizeAverage: Legacy, reduce: Legacy, reduction: Reduction | "batchmean", logTarget: boolean],
    {
      sizeAverage?: Legacy;
      reduce?: Legacy;
      reduction?: Reduction | "batchmean";
      logTarget?: boolean;
    }
  >
): Tensor<FloatDType> {
  const options = parseArgs(KL_DIV, [input, target, ...rest]);
  let loss: Tensor;
  if (options.logTarget) loss = target.exp().mul(target.sub(input));
  else {
    const pos = target.gt(0);
    const xlogy = where(pos, target.mul(where(pos, target, 1).log()), 0);
    loss = xlogy.sub(target.mul(input));
  }
  const reduction = options.reduction;
  if (reduction === "batchmean")
    return floating("klDiv", input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]!));
  return floating("klDiv", reduce("klDiv", loss, reduction));
}

// Multi-class margin losses (nn.functional's multilabelMarginLoss, multilabelSoftMarginLoss,
// multiMarginLoss) with PyTorch 1.13's formulas, checks and reductions; class-index targets are
// int32 (PyTorch's int64). Arguments as ../functional/loss-more.ts takes them.
// Depends on src/ops, src/tensor and nn/functional only.

import { int, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import type { FloatDType } from "../../core/dtype.ts";
import { IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape, shapeEquals } from "../../core/shape.ts";
import { asIndexInt32 } from "../../ops/dispatch.ts";
import { record } from "../../tensor/autograd.ts";
import { noGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { optTensor, reductionArg, tensorArg } from "../functional/args.ts";
import type { Legacy, Reduction } from "../functional/loss.ts";
import {
  checkFloatingInput,
  checkIndexTarget,
  legacy,
  type ReductionArgs,
  type ReductionOptions,
  reduced,
} from "../functional/loss-more.ts";

/** int64 class indices (PyTorch's Long) read exactly as int32, Kiln's index dtype. */
function int64Target(op: string, target: Tensor): Tensor {
  return target instanceof Tensor && target.dtype === "int64"
    ? asIndexInt32(op, target, "target")
    : target;
}

const MULTILABEL_MARGIN = signature("multilabelMarginLoss", {
  input: tensorArg,
  target: tensorArg,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/** [nframe, dim] of an input of a multi-class margin loss (0-D, 1-D or 2-D), as ATen's check. */
function frames(op: string, input: Tensor): [number, number] {
  const n = input.ndim;
  if (!((n === 2 && input.shape[1] !== 0) || (n === 1 && input.shape[0] !== 0) || n === 0)) {
    throw new ShapeError(
      `${op}: Expected non-empty vector or matrix with optional 0-dim batch size, but got: ${formatShape(input.shape)}`,
    );
  }
  return [n <= 1 ? 1 : input.shape[0]!, n === 0 ? 1 : input.shape[n - 1]!];
}

/**
 * Σ_j Σ_{i ∉ targets} max(0, 1 − (x[y_j] − x[i])) / C over the target classes y_j listed before
 * the first −1, as torch.nn.functional.multilabel_margin_loss(input, target, size_average=None,
 * reduce=None, reduction='mean'). `input [N, C]` or `[C]`, int32 `target` of the same shape.
 */
export function multilabelMarginLoss(
  input: Tensor,
  targetIn: Tensor,
  ...rest: ReductionArgs
): Tensor<FloatDType> {
  const o = parseArgs(MULTILABEL_MARGIN, [input, targetIn, ...rest]);
  const target = int64Target("multilabelMarginLoss", targetIn);
  const op = "multilabelMarginLoss";
  const [N, C] = frames(op, input);
  checkFloatingInput(op, input);
  checkIndexTarget(op, target);
  const ok =
    input.ndim <= 1
      ? target.ndim <= 1 && target.numel() === C
      : shapeEquals(target.shape, input.shape);
  if (!ok) {
    throw new ShapeError(
      `${op}: inconsistent size ${formatShape(target.shape)} for argument #2 'target' (expected the input's size ${formatShape(input.shape)})`,
    );
  }
  const t = target.contiguous().dataSync() as Int32Array;
  const idx = new Int32Array(N * C);
  const valid = new Float64Array(N * C);
  const other = new Float64Array(N * C).fill(1);
  for (const v of t) {
    if (v < -1 || v >= C)
      throw new IndexError(
        `${op}: argument #2 'target' is out of range: ${v} (expected −1 to ${C - 1})`,
      );
  }
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < C; j++) {
      const v = t[n * C + j]!;
      if (v < 0) break;
      idx[n * C + j] = v;
      valid[n * C + j] = 1;
      other[n * C + v] = 0;
    }
  }
  const x = input.reshape(N, C);
  const dt = input.dtype;
  const xt = x.gather(1, Tensor.fromData(idx, [N, C], "int32"));
  const pair = Tensor.fromData(valid, [N, C, 1], "float64")
    .mul(Tensor.fromData(other, [N, 1, C], "float64"))
    .to(dt);
  const z = x.unsqueeze(1).sub(xt.unsqueeze(2)).add(1).relu();
  let loss: Tensor = z.mul(pair).sum([1, 2]).div(C);
  if (target.ndim <= 1) loss = loss.reshape([]);
  return reduced(op, loss, o.reduction);
}

const MULTILABEL_SOFT = signature("multilabelSoftMarginLoss", {
  input: tensorArg,
  target: tensorArg,
  weight: optTensor,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/** log σ(x) = min(x, 0) − log1p(e^−|x|), with the gradient σ(−x) as torch's log_sigmoid. */
function logSigmoid(x: Tensor): Tensor {
  const y = noGrad(() => x.clamp(null, 0).sub(x.abs().neg().exp().log1p()));
  return record(y, "LogSigmoidBackward0", [x], (g) => [g.mul(x.neg().sigmoid())], [x]);
}

/** The arguments after (input, target) of the losses with a `weight`, in PyTorch's order. */
export type WeightedArgs = WithOptions<
  [weight: Tensor | null, sizeAverage: Legacy, reduce: Legacy, reduction: Reduction],
  ReductionOptions & { weight?: Tensor | null }
>;

/**
 * −Σ_c w_c·(y_c·log σ(x_c) + (1 − y_c)·log σ(−x_c)) / C per sample, as
 * torch.nn.functional.multilabel_soft_margin_loss(input, target, weight=None, size_average=None,
 * reduce=None, reduction='mean'). `input [N, C]` (or `[C]`), target broadcast to it.
 */
export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  ...rest: WeightedArgs
): Tensor<FloatDType> {
  const o = parseArgs(MULTILABEL_SOFT, [input, target, ...rest]);
  let loss = target
    .mul(logSigmoid(input))
    .add(target.neg().add(1).mul(logSigmoid(input.neg())))
    .neg();
  if (o.weight !== null) loss = loss.mul(o.weight);
  const classDim = input.ndim - 1;
  loss = loss.sum(classDim).div(input.shape[classDim]!);
  return reduced("multilabelSoftMarginLoss", loss, o.reduction);
}

const MULTI_MARGIN = signature("multiMarginLoss", {
  input: tensorArg,
  target: tensorArg,
  p: opt(int, 1),
  margin: opt(num, 1),
  weight: optTensor,
  sizeAverage: legacy,
  reduce: legacy,
  reduction: reductionArg,
});

/** Options of multiMarginLoss after (input, target); defaults as PyTorch's. */
export interface MultiMarginOptions extends ReductionOptions {
  p?: number;
  margin?: number;
  weight?: Tensor | null;
}

/**
 * Σ_{i ≠ y} w_y·max(0, margin − x[y] + x[i])^p / C per sample (p = 1 or 2), as
 * torch.nn.functional.multi_margin_loss(input, target, p=1, margin=1.0, weight=None,
 * size_average=None, reduce=None, reduction='mean'). `input [N, C]` with int32 `target [N]`, or
 * `[C]` with `[]`.
 */
export function multiMarginLoss(
  input: Tensor,
  targetIn: Tensor,
  ...rest: WithOptions<
    [
      p: number,
      margin: number,
      weight: Tensor | null,
      sizeAverage: Legacy,
      reduce: Legacy,
      reduction: Reduction,
    ],
    MultiMarginOptions
  >
): Tensor<FloatDType> {
  const o = parseArgs(MULTI_MARGIN, [input, targetIn, ...rest]);
  const target = int64Target("multiMarginLoss", targetIn);
  const op = "multiMarginLoss";
  if (o.p !== 1 && o.p !== 2)
    throw new ValueError(`${op}: only p == 1 and p == 2 supported (got p=${o.p})`);
  if (o.weight !== null && o.weight.ndim !== 1)
    throw new ValueError(
      `${op}: weight must be one-dimensional (got ${formatShape(o.weight.shape)})`,
    );
  const [N, C] = frames(op, input);
  checkFloatingInput(op, input);
  checkIndexTarget(op, target);
  if (!(target.ndim <= 1 && target.numel() === N)) {
    throw new ShapeError(
      `${op}: inconsistent target size, got: ${formatShape(target.shape)} (expected ${N} class indices)`,
    );
  }
  for (const v of target.contiguous().dataSync() as Int32Array) {
    if (v < 0 || v >= C)
      throw new IndexError(
        `${op}: target out of range: ${v} (expected class indices in [0, ${C - 1}])`,
      );
  }
  const x = input.reshape(N, C);
  const y = target.reshape(N, 1);
  const xy = x.gather(1, y);
  const notY = noGrad(() =>
    Tensor.fromData(
      Int32Array.from({ length: C }, (_, i) => i),
      [1, C],
      "int32",
    ).ne(y),
  );
  let z: Tensor = x.sub(xy).add(o.margin).relu();
  if (o.p === 2) z = z.mul(z);
  z = z.mul(notY);
  if (o.weight !== null) z = z.mul(o.weight.index(y.reshape(-1)).reshape(N, 1));
  const loss = z.sum(1).div(C).reshape(target.shape);
  return reduced(op, loss, o.reduction);
}

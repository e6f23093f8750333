// Loss functions with PyTorch's formulas, options and reductions. Class-index targets are int32
// (PyTorch's int64). Depends on src/ops and src/tensor only.

import { isFloating } from "../../core/dtype.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape, shapeEquals } from "../../core/shape.ts";
import { f32 } from "../../ops/conv.ts";
import { empty, fusedKernels } from "../../ops/dispatch.ts";
import { where } from "../../ops/elementwise.ts";
import { record } from "../../tensor/autograd.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { logSoftmax } from "./activation.ts";

export type Reduction = "none" | "mean" | "sum";

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

export interface NLLOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  reduction?: Reduction;
}

function checkIndexTarget(op: string, input: Tensor, target: Tensor): void {
  if (target.dtype !== "int32") {
    throw new DTypeError(
      `${op}: expected target of class indices with dtype int32 (PyTorch: Long), but found ${target.dtype}${isFloating(target.dtype) ? "; use .int() for class indices, or pass class probabilities with the input's shape" : ""}`,
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
 * Negative log likelihood of log-probabilities, as torch.nn.functional.nll_loss:
 * loss_i = −w[y_i]·input[i, y_i], 0 where y_i = ignoreIndex; "mean" divides by Σ w[y_i].
 * `input [N, C]` or `[N, C, d1, ...]`, `target [N]` or `[N, d1, ...]` int32.
 */
export function nllLoss(input: Tensor, target: Tensor, options: NLLOptions = {}): Tensor {
  checkIndexTarget("nllLoss", input, target);
  const C = input.ndim === 1 ? input.shape[0]! : input.shape[1]!;
  const ignore = options.ignoreIndex ?? -100;
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
  if (options.weight != null) w = options.weight.index(safe).mul(w);
  const loss = picked.neg().mul(w);
  const reduction = options.reduction ?? "mean";
  if (reduction === "mean") return loss.sum().div(w.sum());
  return reduce("nllLoss", reduction === "none" ? loss.reshape(target.shape) : loss, reduction);
}

export interface CrossEntropyOptions extends NLLOptions {
  labelSmoothing?: number;
}

/**
 * Cross entropy of logits, as torch.nn.functional.cross_entropy: logSoftmax over dim 1, then
 * NLL for int32 class indices, or −Σ p·log q for float class probabilities (same shape as input).
 * `labelSmoothing` ε mixes in the uniform distribution: (1 − ε)·nll + ε/C·Σ_c −w_c·log q_c.
 */
export function crossEntropy(
  input: Tensor,
  target: Tensor,
  options: CrossEntropyOptions = {},
): Tensor {
  const eps = options.labelSmoothing ?? 0;
  if (eps < 0 || eps > 1)
    throw new ValueError(`crossEntropy: label_smoothing must be between 0.0 and 1.0. Got: ${eps}`);
  const reduction = options.reduction ?? "mean";
  const classDim = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classDim]!;
  const fk = fusedKernels();
  if (
    fk?.crossEntropy !== undefined &&
    fk.crossEntropyBackward !== undefined &&
    input.ndim === 2 &&
    input.dtype === "float32" &&
    target.dtype === "int32" &&
    (options.weight == null ||
      (options.weight.dtype === "float32" && options.weight.numel() === C)) &&
    !options.weight?.requiresGrad &&
    (reduction === "mean" || reduction === "sum" || reduction === "none")
  ) {
    return crossEntropyFused(input, target, options, reduction, eps);
  }
  const logp = logSoftmax(input, classDim);
  const wShape = input.shape.map((s, i) => (i === classDim ? s : 1));
  const weight = options.weight ?? null;
  if (isFloating(target.dtype) && shapeEquals(target.shape, input.shape)) {
    const p = eps > 0 ? target.mul(1 - eps).add(eps / C) : target;
    let prod = logp.mul(p);
    if (weight !== null) prod = prod.mul(weight.reshape(wShape));
    if (reduction === "none") return prod.sum(classDim).neg();
    if (reduction === "sum") return prod.sum().neg();
    return prod
      .sum()
      .neg()
      .div(input.numel() / C);
  }
  const nll = nllLoss(logp, target, {
    weight,
    ignoreIndex: options.ignoreIndex ?? -100,
    reduction,
  });
  if (eps === 0) return nll;
  const ignore = target.eq(options.ignoreIndex ?? -100);
  let smooth = (weight !== null ? logp.mul(weight.reshape(wShape)) : logp).sum(classDim).neg();
  smooth = smooth.maskedFill(ignore, 0);
  let ret: Tensor;
  if (reduction === "mean") {
    const valid = ignore.logicalNot();
    const denom = weight !== null ? weight.index(target.maskedSelect(valid)).sum() : valid.sum();
    ret = smooth.sum().div(denom);
  } else ret = reduction === "sum" ? smooth.sum() : smooth;
  return nll.mul(1 - eps).add(ret.mul(eps / C));
}

/** crossEntropy of [N, C] logits and int32 classes through the backend's fused kernels. */
function crossEntropyFused(
  inputIn: Tensor,
  target: Tensor,
  options: CrossEntropyOptions,
  reduction: Reduction,
  eps: number,
): Tensor {
  checkIndexTarget("nllLoss", inputIn, target);
  const [N, C] = inputIn.shape as [number, number];
  const ignore = options.ignoreIndex ?? -100;
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
  const weight = options.weight == null ? null : f32(options.weight.contiguous());
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

/** −w·(y·log x + (1 − y)·log(1 − x)), logs clamped at −100 as PyTorch; x are probabilities. */
export function binaryCrossEntropy(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  checkSameShape("binaryCrossEntropy", input, target);
  const lx = input.log().clamp(-100, null);
  const l1x = input.neg().add(1).log().clamp(-100, null);
  let loss = target.mul(lx).add(target.neg().add(1).mul(l1x)).neg();
  if (options.weight != null) loss = loss.mul(options.weight);
  return reduce("binaryCrossEntropy", loss, options.reduction ?? "mean");
}

/**
 * BCE on logits in the log-sum-exp form, as torch.nn.functional.binary_cross_entropy_with_logits:
 * m = max(−x, 0); loss = (1 − y)·x + lw·(log(e^−m + e^(−x−m)) + m), lw = 1 + (posWeight − 1)·y.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  options: { weight?: Tensor | null; posWeight?: Tensor | null; reduction?: Reduction } = {},
): Tensor {
  checkSameShape("binaryCrossEntropyWithLogits", input, target);
  const m = input.neg().clamp(0, null);
  const lse = m.neg().exp().add(input.neg().sub(m).exp()).log().add(m);
  const oneMinusT = target.neg().add(1);
  let loss: Tensor;
  if (options.posWeight != null) {
    const lw = options.posWeight.sub(1).mul(target).add(1);
    loss = oneMinusT.mul(input).add(lw.mul(lse));
  } else {
    loss = oneMinusT.mul(input).add(lse);
  }
  if (options.weight != null) loss = loss.mul(options.weight);
  return reduce("binaryCrossEntropyWithLogits", loss, options.reduction ?? "mean");
}

/** (x − y)², as torch.nn.functional.mse_loss. */
export function mseLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  checkSameShape("mseLoss", input, target);
  const d = input.sub(target);
  return reduce("mseLoss", d.mul(d), options.reduction ?? "mean");
}

/** |x − y|, as torch.nn.functional.l1_loss. */
export function l1Loss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction } = {},
): Tensor {
  checkSameShape("l1Loss", input, target);
  return reduce("l1Loss", input.sub(target).abs(), options.reduction ?? "mean");
}

/** ½d²/β where |d| < β, |d| − ½β elsewhere (β = 1; β = 0 is L1), as torch smooth_l1_loss. */
export function smoothL1Loss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction; beta?: number } = {},
): Tensor {
  checkSameShape("smoothL1Loss", input, target);
  const beta = options.beta ?? 1;
  if (beta < 0)
    throw new ValueError("smoothL1Loss: smooth_l1_loss does not support negative values for beta.");
  const d = input.sub(target).abs();
  if (beta === 0) return reduce("smoothL1Loss", d, options.reduction ?? "mean");
  const loss = where(d.lt(beta), d.mul(d).mul(0.5 / beta), d.sub(0.5 * beta));
  return reduce("smoothL1Loss", loss, options.reduction ?? "mean");
}

/** ½d² where |d| ≤ δ, δ(|d| − ½δ) elsewhere (δ = 1), as torch huber_loss. */
export function huberLoss(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction; delta?: number } = {},
): Tensor {
  checkSameShape("huberLoss", input, target);
  const delta = options.delta ?? 1;
  if (delta <= 0)
    throw new ValueError("huberLoss: huber_loss does not support non-positive values for delta.");
  const d = input.sub(target).abs();
  const loss = where(d.le(delta), d.mul(d).mul(0.5), d.sub(0.5 * delta).mul(delta));
  return reduce("huberLoss", loss, options.reduction ?? "mean");
}

/**
 * KL divergence with log-probability input, as torch.nn.functional.kl_div:
 * y·(log y − x) (0 where y = 0), or e^y·(y − x) with `logTarget`. "batchmean" divides the sum
 * by the batch size (PyTorch's "mean" divides by every element).
 */
export function klDiv(
  input: Tensor,
  target: Tensor,
  options: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {},
): Tensor {
  let loss: Tensor;
  if (options.logTarget) loss = target.exp().mul(target.sub(input));
  else {
    const pos = target.gt(0);
    const xlogy = where(pos, target.mul(where(pos, target, 1).log()), 0);
    loss = xlogy.sub(target.mul(input));
  }
  const reduction = options.reduction ?? "mean";
  if (reduction === "batchmean")
    return input.ndim === 0 ? loss.sum() : loss.sum().div(input.shape[0]!);
  return reduce("klDiv", loss, reduction);
}

// Distances between vectors: cosineSimilarity, pairwiseDistance, normalize, and the p-norm over
// one dim that they share, whose gradient is PyTorch's norm_backward (0 where the norm is 0, ties
// of the ∞-norm share equally), not the chain rule through sqrt (NaN at 0).
// Depends on src/ops, src/tensor and src/core only.

import { bool, int, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { type FloatDType, isFloating, promoteTypes } from "../../core/dtype.ts";
import { DTypeError } from "../../core/errors.ts";
import { broadcastShapes } from "../../core/shape.ts";
import { record } from "../../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { onlyNull, tensorArg } from "./args.ts";

/**
 * ‖x‖_p over `dim`, as torch.norm(x, p, dim, keepdim): Σ|x|^p^(1/p); p = 0 counts the nonzeros,
 * p = ±∞ is the largest (smallest) |x|. The gradient is PyTorch's norm_backward.
 */
export function vectorNorm(
  x: Tensor,
  p: number,
  dim: number,
  keepDim: boolean,
  op = "norm",
): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `${op}: norm(): input dtype should be either floating point or complex. Got ${x.dtype} instead.`,
    );
  }
  const n = noGrad(() => {
    const a = x.abs();
    if (p === 0) return x.ne(0).to(x.dtype).sum(dim, true);
    if (p === 1) return a.sum(dim, true);
    if (p === 2) return x.mul(x).sum(dim, true).sqrt();
    if (p === Infinity) return a.amax(dim, true);
    if (p === -Infinity) return a.amin(dim, true);
    return a
      .pow(p)
      .sum(dim, true)
      .pow(1 / p);
  });
  const out = keepDim ? n : n.squeeze(dim);
  return record(
    out,
    "NormBackward1",
    [x],
    // createGraph: the norm as recorded (out), so its own dependence on x is differentiated too
    (g) => [
      normBackward(
        keepDim ? g : g.unsqueeze(dim),
        x,
        p,
        isGradEnabled() && !keepDim ? out.unsqueeze(dim) : n,
        dim,
      ),
    ],
    [x],
  );
}

// PyTorch 1.13's norm_backward (FunctionsManual.cpp), with g and the norm kept at the reduced dim.
function normBackward(g: Tensor, x: Tensor, p: number, norm: Tensor, dim: number): Tensor {
  if (p === 0) return x.mul(0);
  if (p === 1) return x.sign().mul(g);
  const zero = norm.eq(0);
  if (p === 2) return g.mul(x.div(norm).maskedFill(zero, 0));
  if (!Number.isFinite(p)) {
    const a = x.abs();
    const mask = a.eq(norm).logicalOr(a.isnan());
    return x.sign().mul(g.div(mask.sum(dim, true)).mul(mask));
  }
  if (p < 1) {
    const scaled = x.sign().mul(
      x
        .abs()
        .pow(p - 1)
        .maskedFill(x.eq(0), 0),
    );
    return scaled.mul(g).mul(norm.pow(1 - p));
  }
  const scaled = p < 2 ? x.sign().mul(x.abs().pow(p - 1)) : x.mul(x.abs().pow(p - 2));
  return scaled.mul(g.div(norm.pow(p - 1)).maskedFill(zero, 0));
}

/**
 * max(‖x‖₂, eps) over `dim`, kept. NOTE: as PyTorch 1.13's cosine_similarity, which clamps the
 * norm in place under no_grad, the gradient is g·x / max(‖x‖₂, eps), also where the clamp acts.
 */
function clampedNorm2(x: Tensor, dim: number, eps: number): Tensor {
  const n = noGrad(() => x.mul(x).sum(dim, true).sqrt().clamp(eps, null));
  return record(n, "LinalgVectorNormBackward0", [x], (g) => [g.mul(x).div(n)], [x]);
}

const COSINE = signature("cosineSimilarity", {
  x1: tensorArg,
  x2: tensorArg,
  dim: opt(int, 1),
  eps: opt(num, 1e-8),
});

/**
 * Cosine similarity along `dim`: Σ (x1/max(‖x1‖, eps))·(x2/max(‖x2‖, eps)), as
 * torch.nn.functional.cosine_similarity(x1, x2, dim=1, eps=1e-8). `x1` and `x2` broadcast; the
 * result drops `dim`. Integer inputs are accepted when the common dtype is floating, as PyTorch.
 */
export function cosineSimilarity(
  x1: Tensor,
  x2: Tensor,
  ...rest: WithOptions<[dim: number, eps: number], { dim?: number; eps?: number }>
): Tensor<FloatDType> {
  const { dim, eps } = parseArgs(COSINE, [x1, x2, ...rest]);
  const common = promoteTypes(x1.dtype, x2.dtype);
  if (!isFloating(common)) {
    throw new DTypeError(
      `cosineSimilarity: expected common dtype to be floating point, yet common dtype is ${common} (x1 ${x1.dtype}, x2 ${x2.dtype})`,
    );
  }
  const shape = broadcastShapes("cosineSimilarity", x1.shape, x2.shape);
  const a = x1.to(common).expand(shape);
  const b = x2.to(common).expand(shape);
  const na = clampedNorm2(a, dim, eps);
  const nb = clampedNorm2(b, dim, eps);
  return a.div(na).mul(b.div(nb)).sum(dim) as Tensor<FloatDType>;
}

const PAIRWISE = signature("pairwiseDistance", {
  x1: tensorArg,
  x2: tensorArg,
  p: opt(num, 2),
  eps: opt(num, 1e-6),
  keepDim: opt(bool, false),
});

/**
 * The p-norm of x1 − x2 + eps over the last dim, as torch.nn.functional.pairwise_distance(x1,
 * x2, p=2.0, eps=1e-6, keepdim=False). `x1 [*, D]` and `x2` broadcast; the result is `[*]`
 * (`[*, 1]` with `keepDim`).
 */
export function pairwiseDistance(
  x1: Tensor,
  x2: Tensor,
  ...rest: WithOptions<
    [p: number, eps: number, keepDim: boolean],
    { p?: number; eps?: number; keepDim?: boolean }
  >
): Tensor<FloatDType> {
  const { p, eps, keepDim } = parseArgs(PAIRWISE, [x1, x2, ...rest]);
  const d = x1.sub(x2).add(eps);
  if (d.ndim === 0)
    return vectorNorm(d.reshape(1), p, 0, false, "pairwiseDistance") as Tensor<FloatDType>;
  return vectorNorm(d, p, d.ndim - 1, keepDim, "pairwiseDistance") as Tensor<FloatDType>;
}

const NORMALIZE = signature("normalize", {
  input: tensorArg,
  p: opt(num, 2),
  dim: opt(int, 1),
  eps: opt(num, 1e-12),
  out: onlyNull("Kiln returns a new tensor; assign the result instead of passing out"),
});

/**
 * x / max(‖x‖_p, eps) along `dim`, as torch.nn.functional.normalize(input, p=2.0, dim=1,
 * eps=1e-12, out=None); same shape as the input, which must be floating.
 */
export function normalize(
  input: Tensor,
  ...rest: WithOptions<
    [p: number, dim: number, eps: number, out: null],
    { p?: number; dim?: number; eps?: number; out?: null }
  >
): Tensor<FloatDType> {
  const { p, dim, eps } = parseArgs(NORMALIZE, [input, ...rest]);
  const denom = vectorNorm(input, p, dim, true, "normalize").clamp(eps, null).expandAs(input);
  return input.div(denom) as Tensor<FloatDType>;
}

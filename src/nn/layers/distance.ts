// Distance layers: module forms of nn.functional's cosineSimilarity and pairwiseDistance, with
// PyTorch's constructor arguments (positional or one options object) and reprs.
// Depends on src/nn/functional/distance.ts and src/nn/module.ts only.

import { bool, int, num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import type { FloatDType } from "../../core/dtype.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import * as F from "../functional/distance.ts";
import { Module } from "../module.ts";

const COSINE = signature("nn.CosineSimilarity", { dim: opt(int, 1), eps: opt(num, 1e-8) });

/**
 * Cosine similarity of `x1` and `x2` along `dim` (they broadcast; the result drops `dim`), as
 * torch.nn.CosineSimilarity(dim=1, eps=1e-08).
 */
export class CosineSimilarity extends Module {
  /** The dim holding the vectors (default 1). */
  readonly dim: number;
  /** The smallest norm each vector is divided by (default 1e-8). */
  readonly eps: number;
  /** `(dim = 1, eps = 1e-8)`, positional or as one options object. */
  constructor(...args: WithOptions<[dim: number, eps: number], { dim?: number; eps?: number }>) {
    super();
    const a = parseArgs(COSINE, args);
    this.dim = a.dim;
    this.eps = a.eps;
  }
  /** The cosine similarity of `x1` and `x2`, as torch.nn.CosineSimilarity.forward. */
  override forward(x1: Tensor, x2: Tensor): Tensor<FloatDType> {
    return F.cosineSimilarity(x1, x2, this.dim, this.eps);
  }
}

const PAIRWISE = signature("nn.PairwiseDistance", {
  p: opt(num, 2),
  eps: opt(num, 1e-6),
  keepDim: opt(bool, false),
});

/**
 * The p-norm of x1 − x2 + eps over the last dim, `[*, D] → [*]`, as
 * torch.nn.PairwiseDistance(p=2.0, eps=1e-06, keepdim=False).
 */
export class PairwiseDistance extends Module {
  /** The norm degree (default 2; 0 counts nonzeros, ±Infinity is the max/min |x|). */
  readonly norm: number;
  /** Added to the difference before the norm (default 1e-6). */
  readonly eps: number;
  /** Whether the reduced last dim is kept with size 1 (default false). */
  readonly keepDim: boolean;
  /** `(p = 2, eps = 1e-6, keepDim = false)`, positional or as one options object. */
  constructor(
    ...args: WithOptions<
      [p: number, eps: number, keepDim: boolean],
      { p?: number; eps?: number; keepDim?: boolean }
    >
  ) {
    super();
    const a = parseArgs(PAIRWISE, args);
    this.norm = a.p;
    this.eps = a.eps;
    this.keepDim = a.keepDim;
  }
  /** The distance of `x1` to `x2`, as torch.nn.PairwiseDistance.forward. */
  override forward(x1: Tensor, x2: Tensor): Tensor<FloatDType> {
    return F.pairwiseDistance(x1, x2, this.norm, this.eps, this.keepDim);
  }
}

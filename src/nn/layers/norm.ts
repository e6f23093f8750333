// LayerNorm and GroupNorm layers.

import {
  arrayOf,
  bool,
  either,
  int,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { full } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg } from "../functional/args.ts";
import { groupNorm, layerNorm } from "../functional/norm.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool, pyFloat, pyTuple } from "../repr.ts";

/** The dtype LayerNorm and GroupNorm create their parameters in. */
export type NormDType = "float32" | "float64";

const LAYER_NORM = signature(
  "nn.LayerNorm",
  {
    normalizedShape: either(int, arrayOf(int)),
    eps: opt(num, 1e-5),
    elementwiseAffine: opt(bool, true),
  },
  { dtype: floatDtypeArg },
);

/**
 * Normalises over the trailing `normalizedShape` dims, as torch.nn.LayerNorm(normalized_shape,
 * eps=1e-05, elementwise_affine=True, *, dtype): weight 1, bias 0 of shape normalizedShape.
 */
export class LayerNorm extends Module {
  /** The trailing dims normalised over. */
  readonly normalizedShape: number[];
  /** Added to the variance for numerical stability (default 1e-5). */
  readonly eps: number;
  /** Whether the layer has a learnable weight and bias (default true). */
  readonly elementwiseAffine: boolean;
  /** The scale, of shape normalizedShape, initialised to ones; null without elementwiseAffine. */
  weight: Parameter | null;
  /** The shift, of shape normalizedShape, initialised to zeros; null without elementwiseAffine. */
  bias: Parameter | null;
  /**
   * Creates the layer from `(normalizedShape, eps?, elementwiseAffine?)`, positional or as options,
   * plus the keyword-only `dtype`.
   */
  constructor(
    normalizedShape: number | readonly number[],
    ...rest: WithOptions<
      [eps: number, elementwiseAffine: boolean],
      { eps?: number; elementwiseAffine?: boolean; dtype?: NormDType }
    >
  ) {
    super();
    const a = parseArgs(LAYER_NORM, [normalizedShape, ...rest]);
    const ns = a.normalizedShape;
    this.normalizedShape = typeof ns === "number" ? [ns] : [...ns];
    this.eps = a.eps;
    this.elementwiseAffine = a.elementwiseAffine;
    const dtype = a.dtype;
    if (this.elementwiseAffine) {
      this.weight = new Parameter(full(this.normalizedShape, 1, dtype));
      this.bias = new Parameter(full(this.normalizedShape, 0, dtype));
    } else {
      this.weight = null;
      this.bias = null;
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
  }
  override forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, {
      weight: this.weight,
      bias: this.bias,
      eps: this.eps,
    });
  }
  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

const GROUP_NORM = signature(
  "nn.GroupNorm",
  { numGroups: int, numChannels: int, eps: opt(num, 1e-5), affine: opt(bool, true) },
  { dtype: floatDtypeArg },
);

/**
 * Normalises channel groups per sample, as torch.nn.GroupNorm(num_groups, num_channels,
 * eps=1e-05, affine=True, *, dtype) (affine per channel).
 */
export class GroupNorm extends Module {
  /** Number of groups the channels are split into. */
  readonly numGroups: number;
  /** Number of channels C of the input `[N, C, *]`. */
  readonly numChannels: number;
  /** Added to the variance for numerical stability (default 1e-5). */
  readonly eps: number;
  /** Whether the layer has a learnable per-channel weight and bias (default true). */
  readonly affine: boolean;
  /** The per-channel scale `[numChannels]`, initialised to ones; null when not affine. */
  weight: Parameter | null;
  /** The per-channel shift `[numChannels]`, initialised to zeros; null when not affine. */
  bias: Parameter | null;
  /**
   * Creates the layer from `(numGroups, numChannels, eps?, affine?)`, positional or as options,
   * plus the keyword-only `dtype`; numChannels must divide by numGroups.
   */
  constructor(
    numGroups: number,
    numChannels: number,
    ...rest: WithOptions<
      [eps: number, affine: boolean],
      { eps?: number; affine?: boolean; dtype?: NormDType }
    >
  ) {
    super();
    const options = parseArgs(GROUP_NORM, [numGroups, numChannels, ...rest]);
    if (numChannels % numGroups !== 0)
      throw new ValueError("GroupNorm: num_channels must be divisible by num_groups");
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps;
    this.affine = options.affine;
    const dtype = options.dtype;
    if (this.affine) {
      this.weight = new Parameter(full([numChannels], 1, dtype));
      this.bias = new Parameter(full([numChannels], 0, dtype));
    } else {
      this.weight = null;
      this.bias = null;
      this.registerParameter("weight", null);
      this.registerParameter("bias", null);
    }
  }
  override forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}

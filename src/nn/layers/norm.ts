// LayerNorm and GroupNorm layers.

import { ValueError } from "../../core/errors.ts";
import { full } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { groupNorm, layerNorm } from "../functional/norm.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool, pyFloat, pyTuple } from "../repr.ts";

/**
 * Normalises over the trailing `normalizedShape` dims, as torch.nn.LayerNorm (eps 1e-5,
 * elementwiseAffine: weight 1, bias 0 of shape normalizedShape).
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(
    normalizedShape: number | readonly number[],
    options: { eps?: number; elementwiseAffine?: boolean; dtype?: "float32" | "float64" } = {},
  ) {
    super();
    this.normalizedShape =
      typeof normalizedShape === "number" ? [normalizedShape] : [...normalizedShape];
    this.eps = options.eps ?? 1e-5;
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = options.dtype ?? "float32";
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

/** Normalises channel groups per sample, as torch.nn.GroupNorm (eps 1e-5, affine per channel). */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  constructor(
    numGroups: number,
    numChannels: number,
    options: { eps?: number; affine?: boolean; dtype?: "float32" | "float64" } = {},
  ) {
    super();
    if (numChannels % numGroups !== 0)
      throw new ValueError("GroupNorm: num_channels must be divisible by num_groups");
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    this.affine = options.affine ?? true;
    const dtype = options.dtype ?? "float32";
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

// Pooling layers: MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d.

import type { Tensor } from "../../tensor/tensor.ts";
import {
  adaptiveAvgPool2d,
  avgPool2d,
  type IntOrPair,
  maxPool1d,
  maxPool2d,
} from "../functional/layers.ts";
import { Module } from "../module.ts";
import { pyBool, pyTuple } from "../repr.ts";

/**
 * Max over windows, as torch.nn.MaxPool2d (stride defaults to the kernel):
 * `[N, C, H, W] → [N, C, Ho, Wo]`, Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈⌉ with ceilMode).
 */
export class MaxPool2d extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly dilation: IntOrPair;
  readonly ceilMode: boolean;
  constructor(
    kernelSize: IntOrPair,
    options: {
      stride?: IntOrPair | null;
      padding?: IntOrPair;
      dilation?: IntOrPair;
      ceilMode?: boolean;
    } = {},
  ) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
  }
  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this);
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}, dilation=${pyTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Max over windows of `[N, C, L]`, as torch.nn.MaxPool1d. */
export class MaxPool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly ceilMode: boolean;
  constructor(
    kernelSize: number,
    options: {
      stride?: number | null;
      padding?: number;
      dilation?: number;
      ceilMode?: boolean;
    } = {},
  ) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.ceilMode = options.ceilMode ?? false;
  }
  override forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this);
  }
  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=${this.dilation}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Mean over windows, as torch.nn.AvgPool2d (countIncludePad true, divisorOverride). */
export class AvgPool2d extends Module {
  readonly kernelSize: IntOrPair;
  readonly stride: IntOrPair;
  readonly padding: IntOrPair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  constructor(
    kernelSize: IntOrPair,
    options: {
      stride?: IntOrPair | null;
      padding?: IntOrPair;
      ceilMode?: boolean;
      countIncludePad?: boolean;
      divisorOverride?: number | null;
    } = {},
  ) {
    super();
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = options.divisorOverride ?? null;
  }
  override forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this);
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d. */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: number | readonly [number | null, number | null];
  constructor(outputSize: number | readonly [number | null, number | null]) {
    super();
    this.outputSize = outputSize;
  }
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    const o = this.outputSize;
    return `output_size=${typeof o === "number" ? o : `(${o.map((v) => v ?? "None").join(", ")})`}`;
  }
}

// Pooling layers: MaxPool1d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d. Constructor arguments in
// PyTorch's order, positional or in one options object (API.md rule 2).

import {
  bool,
  checkArity,
  custom,
  either,
  int,
  ints,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { onlyFalse } from "../functional/args.ts";
import type { IntOrPair } from "../functional/layers.ts";
import {
  type AvgPool2dOptions,
  adaptiveAvgPool2d,
  avgPool2d,
  type Int1,
  maxPool1d,
  maxPool2d,
} from "../functional/pool.ts";
import { Module } from "../module.ts";
import { pyBool, pyTuple } from "../repr.ts";

/** Options of MaxPool1d and MaxPool2d after the kernel size; `P` is a size per pooled dimension. */
export interface MaxPoolOptions<P> {
  stride?: P | null;
  padding?: P;
  dilation?: P;
  /** Only false: use nn.functional.maxPool2dWithIndices for the indices. */
  returnIndices?: false;
  ceilMode?: boolean;
}

/** The positional parameters of MaxPool1d and MaxPool2d after the kernel size, in torch's order. */
export type MaxPoolPositional<P> = [
  stride: P | null,
  padding: P,
  dilation: P,
  returnIndices: false,
  ceilMode: boolean,
];

function maxPoolSignature(op: string, n: number) {
  return signature(op, {
    kernelSize: ints(n),
    stride: opt(nullable(ints(n)), null),
    padding: opt(ints(n), 0),
    dilation: opt(ints(n), 1),
    returnIndices: onlyFalse(
      "returnIndices: true is not supported; use nn.functional.maxPool2dWithIndices",
    ),
    ceilMode: opt(bool, false),
  });
}
const MAX_POOL2D = maxPoolSignature("nn.MaxPool2d", 2);
const MAX_POOL1D = maxPoolSignature("nn.MaxPool1d", 1);

/**
 * Max over windows, as torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
 * return_indices=False, ceil_mode=False); stride defaults to the kernel size:
 * `[N, C, H, W] → [N, C, Ho, Wo]`, Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈⌉ with ceilMode).
 *
 * @example new nn.MaxPool2d(2, 1); // = new nn.MaxPool2d(2, { stride: 1 })
 */
export class MaxPool2d extends Module {
  /** Window size, one int for both dims or `[kh, kw]`. */
  readonly kernelSize: IntOrPair;
  /** Window step; the kernel size when not given. */
  readonly stride: IntOrPair;
  /** Implicit −∞ padding on both sides (default 0). */
  readonly padding: IntOrPair;
  /** Spacing between window elements (default 1). */
  readonly dilation: IntOrPair;
  /** Whether output sizes round up instead of down (default false). */
  readonly ceilMode: boolean;
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?)`,
   * positional or as options after the kernel size; returnIndices only false.
   */
  constructor(
    kernelSize: IntOrPair,
    ...rest: WithOptions<MaxPoolPositional<IntOrPair>, MaxPoolOptions<IntOrPair>>
  ) {
    super();
    const a = parseArgs(MAX_POOL2D, [kernelSize, ...rest]);
    this.kernelSize = a.kernelSize as IntOrPair;
    this.stride = (a.stride ?? a.kernelSize) as IntOrPair;
    this.padding = a.padding as IntOrPair;
    this.dilation = a.dilation as IntOrPair;
    this.ceilMode = a.ceilMode;
  }
  override forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}, dilation=${pyTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

const one = (v: number | readonly number[]) => (typeof v === "number" ? v : v[0]!);

/** Max over windows of `[N, C, L]`, as torch.nn.MaxPool1d (arguments as MaxPool2d's). */
export class MaxPool1d extends Module {
  /** Window length. */
  readonly kernelSize: number;
  /** Window step; the kernel size when not given. */
  readonly stride: number;
  /** Implicit −∞ padding on both sides (default 0). */
  readonly padding: number;
  /** Spacing between window elements (default 1). */
  readonly dilation: number;
  /** Whether output lengths round up instead of down (default false). */
  readonly ceilMode: boolean;
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?)`,
   * positional or as options after the kernel size; returnIndices only false.
   */
  constructor(
    kernelSize: Int1,
    ...rest: WithOptions<MaxPoolPositional<Int1>, MaxPoolOptions<Int1>>
  ) {
    super();
    const a = parseArgs(MAX_POOL1D, [kernelSize, ...rest]);
    this.kernelSize = one(a.kernelSize);
    this.stride = a.stride === null ? this.kernelSize : one(a.stride);
    this.padding = one(a.padding);
    this.dilation = one(a.dilation);
    this.ceilMode = a.ceilMode;
  }
  override forward(x: Tensor): Tensor {
    return maxPool1d(x, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=${this.dilation}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

const AVG_POOL2D = signature("nn.AvgPool2d", {
  kernelSize: ints(2),
  stride: opt(nullable(ints(2)), null),
  padding: opt(ints(2), 0),
  ceilMode: opt(bool, false),
  countIncludePad: opt(bool, true),
  divisorOverride: opt(nullable(int), null),
});

/**
 * Mean over windows, as torch.nn.AvgPool2d(kernel_size, stride=None, padding=0,
 * ceil_mode=False, count_include_pad=True, divisor_override=None).
 */
export class AvgPool2d extends Module {
  /** Window size, one int for both dims or `[kh, kw]`. */
  readonly kernelSize: IntOrPair;
  /** Window step; the kernel size when not given. */
  readonly stride: IntOrPair;
  /** Implicit zero padding on both sides (default 0). */
  readonly padding: IntOrPair;
  /** Whether output sizes round up instead of down (default false). */
  readonly ceilMode: boolean;
  /** Whether the zero padding counts in the divisor (default true). */
  readonly countIncludePad: boolean;
  /** A fixed divisor used instead of the window size, or null (the default). */
  readonly divisorOverride: number | null;
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, ceilMode?, countIncludePad?,
   * divisorOverride?)`, positional or as options after the kernel size.
   */
  constructor(
    kernelSize: IntOrPair,
    ...rest: WithOptions<
      [
        stride: IntOrPair | null,
        padding: IntOrPair,
        ceilMode: boolean,
        countIncludePad: boolean,
        divisorOverride: number | null,
      ],
      AvgPool2dOptions
    >
  ) {
    super();
    const a = parseArgs(AVG_POOL2D, [kernelSize, ...rest]);
    this.kernelSize = a.kernelSize as IntOrPair;
    this.stride = (a.stride ?? a.kernelSize) as IntOrPair;
    this.padding = a.padding as IntOrPair;
    this.ceilMode = a.ceilMode;
    this.countIncludePad = a.countIncludePad;
    this.divisorOverride = a.divisorOverride;
  }
  override forward(x: Tensor): Tensor {
    return avgPool2d(
      x,
      this.kernelSize,
      this.stride,
      this.padding,
      this.ceilMode,
      this.countIncludePad,
      this.divisorOverride,
    );
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** AdaptiveAvgPool2d's output size: one size or (H, W), null keeping the input's. */
export type OutputSize = number | null | readonly [number | null, number | null];
const outSize = nullable(int);
const ADAPTIVE = signature("nn.AdaptiveAvgPool2d", {
  outputSize: either(
    outSize,
    custom(
      "an array of 2 ints or nulls",
      (v): v is readonly (number | null)[] =>
        Array.isArray(v) && v.length === 2 && v.every(outSize.test),
    ),
  ),
});

/** Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d(output_size). */
export class AdaptiveAvgPool2d extends Module {
  /** Target `[Ho, Wo]`, one int for both, or null in a position to keep the input's size there. */
  readonly outputSize: OutputSize;
  /** Creates the layer from `(outputSize)` or `({ outputSize })`. */
  constructor(outputSize: OutputSize | { outputSize: OutputSize }) {
    super();
    checkArity("nn.AdaptiveAvgPool2d", arguments, 1);
    this.outputSize = parseArgs(ADAPTIVE, [outputSize]).outputSize as OutputSize;
  }
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    const o = this.outputSize;
    if (o === null) return "output_size=None";
    return `output_size=${typeof o === "number" ? o : `(${o.map((v) => v ?? "None").join(", ")})`}`;
  }
}

// Pooling layers: MaxPool1d, MaxPool2d (both with returnIndices), AvgPool2d, AdaptiveAvgPool2d. Constructor arguments in
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
import type { IntOrPair } from "../functional/layers.ts";
import {
  type AvgPool2dOptions,
  adaptiveAvgPool2d,
  avgPool2d,
  type Int1,
  maxPool1d,
  maxPool2d,
} from "../functional/pool.ts";
import { avgPoolArgs, windowArgs } from "../functional/pool-nd.ts";
import { Module } from "../module.ts";
import { pyBool, pyTuple } from "../repr.ts";

/**
 * Options of MaxPool1d/2d/3d after the kernel size; `P` is a size per pooled dimension, `R`
 * whether forward returns `[out, indices]`.
 */
export interface MaxPoolOptions<P, R extends boolean = boolean> {
  stride?: P | null;
  padding?: P;
  dilation?: P;
  /** Whether forward returns `[out, indices]` (default false). */
  returnIndices?: R;
  ceilMode?: boolean;
}

/** The positional parameters of MaxPool1d/2d/3d after the kernel size, in torch's order. */
export type MaxPoolPositional<P, R extends boolean = boolean> = [
  stride: P | null,
  padding: P,
  dilation: P,
  returnIndices: R,
  ceilMode: boolean,
];

/** What a max pool layer's forward returns: the output, or `[out, indices]` with returnIndices. */
export type PoolOut<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

/** The signature of nn.MaxPool{n}d. */
export function maxPoolSignature(op: string, n: number) {
  return signature(op, {
    ...windowArgs(n),
    dilation: opt(ints(n), 1),
    returnIndices: opt(bool, false),
    ceilMode: opt(bool, false),
  });
}
const MAX_POOL2D = maxPoolSignature("nn.MaxPool2d", 2);
const MAX_POOL1D = maxPoolSignature("nn.MaxPool1d", 1);

/** The options a max pool layer passes on to its function form. */
export interface MaxPoolForwardOptions<P> {
  /** Window step. */
  stride: P;
  /** Implicit −∞ padding on both sides. */
  padding: P;
  /** Spacing between window elements. */
  dilation: P;
  /** Whether output sizes round up instead of down. */
  ceilMode: boolean;
}

/**
 * What MaxPool1d/2d/3d share: the parsed `(kernelSize, stride?, padding?, dilation?,
 * returnIndices?, ceilMode?)`, forward through the function form and PyTorch's repr.
 */
export abstract class MaxPoolNd<
  P extends number | readonly number[],
  R extends boolean,
> extends Module<PoolOut<R>> {
  /** Window size, one int for every dim or one per dim. */
  readonly kernelSize: P;
  /** Window step; the kernel size when not given. */
  readonly stride: P;
  /** Implicit −∞ padding on both sides (default 0). */
  readonly padding: P;
  /** Spacing between window elements (default 1). */
  readonly dilation: P;
  /** Whether output sizes round up instead of down (default false). */
  readonly ceilMode: boolean;
  /** Whether forward returns `[out, indices]` (default false). */
  readonly returnIndices: R;
  /**
   * Parses `args` against `sig` (from maxPoolSignature); `size` turns a parsed size into the
   * stored form.
   */
  protected constructor(
    sig: ReturnType<typeof maxPoolSignature>,
    args: unknown[],
    size: (v: number | readonly number[]) => P = (v) => v as P,
  ) {
    super();
    const a = parseArgs(sig, args);
    this.kernelSize = size(a.kernelSize);
    this.stride = size(a.stride ?? a.kernelSize);
    this.padding = size(a.padding);
    this.dilation = size(a.dilation);
    this.ceilMode = a.ceilMode;
    this.returnIndices = a.returnIndices as R;
  }
  /** The function form: `[out, indices]` when `returnIndices`, else the output. */
  protected abstract pool(
    x: Tensor,
    o: MaxPoolForwardOptions<P>,
    returnIndices: boolean,
  ): Tensor | [Tensor, Tensor];
  override forward(x: Tensor): PoolOut<R> {
    const o = {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
    return this.pool(x, o, this.returnIndices) as PoolOut<R>;
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}, dilation=${pyTuple(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/**
 * Max over windows, as torch.nn.MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
 * return_indices=False, ceil_mode=False); stride defaults to the kernel size:
 * `[N, C, H, W] → [N, C, Ho, Wo]`, Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈⌉ with ceilMode).
 * Sizes are stored as given: one int for both dims or `[kh, kw]`.
 *
 * @example new nn.MaxPool2d(2, 1); // = new nn.MaxPool2d(2, { stride: 1 })
 */
export class MaxPool2d<R extends boolean = false> extends MaxPoolNd<IntOrPair, R> {
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?)`,
   * positional or as options after the kernel size.
   */
  constructor(
    kernelSize: IntOrPair,
    ...rest: WithOptions<MaxPoolPositional<IntOrPair, R>, MaxPoolOptions<IntOrPair, R>>
  ) {
    super(MAX_POOL2D, [kernelSize, ...rest]);
  }
  protected override pool(x: Tensor, o: MaxPoolForwardOptions<IntOrPair>, idx: boolean) {
    return idx
      ? maxPool2d(x, this.kernelSize, { ...o, returnIndices: true })
      : maxPool2d(x, this.kernelSize, o);
  }
}

const one = (v: number | readonly number[]) => (typeof v === "number" ? v : v[0]!);

/**
 * Max over windows of `[N, C, L]`, as torch.nn.MaxPool1d (arguments as MaxPool2d's); sizes are
 * stored as single ints.
 */
export class MaxPool1d<R extends boolean = false> extends MaxPoolNd<number, R> {
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?)`,
   * positional or as options after the kernel size.
   */
  constructor(
    kernelSize: Int1,
    ...rest: WithOptions<MaxPoolPositional<Int1, R>, MaxPoolOptions<Int1, R>>
  ) {
    super(MAX_POOL1D, [kernelSize, ...rest], one);
  }
  protected override pool(x: Tensor, o: MaxPoolForwardOptions<number>, idx: boolean) {
    return idx
      ? maxPool1d(x, this.kernelSize, { ...o, returnIndices: true })
      : maxPool1d(x, this.kernelSize, o);
  }
}

/**
 * What AvgPool1d/2d/3d share: the parsed `(kernelSize, stride?, padding?, ceilMode?,
 * countIncludePad?)` and PyTorch's repr.
 */
export abstract class AvgPoolNd<P extends number | readonly number[]> extends Module {
  /** Window size, one int for every dim or one per dim. */
  readonly kernelSize: P;
  /** Window step; the kernel size when not given. */
  readonly stride: P;
  /** Implicit zero padding on both sides (default 0). */
  readonly padding: P;
  /** Whether output sizes round up instead of down (default false). */
  readonly ceilMode: boolean;
  /** Whether the zero padding counts in the divisor (default true). */
  readonly countIncludePad: boolean;
  /** Stores the parsed arguments `a`, each size through `size` (default: as given). */
  protected constructor(
    a: {
      kernelSize: number | readonly number[];
      stride: number | readonly number[] | null;
      padding: number | readonly number[];
      ceilMode: boolean;
      countIncludePad: boolean;
    },
    size: (v: number | readonly number[]) => P = (v) => v as P,
  ) {
    super();
    this.kernelSize = size(a.kernelSize);
    this.stride = size(a.stride ?? a.kernelSize);
    this.padding = size(a.padding);
    this.ceilMode = a.ceilMode;
    this.countIncludePad = a.countIncludePad;
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

const AVG_POOL2D = signature("nn.AvgPool2d", {
  ...avgPoolArgs(2),
  divisorOverride: opt(nullable(int), null),
});

/**
 * Mean over windows, as torch.nn.AvgPool2d(kernel_size, stride=None, padding=0,
 * ceil_mode=False, count_include_pad=True, divisor_override=None). Sizes are stored as given:
 * one int for both dims or `[kh, kw]`.
 */
export class AvgPool2d extends AvgPoolNd<IntOrPair> {
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
    const a = parseArgs(AVG_POOL2D, [kernelSize, ...rest]);
    super(a);
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

// Pooling layers beyond 2-D: MaxPool3d, AvgPool1d, AvgPool3d, the adaptive pools of 1 and 3
// dims (and AdaptiveMaxPool2d), each a thin module over its function form. Constructor arguments
// in PyTorch's order, positional or in one options object (unpool.ts: MaxUnpool, LPPool).

import {
  bool,
  checkArity,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import {
  type AdaptiveSize,
  adaptiveAvgPool1d,
  adaptiveAvgPool3d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool3d,
  adaptiveSizeArg,
} from "../functional/adaptive.ts";
import { type IntOrTriple, tupleN } from "../functional/conv-nd.ts";
import type { Int1 } from "../functional/pool.ts";
import { avgPool1d, avgPool3d, avgPoolArgs, maxPool3d } from "../functional/pool-nd.ts";
import { Module } from "../module.ts";
import { pyTuple } from "../repr.ts";
import {
  AvgPoolNd,
  type MaxPoolForwardOptions,
  MaxPoolNd,
  type MaxPoolOptions,
  type MaxPoolPositional,
  maxPoolSignature,
  type PoolOut,
} from "./pool.ts";

const MAX_POOL3D = maxPoolSignature("nn.MaxPool3d", 3);

/**
 * Max over 3-D windows, as torch.nn.MaxPool3d(kernel_size, stride=None, padding=0, dilation=1,
 * return_indices=False, ceil_mode=False): `[N, C, D, H, W] → [N, C, Do, Ho, Wo]`; with
 * returnIndices, forward gives `[out, indices]`. Sizes are stored as given: one int for every dim
 * or `[kd, kh, kw]`.
 *
 * @example new nn.MaxPool3d(2, 2); // LunaModel's block pooling
 */
export class MaxPool3d<R extends boolean = false> extends MaxPoolNd<IntOrTriple, R> {
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, dilation?, returnIndices?, ceilMode?)`,
   * positional or as options after the kernel size.
   */
  constructor(
    kernelSize: IntOrTriple,
    ...rest: WithOptions<MaxPoolPositional<IntOrTriple, R>, MaxPoolOptions<IntOrTriple, R>>
  ) {
    super(MAX_POOL3D, [kernelSize, ...rest]);
  }
  protected override pool(x: Tensor, o: MaxPoolForwardOptions<IntOrTriple>, idx: boolean) {
    return idx
      ? maxPool3d(x, this.kernelSize, { ...o, returnIndices: true })
      : maxPool3d(x, this.kernelSize, o);
  }
}

/** Options of AvgPool1d/AvgPool3d after the kernel size (AvgPool3d adds divisorOverride). */
export interface AvgPoolOptions<P> {
  stride?: P | null;
  padding?: P;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const AVG_POOL1D = signature("nn.AvgPool1d", avgPoolArgs(1));

/**
 * Mean over 1-D windows, as torch.nn.AvgPool1d(kernel_size, stride=None, padding=0,
 * ceil_mode=False, count_include_pad=True): `[N, C, L] → [N, C, Lo]`. Sizes are stored as
 * 1-tuples, as PyTorch stores them.
 */
export class AvgPool1d extends AvgPoolNd<[number]> {
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, ceilMode?, countIncludePad?)`,
   * positional or as options after the kernel size.
   */
  constructor(
    kernelSize: Int1,
    ...rest: WithOptions<
      [stride: Int1 | null, padding: Int1, ceilMode: boolean, countIncludePad: boolean],
      AvgPoolOptions<Int1>
    >
  ) {
    super(parseArgs(AVG_POOL1D, [kernelSize, ...rest]), (v) => tupleN(v, 1) as [number]);
  }
  override forward(x: Tensor): Tensor {
    return avgPool1d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }
}

const AVG_POOL3D = signature("nn.AvgPool3d", {
  ...avgPoolArgs(3),
  divisorOverride: opt(nullable(int), null),
});

/**
 * Mean over 3-D windows, as torch.nn.AvgPool3d(kernel_size, stride=None, padding=0,
 * ceil_mode=False, count_include_pad=True, divisor_override=None). Sizes are stored as given:
 * one int for every dim or `[kd, kh, kw]`.
 */
export class AvgPool3d extends AvgPoolNd<IntOrTriple> {
  /** A fixed divisor used instead of the window size, or null (the default). */
  readonly divisorOverride: number | null;
  /**
   * Creates the layer from `(kernelSize, stride?, padding?, ceilMode?, countIncludePad?,
   * divisorOverride?)`, positional or as options after the kernel size.
   */
  constructor(
    kernelSize: IntOrTriple,
    ...rest: WithOptions<
      [
        stride: IntOrTriple | null,
        padding: IntOrTriple,
        ceilMode: boolean,
        countIncludePad: boolean,
        divisorOverride: number | null,
      ],
      AvgPoolOptions<IntOrTriple> & { divisorOverride?: number | null }
    >
  ) {
    const a = parseArgs(AVG_POOL3D, [kernelSize, ...rest]);
    super(a);
    this.divisorOverride = a.divisorOverride;
  }
  override forward(x: Tensor): Tensor {
    return avgPool3d(x, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

function sizeRepr(o: number | null | readonly (number | null)[]): string {
  if (o === null) return "None";
  if (typeof o === "number") return String(o);
  return `(${o.map((v) => v ?? "None").join(", ")})`;
}

function adaptiveSize<N extends number>(op: string, n: number, v: unknown): AdaptiveSize<N> {
  return parseArgs(signature(op, { outputSize: adaptiveSizeArg(n) }), [v])
    .outputSize as AdaptiveSize<N>;
}

/** Average pooling to `outputSize` bins, as torch.nn.AdaptiveAvgPool1d(output_size). */
export class AdaptiveAvgPool1d extends Module {
  /** The number of output bins. */
  readonly outputSize: AdaptiveSize<1>;
  /** Creates the layer from `(outputSize)` or `({ outputSize })`. */
  constructor(outputSize: AdaptiveSize<1> | { outputSize: AdaptiveSize<1> }) {
    super();
    checkArity("nn.AdaptiveAvgPool1d", arguments, 1);
    this.outputSize = adaptiveSize("nn.AdaptiveAvgPool1d", 1, outputSize);
  }
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool1d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${sizeRepr(this.outputSize)}`;
  }
}

/** Average pooling to a fixed `[Do, Ho, Wo]`, as torch.nn.AdaptiveAvgPool3d(output_size). */
export class AdaptiveAvgPool3d extends Module {
  /** Target size, one int for every dim, or a triple with null keeping the input's size. */
  readonly outputSize: AdaptiveSize<3>;
  /** Creates the layer from `(outputSize)` or `({ outputSize })`. */
  constructor(outputSize: AdaptiveSize<3> | { outputSize: AdaptiveSize<3> }) {
    super();
    checkArity("nn.AdaptiveAvgPool3d", arguments, 1);
    this.outputSize = adaptiveSize("nn.AdaptiveAvgPool3d", 3, outputSize);
  }
  override forward(x: Tensor): Tensor {
    return adaptiveAvgPool3d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `output_size=${sizeRepr(this.outputSize)}`;
  }
}

abstract class AdaptiveMaxPoolNd<N extends number, R extends boolean> extends Module<PoolOut<R>> {
  /** Target size, one int for every dim, or one per dim with null keeping the input's size. */
  readonly outputSize: AdaptiveSize<N>;
  /** Whether forward returns `[out, indices]` (default false). */
  readonly returnIndices: R;
  constructor(n: number, args: unknown[]) {
    super();
    const a = parseArgs(
      signature(`nn.AdaptiveMaxPool${n}d`, {
        outputSize: adaptiveSizeArg(n),
        returnIndices: opt(bool, false),
      }),
      args,
    );
    this.outputSize = a.outputSize as AdaptiveSize<N>;
    this.returnIndices = a.returnIndices as R;
  }
  override extraRepr(): string {
    return `output_size=${sizeRepr(this.outputSize)}`;
  }
}

/** The arguments of an adaptive max pool layer: `(outputSize, returnIndices?)` or options. */
export type AdaptiveMaxArgs<N extends number, R extends boolean> = WithOptions<
  [outputSize: AdaptiveSize<N>, returnIndices: R],
  { outputSize?: AdaptiveSize<N>; returnIndices?: R }
>;

/**
 * Max pooling to `outputSize` bins, as torch.nn.AdaptiveMaxPool1d(output_size,
 * return_indices=False); with returnIndices, forward gives `[out, indices]`.
 */
export class AdaptiveMaxPool1d<R extends boolean = false> extends AdaptiveMaxPoolNd<1, R> {
  /** Creates the layer from `(outputSize, returnIndices?)`, positional or as options. */
  constructor(...args: AdaptiveMaxArgs<1, R>) {
    super(1, args);
  }
  override forward(x: Tensor): PoolOut<R> {
    return adaptiveMaxPool1d(x, this.outputSize, this.returnIndices as false) as PoolOut<R>;
  }
}

/** Max pooling to `[Ho, Wo]`, as torch.nn.AdaptiveMaxPool2d(output_size, return_indices=False). */
export class AdaptiveMaxPool2d<R extends boolean = false> extends AdaptiveMaxPoolNd<2, R> {
  /** Creates the layer from `(outputSize, returnIndices?)`, positional or as options. */
  constructor(...args: AdaptiveMaxArgs<2, R>) {
    super(2, args);
  }
  override forward(x: Tensor): PoolOut<R> {
    return adaptiveMaxPool2d(x, this.outputSize, this.returnIndices as false) as PoolOut<R>;
  }
}

/**
 * Max pooling to `[Do, Ho, Wo]`, as torch.nn.AdaptiveMaxPool3d(output_size,
 * return_indices=False).
 */
export class AdaptiveMaxPool3d<R extends boolean = false> extends AdaptiveMaxPoolNd<3, R> {
  /** Creates the layer from `(outputSize, returnIndices?)`, positional or as options. */
  constructor(...args: AdaptiveMaxArgs<3, R>) {
    super(3, args);
  }
  override forward(x: Tensor): PoolOut<R> {
    return adaptiveMaxPool3d(x, this.outputSize, this.returnIndices as false) as PoolOut<R>;
  }
}

// Resampling layers: Fold, Unfold, Upsample, UpsamplingNearest2d, UpsamplingBilinear2d,
// PixelShuffle, PixelUnshuffle, with PyTorch 1.13's constructor arguments and reprs. Each is a thin
// wrapper over its functional form (fold.ts, interpolate.ts); no parameters, no buffers.

import {
  arrayOf,
  bool,
  checkArity,
  either,
  int,
  ints,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { type FoldOptions, type FoldPositional, fold, unfold } from "../functional/fold.ts";
import { type InterpolateMode, interpolate } from "../functional/interpolate.ts";
import type { IntOrPair } from "../functional/layers.ts";
import { pixelShuffle, pixelUnshuffle } from "../functional/pixel-shuffle.ts";
import { Module } from "../module.ts";
import { pyFloat, pyTuple } from "../repr.ts";

const FOLD = signature("nn.Fold", {
  outputSize: ints(2),
  kernelSize: ints(2),
  dilation: opt(ints(2), 1),
  padding: opt(ints(2), 0),
  stride: opt(ints(2), 1),
});
const UNFOLD = signature("nn.Unfold", {
  kernelSize: ints(2),
  dilation: opt(ints(2), 1),
  padding: opt(ints(2), 0),
  stride: opt(ints(2), 1),
});

/**
 * Sums sliding-block columns into an image, as torch.nn.Fold(output_size, kernel_size,
 * dilation=1, padding=0, stride=1): `[N, C·Πk, L] → [N, C, *outputSize]` (see F.fold).
 */
export class Fold extends Module {
  /** The spatial size of the output image. */
  readonly outputSize: IntOrPair;
  /** The block size. */
  readonly kernelSize: IntOrPair;
  /** Spacing between block elements (default 1). */
  readonly dilation: IntOrPair;
  /** Implicit zero padding on both sides (default 0). */
  readonly padding: IntOrPair;
  /** Step between blocks (default 1). */
  readonly stride: IntOrPair;

  /** Creates the layer from `(outputSize, kernelSize, dilation?, padding?, stride?)`. */
  constructor(
    outputSize: IntOrPair,
    kernelSize: IntOrPair,
    ...rest: WithOptions<FoldPositional, FoldOptions>
  ) {
    super();
    const a = parseArgs(FOLD, [outputSize, kernelSize, ...rest]);
    this.outputSize = a.outputSize as IntOrPair;
    this.kernelSize = a.kernelSize as IntOrPair;
    this.dilation = a.dilation as IntOrPair;
    this.padding = a.padding as IntOrPair;
    this.stride = a.stride as IntOrPair;
  }

  override forward(x: Tensor): Tensor {
    return fold(x, this.outputSize, this.kernelSize, this.dilation, this.padding, this.stride);
  }

  override extraRepr(): string {
    return `output_size=${pyTuple(this.outputSize)}, kernel_size=${pyTuple(this.kernelSize)}, dilation=${pyTuple(this.dilation)}, padding=${pyTuple(this.padding)}, stride=${pyTuple(this.stride)}`;
  }
}

/**
 * Extracts sliding blocks as columns, as torch.nn.Unfold(kernel_size, dilation=1, padding=0,
 * stride=1): `[N, C, H, W] → [N, C·Πk, L]` (see F.unfold).
 */
export class Unfold extends Module {
  /** The block size. */
  readonly kernelSize: IntOrPair;
  /** Spacing between block elements (default 1). */
  readonly dilation: IntOrPair;
  /** Implicit zero padding on both sides (default 0). */
  readonly padding: IntOrPair;
  /** Step between blocks (default 1). */
  readonly stride: IntOrPair;

  /** Creates the layer from `(kernelSize, dilation?, padding?, stride?)`. */
  constructor(kernelSize: IntOrPair, ...rest: WithOptions<FoldPositional, FoldOptions>) {
    super();
    const a = parseArgs(UNFOLD, [kernelSize, ...rest]);
    this.kernelSize = a.kernelSize as IntOrPair;
    this.dilation = a.dilation as IntOrPair;
    this.padding = a.padding as IntOrPair;
    this.stride = a.stride as IntOrPair;
  }

  override forward(x: Tensor): Tensor {
    return unfold(x, this.kernelSize, this.dilation, this.padding, this.stride);
  }

  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, dilation=${pyTuple(this.dilation)}, padding=${pyTuple(this.padding)}, stride=${pyTuple(this.stride)}`;
  }
}

const UPSAMPLE = signature("nn.Upsample", {
  size: opt(nullable(either(int, arrayOf(int))), null),
  scaleFactor: opt(nullable(either(num, arrayOf(num))), null),
  mode: opt(
    oneOf("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area"),
    "nearest",
  ),
  alignCorners: opt(nullable(bool), null),
  recomputeScaleFactor: opt(nullable(bool), null),
});
const UPSAMPLE2D = (op: string) =>
  signature(op, {
    size: opt(nullable(either(int, arrayOf(int))), null),
    scaleFactor: opt(nullable(either(num, arrayOf(num))), null),
  });
const UPSAMPLE_NEAREST = UPSAMPLE2D("nn.UpsamplingNearest2d");
const UPSAMPLE_BILINEAR = UPSAMPLE2D("nn.UpsamplingBilinear2d");

/** Options of nn.Upsample; defaults size null, scaleFactor null, mode "nearest". */
export interface UpsampleOptions {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

/**
 * Resizes `[N, C, *spatial]` by `size` or `scaleFactor`, as torch.nn.Upsample(size=None,
 * scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None): forward is
 * F.interpolate with these arguments.
 *
 * @example new nn.Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: false })
 */
export class Upsample extends Module {
  /** The output spatial size, or null when scaling by `scaleFactor`. */
  readonly size: number | readonly number[] | null;
  /** The scale factor as floats (null when 0 or not given), as PyTorch stores it. */
  readonly scaleFactor: number | readonly number[] | null;
  /** The interpolation mode (default "nearest"). */
  readonly mode: InterpolateMode;
  /** Whether corner pixels are aligned (linear modes only; null = false). */
  readonly alignCorners: boolean | null;
  /** Whether the output size, not the given scale, maps output to source positions. */
  readonly recomputeScaleFactor: boolean | null;

  /** Creates the layer from `(size?, scaleFactor?, mode?, alignCorners?, recomputeScaleFactor?)`. */
  constructor(
    ...args: WithOptions<
      [
        size: number | readonly number[] | null,
        scaleFactor: number | readonly number[] | null,
        mode: InterpolateMode,
        alignCorners: boolean | null,
        recomputeScaleFactor: boolean | null,
      ],
      UpsampleOptions
    >
  ) {
    super();
    const a = parseArgs(UPSAMPLE, args);
    this.size = a.size;
    const s = a.scaleFactor;
    this.scaleFactor = s === null || s === 0 ? null : s;
    this.mode = a.mode;
    this.alignCorners = a.alignCorners;
    this.recomputeScaleFactor = a.recomputeScaleFactor;
  }

  override forward(x: Tensor): Tensor {
    return interpolate(x, this.size, this.scaleFactor, this.mode, this.alignCorners, {
      recomputeScaleFactor: this.recomputeScaleFactor,
    });
  }

  override extraRepr(): string {
    const show = (v: number | readonly number[], f: (n: number) => string) =>
      typeof v === "number" ? f(v) : `(${v.map(f).join(", ")}${v.length === 1 ? "," : ""})`;
    const info =
      this.scaleFactor !== null
        ? `scale_factor=${show(this.scaleFactor, pyFloat)}`
        : `size=${this.size === null ? "None" : show(this.size, String)}`;
    return `${info}, mode=${this.mode}`;
  }
}

/**
 * Nearest-neighbour upsampling of `[N, C, H, W]`, as torch.nn.UpsamplingNearest2d(size=None,
 * scale_factor=None) (= Upsample with mode "nearest").
 */
export class UpsamplingNearest2d extends Upsample {
  /** Creates the layer from `(size?, scaleFactor?)`. */
  constructor(
    ...args: WithOptions<
      [size: IntOrPair | null, scaleFactor: number | readonly [number, number] | null],
      { size?: IntOrPair | null; scaleFactor?: number | readonly [number, number] | null }
    >
  ) {
    const a = parseArgs(UPSAMPLE_NEAREST, args);
    super(a.size, a.scaleFactor, "nearest");
  }
}

/**
 * Bilinear upsampling of `[N, C, H, W]` with aligned corners, as
 * torch.nn.UpsamplingBilinear2d(size=None, scale_factor=None) (= Upsample with mode "bilinear",
 * alignCorners true).
 */
export class UpsamplingBilinear2d extends Upsample {
  /** Creates the layer from `(size?, scaleFactor?)`. */
  constructor(
    ...args: WithOptions<
      [size: IntOrPair | null, scaleFactor: number | readonly [number, number] | null],
      { size?: IntOrPair | null; scaleFactor?: number | readonly [number, number] | null }
    >
  ) {
    const a = parseArgs(UPSAMPLE_BILINEAR, args);
    super(a.size, a.scaleFactor, "bilinear", true);
  }
}

/** `[*, C·r², H, W] → [*, C, H·r, W·r]`, as torch.nn.PixelShuffle(upscale_factor). */
export class PixelShuffle extends Module {
  /** The factor r by which height and width grow. */
  readonly upscaleFactor: number;
  /** Creates the layer from `upscaleFactor`. */
  constructor(upscaleFactor: number) {
    super();
    checkArity("nn.PixelShuffle", arguments, 1);
    this.upscaleFactor = parseArgs(signature("nn.PixelShuffle", { upscaleFactor: int }), [
      upscaleFactor,
    ]).upscaleFactor;
  }
  override forward(x: Tensor): Tensor {
    return pixelShuffle(x, this.upscaleFactor);
  }
  override extraRepr(): string {
    return `upscale_factor=${this.upscaleFactor}`;
  }
}

/** `[*, C, H·r, W·r] → [*, C·r², H, W]`, as torch.nn.PixelUnshuffle(downscale_factor). */
export class PixelUnshuffle extends Module {
  /** The factor r by which height and width shrink. */
  readonly downscaleFactor: number;
  /** Creates the layer from `downscaleFactor`. */
  constructor(downscaleFactor: number) {
    super();
    checkArity("nn.PixelUnshuffle", arguments, 1);
    this.downscaleFactor = parseArgs(signature("nn.PixelUnshuffle", { downscaleFactor: int }), [
      downscaleFactor,
    ]).downscaleFactor;
  }
  override forward(x: Tensor): Tensor {
    return pixelUnshuffle(x, this.downscaleFactor);
  }
  override extraRepr(): string {
    return `downscale_factor=${this.downscaleFactor}`;
  }
}

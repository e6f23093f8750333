// Conv1d, Conv2d and Conv3d layers over the im2col functional forms, with PyTorch's padding
// modes ("zeros", or an explicit F.pad in "reflect", "replicate" or "circular" mode first).

import {
  bool,
  either,
  int,
  ints,
  oneOf,
  opt,
  type Parsed,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tupleN } from "../functional/conv-args.ts";
import { conv3d, type IntOrTriple, samePadding } from "../functional/conv-nd.ts";
import { conv1d, conv2d, type IntOrPair } from "../functional/layers.ts";
import { pad } from "../functional/padding.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyTuple } from "../repr.ts";

/** How a Conv layer pads its input, as torch's `padding_mode`. */
export type PaddingMode = "zeros" | "reflect" | "replicate" | "circular";

/**
 * Options of Conv1d, Conv2d and Conv3d after the kernel size; defaults stride 1, padding 0,
 * dilation 1, groups 1, bias true, paddingMode "zeros", dtype float32.
 */
export interface ConvOptions<P> {
  stride?: P;
  padding?: P | "valid" | "same";
  dilation?: P;
  groups?: number;
  bias?: boolean;
  /** "zeros" (the default), "reflect", "replicate" or "circular". */
  paddingMode?: PaddingMode;
  dtype?: "float32" | "float64";
}

/** The positional parameters of Conv1d/2d/3d after the kernel size, in PyTorch's order. */
export type ConvPositional<P> = [
  stride: P,
  padding: P | "valid" | "same",
  dilation: P,
  groups: number,
  bias: boolean,
  paddingMode: PaddingMode,
];

function convSignature(op: string, n: number) {
  return signature(
    op,
    {
      inChannels: int,
      outChannels: int,
      kernelSize: ints(n),
      stride: opt(ints(n), 1),
      padding: opt(either(ints(n), oneOf("valid", "same")), 0),
      dilation: opt(ints(n), 1),
      groups: opt(int, 1),
      bias: opt(bool, true),
      paddingMode: opt(oneOf("zeros", "reflect", "replicate", "circular"), "zeros"),
    },
    { dtype: opt(oneOf("float32", "float64"), "float32") },
  );
}
const CONV1D = convSignature("nn.Conv1d", 1);
const CONV2D = convSignature("nn.Conv2d", 2);
const CONV3D = convSignature("nn.Conv3d", 3);
type ConvArgs = Parsed<(typeof CONV2D)["params"]>;

/** PyTorch's _ConvNd checks of `groups` against the channel counts, named `op` in messages. */
export function checkConvGroups(
  op: string,
  inChannels: number,
  outChannels: number,
  groups: number,
): void {
  if (groups <= 0) throw new ValueError(`${op}: groups must be a positive integer (got ${groups})`);
  if (inChannels % groups !== 0)
    throw new ValueError(`${op}: in_channels must be divisible by groups`);
  if (outChannels % groups !== 0)
    throw new ValueError(`${op}: out_channels must be divisible by groups`);
}

/**
 * As torch's _ConvNd.reset_parameters: kaimingUniform_(a = √5) on the weight and bias
 * U(±1/√fanIn), fanIn from the weight's layout (pytorch/pytorch#57109).
 */
export function resetConvParameters(weight: Parameter, bias: Parameter | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias !== null) {
    const [fanIn] = calculateFanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, { a: -bound, b: bound });
  }
}

/**
 * Gives `m` its `weight` Parameter of `shape` and its `bias` `[outChannels]` (with `bias`; else a
 * null `bias` parameter), uninitialised, in PyTorch's registration order.
 */
export function registerConvParameters(
  m: Module & { weight: Parameter; bias: Parameter | null },
  shape: number[],
  outChannels: number,
  bias: boolean,
  dtype: "float32" | "float64",
): void {
  m.weight = new Parameter(empty(shape, dtype));
  if (bias) m.bias = new Parameter(empty([outChannels], dtype));
  else {
    m.bias = null;
    m.registerParameter("bias", null);
  }
}

/** The fields of a conv layer its repr opens with. */
export interface ConvReprHead {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** Kernel size per spatial dim. */
  readonly kernelSize: readonly number[];
  /** Stride per spatial dim. */
  readonly stride: readonly number[];
}

/** The opening of a conv layer's repr, as torch's: `in, out, kernel_size=(…), stride=(…)`. */
export function convReprHead(m: ConvReprHead): string {
  return `${m.inChannels}, ${m.outChannels}, kernel_size=${pyTuple(m.kernelSize)}, stride=${pyTuple(m.stride)}`;
}

abstract class ConvNd extends Module {
  /** Channels of the input, Cin. */
  readonly inChannels: number;
  /** Channels of the output, Cout. */
  readonly outChannels: number;
  /** Kernel size per spatial dimension. */
  readonly kernelSize: number[];
  /** Stride per spatial dimension (default 1). */
  readonly stride: number[];
  /**
   * Zero padding per spatial dimension (default 0), or "valid" (none) or "same" (output as long as
   * the input).
   */
  readonly padding: number[] | "valid" | "same";
  /** Spacing between kernel elements per spatial dimension (default 1). */
  readonly dilation: number[];
  /** Number of blocked connections from input to output channels (default 1). */
  readonly groups: number;
  /** How the input is padded: "zeros" (default), "reflect", "replicate" or "circular". */
  readonly paddingMode: PaddingMode;
  /** The kernels, `[Cout, Cin/groups, ...kernelSize]`. */
  weight!: Parameter; // assigned by registerConvParameters
  /** The per-channel bias `[Cout]`, or null when created with `bias: false`. */
  bias!: Parameter | null;

  constructor(n: number, o: ConvArgs) {
    super();
    const { inChannels, outChannels, groups } = o;
    checkConvGroups("Conv", inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tupleN(o.kernelSize, n);
    this.stride = tupleN(o.stride, n);
    const p = o.padding;
    this.padding = p === "same" || p === "valid" ? p : tupleN(p, n);
    if (p === "same" && this.stride.some((s) => s !== 1)) {
      throw new ValueError("Conv: padding='same' is not supported for strided convolutions");
    }
    this.dilation = tupleN(o.dilation, n);
    this.groups = groups;
    this.paddingMode = o.paddingMode;
    const shape = [outChannels, inChannels / groups, ...this.kernelSize];
    registerConvParameters(this, shape, outChannels, o.bias, o.dtype);
    this.resetParameters();
  }

  /** As torch's _ConvNd: kaimingUniform_(a = √5) and bias U(±1/√fanIn) (pytorch/pytorch#57109). */
  resetParameters(): void {
    resetConvParameters(this.weight, this.bias);
  }

  override extraRepr(): string {
    let s = convReprHead(this);
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    if (this.paddingMode !== "zeros") s += `, padding_mode=${this.paddingMode}`;
    return s;
  }

  /**
   * `x` padded by `paddingMode` when it is not "zeros" (the conv then pads nothing), as torch's
   * _conv_forward with `_reversed_padding_repeated_twice`; null for "zeros".
   */
  protected modePadded(x: Tensor): Tensor | null {
    if (this.paddingMode === "zeros") return null;
    const n = this.kernelSize.length;
    let lo: number[];
    let hi: number[];
    if (this.padding === "same") ({ lo, hi } = samePadding(this.kernelSize, this.dilation));
    else if (this.padding === "valid") lo = hi = new Array<number>(n).fill(0);
    else lo = hi = this.padding;
    const pads: number[] = [];
    for (let d = n - 1; d >= 0; d--) pads.push(lo[d]!, hi[d]!);
    return pad(x, pads, this.paddingMode);
  }
}

/**
 * 2-D convolution (cross-correlation), as torch.nn.Conv2d: `[N, Cin, H, W] → [N, Cout, Ho, Wo]`.
 * Arguments in PyTorch's order (stride, padding, dilation, groups, bias, paddingMode), positional
 * or as options; padding is a number, a pair, "valid" or "same".
 * PyTorch parity: weight `[Cout, Cin/groups, kh, kw]`, kaimingUniform_(a = √5), bias U(±1/√fanIn).
 *
 * @example const conv = new nn.Conv2d(3, 16, 3, 1, 1); // = new nn.Conv2d(3, 16, 3, { stride: 1, padding: 1 })
 */
export class Conv2d extends ConvNd {
  /**
   * Creates the layer from `(inChannels, outChannels, kernelSize, stride?, padding?, dilation?,
   * groups?, bias?, paddingMode?)`, positional or as options after the kernel size.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntOrPair,
    ...rest: WithOptions<ConvPositional<IntOrPair>, ConvOptions<IntOrPair>>
  ) {
    super(2, parseArgs(CONV2D, [inChannels, outChannels, kernelSize, ...rest]));
  }

  override forward(x: Tensor): Tensor {
    const padded = this.modePadded(x);
    const p = padded === null ? this.padding : 0;
    return conv2d(padded ?? x, this.weight, this.bias, {
      stride: this.stride as [number, number],
      padding: typeof p === "string" || typeof p === "number" ? p : (p as [number, number]),
      dilation: this.dilation as [number, number],
      groups: this.groups,
    });
  }
}

/** 1-D convolution, as torch.nn.Conv1d: `[N, Cin, L] → [N, Cout, Lo]`; arguments as Conv2d's. */
export class Conv1d extends ConvNd {
  /**
   * Creates the layer from `(inChannels, outChannels, kernelSize, stride?, padding?, dilation?,
   * groups?, bias?, paddingMode?)`, positional or as options after the kernel size.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number],
    ...rest: WithOptions<
      ConvPositional<number | readonly [number]>,
      ConvOptions<number | readonly [number]>
    >
  ) {
    super(1, parseArgs(CONV1D, [inChannels, outChannels, kernelSize, ...rest]));
  }

  override forward(x: Tensor): Tensor {
    const padded = this.modePadded(x);
    const p = padded === null ? this.padding : 0;
    return conv1d(padded ?? x, this.weight, this.bias, {
      stride: this.stride[0]!,
      padding: typeof p === "string" || typeof p === "number" ? p : p[0]!,
      dilation: this.dilation[0]!,
      groups: this.groups,
    });
  }
}

/**
 * 3-D convolution (cross-correlation), as torch.nn.Conv3d:
 * `[N, Cin, D, H, W] → [N, Cout, Do, Ho, Wo]` (or unbatched `[Cin, D, H, W]`); arguments as
 * Conv2d's, sizes one int or a triple `[d, h, w]`.
 * PyTorch parity: weight `[Cout, Cin/groups, kd, kh, kw]`, kaimingUniform_(a = √5),
 * bias U(±1/√fanIn).
 *
 * @example const conv = new nn.Conv3d(1, 8, 3, { padding: 1 }); // LunaModel's first layer
 */
export class Conv3d extends ConvNd {
  /**
   * Creates the layer from `(inChannels, outChannels, kernelSize, stride?, padding?, dilation?,
   * groups?, bias?, paddingMode?)`, positional or as options after the kernel size.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntOrTriple,
    ...rest: WithOptions<ConvPositional<IntOrTriple>, ConvOptions<IntOrTriple>>
  ) {
    super(3, parseArgs(CONV3D, [inChannels, outChannels, kernelSize, ...rest]));
  }

  override forward(x: Tensor): Tensor {
    const padded = this.modePadded(x);
    const p = padded === null ? this.padding : 0;
    return conv3d(padded ?? x, this.weight, this.bias, {
      stride: this.stride as [number, number, number],
      padding: typeof p === "string" || typeof p === "number" ? p : (p as [number, number, number]),
      dilation: this.dilation as [number, number, number],
      groups: this.groups,
    });
  }
}

// Conv1d and Conv2d layers over the im2col functional forms.

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
import { conv1d, conv2d, type IntOrPair } from "../functional/layers.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyTuple } from "../repr.ts";

/**
 * Options of Conv1d and Conv2d after the kernel size; defaults stride 1, padding 0, dilation 1,
 * groups 1, bias true, paddingMode "zeros", dtype float32.
 */
export interface ConvOptions<P> {
  stride?: P;
  padding?: P | "valid" | "same";
  dilation?: P;
  groups?: number;
  bias?: boolean;
  /** Only "zeros" (PyTorch's default); other modes throw rather than pad differently. */
  paddingMode?: "zeros";
  dtype?: "float32" | "float64";
}

/** The positional parameters of Conv1d/Conv2d after the kernel size, in PyTorch's order. */
export type ConvPositional<P> = [
  stride: P,
  padding: P | "valid" | "same",
  dilation: P,
  groups: number,
  bias: boolean,
  paddingMode: "zeros",
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
      paddingMode: opt(oneOf("zeros"), "zeros"),
    },
    { dtype: opt(oneOf("float32", "float64"), "float32") },
  );
}
const CONV1D = convSignature("nn.Conv1d", 1);
const CONV2D = convSignature("nn.Conv2d", 2);
type ConvArgs = Parsed<(typeof CONV2D)["params"]>;

const tuple = (v: number | readonly number[], n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

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
  /** How the input is padded; only "zeros", PyTorch's default. */
  readonly paddingMode: "zeros";
  /** The kernels, `[Cout, Cin/groups, ...kernelSize]`. */
  weight: Parameter;
  /** The per-channel bias `[Cout]`, or null when created with `bias: false`. */
  bias: Parameter | null;

  constructor(n: number, o: ConvArgs) {
    super();
    const { inChannels, outChannels, groups } = o;
    if (groups <= 0)
      throw new ValueError(`Conv: groups must be a positive integer (got ${groups})`);
    if (inChannels % groups !== 0)
      throw new ValueError("Conv: in_channels must be divisible by groups");
    if (outChannels % groups !== 0)
      throw new ValueError("Conv: out_channels must be divisible by groups");
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tuple(o.kernelSize, n);
    this.stride = tuple(o.stride, n);
    const p = o.padding;
    this.padding = p === "same" || p === "valid" ? p : tuple(p, n);
    if (p === "same" && this.stride.some((s) => s !== 1)) {
      throw new ValueError("Conv: padding='same' is not supported for strided convolutions");
    }
    this.dilation = tuple(o.dilation, n);
    this.groups = groups;
    this.paddingMode = o.paddingMode;
    const dtype = o.dtype;
    this.weight = new Parameter(
      empty([outChannels, inChannels / groups, ...this.kernelSize], dtype),
    );
    if (o.bias) this.bias = new Parameter(empty([outChannels], dtype));
    else {
      this.bias = null;
      this.registerParameter("bias", null);
    }
    this.resetParameters();
  }

  /** As torch's _ConvNd: kaimingUniform_(a = √5) and bias U(±1/√fanIn) (pytorch/pytorch#57109). */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, { a: -bound, b: bound });
    }
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}`;
    if (typeof this.padding === "string") s += `, padding=${this.padding}`;
    else if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    return s;
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
    const p = this.padding;
    return conv2d(x, this.weight, this.bias, {
      stride: this.stride as [number, number],
      padding: typeof p === "string" ? p : (p as [number, number]),
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
    const p = this.padding;
    return conv1d(x, this.weight, this.bias, {
      stride: this.stride[0]!,
      padding: typeof p === "string" ? p : p[0]!,
      dilation: this.dilation[0]!,
      groups: this.groups,
    });
  }
}

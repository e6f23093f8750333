// Conv1d and Conv2d layers over the im2col functional forms.

import { ValueError } from "../../core/errors.ts";
import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { conv1d, conv2d, type IntOrPair } from "../functional/layers.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyTuple } from "../repr.ts";

export interface ConvOptions<P> {
  stride?: P;
  padding?: P | "valid" | "same";
  dilation?: P;
  groups?: number;
  bias?: boolean;
  dtype?: "float32" | "float64";
}

const tuple = (v: IntOrPair, n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

abstract class ConvNd extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | "valid" | "same";
  readonly dilation: number[];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntOrPair,
    n: number,
    o: ConvOptions<IntOrPair>,
  ) {
    super();
    const groups = o.groups ?? 1;
    if (inChannels % groups !== 0)
      throw new ValueError("Conv: in_channels must be divisible by groups");
    if (outChannels % groups !== 0)
      throw new ValueError("Conv: out_channels must be divisible by groups");
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tuple(kernelSize, n);
    this.stride = tuple(o.stride ?? 1, n);
    const p = o.padding ?? 0;
    this.padding = p === "same" || p === "valid" ? p : tuple(p, n);
    if (p === "same" && this.stride.some((s) => s !== 1)) {
      throw new ValueError("Conv: padding='same' is not supported for strided convolutions");
    }
    this.dilation = tuple(o.dilation ?? 1, n);
    this.groups = groups;
    const dtype = o.dtype ?? "float32";
    this.weight = new Parameter(
      empty([outChannels, inChannels / groups, ...this.kernelSize], dtype),
    );
    if (o.bias ?? true) this.bias = new Parameter(empty([outChannels], dtype));
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
 * Options: stride, padding (number, pair, "valid" or "same"), dilation, groups, bias.
 * PyTorch parity: weight `[Cout, Cin/groups, kh, kw]`, kaimingUniform_(a = √5), bias U(±1/√fanIn).
 *
 * @example const conv = new nn.Conv2d(1, 8, 3, { padding: 1 });
 */
export class Conv2d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntOrPair,
    options: ConvOptions<IntOrPair> = {},
  ) {
    super(inChannels, outChannels, kernelSize, 2, options);
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

/** 1-D convolution, as torch.nn.Conv1d: `[N, Cin, L] → [N, Cout, Lo]`. */
export class Conv1d extends ConvNd {
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    options: ConvOptions<number> = {},
  ) {
    super(inChannels, outChannels, kernelSize, 1, options);
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

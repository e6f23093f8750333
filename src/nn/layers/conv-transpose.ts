// ConvTranspose1d/2d/3d layers over functional/conv-transpose.ts: PyTorch's argument order,
// weight layout [Cin, Cout/groups, *k], init and repr, and forward's `outputSize`, which picks the
// output padding. Depends on nn's functional forms, init, Module and Parameter only.

import {
  arrayOf,
  bool,
  int,
  ints,
  nullable,
  oneOf,
  opt,
  type Parsed,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "../functional/args.ts";
import { tupleN } from "../functional/conv-args.ts";
import { convTransposeChecked } from "../functional/conv-transpose.ts";
import { Module } from "../module.ts";
import type { Parameter } from "../parameter.ts";
import { pyTuple } from "../repr.ts";
import {
  checkConvGroups,
  convReprHead,
  registerConvParameters,
  resetConvParameters,
} from "./conv.ts";

/**
 * Options of ConvTranspose1d/2d/3d after the kernel size; defaults stride 1, padding 0,
 * outputPadding 0, groups 1, bias true, dilation 1, paddingMode "zeros", dtype float32.
 */
export interface ConvTransposeLayerOptions<P> {
  stride?: P;
  padding?: P;
  outputPadding?: P;
  groups?: number;
  bias?: boolean;
  dilation?: P;
  /** Only "zeros": PyTorch's ConvTranspose supports no other mode. */
  paddingMode?: "zeros";
  dtype?: "float32" | "float64";
}

/** The positional parameters of ConvTranspose*d after the kernel size, in PyTorch's order. */
export type ConvTransposeLayerPositional<P> = [
  stride: P,
  padding: P,
  outputPadding: P,
  groups: number,
  bias: boolean,
  dilation: P,
  paddingMode: "zeros",
];

function layerSig(op: string, n: number) {
  return signature(
    op,
    {
      inChannels: int,
      outChannels: int,
      kernelSize: ints(n),
      stride: opt(ints(n), 1),
      padding: opt(ints(n), 0),
      outputPadding: opt(ints(n), 0),
      groups: opt(int, 1),
      bias: opt(bool, true),
      dilation: opt(ints(n), 1),
      paddingMode: opt(oneOf("zeros"), "zeros"),
    },
    { dtype: opt(oneOf("float32", "float64"), "float32") },
  );
}
const SIGS = [
  layerSig("nn.ConvTranspose1d", 1),
  layerSig("nn.ConvTranspose2d", 2),
  layerSig("nn.ConvTranspose3d", 3),
];
type LayerArgs = Parsed<(typeof SIGS)[1]["params"]>;

const forwardSig = (n: number) =>
  signature(`ConvTranspose${n}d.forward`, {
    input: tensorArg,
    outputSize: opt(nullable(arrayOf(int)), null),
  });
const FORWARD = [forwardSig(1), forwardSig(2), forwardSig(3)];

abstract class ConvTransposeNd extends Module {
  /** Channels of the input, Cin. */
  readonly inChannels: number;
  /** Channels of the output, Cout. */
  readonly outChannels: number;
  /** Kernel size per spatial dim. */
  readonly kernelSize: number[];
  /** Stride per spatial dim (default 1). */
  readonly stride: number[];
  /** Zero padding cropped from each side of the output (dilation·(k − 1) − padding pads the input). */
  readonly padding: number[];
  /** Extra size added to one side of each output dim (default 0). */
  readonly outputPadding: number[];
  /** Spacing between kernel elements per spatial dim (default 1). */
  readonly dilation: number[];
  /** Number of blocked connections from input to output channels (default 1). */
  readonly groups: number;
  /** Only "zeros". */
  readonly paddingMode: "zeros";
  /** The kernels, `[Cin, Cout/groups, ...kernelSize]` (PyTorch's transposed layout). */
  weight!: Parameter; // assigned by registerConvParameters
  /** `[Cout]`, or null when created with `bias: false`. */
  bias!: Parameter | null;
  readonly #n: 1 | 2 | 3;

  constructor(n: 1 | 2 | 3, o: LayerArgs) {
    super();
    const { inChannels, outChannels, groups } = o;
    checkConvGroups(`ConvTranspose${n}d`, inChannels, outChannels, groups);
    this.#n = n;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = tupleN(o.kernelSize, n);
    this.stride = tupleN(o.stride, n);
    this.padding = tupleN(o.padding, n);
    this.outputPadding = tupleN(o.outputPadding, n);
    this.dilation = tupleN(o.dilation, n);
    this.groups = groups;
    this.paddingMode = o.paddingMode;
    const shape = [inChannels, outChannels / groups, ...this.kernelSize];
    registerConvParameters(this, shape, outChannels, o.bias, o.dtype);
    this.resetParameters();
  }

  /**
   * As torch's _ConvNd: kaimingUniform_(a = √5) and bias U(±1/√fanIn), fanIn computed from the
   * transposed weight (Cout/groups · Πk) (pytorch/pytorch#57109).
   */
  resetParameters(): void {
    resetConvParameters(this.weight, this.bias);
  }

  /**
   * The transposed convolution of `x` (`[N, Cin, *]` or unbatched); `outputSize` (the spatial
   * sizes, optionally preceded by N and C) picks the output padding within the valid range, as
   * torch.nn.ConvTranspose2d.forward(input, output_size=None).
   */
  override forward(
    x: Tensor,
    ...rest: WithOptions<
      [outputSize: readonly number[] | null],
      { outputSize?: readonly number[] | null }
    >
  ): Tensor {
    const { outputSize } = parseArgs(FORWARD[this.#n - 1]!, [x, ...rest]);
    const outputPadding =
      outputSize === null ? this.outputPadding : this.#outputPadding(x, outputSize);
    return convTransposeChecked(this.#n, x, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  /** PyTorch's _ConvTransposeNd._output_padding. */
  #outputPadding(x: Tensor, size: readonly number[]): number[] {
    const n = this.#n;
    const op = `ConvTranspose${n}d`;
    const lead = x.ndim === n + 2 ? 2 : 1;
    let s = [...size];
    if (s.length === n + lead) s = s.slice(lead);
    if (s.length !== n) {
      throw new ValueError(
        `${op}: for ${x.ndim}D input, output_size must have ${n} or ${n + lead} elements (got ${size.length})`,
      );
    }
    const inSp = x.shape.slice(x.ndim - n);
    const min = inSp.map(
      (v, d) =>
        (v - 1) * this.stride[d]! -
        2 * this.padding[d]! +
        this.dilation[d]! * (this.kernelSize[d]! - 1) +
        1,
    );
    const max = min.map((v, d) => v + this.stride[d]! - 1);
    if (s.some((v, d) => v < min[d]! || v > max[d]!)) {
      throw new ValueError(
        `${op}: requested an output size of [${s.join(", ")}], but valid sizes range from [${min.join(", ")}] to [${max.join(", ")}] (for an input of [${inSp.join(", ")}])`,
      );
    }
    return s.map((v, d) => v - min[d]!);
  }

  override extraRepr(): string {
    let s = convReprHead(this);
    if (this.padding.some((p) => p !== 0)) s += `, padding=${pyTuple(this.padding)}`;
    if (this.dilation.some((d) => d !== 1)) s += `, dilation=${pyTuple(this.dilation)}`;
    if (this.outputPadding.some((p) => p !== 0))
      s += `, output_padding=${pyTuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ", bias=False";
    return s;
  }
}

type Args<P> = WithOptions<ConvTransposeLayerPositional<P>, ConvTransposeLayerOptions<P>>;

/**
 * 1-D transposed convolution, as torch.nn.ConvTranspose1d(in_channels, out_channels, kernel_size,
 * stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1, padding_mode='zeros'):
 * `[N, Cin, L] → [N, Cout, (L − 1)s − 2p + d(k − 1) + outputPadding + 1]`.
 */
export class ConvTranspose1d extends ConvTransposeNd {
  /**
   * Creates the layer from `(inChannels, outChannels, kernelSize, stride?, padding?,
   * outputPadding?, groups?, bias?, dilation?, paddingMode?)`, positional or as options.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number],
    ...rest: Args<number | readonly [number]>
  ) {
    super(1, parseArgs(SIGS[0]!, [inChannels, outChannels, kernelSize, ...rest]) as LayerArgs);
  }
}

/**
 * 2-D transposed convolution, as torch.nn.ConvTranspose2d (arguments as ConvTranspose1d's):
 * `[N, Cin, H, W] → [N, Cout, Ho, Wo]`, Ho = (H − 1)s − 2p + d(k − 1) + outputPadding + 1.
 * PyTorch parity: weight `[Cin, Cout/groups, kh, kw]`, kaimingUniform_(a = √5), bias U(±1/√fanIn).
 *
 * @example new nn.ConvTranspose2d(16, 8, 4, 2, 1); // = new nn.ConvTranspose2d(16, 8, 4, { stride: 2, padding: 1 })
 */
export class ConvTranspose2d extends ConvTransposeNd {
  /**
   * Creates the layer from `(inChannels, outChannels, kernelSize, stride?, padding?,
   * outputPadding?, groups?, bias?, dilation?, paddingMode?)`, positional or as options.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number],
    ...rest: Args<number | readonly [number, number]>
  ) {
    super(2, parseArgs(SIGS[1]!, [inChannels, outChannels, kernelSize, ...rest]));
  }
}

/** 3-D transposed convolution, as torch.nn.ConvTranspose3d: `[N, Cin, D, H, W] → [N, Cout, Do, Ho, Wo]`. */
export class ConvTranspose3d extends ConvTransposeNd {
  /**
   * Creates the layer from `(inChannels, outChannels, kernelSize, stride?, padding?,
   * outputPadding?, groups?, bias?, dilation?, paddingMode?)`, positional or as options.
   */
  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number | readonly [number, number, number],
    ...rest: Args<number | readonly [number, number, number]>
  ) {
    super(3, parseArgs(SIGS[2]!, [inChannels, outChannels, kernelSize, ...rest]) as LayerArgs);
  }
}

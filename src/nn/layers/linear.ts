// Linear and the shape-only layers Identity, Flatten and Unflatten. Constructor arguments in
// PyTorch's order, positional or in one options object (API.md rule 2).

import {
  arrayOf,
  bool,
  int,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg } from "../functional/args.ts";
import { linear } from "../functional/layers.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool, pyTuple } from "../repr.ts";

const LINEAR = signature(
  "nn.Linear",
  { inFeatures: int, outFeatures: int, bias: opt(bool, true) },
  { dtype: floatDtypeArg },
);

/**
 * y = x Wᵀ + b, as torch.nn.Linear(in_features, out_features, bias=True, *, dtype). `x [*, inFeatures] → [*, outFeatures]`.
 *
 * PyTorch parity: `weight [out, in]`, weight ~ kaimingUniform_(a = √5), which is
 * U(−1/√fanIn, 1/√fanIn), and bias ~ U(−1/√fanIn, 1/√fanIn), as torch.nn.Linear.
 *
 * @example const fc = new nn.Linear(784, 128); fc.forward(x); // [N, 128]
 * @example new nn.Linear(4, 2, false); // = new nn.Linear(4, 2, { bias: false })
 */
export class Linear extends Module {
  /** Size of each input sample. */
  readonly inFeatures: number;
  /** Size of each output sample. */
  readonly outFeatures: number;
  /** The weight W `[outFeatures, inFeatures]`. */
  weight: Parameter;
  /** The bias b `[outFeatures]`, or null when created with `bias: false`. */
  bias: Parameter | null;

  /**
   * Creates the layer from `(inFeatures, outFeatures, bias?)`, bias positional or as an option
   * (default true), plus the keyword-only `dtype`.
   */
  constructor(
    inFeatures: number,
    outFeatures: number,
    ...rest: WithOptions<[bias: boolean], { bias?: boolean; dtype?: "float32" | "float64" }>
  ) {
    super();
    const a = parseArgs(LINEAR, [inFeatures, outFeatures, ...rest]);
    this.inFeatures = a.inFeatures;
    this.outFeatures = a.outFeatures;
    const dtype = a.dtype;
    this.weight = new Parameter(empty([outFeatures, inFeatures], dtype));
    if (a.bias) this.bias = new Parameter(empty([outFeatures], dtype));
    else {
      this.bias = null;
      this.registerParameter("bias", null);
    }
    this.resetParameters();
  }

  /** PyTorch's init: a = √5 makes the kaiming bound 1/√fanIn (pytorch/pytorch#57109). */
  resetParameters(): void {
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias !== null) {
      const [fanIn] = calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      uniform_(this.bias, { a: -bound, b: bound });
    }
  }

  override forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}

/**
 * Returns its input, as torch.nn.Identity (a placeholder in architectures).
 * PyTorch parity: like PyTorch's, the constructor accepts and ignores any arguments.
 */
export class Identity extends Module {
  /** Creates the layer; arguments are accepted and ignored, as PyTorch's. */
  constructor(..._args: unknown[]) {
    super();
  }
  override forward(x: Tensor): Tensor {
    return x;
  }
}

const FLATTEN = signature("nn.Flatten", { startDim: opt(int, 1), endDim: opt(int, -1) });

/**
 * Flattens dims startDim..endDim, as torch.nn.Flatten(start_dim=1, end_dim=-1):
 * `[N, C, H, W] → [N, C·H·W]`.
 */
export class Flatten extends Module {
  /** First dim to flatten (default 1). */
  readonly startDim: number;
  /** Last dim to flatten (default -1). */
  readonly endDim: number;
  /** Creates the layer from `(startDim?, endDim?)`, positional or as options. */
  constructor(
    ...args: WithOptions<[startDim: number, endDim: number], { startDim?: number; endDim?: number }>
  ) {
    super();
    const a = parseArgs(FLATTEN, args);
    this.startDim = a.startDim;
    this.endDim = a.endDim;
  }
  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

const UNFLATTEN = signature("nn.Unflatten", { dim: int, unflattenedSize: arrayOf(int) });

/**
 * Splits dim `dim` into `unflattenedSize`, as torch.nn.Unflatten(dim, unflattened_size):
 * `[N, 784] → [N, 1, 28, 28]`. Named dims (PyTorch's str `dim`) are not supported.
 */
export class Unflatten extends Module {
  /** The dim that is split. */
  readonly dim: number;
  /** The sizes dim `dim` is split into. */
  readonly unflattenedSize: readonly number[];
  /** Creates the layer from `(dim, unflattenedSize)` or `({ dim, unflattenedSize })`. */
  constructor(
    dim: number | { dim: number; unflattenedSize: readonly number[] },
    ...rest: [unflattenedSize: readonly number[]] | []
  ) {
    super();
    const a = parseArgs(UNFLATTEN, [dim, ...rest]);
    this.dim = a.dim;
    this.unflattenedSize = [...a.unflattenedSize];
  }
  override forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    return x.reshape([...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}

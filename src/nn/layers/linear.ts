// Linear and the shape-only layers Identity, Flatten and Unflatten.

import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { linear } from "../functional/layers.ts";
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool, pyTuple } from "../repr.ts";

/**
 * y = x Wᵀ + b. `x [*, inFeatures] → [*, outFeatures]`.
 *
 * PyTorch parity: `weight [out, in]`, weight ~ kaimingUniform_(a = √5), which is
 * U(−1/√fanIn, 1/√fanIn), and bias ~ U(−1/√fanIn, 1/√fanIn), as torch.nn.Linear.
 *
 * @example const fc = new nn.Linear(784, 128); fc.forward(x); // [N, 128]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  weight: Parameter;
  bias: Parameter | null;

  constructor(
    inFeatures: number,
    outFeatures: number,
    options: { bias?: boolean; dtype?: "float32" | "float64" } = {},
  ) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const dtype = options.dtype ?? "float32";
    this.weight = new Parameter(empty([outFeatures, inFeatures], dtype));
    if (options.bias ?? true) this.bias = new Parameter(empty([outFeatures], dtype));
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

/** Returns its input, as torch.nn.Identity (a placeholder in architectures). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** Flattens dims startDim..endDim (1..−1), as torch.nn.Flatten: `[N, C, H, W] → [N, C·H·W]`. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;
  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }
  override forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}

/** Splits dim `dim` into `unflattenedSize`, as torch.nn.Unflatten: `[N, 784] → [N, 1, 28, 28]`. */
export class Unflatten extends Module {
  readonly dim: number;
  readonly unflattenedSize: readonly number[];
  constructor(dim: number, unflattenedSize: readonly number[]) {
    super();
    this.dim = dim;
    this.unflattenedSize = [...unflattenedSize];
  }
  override forward(x: Tensor): Tensor {
    const d = this.dim < 0 ? this.dim + x.ndim : this.dim;
    return x.reshape([...x.shape.slice(0, d), ...this.unflattenedSize, ...x.shape.slice(d + 1)]);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, unflattened_size=${pyTuple(this.unflattenedSize)}`;
  }
}

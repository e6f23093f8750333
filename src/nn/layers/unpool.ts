// MaxUnpool1d/2d/3d (the partial inverse of max pooling) and LPPool1d/2d (power-average
// pooling), thin modules over their function forms in functional/unpool.ts. Constructor
// arguments in PyTorch's order, positional or in one options object (API.md rule 2).

import {
  bool,
  ints,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { type IntOrTriple, tupleN } from "../functional/conv-nd.ts";
import type { IntOrPair } from "../functional/layers.ts";
import type { Int1 } from "../functional/pool.ts";
import { lpPool1d, lpPool2d, maxUnpool1d, maxUnpool2d, maxUnpool3d } from "../functional/unpool.ts";
import { Module } from "../module.ts";
import { pyBool, pyFloat, pyTuple } from "../repr.ts";

type Size = number | readonly number[];

abstract class MaxUnpoolNd extends Module {
  /** Window size of the max pool being inverted, one int per dim. */
  readonly kernelSize: number[];
  /** Its step; the kernel size when not given. */
  readonly stride: number[];
  /** Its padding (default 0). */
  readonly padding: number[];
  constructor(n: number, args: unknown[]) {
    super();
    const a = parseArgs(
      signature(`nn.MaxUnpool${n}d`, {
        kernelSize: ints(n),
        stride: opt(nullable(ints(n)), null),
        padding: opt(ints(n), 0),
      }),
      args,
    );
    this.kernelSize = tupleN(a.kernelSize, n);
    this.stride = tupleN(a.stride ?? a.kernelSize, n);
    this.padding = tupleN(a.padding, n);
  }
  override extraRepr(): string {
    return `kernel_size=${pyTuple(this.kernelSize)}, stride=${pyTuple(this.stride)}, padding=${pyTuple(this.padding)}`;
  }
}

/** The arguments of MaxUnpool{n}d: `(kernelSize, stride?, padding?)`, positional or as options. */
export type MaxUnpoolArgs<P> = WithOptions<
  [kernelSize: P, stride: P | null, padding: P],
  { kernelSize?: P; stride?: P | null; padding?: P }
>;

/**
 * Partial inverse of MaxPool1d, as torch.nn.MaxUnpool1d(kernel_size, stride=None, padding=0):
 * `forward(x, indices, outputSize?)` puts each value at its index in a zero output.
 */
export class MaxUnpool1d extends MaxUnpoolNd {
  /** Creates the layer from `(kernelSize, stride?, padding?)`, positional or as options. */
  constructor(...args: MaxUnpoolArgs<Int1>) {
    super(1, args);
  }
  override forward(
    x: Tensor,
    indices: Tensor,
    outputSize: readonly number[] | null = null,
  ): Tensor {
    return maxUnpool1d(x, indices, this.kernelSize as [number], {
      stride: this.stride as [number],
      padding: this.padding as [number],
      outputSize,
    });
  }
}

/** Partial inverse of MaxPool2d, as torch.nn.MaxUnpool2d (as MaxUnpool1d). */
export class MaxUnpool2d extends MaxUnpoolNd {
  /** Creates the layer from `(kernelSize, stride?, padding?)`, positional or as options. */
  constructor(...args: MaxUnpoolArgs<IntOrPair>) {
    super(2, args);
  }
  override forward(
    x: Tensor,
    indices: Tensor,
    outputSize: readonly number[] | null = null,
  ): Tensor {
    return maxUnpool2d(x, indices, this.kernelSize as [number, number], {
      stride: this.stride as [number, number],
      padding: this.padding as [number, number],
      outputSize,
    });
  }
}

/** Partial inverse of MaxPool3d, as torch.nn.MaxUnpool3d (as MaxUnpool1d). */
export class MaxUnpool3d extends MaxUnpoolNd {
  /** Creates the layer from `(kernelSize, stride?, padding?)`, positional or as options. */
  constructor(...args: MaxUnpoolArgs<IntOrTriple>) {
    super(3, args);
  }
  override forward(
    x: Tensor,
    indices: Tensor,
    outputSize: readonly number[] | null = null,
  ): Tensor {
    return maxUnpool3d(x, indices, this.kernelSize as [number, number, number], {
      stride: this.stride as [number, number, number],
      padding: this.padding as [number, number, number],
      outputSize,
    });
  }
}

abstract class LPPoolNd extends Module {
  /** The power p of (Σ x^p)^(1/p). */
  readonly normType: number;
  /** Window size as given. */
  readonly kernelSize: Size;
  /** Window step as given, or null (the kernel size). */
  readonly stride: Size | null;
  /** Whether output sizes round up instead of down (default false). */
  readonly ceilMode: boolean;
  constructor(n: number, args: unknown[]) {
    super();
    const a = parseArgs(
      signature(`nn.LPPool${n}d`, {
        normType: num,
        kernelSize: ints(n),
        stride: opt(nullable(ints(n)), null),
        ceilMode: opt(bool, false),
      }),
      args,
    );
    this.normType = a.normType;
    this.kernelSize = a.kernelSize;
    this.stride = a.stride;
    this.ceilMode = a.ceilMode;
  }
  override extraRepr(): string {
    const p = Number.isInteger(this.normType) ? String(this.normType) : pyFloat(this.normType);
    const s = this.stride === null ? "None" : pyTuple(this.stride);
    return `norm_type=${p}, kernel_size=${pyTuple(this.kernelSize)}, stride=${s}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** The arguments of LPPool{n}d: `(normType, kernelSize, stride?, ceilMode?)` or options. */
export type LPPoolArgs<P> = WithOptions<
  [normType: number, kernelSize: P, stride: P | null, ceilMode: boolean],
  { normType?: number; kernelSize?: P; stride?: P | null; ceilMode?: boolean }
>;

/**
 * Power-average pooling over `[N, C, L]`, as torch.nn.LPPool1d(norm_type, kernel_size,
 * stride=None, ceil_mode=False): (Σ_window x^p)^(1/p).
 */
export class LPPool1d extends LPPoolNd {
  /** Creates the layer from `(normType, kernelSize, stride?, ceilMode?)` or options. */
  constructor(...args: LPPoolArgs<Int1>) {
    super(1, args);
  }
  override forward(x: Tensor): Tensor {
    return lpPool1d(x, this.normType, this.kernelSize as Int1, {
      stride: this.stride as Int1 | null,
      ceilMode: this.ceilMode,
    });
  }
}

/** Power-average pooling over `[N, C, H, W]`, as torch.nn.LPPool2d (as LPPool1d). */
export class LPPool2d extends LPPoolNd {
  /** Creates the layer from `(normType, kernelSize, stride?, ceilMode?)` or options. */
  constructor(...args: LPPoolArgs<IntOrPair>) {
    super(2, args);
  }
  override forward(x: Tensor): Tensor {
    return lpPool2d(x, this.normType, this.kernelSize as IntOrPair, {
      stride: this.stride as IntOrPair | null,
      ceilMode: this.ceilMode,
    });
  }
}

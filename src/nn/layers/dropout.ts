// Dropout and Dropout2d: random zeroing scaled by 1/(1 − p) in training, identity in eval.

import type { Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { dropout, dropout2d } from "../functional/layers.ts";
import { Module } from "../module.ts";
import { pyBool, pyFloat } from "../repr.ts";

export interface DropoutOptions {
  p?: number;
  inplace?: boolean;
  /** The random source (the default generator otherwise, seeded by `manualSeed`). */
  generator?: Generator;
}

abstract class DropoutBase extends Module {
  readonly p: number;
  readonly inplace: boolean;
  readonly generator: Generator | undefined;
  constructor(p: number | DropoutOptions = 0.5, options: DropoutOptions = {}) {
    super();
    const o = typeof p === "number" ? { ...options, p } : p;
    this.p = o.p ?? 0.5;
    this.inplace = o.inplace ?? false;
    this.generator = o.generator;
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
  /** With `inplace`, writes the result into `x` and returns `x`, as PyTorch does. */
  protected finish(x: Tensor, y: Tensor): Tensor {
    return this.inplace && y !== x ? x.copy_(y) : y;
  }
}

/**
 * Zeroes each element with probability p (0.5) and scales survivors by 1/(1 − p) in training;
 * identity in eval, as torch.nn.Dropout.
 *
 * @example const drop = new nn.Dropout(0.2, { generator: new Generator().manualSeed(1) });
 */
export class Dropout extends DropoutBase {
  override forward(x: Tensor): Tensor {
    return this.finish(
      x,
      dropout(x, { p: this.p, training: this.training, generator: this.generator }),
    );
  }
}

/** Zeroes whole channels of `[N, C, H, W]`, as torch.nn.Dropout2d. */
export class Dropout2d extends DropoutBase {
  override forward(x: Tensor): Tensor {
    return this.finish(
      x,
      dropout2d(x, { p: this.p, training: this.training, generator: this.generator }),
    );
  }
}

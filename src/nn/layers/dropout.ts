// Dropout and Dropout2d: random zeroing scaled by 1/(1 − p) in training, identity in eval.
// Constructor arguments in PyTorch's order, positional or in one options object (API.md rule 2).

import {
  bool,
  instanceOf,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { dropout, dropout2d } from "../functional/layers.ts";
import { Module } from "../module.ts";
import { pyBool, pyFloat } from "../repr.ts";

/** Options of Dropout and Dropout2d; defaults p 0.5, inplace false. */
export interface DropoutOptions {
  p?: number;
  inplace?: boolean;
  /** The random source (the default generator otherwise, seeded by `manualSeed`). */
  generator?: Generator;
}

function dropoutSignature(op: string) {
  return signature(
    op,
    { p: opt(num, 0.5), inplace: opt(bool, false) },
    { generator: opt(instanceOf(Generator, "a Generator")) },
  );
}
const DROPOUT = dropoutSignature("nn.Dropout");
const DROPOUT2D = dropoutSignature("nn.Dropout2d");

abstract class DropoutBase extends Module {
  /** Probability of zeroing an element (default 0.5). */
  readonly p: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** The random source of the mask, or undefined for the default generator. */
  readonly generator: Generator | undefined;
  constructor(a: { p: number; inplace: boolean; generator: Generator | undefined }) {
    super();
    if (!(a.p >= 0 && a.p <= 1)) {
      throw new ValueError(
        `${this.constructor.name}: dropout probability has to be between 0 and 1, but got ${a.p}`,
      );
    }
    this.p = a.p;
    this.inplace = a.inplace;
    this.generator = a.generator;
  }
  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/** The arguments of Dropout and Dropout2d: `p` and `inplace`, positional or as options. */
export type DropoutArgs = WithOptions<[p: number, inplace: boolean], DropoutOptions>;

/**
 * Zeroes each element with probability p and scales survivors by 1/(1 − p) in training;
 * identity in eval, as torch.nn.Dropout(p=0.5, inplace=False). Kiln's keyword-only
 * `generator` seeds the mask.
 *
 * @example const drop = new nn.Dropout(0.2, { generator: new Generator().manualSeed(1) });
 */
export class Dropout extends DropoutBase {
  /**
   * Creates the layer from `(p?, inplace?)`, positional or as options, plus the keyword-only
   * `generator`.
   */
  constructor(...args: DropoutArgs) {
    super(parseArgs(DROPOUT, args));
  }
  override forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.inplace, { generator: this.generator });
  }
}

/** Zeroes whole channels of `[N, C, H, W]`, as torch.nn.Dropout2d (arguments as Dropout's). */
export class Dropout2d extends DropoutBase {
  /**
   * Creates the layer from `(p?, inplace?)`, positional or as options, plus the keyword-only
   * `generator`.
   */
  constructor(...args: DropoutArgs) {
    super(parseArgs(DROPOUT2D, args));
  }
  override forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training, this.inplace, { generator: this.generator });
  }
}

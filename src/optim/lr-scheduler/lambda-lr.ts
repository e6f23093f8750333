// LambdaLR: lr = base · f(epoch) for a user function per group, as torch.optim.lr_scheduler.LambdaLR.

import { arrayOf, either, func, parseArgs, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const LAMBDA = schedulerSignature("LambdaLR", { lrLambda: either(func, arrayOf(func)) });

/** A multiplier of the initial lr as a function of the epoch. */
export type LrLambda = (epoch: number) => number;

/** Options of LambdaLR after the optimizer. */
export interface LambdaLROptions extends SchedulerOptions {
  /** One function for every group, or one per group. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/**
 * Sets each group's lr to its initial lr times `lrLambda(epoch)`. Functions are not saved in the
 * state dict (`lr_lambdas` holds nulls, as PyTorch does for plain functions). Arguments as torch's
 * LambdaLR(optimizer, lr_lambda, last_epoch=-1, verbose=False), positional or as options.
 *
 * @example const sched = new optim.lrScheduler.LambdaLR(opt, { lrLambda: (e) => 0.95 ** e });
 */
export class LambdaLR extends LRScheduler {
  /** One lr function per parameter group. */
  readonly lrLambdas: LrLambda[];
  protected readonly stateKeys = {};

  /**
   * Creates the scheduler from `(optimizer, lrLambda, lastEpoch?, verbose?)`, positional or as
   * options; one function serves every group, an array gives one per group.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [lrLambda: LrLambda | readonly LrLambda[], lastEpoch: number, verbose: false],
      LambdaLROptions
    >
  ) {
    const o = parseArgs(LAMBDA, [optimizer, ...rest]);
    super("LambdaLR", optimizer, o.lastEpoch);
    const f = o.lrLambda as LrLambda | readonly LrLambda[];
    const n = optimizer.paramGroups.length;
    if (Array.isArray(f)) {
      if (f.length !== n)
        throw new ValueError(`LambdaLR: expected ${n} lrLambdas, but got ${f.length}`);
      this.lrLambdas = [...f];
    } else if (typeof f === "function") {
      this.lrLambdas = new Array<LrLambda>(n).fill(f as LrLambda);
    } else {
      throw new ValueError(
        `LambdaLR: lrLambda must be a function or an array of functions, got ${typeof f}`,
      );
    }
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }

  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

// MultiplicativeLR: each epoch multiplies the lr by a user function of the epoch, as
// torch.optim.lr_scheduler.MultiplicativeLR of PyTorch 1.13. Depends on the scheduler base only.

import { arrayOf, either, func, parseArgs, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import type { LrLambda } from "./lambda-lr.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const MULTIPLICATIVE = schedulerSignature("MultiplicativeLR", {
  lrLambda: either(func, arrayOf(func)),
});

/** Options of MultiplicativeLR after the optimizer. */
export interface MultiplicativeLROptions extends SchedulerOptions {
  /** One function for every group, or one per group: the factor applied at each epoch. */
  lrLambda: LrLambda | readonly LrLambda[];
}

/**
 * From epoch 1 on, multiplies each group's lr by `lrLambda(epoch)`. Functions are not saved in the
 * state dict (`lr_lambdas` holds nulls, as PyTorch does for plain functions). Arguments as torch's
 * MultiplicativeLR(optimizer, lr_lambda, last_epoch=-1, verbose=False).
 *
 * @example const sched = new optim.lrScheduler.MultiplicativeLR(opt, { lrLambda: () => 0.95 });
 */
export class MultiplicativeLR extends LRScheduler {
  /** One factor function per parameter group. */
  readonly lrLambdas: LrLambda[];
  protected readonly stateKeys = {};

  /** Creates the scheduler from `(optimizer, lrLambda, lastEpoch?, verbose?)`. */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [lrLambda: LrLambda | readonly LrLambda[], lastEpoch: number, verbose: false],
      MultiplicativeLROptions
    >
  ) {
    const o = parseArgs(MULTIPLICATIVE, [optimizer, ...rest]);
    super("MultiplicativeLR", optimizer, o.lastEpoch);
    const f = o.lrLambda as LrLambda | readonly LrLambda[];
    const n = optimizer.paramGroups.length;
    if (Array.isArray(f)) {
      if (f.length !== n) {
        throw new ValueError(`MultiplicativeLR: Expected ${n} lr_lambdas, but got ${f.length}`);
      }
      this.lrLambdas = [...f];
    } else {
      this.lrLambdas = new Array<LrLambda>(n).fill(f as LrLambda);
    }
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch <= 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g, i) => g.lr * this.lrLambdas[i]!(this.lastEpoch));
  }

  override stateDict(): Record<string, unknown> {
    return { ...super.stateDict(), lr_lambdas: this.lrLambdas.map(() => null) };
  }
}

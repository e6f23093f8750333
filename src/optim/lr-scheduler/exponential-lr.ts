// ExponentialLR: multiply the lr by gamma every epoch, as torch.optim.lr_scheduler.ExponentialLR.

import { num, parseArgs, type WithOptions } from "../../core/args.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const EXPONENTIAL = schedulerSignature("ExponentialLR", { gamma: num });

/** Options of ExponentialLR after the optimizer. */
export interface ExponentialLROptions extends SchedulerOptions {
  gamma: number;
}

/**
 * Decays each group's lr by `gamma` every epoch: lr = base · γ^epoch. Arguments as torch's
 * ExponentialLR(optimizer, gamma, last_epoch=-1, verbose=False), positional or as options.
 *
 * @example const sched = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.9 });
 */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative decay of the lr per epoch. */
  gamma: number;
  protected readonly stateKeys = { gamma: "gamma" };

  /**
   * Creates the scheduler from `(optimizer, gamma, lastEpoch?, verbose?)`, positional or as
   * options.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<[gamma: number, lastEpoch: number, verbose: false], ExponentialLROptions>
  ) {
    const o = parseArgs(EXPONENTIAL, [optimizer, ...rest]);
    super("ExponentialLR", optimizer, o.lastEpoch);
    this.gamma = o.gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}

// ExponentialLR: multiply the lr by gamma every epoch, as torch.optim.lr_scheduler.ExponentialLR.

import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions } from "./lr-scheduler.ts";

export interface ExponentialLROptions extends SchedulerOptions {
  gamma: number;
}

/**
 * Decays each group's lr by `gamma` every epoch: lr = base · γ^epoch.
 *
 * @example const sched = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.9 });
 */
export class ExponentialLR extends LRScheduler {
  gamma: number;
  protected readonly stateKeys = { gamma: "gamma" };

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super("ExponentialLR", optimizer, options?.lastEpoch);
    this.gamma = options.gamma;
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

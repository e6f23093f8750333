// LinearLR: scale the lr linearly from startFactor to endFactor over totalIters epochs, as
// torch.optim.lr_scheduler.LinearLR (recursive form, plus the closed form for `step(epoch)`).

import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions } from "./lr-scheduler.ts";

export interface LinearLROptions extends SchedulerOptions {
  /** Default 1/3. */
  startFactor?: number;
  /** Default 1. */
  endFactor?: number;
  /** Default 5. */
  totalIters?: number;
}

/**
 * lr = base · (startFactor + (endFactor - startFactor) · min(epoch, totalIters) / totalIters).
 *
 * @example const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 */
export class LinearLR extends LRScheduler {
  startFactor: number;
  endFactor: number;
  totalIters: number;
  protected readonly stateKeys = {
    start_factor: "startFactor",
    end_factor: "endFactor",
    total_iters: "totalIters",
  };

  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    super("LinearLR", optimizer, options.lastEpoch);
    const start = options.startFactor ?? 1 / 3;
    const end = options.endFactor ?? 1;
    if (!(start >= 0 && start <= 1)) {
      throw new ValueError(`LinearLR: startFactor must be between 0 and 1, got ${start}`);
    }
    if (!(end >= 0 && end <= 1)) {
      throw new ValueError(`LinearLR: endFactor must be between 0 and 1, got ${end}`);
    }
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    if (e === 0) return this.groups.map((g) => g.lr * s);
    if (e > n) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { lastEpoch: e, startFactor: s, endFactor: f, totalIters: n } = this;
    return this.baseLrs.map((b) => b * (s + ((f - s) * Math.min(n, e)) / n));
  }
}

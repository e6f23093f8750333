// LinearLR: scale the lr linearly from startFactor to endFactor over totalIters epochs, as
// torch.optim.lr_scheduler.LinearLR (recursive form, plus the closed form for `step(epoch)`).

import { num, opt, parseArgs, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const LINEAR = schedulerSignature("LinearLR", {
  startFactor: opt(num, 1 / 3),
  endFactor: opt(num, 1),
  totalIters: opt(num, 5),
});

/** Options of LinearLR after the optimizer. */
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
 * Arguments as torch's LinearLR(optimizer, start_factor=1/3, end_factor=1.0, total_iters=5,
 * last_epoch=-1, verbose=False), positional or as options.
 *
 * @example const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 */
export class LinearLR extends LRScheduler {
  /** The lr multiplier at epoch 0, in [0, 1] (default 1/3). */
  startFactor: number;
  /** The lr multiplier from `totalIters` on, in [0, 1] (default 1). */
  endFactor: number;
  /** Epochs over which the multiplier moves linearly (default 5). */
  totalIters: number;
  protected readonly stateKeys = {
    start_factor: "startFactor",
    end_factor: "endFactor",
    total_iters: "totalIters",
  };

  /**
   * Creates the scheduler from `(optimizer, startFactor?, endFactor?, totalIters?, lastEpoch?,
   * verbose?)`, positional or as options.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [
        startFactor: number,
        endFactor: number,
        totalIters: number,
        lastEpoch: number,
        verbose: false,
      ],
      LinearLROptions
    >
  ) {
    const o = parseArgs(LINEAR, [optimizer, ...rest]);
    super("LinearLR", optimizer, o.lastEpoch);
    const start = o.startFactor;
    const end = o.endFactor;
    if (!(start >= 0 && start <= 1)) {
      throw new ValueError(`LinearLR: startFactor must be between 0 and 1, got ${start}`);
    }
    if (!(end >= 0 && end <= 1)) {
      throw new ValueError(`LinearLR: endFactor must be between 0 and 1, got ${end}`);
    }
    this.startFactor = start;
    this.endFactor = end;
    this.totalIters = o.totalIters;
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

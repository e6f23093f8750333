// SequentialLR: hand the optimizer from one scheduler to the next at given milestones, as
// torch.optim.lr_scheduler.SequentialLR (e.g. a LinearLR warmup followed by a decay).

import {
  arrayOf,
  int,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import {
  checkOptimizer,
  type LRScheduler,
  type Scheduler,
  type SchedulerGroup,
} from "./lr-scheduler.ts";

/** Options of SequentialLR after the optimizer. */
export interface SequentialLROptions {
  /** The schedulers, all built on the same optimizer. */
  schedulers: readonly LRScheduler[];
  /** Epochs at which the next scheduler takes over; one fewer than the schedulers. */
  milestones: readonly number[];
  lastEpoch?: number;
  /** Only false (PyTorch's default): Kiln's schedulers do not print. */
  verbose?: false;
}

const SEQUENTIAL = signature("SequentialLR", {
  optimizer: unchecked,
  schedulers: arrayOf(unchecked),
  milestones: arrayOf(int),
  lastEpoch: opt(int, -1),
  verbose: opt(oneOf(false), false),
});

/**
 * Runs `schedulers[i]` from `milestones[i-1]` on; at a milestone the new scheduler restarts from
 * epoch 0 (via its closed form), as PyTorch does. Arguments as torch's SequentialLR(optimizer,
 * schedulers, milestones, last_epoch=-1, verbose=False), positional or as options.
 *
 * @example
 * const warmup = new optim.lrScheduler.LinearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const decay = new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.9 });
 * const sched = new optim.lrScheduler.SequentialLR(opt, { schedulers: [warmup, decay], milestones: [5] });
 */
export class SequentialLR implements Scheduler {
  /** The optimizer all the schedulers drive. */
  readonly optimizer: Optimizer;
  /** The schedulers, in the order they take over. */
  readonly schedulers: LRScheduler[];
  /** Epochs at which the next scheduler takes over. */
  milestones: number[];
  /** The current epoch, counted by `step()`; 0 right after construction with the default lastEpoch -1. */
  lastEpoch: number;
  #lastLr: number[];

  /**
   * Creates the scheduler from `(optimizer, schedulers, milestones, lastEpoch?, verbose?)`,
   * positional or as options; all schedulers must drive `optimizer`.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [
        schedulers: readonly LRScheduler[],
        milestones: readonly number[],
        lastEpoch: number,
        verbose: false,
      ],
      SequentialLROptions
    >
  ) {
    const options = parseArgs(SEQUENTIAL, [optimizer, ...rest]);
    this.optimizer = checkOptimizer("SequentialLR", optimizer);
    const schedulers = options.schedulers as readonly LRScheduler[];
    const milestones = options.milestones;
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new ValueError(
          "SequentialLR: expects all schedulers to belong to the same optimizer, but got the " +
            `scheduler at index ${i} to be different than the optimizer passed in`,
        );
      }
    });
    if (schedulers.length === 0 || milestones.length !== schedulers.length - 1) {
      throw new ValueError(
        "SequentialLR: expects number of schedulers provided to be one more than the number of " +
          `milestone points, but got number of schedulers ${schedulers.length} and the number of ` +
          `milestones to be equal to ${milestones.length}`,
      );
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = options.lastEpoch + 1;
    for (const g of optimizer.paramGroups as SchedulerGroup[]) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.#lastLr = this.schedulers[0]!.getLastLr();
  }

  /**
   * Advances one epoch, stepping the scheduler in charge (restarting it from epoch 0 at its
   * milestone).
   */
  step(): void {
    this.lastEpoch += 1;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const scheduler = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) scheduler.step(0);
    else scheduler.step();
    this.#lastLr = scheduler.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The state under PyTorch's names, with each scheduler's state dict in `_schedulers`. */
  stateDict(): Record<string, unknown> {
    return {
      _milestones: [...this.milestones],
      last_epoch: this.lastEpoch,
      _last_lr: [...this.#lastLr],
      _schedulers: this.schedulers.map((s) => s.stateDict()),
    };
  }

  /** Restores the state `stateDict()` returned, including each scheduler's. */
  loadStateDict(sd: Record<string, unknown>): void {
    if (Array.isArray(sd._milestones)) this.milestones = [...(sd._milestones as number[])];
    if (typeof sd.last_epoch === "number") this.lastEpoch = sd.last_epoch;
    if (Array.isArray(sd._last_lr)) this.#lastLr = [...(sd._last_lr as number[])];
    const subs = sd._schedulers;
    if (Array.isArray(subs)) {
      if (subs.length !== this.schedulers.length) {
        throw new ValueError(
          `SequentialLR.loadStateDict: the state dict has ${subs.length} schedulers, but this SequentialLR has ${this.schedulers.length}`,
        );
      }
      subs.forEach((s, i) => {
        this.schedulers[i]!.loadStateDict(s as Record<string, unknown>);
      });
    }
  }
}

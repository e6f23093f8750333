// StepLR and MultiStepLR: multiply the lr by gamma every stepSize epochs, or at given milestones,
// as torch.optim.lr_scheduler.StepLR / MultiStepLR.

import { arrayOf, int, num, opt, parseArgs, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const STEP_LR = schedulerSignature("StepLR", { stepSize: num, gamma: opt(num, 0.1) });
const MULTI_STEP_LR = schedulerSignature("MultiStepLR", {
  milestones: arrayOf(int),
  gamma: opt(num, 0.1),
});

/** Options of StepLR after the optimizer. */
export interface StepLROptions extends SchedulerOptions {
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
}

/**
 * Decays each group's lr by `gamma` every `stepSize` epochs: lr = base · γ^⌊epoch / stepSize⌋.
 * Arguments as torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1, last_epoch=-1,
 * verbose=False), positional or as options.
 *
 * @example const sched = new optim.lrScheduler.StepLR(opt, 30, 0.1);  // = (opt, { stepSize: 30, gamma: 0.1 })
 */
export class StepLR extends LRScheduler {
  /** Period of the decay, in epochs (a positive integer). */
  stepSize: number;
  /** Multiplicative decay every `stepSize` epochs (default 0.1). */
  gamma: number;
  protected readonly stateKeys = { step_size: "stepSize", gamma: "gamma" };

  /**
   * Creates the scheduler from `(optimizer, stepSize, gamma?, lastEpoch?, verbose?)`, positional or
   * as options.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [stepSize: number, gamma: number, lastEpoch: number, verbose: false],
      StepLROptions
    >
  ) {
    const o = parseArgs(STEP_LR, [optimizer, ...rest]);
    super("StepLR", optimizer, o.lastEpoch);
    if (!Number.isInteger(o.stepSize) || o.stepSize <= 0) {
      throw new ValueError(`StepLR: stepSize must be a positive integer, got ${o.stepSize}`);
    }
    this.stepSize = o.stepSize;
    this.gamma = o.gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0)
      return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** Options of MultiStepLR after the optimizer. */
export interface MultiStepLROptions extends SchedulerOptions {
  /** Epochs at which the lr is multiplied by gamma; a repeated milestone multiplies again. */
  milestones: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/**
 * Multiplies each group's lr by `gamma` when the epoch reaches a milestone:
 * lr = base · γ^(number of milestones <= epoch). Arguments as torch's MultiStepLR(optimizer,
 * milestones, gamma=0.1, last_epoch=-1, verbose=False), positional or as options.
 *
 * @example const sched = new optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80] });
 */
export class MultiStepLR extends LRScheduler {
  /** Milestone → how many times it was given (PyTorch keeps a Counter). */
  milestones: Record<string, number> = {};
  /** Multiplicative decay at each milestone (default 0.1). */
  gamma: number;
  protected readonly stateKeys = { milestones: "milestones", gamma: "gamma" };

  /**
   * Creates the scheduler from `(optimizer, milestones, gamma?, lastEpoch?, verbose?)`, positional
   * or as options.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [milestones: readonly number[], gamma: number, lastEpoch: number, verbose: false],
      MultiStepLROptions
    >
  ) {
    const o = parseArgs(MULTI_STEP_LR, [optimizer, ...rest]);
    super("MultiStepLR", optimizer, o.lastEpoch);
    for (const m of o.milestones) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    this.gamma = o.gamma;
    this.initialStep();
  }

  protected getLr(): number[] {
    const count = this.milestones[this.lastEpoch];
    if (count === undefined) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    let passed = 0;
    for (const [m, c] of Object.entries(this.milestones))
      if (Number(m) <= this.lastEpoch) passed += c;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}

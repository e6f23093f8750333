// StepLR and MultiStepLR: multiply the lr by gamma every stepSize epochs, or at given milestones,
// as torch.optim.lr_scheduler.StepLR / MultiStepLR.

import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions } from "./lr-scheduler.ts";

export interface StepLROptions extends SchedulerOptions {
  stepSize: number;
  /** Default 0.1. */
  gamma?: number;
}

/**
 * Decays each group's lr by `gamma` every `stepSize` epochs: lr = base · γ^⌊epoch / stepSize⌋.
 *
 * @example const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 30, gamma: 0.1 });
 */
export class StepLR extends LRScheduler {
  stepSize: number;
  gamma: number;
  protected readonly stateKeys = { step_size: "stepSize", gamma: "gamma" };

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super("StepLR", optimizer, options?.lastEpoch);
    if (!Number.isInteger(options?.stepSize) || options.stepSize <= 0) {
      throw new ValueError(`StepLR: stepSize must be a positive integer, got ${options?.stepSize}`);
    }
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
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

export interface MultiStepLROptions extends SchedulerOptions {
  /** Epochs at which the lr is multiplied by gamma; a repeated milestone multiplies again. */
  milestones: readonly number[];
  /** Default 0.1. */
  gamma?: number;
}

/**
 * Multiplies each group's lr by `gamma` when the epoch reaches a milestone:
 * lr = base · γ^(number of milestones <= epoch).
 *
 * @example const sched = new optim.lrScheduler.MultiStepLR(opt, { milestones: [30, 80] });
 */
export class MultiStepLR extends LRScheduler {
  /** Milestone → how many times it was given (PyTorch keeps a Counter). */
  milestones: Record<string, number> = {};
  gamma: number;
  protected readonly stateKeys = { milestones: "milestones", gamma: "gamma" };

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super("MultiStepLR", optimizer, options?.lastEpoch);
    if (!Array.isArray(options?.milestones)) {
      throw new ValueError("MultiStepLR: milestones must be an array of epochs");
    }
    for (const m of options.milestones) this.milestones[m] = (this.milestones[m] ?? 0) + 1;
    this.gamma = options.gamma ?? 0.1;
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

// ConstantLR and PolynomialLR: lr scaled by a constant until totalIters, or decayed polynomially
// to zero over totalIters, as torch.optim.lr_scheduler of PyTorch 1.13. Depends on the base only.

import { int, num, opt, parseArgs, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const CONSTANT = schedulerSignature("ConstantLR", {
  factor: opt(num, 1 / 3),
  totalIters: opt(int, 5),
});
const POLYNOMIAL = schedulerSignature("PolynomialLR", {
  totalIters: opt(int, 5),
  power: opt(num, 1),
});

/** Options of ConstantLR after the optimizer; defaults factor 1/3, totalIters 5. */
export interface ConstantLROptions extends SchedulerOptions {
  factor?: number;
  totalIters?: number;
}

/**
 * Multiplies each group's lr by `factor` until epoch `totalIters`, then restores it. Arguments as
 * torch's ConstantLR(optimizer, factor=1/3, total_iters=5, last_epoch=-1, verbose=False).
 *
 * @example const sched = new optim.lrScheduler.ConstantLR(opt, { factor: 0.5, totalIters: 4 });
 */
export class ConstantLR extends LRScheduler {
  /** The factor applied until `totalIters`. */
  factor: number;
  /** The epoch at which the factor is lifted. */
  totalIters: number;
  protected readonly stateKeys = { factor: "factor", total_iters: "totalIters" };

  /** Creates the scheduler from `(optimizer, factor?, totalIters?, lastEpoch?, verbose?)`. */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [factor: number, totalIters: number, lastEpoch: number, verbose: false],
      ConstantLROptions
    >
  ) {
    const o = parseArgs(CONSTANT, [optimizer, ...rest]);
    if (o.factor > 1 || o.factor < 0) {
      throw new ValueError(
        `ConstantLR: Constant multiplicative factor expected to be between 0 and 1, got ${o.factor}`,
      );
    }
    super("ConstantLR", optimizer, o.lastEpoch);
    this.factor = o.factor;
    this.totalIters = o.totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    const lrs = this.groups.map((g) => g.lr);
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrs;
    return lrs.map((lr) => lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    const on = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + on * (1 - this.factor)));
  }
}

/** Options of PolynomialLR after the optimizer; defaults totalIters 5, power 1. */
export interface PolynomialLROptions extends SchedulerOptions {
  totalIters?: number;
  power?: number;
}

/**
 * Decays each group's lr as base · (1 - min(epoch, totalIters)/totalIters)^power. Arguments as
 * torch's PolynomialLR(optimizer, total_iters=5, power=1.0, last_epoch=-1, verbose=False).
 *
 * @example const sched = new optim.lrScheduler.PolynomialLR(opt, { totalIters: 10, power: 2 });
 */
export class PolynomialLR extends LRScheduler {
  /** Epochs until the lr reaches zero. */
  totalIters: number;
  /** The polynomial's power. */
  power: number;
  protected readonly stateKeys = { total_iters: "totalIters", power: "power" };

  /** Creates the scheduler from `(optimizer, totalIters?, power?, lastEpoch?, verbose?)`. */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [totalIters: number, power: number, lastEpoch: number, verbose: false],
      PolynomialLROptions
    >
  ) {
    const o = parseArgs(POLYNOMIAL, [optimizer, ...rest]);
    super("PolynomialLR", optimizer, o.lastEpoch);
    this.totalIters = o.totalIters;
    this.power = o.power;
    this.initialStep();
  }

  protected getLr(): number[] {
    const e = this.lastEpoch;
    if (e === 0 || e > this.totalIters) return this.groups.map((g) => g.lr);
    const decay = ((1 - e / this.totalIters) / (1 - (e - 1) / this.totalIters)) ** this.power;
    return this.groups.map((g) => g.lr * decay);
  }

  protected override closedFormLr(): number[] {
    const e = Math.min(this.totalIters, this.lastEpoch);
    return this.baseLrs.map((b) => b * (1 - e / this.totalIters) ** this.power);
  }
}

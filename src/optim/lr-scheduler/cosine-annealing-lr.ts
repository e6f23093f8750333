// CosineAnnealingLR, as torch.optim.lr_scheduler.CosineAnnealingLR, in PyTorch's recursive form
// (so that it chains with other schedulers) with its closed form for `step(epoch)`.

import { num, opt, parseArgs, type WithOptions } from "../../core/args.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const COSINE = schedulerSignature("CosineAnnealingLR", { tMax: num, etaMin: opt(num, 0) });

/** Options of CosineAnnealingLR after the optimizer. */
export interface CosineAnnealingLROptions extends SchedulerOptions {
  /** Half-period of the cosine, in epochs. */
  tMax: number;
  /** Minimum lr; default 0. */
  etaMin?: number;
}

/**
 * Anneals each lr along a cosine: lr = η_min + (base - η_min)(1 + cos(π·epoch/tMax))/2, computed
 * recursively from the current lr as PyTorch does (past tMax the cosine rises again). Arguments as
 * torch's CosineAnnealingLR(optimizer, T_max, eta_min=0, last_epoch=-1, verbose=False),
 * positional or as options (`tMax`, `etaMin`).
 *
 * @example const sched = new optim.lrScheduler.CosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * @example const same = new optim.lrScheduler.CosineAnnealingLR(opt, 100, 1e-5);
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Half-period of the cosine, in epochs (PyTorch's `T_max`). */
  tMax: number;
  /** The lr at the bottom of the cosine (default 0). */
  etaMin: number;
  protected readonly stateKeys = { T_max: "tMax", eta_min: "etaMin" };

  /**
   * Creates the scheduler from `(optimizer, tMax, etaMin?, lastEpoch?, verbose?)`, positional or as
   * options, and sets the epoch-0 lr.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [tMax: number, etaMin: number, lastEpoch: number, verbose: false],
      CosineAnnealingLROptions
    >
  ) {
    const o = parseArgs(COSINE, [optimizer, ...rest]);
    super("CosineAnnealingLR", optimizer, o.lastEpoch);
    this.tMax = o.tMax;
    this.etaMin = o.etaMin;
    this.initialStep();
  }

  protected getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    if (e === 0) return this.groups.map((g) => g.lr);
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map(
        (b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2,
      );
    }
    if ((e - 1 - T) % (2 * T) === 0) {
      return this.groups.map(
        (g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2,
      );
    }
    return this.groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) *
          (g.lr - etaMin) +
        etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        this.etaMin +
        ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2,
    );
  }
}

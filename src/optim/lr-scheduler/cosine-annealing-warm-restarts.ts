// CosineAnnealingWarmRestarts (SGDR): cosine annealing that restarts every T_i epochs, T_i growing
// by tMult, with fractional epochs accepted by step(epoch), as
// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts of PyTorch 1.13. Depends on the base only.

import { int, num, opt, parseArgs, type WithOptions } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { LRScheduler, type SchedulerOptions, schedulerSignature } from "./lr-scheduler.ts";

const SGDR = schedulerSignature("CosineAnnealingWarmRestarts", {
  t0: int,
  tMult: opt(int, 1),
  etaMin: opt(num, 0),
});

/** Options of CosineAnnealingWarmRestarts after the optimizer (PyTorch's T_0, T_mult, eta_min). */
export interface CosineAnnealingWarmRestartsOptions extends SchedulerOptions {
  /** Epochs until the first restart. */
  t0: number;
  /** Factor by which the period grows after each restart (default 1). */
  tMult?: number;
  /** Minimum lr (default 0). */
  etaMin?: number;
}

/**
 * lr = ηmin + (base - ηmin)(1 + cos(π·Tcur/Ti))/2, with Tcur reset to 0 every Ti epochs and Ti
 * multiplied by tMult at each restart. `step(epoch)` accepts fractional epochs (e.g. epoch + i/n
 * inside an epoch). Arguments as torch's CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1,
 * eta_min=0, last_epoch=-1, verbose=False). NOTE: as in PyTorch 1.13, its `step` does not count
 * `_step_count` (it stays 0).
 *
 * @example const sched = new optim.lrScheduler.CosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 });
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Epochs of the first period (PyTorch's T_0). */
  t0: number;
  /** Epochs of the current period (T_i). */
  tI: number;
  /** Period growth factor (T_mult). */
  tMult: number;
  /** Minimum lr (eta_min). */
  etaMin: number;
  /** Epochs since the last restart, possibly fractional (T_cur). */
  tCur: number;
  protected readonly stateKeys = {
    T_0: "t0",
    T_i: "tI",
    T_mult: "tMult",
    eta_min: "etaMin",
    T_cur: "tCur",
  };

  /** Creates the scheduler from `(optimizer, t0, tMult?, etaMin?, lastEpoch?, verbose?)`. */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [t0: number, tMult: number, etaMin: number, lastEpoch: number, verbose: false],
      CosineAnnealingWarmRestartsOptions
    >
  ) {
    const o = parseArgs(SGDR, [optimizer, ...rest]);
    if (o.t0 <= 0) {
      throw new ValueError(
        `CosineAnnealingWarmRestarts: Expected positive integer T_0, but got ${o.t0}`,
      );
    }
    if (o.tMult < 1) {
      throw new ValueError(
        `CosineAnnealingWarmRestarts: Expected integer T_mult >= 1, but got ${o.tMult}`,
      );
    }
    super("CosineAnnealingWarmRestarts", optimizer, o.lastEpoch);
    this.t0 = o.t0;
    this.tI = o.t0;
    this.tMult = o.tMult;
    this.etaMin = o.etaMin;
    this.tCur = o.lastEpoch;
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2,
    );
  }

  /**
   * Advances one epoch, or jumps to `epoch` (which may be fractional), restarting the cosine as
   * PyTorch's CosineAnnealingWarmRestarts.step does.
   */
  override step(epoch?: number): void {
    let e = epoch;
    if (e === undefined && this.lastEpoch < 0) e = 0;
    if (e === undefined) {
      e = this.lastEpoch + 1;
      this.tCur += 1;
      if (this.tCur >= this.tI) {
        this.tCur -= this.tI;
        this.tI *= this.tMult;
      }
    } else {
      if (e < 0) {
        throw new ValueError(
          `CosineAnnealingWarmRestarts: Expected non-negative epoch, but got ${e}`,
        );
      }
      if (e >= this.t0) {
        if (this.tMult === 1) {
          this.tCur = e % this.t0;
        } else {
          const n = Math.trunc(
            Math.log((e / this.t0) * (this.tMult - 1) + 1) / Math.log(this.tMult),
          );
          this.tCur = e - (this.t0 * (this.tMult ** n - 1)) / (this.tMult - 1);
          this.tI = this.t0 * this.tMult ** n;
        }
      } else {
        this.tI = this.t0;
        this.tCur = e;
      }
    }
    this.lastEpoch = Math.floor(e);
    const lrs = this.getLr();
    this.groups.forEach((g, i) => {
      g.lr = lrs[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

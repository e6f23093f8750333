// ReduceLROnPlateau: cut the lr by `factor` when a metric stops improving for `patience` epochs,
// as torch.optim.lr_scheduler.ReduceLROnPlateau. Stepped with the metric, not by epoch alone.

import {
  arrayOf,
  either,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  str,
  unchecked,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { Optimizer } from "../optimizer.ts";
import { checkOptimizer, perGroup, type Scheduler } from "./lr-scheduler.ts";

/** Options of ReduceLROnPlateau after the optimizer. */
export interface ReduceLROnPlateauOptions {
  /** "min": the metric should decrease (a loss); "max": increase (an accuracy). Default "min". */
  mode?: "min" | "max";
  /** new lr = lr · factor; default 0.1, must be < 1. */
  factor?: number;
  /** Epochs without improvement tolerated before cutting the lr; default 10. */
  patience?: number;
  /** Default 1e-4. */
  threshold?: number;
  /** "rel": improvement relative to the best; "abs": absolute. Default "rel". */
  thresholdMode?: "rel" | "abs";
  /** Epochs to wait after a cut before counting bad epochs again; default 0. */
  cooldown?: number;
  /** Lower bound on the lr, for every group or one per group; default 0. */
  minLr?: number | readonly number[];
  /** Changes smaller than eps are skipped; default 1e-8. */
  eps?: number;
  /** Only false (PyTorch's default): Kiln's schedulers do not print. */
  verbose?: false;
}

const PLATEAU = signature("ReduceLROnPlateau", {
  optimizer: unchecked,
  mode: opt(str, "min"),
  factor: opt(num, 0.1),
  patience: opt(num, 10),
  threshold: opt(num, 1e-4),
  thresholdMode: opt(str, "rel"),
  cooldown: opt(num, 0),
  minLr: opt(either(num, arrayOf(num)), 0),
  eps: opt(num, 1e-8),
  verbose: opt(oneOf(false), false),
});

/**
 * Reduces each group's lr when `step(metric)` sees no improvement for more than `patience`
 * epochs: lr ← max(lr · factor, minLr). Arguments in the order of torch's
 * ReduceLROnPlateau(optimizer, mode, factor, patience, threshold, threshold_mode, cooldown,
 * min_lr, eps, verbose), positional or as options.
 *
 * @example const sched = new optim.lrScheduler.ReduceLROnPlateau(opt, { patience: 2 }); sched.step(valLoss);
 */
export class ReduceLROnPlateau implements Scheduler {
  /** The optimizer whose param groups' lr this scheduler cuts. */
  readonly optimizer: Optimizer;
  /** Multiplier of the lr at each cut (default 0.1). */
  factor: number;
  /** Lower bound of the lr, one per param group (default 0). */
  minLrs: number[];
  /** Epochs without improvement tolerated before a cut (default 10). */
  patience: number;
  /** Epochs to wait after a cut before counting bad epochs again (default 0). */
  cooldown: number;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  /** "min" when the metric should decrease (the default), "max" when it should increase. */
  mode: "min" | "max";
  /** Smallest change that counts as an improvement (default 1e-4). */
  threshold: number;
  /** "rel" (the default): threshold relative to the best; "abs": absolute. */
  thresholdMode: "rel" | "abs";
  /** The best metric seen so far. */
  best: number;
  /** Consecutive epochs without improvement. */
  numBadEpochs = 0;
  /** The worst possible metric for the mode (∞ for "min", −∞ for "max"), what `best` starts at. */
  modeWorse: number;
  /** Lr changes smaller than this are skipped (default 1e-8). */
  eps: number;
  /** Number of `step(metric)` calls so far. */
  lastEpoch = 0;
  #lastLr: number[];

  /**
   * Creates the scheduler from `(optimizer, mode?, factor?, patience?, threshold?, thresholdMode?,
   * cooldown?, minLr?, eps?, verbose?)`, positional or as options.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [
        mode: "min" | "max",
        factor: number,
        patience: number,
        threshold: number,
        thresholdMode: "rel" | "abs",
        cooldown: number,
        minLr: number | readonly number[],
        eps: number,
        verbose: false,
      ],
      ReduceLROnPlateauOptions
    >
  ) {
    const options = parseArgs(PLATEAU, [optimizer, ...rest]);
    const factor = options.factor;
    if (!(factor < 1))
      throw new ValueError(`ReduceLROnPlateau: factor should be < 1.0, got ${factor}`);
    this.factor = factor;
    this.optimizer = checkOptimizer("ReduceLROnPlateau", optimizer);
    this.minLrs = perGroup("ReduceLROnPlateau", "minLr", optimizer, options.minLr);
    this.patience = options.patience;
    this.cooldown = options.cooldown;
    this.mode = options.mode as "min" | "max";
    this.threshold = options.threshold;
    this.thresholdMode = options.thresholdMode as "rel" | "abs";
    this.eps = options.eps;
    this.modeWorse = this.#initIsBetter();
    this.best = this.modeWorse;
    this.#lastLr = optimizer.paramGroups.map((g) => g.lr);
  }

  #initIsBetter(): number {
    if (this.mode !== "min" && this.mode !== "max") {
      throw new ValueError(
        `ReduceLROnPlateau: mode ${String(this.mode)} is unknown; expected "min" or "max"`,
      );
    }
    if (this.thresholdMode !== "rel" && this.thresholdMode !== "abs") {
      throw new ValueError(
        `ReduceLROnPlateau: threshold mode ${String(this.thresholdMode)} is unknown; expected "rel" or "abs"`,
      );
    }
    return this.mode === "min" ? Infinity : -Infinity;
  }

  /** Whether `a` improves on `best` by more than the threshold. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === "min" && this.thresholdMode === "rel") return a < best * (1 - this.threshold);
    if (this.mode === "min") return a < best - this.threshold;
    if (this.thresholdMode === "rel") return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }

  /** Whether a cut happened within the last `cooldown` epochs. */
  get inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Records the epoch's metric (a number or a one-element tensor) and cuts the lr on a plateau. */
  step(metric: number | Tensor): void {
    const current = metric instanceof Tensor ? Number(metric.item()) : Number(metric);
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.inCooldown) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.#reduceLr();
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  #reduceLr(): void {
    this.optimizer.paramGroups.forEach((g, i) => {
      const oldLr = g.lr;
      const newLr = Math.max(oldLr * this.factor, this.minLrs[i]!);
      if (oldLr - newLr > this.eps) g.lr = newLr;
    });
  }

  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The scheduler's state under PyTorch's names (`best`, `num_bad_epochs`, `min_lrs`, ...). */
  stateDict(): Record<string, unknown> {
    return {
      factor: this.factor,
      min_lrs: [...this.minLrs],
      patience: this.patience,
      cooldown: this.cooldown,
      cooldown_counter: this.cooldownCounter,
      mode: this.mode,
      threshold: this.threshold,
      threshold_mode: this.thresholdMode,
      best: this.best,
      num_bad_epochs: this.numBadEpochs,
      mode_worse: this.modeWorse,
      eps: this.eps,
      last_epoch: this.lastEpoch,
      _last_lr: [...this.#lastLr],
    };
  }

  /** Restores the state `stateDict()` returned (or a PyTorch ReduceLROnPlateau's state dict). */
  loadStateDict(sd: Record<string, unknown>): void {
    const num = (k: string, fallback: number) => (k in sd ? Number(sd[k]) : fallback);
    this.factor = num("factor", this.factor);
    if (Array.isArray(sd.min_lrs)) this.minLrs = [...(sd.min_lrs as number[])];
    this.patience = num("patience", this.patience);
    this.cooldown = num("cooldown", this.cooldown);
    this.cooldownCounter = num("cooldown_counter", this.cooldownCounter);
    if (sd.mode !== undefined) this.mode = sd.mode as "min" | "max";
    this.threshold = num("threshold", this.threshold);
    if (sd.threshold_mode !== undefined) this.thresholdMode = sd.threshold_mode as "rel" | "abs";
    this.best = num("best", this.best);
    this.numBadEpochs = num("num_bad_epochs", this.numBadEpochs);
    this.eps = num("eps", this.eps);
    this.lastEpoch = num("last_epoch", this.lastEpoch);
    if (Array.isArray(sd._last_lr)) this.#lastLr = [...(sd._last_lr as number[])];
    this.modeWorse = this.#initIsBetter();
  }
}

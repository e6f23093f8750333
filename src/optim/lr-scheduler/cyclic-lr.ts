// CyclicLR: the lr cycles between baseLr and maxLr (triangular, triangular2, exp_range or a
// custom scale function), momentum cycling inversely, as torch.optim.lr_scheduler.CyclicLR of
// PyTorch 1.13 (plus Adam's beta1 as the momentum, as PyTorch 2.x). Depends on the base only.

import {
  arrayOf,
  bool,
  either,
  func,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import {
  LRScheduler,
  perGroup,
  type SchedulerGroup,
  type SchedulerOptions,
  schedulerSignature,
} from "./lr-scheduler.ts";

const numOrList = either(num, arrayOf(num));
const CYCLIC = schedulerSignature("CyclicLR", {
  baseLr: numOrList,
  maxLr: numOrList,
  stepSizeUp: opt(num, 2000),
  stepSizeDown: opt(nullable(num), null),
  mode: opt(oneOf("triangular", "triangular2", "exp_range"), "triangular"),
  gamma: opt(num, 1),
  scaleFn: opt(nullable(func), null),
  scaleMode: opt(oneOf("cycle", "iterations"), "cycle"),
  cycleMomentum: opt(bool, true),
  baseMomentum: opt(numOrList, 0.8),
  maxMomentum: opt(numOrList, 0.9),
});

/** Options of CyclicLR after the optimizer (PyTorch's defaults in brackets). */
export interface CyclicLROptions extends SchedulerOptions {
  /** Lower lr boundary, per group or for all; sets each group's lr. */
  baseLr: number | readonly number[];
  /** Upper lr boundary. */
  maxLr: number | readonly number[];
  /** Iterations in the increasing half of a cycle [2000]. */
  stepSizeUp?: number;
  /** Iterations in the decreasing half [stepSizeUp]. */
  stepSizeDown?: number | null;
  /** ["triangular"]; ignored when scaleFn is given. */
  mode?: "triangular" | "triangular2" | "exp_range";
  /** exp_range's base: scale = gamma^iterations [1]. */
  gamma?: number;
  /** Custom amplitude scale of the cycle number or iteration; overrides mode. */
  scaleFn?: ((x: number) => number) | null;
  /** What scaleFn receives: "cycle" or "iterations" ["cycle"]. */
  scaleMode?: "cycle" | "iterations";
  /** Cycle momentum (Adam's beta1) inversely to the lr [true]. */
  cycleMomentum?: boolean;
  baseMomentum?: number | readonly number[];
  maxMomentum?: number | readonly number[];
}

/**
 * Cyclical learning rates (Smith 2017), stepped once per batch. With cycleMomentum the momentum
 * goes from maxMomentum down to baseMomentum while the lr rises. Arguments as torch's
 * CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode='triangular',
 * gamma=1., scale_fn=None, scale_mode='cycle', cycle_momentum=True, base_momentum=0.8,
 * max_momentum=0.9, last_epoch=-1, verbose=False). NOTE: PyTorch 1.13 refuses cycleMomentum for
 * optimizers without `momentum`; Kiln cycles Adam's beta1 instead, as PyTorch 2.x does.
 *
 * @example const sched = new optim.lrScheduler.CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 4 });
 */
export class CyclicLR extends LRScheduler {
  /** Each group's upper lr. */
  maxLrs: number[];
  /** Iterations in a whole cycle. */
  totalSize: number;
  /** Fraction of a cycle spent increasing. */
  stepRatio: number;
  /** The amplitude policy when no scaleFn is given. */
  mode: "triangular" | "triangular2" | "exp_range";
  /** exp_range's decay base. */
  gamma: number;
  /** Whether the scale is a function of the cycle number or of the iteration. */
  scaleMode: "cycle" | "iterations";
  /** Whether momentum (or beta1) cycles inversely to the lr. */
  cycleMomentum: boolean;
  /** True when the optimizer has `betas` (Adam), so beta1 cycles instead of momentum. */
  useBeta1: boolean;
  /** Each group's lower momentum boundary (reached at the lr's peak). */
  baseMomentums: number[] = [];
  /** Each group's upper momentum boundary. */
  maxMomentums: number[] = [];
  readonly #scaleFn: ((x: number) => number) | null;
  protected readonly stateKeys = {
    max_lrs: "maxLrs",
    total_size: "totalSize",
    step_ratio: "stepRatio",
    mode: "mode",
    gamma: "gamma",
    scale_mode: "scaleMode",
    cycle_momentum: "cycleMomentum",
    use_beta1: "useBeta1",
    base_momentums: "baseMomentums",
    max_momentums: "maxMomentums",
  };

  /**
   * Creates the scheduler from `(optimizer, baseLr, maxLr, stepSizeUp?, ...)` in PyTorch's order,
   * positional or as options.
   */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [
        baseLr: number | readonly number[],
        maxLr: number | readonly number[],
        stepSizeUp: number,
        stepSizeDown: number | null,
        mode: "triangular" | "triangular2" | "exp_range",
        gamma: number,
        scaleFn: ((x: number) => number) | null,
        scaleMode: "cycle" | "iterations",
        cycleMomentum: boolean,
        baseMomentum: number | readonly number[],
        maxMomentum: number | readonly number[],
        lastEpoch: number,
        verbose: false,
      ],
      CyclicLROptions
    >
  ) {
    const o = parseArgs(CYCLIC, [optimizer, ...rest]);
    const baseLrs = perGroup("CyclicLR", "baseLr", optimizer, o.baseLr as number);
    const groups = optimizer.paramGroups as SchedulerGroup[];
    if (o.lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.lr = baseLrs[i]!;
      });
    }
    const maxLrs = perGroup("CyclicLR", "maxLr", optimizer, o.maxLr as number);
    const up = o.stepSizeUp;
    const down = o.stepSizeDown ?? up;
    let useBeta1 = false;
    let baseMomentums: number[] = [];
    let maxMomentums: number[] = [];
    if (o.cycleMomentum) {
      if (!("momentum" in optimizer.defaults) && !("betas" in optimizer.defaults)) {
        throw new ValueError(
          `CyclicLR: optimizer ${optimizer.name} must support momentum (momentum or betas) with ` +
            "`cycle_momentum` option enabled; pass cycleMomentum: false",
        );
      }
      useBeta1 = "betas" in optimizer.defaults;
      const bm = perGroup("CyclicLR", "baseMomentum", optimizer, o.baseMomentum as number);
      if (o.lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [bm[i]!, ...(g.betas as number[]).slice(1)];
          else g.momentum = bm[i]!;
        });
      }
      baseMomentums = groups.map((g) =>
        useBeta1 ? (g.betas as number[])[0]! : (g.momentum as number),
      );
      maxMomentums = perGroup("CyclicLR", "maxMomentum", optimizer, o.maxMomentum as number);
    }
    super("CyclicLR", optimizer, o.lastEpoch);
    this.maxLrs = maxLrs;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = o.mode;
    this.gamma = o.gamma;
    this.#scaleFn = o.scaleFn as ((x: number) => number) | null;
    this.scaleMode =
      this.#scaleFn !== null ? o.scaleMode : o.mode === "exp_range" ? "iterations" : "cycle";
    this.cycleMomentum = o.cycleMomentum;
    this.useBeta1 = useBeta1;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this.initialStep();
    this.baseLrs = baseLrs;
  }

  /** The amplitude scale at cycle or iteration `x`: the custom scaleFn, or the mode's. */
  scaleFn(x: number): number {
    if (this.#scaleFn !== null) return this.#scaleFn(x);
    if (this.mode === "triangular") return 1;
    if (this.mode === "triangular2") return 1 / 2 ** (x - 1);
    return this.gamma ** x;
  }

  protected getLr(): number[] {
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scaleFactor = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scaleFn(this.scaleMode === "cycle" ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i]! - b) * scaleFactor * scale);
    if (this.cycleMomentum) {
      this.groups.forEach((g, i) => {
        const maxM = this.maxMomentums[i]!;
        const m = maxM - (maxM - this.baseMomentums[i]!) * scaleFactor * scale;
        if (this.useBeta1) g.betas = [m, ...(g.betas as number[]).slice(1)];
        else g.momentum = m;
      });
    }
    return lrs;
  }
}

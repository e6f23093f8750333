// OneCycleLR: the 1cycle policy (warm up to maxLr, anneal far below the start), cycling momentum
// inversely, as torch.optim.lr_scheduler.OneCycleLR. Stepped once per batch.

import {
  arrayOf,
  bool,
  either,
  nullable,
  num,
  opt,
  parseArgs,
  str,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import { toCamelCase } from "../optimizer.ts";
import {
  LRScheduler,
  perGroup,
  type SchedulerGroup,
  type SchedulerOptions,
  schedulerSignature,
} from "./lr-scheduler.ts";

const perGroupNum = either(num, arrayOf(num));
const ONE_CYCLE = schedulerSignature("OneCycleLR", {
  maxLr: perGroupNum,
  totalSteps: opt(nullable(num)),
  epochs: opt(nullable(num)),
  stepsPerEpoch: opt(nullable(num)),
  pctStart: opt(num, 0.3),
  annealStrategy: opt(str, "cos"),
  cycleMomentum: opt(bool, true),
  baseMomentum: opt(perGroupNum, 0.85),
  maxMomentum: opt(perGroupNum, 0.95),
  divFactor: opt(num, 25),
  finalDivFactor: opt(num, 1e4),
  threePhase: opt(bool, false),
});

/** OneCycleLR's positional parameters after the optimizer, in PyTorch's order. */
export type OneCycleLRPositional = [
  maxLr: number | readonly number[],
  totalSteps: number | null,
  epochs: number | null,
  stepsPerEpoch: number | null,
  pctStart: number,
  annealStrategy: "cos" | "linear",
  cycleMomentum: boolean,
  baseMomentum: number | readonly number[],
  maxMomentum: number | readonly number[],
  divFactor: number,
  finalDivFactor: number,
  threePhase: boolean,
  lastEpoch: number,
  verbose: false,
];

/**
 * Options of OneCycleLR after the optimizer; `maxLr` and either `totalSteps` or `epochs` with
 * `stepsPerEpoch` are required.
 */
export interface OneCycleLROptions extends SchedulerOptions {
  /** Peak lr, for every group or one per group. */
  maxLr: number | readonly number[];
  /** Total number of steps; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number | null;
  epochs?: number | null;
  stepsPerEpoch?: number | null;
  /** Fraction of the cycle spent increasing the lr; default 0.3. */
  pctStart?: number;
  /** Default "cos". */
  annealStrategy?: "cos" | "linear";
  /** Cycle momentum (or Adam's beta1) between maxMomentum and baseMomentum; default true. */
  cycleMomentum?: boolean;
  /** Default 0.85. */
  baseMomentum?: number | readonly number[];
  /** Default 0.95. */
  maxMomentum?: number | readonly number[];
  /** initial lr = maxLr / divFactor; default 25. */
  divFactor?: number;
  /** min lr = initial lr / finalDivFactor; default 1e4. */
  finalDivFactor?: number;
  /** Use a third phase that anneals back to the initial lr first; default false. */
  threePhase?: boolean;
}

/** One phase of the cycle; lr and momentum keys name param-group fields in PyTorch's spelling. */
export interface OneCyclePhase {
  end_step: number;
  start_lr: string;
  end_lr: string;
  start_momentum: string;
  end_momentum: string;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new ValueError(`OneCycleLR: expected positive integer ${name}, but got ${String(value)}`);
  }
  return value;
}

/**
 * The 1cycle learning-rate policy: lr rises from maxLr/divFactor to maxLr over pctStart of the
 * steps, then falls to maxLr/(divFactor·finalDivFactor), by cosine or linear annealing.
 * Arguments in the order of torch's OneCycleLR(optimizer, max_lr, total_steps, epochs,
 * steps_per_epoch, pct_start, anneal_strategy, cycle_momentum, base_momentum, max_momentum,
 * div_factor, final_div_factor, three_phase, last_epoch, verbose), positional or as options.
 *
 * @example const sched = new optim.lrScheduler.OneCycleLR(opt, { maxLr: 0.01, totalSteps: 1000 });
 */
export class OneCycleLR extends LRScheduler {
  /** Total number of steps in the cycle (given, or epochs · stepsPerEpoch). */
  totalSteps: number;
  /** The phases of the cycle, as PyTorch's `_schedule_phases`. */
  schedulePhases: OneCyclePhase[];
  /** How the lr moves within a phase: "cos" (the default) or "linear". */
  annealStrategy: "cos" | "linear";
  /** Whether momentum (or Adam's beta1) cycles inversely to the lr (default true). */
  cycleMomentum: boolean;
  /** True when the optimizer has `betas` (Adam, AdamW), so beta1 cycles instead of momentum. */
  useBeta1 = false;
  protected readonly stateKeys = {
    total_steps: "totalSteps",
    _schedule_phases: "schedulePhases",
    anneal_strategy: "annealStrategy",
    cycle_momentum: "cycleMomentum",
    use_beta1: "useBeta1",
  };

  /**
   * Creates the scheduler from `(optimizer, maxLr, totalSteps?, epochs?, stepsPerEpoch?, ...)` in
   * PyTorch's order, positional or as options, and sets the first step's lr.
   */
  constructor(optimizer: Optimizer, ...rest: WithOptions<OneCycleLRPositional, OneCycleLROptions>) {
    const a = parseArgs(ONE_CYCLE, [optimizer, ...rest]);
    const options: OneCycleLROptions = {
      ...a,
      totalSteps: a.totalSteps ?? undefined,
      epochs: a.epochs ?? undefined,
      stepsPerEpoch: a.stepsPerEpoch ?? undefined,
      annealStrategy: a.annealStrategy as "cos" | "linear",
    };
    // Group fields must exist before the base constructor reads initialLr, so set them first.
    const o = OneCycleLR.prepare(optimizer, options);
    super("OneCycleLR", optimizer, options.lastEpoch);
    this.totalSteps = o.totalSteps;
    this.schedulePhases = o.phases;
    this.annealStrategy = o.annealStrategy;
    this.cycleMomentum = options.cycleMomentum ?? true;
    this.useBeta1 = o.useBeta1;
    this.initialStep();
  }

  private static prepare(optimizer: Optimizer, options: OneCycleLROptions) {
    if (
      typeof optimizer !== "object" ||
      optimizer === null ||
      !Array.isArray(optimizer.paramGroups)
    ) {
      throw new ValueError(`OneCycleLR: expected an optim.Optimizer, but got ${String(optimizer)}`);
    }
    const o = options ?? ({} as OneCycleLROptions);
    let totalSteps: number;
    if (o.totalSteps == null && o.epochs == null && o.stepsPerEpoch == null) {
      throw new ValueError(
        "OneCycleLR: you must define either totalSteps OR (epochs AND stepsPerEpoch)",
      );
    } else if (o.totalSteps != null) {
      totalSteps = positiveInt("totalSteps", o.totalSteps);
    } else {
      totalSteps = positiveInt("epochs", o.epochs) * positiveInt("stepsPerEpoch", o.stepsPerEpoch);
    }
    const pct = o.pctStart ?? 0.3;
    const phases: OneCyclePhase[] = o.threePhase
      ? [
          phase(pct * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
          phase(2 * pct * totalSteps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
          phase(totalSteps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
        ]
      : [
          phase(pct * totalSteps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
          phase(totalSteps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
        ];
    if (typeof pct !== "number" || !(pct >= 0 && pct <= 1)) {
      throw new ValueError(`OneCycleLR: expected pctStart between 0 and 1, but got ${String(pct)}`);
    }
    const annealStrategy = o.annealStrategy ?? "cos";
    if (annealStrategy !== "cos" && annealStrategy !== "linear") {
      throw new ValueError(
        `OneCycleLR: annealStrategy must be one of "cos" or "linear", instead got ${String(annealStrategy)}`,
      );
    }
    const groups = optimizer.paramGroups as SchedulerGroup[];
    const lastEpoch = o.lastEpoch ?? -1;
    const maxLrs = perGroup("OneCycleLR", "maxLr", optimizer, o.maxLr);
    const divFactor = o.divFactor ?? 25;
    const finalDivFactor = o.finalDivFactor ?? 1e4;
    if (lastEpoch === -1) {
      groups.forEach((g, i) => {
        g.initialLr = maxLrs[i]! / divFactor;
        g.maxLr = maxLrs[i]!;
        g.minLr = g.initialLr / finalDivFactor;
      });
    }
    let useBeta1 = false;
    if (o.cycleMomentum ?? true) {
      if (!("momentum" in optimizer.defaults) && !("betas" in optimizer.defaults)) {
        throw new ValueError(
          `OneCycleLR: optimizer ${optimizer.name} must support momentum (momentum or betas) with the ` +
            "cycleMomentum option enabled; pass cycleMomentum: false",
        );
      }
      useBeta1 = "betas" in optimizer.defaults;
      const maxM = perGroup("OneCycleLR", "maxMomentum", optimizer, o.maxMomentum ?? 0.95);
      const baseM = perGroup("OneCycleLR", "baseMomentum", optimizer, o.baseMomentum ?? 0.85);
      if (lastEpoch === -1) {
        groups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxM[i]!, ...(g.betas as number[]).slice(1)];
          else g.momentum = maxM[i]!;
          g.maxMomentum = maxM[i]!;
          g.baseMomentum = baseM[i]!;
        });
      }
    }
    return { totalSteps, phases, annealStrategy, useBeta1 };
  }

  #anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === "cos")
      return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
    return (end - start) * pct + start;
  }

  protected getLr(): number[] {
    const stepNum = this.lastEpoch;
    if (stepNum > this.totalSteps) {
      throw new ValueError(
        `OneCycleLR: tried to step ${stepNum + 1} times. The specified number of total steps is ${this.totalSteps}`,
      );
    }
    const field = (g: SchedulerGroup, key: string) => g[toCamelCase(key)] as number;
    return this.groups.map((g) => {
      let startStep = 0;
      let lr = 0;
      let momentum = 0;
      for (let i = 0; i < this.schedulePhases.length; i++) {
        const p = this.schedulePhases[i]!;
        if (stepNum <= p.end_step || i === this.schedulePhases.length - 1) {
          const pct = (stepNum - startStep) / (p.end_step - startStep);
          lr = this.#anneal(field(g, p.start_lr), field(g, p.end_lr), pct);
          if (this.cycleMomentum) {
            momentum = this.#anneal(field(g, p.start_momentum), field(g, p.end_momentum), pct);
          }
          break;
        }
        startStep = p.end_step;
      }
      if (this.cycleMomentum) {
        if (this.useBeta1) g.betas = [momentum, ...(g.betas as number[]).slice(1)];
        else g.momentum = momentum;
      }
      return lr;
    });
  }
}

function phase(
  endStep: number,
  startLr: string,
  endLr: string,
  startM: string,
  endM: string,
): OneCyclePhase {
  return {
    end_step: endStep,
    start_lr: startLr,
    end_lr: endLr,
    start_momentum: startM,
    end_momentum: endM,
  };
}

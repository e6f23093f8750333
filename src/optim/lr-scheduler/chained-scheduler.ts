// ChainedScheduler: steps several schedulers of one optimizer together each epoch, their
// chainable forms composing, as torch.optim.lr_scheduler.ChainedScheduler of PyTorch 1.13.
// Depends on the scheduler base only.

import { arrayOf, parseArgs, signature, unchecked } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Optimizer } from "../optimizer.ts";
import type { Scheduler } from "./lr-scheduler.ts";

const CHAINED = signature("ChainedScheduler", { schedulers: arrayOf(unchecked) });

/** A scheduler ChainedScheduler can step: any with a plain `step()`. */
export type ChainableScheduler = Scheduler & { step(): void };

/**
 * Calls `step()` of every scheduler in order each epoch, as torch's ChainedScheduler(schedulers);
 * all must drive the same optimizer. Its state dict is `{ _last_lr, _schedulers: [...] }`.
 *
 * @example
 * const sched = new optim.lrScheduler.ChainedScheduler([
 *   new optim.lrScheduler.ConstantLR(opt, { factor: 0.1, totalIters: 2 }),
 *   new optim.lrScheduler.ExponentialLR(opt, { gamma: 0.9 }),
 * ]);
 */
export class ChainedScheduler implements Scheduler {
  /** The optimizer all the schedulers drive. */
  readonly optimizer: Optimizer;
  /** The schedulers, stepped in this order. */
  readonly schedulers: ChainableScheduler[];
  #lastLr: number[];

  /** Creates the chain from `(schedulers)`, positional or as `{ schedulers }`. */
  constructor(
    schedulers: readonly ChainableScheduler[] | { schedulers: readonly ChainableScheduler[] },
  ) {
    const o = parseArgs(CHAINED, [schedulers]);
    const list = o.schedulers as readonly ChainableScheduler[];
    if (list.length === 0) throw new ValueError("ChainedScheduler: expects at least one scheduler");
    list.forEach((s, i) => {
      if (s.optimizer !== list[0]!.optimizer) {
        throw new ValueError(
          "ChainedScheduler: expects all schedulers to belong to the same optimizer, but got " +
            `schedulers at index 0 and ${i} to be different`,
        );
      }
    });
    this.schedulers = [...list];
    this.optimizer = list[0]!.optimizer;
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Steps every scheduler once, in order. */
  step(): void {
    for (const s of this.schedulers) s.step();
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** `{ _last_lr, _schedulers }`, each scheduler's own state dict, as PyTorch's. */
  stateDict(): Record<string, unknown> {
    return { _last_lr: [...this.#lastLr], _schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Restores what `stateDict()` returned (or PyTorch's ChainedScheduler state dict). */
  loadStateDict(stateDict: Record<string, unknown>): void {
    const subs = stateDict._schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new ValueError(
        `ChainedScheduler.loadStateDict: expected _schedulers with ${this.schedulers.length} state dicts`,
      );
    }
    if (Array.isArray(stateDict._last_lr)) this.#lastLr = [...(stateDict._last_lr as number[])];
    subs.forEach((s, i) => {
      this.schedulers[i]!.loadStateDict(s as Record<string, unknown>);
    });
  }
}

// The base of epoch-driven learning-rate schedulers, as torch.optim.lr_scheduler._LRScheduler:
// base lrs from each group's `initialLr`, `step()` with the recursive (chainable) `getLr()` or,
// given an epoch, the closed form, and PyTorch-named state dicts. Depends on the Optimizer only.

import { type Arg, int, oneOf, opt, signature, unchecked } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { Optimizer, type ParamGroup } from "../optimizer.ts";

/** What every scheduler offers (SequentialLR and ReduceLROnPlateau included). */
export interface Scheduler {
  readonly optimizer: Optimizer;
  /** The learning rate of each param group set by the last `step()`. */
  getLastLr(): number[];
  stateDict(): Record<string, unknown>;
  loadStateDict(stateDict: Record<string, unknown>): void;
}

/** Options every epoch scheduler takes. */
export interface SchedulerOptions {
  /** Index of the last epoch when resuming; -1 (the default) starts fresh. */
  lastEpoch?: number;
  /** Only false (PyTorch's default): Kiln's schedulers do not print. */
  verbose?: false;
}

/**
 * The signature of an epoch scheduler `op`: optimizer, then `positional` in PyTorch's order, then
 * PyTorch's trailing `last_epoch=-1, verbose=False` (verbose only false: Kiln does not print).
 */
export function schedulerSignature<P extends Record<string, Arg<unknown>>>(
  op: string,
  positional: P,
) {
  return signature(op, {
    optimizer: unchecked,
    ...positional,
    lastEpoch: opt(int, -1),
    verbose: opt(oneOf(false), false),
  });
}

/** A param group as schedulers see it: `lr` plus whatever the scheduler keeps there. */
export type SchedulerGroup = ParamGroup & { initialLr?: number };

export function checkOptimizer(name: string, optimizer: unknown): Optimizer {
  if (!(optimizer instanceof Optimizer)) {
    throw new ValueError(`${name}: expected an optim.Optimizer, but got ${describe(optimizer)}`);
  }
  return optimizer;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

/** A list with one value per param group: `value` repeated, or checked to have the right length. */
export function perGroup<T>(
  name: string,
  option: string,
  optimizer: Optimizer,
  value: T | readonly T[],
): T[] {
  const n = optimizer.paramGroups.length;
  if (!Array.isArray(value)) return new Array<T>(n).fill(value as T);
  if (value.length !== n) {
    throw new ValueError(
      `${name}: expected ${n} values for ${option} (one per param group), got ${value.length}`,
    );
  }
  return [...value];
}

/**
 * Base class of the epoch schedulers. A subclass sets its fields, then calls `initialStep()` at
 * the end of its constructor (PyTorch calls `super().__init__` last for the same reason).
 */
export abstract class LRScheduler implements Scheduler {
  /** The scheduler's class name, used in error messages. */
  readonly name: string;
  /** The optimizer whose param groups' lr this scheduler sets. */
  readonly optimizer: Optimizer;
  /** Each group's initial lr (`initial_lr`), what the schedules scale (PyTorch's `base_lrs`). */
  baseLrs: number[];
  /**
   * The epoch of the current lr; -1 before the constructor's first step (PyTorch's `last_epoch`).
   */
  lastEpoch: number;
  /** Number of `step()` calls, counting the one the constructor makes (PyTorch's `_step_count`). */
  stepCount = 0;
  protected lastLr: number[] = [];
  /** PyTorch state-dict key → field of this scheduler, for the subclass's own settings. */
  protected abstract readonly stateKeys: Readonly<Record<string, string>>;

  /**
   * Records each group's `initial_lr` (or, when resuming with `lastEpoch` other than -1, requires
   * it); subclasses then call `initialStep()`.
   */
  constructor(name: string, optimizer: Optimizer, lastEpoch = -1) {
    this.name = name;
    this.optimizer = checkOptimizer(name, optimizer);
    const groups = this.groups;
    if (lastEpoch === -1) {
      for (const g of groups) if (g.initialLr === undefined) g.initialLr = g.lr;
    } else {
      groups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new ValueError(
            `${name}: param 'initial_lr' is not specified in param_groups[${i}] when resuming an ` +
              `optimizer (lastEpoch=${lastEpoch}); load the optimizer's state dict first`,
          );
        }
      });
    }
    this.baseLrs = groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  protected get groups(): SchedulerGroup[] {
    return this.optimizer.paramGroups as SchedulerGroup[];
  }

  /** The chainable form: next lrs from the groups' current lrs (PyTorch's `get_lr`). */
  protected abstract getLr(): number[];

  /** The closed form of the lr at `lastEpoch`, where one exists (used by `step(epoch)`). */
  protected closedFormLr(): number[] | null {
    return null;
  }

  /** @internal Resets the step count and takes the first step, as PyTorch's `_initial_step`. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /**
   * Advances one epoch and writes the new lr into each param group. Passing `epoch` jumps there
   * using the closed form, as PyTorch's deprecated `step(epoch)`.
   */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.groups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
  }

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** The scheduler's state under PyTorch's names (`base_lrs`, `last_epoch`, `_step_count`, ...). */
  stateDict(): Record<string, unknown> {
    const self = this as unknown as Record<string, unknown>;
    const sd: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(this.stateKeys))
      sd[key] = structuredClone(self[field]);
    sd.base_lrs = [...this.baseLrs];
    sd.last_epoch = this.lastEpoch;
    sd._step_count = this.stepCount;
    sd._last_lr = [...this.lastLr];
    return sd;
  }

  /**
   * Restores the state `stateDict()` returned (or a PyTorch scheduler's state dict with the same
   * keys).
   */
  loadStateDict(stateDict: Record<string, unknown>): void {
    const self = this as unknown as Record<string, unknown>;
    for (const [key, field] of Object.entries(this.stateKeys)) {
      if (key in stateDict) self[field] = structuredClone(stateDict[key]);
    }
    if ("base_lrs" in stateDict) this.baseLrs = [...(stateDict.base_lrs as number[])];
    if ("last_epoch" in stateDict) this.lastEpoch = stateDict.last_epoch as number;
    if ("_step_count" in stateDict) this.stepCount = stateDict._step_count as number;
    if ("_last_lr" in stateDict) this.lastLr = [...(stateDict._last_lr as number[])];
  }
}

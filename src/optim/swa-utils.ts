// Stochastic weight averaging, as torch.optim.swa_utils of PyTorch 1.13: AveragedModel (a deep
// copy of a model whose parameters are running averages), SWALR (anneals each group's lr to a
// fixed SWA lr) and updateBn (recomputes BatchNorm statistics). Depends on nn and the scheduler base.

import {
  arrayOf,
  bool,
  either,
  func,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from "../nn/layers/batch-norm.ts";
import { cloneModule } from "../nn/layers/clone-module.ts";
import { type AnyModule, Module } from "../nn/module.ts";
import { tensor } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { LRScheduler } from "./lr-scheduler/lr-scheduler.ts";
import type { Optimizer } from "./optimizer.ts";

/** How AveragedModel folds a new value in: (averaged, current, number averaged so far) → new average. */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: Tensor) => Tensor;

/** Options of AveragedModel after the model; defaults as torch.optim.swa_utils.AveragedModel. */
export interface AveragedModelOptions {
  /** Only "cpu" or null: Kiln's one device. */
  device?: "cpu" | null;
  /** The averaging rule; default the equal-weight running mean a + (m - a)/(n + 1). */
  avgFn?: AvgFn | null;
  /** Also average the buffers (BatchNorm statistics) instead of keeping the copied ones. */
  useBuffers?: boolean;
}

const AVERAGED = signature("AveragedModel", {
  model: unchecked,
  device: opt(nullable(oneOf("cpu")), null),
  avgFn: opt(nullable(func), null),
  useBuffers: opt(bool, false),
});

const equalAverage: AvgFn = (a, m, n) => a.add(m.sub(a).div(n.add(1)));

/**
 * A deep copy of `model` whose parameters (and, with `useBuffers`, buffers) are averages of the
 * model's values over the `updateParameters(model)` calls. State dict: `n_averaged` (int32, as Kiln keeps num_batches_tracked; saved as torch.long) and
 * the copy's entries under `module.`, as PyTorch's. Arguments as torch's AveragedModel(model,
 * device=None, avg_fn=None, use_buffers=False), positional or as options.
 *
 * @example
 * const swaModel = new optim.swaUtils.AveragedModel(model);
 * swaModel.updateParameters(model);  // after each epoch of the SWA phase
 */
export class AveragedModel<M extends AnyModule = Module> extends Module<ReturnType<M["forward"]>> {
  /** The averaged copy of the model. */
  module: M;
  /** The averaging rule. */
  readonly avgFn: AvgFn;
  /** Whether buffers are averaged too. */
  readonly useBuffers: boolean;

  /** Copies `model`; `(model, device?, avgFn?, useBuffers?)`, positional or as options. */
  constructor(
    model: M,
    ...rest: WithOptions<
      [device: "cpu" | null, avgFn: AvgFn | null, useBuffers: boolean],
      AveragedModelOptions
    >
  ) {
    super();
    const o = parseArgs(AVERAGED, [model, ...rest]);
    if (!(model instanceof Module)) {
      throw new ValueError("AveragedModel: model must be an nn.Module");
    }
    this.module = cloneModule(model) as M;
    this.registerBuffer("n_averaged", tensor(0, { dtype: "int32" }));
    this.avgFn = (o.avgFn as AvgFn | null) ?? equalAverage;
    this.useBuffers = o.useBuffers;
  }

  /** How many times `updateParameters` has run (the `n_averaged` buffer). */
  get nAveraged(): Tensor {
    return this.namedBuffers({ recurse: false }).find(([k]) => k === "n_averaged")![1];
  }

  /** Runs the averaged copy: `module.call(...args)`. */
  override forward(...args: unknown[]): ReturnType<M["forward"]> {
    return (this.module.call as (...a: unknown[]) => ReturnType<M["forward"]>)(...args);
  }

  /**
   * Folds `model`'s current parameters (and buffers, with useBuffers) into the averages; the first
   * call copies them.
   */
  updateParameters(model: M): void {
    const mine = this.useBuffers
      ? [...this.module.parameters(), ...this.module.buffers()]
      : this.parameters();
    const theirs = this.useBuffers
      ? [...model.parameters(), ...model.buffers()]
      : model.parameters();
    const n = this.nAveraged;
    noGrad(() => {
      const first = Number(n.item()) === 0;
      mine.forEach((pSwa, i) => {
        const pModel = theirs[i];
        if (pModel === undefined) return;
        const cur = pModel.detach();
        if (first) pSwa.detach().copy_(cur);
        else pSwa.detach().copy_(this.avgFn(pSwa.detach(), cur, n));
      });
      n.add_(1);
    });
  }
}

/**
 * Recomputes the BatchNorm running statistics of `model` with one pass over `loader` (batches, or
 * arrays whose first element is the input), as torch.optim.swa_utils.update_bn: running stats
 * are reset and accumulated as a cumulative average (momentum null), then momenta and the
 * training mode are restored.
 */
export function updateBn(loader: Iterable<unknown>, model: AnyModule, device?: "cpu" | null): void {
  if (device !== undefined && device !== null && device !== "cpu") {
    throw new ValueError(`updateBn: device must be "cpu" or null, got ${String(device)}`);
  }
  type BN = BatchNorm1d & { momentum: number | null };
  const momenta = new Map<BN, number | null>();
  for (const m of model.modules()) {
    if (m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d) {
      const bn = m as BN;
      noGrad(() => {
        bn.runningMean?.zero_();
        bn.runningVar?.fill_(1);
      });
      momenta.set(bn, bn.momentum);
    }
  }
  if (momenta.size === 0) return;
  const wasTraining = model.training;
  model.train();
  for (const bn of momenta.keys()) {
    (bn as { momentum: number | null }).momentum = null;
    noGrad(() => bn.numBatchesTracked?.zero_());
  }
  noGrad(() => {
    for (const batch of loader) {
      const input = Array.isArray(batch) ? batch[0] : batch;
      (model.call as (x: unknown) => unknown)(input);
    }
  });
  for (const [bn, m] of momenta) (bn as { momentum: number | null }).momentum = m;
  model.train(wasTraining);
}

/** Options of SWALR after the optimizer; defaults annealEpochs 10, annealStrategy "cos". */
export interface SWALROptions {
  /** The SWA learning rate, for every group or one per group. */
  swaLr: number | readonly number[];
  annealEpochs?: number;
  annealStrategy?: "cos" | "linear";
  lastEpoch?: number;
}

const SWALR_SIG = signature("SWALR", {
  optimizer: unchecked,
  swaLr: either(num, arrayOf(num)),
  annealEpochs: opt(unchecked, 10),
  annealStrategy: opt(unchecked, "cos"),
  lastEpoch: opt(int, -1),
});

/**
 * Anneals each group's lr from its current value to `swaLr` over `annealEpochs` epochs (cosine
 * or linear), then holds it, as torch.optim.swa_utils.SWALR(optimizer, swa_lr, anneal_epochs=10,
 * anneal_strategy='cos', last_epoch=-1). Each group keeps its target as `swa_lr`.
 *
 * @example const swaScheduler = new optim.swaUtils.SWALR(opt, { swaLr: 0.05, annealEpochs: 5 });
 */
export class SWALR extends LRScheduler {
  /** Epochs of the annealing phase. */
  annealEpochs: number;
  /** "cos" or "linear". */
  annealStrategy: "cos" | "linear";
  protected readonly stateKeys = { anneal_epochs: "annealEpochs" };

  /** Creates the scheduler from `(optimizer, swaLr, annealEpochs?, annealStrategy?, lastEpoch?)`. */
  constructor(
    optimizer: Optimizer,
    ...rest: WithOptions<
      [
        swaLr: number | readonly number[],
        annealEpochs: number,
        annealStrategy: "cos" | "linear",
        lastEpoch: number,
      ],
      SWALROptions
    >
  ) {
    const o = parseArgs(SWALR_SIG, [optimizer, ...rest]);
    const groups = optimizer?.paramGroups ?? [];
    const swaLrs = Array.isArray(o.swaLr) ? o.swaLr : groups.map(() => o.swaLr as number);
    if (swaLrs.length !== groups.length) {
      throw new ValueError(
        `SWALR: swa_lr must have the same length as optimizer.param_groups: swa_lr has ${swaLrs.length}, optimizer.param_groups has ${groups.length}`,
      );
    }
    groups.forEach((g, i) => {
      g.swaLr = swaLrs[i]!;
    });
    if (o.annealStrategy !== "cos" && o.annealStrategy !== "linear") {
      throw new ValueError(
        `SWALR: anneal_strategy must by one of 'cos' or 'linear', instead got ${String(o.annealStrategy)}`,
      );
    }
    const epochs = o.annealEpochs;
    if (typeof epochs !== "number" || !Number.isInteger(epochs) || epochs < 0) {
      throw new ValueError(
        `SWALR: anneal_epochs must be equal or greater than 0, got ${String(epochs)}`,
      );
    }
    super("SWALR", optimizer, o.lastEpoch);
    this.annealStrategy = o.annealStrategy;
    this.annealEpochs = epochs;
    this.initialStep();
  }

  #anneal(t: number): number {
    return this.annealStrategy === "cos" ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }

  protected getLr(): number[] {
    let step = this.stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const prevT = Math.max(0, Math.min(1, (step - 1) / Math.max(1, this.annealEpochs)));
    const prevAlpha = this.#anneal(prevT);
    const t = Math.max(0, Math.min(1, step / Math.max(1, this.annealEpochs)));
    const alpha = this.#anneal(t);
    return this.groups.map((g) => {
      const swaLr = g.swaLr as number;
      const prevLr = prevAlpha === 1 ? swaLr : (g.lr - prevAlpha * swaLr) / (1 - prevAlpha);
      return swaLr * alpha + prevLr * (1 - alpha);
    });
  }
}

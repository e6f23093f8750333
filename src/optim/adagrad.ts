// Adagrad (with lr decay and an initial accumulator), as torch.optim.Adagrad. The update math is
// the plain function `adagrad()`; the class only gathers tensors and state.

import {
  bool,
  checkArity,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { fullLike } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkLr, checkNonNegative, Optimizer, type ParamState, type Params } from "./optimizer.ts";

/**
 * Options of Adagrad; defaults lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps
 * 1e-10, maximize false, as torch.optim.Adagrad.
 */
export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  /** Accepted for PyTorch parity; no effect (each backend picks its own multi-tensor path). */
  foreach?: boolean | null;
  maximize?: boolean;
}

/** The options an Adagrad param group keeps. */
export type AdagradDefaults = Omit<Required<AdagradOptions>, "foreach">;

/** The hyperparameters of one Adagrad update. */
export type AdagradUpdate = Omit<AdagradDefaults, "initialAccumulatorValue">;

/** torch.optim.Adagrad's signature. */
const ADAGRAD = signature(
  "Adagrad",
  {
    params: unchecked,
    lr: opt(num, 1e-2),
    lrDecay: opt(num, 0),
    weightDecay: opt(num, 0),
    initialAccumulatorValue: opt(num, 0),
    eps: opt(num, 1e-10),
    foreach: opt(nullable(bool), null),
  },
  { maximize: opt(bool, false) },
);

/**
 * The Adagrad update, in place (PyTorch 1.13's `_single_tensor_adagrad`), with `steps[i]` the
 * step number t already incremented: g ← ±grad + λθ; γₜ = γ / (1 + (t-1)·lrDecay);
 * s ← s + g²; θ ← θ - γₜ g / (√s + ε).
 */
export function adagrad(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  stateSums: readonly Tensor[],
  steps: readonly number[],
  o: AdagradUpdate,
): void {
  if (arguments.length > 5) checkArity("optim.adagrad", arguments, 5);
  noGrad(() => {
    params.forEach((param, i) => {
      let grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      const clr = o.lr / (1 + (steps[i]! - 1) * o.lrDecay);
      const stateSum = stateSums[i]!;
      stateSum.addcmul_(grad, grad, { value: 1 });
      const std = stateSum.sqrt().add_(o.eps);
      param.addcdiv_(grad, std, { value: -clr });
    });
  });
}

/**
 * Adagrad, as torch.optim.Adagrad; arguments in PyTorch's order (lr, lrDecay, weightDecay,
 * initialAccumulatorValue, eps, foreach), positional or as options; maximize as an option.
 * Defaults: lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue 0, eps 1e-10, maximize false.
 * State per parameter (created for every parameter at construction, as PyTorch): `step`, `sum`.
 *
 * @example const opt = new optim.Adagrad(model.parameters(), { lr: 0.1, lrDecay: 1e-4 });
 */
export class Adagrad extends Optimizer<AdagradDefaults> {
  /**
   * Creates the optimizer over `params` (tensors or param groups); the hyperparameters follow in
   * PyTorch's order, positional or as options.
   */
  constructor(
    params: Params<AdagradDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        lrDecay: number,
        weightDecay: number,
        initialAccumulatorValue: number,
        eps: number,
        foreach: boolean | null,
      ],
      AdagradOptions
    >
  ) {
    const o = parseArgs(ADAGRAD, [params, ...rest]);
    super("Adagrad", params, {
      lr: o.lr,
      lrDecay: o.lrDecay,
      weightDecay: o.weightDecay,
      initialAccumulatorValue: o.initialAccumulatorValue,
      eps: o.eps,
      maximize: o.maximize,
    });
    for (const group of this.paramGroups) {
      for (const p of group.params) this.#initState(p, group.initialAccumulatorValue);
    }
  }

  #initState(p: Tensor, initial: number): ParamState {
    const s = this.stateOf(p);
    s.step = 0;
    s.sum = noGrad(() => fullLike(p, initial));
    return s;
  }

  protected override validate(o: Partial<AdagradDefaults>, where: string): void {
    checkLr(this.name, o.lr, where);
    checkNonNegative(this.name, "lrDecay", o.lrDecay, where);
    checkNonNegative(this.name, "weightDecay", o.weightDecay, where);
    checkNonNegative(this.name, "initialAccumulatorValue", o.initialAccumulatorValue, where);
    checkNonNegative(this.name, "eps", o.eps, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const params: Tensor[] = [];
      const grads: Tensor[] = [];
      const sums: Tensor[] = [];
      const steps: number[] = [];
      for (const p of group.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        // NOTE: PyTorch creates state only in the constructor; groups added later get it here.
        const s = this.state.get(p) ?? this.#initState(p, group.initialAccumulatorValue);
        s.step = (s.step as number) + 1;
        params.push(p);
        grads.push(grad);
        sums.push(s.sum as Tensor);
        steps.push(s.step);
      }
      adagrad(params, grads, sums, steps, group);
    }
    return loss;
  }
}

// ASGD (averaged stochastic gradient descent), as torch.optim.ASGD of PyTorch 1.13. The update
// math is the plain function `asgd()`; the class only gathers tensors and state. Depends on
// tensor ops and the optimizer base only.

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
import { zerosLike } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Optimizer, type Params, type TorchForm } from "./optimizer.ts";
import { checkTorchLr, ensure } from "./torch-checks.ts";

/** Options of ASGD; defaults lr 1e-2, lambd 1e-4, alpha 0.75, t0 1e6, weightDecay 0, maximize false. */
export interface ASGDOptions {
  lr?: number;
  lambd?: number;
  alpha?: number;
  t0?: number;
  weightDecay?: number;
  /** Picks PyTorch's multi-tensor loop; Kiln's result is the same either way. */
  foreach?: boolean | null;
  maximize?: boolean;
}

/** The options an ASGD param group keeps (PyTorch's keys, camelCased). */
export type ASGDDefaults = Required<ASGDOptions>;

const ASGD_SIG = signature("ASGD", {
  params: unchecked,
  lr: opt(num, 1e-2),
  lambd: opt(num, 1e-4),
  alpha: opt(num, 0.75),
  t0: opt(num, 1e6),
  weightDecay: opt(num, 0),
  foreach: opt(nullable(bool), null),
  maximize: opt(bool, false),
});

/** The per-parameter scalars of ASGD, kept rounded to float32 as PyTorch's 0-d tensors. */
export interface ASGDScalars {
  step: number;
  eta: number;
  mu: number;
}

/**
 * The ASGD update, in place (PyTorch 1.13's `_single_tensor_asgd`); `scalars[i]` is updated:
 * t ← t+1; g ← ±grad + λθ; θ ← θ(1 - λ_d η) - ηg; ax ← ax + μ(θ - ax) (or θ when μ = 1);
 * η ← γ/(1 + λ_d γ t)^α; μ ← 1/max(1, t - t₀).
 */
export function asgd(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  axs: readonly Tensor[],
  scalars: readonly ASGDScalars[],
  o: Omit<ASGDDefaults, "foreach">,
): void {
  if (arguments.length > 5) checkArity("optim.asgd", arguments, 5);
  noGrad(() => {
    params.forEach((param, i) => {
      let grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      const s = scalars[i]!;
      s.step += 1;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      param.mul_(1 - o.lambd * s.eta);
      param.add_(grad, { alpha: -s.eta });
      const ax = axs[i]!;
      if (s.mu !== 1) ax.add_(param.sub(ax).mul(s.mu));
      else ax.copy_(param);
      // NOTE: PyTorch keeps eta and mu as float32 tensors (torch.tensor(python float)).
      s.eta = Math.fround(o.lr / (1 + o.lambd * o.lr * s.step) ** o.alpha);
      s.mu = Math.fround(1 / Math.max(1, s.step - o.t0));
    });
  });
}

/**
 * Averaged SGD, as torch.optim.ASGD; arguments in PyTorch's order (lr, lambd, alpha, t0,
 * weightDecay, foreach, maximize), positional or as options. Defaults: lr 1e-2, lambd 1e-4,
 * alpha 0.75, t0 1e6, weightDecay 0, maximize false. State per parameter: `step`, `eta`, `mu`
 * (0-d float32 tensors in PyTorch's state dict) and `ax`, the running average of the parameter.
 *
 * @example const opt = new optim.ASGD(model.parameters(), { lr: 0.01, t0: 100 });
 */
export class ASGD extends Optimizer<ASGDDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<ASGDDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        lambd: number,
        alpha: number,
        t0: number,
        weightDecay: number,
        foreach: boolean | null,
        maximize: boolean,
      ],
      ASGDOptions
    >
  ) {
    const o = parseArgs(ASGD_SIG, [params, ...rest]);
    super("ASGD", params, {
      lr: o.lr,
      lambd: o.lambd,
      alpha: o.alpha,
      t0: o.t0,
      weightDecay: o.weightDecay,
      foreach: o.foreach,
      maximize: o.maximize,
    });
  }

  override torchForm(): TorchForm {
    return { tensorScalars: ["step", "eta", "mu"], groupExtras: {} };
  }

  protected override validate(o: Partial<ASGDDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where);
    if (o.weightDecay !== undefined) {
      ensure(this.name, o.weightDecay >= 0, `Invalid weight_decay value: ${o.weightDecay}`, where);
    }
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const params: Tensor[] = [];
      const grads: Tensor[] = [];
      const axs: Tensor[] = [];
      const scalars: ASGDScalars[] = [];
      for (const p of group.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        const s = this.stateOf(p);
        if (Object.keys(s).length === 0) {
          s.step = 0;
          s.eta = Math.fround(group.lr);
          s.mu = 1;
          s.ax = zerosLike(p);
        }
        params.push(p);
        grads.push(grad);
        axs.push(s.ax as Tensor);
        scalars.push({ step: s.step as number, eta: s.eta as number, mu: s.mu as number });
      }
      asgd(params, grads, axs, scalars, group);
      params.forEach((p, i) => {
        Object.assign(this.stateOf(p), scalars[i]!);
      });
    }
    return loss;
  }
}

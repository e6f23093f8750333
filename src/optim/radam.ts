// RAdam (Adam with a rectified adaptive learning rate), as torch.optim.RAdam of PyTorch 1.13.
// The update math is the plain function `radam()`; the class only gathers tensors and state.
// Depends on tensor ops and the optimizer base only.

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
import { checkTorchAdamLike, checkTorchLr, pair } from "./torch-checks.ts";

/** Options of RAdam; defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0. */
export interface RAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Picks PyTorch's multi-tensor loop; Kiln's result is the same either way. */
  foreach?: boolean | null;
}

/** The options a RAdam param group keeps (PyTorch's keys, camelCased). */
export type RAdamDefaults = Required<RAdamOptions>;

const RADAM = signature("RAdam", {
  params: unchecked,
  lr: opt(num, 1e-3),
  betas: opt(pair, [0.9, 0.999] as [number, number]),
  eps: opt(num, 1e-8),
  weightDecay: opt(num, 0),
  foreach: opt(nullable(bool), null),
});

/**
 * The RAdam update, in place (PyTorch 1.13's `_single_tensor_radam`), `steps[i]` = t already
 * incremented: m ← β₁m + (1-β₁)g; v ← β₂v + (1-β₂)g²; ρ∞ = 2/(1-β₂) - 1,
 * ρₜ = ρ∞ - 2tβ₂ᵗ/(1-β₂ᵗ); if ρₜ > 5: θ ← θ - γ·m̂·r·√(1-β₂ᵗ)/(√v + ε) with the rectification r,
 * else θ ← θ - γ·m̂, where m̂ = m/(1-β₁ᵗ).
 */
export function radam(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  steps: readonly number[],
  o: Omit<RAdamDefaults, "foreach">,
): void {
  if (arguments.length > 6) checkArity("optim.radam", arguments, 6);
  const [beta1, beta2] = o.betas;
  noGrad(() => {
    params.forEach((param, i) => {
      const step = steps[i]!;
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      let grad = grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      const expAvg = expAvgs[i]!;
      const expAvgSq = expAvgSqs[i]!;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const corrected = expAvg.div(biasCorrection1);
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
      if (rhoT > 5) {
        const rect = Math.sqrt(
          ((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT),
        );
        // NOTE: `float / tensor` in PyTorch 1.13 is `tensor.reciprocal() * float`.
        const adaptiveLr = expAvgSq.sqrt().add_(o.eps).reciprocal().mul(Math.sqrt(biasCorrection2));
        param.add_(corrected.mul(o.lr).mul(adaptiveLr).mul(rect), { alpha: -1 });
      } else {
        param.add_(corrected.mul(o.lr), { alpha: -1 });
      }
    });
  });
}

/**
 * RAdam, as torch.optim.RAdam (PyTorch 1.13: no `maximize`). Arguments in PyTorch's order (lr,
 * betas, eps, weightDecay, foreach), positional or as options. Defaults: lr 1e-3, betas
 * [0.9, 0.999], eps 1e-8, weightDecay 0. State per parameter: `step`, `exp_avg`, `exp_avg_sq`.
 *
 * @example const opt = new optim.RAdam(model.parameters(), { lr: 1e-3 });
 */
export class RAdam extends Optimizer<RAdamDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<RAdamDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        betas: [number, number],
        eps: number,
        weightDecay: number,
        foreach: boolean | null,
      ],
      RAdamOptions
    >
  ) {
    const o = parseArgs(RADAM, [params, ...rest]);
    super("RAdam", params, {
      lr: o.lr,
      betas: o.betas,
      eps: o.eps,
      weightDecay: o.weightDecay,
      foreach: o.foreach,
    });
  }

  override torchForm(): TorchForm {
    return { tensorScalars: ["step"], groupExtras: {} };
  }

  protected override validate(o: Partial<RAdamDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where);
    checkTorchAdamLike(this.name, o, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const g = this.gatherStep(group, (p) => ({
        exp_avg: zerosLike(p),
        exp_avg_sq: zerosLike(p),
      }));
      const of = (k: string) => g.states.map((s) => s[k] as Tensor);
      radam(g.params, g.grads, of("exp_avg"), of("exp_avg_sq"), g.steps, group);
    }
    return loss;
  }
}

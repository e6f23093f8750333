// NAdam (Adam with Nesterov momentum and momentum decay), as torch.optim.NAdam of PyTorch 1.13.
// The update math is the plain function `nadam()`; the class only gathers tensors and state.
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
import { checkTorchAdamLike, checkTorchLr, ensure, pair } from "./torch-checks.ts";

/** Options of NAdam; defaults lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay 4e-3. */
export interface NAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  momentumDecay?: number;
  /** Picks PyTorch's multi-tensor loop; Kiln's result is the same either way. */
  foreach?: boolean | null;
}

/** The options a NAdam param group keeps (PyTorch's keys, camelCased). */
export type NAdamDefaults = Required<NAdamOptions>;

const NADAM = signature("NAdam", {
  params: unchecked,
  lr: opt(num, 2e-3),
  betas: opt(pair, [0.9, 0.999] as [number, number]),
  eps: opt(num, 1e-8),
  weightDecay: opt(num, 0),
  momentumDecay: opt(num, 4e-3),
  foreach: opt(nullable(bool), null),
});

/**
 * The NAdam update, in place (PyTorch 1.13's `_single_tensor_nadam`); `steps[i]` is t, already
 * incremented, and `muProducts[i]` is updated (kept rounded to float32, as PyTorch's 0-d tensor):
 * μₜ = β₁(1 - ½·0.96^(tψ)); Πμ ← Πμ·μₜ; m ← β₁m + (1-β₁)g; v ← β₂v + (1-β₂)g²;
 * θ ← θ - γ(1-μₜ)/(1-Πμ) · g/d - γμₜ₊₁/(1-Πμ·μₜ₊₁) · m/d, d = √(v/(1-β₂ᵗ)) + ε.
 */
export function nadam(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  muProducts: number[],
  steps: readonly number[],
  o: Omit<NAdamDefaults, "foreach">,
): void {
  if (arguments.length > 7) checkArity("optim.nadam", arguments, 7);
  const [beta1, beta2] = o.betas;
  const f = Math.fround;
  noGrad(() => {
    params.forEach((param, i) => {
      const step = steps[i]!;
      const biasCorrection2 = 1 - beta2 ** step;
      let grad = grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      const mu = beta1 * (1 - 0.5 * 0.96 ** (step * o.momentumDecay));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * o.momentumDecay));
      // NOTE: PyTorch's mu_product is a float32 tensor; a Python float is cast to float32 first.
      const muProduct = f(muProducts[i]! * f(mu));
      muProducts[i] = muProduct;
      const muProductNext = f(f(muProduct * f(mu)) * f(muNext));
      expAvgs[i]!.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expAvgSqs[i]!.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
      const denom = expAvgSqs[i]!.div(biasCorrection2).sqrt().add_(o.eps);
      param.addcdiv_(grad, denom, { value: (-o.lr * (1 - mu)) / (1 - muProduct) });
      param.addcdiv_(expAvgs[i]!, denom, { value: (-o.lr * muNext) / (1 - muProductNext) });
    });
  });
}

/**
 * NAdam, as torch.optim.NAdam (PyTorch 1.13: no `maximize`). Arguments in PyTorch's order (lr,
 * betas, eps, weightDecay, momentumDecay, foreach), positional or as options. Defaults: lr 2e-3,
 * betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay 4e-3. State per parameter: `step`,
 * `mu_product` (0-d float32 tensors in PyTorch's state dict), `exp_avg`, `exp_avg_sq`.
 *
 * @example const opt = new optim.NAdam(model.parameters(), { lr: 2e-3 });
 */
export class NAdam extends Optimizer<NAdamDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<NAdamDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        betas: [number, number],
        eps: number,
        weightDecay: number,
        momentumDecay: number,
        foreach: boolean | null,
      ],
      NAdamOptions
    >
  ) {
    const o = parseArgs(NADAM, [params, ...rest]);
    super("NAdam", params, {
      lr: o.lr,
      betas: o.betas,
      eps: o.eps,
      weightDecay: o.weightDecay,
      momentumDecay: o.momentumDecay,
      foreach: o.foreach,
    });
  }

  override torchForm(): TorchForm {
    return { tensorScalars: ["step", "mu_product"], groupExtras: {} };
  }

  protected override validate(o: Partial<NAdamDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where);
    checkTorchAdamLike(this.name, o, where);
    if (o.momentumDecay !== undefined) {
      ensure(
        this.name,
        o.momentumDecay >= 0,
        `Invalid momentum_decay value: ${o.momentumDecay}`,
        where,
      );
    }
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const g = this.gatherStep(group, (p) => ({
        mu_product: 1,
        exp_avg: zerosLike(p),
        exp_avg_sq: zerosLike(p),
      }));
      const of = (k: string) => g.states.map((s) => s[k] as Tensor);
      const muProducts = g.states.map((s) => s.mu_product as number);
      nadam(g.params, g.grads, of("exp_avg"), of("exp_avg_sq"), muProducts, g.steps, group);
      g.states.forEach((s, i) => {
        s.mu_product = muProducts[i]!;
      });
    }
    return loss;
  }
}

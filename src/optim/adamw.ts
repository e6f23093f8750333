// AdamW (decoupled weight decay), as torch.optim.AdamW. The update math is the plain function
// `adamw()`; bookkeeping is shared with Adam.

import { checkArity, parseArgs, type WithOptions } from "../core/args.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import {
  type AdamDefaults,
  type AdamOptions,
  type AdamPositional,
  type AdamUpdate,
  adamDefaults,
  adamFused,
  adamMoments,
  adamSignature,
  adamStep,
  validateAdam,
} from "./adam.ts";
import { Optimizer, type Params } from "./optimizer.ts";

const ADAMW = adamSignature("AdamW", 1e-2);

/**
 * The AdamW update, in place (PyTorch 1.13's `_single_tensor_adamw`): θ ← θ(1 - γλ) first, then
 * Adam's step on the raw gradient (±grad): m ← β₁m + (1-β₁)g; v ← β₂v + (1-β₂)g²;
 * θ ← θ - γ/(1-β₁ᵗ) · m / (√v / √(1-β₂ᵗ) + ε).
 */
export function adamw(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  maxExpAvgSqs: readonly Tensor[],
  steps: readonly number[],
  o: AdamUpdate,
): void {
  if (arguments.length > 7) checkArity("optim.adamw", arguments, 7);
  const [beta1, beta2] = o.betas as [number, number];
  noGrad(() => {
    params.forEach((param, i) => {
      if (
        adamFused(param, grads[i]!, expAvgs[i]!, expAvgSqs[i]!, maxExpAvgSqs[i], steps[i]!, o, true)
      ) {
        return;
      }
      const grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      param.mul_(1 - o.lr * o.weightDecay);
      adamMoments(
        param,
        grad,
        expAvgs[i]!,
        expAvgSqs[i]!,
        maxExpAvgSqs[i],
        steps[i]!,
        o,
        beta1,
        beta2,
      );
    });
  });
}

/**
 * AdamW, as torch.optim.AdamW: Adam with weight decay applied to the weights, not the gradient.
 * Arguments in PyTorch's order (lr, betas, eps, weightDecay, amsgrad), positional or as options;
 * the keyword-only maximize, foreach, capturable as options.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2, amsgrad false, maximize false.
 * State per parameter: `step`, `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq` with amsgrad).
 *
 * @example const opt = new optim.AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0.05 });
 */
export class AdamW extends Optimizer<AdamDefaults> {
  /**
   * Creates the optimizer over `params` (tensors or param groups); the hyperparameters follow in
   * PyTorch's order, positional or as options.
   */
  constructor(
    params: Params<AdamDefaults>,
    ...rest: WithOptions<AdamPositional, Omit<AdamOptions, "differentiable" | "fused">>
  ) {
    super("AdamW", params, adamDefaults(parseArgs(ADAMW, [params, ...rest])));
  }

  protected override validate(o: Partial<AdamDefaults>, where: string): void {
    validateAdam(this.name, o, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    adamStep(this, (p) => this.stateOf(p), adamw);
    return loss;
  }
}

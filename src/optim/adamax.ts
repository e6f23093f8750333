// Adamax (Adam with the infinity norm), as torch.optim.Adamax of PyTorch 1.13. The update math is
// the plain function `adamax()`; the class only gathers tensors and state. Depends on tensor ops
// and the optimizer base only.

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

/** Options of Adamax; defaults lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize false. */
export interface AdamaxOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** Picks PyTorch's multi-tensor loop; Kiln's result is the same either way. */
  foreach?: boolean | null;
  maximize?: boolean;
}

/** The options an Adamax param group keeps (PyTorch's keys, camelCased). */
export type AdamaxDefaults = Required<AdamaxOptions>;

const ADAMAX = signature(
  "Adamax",
  {
    params: unchecked,
    lr: opt(num, 2e-3),
    betas: opt(pair, [0.9, 0.999] as [number, number]),
    eps: opt(num, 1e-8),
    weightDecay: opt(num, 0),
    foreach: opt(nullable(bool), null),
  },
  { maximize: opt(bool, false) },
);

/**
 * The Adamax update, in place (PyTorch 1.13's `_single_tensor_adamax`), `steps[i]` = t already
 * incremented: g ← ±grad + λθ; m ← β₁m + (1-β₁)g; u ← max(β₂u, |g| + ε);
 * θ ← θ - γ/(1-β₁ᵗ) · m/u.
 */
export function adamax(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expInfs: readonly Tensor[],
  steps: readonly number[],
  o: Omit<AdamaxDefaults, "foreach">,
): void {
  if (arguments.length > 6) checkArity("optim.adamax", arguments, 6);
  const [beta1, beta2] = o.betas;
  noGrad(() => {
    params.forEach((param, i) => {
      let grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      const expAvg = expAvgs[i]!;
      const expInf = expInfs[i]!;
      expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
      expInf.mul_(beta2);
      expInf.copy_(expInf.maximum(grad.abs().add_(o.eps)));
      const clr = o.lr / (1 - beta1 ** steps[i]!);
      param.addcdiv_(expAvg, expInf, { value: -clr });
    });
  });
}

/**
 * Adamax, as torch.optim.Adamax. Arguments in PyTorch's order (lr, betas, eps, weightDecay,
 * foreach), positional or as options, and the keyword-only maximize. Defaults: lr 2e-3, betas
 * [0.9, 0.999], eps 1e-8, weightDecay 0, maximize false. State: `step`, `exp_avg`, `exp_inf`.
 *
 * @example const opt = new optim.Adamax(model.parameters(), { lr: 2e-3 });
 */
export class Adamax extends Optimizer<AdamaxDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<AdamaxDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        betas: [number, number],
        eps: number,
        weightDecay: number,
        foreach: boolean | null,
      ],
      AdamaxOptions
    >
  ) {
    const o = parseArgs(ADAMAX, [params, ...rest]);
    super("Adamax", params, {
      lr: o.lr,
      betas: o.betas,
      eps: o.eps,
      weightDecay: o.weightDecay,
      foreach: o.foreach,
      maximize: o.maximize,
    });
  }

  override torchForm(): TorchForm {
    return { tensorScalars: ["step"], groupExtras: {} };
  }

  protected override validate(o: Partial<AdamaxDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where);
    checkTorchAdamLike(this.name, o, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const g = this.gatherStep(group, (p) => ({ exp_avg: zerosLike(p), exp_inf: zerosLike(p) }));
      const of = (k: string) => g.states.map((s) => s[k] as Tensor);
      adamax(g.params, g.grads, of("exp_avg"), of("exp_inf"), g.steps, group);
    }
    return loss;
  }
}

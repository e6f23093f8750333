// Adadelta, as torch.optim.Adadelta. The update math is the plain function `adadelta()`; the
// class only gathers tensors and state.

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
import { ValueError } from "../core/errors.ts";
import { zerosLike } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkLr, checkNonNegative, Optimizer, type Params } from "./optimizer.ts";

/**
 * Options of Adadelta; defaults lr 1.0, rho 0.9, eps 1e-6, weightDecay 0, maximize false, as
 * torch.optim.Adadelta.
 */
export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  /** Accepted for PyTorch parity; no effect (each backend picks its own multi-tensor path). */
  foreach?: boolean | null;
  maximize?: boolean;
}

/** The hyperparameters of one Adadelta update, as a param group keeps them. */
export type AdadeltaUpdate = Omit<Required<AdadeltaOptions>, "foreach">;

/** torch.optim.Adadelta's signature. */
const ADADELTA = signature(
  "Adadelta",
  {
    params: unchecked,
    lr: opt(num, 1.0),
    rho: opt(num, 0.9),
    eps: opt(num, 1e-6),
    weightDecay: opt(num, 0),
    foreach: opt(nullable(bool), null),
  },
  { maximize: opt(bool, false) },
);

/**
 * The Adadelta update, in place (PyTorch 1.13's `_single_tensor_adadelta`): g ← ±grad + λθ;
 * v ← ρv + (1-ρ)g²; Δ = √(u + ε) / √(v + ε) · g; u ← ρu + (1-ρ)Δ²; θ ← θ - γΔ.
 */
export function adadelta(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  squareAvgs: readonly Tensor[],
  accDeltas: readonly Tensor[],
  o: AdadeltaUpdate,
): void {
  if (arguments.length > 5) checkArity("optim.adadelta", arguments, 5);
  noGrad(() => {
    params.forEach((param, i) => {
      let grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      const squareAvg = squareAvgs[i]!;
      const accDelta = accDeltas[i]!;
      squareAvg.mul_(o.rho).addcmul_(grad, grad, { value: 1 - o.rho });
      const std = squareAvg.add(o.eps).sqrt_();
      const delta = accDelta.add(o.eps).sqrt_().div_(std).mul_(grad);
      accDelta.mul_(o.rho).addcmul_(delta, delta, { value: 1 - o.rho });
      param.add_(delta, { alpha: -o.lr });
    });
  });
}

/**
 * Adadelta, as torch.optim.Adadelta; arguments in PyTorch's order (lr, rho, eps, weightDecay,
 * foreach), positional or as options; maximize as an option.
 * Defaults: lr 1.0, rho 0.9, eps 1e-6, weightDecay 0, maximize false.
 * State per parameter: `step`, `square_avg`, `acc_delta`.
 *
 * @example const opt = new optim.Adadelta(model.parameters(), { rho: 0.95 });
 */
export class Adadelta extends Optimizer<AdadeltaUpdate> {
  /**
   * Creates the optimizer over `params` (tensors or param groups); the hyperparameters follow in
   * PyTorch's order, positional or as options.
   */
  constructor(
    params: Params<AdadeltaUpdate>,
    ...rest: WithOptions<
      [lr: number, rho: number, eps: number, weightDecay: number, foreach: boolean | null],
      AdadeltaOptions
    >
  ) {
    const o = parseArgs(ADADELTA, [params, ...rest]);
    super("Adadelta", params, {
      lr: o.lr,
      rho: o.rho,
      eps: o.eps,
      weightDecay: o.weightDecay,
      maximize: o.maximize,
    });
  }

  protected override validate(o: Partial<AdadeltaUpdate>, where: string): void {
    checkLr(this.name, o.lr, where);
    if (o.rho !== undefined && !(o.rho >= 0 && o.rho <= 1)) {
      throw new ValueError(`Adadelta: invalid rho${where}: ${o.rho}; expected 0 <= rho <= 1`);
    }
    checkNonNegative(this.name, "eps", o.eps, where);
    checkNonNegative(this.name, "weightDecay", o.weightDecay, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const params: Tensor[] = [];
      const grads: Tensor[] = [];
      const squareAvgs: Tensor[] = [];
      const accDeltas: Tensor[] = [];
      for (const p of group.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        const s = this.stateOf(p);
        if (Object.keys(s).length === 0) {
          s.step = 0;
          s.square_avg = zerosLike(p);
          s.acc_delta = zerosLike(p);
        }
        s.step = (s.step as number) + 1;
        params.push(p);
        grads.push(grad);
        squareAvgs.push(s.square_avg as Tensor);
        accDeltas.push(s.acc_delta as Tensor);
      }
      adadelta(params, grads, squareAvgs, accDeltas, group);
    }
    return loss;
  }
}

// Adadelta, as torch.optim.Adadelta. The update math is the plain function `adadelta()`; the
// class only gathers tensors and state.

import { ValueError } from "../core/errors.ts";
import { zerosLike } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkLr, checkNonNegative, Optimizer, type Params } from "./optimizer.ts";

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

export type AdadeltaUpdate = Required<AdadeltaOptions>;

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
 * Adadelta, as torch.optim.Adadelta.
 * Defaults: lr 1.0, rho 0.9, eps 1e-6, weightDecay 0, maximize false.
 * State per parameter: `step`, `square_avg`, `acc_delta`.
 *
 * @example const opt = new optim.Adadelta(model.parameters(), { rho: 0.95 });
 */
export class Adadelta extends Optimizer<AdadeltaUpdate> {
  constructor(params: Params<AdadeltaUpdate>, options: AdadeltaOptions = {}) {
    super("Adadelta", params, {
      lr: options.lr ?? 1.0,
      rho: options.rho ?? 0.9,
      eps: options.eps ?? 1e-6,
      weightDecay: options.weightDecay ?? 0,
      maximize: options.maximize ?? false,
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

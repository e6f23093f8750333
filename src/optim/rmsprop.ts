// RMSprop (with momentum and the centered variant), as torch.optim.RMSprop. The update math is
// the plain function `rmsprop()`; the class only gathers tensors and state.

import {
  bool,
  checkArity,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { zerosLike } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkLr, checkNonNegative, Optimizer, type Params } from "./optimizer.ts";

/**
 * Options of RMSprop; defaults lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered
 * false, maximize false, as torch.optim.RMSprop.
 */
export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  /** Accepted for PyTorch parity; no effect (each backend picks its own multi-tensor path). */
  foreach?: boolean | null;
  maximize?: boolean;
  /** Only false: Kiln's optimizer steps are not differentiable. */
  differentiable?: false;
}

/** The hyperparameters of one RMSprop update, as a param group keeps them. */
export type RMSpropUpdate = Omit<Required<RMSpropOptions>, "foreach" | "differentiable">;

/** torch.optim.RMSprop's signature (1.13 has no keyword-only parameters here). */
const RMSPROP = signature("RMSprop", {
  params: unchecked,
  lr: opt(num, 1e-2),
  alpha: opt(num, 0.99),
  eps: opt(num, 1e-8),
  weightDecay: opt(num, 0),
  momentum: opt(num, 0),
  centered: opt(bool, false),
  foreach: opt(nullable(bool), null),
  maximize: opt(bool, false),
  differentiable: opt(oneOf(false), false),
});

/**
 * The RMSprop update, in place (PyTorch 1.13's `_single_tensor_rmsprop`): g ← ±grad + λθ;
 * v ← αv + (1-α)g²; centered: ḡ ← αḡ + (1-α)g, avg = √(v - ḡ²) + ε, else avg = √v + ε;
 * momentum: b ← μb + g/avg, θ ← θ - γb; otherwise θ ← θ - γ g/avg.
 */
export function rmsprop(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  squareAvgs: readonly Tensor[],
  gradAvgs: readonly Tensor[],
  momentumBuffers: readonly Tensor[],
  o: RMSpropUpdate,
): void {
  if (arguments.length > 6) checkArity("optim.rmsprop", arguments, 6);
  noGrad(() => {
    params.forEach((param, i) => {
      let grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
      const squareAvg = squareAvgs[i]!;
      squareAvg.mul_(o.alpha).addcmul_(grad, grad, { value: 1 - o.alpha });
      let avg: Tensor;
      if (o.centered) {
        const gradAvg = gradAvgs[i]!;
        gradAvg.mul_(o.alpha).add_(grad, { alpha: 1 - o.alpha });
        avg = squareAvg.clone().addcmul_(gradAvg, gradAvg, { value: -1 }).sqrt_();
      } else {
        avg = squareAvg.sqrt();
      }
      avg = avg.add_(o.eps);
      if (o.momentum > 0) {
        const buf = momentumBuffers[i]!;
        buf.mul_(o.momentum).addcdiv_(grad, avg);
        param.add_(buf, { alpha: -o.lr });
      } else {
        param.addcdiv_(grad, avg, { value: -o.lr });
      }
    });
  });
}

/**
 * RMSprop, as torch.optim.RMSprop; arguments in PyTorch's order (lr, alpha, eps, weightDecay,
 * momentum, centered, foreach, maximize, differentiable), positional or as options.
 * Defaults: lr 1e-2, alpha 0.99, eps 1e-8, weightDecay 0, momentum 0, centered false, maximize false.
 * State per parameter: `step`, `square_avg` (and `momentum_buffer`, `grad_avg` when used).
 *
 * @example const opt = new optim.RMSprop(model.parameters(), { lr: 1e-3, momentum: 0.9 });
 */
export class RMSprop extends Optimizer<RMSpropUpdate> {
  /**
   * Creates the optimizer over `params` (tensors or param groups); the hyperparameters follow in
   * PyTorch's order, positional or as options.
   */
  constructor(
    params: Params<RMSpropUpdate>,
    ...rest: WithOptions<
      [
        lr: number,
        alpha: number,
        eps: number,
        weightDecay: number,
        momentum: number,
        centered: boolean,
        foreach: boolean | null,
        maximize: boolean,
        differentiable: false,
      ],
      RMSpropOptions
    >
  ) {
    const o = parseArgs(RMSPROP, [params, ...rest]);
    super("RMSprop", params, {
      lr: o.lr,
      alpha: o.alpha,
      eps: o.eps,
      weightDecay: o.weightDecay,
      momentum: o.momentum,
      centered: o.centered,
      maximize: o.maximize,
    });
  }

  protected override validate(o: Partial<RMSpropUpdate>, where: string): void {
    checkLr(this.name, o.lr, where);
    checkNonNegative(this.name, "eps", o.eps, where);
    checkNonNegative(this.name, "momentum", o.momentum, where);
    checkNonNegative(this.name, "weightDecay", o.weightDecay, where);
    checkNonNegative(this.name, "alpha", o.alpha, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      const params: Tensor[] = [];
      const grads: Tensor[] = [];
      const squareAvgs: Tensor[] = [];
      const gradAvgs: Tensor[] = [];
      const bufs: Tensor[] = [];
      for (const p of group.params) {
        const grad = p.peekGrad();
        if (grad === null) continue;
        const s = this.stateOf(p);
        if (Object.keys(s).length === 0) {
          s.step = 0;
          s.square_avg = zerosLike(p);
          if (group.momentum > 0) s.momentum_buffer = zerosLike(p);
          if (group.centered) s.grad_avg = zerosLike(p);
        }
        params.push(p);
        grads.push(grad);
        squareAvgs.push(s.square_avg as Tensor);
        if (group.momentum > 0) bufs.push(s.momentum_buffer as Tensor);
        if (group.centered) gradAvgs.push(s.grad_avg as Tensor);
        s.step = (s.step as number) + 1;
      }
      rmsprop(params, grads, squareAvgs, gradAvgs, bufs, group);
    }
    return loss;
  }
}

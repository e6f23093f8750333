// Rprop (resilient backpropagation), as torch.optim.Rprop of PyTorch 1.13. The update math is
// the plain function `rprop()`; the class only gathers tensors and state. Depends on tensor ops
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
import { fullLike, zerosLike } from "../ops/creation.ts";
import { where } from "../ops/elementwise.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Optimizer, type Params } from "./optimizer.ts";
import { checkTorchLr, ensure, pair } from "./torch-checks.ts";

/**
 * Options of Rprop; defaults lr 1e-2, etas [0.5, 1.2], stepSizes [1e-6, 50], maximize false, as
 * torch.optim.Rprop.
 */
export interface RpropOptions {
  lr?: number;
  /** (etaminus, etaplus): the step size's factors after a sign change / no sign change. */
  etas?: [number, number];
  /** (min, max) step size. */
  stepSizes?: [number, number];
  /** Picks PyTorch's multi-tensor loop; Kiln's result is the same either way. */
  foreach?: boolean | null;
  maximize?: boolean;
}

/** The options an Rprop param group keeps (PyTorch's keys, camelCased). */
export type RpropDefaults = Required<RpropOptions>;

const RPROP = signature("Rprop", {
  params: unchecked,
  lr: opt(num, 1e-2),
  etas: opt(pair, [0.5, 1.2] as [number, number]),
  stepSizes: opt(pair, [1e-6, 50] as [number, number]),
  foreach: opt(nullable(bool), null),
  maximize: opt(bool, false),
});

/**
 * The Rprop update, in place (PyTorch 1.13's `_single_tensor_rprop`): s = sign(g·g_prev);
 * Δ ← clamp(Δ·(η₊ if s > 0, η₋ if s < 0, else 1), Δmin, Δmax); g ← 0 where s < 0;
 * θ ← θ - sign(g)·Δ; g_prev ← g.
 */
export function rprop(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  prevs: readonly Tensor[],
  stepSizes: readonly Tensor[],
  o: Omit<RpropDefaults, "foreach" | "lr">,
): void {
  if (arguments.length > 5) checkArity("optim.rprop", arguments, 5);
  const [etaminus, etaplus] = o.etas;
  const [minStep, maxStep] = o.stepSizes;
  noGrad(() => {
    params.forEach((param, i) => {
      const grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      const prev = prevs[i]!;
      const stepSize = stepSizes[i]!;
      const sign = grad.mul(prev).sign();
      // NOTE: a NaN sign stays NaN, as PyTorch's masked assignments leave it.
      const factor = where(
        sign.gt(0),
        etaplus,
        where(sign.lt(0), etaminus, where(sign.eq(0), 1, sign)),
      );
      stepSize.mul_(factor).clamp_(minStep, maxStep);
      const g = grad.clone().maskedFill_(sign.lt(0), 0);
      param.addcmul_(g.sign(), stepSize, { value: -1 });
      prev.copy_(g);
    });
  });
}

/**
 * Rprop, as torch.optim.Rprop; arguments in PyTorch's order (lr, etas, stepSizes, foreach,
 * maximize), positional or as options. Defaults: lr 1e-2, etas [0.5, 1.2], stepSizes [1e-6, 50],
 * maximize false. State per parameter: `step` (an int, as in PyTorch 1.13), `prev`, `step_size`.
 *
 * @example const opt = new optim.Rprop(model.parameters(), { lr: 0.01 });
 */
export class Rprop extends Optimizer<RpropDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<RpropDefaults>,
    ...rest: WithOptions<
      [
        lr: number,
        etas: [number, number],
        stepSizes: [number, number],
        foreach: boolean | null,
        maximize: boolean,
      ],
      RpropOptions
    >
  ) {
    const o = parseArgs(RPROP, [params, ...rest]);
    super("Rprop", params, {
      lr: o.lr,
      etas: o.etas,
      stepSizes: o.stepSizes,
      foreach: o.foreach,
      maximize: o.maximize,
    });
  }

  protected override validate(o: Partial<RpropDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where);
    if (o.etas !== undefined) {
      const [minus, plus] = o.etas;
      ensure(
        this.name,
        0 < minus && minus < 1 && 1 < plus,
        `Invalid eta values: ${minus}, ${plus}`,
        where,
      );
    }
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      // A gradient has its parameter's shape and dtype, so the step sizes start as lr like p.
      const g = this.gatherStep(group, (p) => ({
        prev: zerosLike(p),
        step_size: fullLike(p, group.lr),
      }));
      const of = (k: string) => g.states.map((s) => s[k] as Tensor);
      rprop(g.params, g.grads, of("prev"), of("step_size"), group);
    }
    return loss;
  }
}

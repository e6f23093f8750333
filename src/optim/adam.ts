// Adam (with AMSGrad, L2 weight decay and maximize), as torch.optim.Adam. The update math is
// the plain function `adam()`; the class only gathers tensors and state.

import {
  bool,
  checkArity,
  custom,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { zerosLike } from "../ops/creation.ts";
import { fusedKernels } from "../ops/dispatch.ts";
import { noGrad } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { checkLr, checkNonNegative, Optimizer, type ParamGroup, type Params } from "./optimizer.ts";
import { f32, fusableUpdate } from "./sgd.ts";

/**
 * Options of Adam and AdamW; defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0 (AdamW
 * 1e-2), amsgrad false, maximize false, as torch.optim.Adam.
 */
export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  /** Accepted for PyTorch parity; no effect (each backend picks its own multi-tensor path). */
  foreach?: boolean | null;
  /** Only false (CUDA graph capture does not apply). */
  capturable?: false;
  /** Only false: Kiln's optimizer steps are not differentiable. Adam only (not AdamW in 1.13). */
  differentiable?: false;
  /** Only false (PyTorch's fused CUDA kernel). Adam only (not AdamW in 1.13). */
  fused?: false;
}

/** The options an Adam or AdamW param group keeps. */
export type AdamDefaults = Omit<
  Required<AdamOptions>,
  "foreach" | "capturable" | "differentiable" | "fused"
>;

/** The positional parameters of Adam and AdamW after `params`, in PyTorch's order. */
export type AdamPositional = [
  lr: number,
  betas: [number, number],
  eps: number,
  weightDecay: number,
  amsgrad: boolean,
];

const pair = custom(
  "an array of 2 numbers",
  (v): v is [number, number] => Array.isArray(v) && v.length === 2,
);

/** The signature of torch.optim.Adam (`adamw`: AdamW's, whose keyword-only list is shorter). */
export function adamSignature(name: "Adam" | "AdamW", weightDecay: number) {
  return signature(
    name,
    {
      params: unchecked,
      lr: opt(num, 1e-3),
      betas: opt(pair, [0.9, 0.999] as [number, number]),
      eps: opt(num, 1e-8),
      weightDecay: opt(num, weightDecay),
      amsgrad: opt(bool, false),
    },
    {
      maximize: opt(bool, false),
      foreach: opt(nullable(bool), null),
      capturable: opt(oneOf(false), false),
      ...(name === "Adam"
        ? { differentiable: opt(oneOf(false), false), fused: opt(oneOf(false), false) }
        : {}),
    },
  );
}
const ADAM = adamSignature("Adam", 0);

/** The defaults an Adam-style optimizer keeps, from its parsed arguments. */
export function adamDefaults(o: AdamDefaults): AdamDefaults {
  return {
    lr: o.lr,
    betas: o.betas,
    eps: o.eps,
    weightDecay: o.weightDecay,
    amsgrad: o.amsgrad,
    maximize: o.maximize,
  };
}

/** The hyperparameters of one Adam or AdamW update. */
export interface AdamUpdate {
  lr: number;
  betas: readonly [number, number] | readonly number[];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/**
 * The Adam update, in place (PyTorch 1.13's `_single_tensor_adam`), with `steps[i]` the step
 * number t already incremented: g ← ±grad + λθ; m ← β₁m + (1-β₁)g; v ← β₂v + (1-β₂)g²;
 * v̂ ← max(v̂, v) (amsgrad); θ ← θ - γ/(1-β₁ᵗ) · m / (√v / √(1-β₂ᵗ) + ε).
 */
export function adam(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  expAvgs: readonly Tensor[],
  expAvgSqs: readonly Tensor[],
  maxExpAvgSqs: readonly Tensor[],
  steps: readonly number[],
  o: AdamUpdate,
): void {
  if (arguments.length > 7) checkArity("optim.adam", arguments, 7);
  const [beta1, beta2] = o.betas as [number, number];
  noGrad(() => {
    params.forEach((param, i) => {
      if (
        adamFused(
          param,
          grads[i]!,
          expAvgs[i]!,
          expAvgSqs[i]!,
          maxExpAvgSqs[i],
          steps[i]!,
          o,
          false,
        )
      ) {
        return;
      }
      let grad = o.maximize ? grads[i]!.neg() : grads[i]!;
      if (o.weightDecay !== 0) grad = grad.add(param, { alpha: o.weightDecay });
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
 * One Adam (or, `decoupled`, AdamW) step through the backend's fused kernel, when it has one and
 * the tensors are contiguous float32; false when the composition must run instead.
 */
export function adamFused(
  param: Tensor,
  grad: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  maxExpAvgSq: Tensor | undefined,
  step: number,
  o: AdamUpdate,
  decoupled: boolean,
): boolean {
  const kernel = fusedKernels()?.adam;
  const vmax = o.amsgrad ? (maxExpAvgSq ?? null) : null;
  if (kernel === undefined || (o.amsgrad && vmax === null)) return false;
  if (!fusableUpdate(param, grad, expAvg, expAvgSq, vmax)) return false;
  const [beta1, beta2] = o.betas as [number, number];
  kernel(f32(param), f32(grad), f32(expAvg), f32(expAvgSq), vmax === null ? null : f32(vmax), {
    beta1,
    beta2,
    eps: o.eps,
    weightDecay: o.weightDecay,
    decoupled,
    lr: o.lr,
    maximize: o.maximize,
    biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** step),
    stepSize: o.lr / (1 - beta1 ** step),
  });
  for (const t of [param, expAvg, expAvgSq, vmax]) if (t !== null) t.storage.version++;
  return true;
}

/** The part Adam and AdamW share: moment updates, bias correction and the parameter step. */
export function adamMoments(
  param: Tensor,
  grad: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  maxExpAvgSq: Tensor | undefined,
  step: number,
  o: AdamUpdate,
  beta1: number,
  beta2: number,
): void {
  expAvg.mul_(beta1).add_(grad, { alpha: 1 - beta1 });
  expAvgSq.mul_(beta2).addcmul_(grad, grad, { value: 1 - beta2 });
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const stepSize = o.lr / biasCorrection1;
  const bc2Sqrt = Math.sqrt(biasCorrection2);
  let second = expAvgSq;
  if (o.amsgrad) {
    maxExpAvgSq!.copy_(maxExpAvgSq!.maximum(expAvgSq));
    second = maxExpAvgSq!;
  }
  const denom = second.sqrt().div(bc2Sqrt).add_(o.eps);
  param.addcdiv_(expAvg, denom, { value: -stepSize });
}

export type AdamGroup = ParamGroup<AdamDefaults>;

/** Gathers one group's tensors, creating Adam/AdamW state on first use, and runs `update`. */
export function adamStep(
  opt: Optimizer<AdamDefaults>,
  state: (p: Tensor) => Record<string, unknown>,
  update: typeof adam,
): void {
  for (const group of opt.paramGroups) {
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    const expAvgs: Tensor[] = [];
    const expAvgSqs: Tensor[] = [];
    const maxExpAvgSqs: Tensor[] = [];
    const steps: number[] = [];
    for (const p of group.params) {
      const grad = p.peekGrad();
      if (grad === null) continue;
      const s = state(p);
      if (Object.keys(s).length === 0) {
        s.step = 0;
        s.exp_avg = zerosLike(p);
        s.exp_avg_sq = zerosLike(p);
        if (group.amsgrad) s.max_exp_avg_sq = zerosLike(p);
      }
      s.step = (s.step as number) + 1;
      params.push(p);
      grads.push(grad);
      expAvgs.push(s.exp_avg as Tensor);
      expAvgSqs.push(s.exp_avg_sq as Tensor);
      if (group.amsgrad) maxExpAvgSqs.push(s.max_exp_avg_sq as Tensor);
      steps.push(s.step as number);
    }
    update(params, grads, expAvgs, expAvgSqs, maxExpAvgSqs, steps, group);
  }
}

/** The checks torch.optim.Adam and AdamW run on their options. */
export function validateAdam(name: string, o: Partial<AdamDefaults>, where: string): void {
  checkLr(name, o.lr, where);
  checkNonNegative(name, "eps", o.eps, where);
  if (o.betas !== undefined) {
    if (!Array.isArray(o.betas) || o.betas.length !== 2) {
      throw new ValueError(
        `${name}: invalid betas${where}: ${String(o.betas)}; expected [beta1, beta2]`,
      );
    }
    o.betas.forEach((b, i) => {
      if (typeof b !== "number" || !(b >= 0 && b < 1)) {
        throw new ValueError(
          `${name}: invalid beta parameter at index ${i}${where}: ${String(b)}; expected 0 <= betas[${i}] < 1`,
        );
      }
    });
  }
  checkNonNegative(name, "weightDecay", o.weightDecay, where);
}

/**
 * Adam, as torch.optim.Adam: weight decay is an L2 term added to the gradient. Arguments in
 * PyTorch's order (lr, betas, eps, weightDecay, amsgrad), positional or as options; the
 * keyword-only maximize, foreach, capturable, differentiable, fused as options.
 * Defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false, maximize false.
 * State per parameter: `step`, `exp_avg`, `exp_avg_sq` (and `max_exp_avg_sq` with amsgrad).
 *
 * @example const opt = new optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends Optimizer<AdamDefaults> {
  /**
   * Creates the optimizer over `params` (tensors or param groups); the hyperparameters follow in
   * PyTorch's order, positional or as options.
   */
  constructor(params: Params<AdamDefaults>, ...rest: WithOptions<AdamPositional, AdamOptions>) {
    super("Adam", params, adamDefaults(parseArgs(ADAM, [params, ...rest])));
  }

  protected override validate(o: Partial<AdamDefaults>, where: string): void {
    validateAdam(this.name, o, where);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    adamStep(this, (p) => this.stateOf(p), adam);
    return loss;
  }
}

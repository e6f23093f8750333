// SparseAdam, as torch.optim.SparseAdam of PyTorch 1.13: Adam for sparse gradients. Kiln's
// gradients are always dense (nn.Embedding's `sparse: true` gives dense gradients), so `step()`
// refuses every gradient exactly as PyTorch refuses a dense one. Depends on the optimizer base.

import { bool, num, opt, parseArgs, signature, unchecked, type WithOptions } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Optimizer, type Params } from "./optimizer.ts";
import { checkTorchAdamLike, checkTorchLr, pair } from "./torch-checks.ts";

/** Options of SparseAdam; defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, maximize false. */
export interface SparseAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  maximize?: boolean;
}

/** The options a SparseAdam param group keeps. */
export type SparseAdamDefaults = Required<SparseAdamOptions>;

const SPARSE_ADAM = signature("SparseAdam", {
  params: unchecked,
  lr: opt(num, 1e-3),
  betas: opt(pair, [0.9, 0.999] as [number, number]),
  eps: opt(num, 1e-8),
  maximize: opt(bool, false),
});

/**
 * SparseAdam, as torch.optim.SparseAdam; arguments in PyTorch's order (lr, betas, eps,
 * maximize), positional or as options, checked as PyTorch does (lr > 0, eps > 0). Kiln has no
 * sparse gradients, so `step()` throws PyTorch's "SparseAdam does not support dense gradients,
 * please consider Adam instead" for any parameter with a gradient; use Adam.
 */
export class SparseAdam extends Optimizer<SparseAdamDefaults> {
  /** Creates the optimizer over `params`; hyperparameters in PyTorch's order or as options. */
  constructor(
    params: Params<SparseAdamDefaults>,
    ...rest: WithOptions<
      [lr: number, betas: [number, number], eps: number, maximize: boolean],
      SparseAdamOptions
    >
  ) {
    const o = parseArgs(SPARSE_ADAM, [params, ...rest]);
    super("SparseAdam", params, { lr: o.lr, betas: o.betas, eps: o.eps, maximize: o.maximize });
  }

  protected override validate(o: Partial<SparseAdamDefaults>, where: string): void {
    checkTorchLr(this.name, o.lr, where, true);
    checkTorchAdamLike(this.name, { betas: o.betas, eps: o.eps }, where, true);
  }

  override step(closure?: () => Tensor | number): Tensor | number | undefined {
    const loss = this.evalClosure(closure);
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.peekGrad() !== null) {
          throw new ValueError(
            "SparseAdam does not support dense gradients, please consider Adam instead",
          );
        }
      }
    }
    return loss;
  }
}

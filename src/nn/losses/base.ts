// The base of the loss modules in this folder: the `reduction` every one holds, and the
// deprecated `sizeAverage`/`reduce` constructor slots, accepted only as null (as src/nn/loss.ts).
// Depends on src/nn/module.ts and src/nn/functional/args.ts only.

import { onlyNull } from "../functional/args.ts";
import type { Legacy, Reduction } from "../functional/loss.ts";
import { Module } from "../module.ts";

/** The deprecated `size_average`/`reduce` parameter: null only. */
export const legacy = onlyNull("sizeAverage and reduce are deprecated in PyTorch; use reduction");

/** The deprecated slots and `reduction`, as options. */
export interface ReductionOptions {
  sizeAverage?: Legacy;
  reduce?: Legacy;
  reduction?: Reduction;
}

/** A loss module: holds how `forward` reduces the elementwise loss, as PyTorch's _Loss. */
export abstract class ReducedLoss extends Module {
  /** How `forward` reduces the elementwise loss: "none", "mean" (the default) or "sum". */
  readonly reduction: Reduction;
  constructor(reduction: Reduction) {
    super();
    this.reduction = reduction;
  }
}

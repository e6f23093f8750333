// The fused kernels the conformance suite knows, and which cases check each. A backend provides
// any subset (FusedKernels are optional); the suite checks those it has.

import type { FusedKernels } from "../../src/backend/backend.ts";
import type { FusedCtx, Run } from "./fused-common.ts";
import { adamRun, reluBackwardRun, sgdRun } from "./fused-optim.ts";
import { gruCellRun, lstmCellRun } from "./fused-rnn.ts";
import { batchNormRun, crossEntropyRun, linearRun } from "./fused-rows.ts";
import { layerNormRun, softmaxRun } from "./fused-softmax-norm.ts";
import { avgPoolRun, convRun, maxPoolRun } from "./fused-window.ts";

export const FUSED_KERNEL_NAMES = [
  "conv2d",
  "conv2dInputGrad",
  "conv2dWeightGrad",
  "maxPool2d",
  "maxPool2dBackward",
  "avgPool2d",
  "avgPool2dBackward",
  "batchNorm",
  "batchNormBackward",
  "layerNorm",
  "layerNormBackward",
  "softmax",
  "softmaxBackward",
  "crossEntropy",
  "crossEntropyBackward",
  "linear",
  "linearBackward",
  "reluBackward",
  "lstmCell",
  "lstmCellBackward",
  "gruCell",
  "gruCellBackward",
  "sgdMany",
  "adam",
] as const satisfies readonly (keyof FusedKernels)[];
export type FusedName = (typeof FUSED_KERNEL_NAMES)[number];

const CASES: Record<FusedName, Run> = {
  conv2d: convRun,
  conv2dInputGrad: convRun,
  conv2dWeightGrad: convRun,
  maxPool2d: maxPoolRun,
  maxPool2dBackward: maxPoolRun,
  avgPool2d: avgPoolRun,
  avgPool2dBackward: avgPoolRun,
  batchNorm: batchNormRun,
  batchNormBackward: batchNormRun,
  layerNorm: layerNormRun,
  layerNormBackward: layerNormRun,
  softmax: softmaxRun,
  softmaxBackward: softmaxRun,
  crossEntropy: crossEntropyRun,
  crossEntropyBackward: crossEntropyRun,
  linear: linearRun,
  linearBackward: linearRun,
  reluBackward: reluBackwardRun,
  lstmCell: lstmCellRun,
  lstmCellBackward: lstmCellRun,
  gruCell: gruCellRun,
  gruCellBackward: gruCellRun,
  sgdMany: sgdRun,
  adam: adamRun,
};

/** Runs the cases of one fused kernel of `ctx.kernels` (which must provide it). */
export function fusedCases(name: FusedName, ctx: FusedCtx): void {
  CASES[name](ctx.kernels.fused as FusedKernels, ctx, name);
}

// The CTC loss module: a thin Module wrapper over ctcLoss (ctc-lattice.ts) with PyTorch's
// constructor arguments and attributes. Depends on src/nn/module.ts and ctc-lattice.ts only.

import { bool, int, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import type { FloatDType } from "../../core/dtype.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { reductionArg } from "../functional/args.ts";
import type { Reduction } from "../functional/loss.ts";
import { ReducedLoss } from "./base.ts";
import { type CTCOptions, ctcLoss, type Lengths } from "./ctc-lattice.ts";

const CTC = signature("nn.CTCLoss", {
  blank: opt(int, 0),
  reduction: reductionArg,
  zeroInfinity: opt(bool, false),
});

/**
 * Connectionist temporal classification loss, as torch.nn.CTCLoss(blank=0, reduction='mean',
 * zero_infinity=False). `logProbs [T, N, C]` (logSoftmax over C), targets `[N, S]` padded or
 * concatenated `[Σ targetLengths]`, lengths as int32 tensors or arrays.
 *
 * @example new nn.CTCLoss().forward(logits.logSoftmax(2), targets, inputLengths, targetLengths);
 */
export class CTCLoss extends ReducedLoss {
  /** The blank label (default 0). */
  readonly blank: number;
  /** Whether infinite losses (impossible alignments) and their gradients become 0 (default false). */
  readonly zeroInfinity: boolean;
  /** `(blank = 0, reduction = "mean", zeroInfinity = false)`, positional or as one options object. */
  constructor(
    ...args: WithOptions<[blank: number, reduction: Reduction, zeroInfinity: boolean], CTCOptions>
  ) {
    const a = parseArgs(CTC, args);
    super(a.reduction);
    this.blank = a.blank;
    this.zeroInfinity = a.zeroInfinity;
  }
  /** The loss, as torch.nn.CTCLoss.forward(log_probs, targets, input_lengths, target_lengths). */
  override forward(
    logProbs: Tensor,
    targets: Tensor,
    inputLengths: Lengths,
    targetLengths: Lengths,
  ): Tensor<FloatDType> {
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, {
      blank: this.blank,
      reduction: this.reduction,
      zeroInfinity: this.zeroInfinity,
    });
  }
}

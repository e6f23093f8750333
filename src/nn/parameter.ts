// nn.Parameter: a Tensor that a Module registers as a learnable weight. It shares storage with
// the tensor it wraps, as torch.nn.Parameter does. Depends only on src/tensor and src/core.

import { bool, instanceOf, opt, parseArgs, signature } from "../core/args.ts";
import { Tensor } from "../tensor/tensor.ts";

const PARAMETER = signature("nn.Parameter", {
  data: opt(instanceOf(Tensor, "a Tensor")),
  requiresGrad: opt(bool, true),
});
const BUFFER = signature(
  "nn.Buffer",
  { data: instanceOf(Tensor, "a Tensor") },
  { persistent: opt(bool, true) },
);

/**
 * A learnable tensor: `requiresGrad` is true by default and a Module holding it in a field
 * registers it. Shares memory with `data`.
 *
 * @example const w = new nn.Parameter(randn(3, 4)); w.requiresGrad; // true
 */
export class Parameter extends Tensor {
  /**
   * Wraps `data` (default an empty float32 tensor) without copying; `requiresGrad` defaults to
   * true.
   */
  constructor(data?: Tensor, requiresGrad = true) {
    parseArgs(PARAMETER, arguments);
    const d = data ?? Tensor.fromData(new Float32Array(0), [0], "float32");
    super(d.storage, d.shape, d.strides, d.offset, d.dtype, null);
    this.requiresGrad_(requiresGrad);
  }

  /** Prints as PyTorch does: "Parameter containing:" above the tensor. */
  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/** A tensor that `Module` keeps as a buffer when held in a field, as torch.nn.Buffer (2.5+). */
export class Buffer extends Tensor {
  /** Whether the buffer goes into `stateDict()` (default true). */
  readonly persistent: boolean;
  /** Wraps `data` without copying; `{ persistent: false }` keeps it out of the state dict. */
  constructor(data: Tensor, options: { persistent?: boolean } = {}) {
    parseArgs(BUFFER, arguments);
    super(data.storage, data.shape, data.strides, data.offset, data.dtype, null);
    this.persistent = options.persistent ?? true;
  }
}

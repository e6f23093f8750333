// nn.Parameter: a Tensor that a Module registers as a learnable weight. It shares storage with
// the tensor it wraps, as torch.nn.Parameter does. Depends only on src/tensor and src/core.

import type { DType } from "../core/dtype.ts";
import { Tensor } from "../tensor/tensor.ts";

/**
 * A learnable tensor: `requiresGrad` is true by default and a Module holding it in a field
 * registers it. Shares memory with `data`.
 *
 * @example const w = new nn.Parameter(randn(3, 4)); w.requiresGrad; // true
 */
export class Parameter extends Tensor {
  constructor(data?: Tensor, requiresGrad = true) {
    const d = data ?? Tensor.fromData(new Float32Array(0), [0], "float32");
    super(d.storage, d.shape, d.strides, d.offset, d.dtype, null);
    this.requiresGrad_(requiresGrad);
  }

  override toString(): string {
    return `Parameter containing:\n${super.toString()}`;
  }
}

/** A tensor that `Module` keeps as a buffer when held in a field, as torch.nn.Buffer (2.5+). */
export class Buffer extends Tensor {
  readonly persistent: boolean;
  constructor(data: Tensor, options: { persistent?: boolean } = {}) {
    super(data.storage, data.shape, data.strides, data.offset, data.dtype, null);
    this.persistent = options.persistent ?? true;
  }
}

/**
 * Points `t` at the memory of `src` (same object, new data), as `param.data = src` in PyTorch.
 * NOTE: Tensor's geometry fields are `readonly` to users; only Module.to uses this, so
 * optimizers and references keep seeing the same Parameter object.
 */
export function replaceData(t: Tensor, src: Tensor): void {
  const w = t as unknown as {
    storage: Tensor["storage"];
    shape: readonly number[];
    strides: readonly number[];
    offset: number;
    dtype: DType;
  };
  w.storage = src.storage;
  w.shape = src.shape;
  w.strides = src.strides;
  w.offset = src.offset;
  w.dtype = src.dtype;
}

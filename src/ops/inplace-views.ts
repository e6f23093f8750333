// The in-place view ops squeeze_, unsqueeze_, t_, transpose_, swapaxes_ / swapdims_: the tensor
// object takes the view's geometry (same storage), as torch.Tensor's methods of those names do,
// and autograd records the view op on it. Must not depend on nn or anything above ops.

import { AutogradError } from "../core/errors.ts";
import { isGradEnabled } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor-class.ts";

/**
 * Makes `t` the view `f(t)` in place. With autograd on, `f` runs on an alias carrying t's current
 * node, so the new node's input is the old t (not t itself, which would be a cycle).
 */
function viewInplace<T extends Tensor>(op: string, t: T, f: (x: Tensor) => Tensor): T {
  const grad = isGradEnabled() && t.requiresGrad;
  if (grad && t.isLeaf) {
    throw new AutogradError(
      `${op}: a leaf Variable that requires grad is being used in an in-place operation.`,
    );
  }
  let src: Tensor = t;
  if (grad) {
    src = new Tensor(t.storage, t.shape, t.strides, t.offset, t.dtype, t.base);
    src.setGradFn(t.gradFn);
  }
  const v = f(src);
  t.replaceData_(v);
  if (grad) t.setGradFn(v.gradFn);
  return t;
}

/** In-place `squeeze(dim?)`, as torch.Tensor.squeeze_; returns `input`. */
export function squeeze_<T extends Tensor>(input: T, ...args: [dim?: number]): T {
  return viewInplace("squeeze_", input, (x) => x.squeeze(...args));
}

/** In-place `unsqueeze(dim)`, as torch.Tensor.unsqueeze_; returns `input`. */
export function unsqueeze_<T extends Tensor>(input: T, ...args: [dim: number]): T {
  return viewInplace("unsqueeze_", input, (x) => x.unsqueeze(...args));
}

/** In-place `t()`, as torch.Tensor.t_ (at most 2-D); returns `input`. */
export function t_<T extends Tensor>(input: T, ...args: []): T {
  return viewInplace("t_", input, (x) => x.t(...args));
}

/** In-place `transpose(dim0, dim1)`, as torch.Tensor.transpose_; returns `input`. */
export function transpose_<T extends Tensor>(input: T, ...args: [dim0: number, dim1: number]): T {
  return viewInplace("transpose_", input, (x) => x.transpose(...args));
}

/** In-place `swapaxes(axis0, axis1)`, as torch.Tensor.swapaxes_; returns `input`. */
export function swapaxes_<T extends Tensor>(input: T, ...args: [axis0: number, axis1: number]): T {
  return viewInplace("swapaxes_", input, (x) => x.swapaxes(...args));
}

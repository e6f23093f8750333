// Softmax and log-softmax along the last dimension through the backend's fused row kernels: one
// node each (PyTorch's SoftmaxBackward0 / LogSoftmaxBackward0) whose gradient is a kernel too.
// The composition in activation.ts stays the definition (the conformance suite compares the
// kernels with it) and runs wherever the kernels do not fit. Depends on src/ops and src/tensor.

import type { FusedKernels } from "../../backend/backend.ts";
import { f32 } from "../../ops/conv.ts";
import { empty, fusedKernels } from "../../ops/dispatch.ts";
import { record } from "../../tensor/autograd.ts";
import { isGradEnabled } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";

type SoftmaxKernels = Pick<FusedKernels, "softmax" | "softmaxBackward">;

/** The fused kernels when they fit: float32 input, `dim` its last dimension. */
function softmaxKernels(input: Tensor, dim: number): SoftmaxKernels | null {
  const fk = fusedKernels();
  if (fk?.softmax === undefined || fk.softmaxBackward === undefined) return null;
  if (input.dtype !== "float32" || input.ndim === 0) return null;
  if (dim !== input.ndim - 1 && dim !== -1) return null;
  return fk as SoftmaxKernels;
}

/**
 * softmax (or, with `logForm`, log-softmax) of `input` along `dim` through the fused kernels, or
 * null when they do not fit (the caller then runs the composition, the definition).
 */
export function softmaxRows(input: Tensor, dim: number, logForm: boolean): Tensor | null {
  const fk = softmaxKernels(input, dim);
  if (fk === null) return null;
  const N = input.shape[input.ndim - 1]!;
  const M = N === 0 ? 0 : input.numel() / N;
  const x = input.contiguous();
  const y = empty(input.shape, "float32");
  fk.softmax(M, N, f32(x), logForm, f32(y));
  return record(
    y,
    logForm ? "LogSoftmaxBackward0" : "SoftmaxBackward0",
    [input],
    (gy) => {
      // createGraph: PyTorch's formula from the output (saved and version-checked, as the
      // kernel reads it) in differentiable ops, so the gradient records a graph.
      if (isGradEnabled()) {
        const s = (t: Tensor) => t.sum(-1, { keepDim: true });
        return [logForm ? gy.sub(y.exp().mul(s(gy))) : y.mul(gy.sub(s(gy.mul(y))))];
      }
      const gx = empty(input.shape, "float32");
      fk.softmaxBackward(M, N, f32(y), f32(gy.contiguous()), logForm, f32(gx));
      return [gx];
    },
    [y],
  );
}

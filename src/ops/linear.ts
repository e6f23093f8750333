// linear through a backend's fused kernels: x·Wᵀ + b as one node whose gradients come straight
// in the parameters' layout (gW = gᵀ·x, no transpose and no copy). nn.functional.linear composes
// matmul and add when the backend has no such kernels; the names of the nodes are the same.
// Depends on src/ops and below.

import type { FusedKernels } from "../backend/backend.ts";
import { claimFresh, freshGrad, record } from "../tensor/autograd.ts";
import { isGradEnabled } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor-class.ts";
import { f32 } from "./conv.ts";
import { fusedKernels, recycleBuffer, uninitializedF32 } from "./dispatch.ts";
import { matmul } from "./matmul.ts";
import { transpose } from "./movement.ts";
import { sum } from "./reduce.ts";

type LinearKernels = Pick<FusedKernels, "linear" | "linearBackward">;

/**
 * `x [M, K]`, `weight [N, K]`, `bias [N]` → `[M, N]` through the fused kernels, or null when the
 * backend has none, the operands are not 2-D float32 of these shapes, or a dim is empty (the
 * caller, which has checked the shapes, then composes primitives).
 */
export function linearFused(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor | null {
  const fk = fusedKernels();
  if (
    fk?.linear === undefined ||
    fk.linearBackward === undefined ||
    x.ndim !== 2 ||
    weight.ndim !== 2 ||
    x.dtype !== "float32" ||
    weight.dtype !== "float32" ||
    x.shape[1] !== weight.shape[1] ||
    x.numel() === 0 ||
    weight.numel() === 0 ||
    (bias !== null &&
      (bias.dtype !== "float32" || bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]))
  ) {
    return null;
  }
  return run(fk as LinearKernels, x, weight, bias);
}

function run(fk: LinearKernels, x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [M, K] = x.shape as [number, number];
  const N = weight.shape[0]!;
  const xc = x.contiguous();
  const wc = weight.contiguous();
  const bc = bias?.contiguous() ?? null;
  const out = uninitializedF32([M, N]);
  fk.linear(M, K, N, f32(xc), f32(wc), bc === null ? null : f32(bc), f32(out));
  // The composition's last node: matmul (MmBackward0), then the bias add (AddBackward0).
  return record(
    out,
    bias === null ? "MmBackward0" : "AddBackward0",
    [x, weight, bias],
    (g) => {
      // createGraph: the same products from differentiable ops, so the gradients record a graph.
      if (isGradEnabled()) {
        return [
          x.requiresGrad ? matmul(g, weight) : null,
          weight.requiresGrad ? matmul(transpose(g, 0, 1), x) : null,
          bias?.requiresGrad ? sum(g, [0], false) : null,
        ];
      }
      const gc = f32(g.dtype === "float32" ? g.contiguous() : g.to("float32").contiguous());
      const gx = x.requiresGrad ? uninitializedF32([M, K]) : null;
      const gw = weight.requiresGrad ? uninitializedF32([N, K]) : null;
      const gb = bias?.requiresGrad ? uninitializedF32([N]) : null;
      fk.linearBackward(
        M,
        K,
        N,
        gc,
        f32(xc),
        f32(wc),
        gx === null ? null : f32(gx),
        gw === null ? null : f32(gw),
        gb === null ? null : f32(gb),
      );
      // a fresh incoming gradient nobody else holds serves the next allocation of its size
      if (g.offset === 0 && claimFresh(g)) recycleBuffer(g.storage.data);
      return [freshGrad(gx), freshGrad(gw), freshGrad(gb)];
    },
    bias === null ? [x, weight] : [x, weight, bias],
  );
}

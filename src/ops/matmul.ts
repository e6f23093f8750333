// Matrix products. `bmm` is the primitive (batched [B, M, K] @ [B, K, N] over any strides);
// `matmul` runs a 2-D product as one node and composes bmm with views and expand for 1-D and
// broadcast batched operands.

import type { View } from "../backend/backend.ts";
import { checkArity, showValue } from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { broadcastShapes } from "../core/shape.ts";
import { named, record } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { backend, empty, uninitializedF32 } from "./dispatch.ts";
import { expand, reshape, squeeze, transpose, unsqueeze } from "./movement.ts";

function describe(x: Tensor): string {
  return x.shape.join("x");
}

/** [B, M, K] @ [B, K, N] → [B, M, N]. d(AB) = dA B + A dB, so gA = g Bᵀ and gB = Aᵀ g. */
export function bmm(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== 3 || b.ndim !== 3) {
    throw new ShapeError(`bmm: expected 3-D tensors, got ${a.ndim}-D and ${b.ndim}-D`);
  }
  const [B, M, K] = a.shape as [number, number, number];
  const [B2, K2, N] = b.shape as [number, number, number];
  if (B !== B2 || K !== K2) {
    throw new ShapeError(
      `bmm: Expected size for first two dimensions of batch2 tensor to be: [${B}, ${K}] but got: [${B2}, ${K2}].`,
    );
  }
  const out = productOutput([B, M, N], a.dtype);
  backend().matmul(a.view_(), b.view_(), out.storage.data);
  return record(
    out,
    "BmmBackward0",
    [a, b],
    // Only the gradients some input needs: the first layer's input usually needs none.
    (g) => [
      a.requiresGrad ? bmm(g, transpose(b, 1, 2)) : null,
      b.requiresGrad ? bmm(transpose(a, 1, 2), g) : null,
    ],
    [a, b],
  );
}

/** A product's output: the kernels write every element, so float32 is not zero-filled first. */
function productOutput(shape: number[], dtype: DType): Tensor {
  return dtype === "float32" ? uninitializedF32(shape) : empty(shape, dtype);
}

/** A matrix's kernel view as a one-element batch (no tensor is made for it). */
function asBatch(x: Tensor): View {
  const v = x.view_();
  return { ...v, shape: [1, ...v.shape], strides: [0, ...v.strides] };
}

/**
 * [M, K] @ [K, N] → [M, N] as one node (PyTorch's MmBackward0), without the batch views and
 * reshapes of the general path: a 64x128x10 product spent more time making those tensors than
 * multiplying. gA = g Bᵀ, gB = Aᵀ g.
 */
function mm2(a: Tensor, b: Tensor, M: number, K: number, N: number): Tensor {
  const va = asBatch(a);
  const vb = asBatch(b);
  const out = productOutput([M, N], a.dtype);
  backend().matmul(va, vb, out.storage.data);
  return record(
    out,
    "MmBackward0",
    [a, b],
    (g) => [
      a.requiresGrad ? mm2(g, transpose(b, 0, 1), M, N, K) : null,
      b.requiresGrad ? mm2(transpose(a, 0, 1), g, K, M, N) : null,
    ],
    [a, b],
  );
}

/**
 * Matrix product with NumPy semantics, as torch.matmul: 1-D·1-D is a dot product, a 1-D
 * operand gains (then loses) a unit dimension, batch dimensions broadcast.
 * `[*, M, K] @ [*, K, N] → [*, M, N]`.
 */
export function matmul<A extends DType, B extends DType>(
  a: Tensor<A>,
  b: Tensor<B>,
): Tensor<Extract<A, B>>;
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (arguments.length > 2) checkArity("matmul", arguments, 2);
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) {
    const [name, v] = a instanceof Tensor ? ["other", b] : ["input", a];
    throw new ValueError(`matmul: argument "${name}" must be a Tensor, got ${showValue(v)}`);
  }
  if (a.ndim === 0 || b.ndim === 0) {
    throw new ShapeError(
      `matmul: both arguments to matmul need to be at least 1D, but they are ${a.ndim}D and ${b.ndim}D`,
    );
  }
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      `matmul: expected both operands to have the same dtype, but got ${a.dtype} and ${b.dtype}`,
    );
  }
  if (a.dtype === "bool")
    throw new DTypeError(
      "matmul: bool tensors are not supported (expected int32, float32 or float64)",
    );
  const a2 = a.ndim === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.ndim === 1 ? unsqueeze(b, 1) : b;
  const M = a2.shape[a2.ndim - 2]!;
  const K = a2.shape[a2.ndim - 1]!;
  const K2 = b2.shape[b2.ndim - 2]!;
  const N = b2.shape[b2.ndim - 1]!;
  if (K !== K2) {
    if (a.ndim === 1 && b.ndim === 1) {
      throw new ShapeError(
        `matmul: inconsistent tensor size, expected tensor [${a.shape[0]}] and src [${b.shape[0]}] to have the same number of elements, but got ${a.shape[0]} and ${b.shape[0]} elements respectively`,
      );
    }
    throw new ShapeError(
      `matmul: mat1 and mat2 shapes cannot be multiplied (${describe(a2.ndim === 2 ? a2 : reshape(a2, [-1, K]))} and ${describe(b2)})`,
    );
  }
  if (a.ndim === 2 && b.ndim === 2) return mm2(a, b, M, K, N);
  if (a2.ndim >= 3 && b2.ndim === 2) {
    // As PyTorch: a batch of rows times one matrix is one product of all the rows, so that the
    // matrix's gradient is one product too (not one per batch element, then a sum).
    const rows = reshape(a2, [1, -1, K]);
    let out = reshape(bmm(rows, unsqueeze(b2, 0)), [...a2.shape.slice(0, -1), N]);
    if (b.ndim === 1) out = squeeze(out, -1);
    return named(out, matmulName(a.ndim, b.ndim), [a, b]);
  }
  const batch = broadcastShapes("matmul", a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  const nb = batch.reduce((x, y) => x * y, 1);
  const a3 = reshape(expand(a2, [...batch, M, K]), [nb, M, K]);
  const b3 = reshape(expand(b2, [...batch, K, N]), [nb, K, N]);
  let out = reshape(bmm(a3, b3), [...batch, M, N]);
  if (a.ndim === 1) out = squeeze(out, -2);
  if (b.ndim === 1) out = squeeze(out, -1);
  return named(out, matmulName(a.ndim, b.ndim), [a, b]);
}

// PyTorch 1.13's grad_fn names for torch.matmul by operand ranks (1-D @ 2-D is a squeeze there).
function matmulName(na: number, nb: number): string {
  if (na >= 3 || nb >= 3) return "UnsafeViewBackward0";
  if (na === 1 && nb === 1) return "DotBackward0";
  if (na === 2 && nb === 1) return "MvBackward0";
  if (na === 2 && nb === 2) return "MmBackward0";
  return "SqueezeBackward3";
}

// Multi-output results (PyTorch's named tuples: `topk(x, 3)` is `(values, indices)`): an array
// in PyTorch's order that also carries PyTorch's field names, so both
// `const [values, indices] = topk(x, 3)` and `topk(x, 3).indices` work.
// Depends on nothing but the Tensor type.

import type { DType } from "../core/dtype.ts";
import type { Tensor } from "../tensor/tensor-class.ts";

/** `[values, indices]` with the fields `values` and `indices`, as torch.return_types.topk. */
export type ValuesIndices<D extends DType = DType> = [
  values: Tensor<D>,
  indices: Tensor<"int32">,
] & {
  readonly values: Tensor<D>;
  readonly indices: Tensor<"int32">;
};

/** An array of `values` that also carries them under `names`, as a PyTorch named tuple. */
export function namedTuple<T extends readonly unknown[]>(names: readonly string[], values: T): T {
  const out = [...values] as unknown as T;
  names.forEach((n, i) => {
    Object.defineProperty(out, n, { value: values[i], enumerable: false });
  });
  return out;
}

/** `[values, indices]` carrying the fields `values` and `indices`. */
export function valuesIndices<D extends DType>(
  values: Tensor<D>,
  indices: Tensor,
): ValuesIndices<D> {
  return namedTuple(["values", "indices"], [values, indices]) as unknown as ValuesIndices<D>;
}

// Row gather for batches: out[r] = t[indices[r]] along dimension 0, as `t.indexSelect(0, idx)`.
// A contiguous tensor that needs no gradient is gathered by copying whole rows (one memcpy per
// row); anything else goes through indexSelect.
// NOTE: indexSelect builds a flat position per element; for MNIST rows the copy is ~4× faster.

import { Tensor } from "../tensor/tensor.ts";
import { checkIndex } from "./check-index.ts";

/** `t.indexSelect(0, indices)` (negative indices count from the end), one row copy at a time. */
export function gatherRows(op: string, t: Tensor, indices: readonly number[]): Tensor {
  const n = t.shape[0]!;
  if (t.requiresGrad || !t.isContiguous()) {
    const idx = Int32Array.from(indices, (i) => checkIndex(op, i, n));
    return t.indexSelect(0, Tensor.fromData(idx, [idx.length], "int32"));
  }
  const row = n === 0 ? 0 : t.numel() / n;
  const src = t.storage.data;
  const out = new (src.constructor as Float32ArrayConstructor)(indices.length * row);
  for (let r = 0; r < indices.length; r++) {
    const from = t.offset + checkIndex(op, indices[r]!, n) * row;
    out.set((src as Float32Array).subarray(from, from + row), r * row);
  }
  return Tensor.fromData(out, [indices.length, ...t.shape.slice(1)], t.dtype);
}

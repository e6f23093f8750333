// Row access for ops that loop over one dimension in TypeScript (sort, topk, mode, cummax, ...):
// the input's values with that dimension moved last, as one contiguous typed array, and the way
// back from a result laid out like that to the input's dimension order.
// Reads tensors only through contiguous copies; depends on movement ops, not on backends.

import type { TypedArray } from "../core/dtype.ts";
import { normalizeDim } from "../core/shape.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { permute } from "./movement.ts";

/** The values of `x` along `dim`, row by row (the dim moved last). */
export interface Rows {
  /** The values, `rows × len`, row-major. */
  data: TypedArray;
  /** How many rows (the product of the other dims). */
  rows: number;
  /** The length of each row (the size of `dim`; 1 for a 0-d tensor). */
  len: number;
  /** The normalized dim (0 for a 0-d tensor). */
  dim: number;
  /** The shape with `dim` moved last. */
  lastShape: number[];
  /** Moves the last dim of a tensor laid out like `lastShape` back to `dim` (a view). */
  back: (t: Tensor) => Tensor;
}

/** `x` read along `dim` (negative counts from the end; a 0-d tensor is one row of one). */
export function rowsOf(op: string, x: Tensor, dim: number): Rows {
  if (x.ndim === 0) {
    normalizeDim(op, dim, 1);
    return { data: x.detach().dataSync(), rows: 1, len: 1, dim: 0, lastShape: [], back: (t) => t };
  }
  const d = normalizeDim(op, dim, x.ndim);
  const order = x.shape.map((_, i) => i).filter((i) => i !== d);
  order.push(d);
  const inverse = new Array<number>(order.length);
  order.forEach((o, i) => {
    inverse[o] = i;
  });
  const p = permute(x.detach(), order);
  const len = x.shape[d]!;
  return {
    data: p.dataSync(),
    rows: len === 0 ? 0 : x.numel() / len,
    len,
    dim: d,
    lastShape: [...p.shape],
    back: (t) => permute(t, inverse),
  };
}

/** An int32 tensor over `data` in `shape`. */
export function int32Tensor(data: Int32Array, shape: readonly number[]): Tensor<"int32"> {
  return Tensor.fromData(data, shape, "int32");
}

/** Ascending order with NaN last (as PyTorch sorts); equal values compare 0. */
export function compareAsc(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const na = Number.isNaN(a);
  const nb = Number.isNaN(b);
  return na === nb ? 0 : na ? 1 : -1;
}

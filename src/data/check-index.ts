// The bounds check of a dataset index, shared by the datasets and the row gather.
// Depends only on core/errors.

import { IndexError } from "../core/errors.ts";

/** Checks `i` against `length` (negative counts from the end, as Python's indexing) and returns it. */
export function checkIndex(op: string, i: number, length: number): number {
  if (!Number.isInteger(i) || i < -length || i >= length) {
    throw new IndexError(`${op}: index ${i} is out of range for a dataset of length ${length}`);
  }
  return i < 0 ? i + length : i;
}

// Fetching one batch from a map-style dataset: the gather fast path (`getBatch`) when the default
// collate is in use, otherwise one `get` per index and the collate function. Shared by the main
// thread and the worker threads. Depends on the dataset contract and defaultCollate only.

import { type CollateFn, defaultCollate } from "./collate.ts";
import type { MapDataset } from "./dataset.ts";

/** An error while fetching, tagged with the dataset index that raised it (null: unknown). */
export class SampleError extends Error {
  constructor(
    readonly sampleIndex: number | null,
    readonly original: unknown,
  ) {
    super(original instanceof Error ? original.message : String(original));
  }
}

/** Samples at `indices`, in order; an error names the index that raised it. */
export function fetchSamples<T>(ds: MapDataset<T>, indices: readonly number[]): T[] {
  const out: T[] = [];
  for (const i of indices) {
    try {
      out.push(ds.get(i));
    } catch (e) {
      throw new SampleError(i, e);
    }
  }
  return out;
}

/**
 * The batch at `indices`. With `collate === null` (the default collate), a dataset's `getBatch`
 * is used when it has one; if that throws, the samples are fetched one by one to find the index
 * at fault.
 */
export function fetchBatch<T, B>(
  ds: MapDataset<T>,
  indices: readonly number[],
  collate: CollateFn<T, B> | null,
): B {
  if (collate !== null) return collate(fetchSamples(ds, indices));
  if (ds.getBatch) {
    try {
      return ds.getBatch(indices) as B;
    } catch (e) {
      fetchSamples(ds, indices);
      throw new SampleError(null, e);
    }
  }
  return defaultCollate(fetchSamples(ds, indices)) as B;
}

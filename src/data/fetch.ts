// Fetching one batch: from a map-style dataset, the gather fast path (`getBatch`) when the
// default collate is in use, otherwise one `get` per index and the collate function; from an
// iterable dataset, the next run of consecutive samples. Shared by the main thread and the worker
// threads. Depends on the dataset contract and defaultCollate only.

import { type CollateFn, defaultCollate } from "./collate.ts";
import type { MapDataset } from "./dataset.ts";

/**
 * An error while fetching, tagged with the dataset index (map-style) or the position in the stream
 * (iterable) of the sample that raised it; null when unknown.
 */
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

/**
 * A cursor over an iterable dataset's stream that hands out batches of consecutive samples and
 * counts positions, so an error can name the stream position that raised it. The iterator is
 * created on the first `take`, so an error in `[Symbol.iterator]()` (a sharding bug, say) is
 * reported like any other.
 */
export class StreamCursor<T> {
  readonly #source: Iterable<T>;
  #iterator: Iterator<T> | null = null;
  #position = 0;
  #done = false;

  constructor(source: Iterable<T>) {
    this.#source = source;
  }

  /**
   * The next `size` samples, fewer at the end of the stream, or null when nothing is left (or
   * only a short batch with `dropLast`). An error is a `SampleError` naming the 0-based position
   * in this stream of the sample being fetched (null when creating the iterator failed); the
   * stream is over afterwards, as a generator is after it throws.
   */
  take(size: number, dropLast: boolean): T[] | null {
    if (this.#done) return null;
    const out: T[] = [];
    try {
      this.#iterator ??= this.#source[Symbol.iterator]();
    } catch (e) {
      this.#done = true;
      throw new SampleError(null, e);
    }
    while (out.length < size) {
      let r: IteratorResult<T>;
      try {
        r = this.#iterator.next();
      } catch (e) {
        this.#done = true;
        throw new SampleError(this.#position, e);
      }
      if (r.done) {
        this.#done = true;
        break;
      }
      out.push(r.value);
      this.#position++;
    }
    if (out.length === 0 || (dropLast && out.length < size)) return null;
    return out;
  }

  /** Ends the stream early, letting a generator run its `finally` blocks. */
  close(): void {
    if (!this.#done) this.#iterator?.return?.();
    this.#done = true;
  }
}

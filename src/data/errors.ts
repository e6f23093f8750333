// Errors specific to data loading. Parsers raise the core FormatError; these two cover what is
// not a malformed file: a dataset that is not on disk, and a sample that failed inside a worker.

import { KilnError } from "../core/errors.ts";

/** A dataset directory or file that does not exist; the message lists every path looked at. */
export class DatasetNotFoundError extends KilnError {
  /** The error's class name, "DatasetNotFoundError". */
  override name = "DatasetNotFoundError";
}

/**
 * An error raised while a DataLoader worker thread fetched a sample, re-thrown in the main
 * thread. `sampleIndex` is the dataset index that failed, or for an IterableDataset the 0-based
 * position of the failing item in that worker's own stream (null when the worker failed outside
 * a sample); `workerId` the worker; the worker's own error is kept as `cause`.
 */
export class WorkerError extends KilnError {
  /** The error's class name, "WorkerError". */
  override name = "WorkerError";
  /**
   * Creates the error with its message, the worker's id, the failing sample and, as `cause`, the
   * worker's own error.
   */
  constructor(
    message: string,
    /** The id of the worker that failed, 0-based. */
    readonly workerId: number,
    /**
     * The dataset index that failed (for an IterableDataset, the item's position in the worker's
     * stream), or null outside a sample.
     */
    readonly sampleIndex: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

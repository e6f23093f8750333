// The DataLoader's worker pool in the browser bundle (swapped in for worker-pool.ts by
// tools/build-browser.mjs): worker threads rebuild datasets from their modules' files, which a
// page cannot, so `numWorkers > 0` throws NodeOnlyError and loading runs in the caller
// (numWorkers: 0). No Node API.

import { NodeOnlyError } from "../core/node-builtins-browser.ts";
import { WorkerError } from "./errors.ts";

/** As worker-pool.ts's: a worker that did not return a batch within the DataLoader's `timeout`. */
export class WorkerTimeoutError extends WorkerError {
  override name = "WorkerTimeoutError";
}

/** Not in a browser: constructing it throws NodeOnlyError. */
export class WorkerPool {
  constructor(..._args: unknown[]) {
    throw new NodeOnlyError("DataLoader numWorkers > 0 (worker_threads)");
  }
}

// Which DataLoader worker this thread is, as torch.utils.data.get_worker_info. Set by the worker
// entry; null in the main thread. Depends only on core/args.ts.

import { checkArity } from "../core/args.ts";

/** Facts about the current DataLoader worker thread. */
export interface WorkerInfo {
  /** 0 .. numWorkers-1. */
  readonly id: number;
  readonly numWorkers: number;
  /** The seed of this worker: the epoch's base seed + id, as PyTorch. */
  readonly seed: number;
  /**
   * This worker's own copy of the dataset, rebuilt from its `workerSpec()` (PyTorch's
   * `WorkerInfo.dataset`); null while that copy is being constructed.
   */
  readonly dataset: unknown;
}

let current: WorkerInfo | null = null;

/**
 * The current worker's info inside a DataLoader worker thread, null in the main thread, as
 * torch.utils.data.get_worker_info. An `IterableDataset` uses it to shard its stream, since every
 * worker iterates its own copy of the dataset.
 *
 * @example
 * *[Symbol.iterator]() {
 *   const info = getWorkerInfo();
 *   const per = info === null ? this.end - this.start : Math.ceil((this.end - this.start) / info.numWorkers);
 *   const lo = this.start + (info?.id ?? 0) * per;
 *   for (let i = lo; i < Math.min(lo + per, this.end); i++) yield i;
 * }
 */
export function getWorkerInfo(): WorkerInfo | null {
  if (arguments.length > 0) checkArity("getWorkerInfo", arguments, 0);
  return current;
}

export function setWorkerInfo(info: WorkerInfo): void {
  current = info;
}

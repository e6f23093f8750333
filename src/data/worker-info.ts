// Which DataLoader worker this thread is, as torch.utils.data.get_worker_info. Set once by the
// worker entry; null in the main thread. Depends on nothing.

/** Facts about the current DataLoader worker thread. */
export interface WorkerInfo {
  /** 0 .. numWorkers-1. */
  readonly id: number;
  readonly numWorkers: number;
  /** The seed of this worker: the epoch's base seed + id, as PyTorch. */
  readonly seed: number;
}

let current: WorkerInfo | null = null;

/** The current worker's info inside a DataLoader worker thread, null in the main thread. */
export function getWorkerInfo(): WorkerInfo | null {
  return current;
}

export function setWorkerInfo(info: WorkerInfo): void {
  current = info;
}

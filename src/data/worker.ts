// The entry module of a DataLoader worker thread: rebuilds the dataset from its recipe, then
// answers batch requests in the order they arrive. Imported only inside worker threads (by the
// bootstrap in worker-pool.ts); nothing imports it in the main thread.

import { parentPort, workerData } from "node:worker_threads";
import { defaultGenerator, type Generator } from "../core/rng.ts";
import type { MapDataset } from "./dataset.ts";
import { fetchBatch, fetchSamples, SampleError } from "./fetch.ts";
import { setWorkerInfo } from "./worker-info.ts";
import { decodeAsync, encode } from "./worker-spec.ts";

/** What the pool passes to each worker at start. */
export interface WorkerInit {
  dataset: unknown;
  workerId: number;
  numWorkers: number;
  seed: number;
  /** "default": collate in the worker; "samples": send the samples, the main thread collates. */
  collate: "default" | "samples";
}

/** A request from the pool. */
export interface TaskMessage {
  id: number;
  indices: number[];
}

/** A reply to the pool. */
export type ReplyMessage =
  | { type: "result"; id: number; value: unknown }
  | {
      type: "error";
      id: number;
      sampleIndex: number | null;
      error: { name: string; message: string; stack: string };
    };

/** Mixes a generator's own seed with the worker's seed so each worker draws its own stream. */
function reseed(g: Generator, workerSeed: number): Generator {
  return g.manualSeed((Math.imul(g.initialSeed() >>> 0, 0x9e3779b1) ^ workerSeed) >>> 0);
}

function describe(e: unknown): { name: string; message: string; stack: string } {
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack ?? "" };
  return { name: "Error", message: String(e), stack: "" };
}

const port = parentPort;
if (port === null) throw new Error("data/worker.ts must run in a worker thread");
const init = workerData as WorkerInit;
setWorkerInfo({ id: init.workerId, numWorkers: init.numWorkers, seed: init.seed });
defaultGenerator.manualSeed(init.seed);

const ready: Promise<MapDataset<unknown>> = decodeAsync(init.dataset, (g) =>
  reseed(g, init.seed),
).then((ds) => ds as MapDataset<unknown>);
ready.catch(() => {});

let queue: Promise<void> = Promise.resolve();
port.on("message", (task: TaskMessage) => {
  queue = queue.then(() => handle(task));
});

async function handle(task: TaskMessage): Promise<void> {
  let ds: MapDataset<unknown>;
  try {
    ds = await ready;
  } catch (e) {
    const error = describe(e);
    error.message = `could not build the dataset in the worker: ${error.message}`;
    port!.postMessage({
      type: "error",
      id: task.id,
      sampleIndex: null,
      error,
    } satisfies ReplyMessage);
    return;
  }
  try {
    const value =
      init.collate === "default"
        ? fetchBatch(ds, task.indices, null)
        : fetchSamples(ds, task.indices);
    const transfer: ArrayBuffer[] = [];
    const encoded = encode(value, "the batch", transfer);
    port!.postMessage(
      { type: "result", id: task.id, value: encoded } satisfies ReplyMessage,
      transfer,
    );
  } catch (e) {
    const sampleIndex = e instanceof SampleError ? e.sampleIndex : null;
    const error = describe(e instanceof SampleError ? e.original : e);
    port!.postMessage({ type: "error", id: task.id, sampleIndex, error } satisfies ReplyMessage);
  }
}

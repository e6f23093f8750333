// The entry module of a DataLoader worker thread: rebuilds the dataset from its recipe, then
// answers requests in the order they arrive: index lists for a map-style dataset, "next batch"
// for an iterable one. Imported only inside worker threads (by the bootstrap in worker-pool.ts);
// nothing imports it in the main thread.

import { parentPort, workerData } from "node:worker_threads";
import { defaultGenerator, type Generator } from "../core/rng.ts";
import { defaultCollate } from "./collate.ts";
import type { MapDataset } from "./dataset.ts";
import { fetchBatch, fetchSamples, SampleError, StreamCursor } from "./fetch.ts";
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
  /** For an iterable dataset: how the worker batches its stream; null for a map-style dataset. */
  stream: { batchSize: number | null; dropLast: boolean } | null;
  /** The source text of the DataLoader's workerInitFn, or null. */
  workerInitFn: string | null;
}

/**
 * A request from the pool: the samples at `indices` (map-style), or the next batch of the
 * worker's stream (iterable). A `next` with a new `epoch` restarts the stream with a fresh
 * iterator, so persistent workers begin every epoch at the start of their shard.
 */
export type TaskMessage =
  | { kind: "fetch"; id: number; indices: number[] }
  | { kind: "next"; id: number; epoch: number };

/** A reply to the pool; "end" says the worker's stream is exhausted. */
export type ReplyMessage =
  | { type: "result"; id: number; value: unknown }
  | { type: "end"; id: number }
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
const info = { id: init.workerId, numWorkers: init.numWorkers, seed: init.seed };
setWorkerInfo({ ...info, dataset: null });
defaultGenerator.manualSeed(init.seed);

/** Thrown when the workerInitFn fails, so the error names it rather than the dataset. */
class InitError extends Error {}

/**
 * The workerInitFn rebuilt from its source: an arrow or `function` expression as is, a method
 * shorthand (`init(id) { ... }`) through an object literal.
 */
function compileInit(src: string): (id: number) => unknown {
  try {
    return new Function(`return (${src});`)() as (id: number) => unknown;
  } catch {
    const holder = new Function(`return ({ ${src} });`)() as Record<string, unknown>;
    return Object.values(holder)[0] as (id: number) => unknown;
  }
}

const ready: Promise<unknown> = decodeAsync(init.dataset, (g) => reseed(g, init.seed)).then(
  async (ds) => {
    setWorkerInfo({ ...info, dataset: ds });
    if (init.workerInitFn !== null) {
      // As PyTorch's _worker_loop: seeded and WorkerInfo set, then worker_init_fn(worker_id).
      try {
        await compileInit(init.workerInitFn)(init.workerId);
      } catch (e) {
        const err = new InitError(
          `workerInitFn raised in worker ${init.workerId}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` +
            (e instanceof ReferenceError
              ? " (the function runs from its source text in the worker thread, without the variables around it)"
              : ""),
        );
        err.stack = e instanceof Error ? e.stack : undefined;
        throw err;
      }
    }
    return ds;
  },
);
ready.catch(() => {});

let cursor: { epoch: number; stream: StreamCursor<unknown> } | null = null;

let queue: Promise<void> = Promise.resolve();
port.on("message", (task: TaskMessage) => {
  queue = queue.then(() => handle(task));
});

/**
 * The next batch of this worker's stream (its samples when the main thread collates, the item
 * itself without batching), or null at the end of the stream.
 */
function next(ds: unknown, epoch: number): { value: unknown } | null {
  const stream = init.stream!;
  if (cursor === null || cursor.epoch !== epoch) {
    cursor?.stream.close();
    if (typeof (ds as Partial<Iterable<unknown>>)[Symbol.iterator] !== "function") {
      throw new TypeError("the dataset built in the worker is not iterable");
    }
    cursor = { epoch, stream: new StreamCursor(ds as Iterable<unknown>) };
  }
  const samples = cursor.stream.take(stream.batchSize ?? 1, stream.dropLast);
  if (samples === null) return null;
  if (stream.batchSize === null) return { value: samples[0] };
  return { value: init.collate === "default" ? defaultCollate(samples) : samples };
}

async function handle(task: TaskMessage): Promise<void> {
  let ds: unknown;
  try {
    ds = await ready;
  } catch (e) {
    const error = describe(e);
    if (!(e instanceof InitError)) {
      error.message = `could not build the dataset in the worker: ${error.message}`;
    }
    port!.postMessage({
      type: "error",
      id: task.id,
      sampleIndex: null,
      error,
    } satisfies ReplyMessage);
    return;
  }
  try {
    let value: unknown;
    if (task.kind === "next") {
      const batch = next(ds, task.epoch);
      if (batch === null) {
        port!.postMessage({ type: "end", id: task.id } satisfies ReplyMessage);
        return;
      }
      value = batch.value;
    } else {
      const map = ds as MapDataset<unknown>;
      value =
        init.collate === "default"
          ? fetchBatch(map, task.indices, null)
          : fetchSamples(map, task.indices);
    }
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

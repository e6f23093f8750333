// The main-thread side of DataLoader workers: starts worker threads on the worker entry, sends
// them index lists (map-style) or "next batch" requests (iterable), and turns their replies into
// batches or WorkerErrors. Workers are unref'd while idle, so a persistent pool never keeps the
// process alive. Depends on worker-spec only.

import { Worker } from "node:worker_threads";
import { WorkerError } from "./errors.ts";
import type { ReplyMessage, TaskMessage, WorkerInit } from "./worker.ts";
import { decode, specModules } from "./worker-spec.ts";

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  workerId: number;
  /** The dataset indices asked for; null for a "next batch" request of an iterable dataset. */
  indices: readonly number[] | null;
}

/**
 * A worker that did not return a batch within the DataLoader's `timeout`: a WorkerError (with
 * `sampleIndex` null) whose loader has terminated its workers.
 */
export class WorkerTimeoutError extends WorkerError {
  override name = "WorkerTimeoutError";
}

/** "the batch of indices [0, 1, ...]" (at most 8 shown), or the next batch of a stream. */
function describeRequest(indices: readonly number[] | null): string {
  if (indices === null) return "the next batch of its IterableDataset stream";
  return `the batch of indices [${indices.slice(0, 8).join(", ")}${indices.length > 8 ? ", ..." : ""}]`;
}

const ENTRY = new URL(
  import.meta.url.endsWith(".ts") ? "./worker.ts" : "./worker.js",
  import.meta.url,
).href;

// The worker loads TypeScript sources only when this file or a dataset module is TypeScript (a
// source checkout run through tsx); the compiled package needs no loader.
// NOTE: `--import tsx` in the parent's execArgv does not reach a worker's own entry module on
// Node 20, so the bootstrap registers tsx's ESM API itself.
const BOOTSTRAP = `(async () => {
  const { workerData } = await import("node:worker_threads");
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((e) => { setTimeout(() => { throw e; }); });`;

function tsxApi(modules: readonly string[]): string | null {
  if (!modules.some((m) => /\.[mc]?ts$/.test(m))) return null;
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    return null;
  }
}

export interface PoolOptions {
  numWorkers: number;
  seed: number;
  collate: WorkerInit["collate"];
  stream?: WorkerInit["stream"];
  /** The source text of the DataLoader's workerInitFn, or null. */
  workerInitFn?: string | null;
}

/** A fixed set of worker threads, each serving its requests in order. */
export class WorkerPool {
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;

  /** `dataset` is already encoded (see worker-spec.ts). */
  constructor(dataset: unknown, options: PoolOptions) {
    const api = tsxApi([ENTRY, ...specModules(dataset)]);
    for (let id = 0; id < options.numWorkers; id++) {
      const init: WorkerInit = {
        dataset,
        workerId: id,
        numWorkers: options.numWorkers,
        seed: (options.seed + id) >>> 0,
        collate: options.collate,
        stream: options.stream ?? null,
        workerInitFn: options.workerInitFn ?? null,
      };
      const w = new Worker(BOOTSTRAP, {
        eval: true,
        execArgv: [],
        workerData: { ...init, entry: ENTRY, tsxApi: api },
      });
      w.on("message", (m: ReplyMessage) => this.#onReply(m));
      w.on("error", (e) => this.#failWorker(id, e));
      w.on("exit", (code) => {
        if (!this.#closed)
          this.#failWorker(id, new Error(`worker exited unexpectedly with code ${code}`));
      });
      w.unref();
      this.#workers.push(w);
    }
  }

  get size(): number {
    return this.#workers.length;
  }

  /** Asks worker `workerId` for the batch (or samples) at `indices`. */
  run(workerId: number, indices: readonly number[]): Promise<unknown> {
    return this.#send(workerId, indices, (id) => ({ kind: "fetch", id, indices: [...indices] }));
  }

  /**
   * Asks worker `workerId` for the next batch of its iterable dataset's stream; `done` once the
   * stream is exhausted. A new `epoch` makes the worker restart its stream.
   */
  next(workerId: number, epoch: number): Promise<IteratorResult<unknown, undefined>> {
    return this.#send(workerId, null, (id) => ({ kind: "next", id, epoch })) as Promise<
      IteratorResult<unknown, undefined>
    >;
  }

  /**
   * One epoch of an IterableDataset's batches from all workers, in PyTorch's order: round-robin
   * over the workers in worker order, skipping those whose stream has ended, until all have.
   * Each worker has `prefetchFactor` requests in flight; taking a batch from a worker asks it
   * for one more.
   */
  async *roundRobin(epoch: number, prefetchFactor: number, timeoutMs = 0): AsyncGenerator<unknown> {
    const inflight: Promise<IteratorResult<unknown, undefined>>[][] = this.#workers.map(() => []);
    const ask = (w: number): void => {
      const p = this.next(w, epoch);
      p.catch(() => {});
      inflight[w]!.push(p);
    };
    for (let k = 0; k < prefetchFactor; k++) for (let w = 0; w < this.size; w++) ask(w);
    const live = Array.from({ length: this.size }, (_, w) => w);
    let turn = 0;
    while (live.length > 0) {
      const w = live[turn]!;
      const r = await this.wait(inflight[w]!.shift()!, w, timeoutMs, null);
      if (r.done) {
        // Its other requests end too: nothing more is asked of this worker this epoch.
        live.splice(turn, 1);
        if (turn === live.length) turn = 0;
        continue;
      }
      ask(w);
      turn = (turn + 1) % live.length;
      yield r.value;
    }
  }

  /**
   * Waits for a reply of worker `workerId` (to the request for `indices`; null: the next batch of
   * its stream) at most `timeoutMs` milliseconds (0: forever), then rejects with a
   * WorkerTimeoutError (PyTorch: "DataLoader timed out after N seconds"). The caller tears the
   * pool down.
   */
  wait<T>(
    promise: Promise<T>,
    workerId: number,
    timeoutMs: number,
    indices: readonly number[] | null,
  ): Promise<T> {
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) return promise;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const seconds = timeoutMs / 1000;
        reject(
          new WorkerTimeoutError(
            `DataLoader timed out after ${seconds} seconds: worker ${workerId} did not return ${describeRequest(indices)} (timeout option)`,
            workerId,
            null,
          ),
        );
      }, timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  #send(
    workerId: number,
    indices: readonly number[] | null,
    task: (id: number) => TaskMessage,
  ): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error("WorkerPool: the pool is shut down"));
    const id = this.#nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, workerId, indices });
    });
    if (this.#pending.size === 1) for (const w of this.#workers) w.ref();
    this.#workers[workerId]!.postMessage(task(id));
    return promise;
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0 && !this.#closed) for (const w of this.#workers) w.unref();
    return p;
  }

  #onReply(m: ReplyMessage): void {
    const p = this.#settle(m.id);
    if (p === undefined) return;
    if (m.type === "end") {
      p.resolve({ done: true, value: undefined });
      return;
    }
    if (m.type === "result") {
      const value = decode(m.value);
      p.resolve(p.indices === null ? { done: false, value } : value);
      return;
    }
    const cause = new Error(m.error.message);
    cause.name = m.error.name;
    cause.stack = m.error.stack;
    const where =
      p.indices === null
        ? m.sampleIndex === null
          ? "while producing the next batch of its IterableDataset stream"
          : `at item ${m.sampleIndex} of its IterableDataset stream (0-based, counted in this worker)`
        : m.sampleIndex === null
          ? `while fetching ${describeRequest(p.indices)}`
          : `while fetching sample ${m.sampleIndex}`;
    p.reject(
      new WorkerError(
        `DataLoader worker ${p.workerId}: ${m.error.name} ${where}: ${m.error.message}`,
        p.workerId,
        m.sampleIndex,
        {
          cause,
        },
      ),
    );
  }

  #failWorker(workerId: number, e: unknown): void {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    for (const [id, p] of [...this.#pending]) {
      if (p.workerId !== workerId) continue;
      this.#settle(id);
      p.reject(
        new WorkerError(`DataLoader worker ${workerId} died: ${message}`, workerId, null, {
          cause: e,
        }),
      );
    }
  }

  /** Terminates every worker; pending requests are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // NOTE: keep the workers ref'd until they have exited, or an idle event loop could end the
    // process while `close()` is still being awaited.
    for (const w of this.#workers) w.ref();
    for (const [id, p] of [...this.#pending]) {
      this.#settle(id);
      p.reject(new Error("WorkerPool: shut down"));
    }
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

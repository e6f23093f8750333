// The main-thread side of DataLoader workers: starts worker threads on the worker entry, sends
// them index lists, and turns their replies into batches or WorkerErrors. Workers are unref'd
// while idle, so a persistent pool never keeps the process alive. Depends on worker-spec only.

import { Worker } from "node:worker_threads";
import { WorkerError } from "./errors.ts";
import type { ReplyMessage, TaskMessage, WorkerInit } from "./worker.ts";
import { decode, specModules } from "./worker-spec.ts";

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  workerId: number;
  indices: readonly number[];
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
    if (this.#closed) return Promise.reject(new Error("WorkerPool: the pool is shut down"));
    const id = this.#nextId++;
    const promise = new Promise<unknown>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, workerId, indices });
    });
    if (this.#pending.size === 1) for (const w of this.#workers) w.ref();
    const task: TaskMessage = { id, indices: [...indices] };
    this.#workers[workerId]!.postMessage(task);
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
    if (m.type === "result") {
      p.resolve(decode(m.value));
      return;
    }
    const cause = new Error(m.error.message);
    cause.name = m.error.name;
    cause.stack = m.error.stack;
    const where =
      m.sampleIndex === null
        ? `while fetching the batch of indices [${p.indices.slice(0, 8).join(", ")}${p.indices.length > 8 ? ", ..." : ""}]`
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

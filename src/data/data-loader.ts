// DataLoader: batches of a dataset in sampler order, in this thread or from worker threads, as
// torch.utils.data.DataLoader. Depends on datasets, samplers, collate and the worker pool.

import {
  bool,
  custom,
  func,
  instanceOf,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { type Collated, type CollateFn, defaultCollate } from "./collate.ts";
import { type IterableDataset, isIterableDataset, type MapDataset } from "./dataset.ts";
import { WorkerError } from "./errors.ts";
import { fetchBatch, SampleError, StreamCursor } from "./fetch.ts";
import { BatchSampler, RandomSampler, type Sampler, SequentialSampler } from "./samplers.ts";
import { WorkerPool, WorkerTimeoutError } from "./worker-pool.ts";
import { encode } from "./worker-spec.ts";

/**
 * Options of DataLoader after the dataset, PyTorch's keyword arguments camelCased; the only-default
 * ones exist so that PyTorch code ports unchanged.
 */
export interface DataLoaderOptions<T, B> {
  /** Samples per batch (default 1); null turns batching off (each item is yielded as is). */
  batchSize?: number | null;
  /** Reshuffle the indices every epoch (a RandomSampler over the dataset). Default false. */
  shuffle?: boolean;
  /** The index order; excludes `shuffle`. */
  sampler?: Sampler;
  /** Yields whole index lists; excludes batchSize, shuffle, sampler and dropLast. */
  batchSampler?: Sampler<number[]>;
  /** Drop the last batch when it is short (default false). */
  dropLast?: boolean;
  /** Merges a list of samples into a batch (default `defaultCollate`). */
  collateFn?: CollateFn<T, B>;
  /** Drives shuffling and the worker seeds; the same seed gives the same batches. */
  generator?: Generator;
  /** Worker threads fetching batches (default 0: this thread). Needs `for await`. */
  numWorkers?: number;
  /**
   * Batches requested ahead per worker (default 2); a value other than 2 needs numWorkers > 0,
   * as PyTorch 1.13's check.
   */
  prefetchFactor?: number;
  /** Keep the worker threads between epochs (default false). */
  persistentWorkers?: boolean;
  /**
   * Accepted for ported code (default false); it has no effect: Kiln's tensors live in CPU
   * memory, which is what PyTorch's pinned memory is for copying from.
   */
  pinMemory?: boolean;
  /**
   * Seconds to wait for a batch from the workers before throwing a `WorkerError` (default 0:
   * forever); needs `numWorkers > 0`. A timed-out loader terminates its workers.
   */
  timeout?: number;
  /**
   * Called in each worker thread with its id (0..numWorkers−1) after the worker is seeded and its
   * dataset rebuilt (`getWorkerInfo()` works), before any batch; never called with numWorkers 0,
   * as PyTorch's worker_init_fn. A worker thread cannot share the main thread's variables, so the
   * function travels as its source text: it must be self-contained (no closure variables; load
   * modules with `await import(...)`, which the worker awaits when the function returns a
   * promise). An error it throws surfaces as a WorkerError on the first batch from that worker.
   */
  workerInitFn?: ((workerId: number) => void | Promise<void>) | null;
  /** Only null: workers are always Node worker threads. */
  multiprocessingContext?: null;
  /** Only "". */
  pinMemoryDevice?: "";
}

/** The positional parameters of DataLoader after the dataset, in PyTorch's order. */
export type DataLoaderPositional<T, B> = [
  batchSize: number | null,
  shuffle: boolean | null,
  sampler: Sampler | null,
  batchSampler: Sampler<number[]> | null,
  numWorkers: number,
  collateFn: CollateFn<T, B> | null,
  pinMemory: boolean,
  dropLast: boolean,
  timeout: number,
  workerInitFn: ((workerId: number) => void | Promise<void>) | null,
  multiprocessingContext: null,
  generator: Generator | null,
];

const iterable = custom(
  "a sampler (an iterable of indices)",
  (v): v is Sampler =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as Iterable<unknown>)[Symbol.iterator] === "function",
);
const nullOnly = custom("null", (v): v is null => v === null);

/**
 * The source text of `workerInitFn`, to be rebuilt in each worker (functions do not cross
 * threads); native and bound functions have none.
 */
function functionSource(fn: (workerId: number) => unknown): string {
  const src = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(src)) {
    throw new ValueError(
      `DataLoader: workerInitFn ${fn.name || "(anonymous)"} is a native or bound function, whose source cannot be sent to a worker thread; pass a plain self-contained function`,
    );
  }
  return src;
}

/** torch.utils.data.DataLoader's signature (PyTorch 1.13). */
const DATA_LOADER = signature(
  "DataLoader",
  {
    dataset: unchecked,
    batchSize: opt(nullable(int)),
    shuffle: opt(nullable(bool)),
    sampler: opt(nullable(iterable)),
    batchSampler: opt(nullable(iterable)),
    numWorkers: opt(num),
    collateFn: opt(nullable(func)),
    pinMemory: opt(bool, false),
    dropLast: opt(bool),
    timeout: opt(num, 0),
    workerInitFn: opt(nullable(func), null),
    multiprocessingContext: opt(nullOnly, null),
    generator: opt(nullable(instanceOf(Generator, "a Generator"))),
  },
  {
    prefetchFactor: opt(num),
    persistentWorkers: opt(bool),
    pinMemoryDevice: opt(oneOf(""), ""),
  },
);

/**
 * Iterates a dataset in batches, as torch.utils.data.DataLoader. `for...of` works when
 * `numWorkers` is 0; `for await` always works and is required with workers. `length` is the
 * number of batches per epoch.
 *
 * With `numWorkers > 0` each worker thread rebuilds the dataset from its `workerSpec()` (see
 * `WorkerSpec`), and an error in a worker is re-thrown here as a `WorkerError`. Workers collate
 * with `defaultCollate`; a custom `collateFn` runs in this thread on the samples the workers
 * send. Every epoch draws a base seed from the generator; worker k seeds the default generator
 * (and reseeds the generators of its dataset's transforms) with base seed + k, so random
 * augmentations differ between workers but repeat with the same generator seed.
 *
 * - Map-style dataset: index batches are assigned round-robin and come back in sampler order;
 *   a `WorkerError` names the dataset index that failed.
 * - `IterableDataset`: as PyTorch, every worker iterates its own copy of the dataset and batches
 *   its own stream (`dropLast` applies per worker). Without sharding through `getWorkerInfo()`
 *   every worker yields the whole stream, so each item arrives `numWorkers` times. Batches are
 *   taken round-robin in worker order, skipping exhausted workers, until all are done; a
 *   `WorkerError` names the worker and the item's position in that worker's stream.
 *
 * `prefetchFactor` bounds the batches in flight per worker in both cases.
 *
 * Arguments in PyTorch's order (dataset, batchSize, shuffle, sampler, batchSampler, numWorkers,
 * collateFn, pinMemory, dropLast, timeout, workerInitFn, multiprocessingContext, generator),
 * positional or as options, and the keyword-only prefetchFactor, persistentWorkers,
 * pinMemoryDevice as options. `pinMemory` is accepted and has no effect (CPU memory);
 * multiprocessingContext and pinMemoryDevice take only their defaults; any other value throws
 * rather than being ignored. `workerInitFn(workerId)` runs in each worker thread before its first
 * batch (see DataLoaderOptions.workerInitFn: it travels as source text). `prefetchFactor` other
 * than 2 and `persistentWorkers` need numWorkers > 0, as PyTorch 1.13 checks.
 * `timeout` (seconds, as PyTorch's) bounds each wait for a batch from a worker: past it, the
 * pool is terminated and a `WorkerError` names the worker and the seconds; a negative timeout
 * throws, and a positive one with `numWorkers: 0` throws when iterating (PyTorch asserts it).
 *
 * @example
 * const dl = new DataLoader(new TensorDataset(x, y), { batchSize: 64, shuffle: true, generator: new Generator().manualSeed(0) });
 * const same = new DataLoader(new TensorDataset(x, y), 64, true);   // positional, as PyTorch
 * for (const [xb, yb] of dl) { ... }   // xb [64, ...x.shape.slice(1)], yb [64]
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B>, AsyncIterable<B> {
  /** The dataset batches are drawn from. */
  readonly dataset: MapDataset<T> | IterableDataset<T>;
  /** Samples per batch, or null when batching is off. */
  readonly batchSize: number | null;
  /** Whether a short last batch is dropped. */
  readonly dropLast: boolean;
  /**
   * The index order (a SequentialSampler, or a RandomSampler with `shuffle`); null for an
   * IterableDataset.
   */
  readonly sampler: Sampler | null;
  /**
   * The sampler yielding each batch's indices; null when batching is off or for an IterableDataset.
   */
  readonly batchSampler: Sampler<number[]> | null;
  /** Worker threads fetching batches (0: this thread). */
  readonly numWorkers: number;
  /** Batches requested ahead per worker. */
  readonly prefetchFactor: number;
  /** Whether the worker threads are kept between epochs. */
  readonly persistentWorkers: boolean;
  /** The generator driving shuffling and worker seeds, or undefined for the default one. */
  readonly generator: Generator | undefined;
  /** Seconds to wait for a batch from a worker (0: forever). */
  readonly timeout: number;
  /** As given; no effect on Kiln's CPU backends (see DataLoaderOptions.pinMemory). */
  readonly pinMemory: boolean;
  /** Called in each worker thread with its id before its first batch, or null. */
  readonly workerInitFn: ((workerId: number) => void | Promise<void>) | null;
  readonly #collate: CollateFn<T, B> | null;
  #pool: WorkerPool | null = null;
  /** Epochs started, so that persistent workers restart their IterableDataset streams. */
  #epoch = 0;
  /** The batch count `length` last returned for an IterableDataset (PyTorch's `_IterableDataset_len_called`). */
  #reportedLength: number | null = null;

  /**
   * Creates the loader from `(dataset, batchSize?, shuffle?, sampler?, batchSampler?, numWorkers?,
   * collateFn?, ...)` in PyTorch's order, positional or as options.
   */
  constructor(
    dataset: MapDataset<T> | IterableDataset<T>,
    ...rest: WithOptions<DataLoaderPositional<T, B>, DataLoaderOptions<T, B>>
  ) {
    const parsed = parseArgs(DATA_LOADER, [dataset, ...rest]);
    const options = {
      ...parsed,
      generator: parsed.generator ?? undefined,
      shuffle: parsed.shuffle ?? undefined,
      collateFn: (parsed.collateFn ?? undefined) as CollateFn<T, B> | undefined,
      sampler: (parsed.sampler ?? undefined) as Sampler | undefined,
      batchSampler: (parsed.batchSampler ?? undefined) as Sampler<number[]> | undefined,
    };
    this.dataset = dataset;
    this.generator = options.generator;
    this.numWorkers = options.numWorkers ?? 0;
    if (!Number.isInteger(this.numWorkers) || this.numWorkers < 0) {
      throw new ValueError(
        `DataLoader: numWorkers option should be non-negative; use numWorkers: 0 to disable workers (got ${this.numWorkers})`,
      );
    }
    if (
      this.numWorkers === 0 &&
      options.prefetchFactor !== undefined &&
      options.prefetchFactor !== 2
    ) {
      throw new ValueError(
        `DataLoader: prefetchFactor option could only be specified in multiprocessing: let numWorkers > 0 to enable worker threads (got prefetchFactor ${options.prefetchFactor} with numWorkers 0)`,
      );
    }
    if (this.numWorkers === 0 && options.persistentWorkers) {
      throw new ValueError("DataLoader: persistentWorkers option needs numWorkers > 0");
    }
    this.timeout = options.timeout;
    if (!(this.timeout >= 0)) {
      throw new ValueError(
        `DataLoader: timeout option should be non-negative (got ${this.timeout})`,
      );
    }
    this.prefetchFactor = options.prefetchFactor ?? 2;
    if (!Number.isInteger(this.prefetchFactor) || this.prefetchFactor < 1) {
      throw new ValueError(
        `DataLoader: prefetchFactor must be a positive integer (got ${this.prefetchFactor})`,
      );
    }
    this.persistentWorkers = options.persistentWorkers ?? false;
    this.pinMemory = options.pinMemory;
    this.workerInitFn = (options.workerInitFn ?? null) as
      | ((workerId: number) => void | Promise<void>)
      | null;
    this.#collate =
      options.collateFn === undefined || options.collateFn === (defaultCollate as unknown)
        ? null
        : options.collateFn;

    let batchSize = options.batchSize === undefined ? 1 : options.batchSize;
    let dropLast = options.dropLast ?? false;
    const shuffle = options.shuffle ?? false;
    let sampler = options.sampler ?? null;
    let batchSampler = options.batchSampler ?? null;

    if (isIterableDataset(dataset)) {
      if (shuffle)
        throw new ValueError(
          "DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle=true",
        );
      if (sampler)
        throw new ValueError(
          "DataLoader with IterableDataset: expected unspecified sampler option",
        );
      if (batchSampler)
        throw new ValueError(
          "DataLoader with IterableDataset: expected unspecified batchSampler option",
        );
      if (batchSize === null && dropLast) {
        throw new ValueError(
          "DataLoader: batchSize=null option disables auto-batching and is mutually exclusive with dropLast",
        );
      }
    } else {
      if (sampler && shuffle)
        throw new ValueError("DataLoader: sampler option is mutually exclusive with shuffle");
      if (batchSampler) {
        if (options.batchSize !== undefined && options.batchSize !== 1) {
          throw new ValueError(
            "DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast",
          );
        }
        if (shuffle || sampler || dropLast) {
          throw new ValueError(
            "DataLoader: batchSampler option is mutually exclusive with batchSize, shuffle, sampler, and dropLast",
          );
        }
        batchSize = null;
        dropLast = false;
      } else if (batchSize === null && dropLast) {
        throw new ValueError(
          "DataLoader: batchSize=null option disables auto-batching and is mutually exclusive with dropLast",
        );
      }
      sampler ??= shuffle
        ? new RandomSampler(dataset, this.generator ? { generator: this.generator } : {})
        : new SequentialSampler(dataset);
      if (batchSize !== null && batchSampler === null)
        batchSampler = new BatchSampler(sampler, batchSize, dropLast);
    }
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.sampler = sampler;
    this.batchSampler = batchSampler;
  }

  /**
   * Batches per epoch: ⌈n / batchSize⌉, or ⌊n / batchSize⌋ with dropLast (n without batching).
   * For an `IterableDataset`, n is the dataset's own `length`, and reading `length` throws when
   * it has none.
   *
   * NOTE: as PyTorch's `len(dataloader)` for iterable datasets, this is only an estimate with
   * workers: each worker batches its own shard (so up to `numWorkers` batches are short, or
   * dropped with dropLast), and a dataset that does not shard yields everything `numWorkers`
   * times. Once `length` has been read, an epoch that yields more batches than it said emits a
   * warning, as PyTorch's does.
   */
  get length(): number {
    if (this.batchSampler) return this.batchSampler.length;
    if (this.sampler) return this.sampler.length;
    const n = (this.dataset as { length?: unknown }).length;
    if (typeof n !== "number") {
      throw new ValueError(
        `DataLoader: length is unknown: the IterableDataset ${this.dataset.constructor.name} has no length (give it a numeric \`length\` to get ⌈length / batchSize⌉)`,
      );
    }
    const batches =
      this.batchSize === null
        ? n
        : this.dropLast
          ? Math.floor(n / this.batchSize)
          : Math.ceil(n / this.batchSize);
    this.#reportedLength = batches;
    return batches;
  }

  /** Warns once per epoch when an IterableDataset yields more batches than `length` said. */
  #checkCount(yielded: number, warned: boolean): boolean {
    const said = this.#reportedLength;
    if (warned || said === null || yielded <= said) return warned;
    process.emitWarning(
      `DataLoader: length of the IterableDataset ${this.dataset.constructor.name} was reported to be ${said} batches (when reading dataloader.length), but ${yielded} have been fetched. With numWorkers > 0 this is usually a dataset that does not shard itself with getWorkerInfo(), so every worker yields the whole stream.`,
    );
    return true;
  }

  /** PyTorch draws a base seed from the loader's generator at the start of every epoch. */
  #drawBaseSeed(): number {
    return (this.generator ?? defaultGenerator).nextUint32();
  }

  #map(): MapDataset<T> {
    return this.dataset as MapDataset<T>;
  }

  #fetch(indices: readonly number[]): B {
    try {
      return fetchBatch(this.#map(), indices, this.#collate);
    } catch (e) {
      if (e instanceof SampleError) throw e.original;
      throw e;
    }
  }

  /** One epoch in this thread. Throws when `numWorkers > 0` (use `for await`). */
  *[Symbol.iterator](): Iterator<B> {
    if (this.numWorkers > 0) {
      throw new ValueError(
        "DataLoader: with numWorkers > 0 batches arrive asynchronously; iterate with `for await`",
      );
    }
    if (this.timeout > 0) {
      // NOTE: PyTorch's single-process iterator asserts timeout == 0.
      throw new ValueError(
        `DataLoader: timeout ${this.timeout} needs numWorkers > 0 (the main thread fetches batches itself and cannot time out)`,
      );
    }
    this.#drawBaseSeed();
    if (isIterableDataset<T>(this.dataset)) {
      yield* this.#iterableBatches(this.dataset);
      return;
    }
    if (this.batchSampler) {
      for (const indices of this.batchSampler) yield this.#fetch(indices);
      return;
    }
    for (const i of this.sampler!) yield this.#map().get(i) as unknown as B;
  }

  *#iterableBatches(ds: IterableDataset<T>): IterableIterator<B> {
    const cursor = new StreamCursor(ds);
    let yielded = 0;
    let warned = false;
    try {
      for (;;) {
        let samples: T[] | null;
        try {
          samples = cursor.take(this.batchSize ?? 1, this.dropLast);
        } catch (e) {
          throw e instanceof SampleError ? e.original : e;
        }
        if (samples === null) return;
        warned = this.#checkCount(++yielded, warned);
        yield this.#finishStream(this.batchSize === null ? samples[0] : samples, false);
      }
    } finally {
      cursor.close();
    }
  }

  /**
   * A batch of an IterableDataset from the item (without batching) or the samples, or from a
   * worker's reply, which is already default-collated unless a custom collate is set.
   */
  #finishStream(value: unknown, fromWorker: boolean): B {
    if (this.batchSize === null) return value as B;
    if (this.#collate !== null) return this.#collate(value as T[]);
    return (fromWorker ? value : defaultCollate(value as T[])) as B;
  }

  /** One epoch, from worker threads when `numWorkers > 0`. */
  async *[Symbol.asyncIterator](): AsyncIterator<B> {
    if (this.numWorkers === 0) {
      // NOTE: not `yield* this`, which would pick this very async iterator and recurse.
      for (const batch of { [Symbol.iterator]: () => this[Symbol.iterator]() }) yield batch;
      return;
    }
    const seed = this.#drawBaseSeed();
    const pool = this.#pool ?? this.#startPool(seed);
    if (this.persistentWorkers) this.#pool = pool;
    const timeoutMs = this.timeout * 1000;
    // A timed-out worker may never answer again: its pool goes, persistent or not.
    const tornDown = async (e: unknown): Promise<never> => {
      if (e instanceof WorkerTimeoutError) {
        if (this.#pool === pool) this.#pool = null;
        await pool.close();
      }
      throw e;
    };
    if (isIterableDataset(this.dataset)) {
      try {
        let yielded = 0;
        let warned = false;
        for await (const value of pool.roundRobin(this.#epoch++, this.prefetchFactor, timeoutMs)) {
          warned = this.#checkCount(++yielded, warned);
          yield this.#finishStream(value, true);
        }
      } catch (e) {
        await tornDown(e);
      } finally {
        if (!this.persistentWorkers) await pool.close();
      }
      return;
    }
    const lists: Iterator<number[]> = this.batchSampler
      ? this.batchSampler[Symbol.iterator]()
      : (function* (s: Sampler) {
          for (const i of s) yield [i];
        })(this.sampler!);
    const inflight: { promise: Promise<unknown>; worker: number; indices: number[] }[] = [];
    const limit = this.prefetchFactor * this.numWorkers;
    let sent = 0;
    let exhausted = false;
    const fill = (): void => {
      while (!exhausted && inflight.length < limit) {
        const next = lists.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        const worker = sent % pool.size;
        const p = pool.run(worker, next.value);
        p.catch(() => {});
        inflight.push({ promise: p, worker, indices: next.value });
        sent++;
      }
    };
    try {
      fill();
      while (inflight.length > 0) {
        const { promise, worker, indices } = inflight.shift()!;
        const value = await pool.wait(promise, worker, timeoutMs, indices);
        fill();
        yield this.#finish(value);
      }
    } catch (e) {
      await tornDown(e);
    } finally {
      if (!this.persistentWorkers) await pool.close();
    }
  }

  #startPool(seed: number): WorkerPool {
    let dataset: unknown;
    try {
      dataset = encode(this.dataset, "the dataset");
    } catch (e) {
      if (e instanceof ValueError) throw e;
      throw new WorkerError(
        `DataLoader: could not send the dataset to the workers: ${String(e)}`,
        -1,
        null,
        { cause: e },
      );
    }
    const initSource = this.workerInitFn === null ? null : functionSource(this.workerInitFn);
    if (isIterableDataset(this.dataset)) {
      return new WorkerPool(dataset, {
        numWorkers: this.numWorkers,
        seed,
        collate: this.#collate === null ? "default" : "samples",
        stream: { batchSize: this.batchSize, dropLast: this.dropLast },
        workerInitFn: initSource,
      });
    }
    const collate = this.#collate === null && this.batchSampler !== null ? "default" : "samples";
    return new WorkerPool(dataset, {
      numWorkers: this.numWorkers,
      seed,
      collate,
      workerInitFn: initSource,
    });
  }

  #finish(value: unknown): B {
    if (this.batchSampler === null) return (value as T[])[0] as unknown as B;
    if (this.#collate !== null) return this.#collate(value as T[]);
    return value as B;
  }

  /** Stops persistent worker threads (they never keep the process alive, but hold memory). */
  async shutdown(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }
}

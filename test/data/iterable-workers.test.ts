import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DataLoader,
  type DataLoaderOptions,
  getWorkerInfo,
  WorkerError,
} from "../../src/data/index.ts";
import { Generator, type Tensor } from "../../src/index.ts";
import {
  CountingStream,
  RandomStream,
  ShardedRange,
  type StreamItem,
} from "./fixtures/datasets.ts";

type ItemBatch = { value: Tensor; worker: Tensor };

async function batches(
  ds: ShardedRange,
  opts: DataLoaderOptions<StreamItem, ItemBatch>,
): Promise<{ values: number[]; worker: number }[]> {
  const out: { values: number[]; worker: number }[] = [];
  for await (const b of new DataLoader(ds, opts)) {
    const workers = new Set(b.worker.toArray() as number[]);
    assert.equal(workers.size, 1, "a batch mixes the samples of several workers");
    out.push({ values: b.value.toArray() as number[], worker: [...workers][0]! });
  }
  return out;
}

/**
 * The batches PyTorch yields for an IterableDataset with workers, derived independently of the
 * loader: worker k iterates its own shard (the docs' split, or everything without sharding),
 * cuts it into batches (dropping its own short last batch with dropLast), and the loader takes
 * one batch from each worker in worker order, skipping exhausted workers.
 */
function expected(
  start: number,
  end: number,
  numWorkers: number,
  batchSize: number,
  dropLast: boolean,
  shard = true,
): { values: number[]; worker: number }[] {
  const queues: { values: number[]; worker: number }[][] = [];
  for (let k = 0; k < numWorkers; k++) {
    const per = shard ? Math.ceil((end - start) / numWorkers) : end - start;
    const lo = shard ? start + k * per : start;
    const values: number[] = [];
    for (let v = lo; v < Math.min(lo + per, end); v++) values.push(v);
    const q: { values: number[]; worker: number }[] = [];
    for (let i = 0; i < values.length; i += batchSize) {
      const chunk = values.slice(i, i + batchSize);
      if (chunk.length === batchSize || !dropLast) q.push({ values: chunk, worker: k });
    }
    queues.push(q);
  }
  const out: { values: number[]; worker: number }[] = [];
  while (queues.some((q) => q.length > 0))
    for (const q of queues) if (q.length > 0) out.push(q.shift()!);
  return out;
}

function workerThreads(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Worker" || r === "MessagePort")
    .length;
}

test("a sharded IterableDataset: every value once, batches round-robin over the workers", async () => {
  for (const [start, end, batchSize] of [
    [0, 10, 1],
    [5, 22, 3],
  ] as const) {
    for (const numWorkers of [1, 2, 3]) {
      const got = await batches(new ShardedRange(start, end), { batchSize, numWorkers });
      const all = got.flatMap((b) => b.values).sort((a, b) => a - b);
      assert.deepEqual(
        all,
        Array.from({ length: end - start }, (_, i) => start + i),
      );
      assert.deepEqual(got, expected(start, end, numWorkers, batchSize, false));
    }
  }
  // Shards of 4, 4 and 2 values: worker 2 runs out first and is skipped from then on.
  assert.deepEqual(
    (await batches(new ShardedRange(0, 10), { batchSize: 1, numWorkers: 3 })).flatMap(
      (b) => b.values,
    ),
    [0, 4, 8, 1, 5, 9, 2, 6, 3, 7],
  );
});

test("dropLast drops each worker's own short batch", async () => {
  const got = await batches(new ShardedRange(0, 10), {
    batchSize: 3,
    dropLast: true,
    numWorkers: 3,
  });
  assert.deepEqual(got, [
    { values: [0, 1, 2], worker: 0 },
    { values: [4, 5, 6], worker: 1 },
  ]);
  assert.deepEqual(got, expected(0, 10, 3, 3, true));
});

test("an unsharded IterableDataset yields its whole stream from every worker", async () => {
  const got = await batches(new ShardedRange(0, 7, false), { batchSize: 2, numWorkers: 3 });
  assert.deepEqual(got, expected(0, 7, 3, 2, false, false));
  const counts = new Map<number, number>();
  for (const v of got.flatMap((b) => b.values)) counts.set(v, (counts.get(v) ?? 0) + 1);
  assert.deepEqual(
    [...counts].sort((a, b) => a[0] - b[0]),
    Array.from({ length: 7 }, (_, v) => [v, 3]),
  );
});

test("length follows PyTorch's rule for iterable datasets and warns when sharding exceeds it", async () => {
  const ds = new ShardedRange(0, 10);
  assert.equal(new DataLoader(ds, { batchSize: 3 }).length, 4);
  assert.equal(new DataLoader(ds, { batchSize: 3, dropLast: true }).length, 3);
  assert.equal(new DataLoader(ds, { batchSize: null, numWorkers: 2 }).length, 10);
  assert.throws(
    () => new DataLoader(new RandomStream(3), { numWorkers: 2 }).length,
    /length is unknown: the IterableDataset RandomStream has no length/,
  );

  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on("warning", onWarning);
  try {
    // Shards of 4, 4 and 2 values make 2 + 2 + 1 batches of 3, one more than ⌈10 / 3⌉.
    const dl = new DataLoader(ds, { batchSize: 3, numWorkers: 3 });
    assert.equal(dl.length, 4);
    let n = 0;
    for await (const _ of dl) n++;
    assert.equal(n, 5);
    await sleep(10);
  } finally {
    process.off("warning", onWarning);
  }
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    /ShardedRange was reported to be 4 batches .* but 5 have been fetched/,
  );
});

test("batchSize null sends items as they are; a custom collateFn runs in the main thread", async () => {
  const items: StreamItem[] = [];
  for await (const it of new DataLoader(new ShardedRange(0, 4), {
    batchSize: null,
    numWorkers: 2,
  }))
    items.push(it as unknown as StreamItem);
  assert.deepEqual(items, [
    { value: 0, worker: 0 },
    { value: 2, worker: 1 },
    { value: 1, worker: 0 },
    { value: 3, worker: 1 },
  ]);

  const dl = new DataLoader(new ShardedRange(0, 5), {
    batchSize: 2,
    numWorkers: 2,
    collateFn: (samples: StreamItem[]) => ({
      values: samples.map((s) => s.value),
      collatedIn: getWorkerInfo()?.id ?? "main",
    }),
  });
  const out: unknown[] = [];
  for await (const b of dl) out.push(b);
  assert.deepEqual(out, [
    { values: [0, 1], collatedIn: "main" },
    { values: [3, 4], collatedIn: "main" },
    { values: [2], collatedIn: "main" },
  ]);
  assert.throws(() => [...dl], /for await/);
});

test("prefetchFactor bounds the batches each worker produces ahead", async () => {
  const numWorkers = 2;
  const prefetchFactor = 3;
  const batchSize = 2;
  const produced = new Int32Array(new SharedArrayBuffer(4 * numWorkers));
  const dl = new DataLoader(new CountingStream(40, produced), {
    batchSize,
    numWorkers,
    prefetchFactor,
  });
  const taken = new Array<number>(numWorkers).fill(0);
  let k = 0;
  for await (const _ of dl) {
    taken[k % numWorkers]! += 1; // 40 items per worker: plain round-robin throughout
    k++;
    if (k % 5 !== 0) continue;
    // Each worker has been asked for what was taken from it plus prefetchFactor batches; wait
    // until it has made them, then check that it does not run further ahead.
    const bound = taken.map((t) => (t + prefetchFactor) * batchSize);
    const deadline = Date.now() + 5000;
    while (bound.some((b, w) => Atomics.load(produced, w) < b) && Date.now() < deadline)
      await sleep(5);
    await sleep(50);
    assert.deepEqual(Array.from(produced), bound);
    if (k === 15) break;
  }
});

test("leaving the loop early terminates the workers; persistent workers restart their streams", async () => {
  const before = workerThreads();
  const dl = new DataLoader(new ShardedRange(0, 10_000), { batchSize: 4, numWorkers: 3 });
  let k = 0;
  for await (const _ of dl) if (++k === 2) break;
  assert.equal(workerThreads(), before);

  const p = new DataLoader(new ShardedRange(0, 11), {
    batchSize: 2,
    numWorkers: 2,
    persistentWorkers: true,
  });
  const full = expected(0, 11, 2, 2, false).map((b) => b.values);
  const epoch = async (stopAfter = Infinity): Promise<number[][]> => {
    const out: number[][] = [];
    for await (const b of p) {
      out.push(b.value.toArray() as number[]);
      if (out.length === stopAfter) break;
    }
    return out;
  };
  assert.deepEqual(await epoch(), full);
  assert.deepEqual(await epoch(3), full.slice(0, 3));
  assert.deepEqual(await epoch(), full);
  await p.shutdown();
  assert.equal(workerThreads(), before);
});

test("an error in a worker names the worker and the position in its stream", async () => {
  // Shards [0, 6) and [6, 12); 9 is item 3 of worker 1's stream, in its second batch.
  const dl = new DataLoader(new ShardedRange(0, 12, true, 9), { batchSize: 2, numWorkers: 2 });
  const seen: number[] = [];
  const before = workerThreads();
  await assert.rejects(
    async () => {
      for await (const b of dl) seen.push(...(b.value.toArray() as number[]));
    },
    (e: unknown) => {
      assert.ok(e instanceof WorkerError);
      assert.equal(e.workerId, 1);
      assert.equal(e.sampleIndex, 3);
      assert.match(
        e.message,
        /^DataLoader worker 1: RangeError at item 3 of its IterableDataset stream .*: value 9 is corrupt$/,
      );
      assert.equal((e.cause as Error).name, "RangeError");
      return true;
    },
  );
  assert.deepEqual(seen, [0, 1, 6, 7, 2, 3]);
  assert.equal(workerThreads(), before);
});

test("the same generator seed gives the same batches; workers draw different numbers", async () => {
  const run = async (seed: number): Promise<number[][]> => {
    const out: number[][] = [];
    const dl = new DataLoader(new RandomStream(6), {
      batchSize: 3,
      numWorkers: 2,
      generator: new Generator(seed),
    });
    for await (const b of dl) out.push(b.toArray() as number[]);
    return out;
  };
  const a = await run(7);
  assert.equal(a.length, 4);
  assert.deepEqual(await run(7), a);
  assert.notDeepEqual(await run(8), a);
  // Batches 0 and 2 come from worker 0, 1 and 3 from worker 1 (seeded base + 0 and base + 1).
  assert.notDeepEqual([a[0], a[2]], [a[1], a[3]]);
});

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { DataLoader, Dataset, TensorDataset, WorkerError } from "../../src/data/index.ts";
import { arange, Generator, type Tensor } from "../../src/index.ts";
import { FailingDataset, RangeDataset } from "./fixtures/datasets.ts";

type Batch = [Tensor, Tensor];

async function collect(dl: AsyncIterable<Batch>): Promise<number[][][]> {
  const out: number[][][] = [];
  for await (const [x, y] of dl) out.push([Array.from(x.dataSync()), Array.from(y.dataSync())]);
  return out;
}

function workerThreads(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Worker" || r === "MessagePort")
    .length;
}

test("workers give the same batches as numWorkers 0", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 80 }),
      fc.integer({ min: 1, max: 9 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      async (n, batchSize, dropLast, numWorkers, prefetchFactor, seed) => {
        const ds = new RangeDataset(n);
        const opts = { batchSize, dropLast, shuffle: true };
        const main = await collect(new DataLoader(ds, { ...opts, generator: new Generator(seed) }));
        const dl = new DataLoader(ds, {
          ...opts,
          generator: new Generator(seed),
          numWorkers,
          prefetchFactor,
        });
        assert.deepEqual(await collect(dl), main);
      },
    ),
    { numRuns: 4 },
  );
  const t = new TensorDataset(arange(30).reshape(10, 3).float(), arange(10));
  const g = () => new Generator(5);
  assert.deepEqual(
    await collect(
      new DataLoader(t, { batchSize: 4, shuffle: true, generator: g(), numWorkers: 2 }),
    ),
    await collect(new DataLoader(t, { batchSize: 4, shuffle: true, generator: g() })),
  );
});

test("batches go round-robin to the workers and come back in order", async () => {
  const dl = new DataLoader(new FailingDataset(12, -1), { batchSize: 3, numWorkers: 2 });
  const got: { index: Tensor; worker: Tensor }[] = [];
  for await (const b of dl) got.push(b);
  assert.deepEqual(
    got.map((b) => Array.from(b.index.dataSync())),
    [
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
      [9, 10, 11],
    ],
  );
  assert.deepEqual(
    got.map((b) => Array.from(b.worker.dataSync())),
    [
      [0, 0, 0],
      [1, 1, 1],
      [0, 0, 0],
      [1, 1, 1],
    ],
  );
});

test("an error in a worker is re-thrown naming the failing sample index", async () => {
  const dl = new DataLoader(new FailingDataset(40, 13), { batchSize: 4, numWorkers: 2 });
  const seen: number[] = [];
  await assert.rejects(
    async () => {
      for await (const b of dl) seen.push(...Array.from(b.index.dataSync()));
    },
    (e: unknown) => {
      assert.ok(e instanceof WorkerError);
      assert.equal(e.sampleIndex, 13);
      assert.equal(e.workerId, 1); // batch 3 (indices 12..15) goes to worker 3 % 2
      assert.match(
        e.message,
        /DataLoader worker 1: RangeError while fetching sample 13: sample 13 is corrupt/,
      );
      assert.equal((e.cause as Error).name, "RangeError");
      return true;
    },
  );
  assert.deepEqual(
    seen,
    Array.from({ length: 12 }, (_, i) => i),
  );
});

test("a custom collateFn runs in the main thread on the workers' samples", async () => {
  const dl = new DataLoader(new RangeDataset(7), {
    batchSize: 3,
    numWorkers: 1,
    collateFn: (samples) => samples.map(([, i]) => i * 10),
  });
  const out: number[][] = [];
  for await (const b of dl) out.push(b);
  assert.deepEqual(out, [[0, 10, 20], [30, 40, 50], [60]]);
});

test("breaking out of the loop shuts the workers down; persistent workers survive epochs", async () => {
  const before = workerThreads();
  const dl = new DataLoader(new RangeDataset(1000), { batchSize: 10, numWorkers: 2 });
  let k = 0;
  for await (const _ of dl) if (++k === 2) break;
  assert.equal(k, 2);
  assert.equal(workerThreads(), before);

  const g = new Generator(11);
  const p = new DataLoader(new RangeDataset(20), {
    batchSize: 6,
    shuffle: true,
    generator: g,
    numWorkers: 2,
    persistentWorkers: true,
  });
  const ref = new DataLoader(new RangeDataset(20), {
    batchSize: 6,
    shuffle: true,
    generator: new Generator(11),
  });
  for (let epoch = 0; epoch < 2; epoch++) assert.deepEqual(await collect(p), await collect(ref));
  for await (const _ of p) break; // stale in-flight batches must not leak into the next epoch
  await collect(ref); // keep ref's generator in step with p's (one epoch drawn)
  assert.deepEqual(await collect(p), await collect(ref));
  await p.shutdown();
  assert.equal(workerThreads(), before);
});

class Local extends Dataset<number> {
  length = 3;
  get(i: number): number {
    return i;
  }
}

test("a dataset without workerSpec is refused with a pointer to WorkerSpec", async () => {
  const dl = new DataLoader(new Local(), { numWorkers: 1 });
  await assert.rejects(async () => {
    for await (const _ of dl) break;
  }, /Local, which cannot be sent to a worker thread; give its class a workerSpec\(\)/);
});

test("a process that leaves worker loops early (persistent or not) still exits", () => {
  const script = fileURLToPath(new URL("./fixtures/early-exit.ts", import.meta.url));
  const r = spawnSync(process.execPath, ["--import", "tsx", script], {
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.signal, null, "killed by the timeout: worker threads kept the process alive");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `done ${3 + 500} 5`);
});

// DataLoader's workerInitFn, pinMemory, prefetchFactor and persistentWorkers as PyTorch 1.13's:
// the init function runs once in each worker thread (with its id, after seeding and with
// getWorkerInfo() set) before any batch and never without workers; pinMemory is accepted with no
// effect on CPU; PyTorch's validation errors. (timeout is covered by timeout.test.ts.)

import "../../src/index.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { DataLoader, TensorDataset, WorkerError } from "../../src/data/index.ts";
import { arange, type Tensor } from "../../src/index.ts";
import { InitProbe, type Probe } from "./fixtures/init-probe.ts";

async function all<B>(dl: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of dl) out.push(b);
  return out;
}

function inits(batches: { init: Tensor; worker: Tensor }[]): [number, number][] {
  return batches.flatMap((b) => {
    const i = [...b.init.dataSync()].map(Number);
    const w = [...b.worker.dataSync()].map(Number);
    return i.map((v, k) => [v, w[k]!] as [number, number]);
  });
}

test("workerInitFn runs in each worker with its id before its batches (arrow, method, function)", async () => {
  const fns = [
    (id: number) => {
      (globalThis as { kilnInit?: number }).kilnInit = 100 + id;
    },
    {
      init(id: number) {
        (globalThis as { kilnInit?: number }).kilnInit = 100 + id;
      },
    }.init,
    function seed(id: number) {
      (globalThis as { kilnInit?: number }).kilnInit = 100 + id;
    },
  ];
  for (const [k, workerInitFn] of fns.entries()) {
    const numWorkers = k === 0 ? 2 : 1;
    const dl = new DataLoader(new InitProbe(6), { batchSize: 2, numWorkers, workerInitFn });
    const got = inits(await all(dl));
    assert.equal(got.length, 6);
    // Every item was fetched by a worker whose init ran with that worker's id.
    for (const [init, worker] of got) assert.equal(init, 100 + worker);
    assert.equal(new Set(got.map((g) => g[1])).size, numWorkers);
  }
});

test("workerInitFn may be async and sees getWorkerInfo() with the rebuilt dataset", async () => {
  const url = new URL("../../src/data/worker-info.ts", import.meta.url).href;
  // A self-contained function (the URL is in its text, not a closure variable).
  const workerInitFn = new Function(
    "id",
    `return import(${JSON.stringify(url)}).then((m) => {
       const w = m.getWorkerInfo();
       globalThis.kilnInit = 1000 * w.numWorkers + 10 * (w.dataset.length) + id;
     });`,
  ) as (id: number) => Promise<void>;
  const dl = new DataLoader(new InitProbe(4), { batchSize: 1, numWorkers: 2, workerInitFn });
  for (const [init, worker] of inits(await all(dl))) assert.equal(init, 2000 + 40 + worker);
});

test("workerInitFn: never called without workers; called once per persistent worker", async () => {
  const throwing = () => {
    throw new Error("must not run");
  };
  const dl0 = new DataLoader(new InitProbe(3), { batchSize: 3, workerInitFn: throwing });
  assert.equal([...dl0].length, 1);
  const count = (id: number) => {
    const g = globalThis as { kilnInit?: number };
    g.kilnInit = (g.kilnInit ?? 0) + 1 + id * 0;
  };
  const dl = new DataLoader(new InitProbe(2), {
    batchSize: 1,
    numWorkers: 1,
    persistentWorkers: true,
    workerInitFn: count,
  });
  try {
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const [init] of inits(await all(dl))) assert.equal(init, 1, `epoch ${epoch}`);
    }
  } finally {
    await dl.shutdown();
  }
});

test("workerInitFn errors surface as WorkerErrors on the first batch; bad values are refused", async () => {
  const dl = new DataLoader(new InitProbe(4), {
    batchSize: 2,
    numWorkers: 1,
    workerInitFn: () => {
      throw new RangeError("no seed");
    },
  });
  await assert.rejects(all(dl), (e: unknown) => {
    assert.ok(e instanceof WorkerError);
    assert.match(e.message, /workerInitFn raised in worker 0: RangeError: no seed/);
    return true;
  });
  const outside = 5;
  const closes = new DataLoader(new InitProbe(2), {
    numWorkers: 1,
    workerInitFn: () => {
      (globalThis as { kilnInit?: number }).kilnInit = outside;
    },
  });
  await assert.rejects(all(closes), /outside is not defined .*without the variables around it/);
  assert.throws(
    () => new DataLoader(new InitProbe(2), { workerInitFn: 3 as never }),
    /argument "workerInitFn" must be a function or null/,
  );
  const bound = new DataLoader(new InitProbe(2), {
    numWorkers: 1,
    workerInitFn: Math.abs as (id: number) => void,
  });
  await assert.rejects(all(bound), /native or bound function/);
});

test("pinMemory is accepted, positionally too, and changes nothing on CPU", () => {
  const ds = new TensorDataset(arange(10).reshape([5, 2]), arange(5));
  const pinned = new DataLoader(ds, { batchSize: 2, pinMemory: true });
  assert.equal(pinned.pinMemory, true);
  assert.equal(new DataLoader(ds).pinMemory, false);
  // PyTorch's order: dataset, batchSize, shuffle, sampler, batchSampler, numWorkers, collateFn, pinMemory.
  const positional = new DataLoader(ds, 2, false, null, null, 0, null, true);
  assert.equal(positional.pinMemory, true);
  const plain = [...new DataLoader(ds, { batchSize: 2 })];
  for (const dl of [pinned, positional]) {
    const got = [...dl];
    assert.equal(got.length, plain.length);
    got.forEach(([x, y], k) => {
      assert.deepEqual([...x.dataSync()], [...plain[k]![0].dataSync()]);
      assert.deepEqual([...y.dataSync()], [...plain[k]![1].dataSync()]);
    });
  }
  assert.throws(
    () => new DataLoader(ds, { pinMemory: 1 as never }),
    /"pinMemory" must be a boolean/,
  );
});

test("prefetchFactor and persistentWorkers: PyTorch 1.13's checks", () => {
  const ds = new InitProbe(4);
  // 1.13's default is 2, so 2 without workers is fine; anything else needs workers.
  assert.equal(new DataLoader(ds, { prefetchFactor: 2 }).prefetchFactor, 2);
  assert.throws(
    () => new DataLoader(ds, { prefetchFactor: 3 }),
    (e: unknown) =>
      e instanceof ValueError &&
      /prefetchFactor option could only be specified in multiprocessing/.test(e.message),
  );
  assert.equal(new DataLoader(ds, { numWorkers: 1, prefetchFactor: 5 }).prefetchFactor, 5);
  assert.throws(() => new DataLoader(ds, { numWorkers: 1, prefetchFactor: 0 }), /positive integer/);
  assert.throws(
    () => new DataLoader(ds, { persistentWorkers: true }),
    /persistentWorkers option needs numWorkers > 0/,
  );
  // prefetchFactor bounds the requests in flight: with 1 worker and prefetch 1 every batch still
  // arrives, in order.
  return all(new DataLoader(ds, { batchSize: 1, numWorkers: 1, prefetchFactor: 1 })).then(
    (b: Probe[] | unknown[]) => {
      assert.equal(b.length, 4);
    },
  );
});

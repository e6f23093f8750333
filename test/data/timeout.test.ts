// DataLoader's `timeout` (PyTorch's option): seconds to wait for a batch from the workers, 0 for
// ever. A worker whose `get` never returns makes the loader throw a WorkerTimeoutError naming the
// worker and the seconds, and its worker threads are terminated (persistent ones too); a
// negative timeout is refused as PyTorch refuses it; a timeout longer than the work changes
// nothing.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { DataLoader, WorkerError } from "../../src/data/index.ts";
import { HangingDataset, HangingStream } from "./fixtures/hanging.ts";

// NOTE: the timeout covers a worker's start-up too (as in PyTorch), about a second under tsx on a
// busy machine, so it is well above that.
const T = 3;

function workerThreads(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Worker").length;
}

async function drain(dl: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const _ of dl) n++;
  return n;
}

test("timeout: a negative value is refused, as PyTorch refuses it", () => {
  const ds = new HangingDataset(4, -1);
  for (const t of [-1, -0.5, Number.NEGATIVE_INFINITY]) {
    assert.throws(
      () => new DataLoader(ds, { numWorkers: 1, timeout: t }),
      (e: unknown) =>
        e instanceof ValueError &&
        /^DataLoader: timeout option should be non-negative/.test(e.message),
    );
  }
  // Positionally, in PyTorch's order (the 10th argument after the dataset's).
  assert.throws(
    () => new DataLoader(ds, 1, false, null, null, 1, null, false, false, -2),
    /timeout option should be non-negative/,
  );
  assert.equal(new DataLoader(ds, { numWorkers: 1, timeout: 2.5 }).timeout, 2.5);
  assert.equal(new DataLoader(ds).timeout, 0);
});

test("timeout > 0 with numWorkers 0 throws when iterated (PyTorch asserts timeout == 0)", () => {
  const dl = new DataLoader(new HangingDataset(4, -1), { timeout: 1 });
  assert.throws(
    () => [...dl],
    (e: unknown) => e instanceof ValueError && /numWorkers > 0/.test(e.message),
  );
});

test("a timeout longer than the work changes nothing", async () => {
  const dl = new DataLoader(new HangingDataset(20, -1), {
    batchSize: 3,
    numWorkers: 2,
    timeout: 30,
  });
  assert.equal(await drain(dl), 7);
  assert.equal(workerThreads(), 0);
});

for (const how of ["loop", "wait"] as const) {
  test(`a worker whose get never returns (${how}): WorkerError after the timeout, pool torn down`, async () => {
    const before = workerThreads();
    const dl = new DataLoader(new HangingDataset(12, 0, how), {
      batchSize: 2,
      numWorkers: 2,
      timeout: T,
    });
    const t0 = performance.now();
    let got = 0;
    await assert.rejects(
      async () => {
        for await (const _ of dl) got++;
      },
      (e: unknown) => {
        assert.ok(e instanceof WorkerError, String(e));
        assert.equal(e.name, "WorkerTimeoutError");
        // The first batch, [0, 1], goes to worker 0 (batches are dealt round-robin).
        assert.equal(e.workerId, 0);
        assert.match(
          e.message,
          /^DataLoader timed out after 3 seconds: worker 0 did not return the batch of indices \[0, 1\]/,
        );
        return true;
      },
    );
    const elapsed = performance.now() - t0;
    assert.equal(got, 0);
    assert.ok(elapsed < 10_000, `took ${elapsed} ms`);
    assert.equal(workerThreads(), before, "the worker threads were terminated");
  });
}

test("persistent workers: a timeout tears the pool down, the next epoch starts a new one", async () => {
  const before = workerThreads();
  const dl = new DataLoader(new HangingDataset(6, 0), {
    batchSize: 1,
    numWorkers: 2,
    timeout: T,
    persistentWorkers: true,
  });
  await assert.rejects(
    drain(dl),
    /timed out after 3 seconds: worker 0 did not return the batch of indices \[0\]/,
  );
  assert.equal(workerThreads(), before);
  // Another epoch fails the same way (a fresh pool, not the dead one).
  await assert.rejects(drain(dl), /timed out after 3 seconds/);
  await dl.shutdown();
  assert.equal(workerThreads(), before);
});

test("an IterableDataset worker that hangs times out too", async () => {
  const before = workerThreads();
  const dl = new DataLoader(new HangingStream(10, 4), {
    batchSize: 2,
    numWorkers: 2,
    timeout: T,
  });
  await assert.rejects(drain(dl), (e: unknown) => {
    assert.ok(e instanceof WorkerError);
    assert.match(
      e.message,
      /^DataLoader timed out after 3 seconds: worker 0 did not return the next batch of its IterableDataset stream/,
    );
    return true;
  });
  assert.equal(workerThreads(), before);
});

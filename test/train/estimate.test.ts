// enumerateWithEstimate against the book's rules, with a fake clock: which indices log, the
// estimate text derived by hand from the clock, the default back-off, Python's str(timedelta),
// the async variant, and a progress sink replacing the log lines.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { train } from "../../src/index.ts";

const {
  defaultBackoff,
  enumerateWithEstimate,
  enumerateWithEstimateAsync,
  estimateIndices,
  formatDateTime,
  formatDuration,
  TerminalProgress,
} = train;

// 2026-11-27 14:00:00 local time: formatDateTime prints local time, as Python's fromtimestamp.
const T0 = new Date(2026, 10, 27, 14, 0, 0).getTime();

/** A clock the loop body advances; `tick(i)` is the time after item i finished, in seconds from T0. */
function fakeClock() {
  let t = T0;
  return {
    now: () => t,
    set: (secondsFromT0: number) => {
      t = T0 + secondsFromT0 * 1000;
    },
  };
}

function runSync(
  n: number,
  desc: string,
  options: train.EstimateOptions,
  secondsAfter: (i: number) => number,
) {
  const clock = fakeClock();
  const lines: string[] = [];
  const seen: number[] = [];
  const items = Array.from({ length: n }, (_, i) => i * 10);
  for (const [ndx, item] of enumerateWithEstimate(items, desc, {
    ...options,
    now: clock.now,
    log: (l) => lines.push(l),
  })) {
    assert.equal(item, ndx * 10);
    seen.push(ndx);
    clock.set(secondsAfter(ndx));
  }
  assert.deepEqual(
    seen,
    Array.from({ length: n }, (_, i) => i),
  );
  return lines;
}

describe("enumerateWithEstimate", () => {
  test("1602 batches, 8 workers: estimates at 64, 256 and 1024 (the book's example)", () => {
    // Warm-up items 0..7 take 5 s each (not counted: the clock restarts after item 7, at 40 s),
    // later items 0.5 s each. At index i the clock reads 40 + 0.5 (i - 7) s; since the restart
    // (i - 8 + 1) items took 0.5 s each, so the estimate is 0.5 s × (1602 - 8) = 797 s = 0:13:17,
    // finishing at restart + 797 s = T0 + 837 s = 14:13:57. The loop ends at 40 + 0.5 × 1594 = 837 s.
    const after = (i: number) => (i < 8 ? 5 * (i + 1) : 40 + 0.5 * (i - 7));
    const lines = runSync(1602, "E1 Training", { startNdx: 8 }, after);
    assert.deepEqual(lines, [
      "E1 Training ----/1602, starting",
      "E1 Training   64/1602, done at 2026-11-27 14:13:57, 0:13:17",
      "E1 Training  256/1602, done at 2026-11-27 14:13:57, 0:13:17",
      "E1 Training 1024/1602, done at 2026-11-27 14:13:57, 0:13:17",
      "E1 Training ----/1602, done at 2026-11-27 14:13:57",
    ]);
    assert.deepEqual(estimateIndices(1602, { startNdx: 8 }), [64, 256, 1024]);
  });

  test("estimates from the mean time per item since the start, speeding up", () => {
    // startNdx 0: the clock starts when the loop starts. Items take 3 s up to index 4, then 1 s.
    // Index 4: 15 s for 5 items → 3 s × 20 = 60 s → 0:01:00, done at 14:01:00.
    // Index 8: 15 + 4 = 19 s for 9 items → 19/9 × 20 = 42.2 s → 0:00:42, done at 14:00:42.
    // Index 16: 15 + 12 = 27 s for 17 items → 27/17 × 20 = 31.76 s → 0:00:31, done at 14:00:31.
    // End: 15 + 15 = 30 s → 14:00:30.
    const after = (i: number) => (i < 5 ? 3 * (i + 1) : 15 + (i - 4));
    const lines = runSync(20, "E2 Validation ", { backoff: 2 }, after);
    assert.deepEqual(lines, [
      "E2 Validation  ----/20, starting",
      "E2 Validation     4/20, done at 2026-11-27 14:01:00, 0:01:00",
      "E2 Validation     8/20, done at 2026-11-27 14:00:42, 0:00:42",
      "E2 Validation    16/20, done at 2026-11-27 14:00:31, 0:00:31",
      "E2 Validation  ----/20, done at 2026-11-27 14:00:30",
    ]);
  });

  test("a multi-day estimate prints like Python's timedelta", () => {
    // 100000 items of 2 s, backoff 8 (8^7 ≥ 100000 > 4^7). Index 4: 10 s / 5 items × 100000
    // = 200000 s = 2 days + 27200 s = 2 days, 7:33:20, done at T0 + 200000 s = 2026-11-29 21:33:20.
    const clock = fakeClock();
    const lines: string[] = [];
    const items = {
      length: 100000,
      *[Symbol.iterator]() {
        for (let i = 0; ; i++) yield i;
      },
    };
    for (const [ndx] of enumerateWithEstimate(items, "E1 Training", {
      now: clock.now,
      log: (l) => lines.push(l),
    })) {
      // The estimate for item 4 is logged when the loop asks for item 5 (after the body, as in Python).
      if (ndx === 5) break;
      clock.set(2 * (ndx + 1));
    }
    assert.deepEqual(lines, [
      "E1 Training ----/100000, starting",
      "E1 Training    4/100000, done at 2026-11-29 21:33:20, 2 days, 7:33:20",
    ]);
  });

  test("logs exactly at estimateIndices, for several lengths and warm-ups", () => {
    for (const [n, startNdx, printNdx] of [
      [1, 0, 4],
      [5, 0, 4],
      [100, 0, 4],
      [129, 0, 4],
      [938, 4, 4],
      [1602, 8, 4],
      [5000, 3, 1],
      [20000, 16, 4],
    ] as const) {
      const lines = runSync(n, "d", { startNdx, printNdx }, (i) => i + 1);
      const logged = lines.slice(1, -1).map((l) => Number(/^d +(\d+)\//.exec(l)?.[1]));
      assert.deepEqual(
        logged,
        estimateIndices(n, { startNdx, printNdx }),
        `n=${n} startNdx=${startNdx}`,
      );
      assert.equal(lines.length, logged.length + 2);
    }
    // Hand-derived: backoff 2 for n ≤ 128 (2^7 = 128), 4 up to 4^7 = 16384, then 8.
    assert.deepEqual(estimateIndices(100), [4, 8, 16, 32, 64]);
    assert.deepEqual(estimateIndices(129), [4, 16, 64]);
    assert.deepEqual(estimateIndices(938, { startNdx: 4 }), [16, 64, 256]);
    // printNdx 1 → 4 → 16 (≥ 3 × 4 = 12): multiplied up past startNdx × backoff.
    assert.deepEqual(
      estimateIndices(5000, { startNdx: 3, printNdx: 1 }),
      [16, 64, 256, 1024, 4096],
    );
    assert.deepEqual(estimateIndices(20000, { startNdx: 16 }), [256, 2048, 16384]);
    assert.deepEqual(estimateIndices(3), []);
  });

  test("default backoff: 2, doubled while backoff^7 < iterLen", () => {
    const cases: [number, number][] = [
      [0, 2],
      [1, 2],
      [128, 2],
      [129, 4],
      [1602, 4],
      [16384, 4],
      [16385, 8],
      [2097152, 8],
      [2097153, 16],
    ];
    for (const [n, b] of cases) assert.equal(defaultBackoff(n), b, `iterLen ${n}`);
  });

  test("needs a length, and a backoff of at least 2", () => {
    const noLength = {
      *[Symbol.iterator]() {
        yield 1;
      },
    };
    assert.throws(() => [...enumerateWithEstimate(noLength, "d", { log: () => {} })], /iterLen/);
    assert.deepEqual(
      [...enumerateWithEstimate(noLength, "d", { iterLen: 1, log: () => {} })],
      [[0, 1]],
    );
    assert.throws(
      () => [...enumerateWithEstimate([1], "d", { backoff: 1, log: () => {} })],
      RangeError,
    );
  });

  test("async variant logs the same lines", async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const source = {
      length: 20,
      async *[Symbol.asyncIterator]() {
        for (let i = 0; i < 20; i++) yield i;
      },
    };
    const seen: number[] = [];
    for await (const [ndx, item] of enumerateWithEstimateAsync(source, "E2 Validation ", {
      backoff: 2,
      now: clock.now,
      log: (l) => lines.push(l),
    })) {
      seen.push(item);
      clock.set(ndx < 5 ? 3 * (ndx + 1) : 15 + (ndx - 4));
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => i),
    );
    // The same clock as the sync test above: the same lines.
    assert.deepEqual(
      lines,
      runSync(20, "E2 Validation ", { backoff: 2 }, (i) => (i < 5 ? 3 * (i + 1) : 15 + (i - 4))),
    );
  });

  test("a progress sink replaces the log lines", () => {
    const clock = fakeClock();
    const lines: string[] = [];
    const calls: string[] = [];
    const sink: train.ProgressSink = {
      start: (desc, total) => calls.push(`start ${desc} ${total}`),
      update: (ndx, elapsed) => calls.push(`update ${ndx} ${elapsed}`),
      end: () => calls.push("end"),
    };
    for (const [ndx] of enumerateWithEstimate([0, 0, 0, 0, 0, 0], "E1 Training", {
      now: clock.now,
      log: (l) => lines.push(l),
      progress: sink,
    })) {
      clock.set(ndx + 1);
    }
    assert.deepEqual(lines, []);
    assert.deepEqual(calls, [
      "start E1 Training 6",
      ...[0, 1, 2, 3, 4, 5].map((i) => `update ${i} ${i + 1}`),
      "end",
    ]);
  });

  test("TerminalProgress draws one carriage-returned line, then leaves a summary", () => {
    const written: string[] = [];
    const stream = { columns: 200, write: (s: string) => written.push(s) };
    let t = 0;
    const bar = new TerminalProgress(stream, { now: () => t });
    bar.start("E1 Training", 4);
    bar.setLoss(0.25);
    t = 2000;
    bar.update(3, 2);
    bar.end();
    // 4 of 4 done in 2 s: 100%, 2.0 it/s, nothing left; at 200 columns the bar has its full 30.
    assert.deepEqual(written, [
      `\rE1 Training [${"#".repeat(30)}] 100%  2.0 it/s  ETA 0:00:00  loss 0.2500\x1b[K`,
      "\r\x1b[K",
      "E1 Training 4/4 in 0:00:02, 2.0 it/s, mean loss 0.2500\n",
    ]);
  });
});

describe("formatDuration and formatDateTime, as Python's str() without the fraction", () => {
  test("timedelta", () => {
    const cases: [number, string][] = [
      [0, "0:00:00"],
      [4.9, "0:00:04"],
      [59.999, "0:00:59"],
      [61, "0:01:01"],
      [36000, "10:00:00"],
      [86399, "23:59:59"],
      [86400, "1 day, 0:00:00"],
      [2 * 86400 + 3661, "2 days, 1:01:01"],
      // timedelta keeps microseconds, rounded: 59.9999996 s is 0:01:00.
      [59.9999996, "0:01:00"],
    ];
    for (const [s, text] of cases) assert.equal(formatDuration(s), text, `${s} s`);
  });

  test("datetime", () => {
    assert.equal(formatDateTime(T0), "2026-11-27 14:00:00");
    assert.equal(formatDateTime(T0 + 999), "2026-11-27 14:00:00");
    assert.equal(formatDateTime(new Date(2027, 0, 5, 3, 4, 5).getTime()), "2027-01-05 03:04:05");
  });
});

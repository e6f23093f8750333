// Mutation fuzzing for Kiln's parsers (issue 17): seeded byte-level mutations of valid inputs
// (bit flips, interesting values, insertions, deletions, truncations, splices, repeated chunks)
// are fed to a parser, which must return or throw a KilnError, within a time limit, and must not
// grow the heap past a bound. `npm test` runs a short budget per parser; `npm run fuzz` runs
// KILN_FUZZ_RUNS (default 100000) mutations per parser and prints the statistics.

import assert from "node:assert/strict";
import { KilnError } from "../../src/index.ts";
import { rng } from "../rng.ts";

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 31 - 1];

/** One mutation of `input` (never the same array). */
export function mutate(
  input: Uint8Array,
  random: () => number,
  pool: readonly Uint8Array[] = [],
): Uint8Array {
  const n = input.length;
  const at = (k = n) => Math.floor(random() * Math.max(1, k));
  const out = input.slice();
  switch (Math.floor(random() * 9)) {
    case 0: {
      // flip 1 to 8 bits
      const flips = 1 + at(8);
      for (let i = 0; i < flips && n > 0; i++) out[at()]! ^= 1 << at(8);
      return out;
    }
    case 1: {
      // an interesting byte, 16-bit or 32-bit value, either endianness
      if (n === 0) return out;
      const v = INTERESTING[at(INTERESTING.length)]!;
      const width = [1, 2, 4][at(3)]!;
      const pos = at(Math.max(1, n - width + 1));
      const little = random() < 0.5;
      for (let i = 0; i < width && pos + i < n; i++) {
        const shift = 8 * (little ? i : width - 1 - i);
        out[pos + i] = Math.floor(v / 2 ** shift) & 0xff;
      }
      return out;
    }
    case 2: {
      // random bytes overwritten
      const len = 1 + at(16);
      const pos = at();
      for (let i = 0; i < len && pos + i < n; i++) out[pos + i] = at(256);
      return out;
    }
    case 3:
      // truncation
      return input.slice(0, at(n + 1));
    case 4: {
      // deletion of a chunk
      const pos = at();
      const len = 1 + at(Math.min(64, n));
      return concat(input.subarray(0, pos), input.subarray(pos + len));
    }
    case 5: {
      // insertion of random bytes
      const pos = at(n + 1);
      const ins = Uint8Array.from({ length: 1 + at(32) }, () => at(256));
      return concat(input.subarray(0, pos), ins, input.subarray(pos));
    }
    case 6: {
      // a chunk of the input repeated many times (length fields meet long data)
      const pos = at();
      const chunk = input.subarray(pos, pos + 1 + at(16));
      const times = 1 + at(200);
      const parts: Uint8Array[] = [input.subarray(0, pos)];
      for (let i = 0; i < times; i++) parts.push(chunk);
      parts.push(input.subarray(pos));
      return concat(...parts);
    }
    case 7: {
      // splice with another seed input
      const other = pool.length > 0 ? pool[at(pool.length)]! : input;
      const cut = at(n + 1);
      const from = Math.floor(random() * other.length);
      return concat(input.subarray(0, cut), other.subarray(from));
    }
    default: {
      // swap two chunks
      if (n < 2) return out;
      const len = 1 + at(Math.min(32, Math.floor(n / 2)));
      const a = at(n - len + 1);
      const b = at(n - len + 1);
      const tmp = out.slice(a, a + len);
      out.copyWithin(a, b, b + len);
      out.set(tmp, b);
      return out;
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p, k);
    k += p.length;
  }
  return out;
}

export interface FuzzOptions {
  /** Seed inputs: valid files of the format (mutations start from these). */
  seeds: readonly Uint8Array[];
  /** Parses one input; may return anything; must throw only KilnErrors. */
  parse: (bytes: Uint8Array) => unknown;
  /** How many mutations (default: KILN_FUZZ_RUNS, else as many as fit in `budgetMs`). */
  runs?: number;
  /** Wall-clock budget when `runs` is not given (default 8000 ms, as in `npm test`). */
  budgetMs?: number;
  /** The slowest one input may take (default 5000 ms, the bound). */
  maxMsPerInput?: number;
  seed?: number;
}

export interface FuzzReport {
  runs: number;
  kilnErrors: number;
  accepted: number;
  slowestMs: number;
  /** Peak heap growth during the run, bytes (process.memoryUsage().heapUsed + arrayBuffers). */
  peakHeapGrowth: number;
}

function memory(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/**
 * Feeds mutations of `seeds` to `parse`. Fails (assert) on the first non-Kiln exception or an
 * input slower than `maxMsPerInput`, naming the seed and run so it can be replayed.
 */
export function fuzz(opts: FuzzOptions): FuzzReport {
  const envRuns = Number(process.env.KILN_FUZZ_RUNS);
  const runs = opts.runs ?? (Number.isFinite(envRuns) && envRuns > 0 ? envRuns : Infinity);
  const budget = Number.isFinite(runs) ? Infinity : (opts.budgetMs ?? 8000);
  const maxMs = opts.maxMsPerInput ?? 5000;
  const seed = opts.seed ?? 1;
  const random = rng(seed);
  const start = performance.now();
  const base = memory();
  const report: FuzzReport = {
    runs: 0,
    kilnErrors: 0,
    accepted: 0,
    slowestMs: 0,
    peakHeapGrowth: 0,
  };
  for (let i = 0; i < runs && performance.now() - start < budget; i++) {
    const from = opts.seeds[Math.floor(random() * opts.seeds.length)]!;
    let input = mutate(from, random, opts.seeds);
    // stacked mutations now and then reach deeper states
    while (random() < 0.3) input = mutate(input, random, opts.seeds);
    const t0 = performance.now();
    try {
      opts.parse(input);
      report.accepted++;
    } catch (e) {
      if (!(e instanceof KilnError)) {
        assert.fail(
          `fuzz seed ${seed}, run ${i}: ${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 300)} (input of ${input.length} bytes)`,
        );
      }
      assert.ok(
        e.message.length <= 2000,
        `fuzz seed ${seed}, run ${i}: a ${e.message.length}-character error message`,
      );
      report.kilnErrors++;
    }
    const ms = performance.now() - t0;
    report.slowestMs = Math.max(report.slowestMs, ms);
    assert.ok(ms <= maxMs, `fuzz seed ${seed}, run ${i}: ${ms.toFixed(0)} ms for one input`);
    if ((i & 63) === 0) report.peakHeapGrowth = Math.max(report.peakHeapGrowth, memory() - base);
    report.runs++;
  }
  return report;
}

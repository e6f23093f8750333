// Issue 17: mutation fuzzing of the dataset parsers on bytes: IDX (plain and gzipped, with the
// capped inflation of files.ts), CIFAR-10 batches and CSV. Each must return or throw a KilnError,
// within the harness's time limit. `npm test` gives each a short budget; `npm run fuzz` sets
// KILN_FUZZ_RUNS.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { parseCifarBatch } from "../../src/data/datasets/cifar10.ts";
import { parseCsv } from "../../src/data/datasets/csv.ts";
import { gunzipCapped } from "../../src/data/datasets/files.ts";
import { idxDeclaredSize, parseIdx } from "../../src/data/datasets/idx.ts";
import { bundledMnistDir } from "../../src/data/datasets/mnist.ts";
import { type FuzzOptions, type FuzzReport, fuzz } from "./harness.ts";

/** Per parser in `npm test` (4 parsers here); KILN_FUZZ_RUNS overrides it. */
const BUDGET_MS = 2500;

/**
 * Runs `fuzz` in slices of at most 500 mutations (each slice with its own PRNG seed), yielding
 * to the event loop between slices: Node 20's zlib sync calls keep a failed stream (its 16 KB
 * output buffer) until a later tick, so a long synchronous loop of failing gunzips would count
 * that deferred clean-up as the parser's memory. The report sums the slices; the peak is theirs.
 */
async function sliced(opts: FuzzOptions): Promise<FuzzReport> {
  const envRuns = Number(process.env.KILN_FUZZ_RUNS);
  const total = Number.isFinite(envRuns) && envRuns > 0 ? envRuns : Infinity;
  const deadline = performance.now() + (opts.budgetMs ?? 8000);
  const sum: FuzzReport = { runs: 0, kilnErrors: 0, accepted: 0, slowestMs: 0, peakHeapGrowth: 0 };
  for (let slice = 1; sum.runs < total; slice++) {
    if (!Number.isFinite(total) && performance.now() >= deadline) break;
    const r = fuzz({ ...opts, seed: slice, runs: Math.min(500, total - sum.runs) });
    sum.runs += r.runs;
    sum.kilnErrors += r.kilnErrors;
    sum.accepted += r.accepted;
    sum.slowestMs = Math.max(sum.slowestMs, r.slowestMs);
    sum.peakHeapGrowth = Math.max(sum.peakHeapGrowth, r.peakHeapGrowth);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sum;
}

function report(name: string, r: FuzzReport): void {
  console.log(
    `fuzz ${name}: ${r.runs} runs, ${r.kilnErrors} KilnErrors, ${r.accepted} accepted, slowest ${r.slowestMs.toFixed(1)} ms, peak heap growth ${(r.peakHeapGrowth / 2 ** 20).toFixed(1)} MB`,
  );
}

function idx(typeCode: number, dims: number[], body: Uint8Array): Uint8Array {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE((typeCode << 8) | dims.length, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return new Uint8Array(Buffer.concat([head, body]));
}

const mnist = bundledMnistDir();
const images = readFileSync(join(mnist, "t10k-images-idx3-ubyte")).subarray(16, 16 + 3 * 784);
const labels = readFileSync(join(mnist, "t10k-labels-idx1-ubyte")).subarray(8, 8 + 3);
const idxSeeds = [
  idx(0x08, [3, 28, 28], images),
  idx(0x08, [3], labels),
  idx(
    0x08,
    [2, 3, 2],
    Uint8Array.from({ length: 12 }, (_, i) => i),
  ),
  idx(0x0c, [2, 2], new Uint8Array(16).fill(7)),
  idx(0x0d, [3], new Uint8Array(12).fill(0x3f)),
  idx(0x0e, [1, 1, 1, 2], new Uint8Array(16).fill(1)),
  idx(0x0b, [4], new Uint8Array(8)),
];

test("fuzz: parseIdx on mutated IDX files", async () => {
  report(
    "IDX",
    await sliced({
      seeds: idxSeeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) => parseIdx("fuzz.idx", bytes),
    }),
  );
});

test("fuzz: gzipped IDX (capped gunzip at the declared size, then parseIdx)", async () => {
  const seeds = idxSeeds.map((s) => new Uint8Array(gzipSync(s)));
  // a member of zeros after the data: the inflation must stop at the declared size
  seeds.push(new Uint8Array(Buffer.concat([gzipSync(idxSeeds[1]!), gzipSync(Buffer.alloc(1e6))])));
  report(
    "IDX.gz",
    await sliced({
      seeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) => {
        const expected = { typeCode: 0x08, ndim: 3 };
        const out = gunzipCapped("fuzz.idx.gz", bytes, {
          declaredSize: (head) => idxDeclaredSize("fuzz.idx.gz", head, expected),
        });
        return parseIdx("fuzz.idx.gz", out, expected);
      },
    }),
  );
});

function cifarRecord(label: number, seed: number): Uint8Array {
  const r = new Uint8Array(3073);
  r[0] = label;
  for (let i = 1; i < r.length; i++) r[i] = (i * 31 + seed) & 0xff;
  return r;
}

test("fuzz: parseCifarBatch on mutated CIFAR-10 batches", async () => {
  const one = cifarRecord(3, 1);
  const two = new Uint8Array([...cifarRecord(9, 2), ...cifarRecord(0, 5)]);
  report(
    "CIFAR",
    await sliced({
      seeds: [one, two],
      budgetMs: BUDGET_MS,
      parse: (bytes) => parseCifarBatch("fuzz.bin", bytes),
    }),
  );
});

test("fuzz: parseCsv on mutated CSV files", async () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const seeds = [
    enc("sepal,petal,species\n5.1,1.4,setosa\n6.2,4.5,versicolor\r\n5.0,1.5,setosa\n\n"),
    enc("a,b,label\n1,2,0\n3,4,1\n-1.5e3,.5,2\n"),
    enc("1,2,0\n3,4,1\n"),
    enc('"x";"y";"k"\n1;2;3\n4;nan;5\n'),
    enc("a,label\n1,0\n2,1e9\n"),
    enc("f,y\n1,0.25\n2,inf\n"),
  ];
  const options = [
    {},
    { labelColumn: 0 },
    { labelColumn: "species" },
    { delimiter: ";" },
    { task: "regression" as const },
    { header: false },
    { maxClasses: 3 },
  ];
  let k = 0;
  report(
    "CSV",
    await sliced({
      seeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) => parseCsv("fuzz.csv", bytes, options[k++ % options.length]),
    }),
  );
});

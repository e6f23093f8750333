// Fuzzing the .pt reader (issue 17): mutations of whole torch.save files (zip container, CRCs,
// deflated and stored records) through io.loadTorch, and mutations of their data.pkl alone,
// re-zipped with valid CRCs so that every mutation reaches the restricted unpickler and the
// conversion to Kiln values. Every input must load or raise a KilnError with a short message,
// within 5 s, without the heap growing past 256 MB.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { zipSync } from "fflate";
import { io, Tensor } from "../../src/index.ts";
import { parseTorch } from "../../src/io/torch/load-torch.ts";
import { serializeTorch } from "../../src/io/torch/save-torch.ts";
import { writeZip, ZipArchive } from "../../src/io/torch/zip.ts";
import { type FuzzReport, fuzz } from "./harness.ts";

const BUDGET_MS = 4000;
const GOLDEN = path.join(import.meta.dirname, "..", "golden", "io-torch");
const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(GOLDEN, name)));

function show(name: string, r: FuzzReport): void {
  console.log(
    `fuzz ${name}: ${r.runs} runs, ${r.kilnErrors} KilnErrors, ${r.accepted} accepted, slowest ${r.slowestMs.toFixed(1)} ms, peak heap growth ${(r.peakHeapGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
}

/** The records of a zip, in order. */
function recordsOf(bytes: Uint8Array): [string, Uint8Array][] {
  const zip = new ZipArchive(bytes, "seed");
  return [...zip.entries.values()].map((e): [string, Uint8Array] => [e.name, zip.read(e).slice()]);
}

/** The same file with every record deflated (valid, though PyTorch's writer stores them). */
function deflated(bytes: Uint8Array): Uint8Array {
  return zipSync(Object.fromEntries(recordsOf(bytes)), { level: 6 });
}

// Seeds: PyTorch-written fixtures (state dicts, every dtype, refused globals, views past 2^31),
// and small files of Kiln's own writer (nested containers, shared storages, big ints).
const t = Tensor.fromData(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], "float32");
const kiln = serializeTorch({
  w: t,
  view: t.narrow(1, 1, 2),
  nested: [1, [2n ** 70n, -3], { a: null, b: true, c: "s" }],
  ints: Tensor.fromData(Int32Array.of(-1, 0, 7), [3], "int32"),
});
const PT_SEEDS = [
  ...[
    "cnn.pt",
    "dtypes.pt",
    "evil_eval.pt",
    "evil_getattr.pt",
    "evil_os_system.pt",
    "evil_subprocess.pt",
    "huge-view-2p31.pt",
    "int64_overflow.pt",
  ].map(read),
  kiln,
  deflated(read("cnn.pt")),
  deflated(kiln),
];

// For the pickle fuzzing: the records of each stored seed. A pickle seed is one byte naming its
// file (index modulo the count) and then that file's data.pkl, so a mutated pickle is zipped with
// the storages its persistent ids name.
const FILES = PT_SEEDS.slice(0, 9).map(recordsOf);
const pklOf = (records: [string, Uint8Array][]) => records.find(([n]) => n.endsWith("data.pkl"))!;
const PKL_SEEDS = [
  ...FILES.map((records, i) => Uint8Array.of(i, ...pklOf(records)[1])),
  // Bare pickles of refused globals, protocols 0, 2 and 4, with the first file's storages.
  ...[
    "evil_eval.pkl",
    "evil_getattr.pkl",
    "evil_os_system.pkl",
    "evil_os_system_p0.pkl",
    "evil_os_system_p4.pkl",
    "evil_subprocess.pkl",
  ].map((name) => Uint8Array.of(0, ...read(name))),
];

function parsePickleSeed(bytes: Uint8Array): unknown {
  const records = FILES[(bytes[0] ?? 0) % FILES.length]!;
  const [pklName] = pklOf(records);
  return parseTorch(
    writeZip(
      records.map(([n, d]): [string, Uint8Array] => [n, n === pklName ? bytes.subarray(1) : d]),
    ),
  );
}

describe("fuzz: .pt files", () => {
  test("the Kiln-written and deflated seeds load", () => {
    assert.ok(parseTorch(kiln));
    assert.ok(parseTorch(PT_SEEDS[PT_SEEDS.length - 2]!));
    assert.ok(parseTorch(PT_SEEDS[PT_SEEDS.length - 1]!));
    assert.ok(parsePickleSeed(PKL_SEEDS[0]!));
  });

  test("mutated .pt files: loaded or a KilnError", () => {
    const r = fuzz({
      seeds: PT_SEEDS,
      parse: (b) => io.loadTorch(b),
      budgetMs: BUDGET_MS,
      seed: 17,
    });
    show("torch .pt", r);
    assert.ok(r.runs > 0);
    assert.ok(r.peakHeapGrowth < 256 * 2 ** 20, `heap grew by ${r.peakHeapGrowth} bytes`);
  });

  test("mutated data.pkl, re-zipped with valid CRCs: loaded or a KilnError", () => {
    const r = fuzz({
      seeds: PKL_SEEDS,
      parse: parsePickleSeed,
      budgetMs: BUDGET_MS,
      seed: 171,
    });
    show("torch data.pkl", r);
    assert.ok(r.runs > 0);
    assert.ok(r.peakHeapGrowth < 256 * 2 ** 20, `heap grew by ${r.peakHeapGrowth} bytes`);
  });
});

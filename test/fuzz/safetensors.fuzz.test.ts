// Fuzzing the safetensors reader (issue 17): byte mutations of PyTorch-written and Kiln-written
// files (header length, JSON header, offsets, data) through io.parseSafetensors. Every input must
// load or raise a KilnError with a short message, within 5 s, without the heap growing past 256 MB.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, test } from "node:test";
import { io, Tensor } from "../../src/index.ts";
import { type FuzzReport, fuzz } from "./harness.ts";

const BUDGET_MS = 4000;
const GOLDEN = path.join(import.meta.dirname, "..", "golden", "io");
const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(GOLDEN, name)));

function show(name: string, r: FuzzReport): void {
  console.log(
    `fuzz ${name}: ${r.runs} runs, ${r.kilnErrors} KilnErrors, ${r.accepted} accepted, slowest ${r.slowestMs.toFixed(1)} ms, peak heap growth ${(r.peakHeapGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
}

/** A header-only file: the JSON text padded to 8 bytes, then `data`. */
function withHeader(json: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = Buffer.from(json.padEnd(Math.ceil(json.length / 8) * 8, " "));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(text.length));
  return new Uint8Array(Buffer.concat([prefix, text, data]));
}

const SEEDS = [
  read("torch_mixed.safetensors"),
  read("torch_i64_overflow.safetensors"),
  io.serializeSafetensors(
    {
      w: Tensor.fromData(Float32Array.of(1, -2, 3.5, 4), [2, 2], "float32"),
      d: Tensor.fromData(Float64Array.of(0.5), [1], "float64"),
      i: Tensor.fromData(Int32Array.of(-7, 8, 9), [3], "int32"),
      b: Tensor.fromData(Uint8Array.of(1, 0), [2], "bool"),
      e: Tensor.fromData(new Float32Array(0), [0, 3], "float32"),
      s: Tensor.fromData(Float32Array.of(2), [], "float32"),
    },
    { metadata: { format: "pt", note: "kiln" } },
  ),
  // Every integer and half dtype of the format, written by hand.
  withHeader(
    JSON.stringify({
      a: { dtype: "U8", shape: [2], data_offsets: [0, 2] },
      b: { dtype: "I8", shape: [2], data_offsets: [2, 4] },
      c: { dtype: "I16", shape: [1], data_offsets: [4, 6] },
      d: { dtype: "U16", shape: [1], data_offsets: [6, 8] },
      e: { dtype: "F16", shape: [2], data_offsets: [8, 12] },
      f: { dtype: "BF16", shape: [2], data_offsets: [12, 16] },
      g: { dtype: "U32", shape: [1], data_offsets: [16, 20] },
      h: { dtype: "I64", shape: [1], data_offsets: [20, 28] },
      i: { dtype: "U64", shape: [1], data_offsets: [28, 36] },
    }),
    // Small values: the 64-bit ones must fit in int32.
    Uint8Array.from({ length: 36 }, (_, k) => (k < 20 || (k - 20) % 8 === 0 ? (k * 37) & 0x7f : 0)),
  ),
];

describe("fuzz: safetensors", () => {
  test("the seeds load", () => {
    for (const s of SEEDS.filter((_, i) => i !== 1)) assert.ok(io.parseSafetensors(s));
  });

  test("mutated safetensors files: loaded or a KilnError", () => {
    const r = fuzz({
      seeds: SEEDS,
      parse: (b) => io.parseSafetensors(b),
      budgetMs: BUDGET_MS,
      seed: 1717,
    });
    show("safetensors", r);
    assert.ok(r.runs > 0);
    assert.ok(r.peakHeapGrowth < 256 * 2 ** 20, `heap grew by ${r.peakHeapGrowth} bytes`);
  });
});

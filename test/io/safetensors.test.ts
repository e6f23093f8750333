// Tests of the safetensors reader and writer: byte-exact layout against the reference crate's own
// test vectors, round trips of every Kiln dtype, a fixture written from PyTorch tensors by
// tools/io_golden.py, and a FormatError for each kind of corrupt file.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { FormatError } from "../../src/core/errors.ts";
import {
  loadSafetensors,
  parseSafetensors,
  readSafetensors,
  saveSafetensors,
  serializeSafetensors,
} from "../../src/io/safetensors.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

const GOLDEN = path.join(import.meta.dirname, "..", "golden", "io");

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "kiln-st-"));
}

/** Builds a file from a header object and a data section, as a corrupt-file generator. */
function fileOf(
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerText?: string,
): Uint8Array {
  const json = Buffer.from(headerText ?? JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function expectFormatError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => parseSafetensors(bytes, "bad.safetensors"),
    (err: unknown) => {
      assert.ok(err instanceof FormatError, `expected FormatError, got ${String(err)}`);
      assert.match(err.message, /bad\.safetensors/);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

describe("safetensors: layout matches the reference writer", () => {
  it("reproduces the crate's test_serialization_forced_alignement bytes", () => {
    // safetensors/src/tensor.rs: {"attn0": F32 [1,1,2,3] = 0..5} serialises to these 104 bytes.
    const t = Tensor.fromData(new Float32Array([0, 1, 2, 3, 4, 5]), [1, 1, 2, 3], "float32");
    const out = serializeSafetensors({ attn0: t });
    const header = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ';
    const expected = Buffer.concat([
      Buffer.from([72, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from(header),
      Buffer.from(new Float32Array([0, 1, 2, 3, 4, 5]).buffer),
    ]);
    assert.deepEqual(Buffer.from(out), expected);
  });

  it("reproduces the crate's test_empty bytes, with and without metadata", () => {
    assert.deepEqual(
      [...serializeSafetensors({})],
      [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32],
    );
    const withMeta = serializeSafetensors({}, { metadata: { framework: "pt" } });
    assert.deepEqual(
      Buffer.from(withMeta),
      Buffer.concat([
        Buffer.from([40, 0, 0, 0, 0, 0, 0, 0]),
        Buffer.from('{"__metadata__":{"framework":"pt"}}     '),
      ]),
    );
  });

  it("orders tensors by descending dtype alignment, then by name, and aligns the data", () => {
    const bytes = serializeSafetensors({
      b: Tensor.fromData(new Uint8Array([1]), [1], "bool"),
      z: Tensor.fromData(new Float32Array([1]), [1], "float32"),
      a: Tensor.fromData(new Float32Array([2]), [1], "float32"),
      d: Tensor.fromData(new Float64Array([3]), [1], "float64"),
      i: Tensor.fromData(new Int32Array([4]), [1], "int32"),
    });
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    assert.equal(n % 8, 0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8"));
    assert.deepEqual(Object.keys(header), ["d", "a", "z", "i", "b"]);
    assert.deepEqual(header.d.data_offsets, [0, 8]);
    assert.deepEqual(header.b.data_offsets, [20, 21]);
  });
});

describe("safetensors: round trip", () => {
  it("saves and loads every Kiln dtype with shapes, metadata and non-contiguous inputs", () => {
    const dir = tmpDir();
    const file = path.join(dir, "nested", "model.safetensors");
    const w = Tensor.fromData(new Float32Array([1.5, -2, 3.25, 1e-20, -0, 7]), [2, 3], "float32");
    const tensors = {
      "fc1.weight": w,
      "fc1.weight_t": w.t(),
      "fc1.bias": Tensor.fromData(new Float32Array([0.1, 0.2]), [2], "float32"),
      scale: Tensor.fromData(new Float64Array([Math.PI]), [], "float64"),
      "bn.num_batches_tracked": Tensor.fromData(new Int32Array([-7]), [], "int32"),
      mask: Tensor.fromData(new Uint8Array([1, 0, 1]), [3], "bool"),
      empty: Tensor.fromData(new Float32Array(0), [0, 4], "float32"),
    };
    saveSafetensors(file, tensors, { metadata: { format: "pt", epoch: "3" } });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["model.safetensors"]);
    const { tensors: back, metadata } = readSafetensors(file);
    assert.deepEqual(metadata, { epoch: "3", format: "pt" });
    assert.deepEqual(Object.keys(back).sort(), Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const b = back[name]!;
      assert.equal(b.dtype, t.dtype, name);
      assert.deepEqual(b.shape, t.shape, name);
      assert.deepEqual(Array.from(b.dataSync()), Array.from(t.dataSync()), name);
    }
    assert.ok(Object.is(back["fc1.weight"]!.dataSync()[4], -0));
    assert.deepEqual(
      Array.from(back["fc1.weight_t"]!.dataSync()),
      [1.5, 1e-20, -2, -0, 3.25, 7].map(Math.fround),
    );
  });

  it("loads from bytes as well as from a path", () => {
    const bytes = serializeSafetensors({
      x: Tensor.fromData(new Int32Array([1, 2]), [2], "int32"),
    });
    assert.deepEqual(Array.from(loadSafetensors(bytes).x!.dataSync()), [1, 2]);
  });
});

describe("safetensors: a fixture written from PyTorch tensors (tools/io_golden.py)", () => {
  const expected = JSON.parse(fs.readFileSync(path.join(GOLDEN, "torch_mixed.json"), "utf8")) as {
    metadata: Record<string, string>;
    tensors: Record<string, { kiln_dtype: string; shape: number[]; values: (number | boolean)[] }>;
  };

  // Every dtype loads as itself since issue 15: int64 exactly (a BigInt64Array), F16 and BF16 as
  // the storage dtypes float16 and bfloat16 (their values compared through .float()).
  const AS_ITSELF: Record<string, string> = {
    labels: "int64",
    pixels: "uint8",
    signed_bytes: "int8",
    shorts: "int16",
    half: "float16",
    bf16: "bfloat16",
  };

  it("loads every dtype as itself, with PyTorch's values", () => {
    const { tensors, metadata } = readSafetensors(path.join(GOLDEN, "torch_mixed.safetensors"));
    assert.deepEqual(metadata, expected.metadata);
    assert.deepEqual(Object.keys(tensors).sort(), Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries(expected.tensors)) {
      const t = tensors[name]!;
      assert.equal(t.dtype, AS_ITSELF[name] ?? want.kiln_dtype, name);
      assert.deepEqual(t.shape, want.shape, name);
      const half = t.dtype === "float16" || t.dtype === "bfloat16";
      const values = half ? t.float().dataSync() : t.dataSync();
      const got = Array.from(values as ArrayLike<number | bigint>, (v) =>
        t.dtype === "bool" ? v === 1 : Number(v),
      );
      assert.deepEqual(got, want.values, name);
    }
  });

  it("loads an I64 value beyond int32 exactly, as int64", () => {
    const t = loadSafetensors(path.join(GOLDEN, "torch_i64_overflow.safetensors")).big!;
    assert.equal(t.dtype, "int64");
    assert.equal((t.dataSync() as unknown as BigInt64Array)[1], 1099511627776n);
  });
});

describe("safetensors: corrupt files raise FormatError", () => {
  const good = serializeSafetensors({
    a: Tensor.fromData(new Float32Array([1, 2]), [2], "float32"),
    b: Tensor.fromData(new Int32Array([3]), [1], "int32"),
  });

  it("a file shorter than the length prefix", () => {
    expectFormatError(good.subarray(0, 5), /5 bytes, expected at least the 8-byte header length/);
  });
  it("a header length beyond the file", () => {
    const bytes = Buffer.from(good);
    bytes.writeBigUInt64LE(BigInt(bytes.length));
    expectFormatError(bytes, /header length \d+ runs past the end of the file/);
  });
  it("a header length above the 100 MB cap", () => {
    const bytes = Buffer.from(good);
    bytes.writeBigUInt64LE(2n ** 63n);
    expectFormatError(bytes, /exceeds the 100000000-byte limit/);
  });
  it("a truncated data section", () => {
    expectFormatError(good.subarray(0, good.length - 3), /tensor "b".*run past the data section/);
  });
  it("trailing bytes after the last tensor", () => {
    expectFormatError(
      Buffer.concat([good, Buffer.from([0])]),
      /cover 12 bytes of a 13-byte data section/,
    );
  });
  it("bad JSON, JSON that is not an object, and invalid UTF-8", () => {
    expectFormatError(fileOf(null, undefined, '{"a": {'), /header is not valid JSON/);
    expectFormatError(fileOf([1, 2]), /header must be a JSON object/);
    const bad = Buffer.from(fileOf({}, undefined, "{}      "));
    bad[9] = 0xff;
    expectFormatError(bad, /not valid UTF-8/);
  });
  it("an unknown dtype", () => {
    expectFormatError(
      fileOf({ w: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /tensor "w": unknown dtype "F128"/,
    );
  });
  it("a malformed shape or data_offsets", () => {
    expectFormatError(
      fileOf({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /tensor "w": shape \[-1\]/,
    );
    expectFormatError(
      fileOf({ w: { dtype: "F32", shape: [1], data_offsets: [4] } }, new Uint8Array(4)),
      /tensor "w": data_offsets \[4\] is not a pair/,
    );
  });
  it("offsets out of bounds", () => {
    const h = { w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } };
    expectFormatError(
      fileOf(h, new Uint8Array(4)),
      /tensor "w": data_offsets \[0, 8\] run past the data section \(4 bytes\)/,
    );
  });
  it("overlapping and gapped offsets", () => {
    const overlap = {
      a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
      b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
    };
    expectFormatError(
      fileOf(overlap, new Uint8Array(12)),
      /tensor "b": data_offsets \[4, 12\] overlaps the tensor before it; expected it to begin at 8/,
    );
    const gap = { a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } };
    expectFormatError(
      fileOf(gap, new Uint8Array(8)),
      /tensor "a".*leaves a gap before it; expected it to begin at 0/,
    );
  });
  it("a byte size that does not match shape and dtype", () => {
    const h = { w: { dtype: "F64", shape: [2, 2], data_offsets: [0, 16] } };
    expectFormatError(
      fileOf(h, new Uint8Array(16)),
      /tensor "w": data_offsets \[0, 16\] hold 16 bytes, but shape \[2, 2\] of F64 needs 32/,
    );
  });
  it("non-string metadata", () => {
    expectFormatError(
      fileOf({ __metadata__: { epoch: 3 } }),
      /__metadata__ "epoch" must be a string/,
    );
  });
  it("an unsupported F8 dtype is named", () => {
    const h = { q: { dtype: "F8_E4M3", shape: [2], data_offsets: [0, 2] } };
    expectFormatError(fileOf(h, new Uint8Array(2)), /tensor "q": dtype F8_E4M3 is not supported/);
  });
});

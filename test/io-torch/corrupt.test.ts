// Corrupt and hostile .pt files: truncation anywhere, flipped bytes, a bad CRC, a missing storage
// record, a storage of the wrong size, a pickle that ends early, and huge declared sizes, each a
// FormatError that names the zip entry or pickle byte offset, raised before any large allocation.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { FormatError } from "../../src/core/errors.ts";
import { parseTorch } from "../../src/io/torch/load-torch.ts";
import { writeZip, ZipArchive } from "../../src/io/torch/zip.ts";
import { expectFormatError, fixture, ptWith } from "./helpers.ts";

const CNN = new Uint8Array(fs.readFileSync(fixture("cnn.pt")));

/** The records of a torch.save file, in order, to rebuild variants of it. */
function recordsOf(bytes: Uint8Array): [string, Uint8Array][] {
  const zip = new ZipArchive(bytes, "test");
  return [...zip.entries.values()].map((e) => [e.name, zip.read(e).slice()]);
}

const replace = (
  records: [string, Uint8Array][],
  name: string,
  data: Uint8Array | null,
): [string, Uint8Array][] =>
  records.flatMap(([n, d]): [string, Uint8Array][] =>
    n === name ? (data === null ? [] : [[n, data]]) : [[n, d]],
  );

describe("corrupt .pt files", () => {
  it("the rebuilt fixture still loads (sanity check of the rebuilding helper)", () => {
    assert.ok(parseTorch(writeZip(recordsOf(CNN))));
  });

  it("a file truncated at any point is a FormatError", () => {
    for (let cut = 0; cut < CNN.length; cut += 37) {
      assert.throws(() => parseTorch(CNN.subarray(0, cut), "cut.pt"), FormatError, `cut at ${cut}`);
    }
    expectFormatError(CNN.subarray(0, CNN.length - 10), /no end-of-central-directory record/);
    expectFormatError(
      CNN.subarray(0, 2000),
      /no end-of-central-directory record in the last 2000 bytes of 2000/,
    );
  });

  it("any single flipped byte is caught as a FormatError or leaves the file loadable", () => {
    let seed = 12345;
    for (let k = 0; k < 300; k++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const bytes = CNN.slice();
      const at = seed % bytes.length;
      bytes[at]! ^= 1 + ((seed >>> 16) % 255);
      try {
        parseTorch(bytes, "flipped.pt");
      } catch (err) {
        assert.ok(err instanceof FormatError, `byte ${at}: ${String(err)}`);
      }
    }
  });

  it("a bad CRC names the entry and its offset", () => {
    const zip = new ZipArchive(CNN, "test");
    const entry = zip.entries.get("cnn/data/0")!;
    const bytes = CNN.slice();
    bytes[entry.dataOffset]! ^= 0xff;
    expectFormatError(bytes, /zip entry "cnn\/data\/0" at byte \d+: CRC-32 mismatch/);
  });

  it("a missing storage record names the entry and the pickle offset", () => {
    const bytes = writeZip(replace(recordsOf(CNN), "cnn/data/3", null));
    expectFormatError(
      bytes,
      /data\.pkl at byte \d+: missing zip entry "cnn\/data\/3" for storage "3"/,
    );
  });

  it("a storage record of the wrong size is refused", () => {
    const records = recordsOf(CNN);
    const data = records.find(([n]) => n === "cnn/data/0")![1];
    expectFormatError(
      writeZip(replace(records, "cnn/data/0", data.subarray(0, data.length - 4))),
      /zip entry "cnn\/data\/0" at byte \d+ holds 140 bytes, but storage "0" declares 36 × float32 = 144 bytes/,
    );
  });

  it("a pickle that ends early names the offset", () => {
    const records = recordsOf(CNN);
    const pkl = records.find(([n]) => n === "cnn/data.pkl")![1];
    expectFormatError(
      writeZip(replace(records, "cnn/data.pkl", pkl.subarray(0, 100))),
      /cnn\/data\.pkl at byte \d+: the pickle ends early/,
    );
    expectFormatError(
      writeZip(replace(records, "cnn/data.pkl", pkl.subarray(0, pkl.length - 1))),
      /no STOP opcode/,
    );
  });

  it("a missing data.pkl, a legacy file and a TorchScript archive are named", () => {
    expectFormatError(
      writeZip(replace(recordsOf(CNN), "cnn/data.pkl", null)),
      /missing zip entry "<archive>\/data\.pkl"/,
    );
    expectFormatError(Uint8Array.of(0x80, 2, 0x8a, 0x0a), /legacy \(pre-1\.6, non-zip\)/);
    expectFormatError(writeZip([["m/constants.pkl", Uint8Array.of(0x2e)]]), /TorchScript archive/);
  });

  it("huge declared sizes are refused before allocation", () => {
    const PROTO2 = [0x80, 2];
    // A storage of 2^50 float32 elements backed by 4 bytes.
    const pid = [0x28, 0x58, 7, 0, 0, 0, ..."storage"].map((c) =>
      typeof c === "string" ? c.charCodeAt(0) : c,
    );
    const pickle = Uint8Array.from([
      ...PROTO2,
      ...[..."ctorch\nFloatStorage\n"].map((c) => c.charCodeAt(0)),
      0x94,
      0x30,
      ...pid,
      0x68,
      0,
      0x58,
      1,
      0,
      0,
      0,
      0x30,
      0x58,
      3,
      0,
      0,
      0,
      0x63,
      0x70,
      0x75,
      0x8a,
      7,
      0,
      0,
      0,
      0,
      0,
      0,
      4,
      0x74,
      0x51,
      0x2e,
    ]);
    expectFormatError(
      ptWith(pickle, [["archive/data/0", new Uint8Array(4)]]),
      /holds 4 bytes, but storage "0" declares 1125899906842624 × float32/,
    );
    // Strings and byte strings whose declared length exceeds the pickle.
    expectFormatError(
      ptWith(Uint8Array.of(...PROTO2, 0x58, 0xf0, 0xff, 0xff, 0xff, 0x2e)),
      /ends early: a string needs 4294967280 bytes/,
    );
    expectFormatError(
      ptWith(Uint8Array.of(...PROTO2, 0x8e, 0, 0, 0, 0, 0, 0, 1, 0, 0x2e)),
      /declared length 281474976710656 exceeds the pickle/,
    );
    expectFormatError(
      ptWith(Uint8Array.of(...PROTO2, 0x8b, 0xff, 0xff, 0xff, 0x7f, 0x2e)),
      /LONG4 of 2147483647 bytes; Kiln reads integers of at most 1024 bytes/,
    );
    // A deflated zip entry declaring a 4 GB inflated size.
    const zip = writeZip([["archive/data.pkl", Uint8Array.of(...PROTO2, 0x4e, 0x2e)]]);
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    const cd = view.getUint32(zip.length - 6, true);
    view.setUint16(cd + 10, 8, true);
    view.setUint32(cd + 24, 0xfffffff0, true);
    expectFormatError(
      zip,
      /zip entry "archive\/data\.pkl" at byte 0: declares 4294967280 bytes inflated from 4/,
    );
    // A central directory that claims more bytes than the file has.
    const cut = zip.slice();
    new DataView(cut.buffer).setUint32(cut.length - 10, 0x7fffffff, true);
    expectFormatError(
      cut,
      /central directory at byte \d+ \(2147483647 bytes\) runs past the end of the file/,
    );
  });

  it("a tensor view reaching past its storage is refused", () => {
    const records = recordsOf(CNN);
    const pkl = records.find(([n]) => n === "cnn/data.pkl")![1].slice();
    // The first tensor is conv.weight, size (4, 1, 3, 3): make its first dim 5.
    const sizeAt = findSequence(pkl, [0x4b, 4, 0x4b, 1, 0x4b, 3, 0x4b, 3]);
    assert.ok(sizeAt > 0);
    pkl[sizeAt + 1] = 5;
    expectFormatError(
      writeZip(replace(records, "cnn/data.pkl", pkl)),
      /size \[5, 1, 3, 3\], stride \[9, 9, 3, 1\] at offset 0 reaches element 44 of storage "0", which has 36/,
    );
  });
});

function findSequence(hay: Uint8Array, needle: number[]): number {
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (needle.every((b, j) => hay[i + j] === b)) return i;
  }
  return -1;
}

// Hostile safetensors headers (issue 17): deep JSON, millions of fields, huge entries, shapes
// whose element count overflows, repeated keys, `__proto__`, and long names, each a short
// FormatError (or a correct load) in bounded time.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FormatError } from "../../src/core/errors.ts";
import { parseSafetensors } from "../../src/io/safetensors.ts";

/** A file of the JSON text `json` (padded to 8 bytes) and `data`. */
function withHeader(json: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const text = Buffer.from(json.padEnd(Math.ceil(json.length / 8) * 8, " "));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(text.length));
  return new Uint8Array(Buffer.concat([prefix, text, data]));
}

/** Expects a short FormatError matching `pattern`; returns the ms it took. */
function refused(bytes: Uint8Array, pattern: RegExp): number {
  const t0 = performance.now();
  let caught: unknown;
  try {
    parseSafetensors(bytes, "bad.safetensors");
  } catch (err) {
    caught = err;
  }
  const ms = performance.now() - t0;
  assert.ok(caught instanceof FormatError, `expected a FormatError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  assert.ok(caught.message.length < 500, `a ${caught.message.length}-character message`);
  return ms;
}

describe("hostile safetensors headers (issue 17)", () => {
  it("JSON nested past serde_json's limit of 128 is refused before parsing", () => {
    const deep = `{"a":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    refused(withHeader(deep), /nests JSON more than 128 levels deep/);
  });

  it("millions of fields are walked in linear time, not built into one object", () => {
    // 1.6 million empty entries in 16 MB: JSON.parse and Object.entries took about 60 s for 20 MB.
    // Now the first entry is refused as it is read; 3 s is generous for a loaded machine.
    const parts: string[] = [];
    for (let i = 0; i < 1_600_000; i++) parts.push(`"${i}":{}`);
    const ms = refused(withHeader(`{${parts.join(",")}}`), /tensor "0": unknown dtype undefined/);
    assert.ok(ms < 3000, `${ms} ms`);
    // An entry of 10 MB of JSON is refused by its size.
    const huge = `{"a":{"dtype":"F32","shape":[${"1,".repeat(5_000_000)}1],"data_offsets":[0,4]}}`;
    refused(
      withHeader(huge, new Uint8Array(4)),
      /tensor "a": its entry takes \d+ characters of JSON/,
    );
  });

  it("shapes whose element count overflows are refused, as the reference's checked product", () => {
    const entry = (shape: number[]) =>
      withHeader(JSON.stringify({ a: { dtype: "F32", shape, data_offsets: [0, 0] } }));
    refused(
      entry([2 ** 40, 2 ** 40]),
      /tensor "a": shape \[1099511627776, 1099511627776\] is too large/,
    );
    refused(entry([2 ** 52, 2 ** 52, 0]), /is too large/);
    // A zero first makes the product 0, as the reference's try_fold: an empty tensor.
    assert.deepEqual(parseSafetensors(entry([0, 2 ** 40, 2 ** 40])).tensors.a!.shape, [
      0,
      2 ** 40,
      2 ** 40,
    ]);
    refused(entry(Array(100).fill(2)), /shape of 100 dims is too large/);
  });

  it("a key given twice is refused; __proto__ is an ordinary tensor name", () => {
    const e = '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
    refused(withHeader(`{"a":${e},"a":${e}}`, new Uint8Array(4)), /tensor "a" appears twice/);
    refused(withHeader(`{"__metadata__":{"k":"1","k":"2"}}`), /__metadata__ "k" appears twice/);
    const proto = parseSafetensors(withHeader(`{"__proto__":${e}}`, new Uint8Array(4)));
    assert.deepEqual(Object.keys(proto.tensors), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(proto.tensors), Object.prototype);
    const meta = parseSafetensors(withHeader(`{"__metadata__":{"__proto__":"x"}}`));
    assert.equal(Object.getOwnPropertyDescriptor(meta.metadata, "__proto__")?.value, "x");
  });

  it("long names and values from the file are clipped in messages", () => {
    const name = "n".repeat(50_000);
    refused(
      withHeader(
        JSON.stringify({ [name]: { dtype: "X".repeat(50_000), shape: [], data_offsets: [0, 0] } }),
      ),
      /tensor "n+\.\.\.\(50000 characters\)": unknown dtype "X+\.\.\.\(50002 characters\)/,
    );
    refused(
      withHeader(
        JSON.stringify({
          a: { dtype: "F32", shape: Array(1000).fill([[1]]), data_offsets: [0, 0] },
        }),
      ),
      /shape a list of 1000 values is not a list of non-negative integers/,
    );
    refused(
      withHeader(JSON.stringify({ __metadata__: { k: { deep: [1, 2, 3] } } })),
      /__metadata__ "k" must be a string, got an object/,
    );
  });

  it("malformed JSON around the fields is still named as such", () => {
    refused(withHeader('{"a" 1}'), /header is not valid JSON \(expected ':' at character 5\)/);
    refused(withHeader('{"a":{"dtype":"F32"'), /header is not valid JSON/);
    refused(withHeader('{"a":tru}'), /header is not valid JSON in tensor "a"/);
    refused(withHeader("[1, 2]"), /header must be a JSON object/);
    refused(
      withHeader('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}} x'),
      /unexpected text after the object/,
    );
  });
});

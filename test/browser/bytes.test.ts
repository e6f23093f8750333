// The byte-level entry points the browser bundle relies on, checked in Node (npm run test:unit):
// MNIST.fromIdx against MNIST read from the same files, safetensors bytes without Node's Buffer,
// and the browser shims of node:path and node:zlib against Node's own implementations.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nodePath from "node:path";
import { describe, it } from "node:test";
import { deflateRawSync, gzipSync } from "node:zlib";
import * as shim from "../../src/core/node-builtins-browser.ts";
import { data, FormatError, io, nn, ValueError } from "../../src/index.ts";
import { mnistDataDir } from "./server.ts";

const { MNIST, FashionMNIST } = data.datasets;

describe("MNIST.fromIdx", () => {
  const dir = mnistDataDir();
  const images = new Uint8Array(readFileSync(nodePath.join(dir, "t10k-images-idx3-ubyte")));
  const labels = new Uint8Array(readFileSync(nodePath.join(dir, "t10k-labels-idx1-ubyte")));

  it("gives the dataset MNIST reads from the files (the bundled test split)", () => {
    const fromFiles = new MNIST({ train: false });
    const fromBytes = MNIST.fromIdx(images, labels, { train: false });
    assert.ok(fromBytes instanceof MNIST);
    assert.equal(fromBytes.length, 10000);
    assert.equal(fromBytes.train, false);
    assert.equal(fromBytes.root, undefined);
    for (const i of [0, 1, 4321, 9999]) {
      const [a, la] = fromFiles.get(i);
      const [b, lb] = fromBytes.get(i);
      assert.equal(lb, la);
      assert.ok(b.equal(a), `image ${i}`);
    }
    // The labels file's bytes after its 8-byte header are the targets.
    assert.deepEqual((fromBytes.targets.tolist() as number[]).slice(0, 5), [
      ...labels.subarray(8, 13),
    ]);
  });

  it("keeps the subclass (FashionMNIST's classes) and refuses a root", () => {
    const f = FashionMNIST.fromIdx(images, labels);
    assert.ok(f instanceof FashionMNIST);
    assert.equal(f.classes[0], "T-shirt/top");
    assert.throws(
      () => MNIST.fromIdx(images, labels, { root: "/x" } as never),
      (e) => e instanceof ValueError && /takes no root/.test(e.message),
    );
  });

  it("checks the bytes: swapped files, count mismatch, non-bytes", () => {
    assert.throws(() => MNIST.fromIdx(labels, images), FormatError);
    assert.throws(
      () => MNIST.fromIdx(images, labels.subarray(0, 8 + 100)),
      /labels bytes|truncated|disagree|dimension/,
    );
    assert.throws(() => MNIST.fromIdx([1, 2] as never, labels), ValueError);
  });

  it("refuses to be rebuilt in a worker thread (its bytes are not files)", () => {
    const ds = MNIST.fromIdx(images, labels);
    assert.throws(() => ds.workerSpec(), /numWorkers: 0/);
  });
});

describe("safetensors to and from bytes", () => {
  it("round-trips a state dict through a plain Uint8Array (no Buffer)", () => {
    const lin = new nn.Linear(5, 3);
    const bytes = io.serializeSafetensors(lin.stateDict(), { metadata: { format: "pt" } });
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
    // The 8-byte little-endian header length, then a JSON header padded with spaces to 8 bytes.
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const back = io.loadSafetensors(bytes);
    assert.ok(back.weight!.equal(lin.weight.detach()));
    assert.ok(back.bias!.equal(lin.bias!.detach()));
    assert.deepEqual(io.parseSafetensors(bytes).metadata, { format: "pt" });
    // An ArrayBuffer (what fetch's arrayBuffer() gives) loads the same, copied out of a larger one.
    const ab = bytes.slice().buffer;
    assert.ok(io.loadSafetensors(ab).weight!.equal(lin.weight.detach()));
    assert.ok(io.readSafetensors(ab).tensors.bias!.equal(lin.bias!.detach()));
    assert.throws(
      () => io.loadSafetensors(42 as never),
      /string or a Uint8Array or an ArrayBuffer/,
    );
  });
});

describe("the browser bundle's module swaps", () => {
  // tools/build-browser.mjs links X-browser.ts in place of X.ts: each must offer X's exports.
  const pairs = [
    ["../../src/backend/native/addon.ts", "../../src/backend/native/addon-browser.ts"],
    ["../../src/backend/wasm/load.ts", "../../src/backend/wasm/load-browser.ts"],
    ["../../src/data/worker-pool.ts", "../../src/data/worker-pool-browser.ts"],
    ["../../src/io/report-images.ts", "../../src/io/report-images-browser.ts"],
  ];
  for (const [node, browser] of pairs) {
    it(`${browser!.split("/src/")[1]} exports what ${node!.split("/src/")[1]} does`, async () => {
      const a = Object.keys(await import(node!)).sort();
      const b = Object.keys(await import(browser!));
      assert.deepEqual(
        a.filter((k) => !b.includes(k)),
        [],
        "names the browser module lacks",
      );
    });
  }
  it("the curated data/io/train namespaces export only names of their Node namespaces", async () => {
    for (const ns of ["data", "io", "train"]) {
      const full = Object.keys(await import(`../../src/${ns}/index.ts`));
      const browser = Object.keys(await import(`../../src/${ns}/index-browser.ts`));
      // io adds lineChart/exportOnnxBytes/parseTorch/serializeTorch/decodeModel (byte-level and SVG helpers).
      const extra = browser.filter((k) => !full.includes(k));
      const allowed =
        ns === "io"
          ? ["decodeModel", "exportOnnxBytes", "lineChart", "parseTorch", "serializeTorch"]
          : [];
      assert.deepEqual(extra.sort(), allowed.filter((k) => extra.includes(k)).sort(), ns);
    }
  });
});

describe("the browser shims of Node built-ins", () => {
  it("node:path functions agree with Node's POSIX path", () => {
    const cases = ["/a/b/../c/./d.txt", "a//b/", "../x/y", "/", ".", "a/b/c.tar.gz", "/a/b/"];
    for (const p of cases) {
      assert.equal(shim.normalize(p), nodePath.posix.normalize(p).replace(/(.)\/$/, "$1"), p);
      assert.equal(shim.dirname(p), nodePath.posix.dirname(p), `dirname ${p}`);
      assert.equal(shim.basename(p), nodePath.posix.basename(p), `basename ${p}`);
      assert.equal(shim.extname(p), nodePath.posix.extname(p), `extname ${p}`);
    }
    assert.equal(shim.join("a", "b", "../c", "d"), nodePath.posix.join("a", "b", "../c", "d"));
    assert.equal(shim.resolve("/r", "x", "../y"), nodePath.posix.resolve("/r", "x", "../y"));
    assert.equal(shim.relative("/a/b/c", "/a/d"), nodePath.posix.relative("/a/b/c", "/a/d"));
  });

  it("node:zlib gunzipSync / inflateRawSync inflate what Node's zlib deflates, with the output cap", () => {
    const text = new TextEncoder().encode("kiln ".repeat(50_000));
    assert.deepEqual(shim.gunzipSync(gzipSync(text)), text);
    assert.deepEqual(shim.inflateRawSync(deflateRawSync(text)), text);
    assert.throws(
      () => shim.gunzipSync(gzipSync(text), { maxOutputLength: 1000 }),
      (e) => (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE",
    );
  });

  it("file functions throw NodeOnlyError naming the byte-level alternative", () => {
    assert.throws(
      () => shim.readFileSync("x"),
      (e) => e instanceof shim.NodeOnlyError && /fs\.readFileSync.*browser/.test(e.message),
    );
    assert.throws(() => new shim.Worker(), shim.NodeOnlyError);
  });
});

// Shared helpers of the .pt tests: fixture paths, the PyTorch-written expected.json, a checker
// that walks a loaded value against its JSON mirror, and a zip builder for crafted files.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FormatError } from "../../src/core/errors.ts";
import { parseTorch } from "../../src/io/torch/load-torch.ts";
import { writeZip } from "../../src/io/torch/zip.ts";
import { Parameter } from "../../src/nn/parameter.ts";
import type { Storage } from "../../src/tensor/tensor.ts";
import { Tensor } from "../../src/tensor/tensor.ts";

export const GOLDEN = path.join(import.meta.dirname, "..", "golden", "io-torch");

export const fixture = (name: string): string => path.join(GOLDEN, name);

/** A tensor as tools/golden/torch_pt.py describes it. */
export interface TensorMirror {
  torchDtype: string;
  shape: number[];
  stride: number[];
  offset: number;
  storage: number;
  parameter: boolean;
  values: unknown[];
}

export interface Expected {
  torch: string;
  mlp: {
    keys: string[];
    summary: Record<
      string,
      { shape: number[]; torchDtype: string; sum: number; absSum: number; head: number[] }
    >;
    input: number[][];
    logits: number[][];
  };
  cnn: { keys: string[]; tensors: unknown; input: number[][][][]; logits: number[][] };
  dtypes: unknown;
}

export const expected: Expected = JSON.parse(fs.readFileSync(fixture("expected.json"), "utf8"));

const KILN_DTYPE: Record<string, string> = {
  float32: "float32",
  float64: "float64",
  float16: "float16",
  bfloat16: "bfloat16",
  int64: "int64",
  int32: "int32",
  int16: "int16",
  int8: "int8",
  uint8: "uint8",
  bool: "bool",
};

/** Decodes the tagged scalars of expected.json ({__float__: "inf"}, {__int__: "..."}). */
export function scalarOf(v: unknown): unknown {
  if (typeof v === "object" && v !== null && "__float__" in v) {
    const s = (v as { __float__: string }).__float__;
    return s === "nan" ? Number.NaN : s.startsWith("-") ? -Infinity : Infinity;
  }
  if (typeof v === "object" && v !== null && "__int__" in v)
    return BigInt((v as { __int__: string }).__int__);
  return v;
}

/**
 * Asserts that `actual` (a loadTorch result) mirrors `mirror` exactly: same keys in order, same
 * container kinds (tuples frozen), tensor dtype/shape/strides/offset/values, and tensors share a
 * Kiln Storage exactly when PyTorch's shared a storage.
 */
export function checkMirror(
  actual: unknown,
  mirror: unknown,
  at = "root",
  storages = new Map<number, Storage>(),
): void {
  if (typeof mirror === "object" && mirror !== null && "__tensor__" in mirror) {
    const m = (mirror as { __tensor__: TensorMirror }).__tensor__;
    assert.ok(actual instanceof Tensor, `${at}: expected a Tensor`);
    assert.equal(actual.dtype, KILN_DTYPE[m.torchDtype], `${at}: dtype`);
    assert.deepEqual(actual.shape, m.shape, `${at}: shape`);
    assert.deepEqual(actual.strides, m.stride, `${at}: strides`);
    assert.equal(actual.offset, m.offset, `${at}: offset`);
    assert.equal(actual instanceof Parameter, m.parameter, `${at}: Parameter`);
    // int64 loads as itself, exactly: a BigInt64Array of bigints (compared as such).
    // float16 and bfloat16 load as themselves (bit patterns): their values compare via .float().
    const half = actual.dtype === "float16" || actual.dtype === "bfloat16";
    const raw = half ? actual.float().dataSync() : actual.dataSync();
    const values = [...raw].map((v) => (actual.dtype === "bool" ? v !== 0 : v));
    const want = m.values.map(scalarOf);
    assert.deepEqual(
      values,
      actual.dtype === "int64" ? want.map((v) => BigInt(v as number | bigint)) : want,
      `${at}: values`,
    );
    const shared = storages.get(m.storage);
    if (shared === undefined) {
      for (const s of storages.values())
        assert.notEqual(s, actual.storage, `${at}: must not share a storage`);
      storages.set(m.storage, actual.storage);
    } else {
      assert.equal(actual.storage, shared, `${at}: must share storage ${m.storage}`);
    }
    return;
  }
  if (typeof mirror === "object" && mirror !== null && "__dict__" in mirror) {
    const pairs = (mirror as { __dict__: [string, unknown][] }).__dict__;
    assert.ok(
      typeof actual === "object" && actual !== null && !Array.isArray(actual),
      `${at}: expected an object`,
    );
    assert.deepEqual(
      Object.keys(actual),
      pairs.map(([k]) => k),
      `${at}: keys`,
    );
    for (const [k, v] of pairs)
      checkMirror((actual as Record<string, unknown>)[k], v, `${at}.${k}`, storages);
    return;
  }
  if (typeof mirror === "object" && mirror !== null && "__tuple__" in mirror) {
    const items = (mirror as { __tuple__: unknown[] }).__tuple__;
    assert.ok(
      Array.isArray(actual) && Object.isFrozen(actual),
      `${at}: expected a tuple (frozen array)`,
    );
    assert.equal(actual.length, items.length, `${at}: length`);
    for (const [i, v] of items.entries()) checkMirror(actual[i], v, `${at}[${i}]`, storages);
    return;
  }
  if (Array.isArray(mirror)) {
    assert.ok(Array.isArray(actual) && !Object.isFrozen(actual), `${at}: expected a list (array)`);
    assert.equal(actual.length, mirror.length, `${at}: length`);
    for (const [i, v] of mirror.entries()) checkMirror(actual[i], v, `${at}[${i}]`, storages);
    return;
  }
  assert.deepEqual(actual, scalarOf(mirror), at);
}

/** A torch.save-style zip holding `pickle` as `archive/data.pkl` plus extra records. */
export function ptWith(pickle: Uint8Array, records: [string, Uint8Array][] = []): Uint8Array {
  return writeZip([["archive/data.pkl", pickle], ...records]);
}

/** Asserts that parsing `bytes` raises a FormatError matching every pattern. */
export function expectFormatError(bytes: Uint8Array, ...patterns: RegExp[]): FormatError {
  let caught: unknown;
  try {
    parseTorch(bytes, "bad.pt");
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof FormatError, `expected a FormatError, got ${String(caught)}`);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

// Shared helpers of the core tests: reading the PyTorch fixtures in test/golden/core, decoding
// their tensors, and comparing tensors with dtype-aware tolerances.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type DType, fromTypedArray, type Tensor } from "./kiln.ts";

/** A tensor as the golden script writes it: flat row-major data, NaN/inf as strings. */
export interface Enc {
  dtype: DType;
  shape: number[];
  data: (number | string)[];
}

/** Reads test/golden/core/<name>.json and returns its cases. */
export function fixture<T>(name: string): T {
  const url = new URL(`../golden/core/${name}.json`, import.meta.url);
  const json = JSON.parse(readFileSync(url, "utf8")) as { meta: { torch: string }; cases: T };
  return json.cases;
}

function num(v: number | string): number {
  if (typeof v === "number") return v;
  if (v === "nan") return Number.NaN;
  return v === "inf" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** A fresh Kiln tensor holding an encoded fixture tensor. */
export function dec(e: Enc): Tensor {
  const values = e.data.map(num);
  const arr =
    e.dtype === "float32"
      ? Float32Array.from(values)
      : e.dtype === "float64"
        ? Float64Array.from(values)
        : e.dtype === "int32"
          ? Int32Array.from(values)
          : Uint8Array.from(values);
  return fromTypedArray(arr, e.shape);
}

/** Default tolerances: float32 results may differ from PyTorch's by a few ulps. */
export function tolFor(dtype: DType): { rtol: number; atol: number } {
  return dtype === "float32" ? { rtol: 1e-5, atol: 1e-6 } : { rtol: 1e-9, atol: 1e-12 };
}

/** Asserts that `actual` matches the encoded `expected` in dtype, shape and values. */
export function assertTensor(
  actual: Tensor,
  expected: Enc,
  label: string,
  tolerance?: { rtol: number; atol: number },
): void {
  const tol = tolerance ?? tolFor(expected.dtype);
  assert.equal(actual.dtype, expected.dtype, `${label}: dtype`);
  assert.deepEqual([...actual.shape], expected.shape, `${label}: shape`);
  const got = actual.dataSync();
  for (let i = 0; i < expected.data.length; i++) {
    const e = num(expected.data[i]!);
    const a = got[i]!;
    if (Number.isNaN(e)) {
      assert.ok(Number.isNaN(a), `${label}: element ${i} is ${a}, expected NaN`);
      continue;
    }
    const ok = a === e || Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    assert.ok(ok, `${label}: element ${i} is ${a}, expected ${e}`);
  }
}

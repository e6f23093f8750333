// Test helpers: reads the PyTorch fixtures written by tools/golden/nn.py and compares tensors.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromTypedArray, type Tensor } from "../../src/index.ts";

export interface Enc {
  shape: number[];
  dtype: "float32" | "float64" | "int32";
  b64: string;
}

export function loadGolden<T>(name: string): T {
  const path = fileURLToPath(new URL(`../golden/nn/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** A fixture tensor as a Kiln tensor (a fresh copy of the bytes). */
export function dec(e: Enc): Tensor {
  const buf = Buffer.from(e.b64, "base64");
  const bytes = new Uint8Array(buf.length);
  bytes.set(buf);
  const arr =
    e.dtype === "float32"
      ? new Float32Array(bytes.buffer)
      : e.dtype === "float64"
        ? new Float64Array(bytes.buffer)
        : new Int32Array(bytes.buffer);
  return fromTypedArray(arr, e.shape);
}

export function decState(s: Record<string, Enc>): Record<string, Tensor> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, dec(v)]));
}

/** |a − b| ≤ atol + rtol·|b| elementwise, with equal shapes. */
export function assertClose(
  actual: Tensor,
  expected: Tensor | Enc,
  what: string,
  rtol = 1e-4,
  atol = 1e-5,
): void {
  const e = "b64" in expected ? dec(expected) : expected;
  assert.deepEqual([...actual.shape], [...e.shape], `${what}: shape`);
  const a = actual.dataSync();
  const b = e.dataSync();
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      assert.fail(`${what}: element ${i} is ${x}, expected ${y} (shape [${e.shape.join(", ")}])`);
    }
  }
}

// Test helpers: run an ONNX model in onnxruntime-node (the CPU build bundled in its npm tarball)
// and compare with Kiln's output.

import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import type { Tensor } from "../../src/index.ts";

/** Runs the model (bytes or a path) on one float32 input; returns the named outputs. */
export async function runOrt(
  model: Uint8Array | string,
  x: Tensor,
  inputName = "input",
): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>> {
  const session =
    typeof model === "string"
      ? await ort.InferenceSession.create(model)
      : await ort.InferenceSession.create(model);
  const feed = {
    [inputName]: new ort.Tensor("float32", x.float().dataSync() as Float32Array, [...x.shape]),
  };
  const result = await session.run(feed);
  const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
  for (const [k, v] of Object.entries(result))
    out[k] = { data: v.data as Float32Array, dims: v.dims };
  return out;
}

/** Asserts equal shapes and values within `tol` (absolute). */
export function assertClose(
  got: { data: Float32Array; dims: readonly number[] } | undefined,
  want: Tensor,
  tol = 1e-5,
): void {
  assert.ok(got !== undefined, "missing output");
  assert.deepEqual([...got.dims], [...want.shape]);
  const w = want.dataSync();
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(Number(w[i]) - got.data[i]!));
  assert.ok(worst <= tol, `max |onnxruntime - kiln| = ${worst} > ${tol}`);
}

// Helpers of the model-zoo tests: read test/golden/models/<case>.json (tools/golden/models.py)
// and rebuild its two formulas, the state fill and the input, exactly as the script defines them.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fromTypedArray, type nn, type Tensor, tensor } from "../../src/index.ts";
import { assertClose, type Enc } from "../nn/golden.ts";

export interface ModelCase {
  torch: string;
  repr: string;
  keys: string[];
  shapes: number[][];
  dtypes: string[];
  input_shape: number[];
  outputs: Enc[];
  train?: {
    output: Enc;
    grad_input: Enc;
    param: string;
    grad_param: Enc;
    state_after: Record<string, Enc>;
  };
}

export function loadCase(name: string): ModelCase {
  const path = fileURLToPath(new URL(`../golden/models/${name}.json`, import.meta.url));
  return JSON.parse(readFileSync(path, "utf8")) as ModelCase;
}

/**
 * models.py's `fill`: entry k (state-dict order), element i, s = sin(0.37·i + 1.3·k), computed in
 * float64 and rounded to float32: running_var 1 + 0.5·s, running_mean 0.1·s,
 * num_batches_tracked k, 1-D weight 1 + 0.2·s, 1-D bias 0.1·s, n-D weight s·1.5/√(numel/shape[0]).
 */
export function filledState(model: nn.Module<unknown>): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  Object.entries(model.stateDict()).forEach(([name, t], k) => {
    const shape = [...t.shape];
    const n = shape.reduce((a, b) => a * b, 1);
    if (name.endsWith("num_batches_tracked")) {
      out[name] = tensor(k, { dtype: t.dtype as "int32" });
      return;
    }
    // v = mul·s + add, with models.py's operation order (1 + 0.5·s, s·scale) kept for exactness.
    let f: (s: number) => number;
    if (name.endsWith("running_var")) f = (s) => 1 + 0.5 * s;
    else if (name.endsWith("running_mean")) f = (s) => 0.1 * s;
    else if (shape.length === 1 && name.endsWith("weight")) f = (s) => 1 + 0.2 * s;
    else if (shape.length === 1) f = (s) => 0.1 * s;
    else {
      const scale = 1.5 / Math.sqrt(n / (shape[0] as number));
      f = (s) => s * scale;
    }
    const d = new Float32Array(n);
    const phase = 1.3 * k;
    for (let i = 0; i < n; i++) d[i] = f(Math.sin(i * 0.37 + phase));
    out[name] = fromTypedArray(d, shape);
  });
  return out;
}

/** models.py's `inp`: sin(0.11·i + phase) over the flat index, float32. */
export function formulaInput(shape: readonly number[], phase = 0.5): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.11 + phase);
  return fromTypedArray(d, [...shape]);
}

/** Keys, shapes and dtypes of `model.stateDict()` equal PyTorch's, in order. */
export function assertSameState(model: nn.Module<unknown>, c: ModelCase): void {
  const sd = Object.entries(model.stateDict());
  assert.deepEqual(
    sd.map(([k]) => k),
    c.keys,
    "state-dict keys (in order)",
  );
  assert.deepEqual(
    sd.map(([, v]) => [...v.shape]),
    c.shapes,
    "state-dict shapes",
  );
  assert.deepEqual(
    sd.map(([, v]) => v.dtype),
    c.dtypes, // int64 buffers (num_batches_tracked) are int64, as PyTorch's
    "state-dict dtypes",
  );
}

/**
 * The whole golden check of one case: state layout, repr, then the eval-mode outputs for the
 * formula weights (loaded strictly) and the formula input, to rtol 1e-4.
 */
export function checkCase(model: nn.Module<unknown>, c: ModelCase, rtol = 1e-4, atol = 1e-5): void {
  assertSameState(model, c);
  assert.equal(String(model), c.repr, "repr");
  const r = model.loadStateDict(filledState(model), { strict: true });
  assert.deepEqual(r, { missingKeys: [], unexpectedKeys: [] });
  model.eval();
  const y = model.call(formulaInput(c.input_shape) as never) as Tensor | Tensor[];
  const outs = Array.isArray(y) ? y : [y];
  assert.equal(outs.length, c.outputs.length, "number of outputs");
  outs.forEach((o, i) => {
    assertClose(o, c.outputs[i] as Enc, `output ${i}`, rtol, atol);
  });
}

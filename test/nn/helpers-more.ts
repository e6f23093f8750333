// Helpers shared by the nn tests of today's layers (not a test file): the losses_more.json case
// type, argument decoding and a NaN/inf-aware closeness check (losses-more, ctc, distance), and
// the module-fixture check of resample.json / interpolate.json (padding, interpolate).
// Depends on golden.ts, node:assert and the public API only.

import assert from "node:assert/strict";
import type { nn, Tensor } from "../../src/index.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";

/** A fixture argument: an encoded tensor, a list, a number or a string. */
export type Arg = Enc | number[] | number | string;

/** One call of tools/golden/losses_more.py: the arguments, PyTorch's output and input grads. */
export interface GoldenCase {
  name: string;
  fn: string;
  args: Arg[];
  positional: Arg[];
  options: Record<string, Arg | boolean>;
  gy: Enc;
  output: Enc;
  grads: (Enc | null)[];
}

/** test/golden/nn/losses_more.json: PyTorch's version, the cases and the modules' reprs. */
export function loadLossesMore(): {
  torch: string;
  cases: GoldenCase[];
  reprs: Record<string, unknown>;
} {
  return loadGolden("losses_more.json");
}

/** A fixture argument decoded: tensors from their encoding, "inf"/"-inf" as ±Infinity. */
export function decArg(a: unknown): unknown {
  if (a === "inf") return Number.POSITIVE_INFINITY;
  if (a === "-inf") return Number.NEGATIVE_INFINITY;
  if (typeof a === "object" && a !== null && "b64" in a) return dec(a as Enc);
  return a;
}

/**
 * |a − b| ≤ atol + rtol·|b| elementwise, NaN matching NaN and an infinity the same infinity;
 * shapes must match, and dtypes too with `checkDtype`.
 */
export function close(
  actual: Tensor,
  expected: Enc,
  what: string,
  rtol = 1e-4,
  atol = 1e-5,
  checkDtype = false,
): void {
  const e = dec(expected);
  assert.deepEqual([...actual.shape], [...e.shape], `${what}: shape`);
  if (checkDtype) assert.equal(actual.dtype, e.dtype, `${what}: dtype`);
  const a = actual.dataSync();
  const b = e.dataSync();
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if ((Number.isNaN(x) && Number.isNaN(y)) || x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y)))
      assert.fail(`${what}: element ${i} is ${x}, expected ${y}`);
  }
}

/** A module fixture of tools/golden/resample.py: repr, state-dict keys, forward and grad. */
export interface ModuleCase {
  name: string;
  repr: string;
  input: Enc;
  output: Enc;
  gy: Enc;
  grad_input: Enc;
  keys: string[];
}

/** Checks `m` against the fixture: repr, state-dict keys, output and the input gradient. */
export function checkModuleCase(c: ModuleCase, m: nn.Module): void {
  assert.equal(m.toString(), c.repr);
  assert.deepEqual(Object.keys(m.stateDict()), c.keys);
  const x = dec(c.input).requiresGrad_(true);
  const y = m.call(x) as Tensor;
  assertClose(y, c.output, `${c.name} output`);
  y.mul(dec(c.gy)).sum().backward();
  assertClose(x.grad!, c.grad_input, `${c.name} grad`);
}

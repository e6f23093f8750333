// Shared by attention.test.ts and transformer.test.ts: decoding the fixtures of
// tools/golden/attention.py and checking one module case (outputs, weights, every gradient).

import assert from "node:assert/strict";
import type { nn, Tensor } from "../../src/index.ts";
import { assertClose, dec, decState, type Enc } from "./golden.ts";

export type BEnc = Enc & { bool?: boolean };
/** A fixture tensor; bool masks are stored as int32 with `bool: true`. */
export function d(e: BEnc): Tensor {
  return e.bool === true ? dec(e).bool() : dec(e);
}

export interface ModuleCase {
  name: string;
  ctor: Record<string, unknown>;
  repr: string;
  keys: string[];
  state: Record<string, Enc>;
  mode: "train" | "eval";
  inputs: Enc[];
  arg_ids: number[];
  kwargs: Record<string, BEnc | boolean>;
  output: Enc;
  gy: Enc;
  weights?: Enc | null;
  gw?: Enc;
  grad_inputs: Enc[];
  grads: Record<string, Enc>;
}
export const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A case's keyword arguments in Kiln's spelling (one options object). */
export function options(kwargs: ModuleCase["kwargs"]): Record<string, Tensor | boolean> {
  return Object.fromEntries(
    Object.entries(kwargs).map(([k, v]) => [camel(k), typeof v === "boolean" ? v : d(v)]),
  );
}

/**
 * Runs `forward` on the case's inputs (the same tensor where PyTorch passed one object several
 * times), backpropagates Σ out·gy (+ Σ weights·gw) and compares everything with PyTorch.
 */
export function checkModuleCase(
  c: ModuleCase,
  m: nn.Module<unknown>,
  forward: (
    args: Tensor[],
    kw: Record<string, Tensor | boolean>,
  ) => Tensor | [Tensor, Tensor | null],
  tol: { rtol: number; atol: number } = { rtol: 1e-4, atol: 2e-5 },
): void {
  assert.equal(String(m), c.repr, "repr");
  assert.deepEqual(Object.keys(m.stateDict()), c.keys, "state-dict keys");
  m.loadStateDict(decState(c.state));
  if (c.mode === "eval") m.eval();
  const leaves = c.inputs.map((e) => dec(e).requiresGrad_(true));
  const out = forward(
    c.arg_ids.map((i) => leaves[i]!),
    options(c.kwargs),
  );
  const [y, w] = Array.isArray(out) ? out : [out, undefined];
  assertClose(y, c.output, `${c.name}: output`, tol.rtol, tol.atol);
  let loss = y.mul(dec(c.gy)).sum();
  if (w !== undefined) {
    if (c.weights === null || c.weights === undefined) assert.equal(w, null, `${c.name}: weights`);
    else {
      assert.ok(w !== null, `${c.name}: weights missing`);
      assertClose(w, c.weights, `${c.name}: weights`, tol.rtol, tol.atol);
      loss = loss.add(w.mul(dec(c.gw!)).sum());
    }
  }
  loss.backward();
  leaves.forEach((x, i) => {
    assertClose(x.grad!, c.grad_inputs[i]!, `${c.name}: grad of input ${i}`, tol.rtol, tol.atol);
  });
  const params = new Map(m.namedParameters());
  assert.deepEqual([...params.keys()].sort(), Object.keys(c.grads).sort(), `${c.name}: params`);
  for (const [n, g] of Object.entries(c.grads)) {
    assertClose(params.get(n)!.grad!, g, `${c.name}: grad of ${n}`, tol.rtol, tol.atol);
  }
}

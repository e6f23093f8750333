// Test helper for the 3-D, pooling and normalisation fixtures of tools/golden/layers_nd.py:
// runs one layer case (repr, state-dict keys, forward per step in train/eval, indices, input
// and parameter gradients, final running statistics) against PyTorch's recorded values.

import assert from "node:assert/strict";
import type { nn, Tensor } from "../../src/index.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

interface Step {
  mode: "train" | "eval";
  input: Enc;
  gy: Enc;
  output: Enc;
  indices?: Enc;
  grad_input: Enc;
  grads: Record<string, Enc>;
}
export interface LayerCase {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  steps: Step[];
  final_state: Record<string, Enc>;
}
export interface UnpoolCase {
  name: string;
  repr: string;
  input: Enc;
  indices: Enc;
  output_size: number[] | null;
  output: Enc;
  gy: Enc;
  grad_input: Enc;
}

export const goldenNd = loadGolden<{ torch: string; cases: LayerCase[]; unpool: UnpoolCase[] }>(
  "layers_nd.json",
);

/** The fixture cases whose names start with one of `prefixes`. */
export function casesFor(prefixes: readonly string[]): LayerCase[] {
  return goldenNd.cases.filter((c) => prefixes.some((p) => c.name.startsWith(p)));
}

/** Runs `c` on the module `m` built as the fixture's PyTorch module was. */
export function runLayerCase(m: nn.Module<unknown>, c: LayerCase): void {
  assert.equal(m.toString(), c.repr, "repr");
  assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state), "state dict keys");
  m.loadStateDict(decState(c.state));
  c.steps.forEach((s, k) => {
    const where = `step ${k} (${s.mode})`;
    m.train(s.mode === "train");
    const x = dec(s.input).requiresGrad_(true);
    const r = m.call(x) as Tensor | [Tensor, Tensor];
    const y = Array.isArray(r) ? r[0] : r;
    assert.equal(Array.isArray(r), s.indices !== undefined, `${where}: returns indices`);
    assertClose(y, s.output, `${where} output`);
    if (Array.isArray(r)) {
      assert.equal(r[1].dtype, "int32", `${where} indices dtype`);
      assert.deepEqual([...r[1].dataSync()], [...dec(s.indices!).dataSync()], `${where} indices`);
    }
    y.mul(dec(s.gy)).sum().backward();
    assertClose(x.grad!, s.grad_input, `${where} input grad`);
    const grads = Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.grad]));
    assert.deepEqual(Object.keys(s.grads).sort(), Object.keys(grads).sort(), `${where} grads`);
    for (const [n, g] of Object.entries(s.grads)) assertClose(grads[n]!, g, `${where} grad ${n}`);
    m.zeroGrad();
  });
  const finalState = m.stateDict();
  for (const [n, t] of Object.entries(c.final_state)) {
    if (t.dtype === "int32") {
      // num_batches_tracked is int64 (bigints) in Kiln as in PyTorch; the fixture holds int32.
      const got = Array.from(finalState[n]!.dataSync() as ArrayLike<number | bigint>, Number);
      assert.deepEqual(got, [...dec(t).dataSync()], `final ${n}`);
    } else assertClose(finalState[n]!, t, `final ${n}`);
  }
}

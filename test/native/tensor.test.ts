// Tensor-level parity: a small MLP's forward loss and every parameter gradient computed through
// the native backend equal the reference backend's (to float32 summation-order rounding), on
// one and two threads; and a softmax/log-sum-exp composite agrees.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  getBackend,
  getNumThreads,
  manualSeed,
  randn,
  setBackend,
  setNumThreads,
  type Tensor,
} from "../../src/index.ts";
import { skip } from "./helpers.ts";

function mlpGrads(batch: number, inF: number, hidden: number): number[][] {
  manualSeed(7);
  const x = randn([batch, inF]);
  const w1 = randn([inF, hidden], { requiresGrad: true });
  const b1 = randn([hidden], { requiresGrad: true });
  const w2 = randn([hidden, 3], { requiresGrad: true });
  const b2 = randn([3], { requiresGrad: true });
  const h = x.matmul(w1).add(b1).relu();
  const y = h.matmul(w2).add(b2);
  const logits = y.sub(y.max(1, { keepDim: true }).values.detach());
  const loss = logits.exp().sum(1).log().sub(logits.sum(1).div(3)).mean();
  loss.backward();
  const flat = (t: Tensor | null) => Array.from(t!.contiguous().storage.data);
  return [[loss.item() as number], flat(w1.grad), flat(b1.grad), flat(w2.grad), flat(b2.grad)];
}

function assertClose(got: number[][], want: number[][], what: string): void {
  for (let k = 0; k < want.length; k++) {
    const scale = Math.max(1e-3, ...want[k]!.map(Math.abs));
    for (let i = 0; i < want[k]!.length; i++) {
      const err = Math.abs(got[k]![i]! - want[k]![i]!);
      assert.ok(
        err <= 1e-5 * scale,
        `${what}: tensor ${k} element ${i}: ${got[k]![i]} vs ${want[k]![i]}`,
      );
    }
  }
}

describe("tensor-level parity of native and reference", { skip }, () => {
  const before = getBackend();
  const threads = getNumThreads();
  after(() => {
    setBackend(before as "native" | "reference");
    setNumThreads(threads);
  });

  for (const [batch, inF, hidden] of [
    [5, 4, 8],
    [128, 96, 128],
  ] as const) {
    it(`MLP ${batch}x${inF}-${hidden}-3 gradients, 1 and 2 threads`, () => {
      setBackend("reference");
      const want = mlpGrads(batch, inF, hidden);
      for (const t of [1, 2]) {
        setBackend("native");
        setNumThreads(t);
        assertClose(mlpGrads(batch, inF, hidden), want, `${t} thread(s)`);
      }
    });
  }
});

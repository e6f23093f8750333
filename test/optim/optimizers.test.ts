// Optimizer trajectories against PyTorch 1.13 (tools/golden/optim.py): every optimizer and option
// combination, 20 steps on a quadratic and on a tiny MLP, parameters compared after every step.
// Also checks the state-dict layout against PyTorch's and resumes from PyTorch's own state dict.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { optim, Tensor } from "../../src/index.ts";
import {
  closeness,
  describeCase,
  f32,
  flat,
  groupsOf,
  loadGolden,
  lossOf,
  makeOptimizer,
  makeParams,
  type Nested,
  type OptimizerCase,
  type OptimizerFixture,
  PARAM_ORDER,
} from "./helpers.ts";

const fx = loadGolden<OptimizerFixture>("optimizers.json");
// float32 tolerance: Kiln and PyTorch round intermediate results in different orders (addcmul,
// fused alpha), so values differ by a few ulps; observed worst |diff| is 7e-7 over 20 steps.
const ATOL = 1e-6;
const RTOL = 1e-5;
// Group options PyTorch 1.13 keeps that Kiln has no use for (implementation switches).
const TORCH_ONLY_GROUP_KEYS = new Set(["foreach", "differentiable", "capturable", "fused"]);

function train(
  c: OptimizerCase,
  opt: optim.Optimizer,
  p: Record<string, Tensor>,
  from: number,
  to: number,
) {
  for (let s = from; s < to; s++) {
    opt.zeroGrad();
    lossOf(fx, c.problem, p).backward();
    opt.step();
    PARAM_ORDER[c.problem].forEach((k, i) => {
      const got = Array.from(p[k]!.dataSync());
      const want = flat(c.trajectory[s]![i]!);
      const r = closeness(got, want, ATOL, RTOL);
      assert.ok(
        r <= 1,
        `${describeCase(c)}: param ${k} after step ${s + 1}: got ${got}, want ${want}`,
      );
    });
  }
}

/** PyTorch's JSON state dict with nested lists turned back into float32 tensors. */
function torchStateDict(c: OptimizerCase): optim.OptimizerStateDict {
  const state: Record<number, Record<string, Tensor | number | null>> = {};
  for (const [k, entry] of Object.entries(c.stateDictAt10.state)) {
    const e: Record<string, Tensor | number | null> = {};
    for (const [key, v] of Object.entries(entry))
      e[key] = Array.isArray(v) ? f32(v) : (v as number | null);
    state[Number(k)] = e;
  }
  return { state, param_groups: c.stateDictAt10.param_groups };
}

describe(`optimizer trajectories equal PyTorch ${fx.torch_version}`, () => {
  for (const c of fx.cases) {
    test(describeCase(c), () => {
      const p = makeParams(fx, c.problem);
      const before = PARAM_ORDER[c.problem].map((k) => p[k]!);
      const opt = makeOptimizer(c.optimizer, groupsOf(c.problem, p, c.groupLrs), c.options);
      train(c, opt, p, 0, fx.steps);
      // The same Tensor objects were updated in place, and remain leaves.
      PARAM_ORDER[c.problem].forEach((k, i) => {
        assert.equal(p[k], before[i]);
        assert.ok(p[k]!.isLeaf);
      });
      // `u` never gets a gradient: unchanged, and (except for Adagrad, which creates state for
      // every parameter up front as PyTorch does) no state.
      assert.deepEqual(Array.from(p.u!.dataSync()), flat(fx.problems[c.problem].params.u!));
      assert.equal(opt.state.has(p.u!), c.optimizer === "Adagrad");
    });
  }
});

describe("state dicts map 1:1 to PyTorch's", () => {
  for (const c of fx.cases.filter((c) => c.problem === "mlp")) {
    test(`${describeCase(c)}: layout and values at step ${fx.resumeAt}`, () => {
      const p = makeParams(fx, c.problem);
      const opt = makeOptimizer(c.optimizer, groupsOf(c.problem, p, c.groupLrs), c.options);
      for (let s = 0; s < fx.resumeAt; s++) {
        opt.zeroGrad();
        lossOf(fx, c.problem, p).backward();
        opt.step();
      }
      const sd = opt.stateDict();
      const want = c.stateDictAt10;
      assert.deepEqual(Object.keys(sd.state).sort(), Object.keys(want.state).sort());
      for (const [i, entry] of Object.entries(want.state)) {
        const got = sd.state[Number(i)]!;
        assert.deepEqual(Object.keys(got).sort(), Object.keys(entry).sort(), `state ${i} keys`);
        for (const [key, v] of Object.entries(entry)) {
          const g = got[key];
          if (v === null || typeof v === "number") {
            assert.equal(g, v, `state ${i}.${key}`);
          } else {
            const r = closeness(
              Array.from((g as Tensor).dataSync()),
              flat(v as Nested),
              ATOL,
              RTOL,
            );
            assert.ok(r <= 1, `state ${i}.${key}`);
          }
        }
      }
      assert.equal(sd.param_groups.length, want.param_groups.length);
      want.param_groups.forEach((wg, gi) => {
        const expected = Object.fromEntries(
          Object.entries(wg).filter(([k]) => !TORCH_ONLY_GROUP_KEYS.has(k)),
        );
        assert.deepEqual(sd.param_groups[gi], expected, `param_groups[${gi}]`);
      });
    });

    test(`${describeCase(c)}: resumes from PyTorch's state dict at step ${fx.resumeAt}`, () => {
      const p = makeParams(fx, c.problem, c.trajectory[fx.resumeAt - 1]);
      const opt = makeOptimizer(c.optimizer, groupsOf(c.problem, p, c.groupLrs), c.options);
      opt.loadStateDict(torchStateDict(c));
      train(c, opt, p, fx.resumeAt, fx.steps);
    });
  }
});

// NAdam, RAdam, Adamax, ASGD, Rprop against PyTorch 1.13 (tools/golden/optim_more.py): 12 steps
// on the quadratic and the MLP of tools/golden/optim.py, state dicts in PyTorch's layout, resume
// from PyTorch's own state dict, and LBFGS (with and without the strong-Wolfe line search).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { optim, type Tensor, tensor } from "../../src/index.ts";
import {
  closeness,
  describeCase,
  f32,
  flat,
  groupsOf,
  loadGolden,
  lossOf,
  makeParams,
  type Nested,
  type OptimizerFixture,
  PARAM_ORDER,
  type ProblemName,
} from "./helpers.ts";

type Name = "NAdam" | "RAdam" | "Adamax" | "ASGD" | "Rprop";
interface Case {
  optimizer: Name;
  problem: ProblemName;
  options: Record<string, unknown>;
  groupLrs: number[];
  trajectory: Nested[][];
  stateDictAt: {
    state: Record<string, Record<string, Nested | null>>;
    param_groups: Record<string, unknown>[];
  } | null;
}
interface LbfgsCase {
  problem: ProblemName;
  dtype: "float32" | "float64";
  options: Record<string, unknown>;
  params: string[];
  trajectory: Nested[][];
  losses: number[];
  evals: [number, number][];
  stateDictAt: {
    state: Record<string, Record<string, unknown>>;
    param_groups: Record<string, unknown>[];
  };
  groupKeys: string[];
}
const fx = loadGolden<
  Omit<OptimizerFixture, "cases"> & {
    cases: Case[];
    lbfgs: { steps: number; resumeAt: number; cases: LbfgsCase[] };
  }
>("more_optimizers.json");
const base = fx as unknown as OptimizerFixture;

// float32 tolerance as test/optim/optimizers.test.ts: PyTorch and Kiln round intermediates in
// different orders (fused alphas, division by a scalar), a few ulps per step.
const ATOL = 1e-6;
const RTOL = 1e-5;

// biome-ignore lint/suspicious/noExplicitAny: test factory over heterogeneous option types
function make(name: Name, params: any, options: any): optim.Optimizer {
  return new optim[name](params, options);
}

function train(c: Case, opt: optim.Optimizer, p: Record<string, Tensor>, from: number, to: number) {
  for (let s = from; s < to; s++) {
    opt.zeroGrad();
    lossOf(base, c.problem, p).backward();
    opt.step();
    PARAM_ORDER[c.problem].forEach((k, i) => {
      const got = Array.from(p[k]!.dataSync());
      const want = flat(c.trajectory[s]![i]!);
      assert.ok(
        closeness(got, want, ATOL, RTOL) <= 1,
        `${describeCase(c)}: ${k} after step ${s + 1}: got ${got}, want ${want}`,
      );
    });
  }
}

describe(`NAdam, RAdam, Adamax, ASGD, Rprop equal PyTorch ${fx.torch_version}`, () => {
  for (const c of fx.cases) {
    test(describeCase(c), () => {
      const p = makeParams(base, c.problem);
      const opt = make(c.optimizer, groupsOf(c.problem, p, c.groupLrs), c.options);
      train(c, opt, p, 0, fx.steps);
      assert.equal(opt.state.has(p.u!), false, "a parameter without a gradient gets no state");
    });
  }
  for (const c of fx.cases.filter((c) => c.stateDictAt !== null)) {
    const want = c.stateDictAt!;
    test(`${describeCase(c)}: state dict layout and values at step ${fx.resumeAt}`, () => {
      const p = makeParams(base, c.problem);
      const opt = make(c.optimizer, groupsOf(c.problem, p, c.groupLrs), c.options);
      train(c, opt, p, 0, fx.resumeAt);
      const sd = opt.stateDict();
      // Group options are PyTorch's, under PyTorch's keys (foreach included).
      assert.deepEqual(sd.param_groups, want.param_groups);
      const state = sd.state as Record<number, Record<string, unknown>>;
      assert.deepEqual(Object.keys(state).sort(), Object.keys(want.state).sort());
      for (const [i, entry] of Object.entries(want.state)) {
        assert.deepEqual(Object.keys(state[Number(i)]!).sort(), Object.keys(entry).sort());
        for (const [key, v] of Object.entries(entry)) {
          const g = state[Number(i)]![key];
          const got = g instanceof Object ? Array.from((g as Tensor).dataSync()) : [g as number];
          assert.ok(closeness(got, flat(v!), ATOL, RTOL) <= 1, `state ${i}.${key}: ${got} vs ${v}`);
        }
      }
    });
    test(`${describeCase(c)}: resumes from PyTorch's state dict at step ${fx.resumeAt}`, () => {
      const p = makeParams(base, c.problem, c.trajectory[fx.resumeAt - 1]);
      const opt = make(c.optimizer, groupsOf(c.problem, p, c.groupLrs), c.options);
      const state: Record<number, Record<string, unknown>> = {};
      for (const [k, entry] of Object.entries(want.state)) {
        // PyTorch 1.13 keeps step (and ASGD's eta, mu, NAdam's mu_product) as 0-d tensors.
        state[Number(k)] = Object.fromEntries(
          Object.entries(entry).map(([key, v]) => [
            key,
            key === "step" && c.optimizer === "Rprop" ? v : f32(v!),
          ]),
        );
      }
      opt.loadStateDict({ state, param_groups: want.param_groups } as optim.OptimizerStateDict);
      train(c, opt, p, fx.resumeAt, fx.steps);
    });
  }
});

function lbfgsProblem(c: LbfgsCase, values?: readonly Nested[]) {
  const p: Record<string, Tensor> = {};
  c.params.forEach((k, i) => {
    p[k] = tensor(values?.[i] ?? base.problems[c.problem].params[k]!, {
      dtype: c.dtype,
      requiresGrad: true,
    });
  });
  const d = Object.fromEntries(
    Object.entries(base.problems[c.problem].data).map(([k, v]) => [
      k,
      tensor(v, { dtype: c.dtype }),
    ]),
  ) as Record<string, Tensor>;
  const loss = (): Tensor => {
    if (c.problem === "quadratic") {
      return d
        .a!.mul(p.x!.sub(d.c!).pow(2))
        .sum()
        .add(d.b!.mul(p.y!.sub(d.d!).pow(2)).sum());
    }
    const h = d.X!.matmul(p.w1!.t()).add(p.b1!).relu();
    return h.matmul(p.w2!.t()).add(p.b2!).sub(d.Y!).pow(2).mean();
  };
  return { p, loss };
}

describe(`LBFGS equals PyTorch ${fx.torch_version}`, () => {
  for (const c of fx.lbfgs.cases) {
    const name = `LBFGS ${JSON.stringify(c.options)} on ${c.problem} (${c.dtype})`;
    // float64: only summation order differs; float32: the line search's scalars are rounded as
    // PyTorch's 0-d tensors, but dot products still differ by an ulp or so.
    const [atol, rtol] = c.dtype === "float64" ? [1e-10, 1e-8] : [1e-5, 1e-4];
    const run = (opt: optim.LBFGS, prob: ReturnType<typeof lbfgsProblem>, from: number) => {
      const closure = () => {
        opt.zeroGrad();
        const l = prob.loss();
        l.backward();
        return l;
      };
      for (let s = from; s < fx.lbfgs.steps; s++) {
        const loss = opt.step(closure) as Tensor;
        assert.ok(
          closeness([Number(loss.item())], [c.losses[s]!], atol, rtol) <= 1,
          `${name}: loss ${s}`,
        );
        c.params.forEach((k, i) => {
          const got = Array.from(prob.p[k]!.dataSync());
          const want = flat(c.trajectory[s]![i]!);
          assert.ok(
            closeness(got, want, atol, rtol) <= 1,
            `${name}: ${k} after step ${s + 1}: ${got} vs ${want}`,
          );
        });
        const st = opt.state.get(prob.p[c.params[0]!]!)!;
        assert.deepEqual([st.func_evals, st.n_iter], c.evals[s], `${name}: func_evals, n_iter`);
      }
    };
    test(name, () => {
      const prob = lbfgsProblem(c);
      const opt = new optim.LBFGS(
        c.params.map((k) => prob.p[k]!),
        c.options,
      );
      run(opt, prob, 0);
      const sd = opt.stateDict();
      assert.deepEqual(Object.keys(sd.param_groups[0]!).sort(), c.groupKeys);
    });
    test(`${name}: resumes from PyTorch's state dict`, () => {
      const prob = lbfgsProblem(c, c.trajectory[fx.lbfgs.resumeAt - 1]);
      const opt = new optim.LBFGS(
        c.params.map((k) => prob.p[k]!),
        c.options,
      );
      // PyTorch's LBFGS state: d, prev_flat_grad 1-D tensors; old_dirs, old_stps lists of them;
      // ro, al lists of 0-d tensors (al with Nones); H_diag a 0-d tensor; the rest Python numbers.
      const t = (v: unknown) => tensor(v as Nested, { dtype: c.dtype });
      const toT = (key: string, v: unknown): unknown => {
        if (key === "d" || key === "prev_flat_grad" || key === "H_diag") return t(v);
        if (key === "old_dirs" || key === "old_stps") return (v as Nested[]).map(t);
        if (key === "ro" || key === "al")
          return (v as (number | null)[]).map((x) => (x === null ? x : t(x)));
        return v;
      };
      const state = Object.fromEntries(
        Object.entries(c.stateDictAt.state).map(([k, e]) => [
          Number(k),
          Object.fromEntries(Object.entries(e).map(([key, v]) => [key, toT(key, v)])),
        ]),
      );
      opt.loadStateDict({
        state,
        param_groups: c.stateDictAt.param_groups,
      } as optim.OptimizerStateDict);
      run(opt, prob, fx.lbfgs.resumeAt);
    });
  }
});

// Arguments and errors of NAdam, RAdam, Adamax, ASGD, Rprop, SparseAdam and LBFGS as PyTorch
// 1.13's: positional order, defaults (read from torch by tools/golden/optim_more.py through the
// state dicts' param_groups), PyTorch's error texts, flags 1.13 does not accept, and SparseAdam
// refusing dense gradients.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { optim, type Tensor, tensor, zeros } from "../../src/index.ts";

const p = (): Tensor => zeros(3, { requiresGrad: true });

/** The param_groups[0] of a fresh optimizer's stateDict, without params. */
function group0(opt: optim.Optimizer): Record<string, unknown> {
  const { params: _, ...rest } = opt.stateDict().param_groups[0]!;
  return rest;
}

describe("constructor arguments in PyTorch 1.13's order", () => {
  test("defaults are PyTorch's (torch.optim.X([p]).param_groups[0] in PyTorch 1.13)", () => {
    // Values copied from PyTorch 1.13: {k: v for k, v in torch.optim.X([p]).param_groups[0].items()}
    assert.deepEqual(group0(new optim.NAdam([p()])), {
      lr: 0.002,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      momentum_decay: 0.004,
      foreach: null,
    });
    assert.deepEqual(group0(new optim.RAdam([p()])), {
      lr: 0.001,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      foreach: null,
    });
    assert.deepEqual(group0(new optim.Adamax([p()])), {
      lr: 0.002,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weight_decay: 0,
      foreach: null,
      maximize: false,
    });
    assert.deepEqual(group0(new optim.ASGD([p()])), {
      lr: 0.01,
      lambd: 0.0001,
      alpha: 0.75,
      t0: 1000000,
      weight_decay: 0,
      foreach: null,
      maximize: false,
    });
    assert.deepEqual(group0(new optim.Rprop([p()])), {
      lr: 0.01,
      etas: [0.5, 1.2],
      step_sizes: [1e-6, 50],
      foreach: null,
      maximize: false,
    });
    assert.deepEqual(group0(new optim.SparseAdam([p()])), {
      lr: 0.001,
      betas: [0.9, 0.999],
      eps: 1e-8,
      maximize: false,
    });
    assert.deepEqual(group0(new optim.LBFGS([p()])), {
      lr: 1,
      max_iter: 20,
      max_eval: 25,
      tolerance_grad: 1e-7,
      tolerance_change: 1e-9,
      history_size: 100,
      line_search_fn: null,
    });
  });

  test("positional arguments equal the options form", () => {
    const same = (a: optim.Optimizer, b: optim.Optimizer) => assert.deepEqual(group0(a), group0(b));
    same(
      new optim.NAdam([p()], 0.1, [0.8, 0.9], 1e-6, 0.1, 0.01, true),
      new optim.NAdam([p()], {
        lr: 0.1,
        betas: [0.8, 0.9],
        eps: 1e-6,
        weightDecay: 0.1,
        momentumDecay: 0.01,
        foreach: true,
      }),
    );
    same(
      new optim.RAdam([p()], 0.1, [0.8, 0.9], 1e-6, 0.1),
      new optim.RAdam([p()], { lr: 0.1, betas: [0.8, 0.9], eps: 1e-6, weightDecay: 0.1 }),
    );
    same(
      new optim.Adamax([p()], 0.1, [0.8, 0.9], 1e-6, 0.1, null, { maximize: true }),
      new optim.Adamax([p()], {
        lr: 0.1,
        betas: [0.8, 0.9],
        eps: 1e-6,
        weightDecay: 0.1,
        maximize: true,
      }),
    );
    same(
      new optim.ASGD([p()], 0.1, 1e-3, 0.5, 10, 0.1, false, true),
      new optim.ASGD([p()], {
        lr: 0.1,
        lambd: 1e-3,
        alpha: 0.5,
        t0: 10,
        weightDecay: 0.1,
        foreach: false,
        maximize: true,
      }),
    );
    same(
      new optim.Rprop([p()], 0.1, [0.4, 1.1], [1e-5, 10], null, true),
      new optim.Rprop([p()], { lr: 0.1, etas: [0.4, 1.1], stepSizes: [1e-5, 10], maximize: true }),
    );
    same(
      new optim.LBFGS([p()], 0.5, 10, 12, 1e-5, 1e-7, 5, "strong_wolfe"),
      new optim.LBFGS([p()], {
        lr: 0.5,
        maxIter: 10,
        maxEval: 12,
        toleranceGrad: 1e-5,
        toleranceChange: 1e-7,
        historySize: 5,
        lineSearchFn: "strong_wolfe",
      }),
    );
    assert.equal(group0(new optim.LBFGS([p()], { maxIter: 7 })).max_eval, 8, "max_iter * 5 // 4");
  });

  test("options PyTorch 1.13 does not take are refused, not ignored", () => {
    // NAdam and RAdam have no maximize in 1.13; ASGD/Rprop/Adamax no amsgrad; Adamax's maximize is keyword-only.
    assert.throws(() => new optim.NAdam([p()], { maximize: true } as never), ValueError);
    assert.throws(() => new optim.RAdam([p()], { maximize: true } as never), ValueError);
    assert.throws(() => new optim.ASGD([p()], { amsgrad: true } as never), ValueError);
    assert.throws(() => new optim.Rprop([p()], { etas: [0.5] } as never), ValueError);
    assert.throws(
      () => new optim.Adamax([p()], 0.1, [0.8, 0.9], 1e-6, 0, null, true as never),
      ValueError,
    );
    assert.throws(
      () => new optim.LBFGS([p()], { lineSearchFn: "backtracking" as never }),
      ValueError,
    );
    assert.throws(() => new optim.NAdam([p()], { fused: true } as never), ValueError);
  });
});

describe("bad hyperparameters throw PyTorch's messages", () => {
  const cases: [string, () => unknown, RegExp][] = [
    ["NAdam lr", () => new optim.NAdam([p()], -1), /NAdam: Invalid learning rate: -1/],
    ["NAdam eps", () => new optim.NAdam([p()], { eps: -1 }), /Invalid epsilon value: -1/],
    [
      "NAdam beta0",
      () => new optim.NAdam([p()], { betas: [1, 0.9] }),
      /Invalid beta parameter at index 0: 1/,
    ],
    [
      "NAdam beta1",
      () => new optim.NAdam([p()], { betas: [0.9, -0.1] }),
      /Invalid beta parameter at index 1: -0.1/,
    ],
    [
      "NAdam wd",
      () => new optim.NAdam([p()], { weightDecay: -1 }),
      /Invalid weight_decay value: -1/,
    ],
    [
      "NAdam md",
      () => new optim.NAdam([p()], { momentumDecay: -1 }),
      /Invalid momentum_decay value: -1/,
    ],
    ["RAdam lr", () => new optim.RAdam([p()], { lr: -0.5 }), /RAdam: Invalid learning rate: -0.5/],
    [
      "Adamax wd",
      () => new optim.Adamax([p()], { weightDecay: -2 }),
      /Adamax: Invalid weight_decay value: -2/,
    ],
    ["ASGD lr", () => new optim.ASGD([p()], -1), /ASGD: Invalid learning rate: -1/],
    ["ASGD wd", () => new optim.ASGD([p()], { weightDecay: -1 }), /Invalid weight_decay value: -1/],
    [
      "Rprop etas",
      () => new optim.Rprop([p()], { etas: [1.2, 0.5] }),
      /Rprop: Invalid eta values: 1.2, 0.5/,
    ],
    [
      "SparseAdam lr 0",
      () => new optim.SparseAdam([p()], 0),
      /SparseAdam: Invalid learning rate: 0/,
    ],
    ["SparseAdam eps 0", () => new optim.SparseAdam([p()], { eps: 0 }), /Invalid epsilon value: 0/],
    ["LBFGS lr", () => new optim.LBFGS([p()], -1), /LBFGS: Invalid learning rate: -1/],
    [
      "LBFGS groups",
      () => new optim.LBFGS([{ params: [p()] }, { params: [p()] }]),
      /LBFGS doesn't support per-parameter options \(parameter groups\)/,
    ],
    [
      "group lr",
      () => new optim.NAdam([{ params: [p()], lr: -1 }]),
      /Invalid learning rate: -1 in param group 0/,
    ],
  ];
  for (const [what, f, re] of cases) {
    test(what, () => {
      assert.throws(f, (e: unknown) => e instanceof ValueError && re.test((e as Error).message));
    });
  }
});

describe("behaviour", () => {
  test("SparseAdam refuses dense gradients exactly as PyTorch does", () => {
    const w = p();
    const opt = new optim.SparseAdam([w]);
    opt.step(); // no gradient: nothing to refuse
    w.sum().backward();
    assert.throws(
      () => opt.step(),
      /^ValueError: SparseAdam does not support dense gradients, please consider Adam instead$/m,
    );
  });

  test("maximize is the same as minimizing the negated loss (Adamax, ASGD, Rprop)", () => {
    // Reference: PyTorch defines maximize as negating the gradient, so a maximize run on f must
    // equal a plain run on -f, step for step.
    for (const name of ["Adamax", "ASGD", "Rprop"] as const) {
      const a = tensor([0.5, -1, 2], { requiresGrad: true });
      const b = tensor([0.5, -1, 2], { requiresGrad: true });
      const oa = new optim[name]([a], { lr: 0.05, maximize: true });
      const ob = new optim[name]([b], { lr: 0.05 });
      for (let i = 0; i < 5; i++) {
        oa.zeroGrad();
        ob.zeroGrad();
        a.mul(a)
          .mul(tensor([1, 2, 3]))
          .sum()
          .backward();
        b.mul(b)
          .mul(tensor([1, 2, 3]))
          .sum()
          .neg()
          .backward();
        oa.step();
        ob.step();
      }
      assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), name);
    }
  });

  test("foreach picks no different numbers", () => {
    const a = tensor([0.5, -1, 2], { requiresGrad: true });
    const b = tensor([0.5, -1, 2], { requiresGrad: true });
    const oa = new optim.NAdam([a], { lr: 0.05, foreach: true });
    const ob = new optim.NAdam([b], { lr: 0.05, foreach: false });
    for (let i = 0; i < 3; i++) {
      for (const [x, o] of [
        [a, oa],
        [b, ob],
      ] as const) {
        o.zeroGrad();
        x.pow(2).sum().backward();
        o.step();
      }
    }
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  });

  test("lr 0 changes nothing", () => {
    // Not Rprop: its step size is clamped to stepSizes[0] = 1e-6 even from lr 0, as in PyTorch.
    for (const name of ["NAdam", "RAdam", "Adamax", "ASGD"] as const) {
      const w = tensor([0.5, -1, 2], { requiresGrad: true });
      const o = new optim[name]([w], { lr: 0 });
      for (let i = 0; i < 3; i++) {
        o.zeroGrad();
        w.pow(2).sum().backward();
        o.step();
      }
      // ASGD with lr 0 applies no decay either: eta starts at lr.
      assert.deepEqual(Array.from(w.dataSync()), [0.5, -1, 2], name);
    }
  });

  test("LBFGS needs a closure and returns its first loss", () => {
    const w = tensor([1, 2], { dtype: "float64", requiresGrad: true });
    const opt = new optim.LBFGS([w]);
    assert.throws(() => opt.step(), /LBFGS.step: a closure is required/);
    let calls = 0;
    const loss = opt.step(() => {
      calls++;
      opt.zeroGrad();
      const l = w.sub(3).pow(2).sum();
      l.backward();
      return l;
    }) as Tensor;
    assert.equal(loss.item(), 5, "(1-3)² + (2-3)², the loss at the start");
    assert.ok(calls > 1);
    // A quadratic: L-BFGS lands on the minimum [3, 3].
    for (const v of w.dataSync()) assert.ok(Math.abs(v - 3) < 1e-6);
  });
});

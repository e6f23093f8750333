// Exact resume: 10 steps, save, load into a fresh optimizer (and fresh parameters), 10 more steps
// must equal 20 uninterrupted steps bit for bit, for every optimizer case in the golden fixture.
// Also the optimizer bookkeeping: param groups, addParamGroup, zeroGrad, closures.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { optim, type Tensor, tensor } from "../../src/index.ts";
import {
  describeCase,
  groupsOf,
  loadGolden,
  lossOf,
  makeOptimizer,
  makeParams,
  type OptimizerCase,
  type OptimizerFixture,
  PARAM_ORDER,
} from "./helpers.ts";

const fx = loadGolden<OptimizerFixture>("optimizers.json");

function run(
  c: OptimizerCase,
  opt: optim.Optimizer,
  p: Record<string, Tensor>,
  steps: number,
): void {
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    lossOf(fx, c.problem, p).backward();
    opt.step();
  }
}

function values(c: OptimizerCase, p: Record<string, Tensor>): number[][] {
  return PARAM_ORDER[c.problem].map((k) => Array.from(p[k]!.dataSync()));
}

describe("state dict round trip: 10 + save/load + 10 == 20 steps exactly", () => {
  for (const c of fx.cases) {
    test(describeCase(c), () => {
      const pa = makeParams(fx, c.problem);
      const a = makeOptimizer(c.optimizer, groupsOf(c.problem, pa, c.groupLrs), c.options);
      run(c, a, pa, 20);

      const pb = makeParams(fx, c.problem);
      const b = makeOptimizer(c.optimizer, groupsOf(c.problem, pb, c.groupLrs), c.options);
      run(c, b, pb, 10);
      const sd = b.stateDict();
      const at10 = PARAM_ORDER[c.problem].map((k) => pb[k]!.detach().clone());
      run(c, b, pb, 3); // the saved dict is a snapshot: later steps must not leak into it

      const resumed = makeParams(fx, c.problem);
      PARAM_ORDER[c.problem].forEach((k, i) => {
        resumed[k]!.detach().copy_(at10[i]!);
      });
      const fresh = makeOptimizer(c.optimizer, groupsOf(c.problem, resumed, c.groupLrs), c.options);
      fresh.loadStateDict(sd);
      run(c, fresh, resumed, 10);
      assert.deepEqual(values(c, resumed), values(c, pa));
    });
  }
});

describe("optimizer bookkeeping", () => {
  test("a plain list of tensors becomes one group with the defaults", () => {
    const w = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const opt = new optim.Adam([w], { lr: 0.01 });
    assert.equal(opt.paramGroups.length, 1);
    const g = opt.paramGroups[0]!;
    assert.deepEqual(g.params, [w]);
    assert.equal(g.lr, 0.01);
    assert.deepEqual(g.betas, [0.9, 0.999]);
    assert.equal(g.weightDecay, 0);
    assert.equal(g.amsgrad, false);
  });

  test("param groups take per-group options and the defaults for the rest", () => {
    const a = tensor([1], { dtype: "float32", requiresGrad: true });
    const b = tensor([1], { dtype: "float32", requiresGrad: true });
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0.1 }], {
      lr: 0.1,
      momentum: 0.9,
    });
    assert.equal(opt.paramGroups[0]!.lr, 0.1);
    assert.equal(opt.paramGroups[0]!.momentum, 0.9);
    assert.equal(opt.paramGroups[1]!.lr, 0.5);
    assert.equal(opt.paramGroups[1]!.momentum, 0.1);
    a.grad = tensor([1], { dtype: "float32" });
    b.grad = tensor([1], { dtype: "float32" });
    opt.step();
    // SGD's first momentum step uses the raw gradient: θ = 1 - lr · 1.
    assert.deepEqual(Array.from(a.dataSync()), [Math.fround(1 - 0.1)]);
    assert.deepEqual(Array.from(b.dataSync()), [Math.fround(1 - 0.5)]);
  });

  test("addParamGroup adds a group that steps with its own lr", () => {
    const a = tensor([1], { dtype: "float32", requiresGrad: true });
    const b = tensor([2], { dtype: "float32", requiresGrad: true });
    const opt = new optim.SGD([a], { lr: 0.1 });
    opt.addParamGroup({ params: b, lr: 1 });
    assert.equal(opt.paramGroups.length, 2);
    assert.equal(opt.paramGroups[1]!.momentum, 0);
    b.grad = tensor([0.25], { dtype: "float32" });
    opt.step();
    assert.deepEqual(Array.from(a.dataSync()), [1]); // no grad: skipped
    assert.deepEqual(Array.from(b.dataSync()), [1.75]); // 2 - 1 · 0.25
    assert.throws(() => opt.addParamGroup({ params: [a] }), /more than one parameter group/);
  });

  test("zeroGrad sets grads to null by default, or zeroes them", () => {
    const w = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.1 });
    w.mul(w).sum().backward();
    const g = w.grad!;
    opt.zeroGrad({ setToNone: false });
    assert.equal(w.grad, g);
    assert.deepEqual(Array.from(g.dataSync()), [0, 0]);
    opt.zeroGrad();
    assert.equal(w.grad, null);
  });

  test("step(closure) evaluates the closure with grad enabled and returns its loss", () => {
    const w = tensor([3], { dtype: "float32", requiresGrad: true });
    const opt = new optim.SGD([w], { lr: 0.25 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = w.mul(w).sum();
      l.backward();
      return l;
    }) as Tensor;
    assert.equal(loss.item(), 9);
    assert.deepEqual(Array.from(w.dataSync()), [1.5]); // 3 - 0.25 · 2 · 3
  });

  test("stateDict uses PyTorch's names and parameter indices across groups", () => {
    const a = tensor([1], { dtype: "float32", requiresGrad: true });
    const b = tensor([1, 2], { dtype: "float32", requiresGrad: true });
    const c = tensor([1], { dtype: "float32", requiresGrad: true });
    const opt = new optim.Adagrad([{ params: [a, b] }, { params: [c], lrDecay: 0.5 }], {
      initialAccumulatorValue: 0.1,
    });
    const sd = opt.stateDict();
    assert.deepEqual(
      sd.param_groups.map((g) => g.params),
      [[0, 1], [2]],
    );
    assert.equal(sd.param_groups[1]!.lr_decay, 0.5);
    assert.equal(sd.param_groups[0]!.initial_accumulator_value, 0.1);
    assert.deepEqual(Object.keys(sd.state[1]!).sort(), ["step", "sum"]);
    assert.equal(opt.toString().split("\n")[0], "Adagrad (");
  });
});

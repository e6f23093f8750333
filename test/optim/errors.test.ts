// Bad input raises typed errors whose messages name the optimizer (or scheduler), what was given
// and what was expected.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { optim, ShapeError, tensor, ValueError } from "../../src/index.ts";

const leaf = () => tensor([1, 2], { dtype: "float32", requiresGrad: true });

function throwsValue(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValueError, `expected a ValueError, got ${String(e)}`);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe("optimizer errors", () => {
  test("negative lr, for every optimizer, in the defaults and in a param group", () => {
    throwsValue(
      () => new optim.SGD([leaf()], { lr: -0.1 }),
      /^SGD: invalid learning rate lr=-0.1; expected a number >= 0$/,
    );
    throwsValue(() => new optim.Adam([leaf()], { lr: -1 }), /^Adam: /, /lr=-1/, />= 0/);
    throwsValue(() => new optim.AdamW([leaf()], { lr: -1 }), /^AdamW: /);
    throwsValue(() => new optim.RMSprop([leaf()], { lr: -1 }), /^RMSprop: /);
    throwsValue(() => new optim.Adagrad([leaf()], { lr: -1 }), /^Adagrad: /);
    throwsValue(() => new optim.Adadelta([leaf()], { lr: -1 }), /^Adadelta: /);
    throwsValue(
      () => new optim.SGD([{ params: [leaf()] }, { params: [leaf()], lr: -2 }], { lr: 0.1 }),
      /^SGD: invalid learning rate lr=-2 in param group 1/,
    );
  });

  test("SGD without lr says lr is missing, unless every group sets it", () => {
    throwsValue(
      () => new optim.SGD([leaf()], {}),
      /^SGD: lr is required in param group 0 \(as in PyTorch, it has no default\); got undefined$/,
    );
    const opt = new optim.SGD([{ params: [leaf()], lr: 0.3 }], {});
    assert.equal(opt.paramGroups[0]!.lr, 0.3);
  });

  test("betas outside [0, 1)", () => {
    throwsValue(
      () => new optim.Adam([leaf()], { betas: [1.0, 0.999] }),
      /^Adam: invalid beta parameter at index 0: 1; expected 0 <= betas\[0\] < 1$/,
    );
    throwsValue(() => new optim.Adam([leaf()], { betas: [0.9, -0.1] }), /index 1: -0.1/);
    throwsValue(
      () => new optim.AdamW([leaf()], { betas: [0.9, 1.5] }),
      /^AdamW: invalid beta parameter at index 1: 1.5/,
    );
  });

  test("other options out of range", () => {
    throwsValue(
      () => new optim.SGD([leaf()], { lr: 0.1, momentum: -0.5 }),
      /^SGD: invalid momentum: -0.5; expected momentum >= 0$/,
    );
    throwsValue(
      () => new optim.SGD([leaf()], { lr: 0.1, nesterov: true }),
      /^SGD: Nesterov momentum requires a momentum and zero dampening/,
    );
    throwsValue(() => new optim.Adam([leaf()], { weightDecay: -1 }), /weightDecay: -1/);
    throwsValue(() => new optim.Adam([leaf()], { eps: -1 }), /eps: -1/);
    throwsValue(() => new optim.RMSprop([leaf()], { alpha: -1 }), /^RMSprop: invalid alpha/);
    throwsValue(() => new optim.Adagrad([leaf()], { lrDecay: -1 }), /^Adagrad: invalid lrDecay/);
    throwsValue(
      () => new optim.Adagrad([leaf()], { initialAccumulatorValue: -1 }),
      /initialAccumulatorValue/,
    );
    throwsValue(
      () => new optim.Adadelta([leaf()], { rho: 1.5 }),
      /^Adadelta: invalid rho: 1.5; expected 0 <= rho <= 1$/,
    );
  });

  test("a parameter that is not a leaf", () => {
    const w = leaf();
    throwsValue(
      () => new optim.SGD([w.mul(2)], { lr: 0.1 }),
      /^SGD: can't optimize a non-leaf Tensor \(param 0 in param group 0 was produced by MulBackward0\)/,
    );
    const opt = new optim.Adam([w]);
    throwsValue(
      () => opt.addParamGroup({ params: [w.add(1)] }),
      /^Adam: can't optimize a non-leaf Tensor \(param 0 in param group 1/,
    );
  });

  test("params that are not an iterable of tensors", () => {
    throwsValue(
      () => new optim.SGD([], { lr: 0.1 }),
      /^SGD: optimizer got an empty parameter list$/,
    );
    throwsValue(() => new optim.SGD(leaf() as never, { lr: 0.1 }), /^SGD: .*got a single Tensor/);
    throwsValue(
      () => new optim.SGD([leaf(), 3] as never, { lr: 0.1 }),
      /^SGD: optimizer can only optimize Tensors, but param 1 in param group 0 is number/,
    );
    const w = leaf();
    throwsValue(
      () => new optim.SGD([{ params: [w] }, { params: [w] }], { lr: 0.1 }),
      /more than one parameter group/,
    );
  });

  test("loading a state dict with a different number of parameters or groups", () => {
    const src = new optim.Adam([leaf(), leaf(), leaf()]);
    const dst = new optim.Adam([leaf(), leaf()]);
    throwsValue(
      () => dst.loadStateDict(src.stateDict()),
      /^Adam.loadStateDict: loaded state dict contains a parameter group that doesn't match the size of optimizer's group: group 0 has 3 parameters in the state dict, but 2 in the optimizer$/,
    );
    const twoGroups = new optim.Adam([{ params: [leaf()] }, { params: [leaf()] }]);
    throwsValue(
      () => dst.loadStateDict(twoGroups.stateDict()),
      /^Adam.loadStateDict: loaded state dict has 2 parameter groups, but the optimizer has 1$/,
    );
    throwsValue(
      () => dst.loadStateDict({} as never),
      /^Adam.loadStateDict: expected \{ state, param_groups \}/,
    );
  });

  test("loading state whose tensors do not fit the parameters", () => {
    const a = tensor([1, 2, 3], { dtype: "float32", requiresGrad: true });
    a.grad = tensor([1, 1, 1], { dtype: "float32" });
    const src = new optim.SGD([a], { lr: 0.1, momentum: 0.9 });
    src.step();
    const dst = new optim.SGD([leaf()], { lr: 0.1, momentum: 0.9 });
    assert.throws(
      () => dst.loadStateDict(src.stateDict()),
      (e: unknown) =>
        e instanceof ShapeError &&
        /^SGD.loadStateDict: state 'momentum_buffer' of parameter 0 has shape \[3\], but the parameter has shape \[2\]$/.test(
          e.message,
        ),
    );
  });
});

describe("scheduler errors", () => {
  const opt = () => new optim.SGD([leaf()], { lr: 0.1 });
  test("bad scheduler options", () => {
    throwsValue(
      () => new optim.lrScheduler.StepLR(opt(), { stepSize: 0 }),
      /^StepLR: stepSize must be a positive integer, got 0$/,
    );
    throwsValue(
      () => new optim.lrScheduler.LinearLR(opt(), { startFactor: 2 }),
      /^LinearLR: startFactor must be between 0 and 1, got 2$/,
    );
    throwsValue(
      () => new optim.lrScheduler.ReduceLROnPlateau(opt(), { factor: 1 }),
      /^ReduceLROnPlateau: factor should be < 1.0, got 1$/,
    );
    throwsValue(
      () => new optim.lrScheduler.ReduceLROnPlateau(opt(), { mode: "up" as never }),
      /mode up is unknown/,
    );
    throwsValue(
      () => new optim.lrScheduler.OneCycleLR(opt(), { maxLr: 1 }),
      /^OneCycleLR: you must define either totalSteps OR \(epochs AND stepsPerEpoch\)$/,
    );
    throwsValue(
      () => new optim.lrScheduler.OneCycleLR(opt(), { maxLr: 1, totalSteps: 2.5 }),
      /positive integer totalSteps, but got 2.5/,
    );
    throwsValue(
      () => new optim.lrScheduler.LambdaLR(opt(), { lrLambda: [(e) => e, (e) => e] }),
      /^LambdaLR: expected 1 lrLambdas, but got 2$/,
    );
    throwsValue(
      () => new optim.lrScheduler.StepLR({} as never, { stepSize: 1 }),
      /^StepLR: expected an optim.Optimizer, but got Object$/,
    );
    throwsValue(
      () => new optim.lrScheduler.StepLR(opt(), { stepSize: 1, lastEpoch: 3 }),
      /param 'initial_lr' is not specified in param_groups\[0\]/,
    );
  });

  test("OneCycleLR past its total steps, and on an optimizer without momentum", () => {
    const o = opt();
    const s = new optim.lrScheduler.OneCycleLR(o, { maxLr: 1, totalSteps: 2 });
    s.step();
    s.step();
    throwsValue(
      () => s.step(),
      /^OneCycleLR: tried to step 4 times. The specified number of total steps is 2$/,
    );
    const ada = new optim.Adagrad([leaf()]);
    throwsValue(
      () => new optim.lrScheduler.OneCycleLR(ada, { maxLr: 1, totalSteps: 5 }),
      /optimizer Adagrad must support momentum/,
    );
  });

  test("SequentialLR checks its schedulers and milestones", () => {
    const o = opt();
    const a = new optim.lrScheduler.ExponentialLR(o, { gamma: 0.9 });
    const b = new optim.lrScheduler.ExponentialLR(opt(), { gamma: 0.9 });
    throwsValue(
      () => new optim.lrScheduler.SequentialLR(o, { schedulers: [a, b], milestones: [3] }),
      /scheduler at index 1/,
    );
    throwsValue(
      () => new optim.lrScheduler.SequentialLR(o, { schedulers: [a], milestones: [3] }),
      /number of schedulers 1 and the number of milestones to be equal to 1/,
    );
  });
});

// Rule 2 of shared/API.md for optim: PyTorch's positional order, one trailing options object, and
// a ValueError for anything not understood.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { optim, type Tensor, tensor } from "../../src/index.ts";

const S = optim.lrScheduler;
const leaf = (v = [1]): Tensor => tensor(v, { dtype: "float32", requiresGrad: true });

function throwsValue(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ValueError && re.test(e.message));
}

/** Three steps with the gradient fixed at 1; returns w after each. */
function run(make: (p: Tensor[]) => optim.Optimizer): number[] {
  const w = leaf();
  const opt = make([w]);
  const out: number[] = [];
  for (let k = 0; k < 3; k++) {
    w.grad = tensor([1], { dtype: "float32" });
    opt.step();
    out.push(w.item() as number);
  }
  return out;
}

function close(a: number[], b: number[]): void {
  a.forEach((v, i) => {
    assert.ok(Math.abs(v - b[i]!) < 1e-6, `${a} vs ${b}`);
  });
}

describe("optimizers: positional arguments in PyTorch's order", () => {
  test("SGD(params, 0.1, 0.9) steps as SGD(params, { lr: 0.1, momentum: 0.9 }), not as lr alone", () => {
    const positional = run((p) => new optim.SGD(p, 0.1, 0.9));
    const options = run((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9 }));
    const lrOnly = run((p) => new optim.SGD(p, 0.1));
    // By hand, g = 1: buf = 1, 1.9, 2.71; w = 1 - 0.1·buf cumulatively: 0.9, 0.71, 0.439.
    close(positional, [0.9, 0.71, 0.439]);
    assert.deepEqual(positional, options);
    close(lrOnly, [0.9, 0.8, 0.7]);
    // dampening and weight decay positionally: SGD(p, 0.1, 0.9, 0.5, 0.1).
    assert.deepEqual(
      run((p) => new optim.SGD(p, 0.1, 0.9, 0.5, 0.1)),
      run((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.5, weightDecay: 0.1 })),
    );
    assert.deepEqual(
      run((p) => new optim.SGD(p, 0.1, 0.9, 0, 0, true)),
      run((p) => new optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })),
    );
  });

  test("every optimizer: a full positional list equals the same options", () => {
    const pairs: [(p: Tensor[]) => optim.Optimizer, (p: Tensor[]) => optim.Optimizer][] = [
      [
        (p) => new optim.Adam(p, 0.01, [0.8, 0.9], 1e-6, 0.1, true),
        (p) =>
          new optim.Adam(p, {
            lr: 0.01,
            betas: [0.8, 0.9],
            eps: 1e-6,
            weightDecay: 0.1,
            amsgrad: true,
          }),
      ],
      [
        (p) => new optim.AdamW(p, 0.01, [0.8, 0.9], 1e-6, 0.1, true),
        (p) =>
          new optim.AdamW(p, {
            lr: 0.01,
            betas: [0.8, 0.9],
            eps: 1e-6,
            weightDecay: 0.1,
            amsgrad: true,
          }),
      ],
      [
        (p) => new optim.RMSprop(p, 0.01, 0.9, 1e-6, 0.1, 0.5, true, null, true),
        (p) =>
          new optim.RMSprop(p, {
            lr: 0.01,
            alpha: 0.9,
            eps: 1e-6,
            weightDecay: 0.1,
            momentum: 0.5,
            centered: true,
            maximize: true,
          }),
      ],
      [
        (p) => new optim.Adagrad(p, 0.1, 0.01, 0.1, 0.5, 1e-6),
        (p) =>
          new optim.Adagrad(p, {
            lr: 0.1,
            lrDecay: 0.01,
            weightDecay: 0.1,
            initialAccumulatorValue: 0.5,
            eps: 1e-6,
          }),
      ],
      [
        (p) => new optim.Adadelta(p, 0.5, 0.8, 1e-5, 0.1),
        (p) => new optim.Adadelta(p, { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1 }),
      ],
    ];
    for (const [a, b] of pairs) {
      const ra = run(a);
      assert.deepEqual(ra, run(b));
      assert.notDeepEqual(
        ra,
        run((p) => (a(p).constructor === optim.Adam ? new optim.Adam(p) : new optim.SGD(p, 0.1))),
      );
    }
    // Positional prefix with options after: Adam(p, 0.01, { amsgrad: true }).
    assert.deepEqual(
      run((p) => new optim.Adam(p, 0.01, { amsgrad: true })),
      run((p) => new optim.Adam(p, { lr: 0.01, amsgrad: true })),
    );
    // PyTorch's defaults (Adam lr 1e-3, AdamW weight_decay 1e-2) stay.
    assert.equal(new optim.Adam([leaf()]).defaults.lr, 1e-3);
    assert.equal(new optim.AdamW([leaf()]).defaults.weightDecay, 1e-2);
  });

  test("each error kind throws a ValueError naming the optimizer and the argument", () => {
    const p = () => [leaf()];
    throwsValue(
      () => new optim.SGD(p(), 0.1, 0.9, 0, 0, false, true as never),
      /^SGD: takes 6 positional arguments .* the extra one is true/,
    );
    // maximize is keyword-only in PyTorch: never taken positionally.
    throwsValue(
      () => new optim.Adam(p(), 0.1, [0.9, 0.99], 1e-8, 0, false, true as never),
      /^Adam: takes 6 positional/,
    );
    throwsValue(
      () => new optim.SGD(p(), { lr: 0.1, weight_decay: 1 } as never),
      /^SGD: unknown option "weight_decay" \(did you mean "weightDecay"\?/,
    );
    throwsValue(
      () => new optim.SGD(p(), 0.1, { lr: 0.2 }),
      /^SGD: got multiple values for argument "lr"/,
    );
    throwsValue(
      () => new optim.SGD(p(), "0.1" as never),
      /^SGD: argument "lr" must be a number, got "0.1" \(string\)/,
    );
    throwsValue(
      () => new optim.SGD(p(), { lr: 0.1, differentiable: true as never }),
      /^SGD: argument "differentiable" must be one of false/,
    );
    throwsValue(() => new optim.Adam(p(), { fused: true as never }), /^Adam: argument "fused"/);
    throwsValue(
      () => new optim.AdamW(p(), { differentiable: false } as never),
      /^AdamW: unknown option "differentiable"/,
    );
    throwsValue(
      () => new optim.Adam(p(), 0.1, [0.9] as never),
      /^Adam: argument "betas" must be an array of 2 numbers/,
    );
    throwsValue(
      () => new optim.RMSprop(p(), { lr: 0.1, capturable: false } as never),
      /^RMSprop: unknown option "capturable"/,
    );
    // foreach is accepted (it picks an implementation, not a result).
    assert.deepEqual(
      run((q) => new optim.SGD(q, { lr: 0.1, foreach: true })),
      run((q) => new optim.SGD(q, 0.1)),
    );
  });
});

/** The lr after the constructor and after each of `n` steps. */
function lrs(make: (o: optim.Optimizer) => { step(): void }, n = 5): number[] {
  const o = new optim.SGD([leaf()], { lr: 1, momentum: 0.9 });
  const s = make(o);
  const out = [o.paramGroups[0]!.lr];
  for (let k = 0; k < n; k++) {
    s.step();
    out.push(o.paramGroups[0]!.lr);
  }
  return out;
}

function plateau(s: optim.lrScheduler.ReduceLROnPlateau): { step(): void } {
  return { step: () => s.step(1) };
}

describe("schedulers: positional arguments in PyTorch's order", () => {
  test("StepLR(opt, 2, 0.5) = StepLR(opt, { stepSize: 2, gamma: 0.5 }); by hand 1, 1, .5, .5, .25, .25", () => {
    const a = lrs((o) => new S.StepLR(o, 2, 0.5));
    assert.deepEqual(a, [1, 1, 0.5, 0.5, 0.25, 0.25]);
    assert.deepEqual(
      a,
      lrs((o) => new S.StepLR(o, { stepSize: 2, gamma: 0.5 })),
    );
    assert.notDeepEqual(
      a,
      lrs((o) => new S.StepLR(o, 2)),
    );
  });

  test("every scheduler: positional equals options", () => {
    const f = (e: number) => 1 / (e + 1);
    const pairs: [
      (o: optim.Optimizer) => { step(): void },
      (o: optim.Optimizer) => { step(): void },
    ][] = [
      [
        (o) => new S.MultiStepLR(o, [1, 3], 0.5),
        (o) => new S.MultiStepLR(o, { milestones: [1, 3], gamma: 0.5 }),
      ],
      [(o) => new S.ExponentialLR(o, 0.5), (o) => new S.ExponentialLR(o, { gamma: 0.5 })],
      [
        (o) => new S.CosineAnnealingLR(o, 4, 0.1),
        (o) => new S.CosineAnnealingLR(o, { tMax: 4, etaMin: 0.1 }),
      ],
      [
        (o) => new S.LinearLR(o, 0.5, 1, 2),
        (o) => new S.LinearLR(o, { startFactor: 0.5, endFactor: 1, totalIters: 2 }),
      ],
      [(o) => new S.LambdaLR(o, f), (o) => new S.LambdaLR(o, { lrLambda: f })],
      [
        (o) => new S.OneCycleLR(o, 1, 10, null, null, 0.4, "linear"),
        (o) =>
          new S.OneCycleLR(o, {
            maxLr: 1,
            totalSteps: 10,
            pctStart: 0.4,
            annealStrategy: "linear",
          }),
      ],
      [
        // A constant metric never improves in "max" mode after the first: the lr halves.
        (o) => plateau(new S.ReduceLROnPlateau(o, "max", 0.5, 0)),
        (o) => plateau(new S.ReduceLROnPlateau(o, { mode: "max", factor: 0.5, patience: 0 })),
      ],
      [
        (o) => new S.SequentialLR(o, [new S.ExponentialLR(o, 0.5), new S.StepLR(o, 1, 0.1)], [2]),
        (o) =>
          new S.SequentialLR(o, {
            schedulers: [
              new S.ExponentialLR(o, { gamma: 0.5 }),
              new S.StepLR(o, { stepSize: 1, gamma: 0.1 }),
            ],
            milestones: [2],
          }),
      ],
    ];
    for (const [a, b] of pairs) {
      const ra = lrs(a);
      assert.deepEqual(ra, lrs(b));
      assert.ok(
        ra.some((v) => v !== 1),
        `${ra}: the schedule moves`,
      );
    }
  });

  test("scheduler errors: extra positional, unknown option, twice, wrong type, verbose", () => {
    const o = () => new optim.SGD([leaf()], { lr: 1 });
    throwsValue(
      () => new S.StepLR(o(), 2, 0.5, -1, false, 3 as never),
      /^StepLR: takes 5 positional arguments/,
    );
    throwsValue(
      () => new S.StepLR(o(), { step_size: 2 } as never),
      /^StepLR: unknown option "step_size" \(did you mean "stepSize"/,
    );
    throwsValue(
      () => new S.StepLR(o(), 2, { stepSize: 3 }),
      /^StepLR: got multiple values for argument "stepSize"/,
    );
    throwsValue(() => new S.StepLR(o()), /^StepLR: missing required argument "stepSize"/);
    throwsValue(
      () => new S.ExponentialLR(o(), "0.5" as never),
      /^ExponentialLR: argument "gamma" must be a number/,
    );
    throwsValue(
      () => new S.StepLR(o(), 2, 0.5, -1, true as never),
      /^StepLR: argument "verbose" must be one of false/,
    );
    throwsValue(
      () => new S.ReduceLROnPlateau(o(), { mode: "min", verbose: true } as never),
      /^ReduceLROnPlateau: argument "verbose"/,
    );
    throwsValue(
      () => new S.OneCycleLR(o(), { maxLr: 1, totalSteps: 5, max_lr: 2 } as never),
      /^OneCycleLR: unknown option "max_lr"/,
    );
    throwsValue(
      () => new S.LambdaLR(o(), 3 as never),
      /^LambdaLR: argument "lrLambda" must be a function or an array of functions/,
    );
  });
});

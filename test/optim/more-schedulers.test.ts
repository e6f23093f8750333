// CosineAnnealingWarmRestarts (with fractional step(epoch)), CyclicLR, PolynomialLR, ConstantLR,
// MultiplicativeLR and ChainedScheduler against PyTorch 1.13 (tools/golden/optim_more.py): the lr
// and momentum of two SGD param groups over 30 steps (or PyTorch's step(epoch) jumps), getLastLr,
// state dicts under PyTorch's keys, and an exact resume through stateDict/loadStateDict.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { optim, zeros } from "../../src/index.ts";
import { loadGolden } from "./helpers.ts";

interface Spec {
  type: string;
  options?: Record<string, unknown>;
  schedulers?: Spec[];
}
interface Case {
  sched: Spec;
  epochs?: number[];
  lrs: number[][];
  momenta: number[][];
  lastLrs: number[][];
  stateDict: Record<string, unknown>;
}
const fx = loadGolden<{ torch_version: string; steps: number; cases: Case[] }>(
  "more_schedulers.json",
);

// The functions of LAMBDAS and SCALE_FNS in tools/golden/optim_more.py.
const LAMBDAS: Record<string, (e: number) => number> = {
  const095: () => 0.95,
  shrinking: (e) => 1.0 - 0.02 * e,
  pow09: (e) => 0.9 ** (e % 3),
};
const SCALE_FNS: Record<string, (x: number) => number> = {
  halfsine: (x) => 0.5 * (1 + Math.sin(x)),
  inv: (x) => 1.0 / x,
};

type Sched = optim.lrScheduler.Scheduler & { step(epoch?: number): void };
const S = optim.lrScheduler;

function makeOptimizer(): optim.Optimizer {
  return new optim.SGD(
    [
      { params: [zeros(2, { requiresGrad: true })], lr: 0.1 },
      { params: [zeros(3, { requiresGrad: true })], lr: 0.05 },
    ],
    { lr: 0.1, momentum: 0.9 },
  );
}

function build(opt: optim.Optimizer, spec: Spec): Sched {
  // biome-ignore lint/suspicious/noExplicitAny: options come from JSON
  const o = { ...spec.options } as any;
  if (typeof o.lrLambda === "string") o.lrLambda = LAMBDAS[o.lrLambda]!;
  else if (Array.isArray(o.lrLambda)) o.lrLambda = o.lrLambda.map((k: string) => LAMBDAS[k]!);
  if (typeof o.scaleFn === "string") o.scaleFn = SCALE_FNS[o.scaleFn]!;
  switch (spec.type) {
    case "CosineAnnealingWarmRestarts":
      return new S.CosineAnnealingWarmRestarts(opt, o);
    case "CyclicLR":
      return new S.CyclicLR(opt, o);
    case "PolynomialLR":
      return new S.PolynomialLR(opt, o);
    case "ConstantLR":
      return new S.ConstantLR(opt, o);
    case "MultiplicativeLR":
      return new S.MultiplicativeLR(opt, o);
    case "ExponentialLR":
      return new S.ExponentialLR(opt, o);
    case "ChainedScheduler":
      return new S.ChainedScheduler(spec.schedulers!.map((s) => build(opt, s)));
  }
  throw new Error(`unknown scheduler ${spec.type}`);
}

/** Equal up to the last bits of a float64 (Math.cos and C's cos may differ by an ulp). */
function close(got: readonly number[], want: readonly number[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    const w = want[i]!;
    assert.ok(
      Math.abs(g - w) <= 1e-12 * Math.max(1, Math.abs(w)),
      `${what}[${i}]: got ${g}, want ${w}`,
    );
  });
}

function deepClose(got: unknown, want: unknown, what: string): void {
  if (typeof want === "number") {
    assert.equal(typeof got, "number", `${what}: got ${String(got)}`);
    close([got as number], [want], what);
  } else if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${what}: not an array`);
    assert.equal((got as unknown[]).length, want.length, what);
    want.forEach((w, i) => {
      deepClose((got as unknown[])[i], w, `${what}[${i}]`);
    });
  } else if (want !== null && typeof want === "object") {
    for (const [k, w] of Object.entries(want))
      deepClose((got as Record<string, unknown>)[k], w, `${what}.${k}`);
  } else {
    assert.equal(got, want, what);
  }
}

function label(c: Case): string {
  const one = (s: Spec): string =>
    s.schedulers
      ? `${s.type}[${s.schedulers.map(one).join(", ")}]`
      : `${s.type}(${JSON.stringify(s.options)})`;
  return `${one(c.sched)}${c.epochs ? ` step(${c.epochs.join(", ")})` : ""}`;
}

function run(c: Case, opt: optim.Optimizer, s: Sched, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    close(
      opt.paramGroups.map((g) => g.lr),
      c.lrs[i]!,
      `lr before step ${i}`,
    );
    close(
      opt.paramGroups.map((g) => g.momentum as number),
      c.momenta[i]!,
      `momentum before step ${i}`,
    );
    opt.step();
    if (c.epochs) s.step(c.epochs[i]!);
    else s.step();
    close(s.getLastLr(), c.lastLrs[i]!, `getLastLr after step ${i}`);
  }
}

describe(`schedulers equal PyTorch ${fx.torch_version}`, () => {
  for (const c of fx.cases) {
    const n = c.lrs.length;
    test(label(c), () => {
      const opt = makeOptimizer();
      const s = build(opt, c.sched);
      run(c, opt, s, 0, n);
      deepClose(s.stateDict(), c.stateDict, "stateDict");
    });
    if (c.epochs) continue;
    test(`${label(c)}: resumes exactly from stateDict at step ${n / 2}`, () => {
      const optA = makeOptimizer();
      const a = build(optA, c.sched);
      run(c, optA, a, 0, n / 2);
      const optSd = optA.stateDict();
      const schedSd = structuredClone(a.stateDict());
      const optB = makeOptimizer();
      const b = build(optB, c.sched);
      optB.loadStateDict(optSd);
      b.loadStateDict(schedSd);
      run(c, optB, b, n / 2, n);
    });
  }
});

describe("scheduler arguments and errors as PyTorch's", () => {
  test("positional arguments in PyTorch's order equal the options form", () => {
    const a = makeOptimizer();
    const b = makeOptimizer();
    const sa = new S.CyclicLR(a, 0.01, 0.1, 3, 5, "triangular2");
    const sb = new S.CyclicLR(b, {
      baseLr: 0.01,
      maxLr: 0.1,
      stepSizeUp: 3,
      stepSizeDown: 5,
      mode: "triangular2",
    });
    const sc = new S.CosineAnnealingWarmRestarts(makeOptimizer(), 3, 2, 0.001);
    const want = fx.cases[1]!.lrs;
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(sa.getLastLr(), sb.getLastLr());
      close(sc.getLastLr(), want[i]!, `CAWR positional ${i}`);
      sa.step();
      sb.step();
      sc.step();
    }
    const p = new S.PolynomialLR(makeOptimizer(), 12, 2.0);
    assert.equal(p.totalIters, 12);
    assert.equal(p.power, 2.0);
    const k = new S.ConstantLR(makeOptimizer(), 0.5, 7);
    assert.deepEqual([k.factor, k.totalIters], [0.5, 7]);
  });

  test("bad values throw PyTorch's messages", () => {
    assert.throws(
      () => new S.ConstantLR(makeOptimizer(), { factor: 1.5 }),
      /Constant multiplicative factor expected to be between 0 and 1/,
    );
    assert.throws(
      () => new S.CosineAnnealingWarmRestarts(makeOptimizer(), 0),
      /Expected positive integer T_0, but got 0/,
    );
    assert.throws(() => new S.CosineAnnealingWarmRestarts(makeOptimizer(), 2.5), ValueError);
    assert.throws(
      () => new S.CosineAnnealingWarmRestarts(makeOptimizer(), { t0: 3, tMult: 0 }),
      /Expected integer T_mult >= 1/,
    );
    const w = new S.CosineAnnealingWarmRestarts(makeOptimizer(), 3);
    assert.throws(() => w.step(-1), /Expected non-negative epoch, but got -1/);
    assert.throws(
      () => new S.CyclicLR(makeOptimizer(), { baseLr: 0.1, maxLr: 1, mode: "bogus" as never }),
      ValueError,
    );
    assert.throws(
      () => new S.CyclicLR(makeOptimizer(), { baseLr: [0.1], maxLr: 1 }),
      /expected 2 values for baseLr/,
    );
    const rms = new optim.Adagrad([zeros(2, { requiresGrad: true })]);
    assert.throws(() => new S.CyclicLR(rms, { baseLr: 0.1, maxLr: 1 }), /must support momentum/);
    assert.throws(
      () => new S.MultiplicativeLR(makeOptimizer(), [() => 1]),
      /Expected 2 lr_lambdas, but got 1/,
    );
    const other = new S.ExponentialLR(makeOptimizer(), 0.9);
    assert.throws(
      () => new S.ChainedScheduler([new S.ExponentialLR(makeOptimizer(), 0.9), other]),
      /same optimizer/,
    );
    assert.throws(() => new S.PolynomialLR(makeOptimizer(), { bogus: 1 } as never), ValueError);
  });

  test("CyclicLR cycles Adam's beta1 exactly as it cycles SGD's momentum (PyTorch 2.x behaviour)", () => {
    // Reference: the golden SGD momentum sequence of the exp_range case; 1.13 refuses Adam here.
    const c = fx.cases.find(
      (k) => k.sched.type === "CyclicLR" && k.sched.options!.mode === "exp_range",
    )!;
    const adam = new optim.Adam([
      { params: [zeros(2, { requiresGrad: true })], lr: 0.1 },
      { params: [zeros(3, { requiresGrad: true })], lr: 0.05 },
    ]);
    const s = build(adam, c.sched);
    for (let i = 0; i < c.lrs.length; i++) {
      close(
        adam.paramGroups.map((g) => (g.betas as number[])[0]!),
        c.momenta[i]!,
        `beta1 ${i}`,
      );
      close(
        adam.paramGroups.map((g) => g.lr),
        c.lrs[i]!,
        `lr ${i}`,
      );
      assert.deepEqual(
        adam.paramGroups.map((g) => (g.betas as number[])[1]),
        [0.999, 0.999],
      );
      s.step();
    }
  });
});

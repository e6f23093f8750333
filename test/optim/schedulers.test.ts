// LR schedulers against PyTorch 1.13 (tools/golden/optim.py): the lr (and the cycled momentum) of
// two param groups for 30 epochs, chained schedulers included; state-dict names and exact resume.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { optim, zeros } from "../../src/index.ts";
import { loadGolden } from "./helpers.ts";

interface SchedSpec {
  type: string;
  options: Record<string, unknown>;
  schedulers?: SchedSpec[];
}
interface SchedCase {
  optimizer: "SGD" | "Adam";
  sched: SchedSpec[];
  lrs: number[][];
  momenta: number[][];
  lastLr: number[][];
  stateDicts: Record<string, unknown>[];
}
interface SchedFixture {
  torch_version: string;
  epochs: number;
  metrics: number[];
  cases: SchedCase[];
}

const fx = loadGolden<SchedFixture>("schedulers.json");

// The same functions as LAMBDAS in tools/golden/optim.py.
const LAMBDAS: Record<string, optim.lrScheduler.LrLambda> = {
  pow095: (e) => 0.95 ** e,
  warmup5: (e) => Math.min(1.0, (e + 1) / 5),
  inverse: (e) => 1.0 / (1 + e),
};

type AnySched =
  | optim.lrScheduler.LRScheduler
  | optim.lrScheduler.ReduceLROnPlateau
  | optim.lrScheduler.SequentialLR;

function makeOptimizer(kind: "SGD" | "Adam"): optim.Optimizer {
  const groups = [
    { params: [zeros(2, { requiresGrad: true })], lr: 0.1 },
    { params: [zeros(3, { requiresGrad: true })], lr: 0.05 },
  ];
  return kind === "SGD"
    ? new optim.SGD(groups, { lr: 0.1, momentum: 0.9 })
    : new optim.Adam(groups);
}

function build(opt: optim.Optimizer, spec: SchedSpec): AnySched {
  const o = { ...spec.options } as Record<string, unknown>;
  const S = optim.lrScheduler;
  switch (spec.type) {
    case "StepLR":
      return new S.StepLR(opt, o as unknown as optim.lrScheduler.StepLROptions);
    case "MultiStepLR":
      return new S.MultiStepLR(opt, o as unknown as optim.lrScheduler.MultiStepLROptions);
    case "ExponentialLR":
      return new S.ExponentialLR(opt, o as unknown as optim.lrScheduler.ExponentialLROptions);
    case "CosineAnnealingLR":
      return new S.CosineAnnealingLR(
        opt,
        o as unknown as optim.lrScheduler.CosineAnnealingLROptions,
      );
    case "LinearLR":
      return new S.LinearLR(opt, o);
    case "LambdaLR": {
      const l = o.lrLambda as string | string[];
      const lrLambda = Array.isArray(l) ? l.map((k) => LAMBDAS[k]!) : LAMBDAS[l]!;
      return new S.LambdaLR(opt, { lrLambda });
    }
    case "OneCycleLR":
      return new S.OneCycleLR(opt, o as unknown as optim.lrScheduler.OneCycleLROptions);
    case "ReduceLROnPlateau":
      return new S.ReduceLROnPlateau(opt, o);
    case "SequentialLR": {
      const schedulers = spec.schedulers!.map(
        (s) => build(opt, s) as optim.lrScheduler.LRScheduler,
      );
      return new S.SequentialLR(opt, { schedulers, milestones: o.milestones as number[] });
    }
  }
  throw new Error(`unknown scheduler ${spec.type}`);
}

function stepAll(scheds: AnySched[], epoch: number): void {
  for (const s of scheds) {
    if (s instanceof optim.lrScheduler.ReduceLROnPlateau) s.step(fx.metrics[epoch]!);
    else s.step();
  }
}

function momentumOf(opt: optim.Optimizer): number[] {
  return opt.paramGroups.map((g) => (g.betas ? (g.betas as number[])[0]! : (g.momentum as number)));
}

/** Equal up to the last bits of a float64 (Math.cos and C's cos may differ by an ulp). */
function assertLrs(got: readonly number[], want: readonly number[], what: string): void {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    const w = want[i]!;
    assert.ok(
      Math.abs(g - w) <= 1e-12 * Math.max(1, Math.abs(w)),
      `${what}: group ${i}: got ${g}, want ${w}`,
    );
  });
}

function name(c: SchedCase): string {
  const one = (s: SchedSpec): string =>
    `${s.type}(${JSON.stringify(s.options)}${s.schedulers ? `, [${s.schedulers.map(one).join(", ")}]` : ""})`;
  return `${c.optimizer} + ${c.sched.map(one).join(" + ")}`;
}

/** PyTorch's JSON: inf as a string, dict keys as strings. */
function normalize(v: unknown): unknown {
  if (v === "inf") return Number.POSITIVE_INFINITY;
  if (v === "-inf") return Number.NEGATIVE_INFINITY;
  return v;
}

describe(`scheduler lr sequences equal PyTorch ${fx.torch_version}`, () => {
  for (const c of fx.cases) {
    test(name(c), () => {
      const opt = makeOptimizer(c.optimizer);
      const scheds = c.sched.map((s) => build(opt, s));
      for (let epoch = 0; epoch < fx.epochs; epoch++) {
        assertLrs(
          opt.paramGroups.map((g) => g.lr),
          c.lrs[epoch]!,
          `lr at epoch ${epoch}`,
        );
        assertLrs(momentumOf(opt), c.momenta[epoch]!, `momentum at epoch ${epoch}`);
        opt.step();
        stepAll(scheds, epoch);
      }
      scheds.forEach((s, i) => {
        assertLrs(s.getLastLr(), c.lastLr[i]!, "getLastLr()");
        // Every key Kiln saves under PyTorch's name holds PyTorch's value.
        const sd = s.stateDict();
        for (const [k, v] of Object.entries(c.stateDicts[i]!)) {
          assert.ok(k in sd, `state dict key ${k} missing`);
          const got = sd[k];
          if (typeof v === "number") assertLrs([got as number], [v], k);
          else if (k === "base_lrs" || k === "_last_lr" || k === "min_lrs")
            assertLrs(got as number[], v as number[], k);
          else assert.deepEqual(got, normalize(v), k);
        }
      });
    });
  }
});

describe("scheduler state dicts resume exactly", () => {
  const RESUME = 12;
  for (const c of fx.cases) {
    test(name(c), () => {
      const opt = makeOptimizer(c.optimizer);
      const scheds = c.sched.map((s) => build(opt, s));
      for (let epoch = 0; epoch < RESUME; epoch++) {
        opt.step();
        stepAll(scheds, epoch);
      }
      const optSd = opt.stateDict();
      const schedSds = scheds.map((s) => structuredClone(s.stateDict()));
      const opt2 = makeOptimizer(c.optimizer);
      const scheds2 = c.sched.map((s) => build(opt2, s));
      opt2.loadStateDict(optSd);
      scheds2.forEach((s, i) => {
        s.loadStateDict(schedSds[i]!);
      });
      for (let epoch = RESUME; epoch < fx.epochs; epoch++) {
        assert.deepEqual(
          opt2.paramGroups.map((g) => g.lr),
          c.lrs[epoch]!.map((_, i) => opt.paramGroups[i]!.lr),
        );
        assertLrs(
          opt2.paramGroups.map((g) => g.lr),
          c.lrs[epoch]!,
          `resumed lr at epoch ${epoch}`,
        );
        for (const o of [opt, opt2]) o.step();
        stepAll(scheds, epoch);
        stepAll(scheds2, epoch);
      }
    });
  }
});

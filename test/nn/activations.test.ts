// The activation functions and layers of issue 18 (item 4) against PyTorch 1.13
// (tools/golden/activations.py): forward, input and weight gradients at every kink, grad_fn
// names, reprs; in-place semantics (same object, version bump, PyTorch's autograd errors);
// float64 finite-difference gradchecks; RReLU's random slopes; argument parsing and errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AutogradError,
  Generator,
  IndexError,
  manualSeed,
  nn,
  noGrad,
  rand,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

const F = nn.functional;

interface FuncCase {
  input: Enc;
  gy: Enc;
  output: Enc;
  grad: Enc;
  gradFn: string;
}
interface InplaceCase {
  base: string;
  gradFn: string;
  savesResult: boolean;
}
interface ModuleCase {
  repr: string;
  mode: "train" | "eval";
  input: Enc;
  gy: Enc;
  output: Enc;
  grad: Enc;
  grads: Record<string, Enc>;
  state: Record<string, Enc>;
}
interface PreluCase extends FuncCase {
  weight: Enc;
  gradWeight: Enc;
}
const golden = loadGolden<{
  torch: string;
  funcs: Record<string, FuncCase>;
  inplace: Record<string, InplaceCase>;
  modules: Record<string, ModuleCase>;
  reprs: Record<string, string>;
  prelu: Record<string, PreluCase>;
}>("activations.json");

type Fn = (x: Tensor) => Tensor;

// The same calls as FUNCS in tools/golden/activations.py, in Kiln's spelling.
const funcs: Record<string, Fn> = {
  relu: (x) => F.relu(x),
  relu6: (x) => F.relu6(x),
  leakyRelu: (x) => F.leakyRelu(x),
  "leakyRelu_0.2": (x) => F.leakyRelu(x, 0.2),
  elu: (x) => F.elu(x),
  "elu_0.5": (x) => F.elu(x, { alpha: 0.5 }),
  celu: (x) => F.celu(x),
  celu_2: (x) => F.celu(x, 2),
  selu: (x) => F.selu(x),
  "threshold_0.1_20": (x) => F.threshold(x, 0.1, 20),
  "threshold_1_-2": (x) => F.threshold(x, 1, -2),
  hardtanh: (x) => F.hardtanh(x),
  "hardtanh_-2.5_3": (x) => F.hardtanh(x, { minVal: -2.5, maxVal: 3 }),
  rrelu_eval: (x) => F.rrelu(x),
  "rrelu_eval_0.1_0.3": (x) => F.rrelu(x, 0.1, 0.3, false),
  hardswish: (x) => F.hardswish(x),
  hardsigmoid: (x) => F.hardsigmoid(x),
  silu: (x) => F.silu(x),
  mish: (x) => F.mish(x),
  gelu: (x) => F.gelu(x),
  gelu_tanh: (x) => F.gelu(x, { approximate: "tanh" }),
  logsigmoid: (x) => F.logsigmoid(x),
  softsign: (x) => F.softsign(x),
  tanhshrink: (x) => F.tanhshrink(x),
  softshrink: (x) => F.softshrink(x),
  softshrink_1: (x) => F.softshrink(x, { lambd: 1 }),
  hardshrink: (x) => F.hardshrink(x),
  "hardshrink_0.25": (x) => F.hardshrink(x, 0.25),
  softplus: (x) => F.softplus(x),
  softmin_1: (x) => F.softmin(x, 1),
  softmin_0: (x) => F.softmin(x, { dim: 0 }),
  softmin_none_3d: (x) => F.softmin(x),
  glu: (x) => F.glu(x),
  glu_0: (x) => F.glu(x, 0),
  glu_2_4d: (x) => F.glu(x, { dim: 2 }),
};

// INPLACE in the generator: each must reproduce its base case's values and gradients.
const inplaceFns: Record<string, Fn> = {
  relu: (x) => F.relu(x, true),
  relu6: (x) => F.relu6(x, { inplace: true }),
  leakyRelu: (x) => F.leakyRelu(x, 0.2, true),
  elu: (x) => F.elu(x, 0.5, true),
  celu: (x) => F.celu(x, { alpha: 2, inplace: true }),
  selu: (x) => F.selu(x, true),
  threshold: (x) => F.threshold(x, 1, -2, true),
  hardtanh: (x) => F.hardtanh(x, -2.5, 3, true),
  rrelu: (x) => F.rrelu(x, { inplace: true }),
  hardswish: (x) => F.hardswish(x, true),
  hardsigmoid: (x) => F.hardsigmoid(x, true),
  silu: (x) => F.silu(x, true),
  mish: (x) => F.mish(x, { inplace: true }),
};

// PyTorch's F.xxx_ functions: same values as the inplace option.
const underscoreFns: Record<string, Fn> = {
  relu: (x) => F.relu_(x),
  leakyRelu: (x) => F.leakyRelu_(x, 0.2),
  elu: (x) => F.elu_(x, 0.5),
  celu: (x) => F.celu_(x, { alpha: 2 }),
  selu: (x) => F.selu_(x),
  threshold: (x) => F.threshold_(x, 1, -2),
  hardtanh: (x) => F.hardtanh_(x, -2.5, 3),
  rrelu: (x) => F.rrelu_(x),
};

// MODULES in the generator.
const modules: Record<string, () => nn.Module> = {
  PReLU: () => new nn.PReLU(),
  "PReLU_3_0.1": () => new nn.PReLU(3, 0.1),
  PReLU_3_4d: () => new nn.PReLU({ numParameters: 3, init: -0.3 }),
  RReLU_eval: () => new nn.RReLU(),
  "RReLU_0.1_0.3_eval": () => new nn.RReLU(0.1, 0.3),
  SELU: () => new nn.SELU(),
  "CELU_1.5": () => new nn.CELU(1.5),
  Mish: () => new nn.Mish(),
  Hardswish: () => new nn.Hardswish(),
  Hardsigmoid: () => new nn.Hardsigmoid(),
  LogSigmoid: () => new nn.LogSigmoid(),
  Softsign: () => new nn.Softsign(),
  Softmin_1: () => new nn.Softmin(1),
  Tanhshrink: () => new nn.Tanhshrink(),
  Softshrink: () => new nn.Softshrink(),
  Hardshrink_1: () => new nn.Hardshrink({ lambd: 1 }),
  "Threshold_0.1_20": () => new nn.Threshold(0.1, 20),
  GLU: () => new nn.GLU(),
  GLU_2_4d: () => new nn.GLU(2),
  Softmax2d_4d: () => new nn.Softmax2d(),
  Softmax2d_3d: () => new nn.Softmax2d(),
  ReLU6: () => new nn.ReLU6(),
  ReLU6_inplace: () => new nn.ReLU6(true),
};

// REPRS in the generator (the key is the Python construction).
const reprs: Record<string, () => nn.Module> = {
  "PReLU()": () => new nn.PReLU(),
  "PReLU(3, 0.1)": () => new nn.PReLU(3, 0.1),
  "RReLU()": () => new nn.RReLU(),
  "RReLU(0.1, 0.3, True)": () => new nn.RReLU(0.1, 0.3, true),
  "SELU()": () => new nn.SELU(),
  "SELU(True)": () => new nn.SELU(true),
  "CELU()": () => new nn.CELU(),
  "CELU(2.5, True)": () => new nn.CELU(2.5, true),
  "Mish()": () => new nn.Mish(),
  "Mish(True)": () => new nn.Mish(true),
  "Hardswish()": () => new nn.Hardswish(),
  "Hardswish(True)": () => new nn.Hardswish(true),
  "Hardsigmoid()": () => new nn.Hardsigmoid(),
  "Hardsigmoid(True)": () => new nn.Hardsigmoid({ inplace: true }),
  "LogSigmoid()": () => new nn.LogSigmoid(),
  "Softsign()": () => new nn.Softsign(),
  "Tanhshrink()": () => new nn.Tanhshrink(),
  "Softmin()": () => new nn.Softmin(),
  "Softmin(1)": () => new nn.Softmin(1),
  "Softshrink()": () => new nn.Softshrink(),
  "Softshrink(1)": () => new nn.Softshrink(1),
  "Hardshrink(0.25)": () => new nn.Hardshrink(0.25),
  "Threshold(0.1, 20)": () => new nn.Threshold(0.1, 20),
  "Threshold(1, 2, True)": () => new nn.Threshold(1, 2, { inplace: true }),
  "GLU()": () => new nn.GLU(),
  "GLU(1)": () => new nn.GLU({ dim: 1 }),
  "Softmax2d()": () => new nn.Softmax2d(),
  "ReLU6()": () => new nn.ReLU6(),
  "ReLU6(True)": () => new nn.ReLU6(true),
  "ReLU(True)": () => new nn.ReLU(true),
  "SiLU(True)": () => new nn.SiLU(true),
  "ELU(inplace=True)": () => new nn.ELU({ inplace: true }),
  "LeakyReLU(0.2, True)": () => new nn.LeakyReLU(0.2, true),
  "Hardtanh(inplace=True)": () => new nn.Hardtanh({ inplace: true }),
  "Sequential(PReLU(2), RReLU(), ReLU6())": () =>
    new nn.Sequential(new nn.PReLU(2), new nn.RReLU(), new nn.ReLU6()),
};

/** Runs `fn` on a copy of the case's input and backpropagates its upstream gradient. */
function run(c: { input: Enc; gy: Enc }, fn: Fn): { out: Tensor; x: Tensor } {
  const x = dec(c.input).requiresGrad_(true);
  const out = fn(x);
  out.mul(dec(c.gy)).sum().backward();
  return { out, x };
}

describe("activation functions vs PyTorch (forward, gradient at the kinks, grad_fn)", () => {
  it("covers every case of the fixture", () => {
    assert.equal(golden.torch.slice(0, 4), "1.13");
    assert.deepEqual(Object.keys(funcs).sort(), Object.keys(golden.funcs).sort());
  });
  for (const [name, c] of Object.entries(golden.funcs)) {
    it(name, () => {
      const { out, x } = run(c, funcs[name]!);
      assertClose(out, c.output, `${name} output`);
      assertClose(x.grad!, c.grad, `${name} grad`);
      assert.equal(out.gradFn?.name, c.gradFn);
    });
  }
  for (const [name, c] of Object.entries(golden.prelu)) {
    it(`prelu (${name}): input and weight gradients`, () => {
      const x = dec(c.input).requiresGrad_(true);
      const w = dec(c.weight).requiresGrad_(true);
      const out = F.prelu(x, w);
      out.mul(dec(c.gy)).sum().backward();
      assertClose(out, c.output, "prelu output");
      assertClose(x.grad!, c.grad, "prelu grad");
      assertClose(w.grad!, c.gradWeight, "prelu weight grad");
      assert.equal(out.gradFn?.name, c.gradFn);
    });
  }
});

describe("in-place activations (PyTorch's relu_/elu_/... semantics)", () => {
  it("covers every in-place case of the fixture", () => {
    assert.deepEqual(Object.keys(inplaceFns).sort(), Object.keys(golden.inplace).sort());
  });
  for (const [name, c] of Object.entries(golden.inplace)) {
    const base = golden.funcs[c.base]!;
    it(`${name}: returns its input, bumps the version, keeps PyTorch's values and gradients`, () => {
      for (const fn of [inplaceFns[name]!, underscoreFns[name]].filter((f) => f !== undefined)) {
        const leaf = dec(base.input).requiresGrad_(true);
        const x = leaf.mul(1);
        const before = x.version;
        const y = fn(x);
        assert.equal(y, x, "the result is the input tensor");
        assert.equal(x.version, before + 1);
        assert.equal(y.gradFn?.name, c.gradFn);
        y.mul(dec(base.gy)).sum().backward();
        assertClose(y, base.output, `${name} in place`);
        assertClose(leaf.grad!, base.grad, `${name} in place grad`);
      }
    });
    it(`${name}: a later in-place write to the result breaks backward iff PyTorch's does (${c.savesResult})`, () => {
      const leaf = dec(base.input).requiresGrad_(true);
      const y = inplaceFns[name]!(leaf.mul(1));
      y.mul_(2);
      if (c.savesResult)
        assert.throws(() => y.sum().backward(), /modified by an inplace operation/);
      else y.sum().backward();
    });
    it(`${name}: overwriting a tensor saved for backward (a sigmoid's output) breaks backward`, () => {
      const leaf = dec(base.input).requiresGrad_(true);
      const s = leaf.sigmoid();
      inplaceFns[name]!(s);
      assert.throws(
        () => s.sum().backward(),
        (e: unknown) => {
          assert.ok(e instanceof AutogradError);
          assert.match(e.message, /SigmoidBackward0: .*modified by an inplace operation/);
          return true;
        },
      );
    });
    it(`${name}: refuses a leaf that requires grad, runs on one that does not`, () => {
      const leaf = dec(base.input).requiresGrad_(true);
      assert.throws(() => inplaceFns[name]!(leaf), /a leaf Variable that requires grad/);
      const plain = dec(base.input);
      assert.equal(inplaceFns[name]!(plain), plain);
      assertClose(plain, base.output, `${name} on a plain tensor`);
      const n = dec(base.input).requiresGrad_(true);
      const r = noGrad(() => inplaceFns[name]!(n));
      assert.equal(r, n);
      assertClose(n.detach(), base.output, `${name} under noGrad`);
    });
  }
  it("in-place modules write into their input (ReLU, ELU, SELU, CELU, Threshold, RReLU, Mish, ...)", () => {
    const layers = [
      new nn.ReLU(true),
      new nn.LeakyReLU(0.1, true),
      new nn.ELU(1, true),
      new nn.SELU(true),
      new nn.CELU(1, true),
      new nn.Hardtanh(-1, 1, true),
      new nn.ReLU6(true),
      new nn.Threshold(0.1, 20, true),
      new nn.RReLU(0.1, 0.3, true),
      new nn.Hardswish(true),
      new nn.Hardsigmoid(true),
      new nn.SiLU(true),
      new nn.Mish(true),
    ];
    for (const m of layers) {
      const x = randn(3, 4);
      const want = m.constructor.name === "RReLU" ? null : noGrad(() => m.forward(x.clone()));
      const y = m.call(x);
      assert.equal(y, x, `${m.constructor.name} returns its input`);
      if (want !== null) assertClose(y, want, m.constructor.name, 0, 0);
    }
  });
  it("in-place elu/celu/leakyRelu/rrelu with a negative slope: backward refuses, as PyTorch", () => {
    const cases: Fn[] = [
      (x) => F.leakyRelu(x, -0.5, true),
      (x) => F.elu(x, -0.5, true),
      (x) => F.celu(x, -0.5, true),
      (x) => F.rrelu(x, -0.4, -0.2, false, true),
    ];
    for (const fn of cases) {
      const leaf = randn([4], { requiresGrad: true });
      const y = fn(leaf.mul(1));
      assert.throws(
        () => y.sum().backward(),
        /In-place .* backward calculation is triggered with a negative slope/,
      );
      const leaf2 = randn([4], { requiresGrad: true });
      fn(leaf2.mul(1).detach());
    }
  });
});

describe("activation layers vs PyTorch (repr, forward, gradients)", () => {
  it("covers every module case of the fixture", () => {
    assert.deepEqual(Object.keys(modules).sort(), Object.keys(golden.modules).sort());
    assert.deepEqual(Object.keys(reprs).sort(), Object.keys(golden.reprs).sort());
  });
  for (const [name, c] of Object.entries(golden.modules)) {
    it(name, () => {
      const m = modules[name]!();
      m.train(c.mode === "train");
      assert.equal(m.toString(), c.repr);
      const sd = m.stateDict();
      assert.deepEqual(Object.keys(sd), Object.keys(c.state));
      for (const [k, v] of Object.entries(decState(c.state)))
        assertClose(sd[k]!, v, `${name} ${k}`);
      const { out, x } = run(c, (t) => m.call(t.mul(1)));
      assertClose(out, c.output, `${name} output`);
      assertClose(x.grad!, c.grad, `${name} grad`);
      const params = Object.fromEntries(m.namedParameters());
      assert.deepEqual(Object.keys(params), Object.keys(c.grads));
      for (const [k, g] of Object.entries(c.grads))
        assertClose(params[k]!.grad!, g, `${name} ${k} grad`);
    });
  }
  it("reprs", () => {
    for (const [py, make] of Object.entries(reprs))
      assert.equal(make().toString(), golden.reprs[py], py);
  });
  it("PReLU: a Parameter `weight` [numParameters] filled with init; dtype float64 on request", () => {
    const m = new nn.PReLU(4, 0.5, { dtype: "float64" });
    assert.ok(m.weight instanceof nn.Parameter);
    assert.deepEqual(m.weight.shape, [4]);
    assert.equal(m.weight.dtype, "float64");
    assert.deepEqual(m.weight.toArray(), [0.5, 0.5, 0.5, 0.5]);
    assert.deepEqual(
      m.namedParameters().map(([k]) => k),
      ["weight"],
    );
  });
  it("ReLU6 is a Hardtanh(0, 6), as in PyTorch", () => {
    const m = new nn.ReLU6();
    assert.ok(m instanceof nn.Hardtanh);
    assert.equal(m.minVal, 0);
    assert.equal(m.maxVal, 6);
  });
});

describe("RReLU in training: random slopes from Kiln's RNG", () => {
  const lower = 0.1;
  const upper = 0.3;
  it("each x <= 0 gets its own slope in [lower, upper), x > 0 passes; the gradient is the slope", () => {
    manualSeed(3);
    const xs = randn(2000).mul(2);
    const x = xs.clone().requiresGrad_(true);
    const y = F.rrelu(x, lower, upper, true);
    assert.equal(y.gradFn?.name, "RreluWithNoiseBackward0");
    y.sum().backward();
    const xv = xs.dataSync();
    const yv = y.dataSync();
    const gv = x.grad!.dataSync();
    const slopes = new Set<number>();
    for (let i = 0; i < xv.length; i++) {
      const xi = xv[i]!;
      if (xi > 0) {
        assert.equal(yv[i], xi);
        assert.equal(gv[i], 1);
      } else {
        const r = gv[i]!;
        assert.ok(r >= lower - 1e-7 && r < upper + 1e-7, `slope ${r}`);
        assert.ok(Math.abs(yv[i]! - xi * r) <= 1e-6);
        slopes.add(r);
      }
    }
    // ~1000 negative inputs: the slopes are drawn independently, and spread over the interval.
    assert.ok(slopes.size > 900);
    const mean = [...slopes].reduce((s, r) => s + r, 0) / slopes.size;
    assert.ok(Math.abs(mean - (lower + upper) / 2) < 0.01, `mean slope ${mean}`);
  });
  it("the module draws in train mode, uses (lower + upper)/2 in eval; a generator reproduces draws", () => {
    const x = tensor([-1, -2, 3, -4], { dtype: "float32" });
    const m = new nn.RReLU(lower, upper, { generator: new Generator().manualSeed(7) });
    const a = m.call(x).toArray();
    const m2 = new nn.RReLU(lower, upper, { generator: new Generator().manualSeed(7) });
    assert.deepEqual(m2.call(x).toArray(), a);
    assert.notDeepEqual(m.call(x).toArray(), a);
    m.eval();
    assertClose(m.call(x), tensor([-0.2, -0.4, 3, -0.8]), "eval", 1e-6, 1e-7);
    const g1 = new Generator().manualSeed(5);
    const g2 = new Generator().manualSeed(5);
    const r1 = F.rrelu(x, lower, upper, true, { generator: g1 });
    assert.deepEqual(
      F.rrelu(x, { lower, upper, training: true, generator: g2 }).toArray(),
      r1.toArray(),
    );
  });
  it("in place in training: the result is the input and backward gives the slopes", () => {
    manualSeed(4);
    const leaf = tensor([-1, 2, -3], { dtype: "float32", requiresGrad: true });
    const x = leaf.mul(1);
    const y = F.rrelu(x, lower, upper, true, true);
    assert.equal(y, x);
    assert.equal(y.gradFn?.name, "RreluWithNoiseBackward1");
    y.sum().backward();
    const yv = y.dataSync();
    const g = leaf.grad!.dataSync();
    assert.equal(g[1], 1);
    assert.ok(Math.abs(yv[0]! - -1 * g[0]!) < 1e-6 && Math.abs(yv[2]! - -3 * g[2]!) < 1e-6);
  });
});

describe("float64 gradchecks (finite differences, away from the kinks)", () => {
  // Values in [−2.45, −1.55] ∪ [−0.95, −0.05] ∪ [0.55, 1.45]: at least 0.05 from the kinks 0,
  // ±0.5, ±1, −2.5, ±3, 6 and the thresholds 0.1 and 1 (hardshrink_0.25's −0.25 lies inside, but
  // a draw lands within the 1e-6 step of it with probability ~1e-5).
  function input(shape: number[]): Tensor {
    manualSeed(11);
    const u = rand(shape, { dtype: "float64" });
    return noGrad(() =>
      u
        .mul(0.4)
        .add(0.05)
        .mul(randn(shape, { dtype: "float64" }).sign()),
    )
      .add(noGrad(() => rand(shape, { dtype: "float64" }).mul(3).floor().mul(1.5)))
      .sub(2)
      .detach();
  }
  const cases: Record<string, Fn> = {
    ...funcs,
    rrelu_train: (x) => {
      manualSeed(1);
      return F.rrelu(x, 0.1, 0.3, true);
    },
    prelu: (x) => F.prelu(x, tensor([0.3], { dtype: "float64" })),
  };
  for (const [name, fn] of Object.entries(cases)) {
    it(name, () => {
      const shape = name.endsWith("4d") ? [2, 2, 2, 2] : name.endsWith("3d") ? [2, 3, 4] : [4, 4];
      const x = input(shape).requiresGrad_(true);
      const w = noGrad(() => randn(fn(x).shape, { dtype: "float64" }));
      assert.deepEqual(
        gradcheck(() => fn(x), [x], [w]),
        [],
      );
    });
  }
  it("prelu: per-channel weight gradient", () => {
    const x = input([2, 3, 2]).requiresGrad_(true);
    const wt = tensor([0.1, -0.2, 0.3], { dtype: "float64", requiresGrad: true });
    const g = noGrad(() => randn([2, 3, 2], { dtype: "float64" }));
    assert.deepEqual(
      gradcheck(() => F.prelu(x, wt), [x, wt], [g]),
      [],
    );
  });
});

describe("activation arguments and errors", () => {
  it("positional and options forms agree; unknown options and extra arguments throw", () => {
    const x = randn(4, 6);
    assertClose(F.rrelu(x, 0.1, 0.3), F.rrelu(x, { lower: 0.1, upper: 0.3 }), "rrelu", 0, 0);
    assertClose(F.celu(x, 2), F.celu(x, { alpha: 2 }), "celu", 0, 0);
    assertClose(F.softmin(x, 1), F.softmin(x, { dim: 1 }), "softmin", 0, 0);
    assertClose(
      F.softmin(x, 1, { dtype: "float64" }),
      F.softmin(x.double(), 1),
      "softmin dtype",
      0,
      0,
    );
    assert.throws(() => F.selu(x, { alpha: 1 } as never), ValueError);
    assert.throws(() => F.glu(x, 1, 2 as never), ValueError);
    assert.throws(() => new nn.PReLU(1, 0.25, 3 as never), ValueError);
    // @ts-expect-error: Softsign takes no arguments
    assert.throws(() => new nn.Softsign(1), ValueError);
    assert.throws(() => new nn.Threshold(0.1, "a" as never), ValueError);
    assert.throws(() => new nn.Mish({ inplce: true } as never), /inplce/);
  });
  it("bad values throw typed errors naming the op, as PyTorch refuses them", () => {
    const x = randn(2, 3);
    assert.throws(() => F.softshrink(x, -1), /softshrink: lambda must be greater or equal to 0/);
    assert.throws(
      () => F.glu(x),
      (e: unknown) => e instanceof ShapeError && /dimension 1 is size 3/.test(e.message),
    );
    assert.throws(() => F.glu(tensor(1)), /glu does not support scalars/);
    assert.throws(() => F.glu(x, 2), IndexError);
    assert.throws(
      () => F.prelu(x, tensor([0.1, 0.2])),
      /Found parameter numbers = 2 and channel size = 3/,
    );
    assert.throws(() => F.prelu(x, tensor([[0.1]])), /scalar or 1D tensor, but got ndim = 2/);
    assert.throws(() => F.prelu(tensor(2), tensor([0.1, 0.2])), /zero-dim/);
    assert.throws(
      () => new nn.Softmax2d().call(x),
      (e: unknown) => e instanceof ShapeError && /3D or 4D/.test(e.message),
    );
    assert.throws(
      () => F.rrelu(x, 0.5, 0.2),
      /Lower bound should be less than or equal to the upper bound/,
    );
    assert.throws(() => F.celu(x, 0), /alpha cannot be 0/);
    assert.throws(() => new nn.Hardtanh(1, 1), ValueError);
    assert.throws(() => new nn.PReLU(2).call(randn(2, 3)), ShapeError);
    // A one-slope PReLU takes any shape, a 0-d input included (PyTorch: prelu(tensor(-2.), w) works).
    assertClose(F.prelu(tensor(-2), tensor([0.25])), tensor(-0.5), "0-d prelu", 0, 0);
  });
});

// F.pad in every mode and the padding layers against PyTorch 1.13 (tools/golden/resample.py):
// forward, input gradient, repr; float64 finite-difference gradchecks; PyTorch's errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, ShapeError, type Tensor, tensor, ValueError } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";
import { checkModuleCase, type ModuleCase } from "./helpers-more.ts";

const F = nn.functional;

interface FCase {
  name: string;
  inputs: Record<string, Enc>;
  output: Enc;
  gy?: Enc;
  grads?: Record<string, Enc>;
}
interface Golden {
  padding: FCase[];
  padding_modules: ModuleCase[];
}
const G = loadGolden<Golden>("resample.json");

/** Runs `fn` on the fixture's inputs (with grad), compares output and every input gradient. */
function checkF(c: FCase, fn: (xs: Record<string, Tensor>) => Tensor): void {
  const xs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) xs[k] = dec(v).requiresGrad_(true);
  const y = fn(xs);
  assertClose(y, c.output, `${c.name} output`);
  if (c.gy === undefined) return;
  y.mul(dec(c.gy)).sum().backward();
  for (const [k, g] of Object.entries(c.grads ?? {})) {
    const got = xs[k]!.grad;
    assert.ok(got !== null, `${c.name}: no gradient for ${k}`);
    assertClose(got, g, `${c.name} grad ${k}`);
  }
}

type Mode = "constant" | "reflect" | "replicate" | "circular";
const MODES: Mode[] = ["constant", "reflect", "replicate", "circular"];

// The same calls as tools/golden/resample.py, in Kiln's spelling.
const fns: Record<string, (x: Tensor) => Tensor> = {};
for (const m of MODES) {
  fns[`pad1d_${m}`] = (x) => F.pad(x, [2, 1], m);
  fns[`pad2d_${m}`] = (x) => F.pad(x, [1, 2, 2, 0], { mode: m });
  fns[`pad3d_${m}`] = (x) => F.pad(x, [1, 0, 0, 2, 1, 1], m);
  fns[`pad2d_neg_${m}`] = (x) => F.pad(x, [-1, 2, 1, -2], m);
}
for (const m of ["reflect", "replicate"] as const) {
  fns[`pad1d_unbatched_${m}`] = (x) => F.pad(x, [3, 2], m);
  fns[`pad2d_unbatched_${m}`] = (x) => F.pad(x, [2, 2, 1, 3], m);
  fns[`pad3d_unbatched_${m}`] = (x) => F.pad(x, [1, 2, 2, 1, 0, 1], m);
}
fns.pad_constant_value_4dims = (x) => F.pad(x, [1, 1, 0, 2, 1, 0, 2, 1], "constant", -1.5);

const modules: Record<string, () => nn.Module> = {
  ZeroPad2d: () => new nn.ZeroPad2d([1, 2, 0, 3]),
  ConstantPad1d: () => new nn.ConstantPad1d(2, 3.5),
  ConstantPad2d: () => new nn.ConstantPad2d([1, 0, 2, -1], -1.0),
  ConstantPad3d: () => new nn.ConstantPad3d(1, 0.5),
  ReflectionPad1d: () => new nn.ReflectionPad1d([3, 1]),
  ReflectionPad2d: () => new nn.ReflectionPad2d(2),
  ReflectionPad3d: () => new nn.ReflectionPad3d([1, 2, 0, 1, 2, 1]),
  ReplicationPad1d: () => new nn.ReplicationPad1d(3),
  ReplicationPad2d: () => new nn.ReplicationPad2d([3, 0, 1, 2]),
  ReplicationPad3d: () => new nn.ReplicationPad3d(1),
};

describe("F.pad against PyTorch", () => {
  for (const c of G.padding) {
    it(c.name, () => {
      const fn = fns[c.name];
      assert.ok(fn !== undefined, `no Kiln call for fixture ${c.name}`);
      checkF(c, (xs) => fn(xs.x!));
    });
  }
});

describe("padding layers against PyTorch", () => {
  for (const c of G.padding_modules) {
    it(c.name, () => {
      checkModuleCase(c, modules[c.name]!());
    });
  }
});

describe("F.pad gradcheck (float64)", () => {
  const cases: [string, (x: Tensor) => Tensor, number[]][] = [];
  for (const m of MODES) {
    cases.push([`${m} 1d`, (x) => F.pad(x, [2, 1], m), [1, 2, 3]]);
    cases.push([`${m} 2d negative`, (x) => F.pad(x, [-1, 2, 2, -1], m), [1, 1, 3, 3]]);
    cases.push([`${m} 3d`, (x) => F.pad(x, [1, 1, 0, 2, 1, 0], m), [1, 1, 2, 3, 2]]);
  }
  for (const [name, f, shape] of cases) {
    it(name, () => {
      const x = randn(shape, { dtype: "float64" }).requiresGrad_(true);
      const w = f(x)
        .detach()
        .mul(0)
        .add(randn(f(x).shape, { dtype: "float64" }));
      assert.deepEqual(
        gradcheck(() => f(x), [x], [w]),
        [],
      );
    });
  }
});

describe("F.pad values and errors", () => {
  it("reflect / replicate / circular with negative pads (hand-derived)", () => {
    const x = tensor([[[0, 1, 2, 3]]]);
    // reflect: out[i] = x[|i − l|] mirrored at 3: positions 2,3,4,5,6 → 2,3,2,1,0
    assert.deepEqual(F.pad(x, [-2, 3], "reflect").toArray(), [[[2, 3, 2, 1, 0]]]);
    assert.deepEqual(F.pad(x, [-1, 2], "replicate").toArray(), [[[1, 2, 3, 3, 3]]]);
    // circular crops first ([1, 2, 3]), then wraps within it, as PyTorch 1.13 does
    assert.deepEqual(F.pad(x, [-1, 3], "circular").toArray(), [[[1, 2, 3, 1, 2, 3]]]);
    assert.deepEqual(F.pad(tensor([1, 2, 3]), [-3, 0]).toArray(), []);
  });

  it("throws PyTorch's errors", () => {
    const x = randn(1, 2, 3);
    assert.throws(
      () => F.pad(x, [3, 0], "reflect"),
      /should be less than the corresponding input dimension/,
    );
    assert.throws(() => F.pad(x, [1], "reflect"), /divisible by 2/);
    assert.throws(() => F.pad(randn(3), [1, 2, 3, 4]), /Padding length too large/);
    assert.throws(() => F.pad(x, [1, 1], "reflect", 2), /doesn't take in value argument/);
    assert.throws(() => F.pad(x, [1, 1], "foo" as never), /argument "mode" must be one of/);
    assert.throws(
      () => F.pad(randn(1, 1, 1, 2, 2), [1, 1, 1, 1], "reflect"),
      /Only 2D, 3D, 4D, 5D padding/,
    );
    assert.throws(() => F.pad(randn(1, 2, 2), [1, 1, 1, 1], "circular"), /expected 2 but got 4/);
    assert.throws(() => F.pad(x, [4, 0], "circular"), /wrapping around more than once/);
    assert.throws(() => F.pad(x, [-3, -1], "circular"), /resulting in an empty dimension/);
    assert.throws(() => F.pad(x, [-2, -2], "replicate"), /too small. Calculated output W: -1/);
    assert.throws(() => F.pad(x, [-2, -2]), ShapeError);
    assert.throws(() => F.pad(randn(1, 2, 0, 3), [1, 1, 1, 1], "replicate"), /non-zero dimensions/);
    assert.throws(() => F.pad(x, [3, 0], "reflect"), ValueError);
    assert.deepEqual(F.pad(randn(0, 2, 2, 3), [1, 1, 1, 1], "reflect").shape, [0, 2, 4, 5]);
  });

  it("layers reject bad arguments", () => {
    assert.throws(() => new nn.ReflectionPad2d([1, 2] as never), /argument "padding"/);
    assert.throws(
      () => new (nn.ZeroPad2d as never as new (...a: unknown[]) => nn.Module)(1, 2),
      /takes 1 argument/,
    );
    assert.throws(
      () => new (nn.ConstantPad1d as never as new (...a: unknown[]) => nn.Module)(1),
      /missing required argument "value"/,
    );
  });
});

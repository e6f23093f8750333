// F.affineGrid and F.gridSample against PyTorch 1.13 (tools/golden/resample.py → grid.json):
// every mode × padding mode × alignCorners, 4-D and 5-D, output and gradients with respect to
// input, grid and theta; float64 gradchecks; PyTorch's errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, rand, randn, type Tensor, tensor, zeros } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";

const F = nn.functional;

interface FCase {
  name: string;
  inputs: Record<string, Enc>;
  output: Enc;
  gy: Enc;
  grads: Record<string, Enc>;
}
const G = loadGolden<{ grid: FCase[] }>("grid.json");

type Mode = "bilinear" | "nearest" | "bicubic";
type Pad = "zeros" | "border" | "reflection";

/** The Kiln call for a fixture name (the same calls as tools/golden/resample.py). */
function fnFor(name: string): (xs: Record<string, Tensor>) => Tensor {
  let m = /^affine_grid(2|3)d_(t|f)$/.exec(name);
  if (m !== null) {
    const size = m[1] === "2" ? [2, 3, 4, 5] : [1, 1, 2, 3, 4];
    const alignCorners = m[2] === "t";
    return ({ theta }) => F.affineGrid(theta!, size, { alignCorners });
  }
  m = /^grid_sample(3d)?_(\w+?)_(\w+)_(t|f)$/.exec(name);
  if (m !== null) {
    const mode = m[2] as Mode;
    const paddingMode = m[3] as Pad;
    const align = m[4] === "t";
    return ({ x, g }) => F.gridSample(x!, g!, mode, paddingMode, align);
  }
  assert.equal(name, "affine_then_sample");
  return ({ x, theta }) =>
    F.gridSample(x!, F.affineGrid(theta!, [2, 2, 3, 3], false), { alignCorners: false });
}

describe("affineGrid / gridSample against PyTorch", () => {
  for (const c of G.grid) {
    it(c.name, () => {
      const xs: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(c.inputs)) xs[k] = dec(v).requiresGrad_(true);
      const y = fnFor(c.name)(xs);
      assertClose(y, c.output, `${c.name} output`);
      y.mul(dec(c.gy)).sum().backward();
      for (const [k, g] of Object.entries(c.grads)) {
        // nearest sampling has no grid gradient: PyTorch returns zeros, Kiln leaves grad null
        const got = xs[k]!.grad ?? zeros(xs[k]!.shape);
        assertClose(got, g, `${c.name} grad ${k}`, 1e-4, 5e-5);
      }
    });
  }
});

describe("gridSample / affineGrid gradcheck (float64)", () => {
  const cases: [string, Mode, Pad, boolean, number[], number[]][] = [
    ["bilinear zeros", "bilinear", "zeros", false, [1, 2, 3, 4], [1, 2, 3, 2]],
    ["bilinear reflection aligned", "bilinear", "reflection", true, [1, 1, 3, 3], [1, 2, 2, 2]],
    ["bilinear border", "bilinear", "border", false, [1, 1, 3, 3], [1, 2, 2, 2]],
    ["bicubic zeros", "bicubic", "zeros", false, [1, 1, 4, 3], [1, 2, 2, 2]],
    ["bicubic reflection", "bicubic", "reflection", true, [1, 1, 3, 4], [1, 2, 2, 2]],
    ["trilinear border", "bilinear", "border", true, [1, 1, 2, 3, 2], [1, 2, 1, 2, 3]],
  ];
  for (const [name, mode, pad, align, xs, gs] of cases) {
    it(name, () => {
      const x = randn(xs, { dtype: "float64" }).requiresGrad_(true);
      // positions in ±1.2 keep away from the kinks of floor/clamp only with probability 1
      const g = rand(gs, { dtype: "float64" }).mul(2.4).sub(1.2).requiresGrad_(true);
      const f = () => F.gridSample(x, g, { mode, paddingMode: pad, alignCorners: align });
      const w = randn(f().shape, { dtype: "float64" });
      assert.deepEqual(gradcheck(f, [x, g], [w], { eps: 1e-7 }), []);
    });
  }
  it("nearest: gradient with respect to the input", () => {
    const x = randn([1, 2, 3, 3], { dtype: "float64" }).requiresGrad_(true);
    const g = rand([1, 2, 2, 2], { dtype: "float64" }).mul(2).sub(1);
    const f = () => F.gridSample(x, g, { mode: "nearest" });
    assert.deepEqual(gradcheck(f, [x], [randn(f().shape, { dtype: "float64" })]), []);
  });
  it("affineGrid", () => {
    const t = randn([2, 2, 3], { dtype: "float64" }).requiresGrad_(true);
    const f = () => F.affineGrid(t, [2, 1, 3, 4], { alignCorners: true });
    assert.deepEqual(gradcheck(f, [t], [randn(f().shape, { dtype: "float64" })]), []);
  });
});

describe("gridSample / affineGrid values and errors", () => {
  it("the identity transform samples the input back (alignCorners true)", () => {
    const x = randn([1, 2, 3, 4]);
    const theta = tensor(
      [
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
      ],
      { dtype: "float32" },
    );
    const y = F.gridSample(x, F.affineGrid(theta, [1, 2, 3, 4], true), "bilinear", "zeros", true);
    assertClose(y, x, "identity", 1e-5, 1e-5);
  });

  it("throws PyTorch's errors", () => {
    const x = randn(1, 2, 3, 3);
    assert.throws(
      () => F.gridSample(x, randn(1, 2, 2, 3)),
      /expected grid to have size 2 in last dimension/,
    );
    assert.throws(() => F.gridSample(x, randn(2, 2, 2, 2)), /same batch size/);
    assert.throws(() => F.gridSample(x, randn(1, 2, 2)), /expected 4D or 5D input and grid/);
    assert.throws(
      () => F.gridSample(randn(1, 1, 2, 2, 2), randn(1, 1, 1, 1, 3), "bicubic"),
      /bicubic interpolation only supports 4D input/,
    );
    assert.throws(
      () => F.gridSample(x, randn(1, 2, 2, 2), "linear" as never),
      /argument "mode" must be one of/,
    );
    assert.throws(() => F.affineGrid(randn(1, 2, 3), [1, 1, 2, 2, 2]), /Nx3x4/);
    assert.throws(() => F.affineGrid(randn(1, 3, 3), [1, 1, 2, 2]), /Nx2x3/);
    assert.throws(() => F.affineGrid(randn(1, 2, 3), [1, 2, 2]), /only supports 4D and 5D sizes/);
    assert.throws(
      () => F.affineGrid(randn(1, 2, 3), [1, 1, 0, 2]),
      /non-zero, positive output size/,
    );
  });
});

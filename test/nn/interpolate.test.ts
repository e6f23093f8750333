// F.interpolate in every mode, pixel (un)shuffle and the resampling layers against PyTorch 1.13
// (tools/golden/resample.py → interpolate.json): forward, input gradient, repr; float64
// gradchecks; PyTorch's errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, randn, type Tensor, tensor } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";
import { checkModuleCase, type ModuleCase } from "./helpers-more.ts";

const F = nn.functional;
type Opts = NonNullable<Parameters<typeof F.interpolate>[1]>;

interface FCase {
  name: string;
  inputs: Record<string, Enc>;
  output: Enc;
  gy: Enc;
  grads: Record<string, Enc>;
}
const G = loadGolden<{ interpolate: FCase[]; interpolate_modules: ModuleCase[] }>(
  "interpolate.json",
);

const I = (o: Opts) => (x: Tensor) => F.interpolate(x, o as never);
// The same calls as tools/golden/resample.py, in Kiln's spelling.
const fns: Record<string, (x: Tensor) => Tensor> = {
  nearest1d_size: (x) => F.interpolate(x, 8),
  nearest1d_scale: (x) => F.interpolate(x, null, 1.7),
  nearest2d_scale: I({ scaleFactor: [2, 3] }),
  nearest2d_down: I({ scaleFactor: 0.6 }),
  nearest2d_size: I({ size: [7, 3] }),
  nearest3d: I({ size: [5, 6, 2] }),
  nearest_exact2d: I({ size: [7, 3], mode: "nearest-exact" }),
  nearest_exact1d_scale: I({ scaleFactor: 1.7, mode: "nearest-exact" }),
  bilinear_recompute: I({ scaleFactor: 1.7, mode: "bilinear", recomputeScaleFactor: true }),
  bilinear_size1: I({ size: [1, 3], mode: "bilinear", alignCorners: true }),
  area1d: I({ size: 3, mode: "area" }),
  area2d: I({ size: [3, 3], mode: "area" }),
  area2d_scale: I({ scaleFactor: 0.5, mode: "area" }),
  area3d: I({ size: [2, 3, 5], mode: "area" }),
  pixel_shuffle: (x) => F.pixelShuffle(x, 2),
  pixel_shuffle_5d: (x) => F.pixelShuffle(x, 3),
  pixel_unshuffle: (x) => F.pixelUnshuffle(x, 2),
};
for (const ac of [false, true]) {
  const t = ac ? "t" : "f";
  const alignCorners = ac;
  fns[`linear_${t}`] = (x) => F.interpolate(x, 9, null, "linear", ac);
  fns[`linear_scale_${t}`] = I({ scaleFactor: 1.7, mode: "linear", alignCorners });
  fns[`bilinear_${t}`] = I({ size: [8, 7], mode: "bilinear", alignCorners });
  fns[`bilinear_scale_${t}`] = I({ scaleFactor: [1.5, 2.3], mode: "bilinear", alignCorners });
  fns[`bilinear_down_${t}`] = I({ size: [3, 2], mode: "bilinear", alignCorners });
  fns[`bicubic_${t}`] = I({ size: [9, 7], mode: "bicubic", alignCorners });
  fns[`bicubic_down_${t}`] = I({ scaleFactor: 0.7, mode: "bicubic", alignCorners });
  fns[`bilinear_aa_down_${t}`] = I({
    size: [3, 2],
    mode: "bilinear",
    alignCorners,
    antialias: true,
  });
  fns[`bicubic_aa_down_${t}`] = I({
    scaleFactor: 0.45,
    mode: "bicubic",
    alignCorners,
    antialias: true,
  });
  fns[`bilinear_aa_up_${t}`] = I({ size: [7, 9], mode: "bilinear", alignCorners, antialias: true });
  fns[`bicubic_aa_up_${t}`] = I({
    scaleFactor: 1.6,
    mode: "bicubic",
    alignCorners,
    antialias: true,
  });
  fns[`trilinear_${t}`] = I({ scaleFactor: [1.5, 0.8, 2], mode: "trilinear", alignCorners });
}

const modules: Record<string, () => nn.Module> = {
  Upsample: () => new nn.Upsample({ scaleFactor: 2 }),
  Upsample_bilinear: () => new nn.Upsample([5, 4], null, "bilinear", false),
  Upsample_trilinear: () =>
    new nn.Upsample({ scaleFactor: [2.0, 1.5, 1.0], mode: "trilinear", alignCorners: true }),
  UpsamplingNearest2d: () => new nn.UpsamplingNearest2d({ scaleFactor: 3 }),
  UpsamplingBilinear2d: () => new nn.UpsamplingBilinear2d([4, 5]),
  PixelShuffle: () => new nn.PixelShuffle(2),
  PixelUnshuffle: () => new nn.PixelUnshuffle(3),
};

describe("F.interpolate / pixel shuffle against PyTorch", () => {
  for (const c of G.interpolate) {
    it(c.name, () => {
      const fn = fns[c.name];
      assert.ok(fn !== undefined, `no Kiln call for fixture ${c.name}`);
      const x = dec(c.inputs.x!).requiresGrad_(true);
      const y = fn(x);
      assertClose(y, c.output, `${c.name} output`);
      y.mul(dec(c.gy)).sum().backward();
      assertClose(x.grad!, c.grads.x!, `${c.name} grad`);
    });
  }
});

describe("resampling layers against PyTorch", () => {
  for (const c of G.interpolate_modules) {
    it(c.name, () => {
      checkModuleCase(c, modules[c.name]!());
    });
  }
});

describe("deprecated upsample functions", () => {
  const mod = (name: string) => G.interpolate_modules.find((c) => c.name === name)!;
  it("upsampleNearest / upsampleBilinear / upsample match the layers' PyTorch outputs", () => {
    const n = mod("UpsamplingNearest2d");
    assertClose(F.upsampleNearest(dec(n.input), null, 3), n.output, "upsampleNearest");
    const b = mod("UpsamplingBilinear2d");
    assertClose(F.upsampleBilinear(dec(b.input), [4, 5]), b.output, "upsampleBilinear");
    const u = mod("Upsample_bilinear");
    assertClose(F.upsample(dec(u.input), { size: [5, 4], mode: "bilinear" }), u.output, "upsample");
  });
});

describe("F.interpolate gradcheck (float64)", () => {
  const cases: [string, Opts, number[]][] = [
    ["nearest", { scaleFactor: 1.7 }, [1, 2, 3, 2]],
    ["linear", { size: 7, mode: "linear" }, [1, 2, 4]],
    [
      "bilinear aligned",
      { scaleFactor: [1.5, 0.7], mode: "bilinear", alignCorners: true },
      [1, 1, 4, 5],
    ],
    ["bicubic", { size: [5, 3], mode: "bicubic" }, [1, 1, 3, 4]],
    ["trilinear", { size: [3, 2, 3], mode: "trilinear" }, [1, 1, 2, 3, 2]],
    ["area", { size: [2, 3], mode: "area" }, [1, 2, 5, 4]],
    ["nearest-exact", { scaleFactor: [0.7, 1.6], mode: "nearest-exact" }, [1, 1, 4, 3]],
    ["bicubic antialias", { size: [2, 3], mode: "bicubic", antialias: true }, [1, 1, 5, 7]],
  ];
  for (const [name, o, shape] of cases) {
    it(name, () => {
      const x = randn(shape, { dtype: "float64" }).requiresGrad_(true);
      const f = () => F.interpolate(x, o as never);
      assert.deepEqual(gradcheck(f, [x], [randn(f().shape, { dtype: "float64" })]), []);
    });
  }
  it("pixelShuffle / pixelUnshuffle", () => {
    const x = randn([1, 4, 2, 3], { dtype: "float64" }).requiresGrad_(true);
    const f = () => F.pixelUnshuffle(F.pixelShuffle(x, 2).mul(x.sum()), 2);
    assert.deepEqual(gradcheck(f, [x], [randn([1, 4, 2, 3], { dtype: "float64" })]), []);
  });
  it("pixelShuffle / pixelUnshuffle round trip", () => {
    const x = randn([2, 8, 3, 2]);
    assert.deepEqual(F.pixelUnshuffle(F.pixelShuffle(x, 2), 2).toArray(), x.toArray());
  });
});

describe("F.interpolate values and errors", () => {
  it("linear with alignCorners keeps the end points (hand-derived)", () => {
    // in [0, 3] → 4 points aligned: positions 0, 1, 2, 3 scaled by (2-1)/(4-1)
    const y = F.interpolate(tensor([[[0, 3]]], { dtype: "float32" }), 4, null, "linear", true);
    assertClose(y, tensor([[[0, 1, 2, 3]]]), "linear", 1e-6, 1e-6);
  });

  it("throws PyTorch's errors", () => {
    const x = randn(1, 2, 3, 3);
    assert.throws(
      () => F.interpolate(x, { size: 4, scaleFactor: 2 }),
      /only one of size or scale_factor/,
    );
    assert.throws(() => F.interpolate(x), /either size or scale_factor should be defined/);
    assert.throws(
      () => F.interpolate(x, { size: 4, alignCorners: true }),
      /align_corners option can only be set/,
    );
    assert.throws(() => F.interpolate(x, { size: [4] }), /same number of spatial dimensions/);
    assert.throws(
      () => F.interpolate(x, { size: 4, mode: "linear" }),
      /Got 4D input, but linear mode needs 3D input/,
    );
    assert.throws(
      () => F.interpolate(x, { size: 4, mode: "trilinear" }),
      /trilinear mode needs 5D/,
    );
    assert.throws(
      () => F.interpolate(randn(1, 2, 3), { size: 4, mode: "bicubic" }),
      /Only 4D input/,
    );
    assert.throws(() => F.interpolate(randn(2, 3), { size: 4 }), /Only 3D, 4D and 5D input/);
    assert.throws(
      () => F.interpolate(x, { size: 4, recomputeScaleFactor: true }),
      /not meaningful with an explicit size/,
    );
    assert.throws(
      () => F.interpolate(x, { size: 4, mode: "nearest", antialias: true }),
      /Anti-alias option is only supported/,
    );
    assert.throws(
      () => F.interpolate(x, { size: 4, mode: "cubic" as never }),
      /argument "mode" must be one of/,
    );
    assert.throws(
      () => F.pixelShuffle(randn(1, 5, 2, 2), 2),
      /input.size\(-3\)=5 is not divisible by 4/,
    );
    assert.throws(() => F.pixelShuffle(randn(5, 2), 2), /at least 3 dimensions/);
    assert.throws(
      () => F.pixelUnshuffle(randn(1, 1, 5, 4), 2),
      /input.size\(-2\)=5 is not divisible by 2/,
    );
    assert.throws(() => F.pixelShuffle(x, 0), /expects a positive upscale_factor, but got 0/);
  });
});

// F.unfold/F.fold, nn.Unfold/nn.Fold and the transposed convolutions (functional and layers)
// against PyTorch 1.13 (tools/golden/resample.py), float64 gradchecks, the fold/unfold adjoint
// identity, and PyTorch's errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { manualSeed, nn, randn, type Tensor } from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

const F = nn.functional;

interface FCase {
  name: string;
  inputs: Record<string, Enc>;
  output: Enc;
  gy: Enc;
  grads: Record<string, Enc>;
}
interface MCase {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  input: Enc;
  output: Enc;
  gy: Enc;
  grad_input: Enc;
  grads: Record<string, Enc>;
  keys: string[];
}
interface Golden {
  fold: FCase[];
  fold_modules: MCase[];
  convt: FCase[];
  convt_modules: MCase[];
}
const G = loadGolden<Golden>("resample.json");

function checkF(c: FCase, fn: (xs: Record<string, Tensor>) => Tensor): void {
  const xs: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.inputs)) xs[k] = dec(v).requiresGrad_(true);
  const y = fn(xs);
  assertClose(y, c.output, `${c.name} output`);
  y.mul(dec(c.gy)).sum().backward();
  for (const [k, g] of Object.entries(c.grads)) assertClose(xs[k]!.grad!, g, `${c.name} grad ${k}`);
}

// The same calls as tools/golden/resample.py, in Kiln's spelling.
const fns: Record<string, (xs: Record<string, Tensor>) => Tensor> = {
  unfold_basic: ({ x }) => F.unfold(x!, 2),
  unfold_all: ({ x }) =>
    F.unfold(x!, [2, 3], { dilation: [2, 1], padding: [1, 2], stride: [2, 3] }),
  unfold_unbatched: ({ x }) => F.unfold(x!, 3, 1, 1),
  fold_basic: ({ x }) => F.fold(x!, [4, 5], 2),
  fold_all: ({ x }) =>
    F.fold(x!, [6, 7], [2, 3], { dilation: [2, 1], padding: [1, 2], stride: [2, 3] }),
  fold_unbatched: ({ x }) => F.fold(x!, [3, 3], 2, { stride: 1 }),
  conv_transpose2d_basic: ({ x, w, b }) => F.convTranspose2d(x!, w!, b!),
  conv_transpose2d_all: ({ x, w, b }) =>
    F.convTranspose2d(x!, w!, b!, {
      stride: [2, 3],
      padding: [1, 2],
      outputPadding: [1, 0],
      groups: 2,
      dilation: [2, 1],
    }),
  conv_transpose2d_op_dil: ({ x, w }) => F.convTranspose2d(x!, w!, null, 1, 0, 2, 1, 3),
  conv_transpose1d: ({ x, w, b }) => F.convTranspose1d(x!, w!, b!, 3, 1, 2, 1, 1),
  conv_transpose1d_unbatched: ({ x, w }) => F.convTranspose1d(x!, w!, { groups: 3 }),
  conv_transpose3d: ({ x, w, b }) =>
    F.convTranspose3d(x!, w!, b!, { stride: 2, padding: 1, outputPadding: [1, 0, 1] }),
};

const modules: Record<string, [() => nn.Module, (m: nn.Module, x: Tensor) => Tensor]> = {};
const plain = (m: nn.Module, x: Tensor) => m.call(x) as Tensor;
modules.Unfold = [
  () => new nn.Unfold([2, 3], { dilation: [1, 2], padding: 1, stride: [2, 1] }),
  plain,
];
modules.Fold = [() => new nn.Fold([3, 4], 2), plain];
modules.ConvTranspose2d = [
  () => new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
  plain,
];
modules.ConvTranspose2d_nobias_dil = [
  () =>
    new nn.ConvTranspose2d(2, 3, [2, 3], {
      stride: [1, 2],
      padding: [0, 1],
      bias: false,
      dilation: 2,
    }),
  plain,
];
modules.ConvTranspose2d_outsize = [
  () => new nn.ConvTranspose2d(2, 3, 3, 3, 1),
  (m, x) => (m as nn.ConvTranspose2d).forward(x, { outputSize: [8, 9] }),
];
modules.ConvTranspose2d_outsize_full = [
  () => new nn.ConvTranspose2d(2, 3, 3, 2),
  (m, x) => (m as nn.ConvTranspose2d).forward(x, [1, 3, 8, 7]),
];
modules.ConvTranspose1d = [() => new nn.ConvTranspose1d(3, 2, 4, { stride: 2, padding: 1 }), plain];
modules.ConvTranspose3d = [
  () => new nn.ConvTranspose3d(2, 2, 2, { stride: 2, outputPadding: 1 }),
  plain,
];
modules.ConvTranspose2d_unbatched = [() => new nn.ConvTranspose2d(2, 3, 3, { stride: 2 }), plain];

function checkModule(c: MCase): void {
  const [make, run] = modules[c.name]!;
  const m = make();
  assert.equal(m.toString(), c.repr);
  assert.deepEqual(Object.keys(m.stateDict()), c.keys);
  if (c.keys.length > 0) m.loadStateDict(decState(c.state));
  const x = dec(c.input).requiresGrad_(true);
  const y = run(m, x);
  assertClose(y, c.output, `${c.name} output`);
  y.mul(dec(c.gy)).sum().backward();
  assertClose(x.grad!, c.grad_input, `${c.name} grad input`);
  const params = Object.fromEntries(m.namedParameters());
  for (const [k, g] of Object.entries(c.grads))
    assertClose(params[k]!.grad!, g, `${c.name} grad ${k}`);
}

describe("fold / unfold against PyTorch", () => {
  for (const c of G.fold) it(c.name, () => checkF(c, fns[c.name]!));
  for (const c of G.fold_modules) it(`nn.${c.name}`, () => checkModule(c));
});

describe("transposed convolution against PyTorch", () => {
  for (const c of G.convt) it(c.name, () => checkF(c, fns[c.name]!));
  for (const c of G.convt_modules) it(`nn.${c.name}`, () => checkModule(c));
});

describe("fold / conv transpose gradcheck (float64)", () => {
  const r64 = (...s: number[]) => randn(s, { dtype: "float64" }).requiresGrad_(true);
  const check = (f: () => Tensor, inputs: Tensor[]) => {
    const w = randn(f().shape, { dtype: "float64" });
    assert.deepEqual(gradcheck(f, inputs, [w]), []);
  };
  it("unfold", () => {
    const x = r64(1, 2, 4, 5);
    check(() => F.unfold(x, [2, 3], { padding: 1, stride: [2, 1], dilation: [1, 2] }), [x]);
  });
  it("fold", () => {
    const x = r64(1, 8, 6);
    check(() => F.fold(x, [3, 4], 2), [x]);
  });
  it("convTranspose2d: input, weight, bias", () => {
    const x = r64(1, 4, 3, 2);
    const w = r64(4, 1, 2, 3);
    const b = r64(2);
    check(
      () =>
        F.convTranspose2d(x, w, b, {
          stride: [2, 1],
          padding: [1, 0],
          outputPadding: [1, 0],
          groups: 2,
          dilation: [1, 2],
        }),
      [x, w, b],
    );
  });
  it("convTranspose3d and convTranspose1d", () => {
    const x = r64(1, 2, 2, 2, 1);
    const w = r64(2, 1, 2, 2, 2);
    check(() => F.convTranspose3d(x, w, null, 2, 1, 1), [x, w]);
    const x1 = r64(2, 3, 4);
    const w1 = r64(3, 2, 3);
    check(
      () => F.convTranspose1d(x1, w1, null, { stride: 2, dilation: 2, outputPadding: 1 }),
      [x1, w1],
    );
  });
});

describe("fold / conv transpose properties and errors", () => {
  it("fold is unfold's adjoint: <unfold(x), c> = <x, fold(c)>", () => {
    manualSeed(3);
    const x = randn([2, 3, 5, 6], { dtype: "float64" });
    const o = {
      dilation: [2, 1] as [number, number],
      padding: 1,
      stride: [1, 2] as [number, number],
    };
    const u = F.unfold(x, [2, 3], o);
    const c = randn(u.shape, { dtype: "float64" });
    const lhs = u.mul(c).sum().item() as number;
    const rhs = x
      .mul(F.fold(c, [5, 6], [2, 3], o))
      .sum()
      .item() as number;
    assert.ok(Math.abs(lhs - rhs) < 1e-9 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
  });

  it("convTranspose2d is the input gradient of conv2d", () => {
    manualSeed(4);
    const x = randn([1, 3, 7, 6], { dtype: "float64" }).requiresGrad_(true);
    const w = randn([4, 3, 3, 2], { dtype: "float64" });
    const y = F.conv2d(x, w, null, { stride: 2, padding: 1 });
    const g = randn(y.shape, { dtype: "float64" });
    y.mul(g).sum().backward();
    assertClose(F.convTranspose2d(g, w, null, 2, 1, 0), x.grad!, "adjoint", 1e-10, 1e-10);
  });

  it("init: weight [Cin, Cout/groups, *k] within the kaiming bound, bias within 1/sqrt(fanIn)", () => {
    const m = new nn.ConvTranspose2d(4, 6, 3, { groups: 2 });
    assert.deepEqual(m.weight.shape, [4, 3, 3, 3]);
    // fanIn = weight.size(1)·k·k = 27; kaimingUniform(a=√5) bound = √(6/((1+5)·27)) = 1/√27
    const bound = 1 / Math.sqrt(27);
    for (const t of [m.weight, m.bias!])
      assert.ok((t.abs().amax().item() as number) <= bound + 1e-7);
  });

  it("throws PyTorch's errors", () => {
    assert.throws(() => F.unfold(randn(2, 3, 4, 5, 6), 2), /Expected 3D or 4D/);
    assert.throws(
      () => F.unfold(randn(1, 2, 3, 4), 5),
      /calculated shape of the array of sliding blocks as \(-1, 0\)/,
    );
    assert.throws(() => F.unfold(randn(1, 2, 3, 4), 0), /kernel size should be greater than zero/);
    assert.throws(
      () => F.unfold(randn(1, 2, 3, 4), 2, { stride: 0 }),
      /stride should be greater than zero/,
    );
    assert.throws(
      () => F.fold(randn(2, 7, 6), [3, 4], 2),
      /divisible by the product of kernel_size/,
    );
    assert.throws(
      () => F.fold(randn(2, 8, 5), [3, 4], 2),
      /sliding blocks 2 \* 3 = 6, but got input.size\(2\)=5/,
    );
    assert.throws(() => F.fold(randn(1, 2, 8, 5), [3, 4], 2), /Expected 2D or 3D/);
    const x = randn(1, 2, 3, 3);
    assert.throws(
      () => F.convTranspose2d(x, randn(2, 4, 3, 3), null, { outputPadding: 2 }),
      /output padding must be smaller than either stride or dilation/,
    );
    assert.throws(
      () => F.convTranspose2d(x, randn(2, 4, 3, 3), null, { padding: 3 }),
      /Output size is too small/,
    );
    assert.throws(
      () => F.convTranspose2d(x, randn(3, 4, 3, 3)),
      /expected input\[1, 2, 3, 3\] to have 3 channels/,
    );
    assert.throws(
      () => F.convTranspose2d(randn(1, 4, 3, 3), randn(4, 4, 3, 3), null, { groups: 3 }),
      /expected weight to be divisible by 3/,
    );
    assert.throws(
      () => F.convTranspose2d(x, randn(2, 4, 3, 3), randn(3)),
      /expected bias to be 1-dimensional with 4 elements/,
    );
    assert.throws(
      () => F.convTranspose2d(randn(3, 3), randn(2, 4, 3, 3)),
      /Expected 3D \(unbatched\) or 4D \(batched\)/,
    );
    const m = new nn.ConvTranspose2d(2, 4, 3, 2);
    assert.throws(() => m.forward(x, [9, 8]), /valid sizes range from \[7, 7\] to \[8, 8\]/);
    assert.throws(
      () => m.forward(x, { output_size: [8, 8] } as never),
      /unknown option "output_size"/,
    );
    assert.throws(() => m.forward(x, [1, 4, 8, 8, 8]), /output_size must have 2 or 4 elements/);
    assert.throws(
      () => new nn.ConvTranspose2d(2, 4, 3, { paddingMode: "reflect" as never }),
      /paddingMode/,
    );
    assert.throws(
      () => new nn.ConvTranspose2d(3, 4, 3, { groups: 2 }),
      /in_channels must be divisible by groups/,
    );
  });
});

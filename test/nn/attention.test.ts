// scaledDotProductAttention and nn.MultiheadAttention against PyTorch (tools/golden/attention.py):
// outputs, attention weights, every parameter gradient and the input gradients; float64
// finite-difference gradchecks; init bounds, state-dict keys, repr, argument parsing and errors.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DTypeError,
  nn,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";
import { gradcheck } from "../core/gradcheck.ts";
import { type BEnc, camel, checkModuleCase, d, type ModuleCase } from "./attention-cases.ts";
import { assertClose, dec, type Enc, loadGolden } from "./golden.ts";

interface SdpaCase {
  name: string;
  q: Enc;
  k: Enc;
  v: Enc;
  mask?: BEnc;
  is_causal: boolean;
  scale: number | null;
  output: Enc;
  gy: Enc;
  grad_q: Enc;
  grad_k: Enc;
  grad_v: Enc;
}
const golden = loadGolden<{
  torch: string;
  sdpa: SdpaCase[];
  mha: ModuleCase[];
  reprs: Record<string, string | string[]>;
}>("attention.json");

const F = nn.functional;

describe("scaledDotProductAttention against PyTorch 2's formula", () => {
  for (const c of golden.sdpa) {
    it(c.name, () => {
      const [q, k, v] = [dec(c.q), dec(c.k), dec(c.v)].map((t) => t.requiresGrad_(true)) as [
        Tensor,
        Tensor,
        Tensor,
      ];
      const out = F.scaledDotProductAttention(q, k, v, {
        attnMask: c.mask === undefined ? null : d(c.mask),
        isCausal: c.is_causal,
        scale: c.scale,
      });
      assertClose(out, c.output, `${c.name}: output`);
      out.mul(dec(c.gy)).sum().backward();
      assertClose(q.grad!, c.grad_q, `${c.name}: grad q`);
      assertClose(k.grad!, c.grad_k, `${c.name}: grad k`);
      assertClose(v.grad!, c.grad_v, `${c.name}: grad v`);
    });
  }

  it("takes PyTorch's positional order (attnMask, dropoutP, isCausal)", () => {
    const [q, k, v] = [randn(2, 3, 4), randn(2, 3, 4), randn(2, 3, 5)];
    const a = F.scaledDotProductAttention(q, k, v, null, 0, true);
    const b = F.scaledDotProductAttention(q, k, v, { isCausal: true });
    assert.deepEqual(a.toArray(), b.toArray());
    // Causal row 0 sees key 0 only, so it is value row 0 exactly (softmax of one score is 1).
    assertClose(a.select(1, 0), v.select(1, 0), "row 0");
  });

  it("dropoutP 1 zeroes every weight, so the output is 0", () => {
    const out = F.scaledDotProductAttention(randn(2, 3, 4), randn(2, 3, 4), randn(2, 3, 4), {
      dropoutP: 1,
    });
    assert.ok(out.dataSync().every((x) => x === 0));
  });

  it("passes float64 finite-difference gradchecks (mask, causal, broadcast batch)", () => {
    const q = randn(2, 3, 4, { dtype: "float64" }).requiresGrad_(true);
    const k = randn(1, 5, 4, { dtype: "float64" }).requiresGrad_(true);
    const v = randn(2, 5, 3, { dtype: "float64" }).requiresGrad_(true);
    const fm = randn(3, 5, { dtype: "float64" }).requiresGrad_(true);
    const w = randn(2, 3, 3, { dtype: "float64" });
    const bm = tensor([
      [true, false, true, true, false],
      [true, true, false, false, true],
      [false, false, true, true, true],
    ]);
    assert.deepEqual(
      gradcheck(() => F.scaledDotProductAttention(q, k, v, fm), [q, k, v, fm], [w]),
      [],
    );
    assert.deepEqual(
      gradcheck(() => F.scaledDotProductAttention(q, k, v, bm), [q, k, v], [w]),
      [],
    );
    const kc = randn(2, 3, 4, { dtype: "float64" }).requiresGrad_(true);
    const vc = randn(2, 3, 3, { dtype: "float64" }).requiresGrad_(true);
    const causal = () => F.scaledDotProductAttention(q, kc, vc, { isCausal: true, scale: 0.7 });
    assert.deepEqual(gradcheck(causal, [q, kc, vc], [w]), []);
  });

  it("throws typed errors naming the problem", () => {
    const [q, k, v] = [randn(2, 3, 4), randn(2, 5, 4), randn(2, 5, 4)];
    assert.throws(() => F.scaledDotProductAttention(q, randn(2, 5, 3), v), ShapeError);
    assert.throws(() => F.scaledDotProductAttention(q, k, randn(2, 4, 4)), ShapeError);
    assert.throws(() => F.scaledDotProductAttention(q, k, v, zeros(3, 4).bool()), /broadcast/);
    assert.throws(() => F.scaledDotProductAttention(q, k, v, zeros(3, 5).int()), DTypeError);
    assert.throws(
      () => F.scaledDotProductAttention(q, k, v, zeros(3, 5, { dtype: "float64" })),
      DTypeError,
    );
    assert.throws(() => F.scaledDotProductAttention(q, k, v, zeros(3, 5), 0, true), /isCausal/);
    assert.throws(
      () => F.scaledDotProductAttention(q, k, v, { is_causal: true } as never),
      /unknown option "is_causal" \(did you mean "isCausal"/,
    );
    assert.throws(() => F.scaledDotProductAttention(q, k, v, { dropoutP: 2 }), ValueError);
  });
});

/** nn.MultiheadAttention as the golden case's constructor dict describes it. */
function makeMha(ctor: Record<string, unknown>): nn.MultiheadAttention {
  const { embed_dim, num_heads, ...rest } = ctor as { embed_dim: number; num_heads: number };
  const o = Object.fromEntries(Object.entries(rest).map(([k, v]) => [camel(k), v]));
  return new nn.MultiheadAttention(embed_dim, num_heads, o);
}

describe("nn.MultiheadAttention against PyTorch", () => {
  for (const c of golden.mha) {
    it(c.name, () => {
      const m = makeMha(c.ctor);
      checkModuleCase(c, m, ([q, k, v], kw) => m.forward(q!, k!, v!, kw));
    });
  }

  it("prints and names its state as PyTorch with kdim/vdim and addBiasKv", () => {
    const m = new nn.MultiheadAttention(8, 2, { kdim: 3, vdim: 5, addBiasKv: true });
    assert.equal(String(m), golden.reprs.mha_kv);
    assert.deepEqual(Object.keys(m.stateDict()), golden.reprs.mha_kv_keys);
    assert.deepEqual(m.kProjWeight!.shape, [8, 3]);
    assert.deepEqual(m.vProjWeight!.shape, [8, 5]);
    assert.equal(m.inProjWeight, null);
    assert.deepEqual(m.biasK!.shape, [1, 1, 8]);
  });

  it("takes PyTorch's positional order and forward's positionals", () => {
    const m = new nn.MultiheadAttention(8, 2, 0, false, false, true, null, null, true);
    assert.equal(m.batchFirst, true);
    assert.equal(m.addZeroAttn, true);
    assert.equal(m.inProjBias, null);
    assert.equal(m.outProj.bias, null);
    const x = randn(2, 3, 8);
    const kpm = tensor([
      [false, false, true],
      [false, true, true],
    ]);
    const [a, wa] = m.forward(x, x, x, kpm, true, null, false);
    const [b, wb] = m.forward(x, x, x, { keyPaddingMask: kpm, averageAttnWeights: false });
    assert.deepEqual(a.toArray(), b.toArray());
    assert.deepEqual(wa!.shape, [2, 2, 3, 4]);
    assert.deepEqual(wa!.toArray(), wb!.toArray());
  });

  it("initialises as _reset_parameters: xavier in-projection, zero biases, xavier_normal bias_k", () => {
    const E = 64;
    const m = new nn.MultiheadAttention(E, 4, { addBiasKv: true });
    // xavier_uniform_ on [3E, E]: fanIn E, fanOut 3E, bound √(6/(4E)).
    const bound = Math.sqrt(6 / (4 * E));
    const w = m.inProjWeight!.dataSync();
    const maxAbs = Math.max(...Array.from(w, (x) => Math.abs(Number(x))));
    assert.ok(maxAbs <= bound && maxAbs > 0.95 * bound, `max |w| ${maxAbs} vs bound ${bound}`);
    assert.ok(m.inProjBias!.dataSync().every((x) => x === 0));
    assert.ok(m.outProj.bias!.dataSync().every((x) => x === 0));
    // out_proj.weight keeps Linear's init: U(−1/√E, 1/√E).
    assert.ok(m.outProj.weight.dataSync().every((x) => Math.abs(x) <= 1 / Math.sqrt(E)));
    // xavier_normal_ on [1, 1, E]: fanIn = fanOut = E, std √(2/2E) = 1/√E; not all zero.
    const bk = m.biasK!.dataSync();
    assert.ok(bk.some((x) => x !== 0) && bk.every((x) => Math.abs(x) < 6 / Math.sqrt(E)));
  });

  it("passes a float64 finite-difference gradcheck over inputs and every parameter", () => {
    const m = new nn.MultiheadAttention(4, 2, {
      addBiasKv: true,
      addZeroAttn: true,
      kdim: 3,
      vdim: 5,
      dtype: "float64",
    });
    const q = randn(3, 2, 4, { dtype: "float64" }).requiresGrad_(true);
    const k = randn(4, 2, 3, { dtype: "float64" }).requiresGrad_(true);
    const v = randn(4, 2, 5, { dtype: "float64" }).requiresGrad_(true);
    const kpm = tensor([
      [false, false, true, false],
      [false, true, false, false],
    ]);
    const mask = randn(3, 4, { dtype: "float64" });
    const fn = () => {
      const [y, w] = m.forward(q, k, v, { keyPaddingMask: kpm, attnMask: mask });
      return [y, w!];
    };
    const weights = [randn(3, 2, 4, { dtype: "float64" }), randn(2, 3, 6, { dtype: "float64" })];
    assert.deepEqual(gradcheck(fn, [q, k, v, ...m.parameters()], weights), []);
  });

  it("throws typed errors for bad sizes, shapes and dtypes", () => {
    assert.throws(
      () => new nn.MultiheadAttention(10, 3),
      /embed_dim must be divisible by num_heads/,
    );
    assert.throws(
      () => new nn.MultiheadAttention(8, 2, { batch_first: true } as never),
      ValueError,
    );
    const m = new nn.MultiheadAttention(8, 2);
    const x = randn(5, 3, 8);
    assert.throws(() => m.forward(x, x, x, { attnMask: zeros(5, 4).bool() }), ShapeError);
    assert.throws(() => m.forward(x, x, x, { attnMask: zeros(3, 5, 5) }), /3D attnMask/);
    assert.throws(() => m.forward(x, x, x, { attnMask: zeros(1, 1, 5, 5) }), ShapeError);
    assert.throws(() => m.forward(x, x, x, { attnMask: zeros(5, 5).int() }), DTypeError);
    assert.throws(() => m.forward(x, x, x, { keyPaddingMask: zeros(3, 4).bool() }), ShapeError);
    assert.throws(() => m.forward(x, x, x, { keyPaddingMask: zeros(3, 5).int() }), DTypeError);
    assert.throws(
      () => m.forward(randn(5, 3, 6), randn(5, 3, 6), randn(5, 3, 6)),
      /embedding dimension of 8/,
    );
    assert.throws(() => m.forward(randn(1, 5, 3, 8), x, x), ShapeError);
    assert.throws(() => m.forward(x, randn(5, 8), x), ShapeError);
    assert.throws(() => m.forward(x, randn(4, 3, 8), x), /does not match value shape/);
    const u = randn(5, 8);
    assert.throws(() => m.forward(u, u, u, { attnMask: zeros(3, 5, 5).bool() }), /\[2, 5, 5\]/);
  });
});

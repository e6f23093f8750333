// The samplers of issue 15 (multinomial, bernoulli, normal, poisson and the in-place random_,
// uniform_, normal_, bernoulli_, exponential_, geometric_, cauchy_, logNormal_). Kiln's stream is
// not torch's, so each is checked statistically: support, shape, dtype, and sample moments within
// 6 standard errors of the distribution's (a false alarm has probability below 1e-8 per check;
// the seeds are fixed, so the outcome is deterministic).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as rs from "../../src/ops/random-sampling.ts";
import { AutogradError, Generator, noGrad, type Tensor, tensor, zeros } from "./kiln.ts";

const N = 20000;

function values(t: Tensor): number[] {
  return Array.from(t.dataSync() as ArrayLike<number>, Number);
}
function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}
function variance(v: readonly number[]): number {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1);
}
/**
 * The sample mean is within 6σ/√n of μ, and (when `fourth` is given, the 4th central moment) the
 * sample variance within 6·√((μ₄ − σ⁴)/n) of σ² (the variance of the sample variance).
 */
function assertMoments(v: readonly number[], mu: number, sigma2: number, fourth?: number): void {
  const n = v.length;
  const m = mean(v);
  assert.ok(Math.abs(m - mu) <= 6 * Math.sqrt(sigma2 / n), `mean ${m}, expected ${mu}`);
  if (fourth !== undefined) {
    const s2 = variance(v);
    const bound = 6 * Math.sqrt((fourth - sigma2 ** 2) / n);
    assert.ok(Math.abs(s2 - sigma2) <= bound, `variance ${s2}, expected ${sigma2} ± ${bound}`);
  }
}

describe("in-place samplers: support and moments", () => {
  const g = () => new Generator().manualSeed(15);
  test("uniform_(2, 5): in [2, 5), mean 3.5, variance 9/12 (μ₄ = 9²/80)", () => {
    const v = values(zeros(N, { dtype: "float64" }).uniform_(2, 5, { generator: g() }));
    assert.ok(v.every((x) => x >= 2 && x < 5));
    assertMoments(v, 3.5, 9 / 12, 81 / 80);
  });
  test("normal_(1, 2): mean 1, variance 4 (μ₄ = 3σ⁴)", () => {
    const v = values(zeros(N).normal_(1, 2, { generator: g() }));
    assertMoments(v, 1, 4, 3 * 16);
  });
  test("exponential_(2): positive, mean 1/2, variance 1/4 (μ₄ = 9/λ⁴)", () => {
    const v = values(zeros(N, { dtype: "float64" }).exponential_(2, { generator: g() }));
    assert.ok(v.every((x) => x >= 0 && Number.isFinite(x)));
    assertMoments(v, 0.5, 0.25, 9 / 16);
  });
  test("exponential_(0) is +∞ everywhere, as in PyTorch", () => {
    assert.ok(values(zeros(3).exponential_(0)).every((x) => x === Number.POSITIVE_INFINITY));
  });
  test("bernoulli_(0.3) on int32: 0/1, mean 0.3, variance 0.21", () => {
    const t = tensor(new Array(N).fill(7)).bernoulli_(0.3, { generator: g() });
    assert.equal(t.dtype, "int32");
    const v = values(t);
    assert.ok(v.every((x) => x === 0 || x === 1));
    assertMoments(v, 0.3, 0.21);
  });
  test("bernoulli_(p tensor): p = 0 gives 0 and p = 1 gives 1", () => {
    const v = values(zeros(2, 3).bernoulli_(tensor([0, 1, 0.5]).float()));
    assert.deepEqual([v[0], v[1], v[3], v[4]], [0, 1, 0, 1]);
  });
  test("geometric_(0.25): integers ≥ 1, mean 1/p = 4, variance (1−p)/p² = 12", () => {
    const v = values(zeros(N, { dtype: "float64" }).geometric_(0.25, { generator: g() }));
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 1));
    assertMoments(v, 4, 12);
  });
  test("cauchy_(1, 2): half the mass within median ± sigma (std error √(¼/n))", () => {
    const v = values(zeros(N, { dtype: "float64" }).cauchy_(1, 2, { generator: g() }));
    const inside = v.filter((x) => Math.abs(x - 1) <= 2).length / N;
    assert.ok(Math.abs(inside - 0.5) <= 6 * Math.sqrt(0.25 / N), `${inside}`);
  });
  test("logNormal_(0.5, 0.3): positive, log-samples with mean 0.5 and variance 0.09", () => {
    const v = values(zeros(N, { dtype: "float64" }).logNormal_(0.5, 0.3, { generator: g() }));
    assert.ok(v.every((x) => x > 0));
    assertMoments(v.map(Math.log), 0.5, 0.09, 3 * 0.09 ** 2);
  });
  test("random_(10): integers in [0, 10), each with frequency 1/10 ± 6·√(p(1−p)/n)", () => {
    const v = values(zeros(N).random_(10, { generator: g() }));
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 0 && x < 10));
    for (let k = 0; k < 10; k++) {
      const f = v.filter((x) => x === k).length / N;
      assert.ok(Math.abs(f - 0.1) <= 6 * Math.sqrt(0.09 / N), `${k}: ${f}`);
    }
  });
  test("random_(3, 10) is in [3, 10) with mean 6; random_(2, null) reaches past 2³¹ on float64", () => {
    const v = values(zeros(N).random_(3, 10, { generator: g() }));
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 3 && x < 10));
    // discrete uniform on 7 values: variance (7² − 1)/12 = 4
    assertMoments(v, 6, 4);
    const w = values(zeros(1000, { dtype: "float64" }).random_(2, null, { generator: g() }));
    assert.ok(w.every((x) => Number.isInteger(x) && x >= 2 && x <= 2 ** 53));
    assert.ok(Math.max(...w) > 2 ** 31);
  });
  test("random_() spans [0, 2^24] on float32 and {0, 1} on bool, as PyTorch", () => {
    const v = values(zeros(N).random_({ generator: g() }));
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 0 && x <= 2 ** 24));
    assert.ok(Math.max(...v) > 2 ** 23);
    const b = values(zeros(100, { dtype: "bool" }).random_({ generator: g() }));
    assert.ok(b.includes(0) && b.includes(1));
  });
  test("a leaf that requires grad refuses; under noGrad it fills; a generator repeats itself", () => {
    const w = zeros(3).requiresGrad_(true);
    assert.throws(() => w.uniform_(), AutogradError);
    noGrad(() => w.normal_());
    assert.ok(values(w).some((x) => x !== 0));
    const a = values(zeros(5).normal_({ generator: new Generator().manualSeed(3) }));
    const b = values(zeros(5).normal_({ generator: new Generator().manualSeed(3) }));
    assert.deepEqual(a, b);
  });
});

describe("bernoulli, normal, poisson", () => {
  const g = () => new Generator().manualSeed(7);
  test("bernoulli(p): 0/1 in input's dtype, mean p per column", () => {
    const p = tensor([0, 0.2, 0.9, 1], { dtype: "float64" })
      .expand([N / 4, 4])
      .contiguous();
    const out = rs.bernoulli(p, { generator: g() });
    assert.equal(out.dtype, "float64");
    const v = values(out);
    for (const [col, q] of [0, 0.2, 0.9, 1].entries()) {
      const c = v.filter((_, i) => i % 4 === col);
      assertMoments(c, q, q * (1 - q) + 1e-300);
    }
    const s = values(rs.bernoulli(zeros(N), 0.7, { generator: g() }));
    assertMoments(s, 0.7, 0.21);
  });
  test("normal(mean, std, size): shape, dtype, moments", () => {
    const t = rs.normal(3, 0.5, [N], { generator: g(), dtype: "float64" });
    assert.equal(t.dtype, "float64");
    assertMoments(values(t), 3, 0.25, 3 * 0.0625);
    assert.equal(rs.normal(0, 1, [2, 3]).dtype, "float32");
  });
  test("normal(mean tensor, std tensor) broadcasts; its gradients are 1 and (out − mean)/std", () => {
    const m = tensor([[0], [10]], { dtype: "float64", requiresGrad: true });
    const s = tensor([1, 2, 3], { dtype: "float64", requiresGrad: true });
    const out = rs.normal(m, s, { generator: g() });
    assert.deepEqual([...out.shape], [2, 3]);
    out.sum().backward();
    assert.deepEqual(values(m.grad!), [3, 3]);
    const o = values(out);
    const mv = [0, 0, 0, 10, 10, 10];
    const sv = [1, 2, 3, 1, 2, 3];
    const want = [0, 1, 2].map((j) =>
      [0, 1].reduce((a, i) => a + (o[i * 3 + j]! - mv[i * 3 + j]!) / sv[j]!, 0),
    );
    for (const [j, v] of values(s.grad!).entries()) assert.ok(Math.abs(v - want[j]!) < 1e-12);
  });
  test("normal(mean tensor) with the default std 1 and number mean with std tensor", () => {
    const v = values(rs.normal(zeros(N, { dtype: "float64" }).add(-2), { generator: g() }));
    assertMoments(v, -2, 1, 3);
    assert.deepEqual([...rs.normal(1, tensor([1, 2]).float()).shape], [2]);
  });
  test("poisson: non-negative integers, mean = variance = λ (λ = 3 and 60: both algorithms)", () => {
    for (const lam of [3, 60]) {
      const v = values(rs.poisson(zeros(N, { dtype: "float64" }).add(lam), { generator: g() }));
      assert.ok(v.every((x) => Number.isInteger(x) && x >= 0));
      // μ₄ of Poisson = λ(1 + 3λ)
      assertMoments(v, lam, lam, lam * (1 + 3 * lam));
    }
    assert.deepEqual(values(rs.poisson(zeros(3))), [0, 0, 0]);
  });
});

describe("multinomial", () => {
  const g = () => new Generator().manualSeed(11);
  const p = [0.1, 0.0, 0.6, 0.3];
  test("with replacement: int32 [n], frequencies ∝ p, zero-probability never drawn", () => {
    const out = rs.multinomial(tensor(p).mul(5), N, true, { generator: g() });
    assert.equal(out.dtype, "int32");
    assert.deepEqual([...out.shape], [N]);
    const v = values(out);
    p.forEach((q, k) => {
      const f = v.filter((x) => x === k).length / N;
      assert.ok(Math.abs(f - q) <= 6 * Math.sqrt((q * (1 - q)) / N) + 1e-12, `${k}: ${f}`);
    });
  });
  test("without replacement: distinct per row, first draw ∝ p, zero-probability ones last", () => {
    const rows = 4000;
    const probs = tensor(p).expand([rows, 4]).contiguous();
    const out = rs.multinomial(probs, 4, { replacement: false, generator: g() });
    assert.deepEqual([...out.shape], [rows, 4]);
    const v = values(out);
    for (let r = 0; r < rows; r++) {
      const row = v.slice(r * 4, r * 4 + 4);
      assert.equal(new Set(row).size, 4);
      assert.equal(row[3], 1);
    }
    const first = v.filter((_, i) => i % 4 === 0);
    p.forEach((q, k) => {
      const f = first.filter((x) => x === k).length / rows;
      assert.ok(Math.abs(f - q) <= 6 * Math.sqrt((q * (1 - q)) / rows) + 1e-12, `${k}: ${f}`);
    });
  });
  test("without replacement, a second draw follows the remaining mass: P(2nd = 3 | 1st = 2) = 0.3/0.4", () => {
    const rows = 4000;
    const out = values(
      rs.multinomial(tensor(p).expand([rows, 4]).contiguous(), 2, false, { generator: g() }),
    );
    const pairs: number[] = [];
    for (let r = 0; r < rows; r++) if (out[r * 2] === 2) pairs.push(out[r * 2 + 1] === 3 ? 1 : 0);
    assertMoments(pairs, 0.75, 0.75 * 0.25);
  });
  test("Tensor.multinomial is the same function", () => {
    const a = values(tensor([1, 2, 3]).float().multinomial(5, true, { generator: g() }));
    const b = values(rs.multinomial(tensor([1, 2, 3]).float(), 5, true, { generator: g() }));
    assert.deepEqual(a, b);
  });
});

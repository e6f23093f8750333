import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BalancedSampler,
  BatchSampler,
  RandomSampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from "../../src/data/index.ts";
import { Generator, tensor } from "../../src/index.ts";

test("WeightedRandomSampler frequencies match the weights", () => {
  const weights = [1, 2, 3, 4, 0];
  const n = 200_000;
  const counts = new Array<number>(weights.length).fill(0);
  for (const i of new WeightedRandomSampler(weights, n, { generator: new Generator(0) }))
    counts[i]! += 1;
  weights.forEach((w, i) => {
    const p = w / 10;
    // 5 standard deviations of a binomial frequency: 5 · sqrt(p (1 - p) / n) ≤ 0.0055.
    assert.ok(
      Math.abs(counts[i]! / n - p) <= 5 * Math.sqrt((p * (1 - p)) / n) + 1e-12,
      `index ${i}: ${counts[i]! / n} vs ${p}`,
    );
  });
  assert.equal(counts[4], 0);
});

test("WeightedRandomSampler without replacement draws distinct indices, heavier ones first more often", () => {
  const w = tensor([1, 1, 1, 97], { dtype: "float32" });
  let firstIsHeavy = 0;
  const g = new Generator(1);
  for (let k = 0; k < 2000; k++) {
    const draw = [...new WeightedRandomSampler(w, 4, { replacement: false, generator: g })];
    assert.deepEqual([...draw].sort(), [0, 1, 2, 3]);
    if (draw[0] === 3) firstIsHeavy++;
  }
  // P(first draw = 3) = 0.97: 5 sigma of 2000 draws is 0.019.
  assert.ok(Math.abs(firstIsHeavy / 2000 - 0.97) < 0.02, String(firstIsHeavy));
  assert.throws(
    () => new WeightedRandomSampler([1, 0], 2, { replacement: false }),
    /without replacement/,
  );
  assert.throws(() => new WeightedRandomSampler([-1, 2], 2), /element < 0/);
});

test("RandomSampler: permutations, numSamples beyond n, replacement, reproducible", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 130 }),
      fc.integer(),
      (n, m, seed) => {
        const ds = { length: n };
        const s = [...new RandomSampler(ds, { numSamples: m, generator: new Generator(seed) })];
        assert.equal(s.length, m);
        // torch: num_samples // n whole permutations, then the head of one more.
        for (let k = 0; k + n <= m; k += n)
          assert.deepEqual(
            [...s.slice(k, k + n)].sort((a, b) => a - b),
            [...Array(n).keys()],
          );
        assert.deepEqual(
          [...new RandomSampler(ds, { numSamples: m, generator: new Generator(seed) })],
          s,
        );
        const r = [
          ...new RandomSampler(ds, {
            replacement: true,
            numSamples: m,
            generator: new Generator(seed),
          }),
        ];
        assert.ok(r.length === m && r.every((i) => i >= 0 && i < n));
      },
    ),
    { numRuns: 50 },
  );
  assert.throws(
    () => new RandomSampler({ length: 3 }, { numSamples: 0 }),
    /num_samples should be a positive integer value/,
  );
});

test("SubsetRandomSampler permutes the subset; Sequential and Batch samplers", () => {
  const idx = [3, 7, 11, 19];
  const s = [...new SubsetRandomSampler(idx, { generator: new Generator(2) })];
  assert.deepEqual(
    [...s].sort((a, b) => a - b),
    idx,
  );
  assert.deepEqual([...new SequentialSampler({ length: 4 })], [0, 1, 2, 3]);
  const b = new BatchSampler(new SequentialSampler({ length: 10 }), 4, false);
  assert.equal(b.length, 3);
  assert.deepEqual(
    [...b],
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ],
  );
  assert.deepEqual(
    [...new BatchSampler(new SequentialSampler({ length: 10 }), 4, true)],
    [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ],
  );
});

test("BalancedSampler: every (ratio+1)-th sample positive, lists cycled and reshuffled each epoch", () => {
  // 3 positives among 20 labels.
  const labels = Array.from({ length: 20 }, (_, i) => i === 2 || i === 9 || i === 15);
  const positives = new Set([2, 9, 15]);
  for (const ratio of [1, 2, 4]) {
    const s = new BalancedSampler(labels, {
      ratio,
      numSamples: 60,
      generator: new Generator(ratio),
    });
    const e1 = [...s];
    assert.equal(e1.length, 60);
    e1.forEach((i, k) => {
      assert.equal(positives.has(i), k % (ratio + 1) === 0, `ratio ${ratio}, sample ${k}`);
    });
    // Positives cycle through all three before repeating; negatives through all 17.
    const pos = e1.filter((_, k) => k % (ratio + 1) === 0);
    assert.deepEqual(new Set(pos.slice(0, 3)), positives);
    assert.deepEqual(pos.slice(3, 6), pos.slice(0, 3));
    const neg = e1.filter((_, k) => k % (ratio + 1) !== 0);
    assert.equal(new Set(neg.slice(0, 17)).size, 17);
    assert.deepEqual(neg.slice(17, 34), neg.slice(0, 17).slice(0, neg.slice(17, 34).length));
    const e2 = [...s];
    assert.notDeepEqual(e2, e1, "the lists are reshuffled each epoch");
  }
  const fixed = [...new BalancedSampler(labels, { ratio: 1, numSamples: 6, shuffle: false })];
  // Book's formula, unshuffled: pos[0], neg[0], pos[1], neg[1], pos[2], neg[2].
  assert.deepEqual(fixed, [2, 0, 9, 1, 15, 3]);
  assert.throws(() => new BalancedSampler([0, 0, 0]), /needs both classes/);
});

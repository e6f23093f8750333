// The native multi-tensor SGD kernel: one sgdMany call equals one sgd call per tensor bit for
// bit (first steps, missing momentum buffers, every option, more tensors than one chunk, every
// CPU path), and
// rejects malformed lists without touching anything.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SgdKernelOptions } from "../../src/backend/backend.ts";
import { backend, setBackend } from "../../src/backend/registry.ts";
import { manualSeed, randn } from "../../src/index.ts";
import { addon, forEachConfig, skip } from "./helpers.ts";

function data(shape: number[]): Float32Array {
  return (randn(shape).dataSync() as Float32Array).slice();
}

describe("fused multi-tensor SGD", { skip }, () => {
  setBackend("native");

  it("sgdMany equals one sgd call per tensor, bit for bit", () => {
    const f = backend().fused!;
    const options: Omit<SgdKernelOptions, "firstStep">[] = [
      { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
      { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
      { lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.01, nesterov: true, maximize: false },
      { lr: 0.1, momentum: 0.5, dampening: 0.3, weightDecay: 0.1, nesterov: false, maximize: true },
    ];
    // 70 tensors: more than the addon's chunk of 32 pointer slots.
    const sizes = Array.from({ length: 70 }, (_, i) => [1, 3, 17, 100, 1000, 16, 33][i % 7]!);
    // Every CPU path: the AVX-512 path has its own loop for the common momentum step.
    forEachConfig((label) =>
      options.forEach((o, c) => {
        manualSeed(c);
        const ps = sizes.map((n) => data([n]));
        const gs = sizes.map((n) => data([n]));
        const bs = sizes.map((n, i) =>
          o.momentum === 0 ? null : i % 3 === 0 ? new Float32Array(n) : data([n]),
        );
        const firsts = sizes.map((_, i) => o.momentum !== 0 && i % 3 === 0);
        const ps2 = ps.map((p) => p.slice());
        const bs2 = bs.map((b) => b?.slice() ?? null);
        for (let step = 0; step < 3; step++) {
          const first = firsts.map((x) => x && step === 0);
          f.sgdMany!(ps, gs, bs, first, o);
          ps2.forEach((p, i) => {
            f.sgdMany!([p], [gs[i]!], [bs2[i]!], [first[i]!], o);
          });
          assert.deepEqual(ps, ps2, `${label} options ${c} step ${step}: params`);
          assert.deepEqual(bs, bs2, `${label} options ${c} step ${step}: buffers`);
        }
      }),
    );
  });

  it("an empty list does nothing; malformed lists throw", () => {
    const f = addon as unknown as { sgdMany(list: unknown, ...o: number[]): void };
    f.sgdMany([], 0.1, 0, 1, 0, 0, 0);
    const p = new Float32Array([1, 2, 3]);
    const g = new Float32Array([1, 1, 1]);
    assert.throws(() => f.sgdMany([p, g, null], 0.1, 0, 1, 0, 0, 0), RangeError);
    assert.throws(
      () => f.sgdMany([p, new Float32Array(2), null, 0], 0.1, 0, 1, 0, 0, 0),
      RangeError,
    );
    assert.throws(() => f.sgdMany([p, g, new Float64Array(3), 0], 0.1, 0, 1, 0, 0, 0), RangeError);
    assert.throws(() => f.sgdMany("p", 0.1, 0, 1, 0, 0, 0), RangeError);
    assert.deepEqual(Array.from(p), [1, 2, 3]);
    f.sgdMany([p, g, null, 0], 0.5, 0, 1, 0, 0, 0);
    assert.deepEqual(Array.from(p), [0.5, 1.5, 2.5]);
  });
});

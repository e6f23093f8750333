// Native reduce, cumsum, take and put against the reference backend: every op and dtype, any
// number of kept dims over permuted, negative and stepped views. Float sums may differ from the
// reference by summation order only; everything else matches bit for bit.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDUCE_OPS, type ReduceOp, type View } from "../../src/backend/backend.ts";
import { referenceBackend as ref } from "../../src/backend/reference/index.ts";
import type { DType } from "../../src/core/dtype.ts";
import {
  alloc,
  close,
  copyView,
  DTYPES,
  firstDiff,
  LAYOUTS,
  native,
  randomShape,
  randomView,
  rng,
  sameValue,
  skip,
} from "./helpers.ts";

/** The output dtype ops/reduce.ts uses for each reduction. */
function outDtype(op: ReduceOp, d: DType): DType {
  if (op === "argmax" || op === "argmin") return "int32";
  if (op === "any" || op === "all") return "bool";
  if ((op === "sum" || op === "prod") && (d === "bool" || d === "int32")) return "int32";
  return d;
}

function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A random permutation of a view's dims (what ops do before reducing). */
function permuted(v: View, r: () => number): View {
  const order = [...v.shape.keys()].sort(() => r() - 0.5);
  return { ...v, shape: order.map((i) => v.shape[i]!), strides: order.map((i) => v.strides[i]!) };
}

describe("native reductions and indexing match the reference", { skip }, () => {
  it("reduce: every op and dtype, any kept dims and layout", () => {
    const r = rng(10);
    const shapes = [
      ...Array.from({ length: 14 }, () => randomShape(r, 4, 6)),
      [64, 128],
      [3, 300],
      [300, 3],
      [2, 3, 0],
    ];
    for (const op of REDUCE_OPS) {
      for (const d of DTYPES) {
        for (const shape of shapes) {
          const x = permuted(randomView(d, shape, LAYOUTS[Math.floor(r() * 4)]!, r), r);
          for (let kept = 0; kept <= x.shape.length; kept++) {
            if (
              op !== "sum" &&
              op !== "prod" &&
              op !== "any" &&
              op !== "all" &&
              numel(x.shape.slice(kept)) === 0
            )
              continue;
            const od = outDtype(op, d);
            const n = numel(x.shape.slice(0, kept));
            const o1 = alloc(od, n);
            const o2 = alloc(od, n);
            ref.reduce(op, x, kept, o1);
            native!.reduce(op, x, kept, o2);
            const inexact = op === "sum" && (d === "float32" || d === "float64");
            const eq = inexact
              ? (a: number, b: number) => close(a, b, od, 2) || Math.abs(a - b) < 1e-12
              : sameValue;
            const i = firstDiff(o2, o1, eq);
            assert.equal(
              i,
              -1,
              `${op} ${d} [${x.shape}] strides [${x.strides}] kept ${kept}: ${o2[i]} vs ${o1[i]}`,
            );
          }
        }
      }
    }
  });

  it("reduce over a unit-stride kept dim (the column path) is bitwise", () => {
    const r = rng(11);
    for (const d of ["float32", "float64"] as const) {
      const x = randomView(d, [64, 300], "contiguous", r);
      const t = { ...x, shape: [300, 64], strides: [1, 300] };
      const o1 = alloc(d, 300);
      const o2 = alloc(d, 300);
      ref.reduce("sum", t, 1, o1);
      native!.reduce("sum", t, 1, o2);
      assert.equal(firstDiff(o2, o1, sameValue), -1);
    }
  });

  it("cumsum: every dtype and layout", () => {
    const r = rng(12);
    for (const d of DTYPES) {
      for (let k = 0; k < 12; k++) {
        const shape = randomShape(r, 3, 9);
        const x = randomView(d, shape, LAYOUTS[Math.floor(r() * 5)]!, r);
        const od = d === "bool" ? "int32" : d;
        const o1 = alloc(od, numel(shape));
        const o2 = alloc(od, numel(shape));
        ref.cumsum(x, o1);
        native!.cumsum(x, o2);
        assert.equal(firstDiff(o2, o1, sameValue), -1, `cumsum ${d} [${shape}]`);
      }
    }
  });

  it("take and put (with and without accumulate, duplicate indices): every dtype and layout", () => {
    const r = rng(13);
    for (const d of DTYPES) {
      for (let k = 0; k < 16; k++) {
        const shape = randomShape(r, 3, 6);
        const n = numel(shape);
        const layout = LAYOUTS[Math.floor(r() * 4)]!;
        const x = randomView(d, shape, layout, r);
        const index = Int32Array.from({ length: 1 + Math.floor(r() * 20) }, () =>
          Math.floor(r() * n),
        );
        const o1 = alloc(d, index.length);
        const o2 = alloc(d, index.length);
        ref.take(x, index, o1);
        native!.take(x, index, o2);
        assert.equal(firstDiff(o2, o1, sameValue), -1, `take ${d} [${shape}] ${layout}`);
        const values = randomView(d, [index.length], "contiguous", r);
        for (const acc of [false, true]) {
          const t1 = copyView(x);
          const t2 = copyView(x);
          ref.put(t1, index, values, acc);
          native!.put(t2, index, values, acc);
          assert.equal(
            firstDiff(t2.data, t1.data, sameValue),
            -1,
            `put ${d} [${shape}] ${layout} acc=${acc}`,
          );
        }
      }
    }
  });
});

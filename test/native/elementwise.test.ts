// Native unary, binary and where kernels against the reference backend: every op, every dtype
// pair the kernels take, odd shapes, transposed, negative, stepped and zero strides, every CPU
// path, 1 and 2 threads. Results must match bit for bit, except transcendental functions (C's
// libm vs V8's fdlibm), which may differ in the last place.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BINARY_OPS, UNARY_OPS } from "../../src/backend/backend.ts";
import { referenceBackend as ref } from "../../src/backend/reference/index.ts";
import type { DType } from "../../src/core/dtype.ts";
import { INEXACT_BINARY, INEXACT_UNARY } from "../backend/primitives.ts";
import {
  close,
  copyView,
  DTYPES,
  firstDiff,
  forEachConfig,
  LAYOUTS,
  native,
  outView,
  randomShape,
  randomView,
  rng,
  sameValue,
  skip,
} from "./helpers.ts";

const FLOATS: readonly DType[] = ["float32", "float64"];

function check(
  what: string,
  outDtype: DType,
  inexact: boolean,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  cancels = false,
): void {
  // logaddexp cancels when max(a, b) < 0: its errors are ulps of values up to ln 2, not of the
  // result, so they are measured in ulps of 1.
  const unit = outDtype === "float32" ? 2 ** -23 : 2 ** -52;
  const eq =
    inexact && outDtype !== "bool" && outDtype !== "int32"
      ? (a: number, b: number) =>
          close(a, b, outDtype, 4) || (cancels && Math.abs(a - b) <= 4 * unit)
      : sameValue;
  const i = firstDiff(got, want, eq);
  assert.equal(i, -1, `${what}: element ${i}: native ${got[i]} vs reference ${want[i]}`);
}

const SHAPES = (r: () => number) => [
  ...Array.from({ length: 6 }, () => randomShape(r)),
  [],
  [1],
  [37],
  [5, 67],
  [3, 1, 129],
];

describe("native elementwise kernels match the reference", { skip }, () => {
  it("unary: every op, input dtype, output dtype and layout", () => {
    const r = rng(1);
    forEachConfig((cfg) => {
      for (const op of UNARY_OPS) {
        const inexact = INEXACT_UNARY.has(op);
        for (const din of DTYPES) {
          const outs = inexact ? FLOATS : DTYPES;
          for (const dout of outs) {
            for (const shape of SHAPES(r).slice(0, 6)) {
              const layout = LAYOUTS[Math.floor(r() * LAYOUTS.length)]!;
              const x = randomView(din, shape, layout, r);
              const o1 = outView(dout, shape, LAYOUTS[Math.floor(r() * 4)]!, r);
              const o2 = copyView(o1);
              ref.unary(op, x, o1);
              native!.unary(op, x, o2);
              check(
                `${cfg} ${op} ${din}->${dout} [${shape}] ${layout}`,
                dout,
                inexact,
                o2.data,
                o1.data,
              );
            }
          }
        }
      }
    }, false);
  });

  it("binary: every op, dtype, output dtype and broadcast layout", () => {
    const r = rng(2);
    forEachConfig((cfg) => {
      for (const op of BINARY_OPS) {
        const inexact = INEXACT_BINARY.has(op);
        for (const din of DTYPES) {
          for (const dout of inexact ? FLOATS : DTYPES) {
            for (const shape of SHAPES(r)) {
              const la = LAYOUTS[Math.floor(r() * LAYOUTS.length)]!;
              const lb = LAYOUTS[Math.floor(r() * LAYOUTS.length)]!;
              const a = randomView(din, shape, la, r);
              const b = randomView(din, shape, lb, r);
              const o1 = outView(dout, shape, LAYOUTS[Math.floor(r() * 4)]!, r);
              const o2 = copyView(o1);
              ref.binary(op, a, b, o1);
              native!.binary(op, a, b, o2);
              check(
                `${cfg} ${op} ${din}->${dout} [${shape}] ${la}/${lb}`,
                dout,
                inexact,
                o2.data,
                o1.data,
                op === "logaddexp",
              );
            }
          }
        }
      }
    }, false);
  });

  it("where: every dtype and layout", () => {
    const r = rng(3);
    forEachConfig((cfg) => {
      for (const d of DTYPES) {
        for (const shape of SHAPES(r)) {
          const c = randomView("bool", shape, LAYOUTS[Math.floor(r() * 5)]!, r);
          const a = randomView(d, shape, LAYOUTS[Math.floor(r() * 5)]!, r);
          const b = randomView(d, shape, LAYOUTS[Math.floor(r() * 5)]!, r);
          const o1 = outView(d, shape, LAYOUTS[Math.floor(r() * 4)]!, r);
          const o2 = copyView(o1);
          ref.where(c, a, b, o1);
          native!.where(c, a, b, o2);
          check(`${cfg} where ${d} [${shape}]`, d, false, o2.data, o1.data);
        }
      }
    }, false);
  });

  it("large tensors, split between threads, in every layout", () => {
    // From 2^18 elements the outermost dimension is shared out between threads; odd extents
    // leave the threads unequal shares.
    const r = rng(5);
    forEachConfig((cfg) => {
      for (const shape of [
        [3, 299, 301],
        [1025, 257],
        [2, 1, 262147],
      ]) {
        for (const layout of LAYOUTS) {
          const a = randomView("float32", shape, layout, r);
          const b = randomView("float32", shape, LAYOUTS[Math.floor(r() * 5)]!, r);
          const c = randomView("bool", shape, LAYOUTS[Math.floor(r() * 5)]!, r);
          const o1 = outView("float32", shape, layout, r);
          for (const [what, run] of [
            ["relu", (k: typeof ref, o: typeof o1) => k.unary("relu", a, o)],
            ["mul", (k: typeof ref, o: typeof o1) => k.binary("mul", a, b, o)],
            ["where", (k: typeof ref, o: typeof o1) => k.where(c, a, b, o)],
          ] as const) {
            const o2 = copyView(o1);
            run(ref, o1);
            run(native!, o2);
            check(`${cfg} ${what} [${shape}] ${layout}`, "float32", false, o2.data, o1.data);
          }
        }
      }
    }, false);
  });

  it("in-place writes into the input itself match", () => {
    const r = rng(4);
    for (const d of DTYPES) {
      const x1 = randomView(d, [9, 13], "contiguous", r);
      const x2 = copyView(x1);
      ref.binary("add", x1, x1, x1);
      native!.binary("add", x2, x2, x2);
      check(`add_ ${d}`, d, false, x2.data, x1.data);
    }
  });

  it("rejects views that reach outside their array", () => {
    const x = { data: new Float32Array(39), shape: [40], strides: [1], offset: 0 };
    const o = { data: new Float32Array(40), shape: [40], strides: [1], offset: 0 };
    assert.throws(() => native!.unary("neg", x, o), /outside/);
  });
});

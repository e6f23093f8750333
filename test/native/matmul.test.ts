// Native batched matmul (SGEMM/DGEMM and the exact int32 path) against the reference: odd and
// skinny shapes, transposed, negative-stride and broadcast (zero batch stride) operands, every
// CPU path this machine has, 1 and 2 threads. Float results agree to summation-order rounding.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { View } from "../../src/backend/backend.ts";
import { referenceBackend as ref } from "../../src/backend/reference/index.ts";
import type { DType } from "../../src/core/dtype.ts";
import { alloc, fill, forEachConfig, native, rng, sameValue, skip } from "./helpers.ts";

type Trans = "n" | "t" | "neg" | "bcast";

/** A [B, R, C] operand laid out as asked: row-major, transposed storage, flipped rows, or one
 * matrix shared by every batch (zero batch stride). */
function operand(dtype: DType, B: number, R: number, C: number, how: Trans, r: () => number): View {
  const off = 1;
  const nb = how === "bcast" ? 1 : B;
  const data = alloc(dtype, off + nb * R * C + 2);
  fill(data, r, false);
  const bs = how === "bcast" ? 0 : R * C;
  if (how === "t") return { data, shape: [B, R, C], strides: [bs, 1, R], offset: off };
  if (how === "neg")
    return { data, shape: [B, R, C], strides: [bs, -C, 1], offset: off + (R - 1) * C };
  return { data, shape: [B, R, C], strides: [bs, C, 1], offset: off };
}

function absView(v: View): View {
  return { ...v, data: v.data.map(Math.abs) as View["data"] };
}

function check(
  dtype: DType,
  B: number,
  M: number,
  K: number,
  N: number,
  ta: Trans,
  tb: Trans,
  r: () => number,
  cfg: string,
): void {
  const a = operand(dtype, B, M, K, ta, r);
  const b = operand(dtype, B, K, N, tb, r);
  const want = alloc(dtype, B * M * N);
  const got = alloc(dtype, B * M * N).fill(7);
  ref.matmul(a, b, want);
  native!.matmul(a, b, got);
  const what = `${cfg} ${dtype} ${B}x${M}x${K}x${N} ${ta}${tb}`;
  if (dtype === "int32") {
    for (let i = 0; i < want.length; i++)
      assert.ok(sameValue(got[i]!, want[i]!), `${what} at ${i}`);
    return;
  }
  const bound = alloc("float64", B * M * N);
  ref.matmul(absView(a), absView(b), bound);
  const tol = dtype === "float32" ? 2e-6 : 1e-14;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!);
    assert.ok(
      err <= tol * (bound[i]! + 1e-30) * Math.sqrt(K + 1),
      `${what} at ${i}: ${got[i]} vs ${want[i]}`,
    );
  }
}

const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [1, 1, 4, 8],
  [1, 3, 5, 7],
  [2, 9, 17, 33],
  [1, 64, 128, 10],
  [1, 13, 300, 3],
  [1, 70, 37, 65],
  [3, 8, 0, 5],
  [1, 128, 64, 128],
  [2, 100, 150, 70],
  [1, 150, 70, 130],
  [1, 33, 520, 47],
  // Products below the one-thread threshold (2^20 multiply-adds) whose batch is above it: threads
  // take whole products (attention's per-head matmuls).
  [24, 40, 33, 50],
  // More rows than columns: threads split the rows; and more than 64 rows, so B is packed.
  [1, 390, 30, 100],
];
const TRANS: [Trans, Trans][] = [
  ["n", "n"],
  ["t", "n"],
  ["n", "t"],
  ["t", "t"],
  ["neg", "bcast"],
  ["bcast", "neg"],
];

describe("native matmul matches the reference", { skip }, () => {
  it("float32 and float64: shapes x transposes x CPU paths x threads", () => {
    const r = rng(20);
    forEachConfig((cfg) => {
      for (const dtype of ["float32", "float64"] as const) {
        for (const [B, M, K, N] of SHAPES) {
          for (const [ta, tb] of TRANS) check(dtype, B, M, K, N, ta, tb, r, cfg);
        }
      }
    });
  });

  it("int32 is exact", () => {
    const r = rng(21);
    for (const [B, M, K, N] of SHAPES.slice(0, 8)) {
      for (const [ta, tb] of TRANS) check("int32", B, M, K, N, ta, tb, r, "int32");
    }
  });

  it("a large product split across threads equals the one-thread result's tolerance", () => {
    const r = rng(22);
    forEachConfig((cfg) => check("float32", 1, 257, 300, 515, "n", "n", r, cfg));
  });
});

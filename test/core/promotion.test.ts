// Type promotion against torch.result_type for every dtype pair: tensor/tensor, tensor/0-d,
// 0-d/0-d and tensor/scalar (int, float and bool scalars), both through resultType and
// through the dtype an actual binary op produces.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fixture } from "./helpers.ts";
import { type DType, ones, resultType, type Tensor } from "./kiln.ts";

interface Side {
  dtype: DType;
  kind: "dim" | "zerodim";
}
type Row = { a: Side; result: DType } & ({ b: Side } | { scalar: number | boolean });

const rows = fixture<Row[]>("promotion");

function make(s: Side): Tensor {
  return ones(s.kind === "dim" ? [2] : [], { dtype: s.dtype });
}

function describeRow(r: Row): string {
  const b = "b" in r ? `${r.b.kind} ${r.b.dtype}` : `scalar ${r.scalar}`;
  return `${r.a.kind} ${r.a.dtype} with ${b}`;
}

describe("type promotion (torch.result_type)", () => {
  test("resultType matches PyTorch for every pair", () => {
    for (const r of rows) {
      const b =
        "b" in r
          ? r.b
          : {
              dtype: (typeof r.scalar === "boolean"
                ? "bool"
                : Number.isInteger(r.scalar)
                  ? "int32"
                  : "float32") as DType,
              kind: "scalar" as const,
            };
      assert.equal(resultType([r.a, b]), r.result, describeRow(r));
    }
  });

  test("mul and add produce the promoted dtype", () => {
    for (const r of rows) {
      const a = make(r.a);
      const b = "b" in r ? make(r.b) : r.scalar;
      assert.equal(a.mul(b).dtype, r.result, `mul: ${describeRow(r)}`);
      assert.equal(a.add(b).dtype, r.result, `add: ${describeRow(r)}`);
    }
  });

  test("comparisons give bool and div gives a float for every pair", () => {
    for (const r of rows) {
      const a = make(r.a);
      const b = "b" in r ? make(r.b) : r.scalar;
      assert.equal(a.lt(b).dtype, "bool", describeRow(r));
      // torch.div promotes, then integral results become the default float dtype.
      const expected = r.result === "float64" ? "float64" : "float32";
      assert.equal(a.div(b).dtype, expected, `div: ${describeRow(r)}`);
    }
  });
});

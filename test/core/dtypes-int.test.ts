// The integer dtypes int64, uint8, int8 and int16 against PyTorch 1.13 (tools/golden/dtypes_int.py
// writes test/golden/core/dtypes_int.json): promotion for every dtype pair, result types with
// scalars and 0-d tensors, integer arithmetic (wrap-around, floor division, casts), exact int64
// storage beyond 2^53, and the errors where Kiln refuses rather than rounds.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import {
  type DType,
  DTypeError,
  fromTypedArray,
  full,
  promoteTypes,
  resultType,
  type Tensor,
  tensor,
  ValueError,
  where,
  zeros,
} from "./kiln.ts";

interface Values {
  dtype: DType;
  shape: number[];
  values: (number | boolean | string)[];
}
interface Golden {
  promote_types: Record<DType, Record<DType, DType>>;
  result_type: {
    tensor: DType;
    scalar?: "int" | "float" | "bool";
    value?: number | boolean;
    zerodim?: DType;
    result: DType;
  }[];
  arithmetic: { name: string; inputs: (Values | number)[]; output: Values }[];
  ints_fixture: Record<string, Values>;
}
const golden = JSON.parse(
  readFileSync(new URL("../golden/core/dtypes_int.json", import.meta.url), "utf8"),
) as Golden;

/** A golden tensor as a Kiln tensor: int64 values (strings in the JSON) through bigints. */
function fromGolden(v: Values): Tensor {
  if (v.dtype === "int64") {
    const big = BigInt64Array.from(v.values as string[], (s) => BigInt(s));
    return tensor(big).reshape(v.shape);
  }
  return tensor(v.values as number[], { dtype: v.dtype }).reshape(v.shape);
}

/** A tensor's values as strings (int64 exactly) or numbers/booleans. */
function valuesOf(t: Tensor): (number | boolean | string)[] {
  const flat = t.contiguous().dataSync() as ArrayLike<number | bigint>;
  return Array.from(flat, (v) =>
    typeof v === "bigint" ? String(v) : t.dtype === "bool" ? v !== 0 : v,
  );
}

const floorDiv = (a: Tensor, s: number) => a.floorDivide(s);
// Each golden case's PyTorch expression, in Kiln (the same names as in dtypes_int.py).
const OPS: Record<string, (...a: Tensor[]) => Tensor> = {
  "add scalar": (a) => a.add(100),
  "add self": (a) => a.add(a),
  "sub scalar": (a) => a.sub(201),
  "mul scalar": (a) => a.mul(3),
  neg: (a) => a.neg(),
  floor_divide: (a) => floorDiv(a, 3),
  remainder: (a) => a.remainder(5),
  "true divide": (a) => a.div(2),
  gt: (a) => a.gt(7),
  sum: (a) => a.sum(),
  max: (a) => a.max(),
  "to float32": (a) => a.float(),
  "add float scalar": (a) => a.add(0.5),
  "uint8 + int8": (a, b) => a.add(b),
  "uint8 - int8": (a, b) => a.sub(b),
  "int8 * int16": (a, b) => a.mul(b),
  "uint8 + int64": (a, b) => a.add(b),
  "int64 add": (a) => a.add(1),
  "int64 mul": (a) => a.mul(a),
  "int64 neg": (a) => a.neg(),
  "int64 abs": (a) => a.abs(),
  "int64 floor_divide": (a) => floorDiv(a, 4),
  "int64 trunc divide": (a) => a.div(4).trunc().long(),
  "int64 remainder": (a) => a.remainder(4),
  "int64 remainder negative": (a) => a.remainder(-4),
  "int64 true divide": (a) => a.div(4),
  "int64 sum": (a) => a.sum(),
  "int64 cumsum": (a) => a.cumsum(0),
  "int64 max": (a) => a.max(),
  "int64 argmax": (a) => a.argmax(),
  "int64 sort": (a) => a.sort().values,
  "int64 eq": (a) => a.eq(7),
  "int64 clamp": (a) => a.clamp(-5, 5),
  "int64 pow": (a) => a.pow(2),
  "int64 matmul": (a) => a.reshape([2, 3]).matmul(a.reshape([3, 2])),
  "int64 where": (a) => where(a.gt(0), a, a.neg()),
  "int32 + int64": (a, b) => a.add(b),
  "int64 + float": (a) => a.add(0.5),
  "int64 to float64": (a) => a.double(),
  "int64 to int32": (a) => a.int(),
  "int64 to uint8": (a) => a.byte(),
  "int64 to int8": (a) => a.char(),
  "int32 to int16": (a) => a.short(),
  "float to int64": (a) => a.long(),
  "float to uint8": (a) => a.byte(),
  "float to int8": (a) => a.char(),
  "bool to int64": (a) => a.long(),
};

describe("integer dtypes against PyTorch", () => {
  test("promoteTypes equals torch.promote_types for every pair of dtypes", () => {
    for (const [a, row] of Object.entries(golden.promote_types)) {
      for (const [b, want] of Object.entries(row)) {
        assert.equal(promoteTypes(a as DType, b as DType), want, `${a} with ${b}`);
      }
    }
  });

  test("resultType with JS scalars and 0-d tensors equals torch.result_type", () => {
    for (const c of golden.result_type) {
      const ops = [{ dtype: c.tensor, kind: "dim" as const }];
      let want = c.result;
      if (c.zerodim !== undefined) {
        ops.push({ dtype: c.zerodim, kind: "zerodim" as never });
      } else {
        const s = c.scalar === "int" ? "int32" : c.scalar === "float" ? "float32" : "bool";
        ops.push({ dtype: s, kind: "scalar" as never });
        // A bool tensor with a Python int is int64 in PyTorch (its default integer dtype);
        // Kiln's default integer dtype is int32 (shared/API.md).
        if (c.tensor === "bool" && c.scalar === "int") want = "int32";
      }
      assert.equal(resultType(ops), want, JSON.stringify(c));
    }
  });

  test("integer arithmetic and casts give PyTorch's values and dtypes", () => {
    let ran = 0;
    for (const c of golden.arithmetic) {
      const key = c.name in OPS ? c.name : Object.keys(OPS).find((k) => c.name.endsWith(` ${k}`));
      assert.ok(key !== undefined, `no Kiln expression for "${c.name}"`);
      const inputs = c.inputs.map((v) => fromGolden(v as Values));
      const y = OPS[key]!(...inputs);
      let want = c.output.dtype;
      // Kiln sums bool and the integer dtypes but int64 into int32 (its default integer dtype).
      if (key === "sum" && want === "int64") want = "int32";
      assert.equal(y.dtype, want, `${c.name}: dtype`);
      assert.deepEqual([...y.shape], c.output.shape, `${c.name}: shape`);
      const got = valuesOf(y);
      const exp = c.output.values.map((v) =>
        want === "int64" ? String(v) : typeof v === "string" ? Number(v) : v,
      );
      if (want === "float32" || want === "float64") {
        got.forEach((g, i) => {
          const e = exp[i] as number;
          assert.ok(Math.abs((g as number) - e) <= 1e-6 * Math.abs(e), `${c.name}[${i}]`);
        });
      } else assert.deepEqual(got, exp, c.name);
      ran++;
    }
    assert.equal(ran, golden.arithmetic.length);
  });
});

describe("int64 is exact", () => {
  test("bigint literals and BigInt64Arrays store and read back any int64", () => {
    const want = golden.ints_fixture.long!;
    const t = tensor(want.values.map((s) => BigInt(s as string)));
    assert.equal(t.dtype, "int64");
    assert.deepEqual(valuesOf(t), want.values);
    // movement (clone, contiguous of a view, flip through take) keeps every bit
    assert.deepEqual(valuesOf(t.clone()), want.values);
    assert.deepEqual(valuesOf(t.flip(0).flip(0)), want.values);
    assert.deepEqual(valuesOf(t.reshape([7, 1]).t().contiguous()), want.values);
    assert.deepEqual(valuesOf(t.index(tensor([6, 0]))), [want.values[6], want.values[0]]);
  });

  test("numbers within ±(2^53 − 1) are exact; beyond, tensor() refuses and asks for a bigint", () => {
    const max = Number.MAX_SAFE_INTEGER;
    assert.deepEqual(valuesOf(tensor([max, -max], { dtype: "int64" })), [
      "9007199254740991",
      "-9007199254740991",
    ]);
    assert.throws(() => tensor([2 ** 60], { dtype: "int64" }), /bigint/);
    assert.throws(() => tensor([2 ** 64], { dtype: "int64" }), ValueError);
    assert.throws(() => tensor([2n ** 63n]), /int64 without overflow/);
  });

  test('inferred int32 never wraps: it throws and names { dtype: "int64" }', () => {
    assert.throws(
      () => tensor([3_000_000_000]),
      (e: unknown) => {
        return e instanceof ValueError && /dtype: "int64"/.test(e.message);
      },
    );
    assert.deepEqual(tensor([3_000_000_000], { dtype: "int64" }).tolist(), [3_000_000_000]);
  });

  test("computing on a value beyond ±2^53 throws a DTypeError instead of rounding", () => {
    const big = tensor([2n ** 62n, 1n]);
    assert.throws(
      () => big.add(1),
      (e: unknown) => e instanceof DTypeError && /2\^53/.test(e.message),
    );
    // a result beyond the range throws too (2^52 · 4 = 2^54)
    const x = tensor([2 ** 52], { dtype: "int64" });
    assert.throws(() => x.mul(4), DTypeError);
    assert.throws(() => big.item === undefined || big.index(0).item(), DTypeError);
    assert.throws(() => big.tolist(), /dataSync/);
    assert.equal(big.index(1).item(), 1);
  });

  test("casts of any int64 are PyTorch's: floats round to nearest, narrower ints wrap", () => {
    // 2^60 + 3 → int32 keeps the low 32 bits (3), as PyTorch's static_cast; → float64 rounds
    // to the nearest double (2^60); −2^63 → int16 is 0, → bool true.
    const big = tensor([2n ** 60n + 3n, -(2n ** 63n)]);
    assert.deepEqual(big.int().tolist(), [3, 0]);
    assert.deepEqual(big.double().tolist(), [2 ** 60, -(2 ** 63)]);
    assert.deepEqual(big.short().tolist(), [3, 0]);
    assert.deepEqual(big.bool().tolist(), [true, true]);
  });

  test("integer division by zero and negative powers throw, as PyTorch", () => {
    const a = tensor([5, -3], { dtype: "int64" });
    assert.throws(() => a.floorDivide(0), /division|remainder by zero/);
    assert.throws(() => a.remainder(0), /by zero/);
    assert.throws(() => a.pow(-1), /negative integer powers/);
  });

  test("item(), tolist(), type(), elementSize() and the cast methods", () => {
    const a = tensor([1, 2], { dtype: "int64" });
    assert.equal(a.sum().item(), 3);
    assert.equal(a.type(), "torch.LongTensor");
    assert.equal(a.elementSize(), 8);
    assert.equal(a.byte().type(), "torch.ByteTensor");
    assert.equal(a.char().type(), "torch.CharTensor");
    assert.equal(a.short().type(), "torch.ShortTensor");
    assert.equal(a.short().elementSize(), 2);
    assert.equal(tensor([1.9]).long().dtype, "int64");
    assert.equal(a.to("uint8").dtype, "uint8");
    assert.equal(a.long(), a, "long() of an int64 tensor is itself, as PyTorch");
  });

  test("factories take the integer dtypes", () => {
    assert.deepEqual(valuesOf(zeros([2], { dtype: "int64" })), ["0", "0"]);
    assert.deepEqual(valuesOf(full([2], 7, { dtype: "int64" })), ["7", "7"]);
    assert.deepEqual(valuesOf(full([2], 255, { dtype: "uint8" })), [255, 255]);
    assert.throws(() => full([1], 300, { dtype: "uint8" }), /uint8 without overflow/);
    assert.throws(() => tensor([300], { dtype: "uint8" }), /uint8 without overflow/);
    assert.throws(() => tensor([-129], { dtype: "int8" }), /int8 without overflow/);
  });
});

describe("uint8 is not bool", () => {
  test("a uint8 tensor computes as integers where a bool one is logical", () => {
    const u = tensor([1, 2], { dtype: "uint8" });
    assert.deepEqual(u.add(u).tolist(), [2, 4]);
    assert.deepEqual(u.sum().item(), 3);
    // a plain Uint8Array is still bool
    assert.equal(fromTypedArray(new Uint8Array([1, 0])).dtype, "bool");
    assert.equal(tensor([true, false]).byte().dtype, "uint8");
    // with { dtype: "uint8" } a Uint8Array's bytes are the values (not booleans)
    assert.deepEqual(tensor(new Uint8Array([200, 1]), { dtype: "uint8" }).tolist(), [200, 1]);
  });
});

describe("indices and labels accept int64", () => {
  test("gather, scatter, indexSelect and advanced indexing take int64 indices", () => {
    const x = tensor([
      [1.5, 2],
      [3, 4],
    ]);
    const i64 = (v: number[][] | number[]) => tensor(v, { dtype: "int64" });
    assert.deepEqual(x.gather(1, i64([[1], [0]])).tolist(), [[2], [3]]);
    assert.deepEqual(x.indexSelect(0, i64([1])).tolist(), [[3, 4]]);
    assert.deepEqual(x.index(i64([1, 0])).tolist(), [
      [3, 4],
      [1.5, 2],
    ]);
    assert.deepEqual(
      zeros(2, 3)
        .scatter(1, i64([[1], [0]]), 5)
        .tolist(),
      [
        [0, 5, 0],
        [5, 0, 0],
      ],
    );
    // an index beyond int32 is out of bounds of any dimension
    assert.throws(() => x.index(tensor([2n ** 40n])), /out of bounds/);
  });
});

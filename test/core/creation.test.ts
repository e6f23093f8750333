// Creation functions against PyTorch: shapes, dtypes (int32 standing for int64) and values.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assertTensor, dec, type Enc, fixture } from "./helpers.ts";
import {
  arange,
  type DType,
  eye,
  fromTypedArray,
  full,
  linspace,
  ones,
  onesLike,
  type Tensor,
  tensor,
  zeros,
  zerosLike,
} from "./kiln.ts";

interface CreationCase {
  fn: string;
  args: unknown[];
  options: { dtype?: DType };
  out: Enc;
}

type Fn = (args: unknown[], o: { dtype?: DType }) => Tensor;
const n = (v: unknown) => v as number;
const FNS: Record<string, Fn> = {
  zeros: ([s], o) => zeros(s as number[], o),
  ones: ([s], o) => ones(s as number[], o),
  full: ([s, v], o) => full(s as number[], v as number, o),
  arange: (a, o) =>
    a.length === 1 ? arange(n(a[0]), undefined, o) : arange(n(a[0]), n(a[1]), n(a[2] ?? 1), o),
  linspace: ([a, b, k], o) => linspace(n(a), n(b), n(k), o),
  eye: (a, o) => (a.length === 1 ? eye(n(a[0]), o) : eye(n(a[0]), n(a[1]), o)),
  tensor: ([d], o) => tensor(d as number[], o),
  zerosLike: ([t], o) => zerosLike(dec((t as { tensor: Enc }).tensor), o),
  onesLike: ([t], o) => onesLike(dec((t as { tensor: Enc }).tensor), o),
};

describe("creation goldens", () => {
  for (const c of fixture<CreationCase[]>("creation")) {
    const name = `${c.fn}(${JSON.stringify(c.args)}, ${JSON.stringify(c.options)})`;
    test(name, () => assertTensor(FNS[c.fn]!(c.args, c.options), c.out, name));
  }

  test("size arguments: varargs and arrays", () => {
    assert.deepEqual(zeros(2, 3).shape, [2, 3]);
    assert.deepEqual(ones([2, 3], { dtype: "int32" }).dtype, "int32");
    assert.deepEqual(zeros().shape, []);
  });

  test("fromTypedArray shares memory; tensor copies", () => {
    const data = new Float32Array(6);
    const t = fromTypedArray(data, [2, 3]);
    data[4] = 5;
    assert.equal(t.index(1, 1).item(), 5);
    const c = tensor(data);
    data[0] = 1;
    assert.equal(c.index(0).item(), 0);
  });
});

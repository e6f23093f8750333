// float16 and bfloat16 as storage dtypes (issue 13, item 2): conversions bit-exact against
// PyTorch (tools/golden/half.py), Module.half() / bfloat16() keep the Parameter objects, the
// result saves as F16 / HalfStorage, and computing on them throws instead of guessing.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  DTypeError,
  fromTypedArray,
  io,
  nn,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";
import { loadGolden } from "./golden.ts";

interface Golden {
  f16_values: string;
  bf16_values: string;
  f32: string;
  f32_f16: number[];
  f32_bf16: number[];
  f64: string;
  f64_f16: number[];
  f64_bf16: number[];
  linear_f32: Record<string, string>;
  linear_f16_bits: Record<string, number[]>;
  linear_repr_weight: string;
}

const g = loadGolden<Golden>("../core/half.json");

function bytes(b64: string): ArrayBuffer {
  const buf = Buffer.from(b64, "base64");
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}
const f32 = (b64: string) => new Float32Array(bytes(b64));
const f64 = (b64: string) => new Float64Array(bytes(b64));
const bitsOf = (t: Tensor) => Array.from(t.dataSync());

describe("float16 and bfloat16 conversions equal PyTorch's bit for bit", () => {
  it("every one of the 65536 patterns of each decodes to PyTorch's value", () => {
    for (const [dtype, values] of [
      ["float16", f32(g.f16_values)],
      ["bfloat16", f32(g.bf16_values)],
    ] as const) {
      // the pattern tensor: uint16 bits 0..65535 cast from float32 would round; build them by
      // converting each expected value back, then compare the decoded value of every pattern
      const decoded = tensor(Array.from(values), { dtype: "float32" }).to(dtype).float();
      const got = decoded.dataSync();
      for (let i = 0; i < values.length; i++) {
        const want = values[i]!;
        if (Number.isNaN(want)) assert.ok(Number.isNaN(got[i]!), `${dtype} ${i}`);
        else assert.ok(Object.is(got[i], want), `${dtype} pattern ${i}: ${got[i]} != ${want}`);
      }
    }
  });

  it("float32 and float64 values round to nearest even as .half() / .bfloat16()", () => {
    const x32 = fromTypedArray(f32(g.f32));
    assert.deepEqual(bitsOf(x32.half()), g.f32_f16);
    assert.deepEqual(bitsOf(x32.bfloat16()), g.f32_bf16);
    // float64 goes through float32 first, as c10::Half(float): 1 + 2^-11 ± 2^-40 both tie
    const x64 = fromTypedArray(f64(g.f64));
    assert.deepEqual(bitsOf(x64.half()), g.f64_f16);
    assert.deepEqual(bitsOf(x64.bfloat16()), g.f64_bf16);
  });

  it("casts between the two and to int32 and bool go through the value", () => {
    const x = tensor([1.5, -2.75, 0, 1000.5]).half();
    assert.deepEqual(x.to("int32").toArray(), [1, -2, 0, 1000]);
    assert.deepEqual(x.bool().toArray(), [true, true, false, true]);
    // 1000.5 in bfloat16 (8 mantissa bits) is 1000
    assert.deepEqual(x.bfloat16().float().toArray(), [1.5, -2.75, 0, 1000]);
    // strided views convert through their strides
    const m = tensor([
      [1, 2],
      [3, 4],
    ]).float();
    assert.deepEqual(m.t().half().toArray(), [
      [1, 3],
      [2, 4],
    ]);
    assert.deepEqual(m.half().t().contiguous().float().toArray(), [
      [1, 3],
      [2, 4],
    ]);
  });
});

describe("Module.half() and Module.bfloat16()", () => {
  function linear(): nn.Linear {
    const lin = new nn.Linear(3, 2);
    lin.loadStateDict(
      Object.fromEntries(
        Object.entries(g.linear_f32).map(([k, v]) => [
          k,
          fromTypedArray(f32(v), k.endsWith("weight") ? [2, 3] : [2]),
        ]),
      ),
    );
    return lin;
  }

  it("casts parameters in place to PyTorch's bits, keeping the Parameter objects", () => {
    const lin = linear();
    const w = lin.weight;
    assert.equal(lin.half(), lin);
    assert.equal(lin.weight, w);
    assert.equal(w.dtype, "float16");
    for (const [k, bits] of Object.entries(g.linear_f16_bits)) {
      assert.deepEqual(bitsOf(lin.stateDict()[k]!), bits, k);
    }
    assert.equal(String(lin.weight), g.linear_repr_weight.replace("torch.float16", "float16"));
  });

  it("bfloat16() then float() round-trips through bfloat16's values, gradients too", () => {
    const lin = linear();
    lin
      .forward(tensor([[1, 2, 3]]).float())
      .sum()
      .backward();
    lin.bfloat16();
    assert.equal(lin.weight.grad?.dtype, "bfloat16");
    lin.float();
    assert.equal(lin.weight.dtype, "float32");
    assert.equal(lin.weight.grad?.dtype, "float32");
    // the bias gradient of sum(W x + b) is 1 per output: exact in bfloat16
    assert.deepEqual(lin.bias!.grad?.toArray(), [1, 1]);
    const back = fromTypedArray(f32(g.linear_f32.weight!), [2, 3]).bfloat16().float();
    assert.deepEqual(lin.weight.toArray(), back.toArray());
  });

  it("loadStateDict into a half model converts the source values", () => {
    const lin = new nn.Linear(3, 2).half();
    lin.loadStateDict(
      Object.fromEntries(
        Object.entries(g.linear_f32).map(([k, v]) => [
          k,
          fromTypedArray(f32(v), k.endsWith("weight") ? [2, 3] : [2]),
        ]),
      ),
    );
    for (const [k, bits] of Object.entries(g.linear_f16_bits)) {
      assert.deepEqual(bitsOf(lin.stateDict()[k]!), bits, k);
    }
  });

  it("saves as safetensors F16 and .pt HalfStorage, with PyTorch's bits", () => {
    const lin = linear().half();
    const file = io.parseSafetensors(io.serializeSafetensors(lin.stateDict()));
    // Kiln reads F16 back widened to float32 (exact): the values are the half ones
    assert.deepEqual(file.tensors.weight!.toArray(), lin.weight.float().toArray());
    const raw = io.serializeSafetensors(lin.stateDict());
    const headerLength = Number(new DataView(raw.buffer, raw.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(
      Buffer.from(raw.subarray(8, 8 + headerLength)).toString("utf8"),
    ) as Record<string, { dtype?: string }>;
    assert.equal(header.weight?.dtype, "F16");
    const dir = mkdtempSync(join(tmpdir(), "kiln-half-"));
    io.saveTorch(join(dir, "m.pt"), lin.stateDict());
    const pt = io.loadTorch(join(dir, "m.pt")) as Record<string, Tensor>;
    rmSync(dir, { recursive: true });
    assert.deepEqual(pt.weight!.toArray(), lin.weight.float().toArray());
  });

  it("computing on them throws a DTypeError that says to convert first", () => {
    const lin = linear().half();
    const isHalfError = (e: unknown) =>
      e instanceof DTypeError && /storage dtype in Kiln.*x\.float\(\)/.test(String(e));
    assert.throws(() => tensor([1, 2]).half().add(1), isHalfError);
    assert.throws(() => tensor([1, 2]).bfloat16().sum(), isHalfError);
    assert.throws(() => lin.weight.matmul(lin.weight.t()), isHalfError);
    assert.throws(() => zeros(2, { dtype: "float16" as never }), ValueError);
    // a Uint16Array is no dtype's storage (it used to read as bool)
    assert.throws(() => fromTypedArray(new Uint16Array(2) as never), DTypeError);
  });
});

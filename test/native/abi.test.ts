// The native kernels' N-API ABI, described once in tools/native-abi-kernels.ts: the committed
// native/fused_abi.h, native/addon_abi.h and their TypeScript halves equal the generator's output,
// the built addon carries the description's hashes, the TypeScript marshallers pass named fields
// (and meta) in the described order, and the generated C unpacking refuses what it rules out.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { View, WindowGeometry } from "../../src/backend/backend.ts";
import {
  bindPrimitives,
  type NativePrimitiveAddon,
  PRIMITIVE_ABI_HASH,
  PRIMITIVE_EXPORTS,
} from "../../src/backend/native/addon-abi.ts";
import {
  bindFused,
  FUSED_ABI_HASH,
  FUSED_EXPORTS,
  type NativeFusedAddon,
} from "../../src/backend/native/fused-abi.ts";
import {
  abiHash,
  C_PATH,
  checkKernel,
  ROOT,
  renderC,
  renderTs,
  TS_PATH,
} from "../../tools/native-abi.ts";
import { GEOMETRY_FIELDS, KERNELS, PRIMITIVES } from "../../tools/native-abi-kernels.ts";
import {
  checkPrimitive,
  PRIM_C_PATH,
  PRIM_TS_PATH,
  primitiveHash,
  renderPrimitivesC,
  renderPrimitivesTs,
} from "../../tools/native-abi-primitives.ts";
import { addon, skip } from "./helpers.ts";

const fused = addon as unknown as NativeFusedAddon | undefined;

describe("native ABI: generated files", () => {
  it("native/fused_abi.h and fused-abi.ts equal tools/native-abi.ts's output", () => {
    const hint = "stale: run node --import tsx tools/native-abi.ts";
    assert.equal(readFileSync(join(ROOT, C_PATH), "utf8"), renderC(), `${C_PATH} ${hint}`);
    assert.equal(readFileSync(join(ROOT, TS_PATH), "utf8"), renderTs(), `${TS_PATH} ${hint}`);
    assert.equal(FUSED_ABI_HASH, abiHash());
    assert.deepEqual([...FUSED_EXPORTS], Object.keys(KERNELS));
    const primC = readFileSync(join(ROOT, PRIM_C_PATH), "utf8");
    assert.equal(primC, renderPrimitivesC(), `${PRIM_C_PATH} ${hint}`);
    const primTs = readFileSync(join(ROOT, PRIM_TS_PATH), "utf8");
    assert.equal(primTs, renderPrimitivesTs(), `${PRIM_TS_PATH} ${hint}`);
    assert.equal(PRIMITIVE_ABI_HASH, primitiveHash());
    assert.deepEqual([...PRIMITIVE_EXPORTS], Object.keys(PRIMITIVES));
  });

  it("the generator refuses inconsistent descriptions", () => {
    const ok = KERNELS.reluBackward!;
    assert.doesNotThrow(() => checkKernel("reluBackward", ok));
    const unknownLen = { ...ok, args: [...ok.args.slice(0, 3), ["gx", { kind: "f32", len: "m" }]] };
    assert.throws(() => checkKernel("r", unknownLen as typeof ok), /names m/);
    const unused = { ...ok, call: "kiln_relu_backward(n, y, g, y)" };
    assert.throws(() => checkKernel("r", unused), /gx is unpacked but never passed on/);
    const late = {
      ...KERNELS.adam!,
      args: [...KERNELS.adam!.args.slice(1, 2), ...KERNELS.adam!.args],
    };
    assert.throws(() => checkKernel("adam", late as typeof ok), /names n, which is not unpacked/);
    const put = PRIMITIVES.put!;
    assert.doesNotThrow(() => checkPrimitive("put", put));
    assert.throws(() => checkPrimitive("p", { ...put, shapeOf: "index" }), /not a view/);
    const swapped = { ...put, args: [put.args[2]!, put.args[0]!, put.args[1]!] };
    assert.throws(() => checkPrimitive("p", swapped), /offsets come after views/);
  });
});

describe("native ABI: marshallers pass named fields in the described order", () => {
  it("every kernel: positional order, geometry in meta, the scratch buffer", () => {
    const calls: [string, unknown[]][] = [];
    const fake = Object.fromEntries(
      FUSED_EXPORTS.map((k) => [
        k,
        (...args: unknown[]) => {
          calls.push([k, args]);
          return k === "conv2dWork" ? 7 : undefined;
        },
      ]),
    ) as unknown as NativeFusedAddon;
    const meta = new Float64Array(32);
    const k = bindFused(fake, meta) as unknown as Record<string, (a: object) => unknown>;
    const g = Object.fromEntries(
      GEOMETRY_FIELDS.map((f, i) => [f, 100 + i]),
    ) as unknown as WindowGeometry;
    for (const [name, spec] of Object.entries(KERNELS)) {
      calls.length = 0;
      meta.fill(0);
      const named: Record<string, unknown> = spec.geometry ? { g } : {};
      for (const [arg, s] of spec.args) if (s.kind !== "scratch") named[arg] = `<${arg}>`;
      k[name]!(named);
      const mine = calls.filter(([c]) => c === name);
      assert.equal(mine.length, 1, name);
      const want = spec.args.map(([arg, s]) => (s.kind === "scratch" ? "scratch" : `<${arg}>`));
      const got = mine[0]![1].map((v) => (v instanceof Float32Array ? "scratch" : v));
      assert.deepEqual(got, want, name);
      for (const v of mine[0]![1]) if (v instanceof Float32Array) assert.ok(v.length >= 7, name);
      const geo = spec.geometry
        ? GEOMETRY_FIELDS.map((_, i) => 100 + i)
        : GEOMETRY_FIELDS.map(() => 0);
      assert.deepEqual(Array.from(meta.subarray(0, GEOMETRY_FIELDS.length)), geo, name);
    }
  });
});

describe("native ABI: primitive marshallers write meta and pass arrays in the described order", () => {
  it("every primitive: positional order, [nd, shape, views..., offsets] or meta numbers", () => {
    const calls: [string, unknown[]][] = [];
    const fake = Object.fromEntries(
      PRIMITIVE_EXPORTS.map((k) => [k, (...args: unknown[]) => void calls.push([k, args])]),
    ) as unknown as NativePrimitiveAddon;
    const meta = new Float64Array(64);
    const p = bindPrimitives(fake, meta) as unknown as Record<string, (f: object) => void>;
    for (const [name, spec] of Object.entries(PRIMITIVES)) {
      calls.length = 0;
      meta.fill(-1);
      // views of shape [2, 3]; the i-th view has offset 10i and strides [10i + 1, 10i + 2]
      const named: Record<string, unknown> = {};
      const want: number[] = [];
      let v = 0;
      for (const [arg, s] of spec.args) {
        if (s.kind === "view" || s.kind === "offset") {
          v++;
          const view: View = {
            data: `<${arg}>` as unknown as View["data"],
            shape: [2, 3],
            strides: [10 * v + 1, 10 * v + 2],
            offset: 10 * v,
          };
          named[arg] = view;
          want.push(10 * v, ...(s.kind === "view" ? [10 * v + 1, 10 * v + 2] : []));
        } else if (s.kind === "meta") {
          named[arg] = 100 + want.length;
          want.push(100 + want.length);
        } else named[arg] = `<${arg}>`;
      }
      if (spec.shapeOf !== undefined) want.unshift(2, 2, 3);
      p[name]!(named);
      assert.equal(calls.length, 1, name);
      const positional = spec.args.filter(([, s]) => s.kind !== "meta").map(([a]) => `<${a}>`);
      assert.deepEqual(calls[0]![1], positional, name);
      assert.deepEqual(Array.from(meta.subarray(0, want.length)), want, name);
    }
  });
});

describe("native ABI: the built addon", { skip }, () => {
  it("was built from this description and exports every kernel", () => {
    assert.equal(fused!.fusedAbi, FUSED_ABI_HASH, "stale addon: npm run build:native");
    for (const k of FUSED_EXPORTS) assert.equal(typeof fused![k], "function", k);
    assert.equal(addon!.primitiveAbi, PRIMITIVE_ABI_HASH, "stale addon: npm run build:native");
    for (const k of PRIMITIVE_EXPORTS) assert.equal(typeof addon![k], "function", k);
  });

  it("unary through the positional order (op, out, x) and meta [nd, shape, out, x]", () => {
    const a = addon!;
    const neg = a.unaryOps.indexOf("neg");
    const x = new Float32Array([1, -2, 3]);
    const out = new Float32Array(2);
    // shape [2]; out at offset 0 stride 1; x at offset 1 stride 1: out = -[-2, 3]
    a.meta.set([1, 2, 0, 1, 1, 1]);
    a.unary(neg, out, x);
    assert.deepEqual(Array.from(out), [2, -3]);
    assert.deepEqual(Array.from(x), [1, -2, 3]);
    const f16 = new Uint16Array(2) as unknown as Float32Array;
    assert.throws(() => a.unary(neg, f16, x), TypeError);
    a.meta.set([1, 2, 0, 1, 2, 1]); // x from offset 2 reaches x[3]: outside
    assert.throws(() => a.unary(neg, out, x), /outside/);
  });

  it("linear: values through the positional order (M, K, N, x, w, bias, out)", () => {
    // x [2, 3] · wᵀ (w [1, 3]) + bias: [1+4+9+0.5, 4+10+18+0.5] = [14.5, 32.5]
    const x = new Float32Array([1, 2, 3, 4, 5, 6]);
    const w = new Float32Array([1, 2, 3]);
    const out = new Float32Array(2);
    fused!.linear(2, 3, 1, x, w, new Float32Array([0.5]), out);
    assert.deepEqual(Array.from(out), [14.5, 32.5]);
    fused!.linear(2, 3, 1, x, w, null, out);
    assert.deepEqual(Array.from(out), [14, 32]);
  });

  it("refuses short, mistyped, null and missing arrays and bad shapes with RangeErrors", () => {
    const f = fused!;
    const x = new Float32Array(6);
    const w = new Float32Array(3);
    const out = new Float32Array(2);
    assert.throws(() => f.linear(2, 3, 1, x.subarray(1), w, null, out), /array too short/);
    const i32 = new Int32Array(3) as unknown as Float32Array;
    assert.throws(() => f.linear(2, 3, 1, x, i32, null, out), /wrong typed array type/);
    const none = null as unknown as Float32Array;
    assert.throws(() => f.linear(2, 3, 1, x, w, null, none), /null array/);
    assert.throws(() => f.linear(-1, 3, 1, x, w, null, out), /bad linear shape/);
    const short = f.linear as unknown as (...a: unknown[]) => void;
    assert.throws(() => short(2, 3, 1, x, w, null), /missing argument/);
    assert.throws(() => short("2", 3, 1, x, w, null, out), /expected a number/);
    // adam: every moment as long as the parameter, whose length the description binds to n
    const p = new Float32Array(4);
    const s = [0.9, 0.999, 0.1, 0.001, 1e-8, 0, 1, 1, -0.1] as const;
    assert.throws(() => f.adam(p, new Float32Array(3), p, p, null, ...s, false, false), /short/);
    for (const k of FUSED_EXPORTS.filter((k) => k !== "conv2dWork")) {
      assert.throws(() => (f[k] as () => void)(), RangeError, k);
    }
  });

  it("booleans take true/false, and numbers (0 false) as before", () => {
    // batch norm of x [1, 1, 2] = [1, 3] in training: mean 2, var 1, y = (x - 2)/sqrt(1 + 0)
    for (const training of [true, 1 as unknown as boolean]) {
      const y = new Float32Array(2);
      const stats = [new Float32Array(1), new Float32Array(1), new Float32Array(1)] as const;
      fused!.batchNorm(1, 1, 2, new Float32Array([1, 3]), null, null, ...stats, 0, training, y);
      assert.deepEqual(Array.from(y), [-1, 1]);
      assert.deepEqual(Array.from(stats[0]), [2]);
    }
  });
});

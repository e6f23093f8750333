// The backend conformance suite (issue 14): every kernel of the backend under test (primitive and
// fused) against the reference backend on random shapes and layouts, at one and at the most
// threads. KILN_CONFORMANCE_BACKEND names the backend(s); by default every available backend but
// the reference, or the reference against itself when it is the only one.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadAddon } from "../../src/backend/native/index.ts";
import { FUSED_KERNEL_NAMES, fusedCases } from "./fused.ts";
import type { FusedCtx } from "./fused-common.ts";
import { backendsUnderTest, CaseCounter, ref, rng, threadCounts } from "./helpers.ts";
import {
  binaryCases,
  type Ctx,
  cumsumCases,
  matmulCases,
  reduceCases,
  takePutCases,
  unaryCases,
  whereCases,
} from "./primitives.ts";

const PRIMITIVES: [string, (ctx: Ctx) => void][] = [
  ["unary", unaryCases],
  ["binary", binaryCases],
  ["where", whereCases],
  ["reduce", reduceCases],
  ["cumsum", cumsumCases],
  ["matmul", matmulCases],
  ["take and put", takePutCases],
];

for (const [index, under] of backendsUnderTest().entries()) {
  describe(`backend conformance: ${under.name} against the reference`, () => {
    if (under.missing !== undefined) {
      it(`KILN_CONFORMANCE_BACKEND=${under.name} is available`, () => {
        assert.fail(`backend "${under.name}" is ${under.missing}`);
      });
      return;
    }
    const threads = threadCounts(under.name);
    const counter = new CaseCounter();
    it("reports what runs", (t) => {
      if (under.note !== undefined) t.diagnostic(under.note);
      t.diagnostic(`threads: ${threads.join(" and ")}`);
    });
    PRIMITIVES.forEach(([name, run], k) => {
      it(`${name}: every op and dtype, strided, broadcast, zero-size, 0-d and large views`, () => {
        run({
          kernels: under.kernels,
          threads,
          r: rng(1000 * (index + 1) + k),
          count: (kernel) => counter.add(kernel),
        });
      });
    });
    it("matmul: a zero of a times inf or NaN of b gives NaN (IEEE, PyTorch)", () => {
      // [0, 1] @ [inf, 2]ᵀ = 0·inf + 2 = NaN (the reference once skipped zeros of a and gave 2).
      const a = { data: Float32Array.of(0, 1), shape: [1, 1, 2], strides: [2, 2, 1], offset: 0 };
      const b = {
        data: Float32Array.of(Infinity, 2),
        shape: [1, 2, 1],
        strides: [2, 1, 1],
        offset: 0,
      };
      const want = new Float32Array(1);
      const got = new Float32Array(1);
      ref.matmul(a, b, want);
      under.kernels.matmul(a, b, got);
      assert.ok(Number.isNaN(want[0]), `reference gives ${want[0]}, expected NaN`);
      assert.ok(Object.is(got[0], want[0]) || (Number.isNaN(got[0]) && Number.isNaN(want[0])));
    });
    it("pow with a broadcast float32 2 squares bit for bit (the a·a fast path)", () => {
      // pow squares a float exactly in double, so rounding that to float is the rounded product
      // a·a: the native kernel's shortcut must give the reference's bits, specials included.
      const r = rng(77);
      const n = 4099;
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = (r() * 2 - 1) * 10 ** Math.floor(r() * 50 - 25);
      data.set([0, -0, Number.NaN, Infinity, -Infinity, 3e19, -3e19, 1e-25, 2 ** -149], 0);
      const a = { data, shape: [n], strides: [1], offset: 0 };
      const two = { data: Float32Array.of(2), shape: [n], strides: [0], offset: 0 };
      const want = new Float32Array(n);
      const got = new Float32Array(n);
      ref.binary("pow", a, two, { data: want, shape: [n], strides: [1], offset: 0 });
      under.kernels.binary("pow", a, two, { data: got, shape: [n], strides: [1], offset: 0 });
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(got[i], want[i]), `${data[i]}^2: got ${got[i]}, reference ${want[i]}`);
      }
    });
    const fused = under.kernels.fused ?? {};
    for (const name of FUSED_KERNEL_NAMES) {
      const present = typeof fused[name] === "function";
      it(`fused ${name}`, { skip: present ? false : `${under.name} has no fused ${name}` }, () => {
        fusedCases(name, {
          kernels: under.kernels,
          threads,
          r: rng(5000 + FUSED_KERNEL_NAMES.indexOf(name)),
          count: (kernel) => counter.add(kernel),
          cpuPath: under.name === "native" ? nativeCpuPaths() : undefined,
        });
      });
    }
    it("case counts", (t) => {
      t.diagnostic(
        `cases per kernel (each at ${threads.join(" and ")} thread(s)): ${counter.summary()}`,
      );
    });
  });
}

/** The native addon's CPU paths: the detected one, then the portable one (kernels built twice). */
function nativeCpuPaths(): FusedCtx["cpuPath"] {
  const loaded = loadAddon();
  if (!loaded.ok) return undefined;
  const addon = loaded.addon;
  const code = (path: string) => ["portable", "avx2", "avx512"].indexOf(path);
  const detected = code(addon.cpuPath());
  return {
    available: detected === 0 ? [0] : [detected, 0],
    get: () => code(addon.cpuPath()),
    set: (path) => {
      addon.cpuPath(path);
    },
  };
}

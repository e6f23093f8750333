// The wasm backend against the native one (same C kernels): elementwise ops bitwise equal where
// the op is exact and within the documented libm rounding where not (musl's libm in the module,
// glibc's in the addon), reductions, matmul and the fused linear/conv kernels bitwise equal to the
// native portable CPU path (the same C code; the AVX paths sum in another order), the threaded
// module equal to the single-threaded one, and the committed modules equal to a rebuild when
// clang and wasm-ld are installed.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS, type View } from "../../src/backend/backend.ts";
import { createNativeBackend, loadAddon } from "../../src/backend/native/index.ts";
import {
  createThreadedWasmBackend,
  createWasmBackendFromBytes,
  wasmPath,
} from "../../src/backend/wasm/index.ts";
import { NO_DEPTH } from "../../src/ops/conv.ts";
import { rng } from "../rng.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const wasm = createWasmBackendFromBytes(readFileSync(wasmPath()), { tinyInTs: 0 });
const loaded = loadAddon();
const skipNative = loaded.ok ? false : `native addon unavailable: ${loaded.reason}`;
const addon = loaded.ok ? loaded.addon : undefined;
const native = addon ? createNativeBackend(addon, { tinyInTs: 0 }) : undefined;

/** Exactness of each elementwise op from native/elementwise_ops.h: 1 exact, 0 libm, 2 predicate. */
function exactness(): Map<string, number> {
  const text = readFileSync(join(ROOT, "native/elementwise_ops.h"), "utf8");
  const m = new Map<string, number>();
  for (const [, name, ex] of text.matchAll(/X\((\w+),.*,\s*([012])\)\s*\\?$/gm)) {
    m.set(name!, Number(ex));
  }
  return m;
}

/** Distance in units in the last place between two floats of the same dtype (0 for NaN, NaN). */
function ulps(a: number, b: number, f32: boolean): number {
  if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) return 0;
  if (Number.isNaN(a) || Number.isNaN(b) || Math.sign(a) !== Math.sign(b)) return Infinity;
  if (f32) {
    const i = new Int32Array(Float32Array.of(a, b).buffer);
    return Math.abs(i[0]! - i[1]!);
  }
  const i = new BigInt64Array(Float64Array.of(a, b).buffer);
  const d = i[0]! - i[1]!;
  return Number(d < 0n ? -d : d);
}

const v = (data: View["data"], shape: number[]): View => {
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, s) => p * s, 1));
  return { data, shape, strides, offset: 0 };
};

const SPECIAL = [Number.NaN, Infinity, -Infinity, 0, -0, 0.5, -0.5, 1, -1, 1e30, -1e-30, 2.5];
const N = 2048;

/**
 * The documented rounding of ops computed in double through libm: musl's and glibc's functions
 * are each within about 1 ulp of the exact result, so they may differ by 2 ulp in float64
 * (measured: tanh and sigmoid 2, the rest 1) and by the double rounding to float32 by 1 ulp.
 */
const LIBM_ULPS = { float32: 1, float64: 2 } as const;

describe("wasm backend against the native backend", { skip: skipNative }, () => {
  const ex = exactness();
  for (const F of [Float32Array, Float64Array]) {
    const f32 = F === Float32Array;
    const dt = f32 ? "float32" : "float64";
    const r = rng(f32 ? 41 : 42);
    const x = new F(N).map((_, i) =>
      i < SPECIAL.length * 2 ? SPECIAL[i % SPECIAL.length]! : (r() - 0.5) * 8,
    );
    const y = new F(N).map(() => (r() - 0.5) * 8);

    it(`${dt} elementwise: exact ops bitwise, libm ops within ${LIBM_ULPS[dt]} ulp`, () => {
      const report: string[] = [];
      const check = (op: string, o1: ArrayLike<number>, o2: ArrayLike<number>) => {
        const exact = ex.get(op) !== 0;
        let worst = 0;
        for (let i = 0; i < N; i++) worst = Math.max(worst, ulps(o1[i]!, o2[i]!, f32));
        if (worst > 0) report.push(`${op} ${worst}`);
        assert.ok(exact ? worst === 0 : worst <= LIBM_ULPS[dt], `${op}: ${worst} ulp apart`);
      };
      for (const op of UNARY_OPS) {
        const pred = ex.get(op) === 2;
        const o1 = pred ? new Uint8Array(N) : new F(N);
        const o2 = pred ? new Uint8Array(N) : new F(N);
        native!.unary(op, v(x, [N]), v(o1, [N]));
        wasm.unary(op, v(x, [N]), v(o2, [N]));
        check(op, o1, o2);
      }
      for (const op of BINARY_OPS) {
        const pred = ex.get(op) === 2;
        const o1 = pred ? new Uint8Array(N) : new F(N);
        const o2 = pred ? new Uint8Array(N) : new F(N);
        native!.binary(op, v(x, [N]), v(y, [N]), v(o1, [N]));
        wasm.binary(op, v(x, [N]), v(y, [N]), v(o2, [N]));
        check(op, o1, o2);
      }
    });

    it(`${dt} reductions and cumsum bitwise`, () => {
      for (const op of REDUCE_OPS) {
        const n = op.startsWith("arg") ? Int32Array : op === "any" || op === "all" ? Uint8Array : F;
        const o1 = new n(32);
        const o2 = new n(32);
        native!.reduce(op, v(y, [32, 64]), 1, o1);
        wasm.reduce(op, v(y, [32, 64]), 1, o2);
        assert.deepEqual(o2, o1, op);
      }
      const c1 = new F(N);
      const c2 = new F(N);
      native!.cumsum(v(y, [16, 128]), c1);
      wasm.cumsum(v(y, [16, 128]), c2);
      assert.deepEqual(c2, c1);
    });

    it(`${dt} matmul and fused linear/conv2d bitwise equal to the native portable path`, () => {
      const before = addon!.cpuPath();
      addon!.cpuPath(0);
      try {
        for (const [B, M, K, Nn] of [
          [1, 64, 300, 70],
          [3, 7, 5, 3],
          [1, 1, 1000, 10],
          [2, 128, 128, 128],
        ] as const) {
          const a = new F(B * M * K).map(() => r() - 0.5);
          const b = new F(B * K * Nn).map(() => r() - 0.5);
          const o1 = new F(B * M * Nn);
          const o2 = new F(B * M * Nn);
          // b transposed (a strided view), as x @ wᵀ reaches matmul.
          const bt: View = { data: b, shape: [B, K, Nn], strides: [K * Nn, 1, K], offset: 0 };
          native!.matmul(v(a, [B, M, K]), bt, o1);
          wasm.matmul(v(a, [B, M, K]), bt, o2);
          assert.deepEqual(o2, o1, `matmul ${B}x${M}x${K}x${Nn}`);
        }
        if (!f32) return;
        const M = 33;
        const K = 70;
        const Nn = 20;
        const xs = Float32Array.from({ length: M * K }, () => r() - 0.5);
        const w = Float32Array.from({ length: Nn * K }, () => r() - 0.5);
        const bias = Float32Array.from({ length: Nn }, () => r() - 0.5);
        const o1 = new Float32Array(M * Nn);
        const o2 = new Float32Array(M * Nn);
        native!.fused!.linear!(M, K, Nn, xs, w, bias, o1);
        wasm.fused!.linear!(M, K, Nn, xs, w, bias, o2);
        assert.deepEqual(o2, o1, "linear");
        const g = { N: 2, C: 3, H: 9, W: 8, O: 4, Ho: 9, Wo: 8, kh: 3, kw: 3, sh: 1, sw: 1 };
        const geo = { ...g, dh: 1, dw: 1, pt: 1, pl: 1, groups: 1, ...NO_DEPTH };
        const cx = Float32Array.from({ length: 2 * 3 * 9 * 8 }, () => r() - 0.5);
        const cw = Float32Array.from({ length: 4 * 3 * 9 }, () => r() - 0.5);
        const y1 = new Float32Array(2 * 4 * 9 * 8);
        const y2 = new Float32Array(2 * 4 * 9 * 8);
        native!.fused!.conv2d!(geo, cx, cw, null, y1);
        wasm.fused!.conv2d!(geo, cx, cw, null, y2);
        assert.deepEqual(y2, y1, "conv2d");
      } finally {
        addon!.cpuPath(["portable", "avx2", "avx512"].indexOf(before));
      }
    });
  }
});

describe("threaded wasm module (kiln-mt.wasm)", () => {
  it("matmul and conv2d on 2 threads equal the single-threaded module bitwise", () => {
    // The pool splits rows/columns of C (and images of conv) between threads; each element
    // still sums in the same order, so any thread count gives the same bits.
    const { backend: mt, threads } = createThreadedWasmBackend(readFileSync(wasmPath(true)), {
      tinyInTs: 0,
    });
    assert.equal(threads.setThreads(2), 2);
    const r = rng(7);
    const [M, K, Nn] = [300, 257, 190]; // above the pool's work threshold
    const a = Float32Array.from({ length: M * K }, () => r() - 0.5);
    const b = Float32Array.from({ length: K * Nn }, () => r() - 0.5);
    const o1 = new Float32Array(M * Nn);
    const o2 = new Float32Array(M * Nn);
    wasm.matmul(v(a, [1, M, K]), v(b, [1, K, Nn]), o1);
    mt.matmul(v(a, [1, M, K]), v(b, [1, K, Nn]), o2);
    assert.deepEqual(o2, o1);
    const geo = { N: 4, C: 8, H: 20, W: 20, O: 16, Ho: 20, Wo: 20, kh: 3, kw: 3 };
    const g = { ...geo, sh: 1, sw: 1, dh: 1, dw: 1, pt: 1, pl: 1, groups: 1, ...NO_DEPTH };
    const x = Float32Array.from({ length: 4 * 8 * 400 }, () => r() - 0.5);
    const w = Float32Array.from({ length: 16 * 8 * 9 }, () => r() - 0.5);
    const y1 = new Float32Array(4 * 16 * 400);
    const y2 = new Float32Array(4 * 16 * 400);
    wasm.fused!.conv2d!(g, x, w, null, y1);
    mt.fused!.conv2d!(g, x, w, null, y2);
    assert.deepEqual(y2, y1);
  });
});

describe("wasm backend on its own", () => {
  it("copies strided outputs back without touching the gaps between their elements", () => {
    // out: every other element of a 40-element buffer; the gaps keep their sentinel 7.
    const out = new Float32Array(40).fill(7);
    const x = Float32Array.from({ length: 20 }, (_, i) => i - 10);
    wasm.unary("abs", v(x, [20]), { data: out, shape: [20], strides: [2], offset: 1 });
    for (let i = 0; i < 40; i++) assert.equal(out[i], i % 2 === 1 ? Math.abs((i - 1) / 2 - 10) : 7);
  });

  it("grows its memory for large operands and stays correct afterwards", () => {
    const n = 3_000_000; // 12 MB per operand: beyond the module's initial memory
    const a = new Float32Array(n).fill(1.5);
    const out = new Float32Array(n);
    wasm.binary("mul", v(a, [n]), v(a, [n]), v(out, [n]));
    assert.equal(out[0], 2.25);
    assert.equal(out[n - 1], 2.25);
    const s = new Float32Array(1);
    wasm.reduce("sum", v(out, [n]), 0, s);
    assert.equal(s[0], 2.25 * n); // exact: 2.25·3e6 = 6 750 000 is a float32 integer
  });

  it("throws a RangeError for an out-of-range index instead of reading stray memory", () => {
    const x = new Float32Array(4);
    assert.throws(() => wasm.take(v(x, [4]), Int32Array.of(0, 4), new Float32Array(2)), RangeError);
  });
});

/** Whether the wasm toolchain (clang with the wasm32 target, wasm-ld, wasi-libc) is installed. */
function toolchain(): string | undefined {
  const cc = spawnSync("clang", ["--version"], { encoding: "utf8" });
  if (cc.status !== 0) return "clang is not installed";
  const ld = spawnSync("wasm-ld", ["--version"], { encoding: "utf8" });
  if (ld.status !== 0) return "wasm-ld (lld) is not installed";
  const probe = spawnSync(
    "clang",
    ["--target=wasm32-wasi", "-fsyntax-only", "-x", "c", "-", "-include", "math.h"],
    { input: "", encoding: "utf8" },
  );
  if (probe.status !== 0) return "wasi-libc (wasm32 math.h) is not installed";
  return undefined;
}

describe("wasm/kiln.wasm is reproducible", () => {
  const missing = toolchain();
  const skip = missing
    ? `${missing}: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32 to check`
    : false;
  it("equals a fresh build of tools/build-wasm.sh (rebuild: npm run build:wasm)", { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), "kiln-wasm-"));
    try {
      const r = spawnSync("bash", [join(ROOT, "tools/build-wasm.sh"), dir], {
        encoding: "utf8",
        timeout: 300_000,
      });
      assert.equal(r.status, 0, r.stderr);
      for (const name of ["kiln.wasm", "kiln-mt.wasm"]) {
        const fresh = readFileSync(join(dir, name));
        const committed = readFileSync(join(ROOT, "wasm", name));
        assert.ok(
          fresh.equals(committed),
          `wasm/${name} (${committed.length} bytes) differs from a rebuild (${fresh.length} bytes): run npm run build:wasm and commit it`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

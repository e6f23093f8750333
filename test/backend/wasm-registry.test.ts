// Backend selection with the wasm backend, in fresh processes: wasm (threaded) when the native
// addon cannot load (one warning line saying why, and backendInfo() saying it too), the reference
// only when wasm cannot load either, KILN_BACKEND=wasm and setBackend("wasm") selecting it,
// KILN_WASM_THREADS=0 the single-threaded module, and a clear error when the module is missing.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { describe, it } from "node:test";

const REGISTRY = new URL("../../src/backend/registry.ts", import.meta.url).href;

interface Info {
  backend: string;
  available: string[];
  threads: number;
  nativeError: string | null;
  wasmError: string | null;
  wasmPath: string | null;
  fallbackReason: string | null;
}

function run(env: Record<string, string>, code = ""): { info: Info; out: string[]; err: string } {
  const script = `import * as k from ${JSON.stringify(REGISTRY)}; ${code}; console.log(JSON.stringify(k.backendInfo()));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: {
      ...process.env,
      KILN_BACKEND: "",
      KILN_NATIVE_PATH: "",
      KILN_WASM_PATH: "",
      KILN_WASM_THREADS: "",
      KILN_NUM_THREADS: "",
      ...env,
    },
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.trim().split("\n");
  return { info: JSON.parse(out.at(-1)!) as Info, out: out.slice(0, -1), err: r.stderr };
}

const warnings = (err: string) => err.split("\n").filter((l) => l.trim() !== "");

describe("backend selection with the wasm backend", () => {
  it("picks wasm, not the reference, when the native addon cannot load, and says why", () => {
    const { info, err } = run({
      KILN_NATIVE_PATH: "/nonexistent/kiln.node",
      KILN_NUM_THREADS: "2",
    });
    assert.equal(info.backend, "wasm");
    assert.ok(info.available.includes("wasm"));
    assert.equal(info.threads, Math.min(2, availableParallelism())); // KILN_NUM_THREADS=2
    assert.match(info.wasmPath ?? "", /wasm[/\\]kiln-mt\.wasm$/);
    assert.match(info.fallbackReason ?? "", /^native backend unavailable, using wasm: cannot load/);
    const lines = warnings(err);
    assert.equal(lines.length, 1, err);
    assert.match(
      lines[0]!,
      /^kiln: native backend unavailable, using wasm: cannot load \/nonexistent\/kiln\.node/,
    );
  });

  it("falls back to the reference only when the wasm module cannot load either", () => {
    const { info, err } = run({
      KILN_NATIVE_PATH: "/nonexistent/kiln.node",
      KILN_WASM_PATH: "/nonexistent/kiln.wasm",
    });
    assert.equal(info.backend, "reference");
    assert.match(info.wasmError ?? "", /cannot load \/nonexistent\/kiln\.wasm/);
    const lines = warnings(err);
    assert.equal(lines.length, 1, err);
    assert.match(
      lines[0]!,
      /^kiln: native backend unavailable, using reference: cannot load \/nonexistent\/kiln\.node.*; wasm backend unavailable: cannot load \/nonexistent\/kiln\.wasm/,
    );
  });

  it("KILN_BACKEND=wasm selects it without a warning, and its kernels compute", () => {
    // [[1, 2], [3, 4]] @ [[5, 6], [7, 8]] = [[19, 22], [43, 50]], through the C GEMM in wasm.
    const code = `const out = new Float32Array(4);
      k.backend().matmul({ data: Float32Array.of(1, 2, 3, 4), shape: [1, 2, 2], strides: [4, 2, 1], offset: 0 },
        { data: Float32Array.of(5, 6, 7, 8), shape: [1, 2, 2], strides: [4, 2, 1], offset: 0 }, out);
      console.log(Array.from(out).join(","))`;
    const { info, out, err } = run({ KILN_BACKEND: "wasm" }, code);
    assert.equal(info.backend, "wasm");
    assert.equal(out.at(-1), "19,22,43,50");
    assert.equal(err.trim(), "");
  });

  it("KILN_WASM_THREADS=0 loads the single-threaded module (one thread)", () => {
    const { info, err } = run({ KILN_BACKEND: "wasm", KILN_WASM_THREADS: "0" });
    assert.equal(info.backend, "wasm");
    assert.equal(info.threads, 1);
    assert.match(info.wasmPath ?? "", /wasm[/\\]kiln\.wasm$/);
    assert.equal(err.trim(), "");
  });

  it('setBackend("wasm") switches to it; availableBackends() lists it', () => {
    const { info } = run({ KILN_BACKEND: "reference" }, 'k.setBackend("wasm")');
    assert.equal(info.backend, "wasm");
    assert.deepEqual(info.available.sort(), ["reference", "wasm"]);
  });

  it('setBackend("wasm") names the reason when the module is missing', () => {
    const { out } = run(
      { KILN_BACKEND: "reference", KILN_WASM_PATH: "/nonexistent/kiln.wasm" },
      'try { k.setBackend("wasm") } catch (e) { console.log(e.name + ": " + e.message) }',
    );
    assert.match(
      out.at(-1)!,
      /^ValueError: setBackend: backend "wasm" is not available \(cannot load \/nonexistent\/kiln\.wasm: .*\) \(available: reference\)$/,
    );
  });
});

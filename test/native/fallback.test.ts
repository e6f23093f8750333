// Backend selection in fresh processes: native by default when the addon loads, wasm with exactly
// one warning line when it cannot (a bogus KILN_NATIVE_PATH), the reference when the wasm module
// cannot load either, KILN_BACKEND=reference forcing the reference silently, KILN_NUM_THREADS,
// and a prompt exit with the pool started.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { skip } from "./helpers.ts";

const ENTRY = new URL("../../src/index.ts", import.meta.url).href;

function runKiln(env: Record<string, string>, code = ""): { out: string; err: string; ms: number } {
  const script = `import * as k from ${JSON.stringify(ENTRY)}; ${code}; console.log(JSON.stringify(k.backendInfo()));`;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: {
      ...process.env,
      KILN_BACKEND: "",
      KILN_NATIVE_PATH: "",
      KILN_WASM_PATH: "",
      KILN_NUM_THREADS: "",
      ...env,
    },
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return { out: r.stdout.trim().split("\n").at(-1)!, err: r.stderr, ms: Date.now() - t0 };
}

describe("backend selection and fallback", () => {
  it("falls back to wasm with one warning line when the addon cannot load", () => {
    const { out, err } = runKiln(
      { KILN_NATIVE_PATH: "/nonexistent/kiln.node" },
      "k.randn([4, 4]).matmul(k.randn([4, 4])).sum().item();",
    );
    const info = JSON.parse(out);
    assert.equal(info.backend, "wasm");
    const lines = err.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines.length, 1, err);
    assert.match(
      lines[0]!,
      /^kiln: native backend unavailable, using wasm: cannot load \/nonexistent\/kiln\.node/,
    );
  });

  it("falls back to the reference with one warning line when wasm cannot load either", () => {
    const { out, err } = runKiln({
      KILN_NATIVE_PATH: "/nonexistent/kiln.node",
      KILN_WASM_PATH: "/nonexistent/kiln.wasm",
    });
    const info = JSON.parse(out);
    assert.equal(info.backend, "reference");
    assert.equal(info.cpuPath, null);
    const lines = err.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines.length, 1, err);
    assert.match(
      lines[0]!,
      /^kiln: native backend unavailable, using reference: cannot load \/nonexistent\/kiln\.node/,
    );
  });

  it("KILN_BACKEND=reference forces the reference without a warning", () => {
    const { out, err } = runKiln({
      KILN_BACKEND: "reference",
      KILN_NATIVE_PATH: "/nonexistent/kiln.node",
    });
    assert.equal(JSON.parse(out).backend, "reference");
    assert.equal(err.trim(), "");
  });

  it("uses native by default, honours KILN_NUM_THREADS, and exits promptly after a threaded matmul", {
    skip,
  }, () => {
    const { out, err, ms } = runKiln(
      { KILN_NUM_THREADS: "2" },
      "const a = k.randn([300, 300]); a.matmul(a).sum().item();",
    );
    const info = JSON.parse(out);
    assert.equal(info.backend, "native");
    assert.match(info.cpuPath, /^(avx512|avx2|portable)$/);
    assert.equal(info.threads, Math.min(2, info.threads));
    assert.equal(err.trim(), "");
    assert.ok(ms < 20_000, `took ${ms} ms`);
  });

  it("KILN_CPU forces a slower path", { skip }, () => {
    const { out } = runKiln({ KILN_CPU: "portable" });
    assert.equal(JSON.parse(out).cpuPath, "portable");
  });
});

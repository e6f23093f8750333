// The package as npm users get it: the files `npm pack` ships (with the prebuilt addon that
// prebuildify makes on prepack), installed into fresh ESM and CommonJS consumer projects without
// running any install script and without a build directory. Works in copies under a temporary
// directory, so the checkout's own build/ is never touched while other tests load it.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../train/helpers.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = JSON.parse(
  spawnSync("npm", ["pkg", "get", "name", "dependencies"], { cwd: ROOT, encoding: "utf8" }).stdout,
) as { name: string; dependencies: Record<string, string> };
const PREBUILD = join("prebuilds", `${process.platform}-${process.arch}`, `${PKG.name}.node`);

function run(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, KILN_BACKEND: "", KILN_NATIVE_PATH: "", ...env },
  });
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A consumer project with the unpacked package and links to its dependencies. */
function consumer(dir: string, type: "module" | "commonjs", unpacked: string): string {
  const project = join(dir, type);
  const modules = join(project, "node_modules");
  mkdirSync(modules, { recursive: true });
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", type }));
  cpSync(unpacked, join(modules, PKG.name), { recursive: true });
  // The dependencies as npm would install them (they are pure JavaScript), and their own.
  for (const entry of readdirSync(join(ROOT, "node_modules"))) {
    if (entry.startsWith(".") || entry === PKG.name) continue;
    symlinkSync(join(ROOT, "node_modules", entry), join(modules, entry));
  }
  return project;
}

// A short program: the backend in use, where its addon came from, and a product checked by hand:
// [[1, 2], [3, 4]] @ [[5], [6]] = [[1*5 + 2*6], [3*5 + 4*6]] = [[17], [39]].
const PROGRAM = `k.tensor([[1, 2], [3, 4]]).float().matmul(k.tensor([[5], [6]]).float()).toArray()`;

describe("the packed package", { timeout: 600_000 }, () => {
  const tmp = tempDir("pack");
  let unpacked = "";
  let files: string[] = [];

  before(() => {
    // A copy of the repository's files, packed as `npm publish` packs: `prepack` builds dist/
    // and the prebuilt addon.
    const src = join(tmp.dir, "repo");
    const tracked = run(
      "git",
      ["ls-files", "--cached", "--others", "--exclude-standard", "-z"],
      ROOT,
    );
    for (const path of tracked.split("\0").filter((p) => p !== "" && existsSync(join(ROOT, p)))) {
      mkdirSync(dirname(join(src, path)), { recursive: true });
      cpSync(join(ROOT, path), join(src, path));
    }
    symlinkSync(join(ROOT, "node_modules"), join(src, "node_modules"));
    // NOTE: prepack's own output (tsc, node-gyp) comes first on stdout; the JSON is the last thing.
    const out = run("npm", ["pack", "--json", "--pack-destination", tmp.dir], src, { JOBS: "max" });
    const packed = JSON.parse(out.slice(out.lastIndexOf("\n[\n") + 1)) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path);
    unpacked = join(tmp.dir, "unpacked");
    mkdirSync(unpacked);
    run(
      "tar",
      ["-xzf", join(tmp.dir, packed[0]!.filename), "-C", unpacked, "--strip-components=1"],
      tmp.dir,
    );
  });
  after(() => tmp.cleanup());

  it("ships the prebuilt addon for this platform and no build directory", () => {
    assert.ok(files.includes(PREBUILD), `${PREBUILD} missing from ${files.length} files`);
    assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts"));
    assert.ok(files.includes("binding.gyp"), "the sources stay, to compile where no prebuild fits");
    assert.equal(files.filter((f) => f.startsWith("build/")).length, 0);
  });

  it("loads the prebuilt addon in an ESM consumer, with no compiler step", () => {
    const project = consumer(tmp.dir, "module", unpacked);
    assert.equal(existsSync(join(project, "node_modules", PKG.name, "build")), false);
    const out = run(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as k from "${PKG.name}"; console.log(JSON.stringify([k.backendInfo(), ${PROGRAM}]));`,
      ],
      project,
    );
    const [info, product] = JSON.parse(out) as [
      { backend: string; nativePath: string },
      number[][],
    ];
    assert.equal(info.backend, "native");
    assert.equal(info.nativePath, join(project, "node_modules", PKG.name, PREBUILD));
    assert.deepEqual(product, [[17], [39]]);
  });

  it("works from require() in a CommonJS consumer", () => {
    const project = consumer(join(tmp.dir, "cjs"), "commonjs", unpacked);
    const out = run(
      process.execPath,
      [
        "-e",
        `const k = require("${PKG.name}"); console.log(JSON.stringify([k.getBackend(), ${PROGRAM}]));`,
      ],
      project,
    );
    assert.deepEqual(JSON.parse(out), ["native", [[17], [39]]]);
  });

  it("resolves to the browser bundle for bundlers targeting browsers (the browser condition)", async () => {
    const project = consumer(join(tmp.dir, "web"), "module", unpacked);
    writeFileSync(
      join(project, "main.js"),
      `import { tensor } from "${PKG.name}";\nconsole.log(tensor([1, 2]).sum().item());\n`,
    );
    const esbuild = await import("esbuild");
    const result = await esbuild.build({
      entryPoints: [join(project, "main.js")],
      absWorkingDir: project,
      bundle: true,
      format: "esm",
      platform: "browser",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(
      inputs.includes(`node_modules/${PKG.name}/dist/browser/kiln.js`),
      `bundled ${inputs.join(", ")}`,
    );
    assert.equal(inputs.filter((f) => f.includes(`${PKG.name}/dist/index.js`)).length, 0);
  });

  it("falls back to the wasm backend it ships, saying why, when no addon fits", () => {
    const project = consumer(join(tmp.dir, "bare"), "module", unpacked);
    rmSync(join(project, "node_modules", PKG.name, "prebuilds"), { recursive: true });
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import * as k from "${PKG.name}"; console.log(JSON.stringify([k.getBackend(), ${PROGRAM}]));`,
      ],
      {
        cwd: project,
        encoding: "utf8",
        env: { ...process.env, KILN_BACKEND: "", KILN_NATIVE_PATH: "", KILN_WASM_PATH: "" },
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ["wasm", [[17], [39]]]);
    assert.match(
      r.stderr,
      /^kiln: native backend unavailable, using wasm: No native build was found/,
    );
  });
});

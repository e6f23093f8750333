// Bundles the browser entry (src/browser.ts, `kiln-torch/browser`) with esbuild into
// dist/browser/kiln.js and copies wasm/kiln.wasm and wasm/kiln-mt.wasm beside it (initWasm finds
// them through import.meta.url). Node-only modules stay out of the bundle two ways:
//  - a module X.ts with a sibling X-browser.ts is replaced by it (the wasm loader, the addon
//    loader, the data/io/train namespaces, the report's gallery reader);
//  - modules that mix pure and file functions (safetensors.ts, report.ts, mnist.ts, ...) get
//    src/core/node-builtins-browser.ts for their node:path/url/os/zlib (pure or fflate) and
//    node:fs/crypto/module/worker_threads (functions throwing NodeOnlyError).
// The build fails on any other node: import, on a builtin imported from outside src/, and when
// the output still imports any module. Usage: node tools/build-browser.mjs [--quiet]

import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const out = join(root, "dist", "browser");

/** The Node built-ins the shim stands in for; anything else fails the build. */
const SHIMMED = new Set([
  "node:path",
  "node:url",
  "node:os",
  "node:zlib",
  "node:fs",
  "node:crypto",
  "node:module",
  "node:worker_threads",
]);
const SHIM = join(src, "core", "node-builtins-browser.ts");
/** Only Kiln's own sources (and its browser tests) get the shim; a package's node: import fails. */
const OWN = [src + sep, join(root, "test") + sep];

/**
 * The esbuild plugin of the browser bundle: X.ts -> X-browser.ts where that exists, the shimmed
 * node: built-ins -> the shim (recording who used which in `shimmedBy`), any other node: import an
 * error. `extra` maps more specifiers to files (the browser tests' node:assert).
 * @param {{ shimmedBy?: Map<string, Set<string>>, swapped?: Set<string>, extra?: Record<string, string> }} record
 * @returns {esbuild.Plugin}
 */
export function browserPlugin({ shimmedBy = new Map(), swapped = new Set(), extra = {} } = {}) {
  return {
    name: "kiln-browser",
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => {
        const from = relative(root, args.importer);
        if (extra[args.path] !== undefined) return { path: extra[args.path] };
        if (!SHIMMED.has(args.path) || !OWN.some((d) => args.importer.startsWith(d))) {
          return {
            errors: [
              { text: `${from} imports ${args.path}, which the browser bundle may not contain` },
            ],
          };
        }
        if (!shimmedBy.has(args.path)) shimmedBy.set(args.path, new Set());
        shimmedBy.get(args.path).add(from);
        return { path: SHIM };
      });
      build.onResolve({ filter: /^\.\.?\/.*\.ts$/ }, (args) => {
        const target = resolve(args.resolveDir, args.path);
        const sibling = target.replace(/\.ts$/, "-browser.ts");
        if (!target.startsWith(src) || args.importer === sibling || !existsSync(sibling)) return;
        swapped.add(relative(root, target));
        return { path: sibling };
      });
    },
  };
}

/**
 * Bundles `entry` for browsers into `outfile` (ESM, minified, with a source map); fails when the
 * output still imports anything (every node: module must have been swapped or shimmed).
 * @param {{ entry: string, outfile: string, extra?: Record<string, string>, minify?: boolean }} o
 */
export async function bundle({ entry, outfile, extra = {}, minify = true }) {
  const shimmedBy = new Map();
  const swapped = new Set();
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    sourcemap: true,
    sourcesContent: false, // the map points at src/, which the package ships
    minify,
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
    plugins: [browserPlugin({ shimmedBy, swapped, extra })],
  });
  // What the bundle still imports (esbuild lists every import left in the output): nothing at all.
  const kept = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
  if (kept.length > 0) {
    throw new Error(
      `build-browser: ${relative(root, outfile)} still imports ${[...new Set(kept)].join(", ")}`,
    );
  }
  return { result, shimmedBy, swapped };
}

/** Builds dist/browser/: kiln.js (+ map) and the two wasm modules. */
export async function buildBrowser({ quiet = false } = {}) {
  mkdirSync(out, { recursive: true });
  const { result, shimmedBy, swapped } = await bundle({
    entry: join(src, "browser.ts"),
    outfile: join(out, "kiln.js"),
  });
  for (const f of ["kiln.wasm", "kiln-mt.wasm"]) copyFileSync(join(root, "wasm", f), join(out, f));
  if (quiet) return;
  const kb = (f) => `${(statSync(join(out, f)).size / 1024).toFixed(0)} KiB`;
  console.log(
    `build-browser: dist/browser/kiln.js ${kb("kiln.js")}, kiln.wasm ${kb("kiln.wasm")}, kiln-mt.wasm ${kb("kiln-mt.wasm")}; ` +
      `${Object.keys(result.metafile.inputs).length} modules; swapped for -browser.ts: ${[...swapped].sort().join(", ")}`,
  );
  for (const [mod, files] of [...shimmedBy].sort()) {
    console.log(`  ${mod} -> node-builtins-browser.ts in ${[...files].sort().join(", ")}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildBrowser({ quiet: process.argv.includes("--quiet") }).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

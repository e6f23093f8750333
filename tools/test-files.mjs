// Prints the test files under the given directories, found by name (`*.test.ts`, or the
// `--suffix` given), so a new test file can never be left out of a run. Node 20's test runner
// takes no globs; npm's scripts pass this list to it:
//   node --test $(node tools/test-files.mjs test/core test/nn)
//   node tools/test-files.mjs --suffix .fuzz.test.ts test/fuzz
// Plain JavaScript with no dependencies, so it runs before anything is built.

import { readdirSync, statSync } from "node:fs";
import { join, sep } from "node:path";

const args = process.argv.slice(2);
let suffix = ".test.ts";
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--suffix") suffix = args[++i] ?? "";
  else dirs.push(args[i]);
}
if (suffix === "" || dirs.length === 0) {
  process.stderr.write("usage: node tools/test-files.mjs [--suffix .test.ts] <dir>...\n");
  process.exit(2);
}

const files = [];
for (const dir of dirs) {
  if (!statSync(dir).isDirectory()) throw new Error(`test-files: ${dir} is not a directory`);
  for (const name of readdirSync(dir, { recursive: true })) {
    const path = join(dir, name);
    if (path.endsWith(suffix) && !path.split(sep).includes("node_modules")) files.push(path);
  }
}
if (files.length === 0) throw new Error(`test-files: no *${suffix} under ${dirs.join(", ")}`);
process.stdout.write(`${[...new Set(files)].sort().join("\n")}\n`);

// The package as a user gets it: a fresh project (ESM, a tsconfig with only `strict`, nodenext and
// noEmit, so no `types` setting) with the files `npm pack` ships in node_modules/kiln-torch, type-
// checks every ```ts block of README.md and examples/seed.ts with TypeScript 5.9 and 7.
// NOTE: dist/ is built here into a temporary folder (as `prepack` builds it before packing), so the
// check sees the current sources and never rewrites the dist/ that other tests run.

import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, test } from "node:test";

const ROOT = resolve(import.meta.dirname, "../..");
const COMPILERS = {
  "TypeScript 5.9": join(ROOT, "node_modules/typescript/bin/tsc"),
  "TypeScript 7": join(ROOT, "node_modules/typescript7/bin/tsc"),
};

/**
 * What a README block that is a fragment (no import of its own) may use from the package, as the
 * README's prose says: "Everything is imported from the package root".
 */
export const PRELUDE =
  'import { data, io, nn, optim, rand, randint, randn, tensor, type Tensor, train, zeros } from "kiln-torch";\n';

/** The ```ts blocks of a Markdown text, in order. */
export function tsBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) blocks.push(m[1]!);
  return blocks;
}

/** A block as a module: its own imports, or the prelude when it has none. */
export function asModule(block: string): string {
  return /^import\s/m.test(block) ? block : PRELUDE + block;
}

// A type check of the dtype-carrying API through the shipped .d.ts: a wrong line must be an error.
const DTYPE_CHECK = `import { nn, randn, tensor, zeros } from "kiln-torch";
const x = randn(4, 3);
const y = tensor([0, 2, 1, 1]);
const loss = new nn.CrossEntropyLoss().forward(x, y.int());
const n: number = loss.item() * 100;
const mask = x.gt(0);
const b: boolean = mask.any().item();
const c: number = mask.sum().item();
// @ts-expect-error a float tensor's item() is a number
const wrong: boolean = x.float().item();
// @ts-expect-error zeros() is float32
const wrong2: boolean = zeros(1).item();
export { n, b, c, wrong, wrong2 };
`;

let project = "";
let build = "";

before(() => {
  build = mkdtempSync(join(tmpdir(), "kiln-dist-"));
  project = mkdtempSync(join(tmpdir(), "kiln-consumer-"));
  // The build may report errors of files being edited elsewhere; tsc still emits, and the consumer
  // check below is what this test is about.
  spawnSync(
    process.execPath,
    [COMPILERS["TypeScript 5.9"], "-p", "tsconfig.build.json", "--outDir", build],
    { cwd: ROOT, encoding: "utf8" },
  );
  const pkg = join(project, "node_modules/kiln-torch");
  const packed = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  ) as { files: { path: string }[] }[];
  for (const { path } of packed[0]!.files) {
    if (path.startsWith("dist/")) continue;
    mkdirSync(dirname(join(pkg, path)), { recursive: true });
    copyFileSync(join(ROOT, path), join(pkg, path));
  }
  cpSync(build, join(pkg, "dist"), { recursive: true });
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const dep of Object.keys(manifest.dependencies)) {
    const link = join(project, "node_modules", dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", dep), link, "dir");
  }
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: "nodenext",
        moduleResolution: "nodenext",
        noEmit: true,
      },
    }),
  );
  const blocks = tsBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  blocks.forEach((b, i) => {
    writeFileSync(join(project, `readme-${i + 1}.ts`), asModule(b));
  });
  copyFileSync(join(ROOT, "examples/seed.ts"), join(project, "seed.ts"));
  writeFileSync(join(project, "dtypes.ts"), DTYPE_CHECK);
});

after(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(build, { recursive: true, force: true });
});

test("README.md has TypeScript blocks to check, fragments and modules", () => {
  const blocks = tsBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
  assert.ok(blocks.length >= 8, `found ${blocks.length} blocks`);
  assert.ok(blocks.some((b) => asModule(b).startsWith(PRELUDE)));
  assert.ok(blocks.some((b) => asModule(b) === b));
});

for (const [name, tsc] of Object.entries(COMPILERS)) {
  test(`the packed package, README blocks and examples/seed.ts type-check with ${name}`, () => {
    const r = spawnSync(process.execPath, [tsc, "-p", project, "--pretty", "false"], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `${name} reported:\n${r.stdout}${r.stderr}`);
  });

  test(`${name} reports a wrong line in the consumer project (the check can fail)`, () => {
    const bad = join(project, "bad");
    mkdirSync(bad, { recursive: true });
    writeFileSync(
      join(bad, "bad.ts"),
      'import { zeros } from "kiln-torch";\nexport const b: boolean = zeros(1).item();\n',
    );
    writeFileSync(
      join(bad, "tsconfig.json"),
      JSON.stringify({ extends: "../tsconfig.json", include: ["bad.ts"] }),
    );
    const r = spawnSync(process.execPath, [tsc, "-p", bad, "--pretty", "false"], {
      encoding: "utf8",
    });
    rmSync(bad, { recursive: true, force: true });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /bad\.ts\(2,14\): error TS2322/);
  });
}

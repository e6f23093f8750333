// The module graph of src/ as ../shared/STYLE.md draws it: dependencies point one way (core →
// backend → tensor/ops → nn → optim → data → train → io → cli) and no runtime import closes a
// cycle. Reads every source file with TypeScript's parser; `import type` and `export type` are
// erased at run time, so they are not edges (a `{ type A }` list is: verbatimModuleSyntax keeps
// the import).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

/** Each top-level folder's rank: a module may import its own rank or a lower one. */
const RANK: Record<string, number> = {
  core: 0,
  backend: 1,
  tensor: 2,
  ops: 2,
  autograd: 2,
  nn: 3,
  models: 3,
  optim: 4,
  data: 5,
  train: 6,
  io: 7,
  cli: 8,
};

/**
 * Upward edges that exist on purpose, each with its reason. The training app writes its
 * checkpoints, metrics, TensorBoard logs and PNGs through io's atomic writers and formats, while
 * io never imports train: the edges point one way, only against STYLE.md's order of the two.
 */
const KNOWN_UPWARD = new Set([
  "train/app.ts -> io/atomic.ts",
  "train/app.ts -> io/index.ts",
  "train/checkpoint.ts -> io/atomic.ts",
  "train/checkpoint.ts -> io/metrics-jsonl.ts",
  "train/visuals.ts -> io/png.ts",
]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/**
 * The relative modules `file` imports at run time. Only `import type` and `export type` are
 * erased: under verbatimModuleSyntax, `import { type A } from "./x"` still loads ./x.
 */
function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const st of sf.statements) {
    let spec: ts.Expression | undefined;
    if (ts.isImportDeclaration(st) && st.importClause?.isTypeOnly !== true) {
      spec = st.moduleSpecifier;
    } else if (ts.isExportDeclaration(st) && !st.isTypeOnly) {
      spec = st.moduleSpecifier;
    }
    if (spec !== undefined && ts.isStringLiteral(spec) && spec.text.startsWith(".")) {
      out.push(normalize(join(dirname(file), spec.text)));
    }
  }
  return out;
}

const graph = new Map(sources(SRC).map((f) => [f, runtimeImports(f)]));
const name = (f: string) => relative(SRC, f);

/** The strongly connected components of more than one module (Tarjan's algorithm). */
function cycles(): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(name(w));
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe("layering of src/", () => {
  it("reads the graph it checks (a known edge of each kind is present)", () => {
    // The Tensor that nn imports binds the ops first; the ops import the class directly.
    const tensor = graph.get(join(SRC, "tensor", "tensor.ts"));
    assert.deepEqual(tensor, [
      join(SRC, "ops", "tensor-methods.ts"),
      join(SRC, "tensor", "tensor-class.ts"),
    ]);
    // a named value import is an edge (elementwise.ts takes expand and sumToShape from movement.ts)
    assert.ok(
      graph.get(join(SRC, "ops", "elementwise.ts"))!.includes(join(SRC, "ops", "movement.ts")),
    );
    // `import type { Tensor }` is no edge: autograd.ts only names the class in types.
    assert.ok(
      !graph
        .get(join(SRC, "tensor", "autograd.ts"))!
        .includes(join(SRC, "tensor", "tensor-class.ts")),
    );
  });

  it("resolves every relative import to a source file it reads (none escapes the check)", () => {
    const unresolved = [...graph].flatMap(([f, deps]) =>
      deps.filter((d) => !graph.has(d)).map((d) => `${name(f)} -> ${relative(SRC, d)}`),
    );
    assert.deepEqual(unresolved, []);
  });

  it("has no import cycles at run time", () => {
    assert.deepEqual(cycles(), []);
  });

  it("imports only downward, as STYLE.md orders the folders", () => {
    const upward: string[] = [];
    for (const [file, deps] of graph) {
      const from = name(file);
      const rankFrom = RANK[from.split("/")[0]!];
      if (rankFrom === undefined) continue; // index.ts, browser.ts: the entries see everything
      for (const dep of deps) {
        const to = name(dep);
        const rankTo = RANK[to.split("/")[0]!];
        if (rankTo === undefined) {
          // only the CLI may import an entry (the public API)
          if (!(from.startsWith("cli/") && to === "index.ts")) upward.push(`${from} -> ${to}`);
        } else if (rankTo > rankFrom && !KNOWN_UPWARD.has(`${from} -> ${to}`)) {
          upward.push(`${from} -> ${to}`);
        }
      }
    }
    assert.deepEqual(upward, []);
  });
});

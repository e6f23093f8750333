// The PyTorch → Kiln name table cannot go stale: every Kiln name in docs/names.json is a public
// export or class member, docs/names.md is what tools/docs/names.ts renders from the JSON, and
// every PyTorch name links to a documentation page.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { readNames, renderNames, torchUrl } from "../../tools/docs/names.ts";
import { collectApi, createProgram } from "../../tools/docs/public-api.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const table = readNames();
const rows = table.sections.flatMap((s) => s.rows);

test("every Kiln name in the table is a public export or member", () => {
  const api = new Set(collectApi(createProgram()).map((i) => i.name));
  const missing = rows.filter((r) => !api.has(r.kiln)).map((r) => `${r.torch} → ${r.kiln}`);
  assert.deepEqual(
    missing,
    [],
    `names.json names things Kiln does not export:\n${missing.join("\n")}`,
  );
});

test("docs/names.md is rendered from docs/names.json", () => {
  const md = readFileSync(path.join(ROOT, "docs/names.md"), "utf8");
  assert.equal(md, renderNames(table), "run: node --import tsx tools/docs/names.ts");
});

test("each PyTorch name links to a documentation page and appears once", () => {
  const seen = new Set<string>();
  for (const r of rows) {
    assert.match(torchUrl(r), /^https:\/\/(pytorch\.org|huggingface\.co)\//, r.torch);
    const key = `${r.torch} → ${r.kiln}`;
    assert.ok(!seen.has(key), `duplicate row ${key}`);
    seen.add(key);
  }
  assert.ok(rows.length > 300, `only ${rows.length} rows`);
});

// Every public export reachable from src/index.ts, and every public member of every exported
// class, carries a TSDoc comment (an override of a documented base member counts, as TypeDoc
// inherits the doc). Failures list the items by file, so each owner can find theirs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { collectApi, createProgram } from "../../tools/docs/public-api.ts";

test("every public export and class member has a TSDoc comment", () => {
  const items = collectApi(createProgram());
  assert.ok(items.length > 500, `found only ${items.length} public items: is the walk broken?`);
  const missing = items.filter((i) => !i.documented);
  const byFile = new Map<string, string[]>();
  for (const i of missing) {
    const list = byFile.get(i.file) ?? [];
    list.push(`  ${i.file}:${i.line}  ${i.kind} ${i.name}`);
    byFile.set(i.file, list);
  }
  const report = [...byFile]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, lines]) => `${file} (${lines.length})\n${lines.join("\n")}`)
    .join("\n");
  assert.equal(missing.length, 0, `${missing.length} public items have no doc comment:\n${report}`);
});

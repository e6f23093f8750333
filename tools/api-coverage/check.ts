// Measures issue 15's API coverage: reads tools/api-coverage/uses.json (extract.py's output) and
// docs/names.json, looks each used PyTorch name up in Kiln's exports (from src, no build needed),
// writes docs/api-coverage.md and prints it. Depends on no Python and changes nothing else.
//   npm run api-coverage        (node --import tsx tools/api-coverage/check.ts)

import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { DTYPES } from "../../src/core/dtype.ts";
import * as kiln from "../../src/index.ts";
import { computeCoverage, type NameRow, renderReport, type UsesFile } from "./coverage.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The report for the current exports, uses.json and names.json. */
export function currentReport(): string {
  const uses = JSON.parse(
    readFileSync(path.join(ROOT, "tools/api-coverage/uses.json"), "utf8"),
  ) as UsesFile;
  const names = JSON.parse(readFileSync(path.join(ROOT, "docs/names.json"), "utf8")) as {
    sections: { rows: NameRow[] }[];
  };
  const rows = names.sections.flatMap((s) => s.rows);
  return renderReport(uses, computeCoverage(uses, kiln, rows, DTYPES));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const md = currentReport();
  writeFileSync(path.join(ROOT, "docs/api-coverage.md"), md);
  process.stdout.write(md);
}

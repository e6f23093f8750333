// `kiln report <run dir>`: rebuilds report.html from metrics.jsonl. Imports only the public entry.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { io } from "../index.ts";
import { UsageError } from "./args.ts";

export function reportCommand(runDir: string): void {
  const jsonl = join(runDir, "metrics.jsonl");
  if (!existsSync(jsonl))
    throw new UsageError(`'${runDir}' is not a run directory: ${jsonl} does not exist`);
  console.log(`wrote ${io.rebuildReport(runDir)}`);
}

// Shared by the train/CLI tests: spawning `kiln` (src/cli/main.ts through tsx) as a child process,
// temporary output directories, and finding the files a run wrote. Not a test file itself.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the CLI runs there, as `npx kiln` would. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface KilnResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `kiln <args>`; `onStdout` sees the output as it arrives (for SIGINT tests). */
export function startKiln(
  args: readonly string[],
  onStdout?: (soFar: string, child: ChildProcess) => void,
): { child: ChildProcess; done: Promise<KilnResult> } {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
    onStdout?.(stdout, child);
  });
  child.stderr!.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const done = new Promise<KilnResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs `kiln <args>` to the end. */
export function kiln(...args: string[]): Promise<KilnResult> {
  return startKiln(args).done;
}

/** A fresh directory under the system temp dir; `cleanup` removes it. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `kiln-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The one file or directory in `dir` whose name matches `re` (throws when not exactly one). */
export function only(dir: string, re: RegExp): string {
  const hits = readdirSync(dir).filter((n) => re.test(n));
  if (hits.length !== 1)
    throw new Error(`expected one match of ${re} in ${dir}, got [${hits.join(", ")}]`);
  return join(dir, hits[0]!);
}

/**
 * Trains the seed MLP for one epoch on 128 samples (validated on 64) into `out` and returns its
 * checkpoint (`models/kiln/..._kiln.128.safetensors`): a fixture for the commands that read one.
 */
export async function trainTinyMlp(out: string): Promise<string> {
  const r = await kiln(
    "train",
    "--limit",
    "128",
    "--val-limit",
    "64",
    "--epochs",
    "1",
    "--out",
    out,
  );
  if (r.code !== 0) throw new Error(`kiln train failed (${r.code}): ${r.stderr}`);
  return only(join(out, "models", "kiln"), /_kiln\.128\.safetensors$/);
}

/** Small-subset flags shared by the tests' training runs. */
export const SMALL = ["--limit", "1000", "--val-limit", "300"] as const;

// Peak memory for the benchmarks: runs a command in its own process and reads its peak RSS
// (GNU time's %M, the kernel's VmHWM of the process), and bundles a TypeScript entry point into
// one JavaScript file with esbuild, so that Kiln's processes run compiled JavaScript as an
// installed kiln-torch does: tsx's in-process compiler adds ~70 MB of RSS that is not Kiln's.
// Used by bench/run.ts. Depends on Node and the esbuild that tsx installs only.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
/** Where bundles and time's output go: ignored by git (bench/results/*.tmp). */
export const TMP = join(here, "results", "bundle.tmp");

/**
 * `entry` (a path under the repository) bundled to bench/results/bundle.tmp/<name>.mjs, packages
 * left external (they resolve from the repository's node_modules; the native addon is found from
 * binding.gyp above the bundle). Returns the bundle's path, or null when esbuild is missing.
 */
export function bundle(entry: string, name: string): string | null {
  const esbuild = join(root, "node_modules", ".bin", "esbuild");
  if (!existsSync(esbuild)) return null;
  mkdirSync(TMP, { recursive: true });
  const out = join(TMP, `${name}.mjs`);
  const r = spawnSync(
    esbuild,
    [
      join(root, entry),
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--packages=external",
      `--outfile=${out}`,
      "--log-level=error",
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) {
    process.stderr.write(`bench: esbuild of ${entry} failed: ${r.stderr.trim()}\n`);
    return null;
  }
  return out;
}

/** A finished process: its peak RSS in MiB (null when unmeasured), output and exit status. */
export interface Measured {
  peakMiB: number | null;
  stdout: string;
  stderr: string;
  status: number | null;
}

/**
 * Runs `cmd args` under GNU time and returns its peak RSS (the largest resident set the process
 * reached, %M, in MB of 10^6 bytes). Without /usr/bin/time, peakMiB is null.
 */
export function peakRss(
  cmd: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Measured {
  const haveTime = existsSync("/usr/bin/time");
  mkdirSync(TMP, { recursive: true });
  const file = join(TMP, `time-${process.pid}.txt`);
  const r = haveTime
    ? spawnSync("/usr/bin/time", ["-f", "%M", "-o", file, cmd, ...args], {
        encoding: "utf8",
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 600_000,
      })
    : spawnSync(cmd, args, {
        encoding: "utf8",
        env: options.env ?? process.env,
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 600_000,
      });
  let peakMiB: number | null = null;
  if (haveTime && existsSync(file)) {
    // the last line is %M (KiB); a line before it may say "Command exited with non-zero status"
    const kb = Number(readFileSync(file, "utf8").trim().split("\n").at(-1));
    if (Number.isFinite(kb)) peakMiB = kb / 1024;
    rmSync(file, { force: true });
  }
  return { peakMiB, stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status };
}

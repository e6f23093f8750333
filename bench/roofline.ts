// The benchmarks' roofline: this machine's measured float32 FMA peak and memory bandwidth on 1
// and 2 threads (bench/peak.c, compiled here with the system C compiler for the CPU it runs on),
// and a workload's achieved GFLOP/s as a percentage of the peak. Used by bench/run.ts and
// bench/general-models.bench.ts. Depends on Node and a C compiler (cc) only.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** One thread count's limits: FMA peak GFLOP/s and STREAM copy / triad GB/s (10^9 bytes). */
export interface Limits {
  fma_gflops: number;
  copy_gbs: number;
  triad_gbs: number;
  /** float32 lanes of the FMAs measured: 16 (AVX-512), 8 (AVX2), 0 (neither: no FMA peak). */
  lanes: number;
}

/** The limits by thread count ("1", "2"), and the 1-minute load average when measured. */
export interface Peaks {
  threads: Record<string, Limits>;
  loadavg: number;
}

/**
 * Builds bench/peak.c (cc -O2 -march=native -pthread) and runs it on 1 and `threads` threads
 * with STREAM arrays of `mib` MiB per thread (3 arrays each). About 5 s. Null when it cannot.
 */
export function measurePeaks(threads = 2, mib = 128): Peaks | null {
  const dir = join(here, "results", "bundle.tmp");
  mkdirSync(dir, { recursive: true });
  const exe = join(dir, "peak");
  const cc = spawnSync(
    "cc",
    ["-O2", "-march=native", "-pthread", "-o", exe, join(here, "peak.c")],
    { encoding: "utf8" },
  );
  if (cc.status !== 0 || !existsSync(exe)) {
    process.stderr.write(`bench: cannot build bench/peak.c: ${cc.stderr ?? cc.error}\n`);
    return null;
  }
  const r = spawnSync(exe, [String(threads), String(mib)], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) return null;
  const load = loadavg()[0]!;
  if (load > cpus().length / 2) {
    process.stderr.write(
      `bench: the machine peak was measured at load average ${load.toFixed(1)} on ${cpus().length} cores: other processes share the cores, so the peak (and every % of it) is understated\n`,
    );
  }
  return { threads: JSON.parse(r.stdout.trim()) as Record<string, Limits>, loadavg: load };
}

/** `gflops` as a percentage of the FMA peak on `threads` threads ("" when either is unknown). */
export function pctOfPeak(
  gflops: number | undefined,
  peaks: Peaks | null,
  threads: number,
): string {
  const peak = peaks?.threads[String(threads)]?.fma_gflops;
  if (gflops === undefined || !peak) return "";
  return `${((100 * gflops) / peak).toFixed(gflops / peak < 0.01 ? 2 : 1)}%`;
}

/** A one-line description of the peaks, for under a table. */
export function describePeaks(peaks: Peaks | null): string {
  if (peaks === null)
    return "machine peak: not measured (--no-peak, or bench/peak.c did not build)";
  const parts = Object.entries(peaks.threads).map(
    ([t, l]) =>
      `${t} thread(s): FMA ${l.fma_gflops.toFixed(1)} GFLOP/s (${l.lanes}-wide), copy ${l.copy_gbs.toFixed(1)} GB/s, triad ${l.triad_gbs.toFixed(1)} GB/s`,
  );
  return `machine peak (bench/peak.c, float32, at load average ${peaks.loadavg.toFixed(1)}): ${parts.join("; ")}`;
}

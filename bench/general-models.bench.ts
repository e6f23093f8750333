// General-model benchmark: Kiln against PyTorch (bench/pytorch_general_models.py, spawned here)
// in the same run, on 2 threads, with the models written as users write them (hand-written
// nn.Module subclasses, fresh input tensors each step, median step time after warm-up): the
// book's LunaModel, a small CIFAR ResNet, an LSTM language model, a GPT-style decoder and the
// seed MLP as nn.Sequential and as a module. Run: node --import tsx bench/general-models.bench.ts
// [--only=luna,gpt,mlp] [--quick] [--omp-passive]. Workload by workload, PyTorch runs first,
// then Kiln. Prints a Markdown table, writes bench/results/general-<date>.json.
// Depends on the public API (src/index.ts) only.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  arange,
  backendInfo,
  flatten,
  manualSeed,
  models,
  nn,
  optim,
  randint,
  randn,
  setNumThreads,
  slice,
  type Tensor,
  zeros,
} from "../src/index.ts";

const here = dirname(fileURLToPath(import.meta.url));
const THREADS = 2;

/** [warm-up, timed] steps per workload, passed to the PyTorch side too. */
const STEPS: Record<string, [number, number]> = {
  luna: [3, 12],
  resnet: [4, 20],
  lstm: [5, 30],
  gpt: [5, 30],
  // the two MLPs take turns, step by step
  mlp: [50, 400],
};
// --quick: 1 warm-up and 3 timed steps each (a smoke run, not numbers to report)
if (process.argv.includes("--quick")) for (const k in STEPS) STEPS[k] = [1, 3];

interface Timing {
  median_ms: number;
  min_ms: number;
  steps: number;
  warmup: number;
}

/** Median and min of a list of ms. */
function summary(times: number[], warm: number): Timing {
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { median_ms: median, min_ms: times[0]!, steps: times.length, warmup: warm };
}

/**
 * Median (and min) ms of each `steps[j](...batch)` over the timed steps of workload `name`; a
 * fresh batch is made (untimed) each step, and several models take turns on it (in rotating
 * order), so that they see the same conditions.
 */
function timedEach<B extends unknown[]>(
  name: string,
  makeBatch: () => B,
  steps: ((...batch: B) => void)[],
): Timing[] {
  const [warm, n] = STEPS[name]!;
  const times: number[][] = steps.map(() => []);
  for (let i = 0; i < warm + n; i++) {
    const batch = makeBatch();
    // the models take turns in rotating order, so that none always runs first
    steps.forEach((_, r) => {
      const j = (r + i) % steps.length;
      const t0 = process.hrtime.bigint();
      steps[j]!(...batch);
      const dt = Number(process.hrtime.bigint() - t0) / 1e6;
      if (i >= warm) times[j]!.push(dt);
    });
  }
  return times.map((t) => summary(t, warm));
}

/** `timedEach` of one model. */
function timed<B extends unknown[]>(
  name: string,
  makeBatch: () => B,
  step: (...batch: B) => void,
): Timing {
  return timedEach(name, makeBatch, [step])[0]!;
}

// 1. The book's LunaModel (Kiln ships it as models.LunaModel; forward → [logits, probabilities]).
function benchLuna(): Timing {
  const model = new models.LunaModel();
  const opt = new optim.SGD(model.parameters(), { lr: 0.001, momentum: 0.99 });
  const lossFn = new nn.CrossEntropyLoss();
  return timed(
    "luna",
    () => [randn(8, 1, 32, 48, 48), randint(0, 2, [8])] as [Tensor, Tensor],
    (x, y) => {
      opt.zeroGrad();
      const [logits] = model.forward(x);
      lossFn.forward(logits, y).backward();
      opt.step();
    },
  );
}

// 2. A small CIFAR ResNet.
class Block extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  shortcut: nn.Sequential | null = null;
  constructor(cin: number, cout: number, stride = 1) {
    super();
    this.conv1 = new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(cout);
    this.conv2 = new nn.Conv2d(cout, cout, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(cout);
    if (stride !== 1 || cin !== cout) {
      this.shortcut = new nn.Sequential(
        new nn.Conv2d(cin, cout, 1, { stride, bias: false }),
        new nn.BatchNorm2d(cout),
      );
    }
  }
  override forward(x: Tensor): Tensor {
    const out = this.bn2.forward(
      this.conv2.forward(this.bn1.forward(this.conv1.forward(x)).relu()),
    );
    return out.add(this.shortcut === null ? x : this.shortcut.forward(x)).relu();
  }
}

class SmallResNet extends nn.Module {
  conv = new nn.Conv2d(3, 32, 3, { padding: 1, bias: false });
  bn = new nn.BatchNorm2d(32);
  layer1 = new Block(32, 32);
  layer2 = new Block(32, 32);
  layer3 = new Block(32, 64, 2);
  pool = new nn.AdaptiveAvgPool2d(1);
  fc = new nn.Linear(64, 10);
  override forward(x: Tensor): Tensor {
    let h = this.bn.forward(this.conv.forward(x)).relu();
    h = this.layer3.forward(this.layer2.forward(this.layer1.forward(h)));
    return this.fc.forward(flatten(this.pool.forward(h), 1));
  }
}

function benchResnet(): Timing {
  const model = new SmallResNet();
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  return timed(
    "resnet",
    () => [randn(32, 3, 32, 32), randint(0, 10, [32])] as [Tensor, Tensor],
    (x, y) => {
      opt.zeroGrad();
      lossFn.forward(model.forward(x), y).backward();
      opt.step();
    },
  );
}

// 3. An LSTM language model, as pytorch/examples word_language_model (no dropout, untied).
class RNNModel extends nn.Module<[Tensor, [Tensor, Tensor]]> {
  encoder = new nn.Embedding(1000, 128);
  rnn = new nn.LSTM(128, 128, 2);
  decoder = new nn.Linear(128, 1000);
  override forward(input: Tensor, hidden: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    const [output, h] = this.rnn.forward(this.encoder.forward(input), hidden);
    return [this.decoder.forward(output), h];
  }
}

function benchLstm(): Timing {
  const [bptt, batch, ntoken] = [35, 16, 1000];
  const model = new RNNModel();
  const opt = new optim.SGD(model.parameters(), { lr: 1 });
  const criterion = new nn.CrossEntropyLoss();
  let hidden: [Tensor, Tensor] = [zeros(2, batch, 128), zeros(2, batch, 128)];
  return timed(
    "lstm",
    () =>
      [randint(0, ntoken, [bptt, batch]), randint(0, ntoken, [bptt, batch])] as [Tensor, Tensor],
    (data, targets) => {
      // repackage_hidden: keep the values, cut the graph
      const h: [Tensor, Tensor] = [hidden[0].detach(), hidden[1].detach()];
      opt.zeroGrad();
      const [output, next] = model.forward(data, h);
      hidden = next;
      criterion.forward(output.view(-1, ntoken), targets.view(-1)).backward();
      nn.utils.clipGradNorm_(model.parameters(), 0.25);
      opt.step();
    },
  );
}

// 4. A GPT-style decoder: token + learned positional embeddings, pre-norm encoder layers under a
// causal mask, final LayerNorm and a vocabulary head.
class GPT extends nn.Module {
  tok = new nn.Embedding(1000, 128);
  pos = new nn.Embedding(64, 128);
  blocks = new nn.ModuleList(
    Array.from(
      { length: 2 },
      () =>
        new nn.TransformerEncoderLayer(128, 4, {
          dimFeedforward: 512,
          dropout: 0,
          batchFirst: true,
          normFirst: true,
        }),
    ),
  );
  ln = new nn.LayerNorm(128);
  head = new nn.Linear(128, 1000);
  declare mask: Tensor;
  constructor() {
    super();
    this.registerBuffer("mask", nn.Transformer.generateSquareSubsequentMask(64), {
      persistent: false,
    });
  }
  override forward(idx: Tensor): Tensor {
    const t = idx.shape[1]!;
    let x = this.tok.forward(idx).add(this.pos.forward(arange(t)));
    const mask = this.mask.index(slice(0, t), slice(0, t));
    for (const block of this.blocks) {
      x = (block as nn.TransformerEncoderLayer).forward(x, { srcMask: mask });
    }
    return this.head.forward(this.ln.forward(x));
  }
}

function benchGpt(): Timing {
  const [vocab, ctx, batch] = [1000, 64, 16];
  const model = new GPT();
  const opt = new optim.AdamW(model.parameters(), { lr: 3e-4 });
  const lossFn = new nn.CrossEntropyLoss();
  return timed(
    "gpt",
    () => [randint(0, vocab, [batch, ctx]), randint(0, vocab, [batch, ctx])] as [Tensor, Tensor],
    (x, y) => {
      opt.zeroGrad();
      const logits = model.forward(x);
      lossFn.forward(logits.view(-1, vocab), y.view(-1)).backward();
      opt.step();
    },
  );
}

// 5. The seed MLP, as nn.Sequential and as a hand-written module (examples/seed.ts).
class NeuralNet extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

/** A seed-MLP training step of `model`. */
function mlpStep(model: nn.Module<Tensor>): (x: Tensor, y: Tensor) => void {
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  return (x, y) => {
    opt.zeroGrad();
    lossFn.forward(model.forward(x), y).backward();
    opt.step();
  };
}

/** Both MLPs, taking turns step by step (same batches): `[sequential, module]`. */
function benchMlp(): Timing[] {
  const seq = new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10));
  const mod = new NeuralNet();
  return timedEach("mlp", () => [randn(64, 784), randint(0, 10, [64])] as [Tensor, Tensor], [
    mlpStep(seq),
    mlpStep(mod),
  ]);
}

/** Workload groups: the keys of the rows they give, with their labels, and the Kiln runner. */
const WORKLOADS: [group: string, rows: [key: string, label: string][], run: () => Timing[]][] = [
  ["luna", [["luna", "LunaModel step (batch 8, 1x32x48x48, SGD m=0.99)"]], () => [benchLuna()]],
  [
    "resnet",
    [["resnet", "small CIFAR ResNet step (batch 32, 3x32x32, SGD m=0.9)"]],
    () => [benchResnet()],
  ],
  ["lstm", [["lstm", "LSTM LM step (2x128, bptt 35, batch 16, clip 0.25)"]], () => [benchLstm()]],
  [
    "gpt",
    [["gpt", "GPT decoder step (2 layers d=128, ctx 64, batch 16, AdamW)"]],
    () => [benchGpt()],
  ],
  [
    "mlp",
    [
      ["mlp_sequential", "seed MLP step, nn.Sequential (784-128-10, batch 64, SGD m=0.9)"],
      ["mlp_module", "seed MLP step, hand-written module (784-128-10, batch 64, SGD m=0.9)"],
    ],
    benchMlp,
  ],
];

interface TorchResult {
  torch: string;
  threads: number;
  openblas_core?: string;
  results: Record<string, Timing>;
}

/**
 * One PyTorch run of the workloads `keys`. As bench/run.ts: OpenBLAS picks its own kernel (this
 * machine's OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pins would slow PyTorch).
 */
function torchRun(keys: string[]): TorchResult | null {
  if (!existsSync("/usr/bin/python3")) return null;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(THREADS),
    OPENBLAS_NUM_THREADS: String(THREADS),
  };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  if (ompPassive) env.OMP_WAIT_POLICY = "PASSIVE";
  const r = spawnSync(
    "/usr/bin/python3",
    [join(here, "pytorch_general_models.py"), JSON.stringify(STEPS), keys.join(",")],
    { encoding: "utf8", env, timeout: 600_000 },
  );
  if (r.status !== 0) {
    process.stderr.write(`bench: PyTorch run failed: ${r.stderr.split("\n").at(-2) ?? ""}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split("\n").at(-1)!) as TorchResult;
}

/**
 * --omp-passive: OMP_WAIT_POLICY=PASSIVE for PyTorch. Not PyTorch's default; on a machine loaded
 * by other processes, PyTorch's spinning OpenMP threads lose their time slices and its steps
 * slow down many times over (seed MLP: ~60 ms instead of ~1 ms at load average 13), which this
 * flag avoids. Recorded in the JSON and under the table.
 */
const ompPassive = process.argv.includes("--omp-passive");
const onlyArg = process.argv.find((a) => a.startsWith("--only="));
const only = onlyArg === undefined ? null : onlyArg.slice(7).split(",");
const started = new Date();
setNumThreads(THREADS);
const info = backendInfo();
const kiln: Record<string, Timing> = {};
const torchResults: Record<string, Timing> = {};
/** 1-minute load average when each workload started (both sides), as os.loadavg()[0]. */
const load: Record<string, number> = {};
let torch: TorchResult | null = null;
// Workload by workload, PyTorch then Kiln, so that both sides of a row see about the same load
// from the other processes on the machine.
for (const [group, keys, run] of WORKLOADS) {
  if (only !== null && !only.includes(group)) continue;
  load[group] = loadavg()[0]!;
  const pt = torchRun([group]);
  if (pt !== null) {
    torch = pt;
    Object.assign(torchResults, pt.results);
  }
  manualSeed(0);
  run().forEach((t, i) => {
    const key = keys[i]![0];
    kiln[key] = t;
    const p = torchResults[key]?.median_ms.toFixed(2) ?? "-";
    process.stderr.write(
      `bench: ${key}: Kiln ${t.median_ms.toFixed(2)} ms, PyTorch ${p} ms, load ${load[group]!.toFixed(2)}\n`,
    );
  });
}
const loadAfter = loadavg();

const f = (x: number | undefined) => (x === undefined ? "" : x < 10 ? x.toFixed(2) : x.toFixed(1));
const header = [
  "workload",
  `Kiln ${info.backend}${info.cpuPath ? ` (${info.cpuPath})` : ""}, ms/step`,
  `PyTorch ${torch?.torch ?? "(missing)"}, ms/step`,
  "Kiln/PyTorch",
  "load avg (1 min)",
];
const rows: string[][] = [];
for (const [group, keys] of WORKLOADS) {
  for (const [key, label] of keys) {
    const k = kiln[key]?.median_ms;
    if (k === undefined) continue;
    const p = torchResults[key]?.median_ms;
    const [warm, n] = STEPS[group]!;
    rows.push([
      `${label}, median of ${n} after ${warm}`,
      f(k),
      f(p),
      p === undefined ? "" : `${(k / p).toFixed(2)}x`,
      load[group]!.toFixed(2),
    ]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
for (const r of rows) console.log(line(r));
const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(", ");
console.log(
  `\n${THREADS} threads on both sides; PyTorch's OpenBLAS core: ${torch?.openblas_core || "(unknown)"}; ` +
    `load average (1, 5, 15 min) at the end ${la(loadAfter)}` +
    `${ompPassive ? "; PyTorch ran with OMP_WAIT_POLICY=PASSIVE (--omp-passive)" : ""}.`,
);
const seq = kiln.mlp_sequential?.median_ms;
const mod = kiln.mlp_module?.median_ms;
if (seq !== undefined && mod !== undefined) {
  console.log(
    `Kiln seed MLP: hand-written module / nn.Sequential = ${(mod / seq).toFixed(3)} (target within 10%).`,
  );
}

const dir = join(here, "results");
mkdirSync(dir, { recursive: true });
const file = join(dir, `general-${started.toISOString().replace(/[:.]/g, "-")}.json`);
const json = {
  date: started.toISOString(),
  threads: THREADS,
  torchOmpWaitPolicy: ompPassive ? "PASSIVE" : "default",
  backend: info,
  loadavg: { perWorkload: load, after: loadAfter },
  steps: STEPS,
  kiln,
  torch: torch === null ? null : { ...torch, results: torchResults },
  rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
};
writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
console.log(`\nwritten ${file}`);

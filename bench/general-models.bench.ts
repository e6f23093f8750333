// General-model benchmark: Kiln against PyTorch (bench/pytorch_general_models.py, spawned here)
// in the same run, on 2 threads, with the models written as users write them (hand-written
// nn.Module subclasses, fresh input tensors each step, median step time after warm-up): the
// book's LunaModel, a small CIFAR ResNet, an LSTM language model, a GPT-style decoder,
// resnet18 inference at batch 1 and the seed MLP as nn.Sequential and as a module. Run: node --import tsx bench/general-models.bench.ts
// [--only=luna,gpt,mlp] [--quick] [--omp-passive] [--no-peak]. Workload by workload, PyTorch runs
// first (twice: OPENBLAS_NUM_THREADS 1 and 2, the faster per row counts), then Kiln. Each row's
// achieved GFLOP/s is given against this machine's measured FMA peak (bench/roofline.ts; the
// FLOPs of each workload are in TRAIN_FLOPS). Prints a Markdown table, writes
// bench/results/general-<date>.json. `--mem=resnet[:steps]` runs only Kiln's ResNet steps and
// prints the process's peak RSS (bench/run.ts's memory row). Depends on the public API only.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
  noGrad,
  optim,
  randint,
  randn,
  setNumThreads,
  slice,
  type Tensor,
  zeros,
} from "../src/index.ts";
import { describePeaks, measurePeaks, type Peaks, pctOfPeak } from "./roofline.ts";

const here = dirname(fileURLToPath(import.meta.url));
const THREADS = 2;

/** [warm-up, timed] steps per workload, passed to the PyTorch side too. */
const STEPS: Record<string, [number, number]> = {
  luna: [3, 12],
  resnet: [4, 20],
  lstm: [5, 30],
  gpt: [5, 30],
  resnet18_infer: [3, 15],
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

// 5. torchvision's resnet18 (Kiln's models.resnet18, the same architecture and state-dict
// keys) in eval mode, one 224x224 image per call under noGrad: inference latency.
function benchResnet18Infer(): Timing {
  const model = models.resnet18();
  model.eval();
  return timed(
    "resnet18_infer",
    () => [randn(1, 3, 224, 224)] as [Tensor],
    (x) => {
      noGrad(() => model.forward(x));
    },
  );
}

// 6. The seed MLP, as nn.Sequential and as a hand-written module (examples/seed.ts).
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
    "resnet18_infer",
    [["resnet18_infer", "resnet18 inference (eval, noGrad, batch 1, 3x224x224), latency"]],
    () => [benchResnet18Infer()],
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

/**
 * Training FLOPs of one step of each row's workload: convolution and matrix-multiply terms only
 * (elementwise ops, normalisation, pooling, softmax and the optimizer not counted). A layer's
 * forward is 2·(multiply-adds); backward counts 2× forward (weight gradient and input gradient),
 * less the input gradient of a first layer that reads the raw input (nobody asks for it), so a
 * step is 3·F (- that first layer's F). Convolutions: 2·Cout·Cin·k^d·(output positions).
 */
function trainFlops(): Record<string, number> {
  const conv3 = (cin: number, cout: number, vol: number) => 2 * cout * cin * 27 * vol;
  const conv2 = (cin: number, cout: number, k: number, hw: number) => 2 * cout * cin * k * k * hw;
  // LunaModel, batch 8, 1x32x48x48: four blocks of two 3x3x3 convs (padding 1) and a 2x max-pool,
  // at 32·48·48, 16·24·24, 8·12·12 and 4·6·6 voxels, then Linear(1152, 2). The tail BatchNorm has
  // weights, so conv1's input gradient counts.
  const [v1, v2, v3, v4] = [32 * 48 * 48, 16 * 24 * 24, 8 * 12 * 12, 4 * 6 * 6];
  const luna =
    conv3(1, 8, v1) +
    conv3(8, 8, v1) +
    conv3(8, 16, v2) +
    conv3(16, 16, v2) +
    conv3(16, 32, v3) +
    conv3(32, 32, v3) +
    conv3(32, 64, v4) +
    conv3(64, 64, v4) +
    2 * 1152 * 2;
  // SmallResNet, batch 32, 3x32x32: stem 3→32, two blocks of two 32→32 at 32², a block 32→64
  // with stride 2 (16²) and its 1x1 shortcut, Linear(64, 10); the stem reads the raw input.
  const stem = conv2(3, 32, 3, 1024);
  const resnet =
    stem +
    4 * conv2(32, 32, 3, 1024) +
    conv2(32, 64, 3, 256) +
    conv2(64, 64, 3, 256) +
    conv2(32, 64, 1, 256) +
    2 * 64 * 10;
  // LSTM LM, 35 × 16 tokens: per token and layer the gates 2·4H·(in + H) with in = H = 128, two
  // layers, then the decoder 2·128·1000.
  const lstm = 2 * 2 * 4 * 128 * (128 + 128) + 2 * 128 * 1000;
  // GPT, 16 × 64 tokens, d 128: per token and layer QKV 2·d·3d, out projection 2·d², FFN
  // 2·2·d·512, attention scores and mixing 2·2·T·d (T = 64, the masked half computed too); two
  // layers, then the head 2·d·1000.
  const d = 128;
  const gptLayer = 2 * d * 3 * d + 2 * d * d + 2 * 2 * d * 512 + 2 * 2 * 64 * d;
  const gpt = 2 * gptLayer + 2 * d * 1000;
  // resnet18 at 224x224, forward only: the 7x7 stem (stride 2, 112²), four stages of 3x3 convs
  // at 56², 28², 14², 7² (64 to 512 channels; each later stage opens with a stride-2 conv and a
  // 1x1 stride-2 shortcut), then Linear(512, 1000).
  const stage = (cin: number, cout: number, hw: number) =>
    conv2(cin, cout, 3, hw) +
    3 * conv2(cout, cout, 3, hw) +
    (cin === cout ? 0 : conv2(cin, cout, 1, hw));
  const resnet18 =
    conv2(3, 64, 7, 112 * 112) +
    stage(64, 64, 56 * 56) +
    stage(64, 128, 28 * 28) +
    stage(128, 256, 14 * 14) +
    stage(256, 512, 7 * 7) +
    2 * 512 * 1000;
  // seed MLP, batch 64: 784→128→10; the first layer reads the raw input.
  const mlpFirst = 2 * 64 * 784 * 128;
  const mlp = 3 * (mlpFirst + 2 * 64 * 128 * 10) - mlpFirst;
  return {
    luna: 8 * 3 * luna,
    resnet: 32 * (3 * resnet - stem),
    lstm: 35 * 16 * 3 * lstm,
    gpt: 16 * 64 * 3 * gpt,
    resnet18_infer: resnet18,
    mlp_sequential: mlp,
    mlp_module: mlp,
  };
}
const TRAIN_FLOPS = trainFlops();

interface TorchResult {
  torch: string;
  threads: number;
  openblas_core?: string;
  results: Record<string, Timing>;
}

/**
 * One PyTorch run of the workloads `keys` (torch.set_num_threads(2)) with OpenBLAS on
 * `blasThreads` threads. As bench/run.ts: OpenBLAS picks its own kernel (this machine's
 * OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE pins would slow PyTorch).
 */
function torchRun(keys: string[], blasThreads: number): TorchResult | null {
  if (!existsSync("/usr/bin/python3")) return null;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OMP_NUM_THREADS: String(THREADS),
    OPENBLAS_NUM_THREADS: String(blasThreads),
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
const memArg = process.argv.find((a) => a.startsWith("--mem="));

/** The process's peak resident set so far (VmHWM), KiB. */
function peakRssKb(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"));
  return m === null ? 0 : Number(m[1]);
}

if (memArg !== undefined) {
  // --mem=resnet[:steps]: only Kiln's ResNet training steps (1 warm-up + steps), then the peak
  // RSS as one JSON line; bench/run.ts runs this bundled, in its own process, against
  // pytorch_general_models.py doing the same.
  const [what, n] = memArg.slice(6).split(":");
  if (what !== "resnet") throw new Error(`--mem: only resnet is measured (got ${what})`);
  STEPS.resnet = [1, Number(n ?? 5)];
  setNumThreads(THREADS);
  manualSeed(0);
  const t = benchResnet();
  console.log(JSON.stringify({ peak_rss_kb: peakRssKb(), median_ms: t.median_ms }));
  process.exit(0);
}

const started = new Date();
setNumThreads(THREADS);
const info = backendInfo();
if (info.backend !== "native") {
  process.stderr.write(
    `bench: WARNING: Kiln runs on the ${info.backend} backend, not native (${info.nativeError ?? info.fallbackReason ?? "?"}): these are not the native numbers\n`,
  );
}
// this machine's limits, for the roofline column (about 5 s)
const peaks: Peaks | null = process.argv.includes("--no-peak") ? null : measurePeaks(THREADS);
const kiln: Record<string, Timing> = {};
/** PyTorch's timing per row: the faster median of its runs with OpenBLAS on 1 and 2 threads. */
const torchResults: Record<string, Timing & { openblasThreads: number }> = {};
/** Both runs' medians per row, by OpenBLAS thread count. */
const torchByBlas: Record<string, Record<number, number>> = {};
/** 1-minute load average when each workload started (both sides), as os.loadavg()[0]. */
const load: Record<string, number> = {};
let torch: TorchResult | null = null;
// Workload by workload, PyTorch then Kiln, so that both sides of a row see about the same load
// from the other processes on the machine.
for (const [group, keys, run] of WORKLOADS) {
  if (only !== null && !only.includes(group)) continue;
  load[group] = loadavg()[0]!;
  // OpenBLAS on 1 and on 2 threads (torch itself on 2 either way): the faster counts, per row
  for (const blas of [1, THREADS]) {
    const pt = torchRun([group], blas);
    if (pt === null) continue;
    torch = pt;
    for (const [key, t] of Object.entries(pt.results)) {
      (torchByBlas[key] ??= {})[blas] = t.median_ms;
      const best = torchResults[key];
      if (best === undefined || t.median_ms < best.median_ms) {
        torchResults[key] = { ...t, openblasThreads: blas };
      }
    }
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
/** GFLOP/s of a step of `key` taking `ms`, and its share of the 2-thread peak. */
const roof = (key: string, ms: number | undefined) => {
  const flops = TRAIN_FLOPS[key];
  if (ms === undefined || flops === undefined) return "";
  const g = flops / (ms / 1e3) / 1e9;
  const pct = pctOfPeak(g, peaks, THREADS);
  return `${g.toFixed(1)}${pct ? ` (${pct})` : ""}`;
};
const core = torch?.openblas_core || "unknown";
const header = [
  "workload",
  `Kiln ${info.backend}${info.cpuPath ? ` (${info.cpuPath})` : ""}, ms/step`,
  `PyTorch ${torch?.torch ?? "(missing)"} (OpenBLAS ${core}, faster of OPENBLAS_NUM_THREADS 1/2), ms/step`,
  "Kiln/PyTorch",
  "Kiln GFLOP/s (% of peak)",
  "PyTorch GFLOP/s (% of peak)",
  "load avg (1 min)",
];
const rows: string[][] = [];
for (const [group, keys] of WORKLOADS) {
  for (const [key, label] of keys) {
    const k = kiln[key]?.median_ms;
    if (k === undefined) continue;
    const pt = torchResults[key];
    const p = pt?.median_ms;
    const [warm, n] = STEPS[group]!;
    rows.push([
      `${label}, median of ${n} after ${warm}`,
      f(k),
      p === undefined ? "" : `${f(p)} (OB ${pt!.openblasThreads})`,
      p === undefined ? "" : `${(k / p).toFixed(2)}x`,
      roof(key, k),
      roof(key, p),
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
  `\n${THREADS} threads on both sides; PyTorch's OpenBLAS core: ${core}; (OB n): the OpenBLAS ` +
    `thread count of PyTorch's faster run; load average (1, 5, 15 min) at the end ${la(loadAfter)}` +
    `${ompPassive ? "; PyTorch ran with OMP_WAIT_POLICY=PASSIVE (--omp-passive)" : ""}.`,
);
console.log(
  `GFLOP/s: each step's convolution and matrix-multiply FLOPs (TRAIN_FLOPS) over its median time; ${describePeaks(peaks)}.`,
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
  peaks,
  trainFlops: TRAIN_FLOPS,
  kiln,
  torch:
    torch === null ? null : { ...torch, results: torchResults, byOpenblasThreads: torchByBlas },
  rows: rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
};
writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
console.log(`\nwritten ${file}`);

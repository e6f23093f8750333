// The Kiln side of bench/run.ts, written as users write it: SGEMM as `a.matmul(b)` (a fresh
// output every call), memory-bound ops on activation-sized tensors, the tiny add, a batch-1
// training step of a hand-written nn.Module with
// optim.SGD, and MNIST epochs of the seed's hand-written NeuralNet and of a small CNN module
// through a shuffling DataLoader, nn.CrossEntropyLoss and optim.SGD, as pytorch_native_ref.py
// does on the PyTorch side. Times are medians. Each workload's FLOP count is given with it.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  data,
  fromTypedArray,
  manualSeed,
  nn,
  noGrad,
  optim,
  rand,
  type Tensor,
} from "../src/index.ts";

/**
 * SGEMM shapes [m, k, n], or [batch, m, k, n] for a batched product ([batch, m, k] @ [batch, k,
 * n], attention's per-head shape): the MNIST layers, a transformer feed-forward slice, squares.
 */
export const SGEMM_SHAPES: number[][] = [
  [64, 784, 128],
  [64, 128, 10],
  [32, 4096, 1024],
  [16, 64, 64, 32],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [2048, 2048, 2048],
];

/** A shape as [batch, m, k, n]. */
export function sgemmDims(shape: readonly number[]): [number, number, number, number] {
  const [b, m, k, n] = shape.length === 4 ? shape : [1, ...shape];
  return [b!, m!, k!, n!];
}

/** "mxkxn", or "bxmxkxn" for a batched shape (the key of a row in both sides' results). */
export const sgemmKey = (shape: readonly number[]): string => shape.join("x");

/** SGEMM FLOPs: one multiply and one add per term, 2·b·m·n·k. */
export const sgemmFlops = (shape: readonly number[]): number => {
  const [b, m, k, n] = sgemmDims(shape);
  return 2 * b * m * n * k;
};

/** Median of the numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Median over `rounds` rounds (after one untimed call) of the seconds per call, a round being
 * `reps` calls back to back (reps > 1 only for calls too short to time one by one).
 */
export function medianTime(fn: () => void, reps: number, rounds: number): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9 / reps);
  }
  return median(times);
}

/**
 * GFLOP/s of `a.matmul(b)` for [m, k] × [k, n] (or [b, m, k] × [b, k, n]), each call a fresh
 * output (as users write it): the median of `rounds` rounds of ~0.5 GFLOP each (one call when a
 * call is larger). pytorch_native_ref.py times `torch.mm(a, b)` (`torch.bmm`) the same way.
 */
export function sgemmGflops(shape: readonly number[], rounds: number): number {
  const [batch, m, k, n] = sgemmDims(shape);
  const lead = shape.length === 4 ? [batch] : [];
  const a = rand([...lead, m, k]);
  const b = rand([...lead, k, n]);
  const flops = sgemmFlops(shape);
  const reps = Math.max(1, Math.floor(0.5e9 / flops));
  return flops / medianTime(() => a.matmul(b), reps, rounds) / 1e9;
}

/** µs per `x.add(y)` of two 1-element tensors, median of `rounds` rounds of 20000. */
export function tinyAddUs(rounds: number): number {
  const x = rand([1]);
  const y = rand([1]);
  return medianTime(() => x.add(y), 20000, rounds) * 1e6;
}

/**
 * Memory-bound ops on activation-sized tensors (4 MiB of float32 each, 2^20 elements), written
 * as users write them, each timed with a fresh output (and, for the `fwd+bwd` rows, a fresh graph
 * and gradients) per call; pytorch_native_ref.py's MEMORY_BOUND runs the same with torch. The
 * shapes: an image batch [32, 32, 32, 32] (a ResNet's activations), and [4096, 256] rows (a
 * sequence batch's hidden states, attention weights).
 */
export const MEMORY_BOUND: readonly { key: string; label: string; make: () => () => void }[] = [
  {
    key: "add",
    label: "x.add(y), [32, 32, 32, 32]",
    make: () => {
      const [x, y] = [rand([32, 32, 32, 32]), rand([32, 32, 32, 32])];
      return () => x.add(y);
    },
  },
  {
    key: "relu",
    label: "x.relu(), [32, 32, 32, 32]",
    make: () => {
      const x = rand([32, 32, 32, 32]).sub(0.5);
      return () => x.relu();
    },
  },
  {
    key: "sum",
    label: "x.sum(), [32, 32, 32, 32]",
    make: () => {
      const x = rand([32, 32, 32, 32]);
      return () => x.sum();
    },
  },
  {
    key: "batchnorm",
    label: "BatchNorm2d(32) forward + backward (training), [32, 32, 32, 32]",
    make: () => {
      const bn = new nn.BatchNorm2d(32);
      const x = rand([32, 32, 32, 32]).requiresGrad_(true);
      const g = rand([32, 32, 32, 32]);
      return () => bn.forward(x).backward(g);
    },
  },
  {
    key: "layernorm",
    label: "LayerNorm(256) forward + backward, [4096, 256]",
    make: () => {
      const ln = new nn.LayerNorm(256);
      const x = rand([4096, 256]).requiresGrad_(true);
      const g = rand([4096, 256]);
      return () => ln.forward(x).backward(g);
    },
  },
  {
    key: "softmax",
    label: "softmax(x, -1) forward + backward, [4096, 256]",
    make: () => {
      const x = rand([4096, 256]).requiresGrad_(true);
      const g = rand([4096, 256]);
      return () => nn.functional.softmax(x, -1).backward(g);
    },
  },
];

/** ms per call of each MEMORY_BOUND workload (median of `rounds` rounds of 10 calls), by key. */
export function memoryBoundMs(rounds: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of MEMORY_BOUND) out[w.key] = medianTime(w.make(), 10, rounds) * 1e3;
  return out;
}

/** Linear(4, 8) - ReLU - Linear(8, 2), as a user writes it. */
class TinyNet extends nn.Module {
  l1 = new nn.Linear(4, 8);
  l2 = new nn.Linear(8, 2);
  override forward(x: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x).relu());
  }
}

/**
 * FLOPs of one TinyNet training step at batch 1, counted as mnistTrainFlopsPerSample counts them:
 * 3 × the forward's 2·(4·8 + 8·2), less the first layer's input gradient 2·4·8.
 */
export const TRAIN_STEP_FLOPS = 3 * 2 * (4 * 8 + 8 * 2) - 2 * 4 * 8;

/** µs per batch-1 training step (zeroGrad, MSE loss, backward, SGD step), median of rounds of 2000. */
export function trainStepUs(rounds: number): number {
  manualSeed(0);
  const model = new TinyNet();
  const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
  const x = rand([1, 4]);
  const t = rand([1, 2]);
  const step = () => {
    opt.zeroGrad();
    model.forward(x).sub(t).pow(2).mean().backward();
    opt.step();
  };
  return medianTime(step, 2000, rounds) * 1e6;
}

function idx(path: string, skip: number): Uint8Array {
  return new Uint8Array(readFileSync(path)).subarray(skip);
}

/** torchvision's `Normalize((0.1307,), (0.3081,))` for MNIST (pytorch_native_ref.py too). */
const MNIST_MEAN = 0.1307;
const MNIST_STD = 0.3081;

/** The first `n` images of an IDX file, [n, 1, 28, 28], (x / 255 - 0.1307) / 0.3081, as the seed. */
function images(path: string, n: number): Tensor {
  const raw = idx(path, 16).subarray(0, n * 784);
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i]! / 255 - MNIST_MEAN) / MNIST_STD;
  return fromTypedArray(out, [raw.length / 784, 1, 28, 28]);
}

/** A model for `mnistEpoch`: the seed's MLP or the small CNN, both hand-written modules. */
export type MnistModel = "mlp" | "cnn";

/** The seed's NeuralNet (examples/seed.ts), flattening its [N, 1, 28, 28] input. */
class NeuralNet extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x.flatten(1)).relu());
  }
}

/** Two conv blocks (conv 3x3, ReLU, max-pool 2) and a linear head. */
class ConvNet extends nn.Module {
  conv1 = new nn.Conv2d(1, 8, 3);
  conv2 = new nn.Conv2d(8, 16, 3);
  pool = new nn.MaxPool2d(2);
  fc = new nn.Linear(400, 10);
  override forward(x: Tensor): Tensor {
    const h = this.pool.forward(this.conv1.forward(x).relu());
    const g = this.pool.forward(this.conv2.forward(h).relu());
    return this.fc.forward(g.flatten(1));
  }
}

/**
 * Training FLOPs per MNIST sample, GEMM and convolution terms only (elementwise ops, pooling and
 * the loss not counted): forward F = Σ 2·(inputs · outputs) of each layer's multiply-adds; backward
 * 2·F (the weight gradient and the input gradient, each as large as the forward), less the first
 * layer's input gradient, which nobody asks for.
 * MLP: F = 2·(784·128 + 128·10); train = 3·F - 2·784·128.
 * CNN: conv1 2·8·(1·9)·26², conv2 2·16·(8·9)·11², fc 2·400·10; train = 3·F - conv1.
 */
export function mnistTrainFlopsPerSample(kind: MnistModel): number {
  if (kind === "mlp") {
    const f = 2 * (784 * 128 + 128 * 10);
    return 3 * f - 2 * 784 * 128;
  }
  const conv1 = 2 * 8 * 9 * 26 * 26;
  const f = conv1 + 2 * 16 * 8 * 9 * 11 * 11 + 2 * 400 * 10;
  return 3 * f - conv1;
}

/** What mnistEpoch measures: first and median steady epoch seconds, and test accuracy. */
export interface EpochResult {
  firstSeconds: number;
  seconds: number;
  accuracy: number;
  samples: number;
  steadyEpochs: number;
}

/**
 * Epochs over the first `samples` MNIST training images (all 60000 by default) through a
 * DataLoader(TensorDataset(x, y), batchSize 64, shuffle), nn.CrossEntropyLoss and optim.SGD
 * (lr 0.01, momentum 0.9), each on a fresh model from the same seed: the first training in the
 * process (`firstSeconds`), then the median of `steadyEpochs` more (`seconds`); the last model
 * gives the test accuracy. Pixels normalised as the seed does. PyTorch's side is the same.
 */
export function mnistEpoch(
  dir: string,
  kind: MnistModel = "mlp",
  steadyEpochs = 3,
  samples = 60000,
): EpochResult {
  const x = images(join(dir, "train-images-idx3-ubyte"), samples);
  const n = x.shape[0]!;
  const y = fromTypedArray(
    Int32Array.from(idx(join(dir, "train-labels-idx1-ubyte"), 8).subarray(0, n)),
    [n],
  );
  const xt = images(join(dir, "t10k-images-idx3-ubyte"), 10000);
  const yt = idx(join(dir, "t10k-labels-idx1-ubyte"), 8);
  const build = () => (kind === "mlp" ? new NeuralNet() : new ConvNet());
  const timed = (model: nn.Module<Tensor>): number => {
    const loader = new data.DataLoader(new data.TensorDataset(x, y), {
      batchSize: 64,
      shuffle: true,
    });
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    const lossFn = new nn.CrossEntropyLoss();
    const t0 = process.hrtime.bigint();
    for (const [xb, yb] of loader) {
      opt.zeroGrad();
      lossFn.forward(model.forward(xb), yb).backward();
      opt.step();
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  // The first epoch pays for the JIT, the thread pool and the allocator's heap; the steady time
  // is the median of steadyEpochs more, each on a fresh model from the same seed.
  manualSeed(0);
  const firstSeconds = timed(build());
  const times: number[] = [];
  let model = build();
  for (let i = 0; i < steadyEpochs; i++) {
    manualSeed(0);
    model = build();
    times.push(timed(model));
  }
  let correct = 0;
  noGrad(() => {
    for (let i = 0; i < 10000; i += 1000) {
      const p = model
        .forward(xt.narrow(0, i, 1000))
        .argmax(1)
        .dataSync();
      for (let j = 0; j < 1000; j++) if (p[j] === yt[i + j]) correct++;
    }
  });
  return {
    firstSeconds,
    seconds: median(times),
    accuracy: correct / 100,
    samples: n,
    steadyEpochs,
  };
}

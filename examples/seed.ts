// The seed's pipeline in Kiln: an nn.Module MLP with Xavier init, doTraining / doValidation over
// a DataLoader filling a per-sample metrics tensor, and metrics from boolean masks.
// Run: npx tsx examples/seed.ts

import { data, nn, noGrad, optim, slice, type Tensor, train, zeros } from "kiln-torch";

class NeuralNet extends nn.Module {
  fc1 = new nn.Linear(784, 128);
  fc2 = new nn.Linear(128, 10);
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

const { METRICS_LABEL_NDX, METRICS_PRED_NDX, METRICS_LOSS_NDX, METRICS_SIZE } = train;

type Loader = data.DataLoader<[Tensor, Tensor]>;

function loader(trainSplit: boolean, n: number): Loader {
  const mnist = new data.datasets.MNIST({ train: trainSplit });
  const [images, labels] = mnist.getBatch(Array.from({ length: n }, (_, i) => i));
  const x = images.reshape(n, 784).sub(0.1307).div(0.3081);
  return new data.DataLoader(new data.TensorDataset(x, labels), {
    batchSize: 64,
    shuffle: trainSplit,
  });
}

const model = new NeuralNet();
nn.init.xavierUniform_(model.fc1.weight);
const lossFn = new nn.CrossEntropyLoss({ reduction: "none" });
const optimizer = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });

function computeBatchLoss(batchNdx: number, [x, y]: [Tensor, Tensor], metrics: Tensor): Tensor {
  const logits = model.forward(x);
  const loss = lossFn.forward(logits, y);
  const cols = slice(batchNdx * 64, batchNdx * 64 + y.shape[0]!);
  noGrad(() => {
    metrics.indexPut_([METRICS_LABEL_NDX, cols], y);
    metrics.indexPut_([METRICS_PRED_NDX, cols], logits.argmax(1));
    metrics.indexPut_([METRICS_LOSS_NDX, cols], loss.detach());
  });
  return loss.mean();
}

/** len(dl.dataset) */
function datasetLength(dl: Loader): number {
  return (dl.dataset as data.TensorDataset<[Tensor, Tensor]>).length;
}

function doTraining(epoch: number, dl: Loader): Tensor {
  model.train();
  const trnMetrics = zeros(METRICS_SIZE, datasetLength(dl));
  for (const [batchNdx, batch] of train.enumerateWithEstimate(dl, `E${epoch} Training`)) {
    optimizer.zeroGrad();
    computeBatchLoss(batchNdx, batch, trnMetrics).backward();
    optimizer.step();
  }
  return trnMetrics;
}

function doValidation(epoch: number, dl: Loader): Tensor {
  model.eval();
  return noGrad(() => {
    const valMetrics_t = zeros(METRICS_SIZE, datasetLength(dl));
    for (const [batchNdx, batch] of train.enumerateWithEstimate(dl, `E${epoch} Validation`)) {
      computeBatchLoss(batchNdx, batch, valMetrics_t);
    }
    return valMetrics_t;
  });
}

const trainDl = loader(true, 10000);
const valDl = loader(false, 2000);
doTraining(1, trainDl);
const valMetrics_t = doValidation(1, valDl);

// Masks, as the book writes them: labels equal to a class, predictions equal to it, both.
const labels = valMetrics_t.index(METRICS_LABEL_NDX);
const preds = valMetrics_t.index(METRICS_PRED_NDX);
const posLabel_mask = labels.eq(1); // targets == 1
const posPred_mask = preds.eq(1);
const truePos = posLabel_mask.logicalAnd(posPred_mask).sum().item();
const loss1 = valMetrics_t.index(METRICS_LOSS_NDX, posLabel_mask).mean(); // metrics[LOSS, mask]
const accuracy = labels.eq(preds).sum().item() / labels.shape[0]!;
console.log(`val accuracy ${(100 * accuracy).toFixed(1)}%`);
console.log(
  `digit 1: recall ${(truePos / posLabel_mask.sum().item()).toFixed(4)}, precision ${(truePos / posPred_mask.sum().item()).toFixed(4)}, loss ${loss1.item()}`,
);

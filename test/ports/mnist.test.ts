// pytorch/examples mnist/main.py against PyTorch (tools/golden/ports.py): its Net loads PyTorch's
// initial weights, then must give PyTorch's eval forward, first training step (log-probabilities,
// nll loss, every parameter gradient, with PyTorch's dropout masks replayed) and 20 steps of
// main.py's train() with Adadelta(lr=1.0) and StepLR(step_size=1, gamma=0.7) over 5 epochs of 4
// batches (losses, learning rates, parameters) and final eval forward, as its test() runs it.
//
// Tolerances, as |kiln − torch| ≤ tol·(|torch| + rms(torch)) (harness.ts's assertNear): float32
// rounds to u = 2⁻²⁴ ≈ 6e-8 and fc1 sums K = 9216 products, which summed in another order differ
// by about √K·u ≈ 6e-6 relative to the sum's scale: FORWARD 1e-5 (measured 6e-8), GRAD 1e-4
// (measured 4e-6). Adadelta divides by √(E[g²] + ε), so rounding in a gradient stays relative in
// its step: measured ≤ 1e-6 after 20 steps, TRAINED 3e-5. Real divergences are far above: without
// PyTorch's dropout masks the first log-probabilities differ by 5%, StepLR's gamma 0.8 for 0.7
// moves the 6th loss by 1.4e-3, dropout p 0.4 for 0.5 the first output.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { data, nn, noGrad, optim, type Tensor } from "../../src/index.ts";
import { dec, type Enc } from "../nn/golden.ts";
import { Checker, decShared, loadPort, replayDropout, type TrainCase } from "./harness.ts";
import { Net } from "./mnist-net.ts";

const FORWARD = 1e-5;
const GRAD = 1e-4;
const TRAINED = 3e-5;
const EPOCHS = 5;

interface Mnist extends TrainCase {
  torch: string;
  imgs: Enc;
  labels: Enc;
  batch_size: number;
  epoch_len: number;
}
const golden = loadPort<Mnist>("mnist.json");

interface Step {
  output: Tensor;
  loss: Tensor;
  lr: number;
}

/** main.py's train() for one epoch; `onStep` sees each step after its backward. */
function train(
  model: Net,
  trainLoader: Iterable<Tensor[]>,
  optimizer: optim.Adadelta,
  onStep: (s: Step) => void,
): void {
  model.train();
  for (const [data, target] of trainLoader) {
    optimizer.zeroGrad();
    const output = model.call(data!);
    const loss = nn.functional.nllLoss(output, target!);
    loss.backward();
    onStep({ output, loss, lr: optimizer.paramGroups[0]!.lr });
    optimizer.step();
  }
}

describe(`pytorch/examples mnist Net vs PyTorch ${golden.torch}`, () => {
  const imgs = dec(golden.imgs);
  const labels = dec(golden.labels);
  const testInput = imgs.narrow(0, 0, golden.batch_size);

  it("state-dict keys, parameter names and repr are PyTorch's", () => {
    const model = new Net();
    assert.deepEqual(Object.keys(model.stateDict()), golden.initial.keys);
    assert.deepEqual(
      model.namedParameters().map(([n]) => n),
      golden.parameters,
    );
    assert.equal(model.toString(), golden.repr);
  });

  it("PyTorch's weights give its forward, gradients and 20 Adadelta + StepLR steps", (t) => {
    const check = new Checker();
    const model = new Net();
    model.loadStateDict(decShared(golden.initial));
    replayDropout(model, golden.dropout);

    model.eval();
    const initial = noGrad(() => model.call(testInput));
    check.near(initial, golden.eval_initial, "eval forward", "forward", FORWARD);

    const trainLoader = new data.DataLoader(new data.TensorDataset(imgs, labels), {
      batchSize: golden.batch_size,
    });
    const optimizer = new optim.Adadelta(model.parameters(), { lr: 1.0 });
    const scheduler = new optim.lrScheduler.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
    const losses: number[] = [];
    const lrs: number[] = [];
    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      train(model, trainLoader, optimizer, ({ output, loss, lr }) => {
        if (losses.length === 0) {
          check.near(output, golden.first.output, "first output", "forward", FORWARD);
          check.scalar(loss.item() as number, golden.first.loss, "first loss", "forward", FORWARD);
          for (const [n, p] of model.namedParameters())
            check.near(p.grad!, golden.first.grads[n]!, `grad ${n}`, "grad", GRAD);
        }
        losses.push(loss.item() as number);
        lrs.push(lr);
      });
      scheduler.step();
    }

    assert.equal(losses.length, golden.losses.length);
    for (const [i, l] of losses.entries())
      check.scalar(l, golden.losses[i]!, `loss at step ${i}`, "trained", TRAINED);
    for (const [i, lr] of lrs.entries())
      check.scalar(lr, golden.lrs[i]!, `lr at step ${i}`, "lr", 1e-12);
    const sd = model.stateDict();
    assert.deepEqual(Object.keys(sd), golden.final.keys);
    for (const [k, e] of Object.entries(golden.final.tensors))
      check.near(sd[k]!, e, `after ${losses.length} steps: ${k}`, "trained", TRAINED);

    model.eval();
    const final = noGrad(() => model.call(testInput));
    check.near(final, golden.eval_final, "final eval forward", "trained", TRAINED);
    t.diagnostic(`worst relative errors ${check.report()}`);
  });
});

// The models `kiln train` offers: the seed's NeuralNet (784 → 128 → 10 MLP) and a small CNN with
// two conv blocks (Conv, BatchNorm, ReLU, MaxPool). Plain nn.Module subclasses.

import * as nn from "../nn/index.ts";
import type { Tensor } from "../tensor/tensor.ts";

/**
 * The seed's model: Linear(inFeatures, hidden), ReLU, Linear(hidden, numClasses).
 * `input [N, inFeatures] → logits [N, numClasses]`; defaults 784 → 128 → 10 for MNIST.
 */
export class NeuralNet extends nn.Module {
  /** The hidden layer, Linear(inFeatures, hidden), followed by ReLU. */
  fc1: nn.Linear;
  /** The output layer, Linear(hidden, numClasses): the logits. */
  fc2: nn.Linear;

  /**
   * An MLP `(inFeatures = 784, hidden = 128, numClasses = 10)`, weights initialised as nn.Linear's.
   */
  constructor(inFeatures = 784, hidden = 128, numClasses = 10) {
    super();
    this.fc1 = new nn.Linear(inFeatures, hidden);
    this.fc2 = new nn.Linear(hidden, numClasses);
  }

  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.fc1.forward(x).relu());
  }
}

function convBlock(inChannels: number, outChannels: number): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(inChannels, outChannels, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(outChannels),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
  );
}

/**
 * Two conv blocks (3×3 conv without bias, BatchNorm, ReLU, 2×2 max-pool; 16 then 32 channels)
 * and a linear classifier. `input [N, C, H, W] → logits [N, numClasses]`.
 */
export class ConvNet extends nn.Module {
  /**
   * Conv2d(inChannels, 16, 3, padding 1, no bias), BatchNorm2d, ReLU, MaxPool2d(2): H, W halved.
   */
  block1: nn.Sequential;
  /** Conv2d(16, 32, 3, padding 1, no bias), BatchNorm2d, ReLU, MaxPool2d(2): H, W halved again. */
  block2: nn.Sequential;
  /** `[N, 32, ⌊H/4⌋, ⌊W/4⌋] → [N, 32·⌊H/4⌋·⌊W/4⌋]`. */
  flatten: nn.Flatten;
  /** The classifier, Linear(32·⌊H/4⌋·⌊W/4⌋, numClasses): the logits. */
  fc: nn.Linear;

  /**
   * A CNN for `[inChannels, height, width]` images (default 1 × 28 × 28) and `numClasses` (default
   * 10).
   */
  constructor(inChannels = 1, height = 28, width = 28, numClasses = 10) {
    super();
    this.block1 = convBlock(inChannels, 16);
    this.block2 = convBlock(16, 32);
    this.flatten = new nn.Flatten();
    this.fc = new nn.Linear(32 * Math.floor(height / 4) * Math.floor(width / 4), numClasses);
  }

  override forward(x: Tensor): Tensor {
    return this.fc.forward(
      this.flatten.forward(this.block2.forward(this.block1.forward(x)) as Tensor),
    );
  }
}

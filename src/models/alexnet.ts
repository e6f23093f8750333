// torchvision 0.14's AlexNet: the same module tree, state-dict keys, PyTorch-default init and
// forward, so a torchvision state dict loads unchanged.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import {
  bool,
  int,
  num,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import * as nn from "../nn/index.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { refuseWeights } from "./common.ts";

/** Options of AlexNet, as torchvision's keyword arguments. */
export interface AlexNetOptions {
  /** Size of the last Linear layer (default 1000). */
  numClasses?: number;
  /** Dropout probability of the classifier (default 0.5). */
  dropout?: number;
}

const ALEXNET_KW = { numClasses: opt(int, 1000), dropout: opt(num, 0.5) };
const ALEXNET = signature("models.AlexNet", ALEXNET_KW);

/**
 * AlexNet ("One weird trick" variant), as torchvision.models.AlexNet(num_classes=1000,
 * dropout=0.5): five convolutions with ReLU and max pooling, AdaptiveAvgPool2d((6, 6)), then
 * Dropout-Linear(9216, 4096)-ReLU-Dropout-Linear(4096, 4096)-ReLU-Linear(4096, numClasses).
 * Input `[N, 3, H, W]` (H, W ≥ 63) → `[N, numClasses]`. Layers keep PyTorch's default init.
 */
export class AlexNet extends nn.Module {
  /** The convolutional feature extractor. */
  features: nn.Sequential;
  /** Adaptive average pool to 6x6. */
  avgpool: nn.AdaptiveAvgPool2d;
  /** The classifier. */
  classifier: nn.Sequential;

  /** Builds the network from `(numClasses?, dropout?)`, positional or as options. */
  constructor(...args: WithOptions<[numClasses: number, dropout: number], AlexNetOptions>) {
    super();
    const o = parseArgs(ALEXNET, args);
    this.features = new nn.Sequential(
      new nn.Conv2d(3, 64, 11, { stride: 4, padding: 2 }),
      new nn.ReLU(true),
      new nn.MaxPool2d(3, { stride: 2 }),
      new nn.Conv2d(64, 192, 5, { padding: 2 }),
      new nn.ReLU(true),
      new nn.MaxPool2d(3, { stride: 2 }),
      new nn.Conv2d(192, 384, 3, { padding: 1 }),
      new nn.ReLU(true),
      new nn.Conv2d(384, 256, 3, { padding: 1 }),
      new nn.ReLU(true),
      new nn.Conv2d(256, 256, 3, { padding: 1 }),
      new nn.ReLU(true),
      new nn.MaxPool2d(3, { stride: 2 }),
    );
    this.avgpool = new nn.AdaptiveAvgPool2d([6, 6]);
    this.classifier = new nn.Sequential(
      new nn.Dropout({ p: o.dropout }),
      new nn.Linear(256 * 6 * 6, 4096),
      new nn.ReLU(true),
      new nn.Dropout({ p: o.dropout }),
      new nn.Linear(4096, 4096),
      new nn.ReLU(true),
      new nn.Linear(4096, o.numClasses),
    );
  }

  override forward(x: Tensor): Tensor {
    const y = this.avgpool.call(this.features.call(x));
    return this.classifier.call(y.flatten(1));
  }
}

/** Keyword options of alexnet: AlexNet's, plus torchvision's `weights` and `progress`. */
export interface AlexNetFactoryOptions extends AlexNetOptions {
  /** Pretrained weights are not downloaded: anything but null/undefined throws (see the error). */
  weights?: null;
  /** Accepted for parity; nothing is downloaded. */
  progress?: boolean;
}

const FACTORY = signature(
  "models.alexnet",
  {},
  {
    ...ALEXNET_KW,
    weights: opt(unchecked),
    progress: opt(bool, true),
  },
);

/** AlexNet, as torchvision.models.alexnet(*, weights=None, progress=True, **kwargs). */
export function alexnet(...args: [options?: AlexNetFactoryOptions]): AlexNet {
  const o = parseArgs(FACTORY, args);
  refuseWeights("alexnet", o.weights);
  return new AlexNet({ numClasses: o.numClasses, dropout: o.dropout });
}

// nn.functional: the function forms of layers, activations and losses. Re-exports only.

export {
  elu,
  gelu,
  hardtanh,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
} from "./activation.ts";
export {
  type Conv1dOptions,
  type Conv2dOptions,
  conv1d,
  conv2d,
  type DropoutFnOptions,
  dropout,
  dropout2d,
  type EmbeddingFnOptions,
  embedding,
  type IntOrPair,
  linear,
  oneHot,
  pad,
} from "./layers.ts";
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  huberLoss,
  klDiv,
  l1Loss,
  mseLoss,
  type NLLOptions,
  nllLoss,
  type Reduction,
  smoothL1Loss,
} from "./loss.ts";
export { type BatchNormOptions, batchNorm, groupNorm, layerNorm } from "./norm.ts";
export {
  type AvgPool2dOptions,
  adaptiveAvgPool2d,
  avgPool2d,
  type MaxPool1dOptions,
  type MaxPool2dOptions,
  maxPool1d,
  maxPool2d,
  maxPool2dWithIndices,
} from "./pool.ts";

// nn.functional: the function forms of layers, activations and losses. Re-exports only.

export { bilinear } from "../layers/bilinear.ts";
export {
  type CTCOptions,
  ctcLoss,
  type Lengths,
} from "../losses/ctc-lattice.ts";
export {
  type MultiMarginOptions,
  multilabelMarginLoss,
  multilabelSoftMarginLoss,
  multiMarginLoss,
} from "../losses/multiclass.ts";
export {
  celu,
  celu_,
  elu,
  elu_,
  gelu,
  hardtanh,
  hardtanh_,
  leakyRelu,
  leakyRelu_,
  logSoftmax,
  relu,
  relu_,
  relu6,
  type SoftmaxOptions,
  selu,
  selu_,
  sigmoid,
  silu,
  softmax,
  softplus,
  tanh,
  threshold,
  threshold_,
} from "./activation.ts";
export {
  glu,
  hardshrink,
  hardsigmoid,
  hardswish,
  logsigmoid,
  mish,
  prelu,
  type RReLUOptions,
  rrelu,
  rrelu_,
  softmin,
  softshrink,
  softsign,
  tanhshrink,
} from "./activation-more.ts";
export {
  type AdaptiveSize,
  adaptiveAvgPool1d,
  adaptiveAvgPool3d,
  adaptiveMaxPool1d,
  adaptiveMaxPool2d,
  adaptiveMaxPool3d,
} from "./adaptive.ts";
export {
  type ScaledDotProductAttentionOptions,
  scaledDotProductAttention,
} from "./attention.ts";
export { type Conv3dOptions, conv3d, type IntOrTriple } from "./conv-nd.ts";
export {
  type ConvTransposeOptions,
  type ConvTransposePositional,
  convTranspose1d,
  convTranspose2d,
  convTranspose3d,
} from "./conv-transpose.ts";
export { cosineSimilarity, normalize, pairwiseDistance } from "./distance.ts";
export {
  type BagMode,
  type EmbeddingBagFnOptions,
  type EmbeddingBagRest,
  embeddingBag,
} from "./embedding-bag.ts";
export { type FoldOptions, type FoldPositional, fold, unfold } from "./fold.ts";
export {
  affineGrid,
  type GridPaddingMode,
  type GridSampleMode,
  type GridSampleOptions,
  gridSample,
} from "./grid.ts";
export { type InstanceNormOptions, instanceNorm, localResponseNorm } from "./instance-norm.ts";
export {
  type InterpolateMode,
  type InterpolateOptions,
  type InterpolatePositional,
  interpolate,
} from "./interpolate.ts";
export {
  type Conv1dOptions,
  type Conv2dOptions,
  conv1d,
  conv2d,
  type DropoutFnOptions,
  type DropoutRest,
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
  type Legacy,
  l1Loss,
  mseLoss,
  type NLLOptions,
  nllLoss,
  type PointwiseLossArgs,
  type Reduction,
  smoothL1Loss,
} from "./loss.ts";
export {
  cosineEmbeddingLoss,
  type DistanceFunction,
  type GaussianNLLOptions,
  gaussianNllLoss,
  hingeEmbeddingLoss,
  marginRankingLoss,
  type PoissonNLLOptions,
  poissonNllLoss,
  softMarginLoss,
  type TripletMarginOptions,
  type TripletMarginWithDistanceOptions,
  tripletMarginLoss,
  tripletMarginWithDistanceLoss,
} from "./loss-more.ts";
export {
  type AffineArgs,
  type AffineOptions,
  type BatchNormOptions,
  batchNorm,
  groupNorm,
  layerNorm,
} from "./norm.ts";
export type { PadMode, PadOptions } from "./padding.ts";
export {
  pixelShuffle,
  pixelUnshuffle,
  upsample,
  upsampleBilinear,
  upsampleNearest,
} from "./pixel-shuffle.ts";
export {
  type AvgPool2dOptions,
  adaptiveAvgPool2d,
  avgPool2d,
  type Int1,
  type MaxPool1dOptions,
  type MaxPool2dOptions,
  type MaxPool2dPositional,
  maxPool1d,
  maxPool2d,
  maxPool2dWithIndices,
} from "./pool.ts";
export {
  type AvgPoolNdOptions,
  avgPool1d,
  avgPool3d,
  type MaxPool3dOptions,
  maxPool3d,
} from "./pool-nd.ts";
export {
  type LPPoolOptions,
  lpPool1d,
  lpPool2d,
  type MaxUnpoolOptions,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
} from "./unpool.ts";

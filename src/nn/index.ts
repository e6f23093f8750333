// Public namespace `nn`: re-exports only.

export * as functional from "./functional/index.ts";
export * as init from "./init.ts";
export {
  CELU,
  ELU,
  GELU,
  Hardtanh,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  ReLU6,
  SELU,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Tanh,
  Threshold,
} from "./layers/activation.ts";
export {
  GLU,
  Hardshrink,
  Hardsigmoid,
  Hardswish,
  LogSigmoid,
  Mish,
  PReLU,
  RReLU,
  Softmax2d,
  Softmin,
  Softshrink,
  Softsign,
  Tanhshrink,
} from "./layers/activation-more.ts";
export {
  MultiheadAttention,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
  type MultiheadAttentionPositional,
  NonDynamicallyQuantizableLinear,
} from "./layers/attention.ts";
export {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  type BatchNormArgs,
  type BatchNormOptions,
  type BatchNormPositional,
} from "./layers/batch-norm.ts";
export { Bilinear } from "./layers/bilinear.ts";
export {
  ModuleDict,
  ModuleList,
  ParameterDict,
  ParameterList,
  type ParameterSource,
  Sequential,
} from "./layers/container.ts";
export {
  Conv1d,
  Conv2d,
  Conv3d,
  type ConvOptions,
  type ConvPositional,
  type PaddingMode,
} from "./layers/conv.ts";
export {
  ConvTranspose1d,
  ConvTranspose2d,
  ConvTranspose3d,
  type ConvTransposeLayerOptions,
  type ConvTransposeLayerPositional,
} from "./layers/conv-transpose.ts";
export { DataParallel, type DataParallelOptions } from "./layers/data-parallel.ts";
export { CosineSimilarity, PairwiseDistance } from "./layers/distance.ts";
export { Dropout, Dropout2d, type DropoutArgs, type DropoutOptions } from "./layers/dropout.ts";
export {
  Embedding,
  type EmbeddingOptions,
  type FromPretrainedOptions,
} from "./layers/embedding.ts";
export {
  type BagFromPretrainedOptions,
  EmbeddingBag,
  type EmbeddingBagOptions,
} from "./layers/embedding-bag.ts";
export {
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  type InstanceNormArgs,
  type InstanceNormOptions,
  LocalResponseNorm,
} from "./layers/instance-norm.ts";
export { Flatten, Identity, Linear, Unflatten } from "./layers/linear.ts";
export { GroupNorm, LayerNorm, type NormDType } from "./layers/norm.ts";
export {
  ConstantPad1d,
  ConstantPad2d,
  ConstantPad3d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReflectionPad3d,
  ReplicationPad1d,
  ReplicationPad2d,
  ReplicationPad3d,
  ZeroPad2d,
} from "./layers/padding.ts";
export {
  AdaptiveAvgPool2d,
  AvgPool2d,
  MaxPool1d,
  MaxPool2d,
  type MaxPoolOptions,
  type MaxPoolPositional,
  type OutputSize,
  type PoolOut,
} from "./layers/pool.ts";
export {
  AdaptiveAvgPool1d,
  AdaptiveAvgPool3d,
  AdaptiveMaxPool1d,
  AdaptiveMaxPool2d,
  AdaptiveMaxPool3d,
  AvgPool1d,
  AvgPool3d,
  MaxPool3d,
} from "./layers/pool-nd.ts";
export {
  Fold,
  PixelShuffle,
  PixelUnshuffle,
  Unfold,
  Upsample,
  type UpsampleOptions,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
} from "./layers/resample.ts";
export {
  GRU,
  LSTM,
  type LSTMOptions,
  type LSTMOutput,
  RNN,
  RNNBase,
  type RNNBaseOptions,
  type RNNOptions,
  type RNNOutput,
} from "./layers/rnn.ts";
export {
  GRUCell,
  LSTMCell,
  RNNCell,
  RNNCellBase,
  type RNNCellOptions,
} from "./layers/rnn-cell.ts";
export {
  Transformer,
  TransformerDecoder,
  TransformerEncoder,
  type TransformerEncoderOptions,
  type TransformerForwardOptions,
  type TransformerOptions,
  type TransformerPositional,
} from "./layers/transformer.ts";
export {
  type DecoderLayerForwardOptions,
  type EncoderLayerForwardOptions,
  type TransformerActivation,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
  type TransformerLayerArgs,
  type TransformerLayerOptions,
} from "./layers/transformer-layer.ts";
export { LPPool1d, LPPool2d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d } from "./layers/unpool.ts";
export {
  BCELoss,
  type BCEOptions,
  type BCEPositional,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  HuberLoss,
  KLDivLoss,
  L1Loss,
  type LegacyOptions,
  MSELoss,
  NLLLoss,
  type NLLLossOptions,
  type NLLPositional,
  type PointwiseArgs,
  SmoothL1Loss,
} from "./loss.ts";
export { CTCLoss } from "./losses/ctc.ts";
export { GaussianNLLLoss, PoissonNLLLoss } from "./losses/likelihood.ts";
export {
  CosineEmbeddingLoss,
  HingeEmbeddingLoss,
  MarginRankingLoss,
  MultiLabelMarginLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  SoftMarginLoss,
  TripletMarginLoss,
  TripletMarginWithDistanceLoss,
} from "./losses/margin.ts";
export {
  type AnyModule,
  type ForwardHook,
  type ForwardPreHook,
  Module,
  type ModuleToOptions,
  type RemovableHandle,
  type StateDict,
} from "./module.ts";
export { Buffer, Parameter } from "./parameter.ts";
export { type SummaryRow, summary, summaryRows } from "./summary.ts";
export * as utils from "./utils.ts";

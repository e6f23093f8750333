// Public namespace `nn`: re-exports only.

export * as functional from "./functional/index.ts";
export * as init from "./init.ts";
export {
  ELU,
  GELU,
  Hardtanh,
  LeakyReLU,
  LogSoftmax,
  ReLU,
  Sigmoid,
  SiLU,
  Softmax,
  Softplus,
  Tanh,
} from "./layers/activation.ts";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormArgs,
  type BatchNormOptions,
  type BatchNormPositional,
} from "./layers/batch-norm.ts";
export { ModuleDict, ModuleList, Sequential } from "./layers/container.ts";
export { Conv1d, Conv2d, type ConvOptions, type ConvPositional } from "./layers/conv.ts";
export { Dropout, Dropout2d, type DropoutArgs, type DropoutOptions } from "./layers/dropout.ts";
export { Embedding, type EmbeddingOptions } from "./layers/embedding.ts";
export { Flatten, Identity, Linear, Unflatten } from "./layers/linear.ts";
export { GroupNorm, LayerNorm, type NormDType } from "./layers/norm.ts";
export {
  AdaptiveAvgPool2d,
  AvgPool2d,
  MaxPool1d,
  MaxPool2d,
  type MaxPoolOptions,
  type MaxPoolPositional,
  type OutputSize,
} from "./layers/pool.ts";
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

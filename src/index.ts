// Kiln's public entry: re-exports only. Everything users import comes from here.

export type {
  AdamKernelOptions,
  Backend,
  FusedKernels,
  KernelName,
  KernelSignatures,
  SgdKernelOptions,
  View,
  Window2dGeometry,
} from "./backend/backend.ts";
export type { CpuPath } from "./backend/native/addon.ts";
export {
  availableBackends,
  type BackendInfo,
  type BackendName,
  backendInfo,
  getBackend,
  getNumThreads,
  setBackend,
  setNumThreads,
} from "./backend/registry.ts";
export type { WithOptions } from "./core/args.ts";
export {
  AVAILABLE_DEVICES,
  Device,
  type DeviceLike,
  type DeviceType,
  device,
} from "./core/device.ts";
export {
  type Above,
  type Category,
  type DType,
  type DTypeOfTensorType,
  type FloatDType,
  type ItemOf,
  type PromoteTypes,
  type PromotionTable,
  promoteTypes,
  type Scalar,
  type ScalarDType,
  type StorageOf,
  type SumDType,
  type ToFloating,
  type TorchTensorTypes,
  type TypedArray,
  type WithScalar,
  type WithTensor,
} from "./core/dtype.ts";
export {
  AutogradError,
  DeviceError,
  DTypeError,
  FormatError,
  IndexError,
  KilnError,
  ShapeError,
  ValueError,
} from "./core/errors.ts";
export type { BFloat16Bits, Float16Bits } from "./core/half.ts";
export { defaultGenerator, Generator, type GeneratorState, manualSeed } from "./core/rng.ts";
export type { Shape } from "./core/shape.ts";
export * as data from "./data/index.ts";
export * as io from "./io/index.ts";
export { type LoadOptions, load, save } from "./io/torch/save-load.ts";
export * as nn from "./nn/index.ts";
export {
  type AllOf,
  type ArangeDType,
  arange,
  type BoolArray,
  type BoolData,
  type CreateOptions,
  type DTypeOfArray,
  eye,
  fromTypedArray,
  full,
  fullLike,
  linspace,
  type NoDType,
  type NumberArray,
  ones,
  onesLike,
  type RandomOptions,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
  type SizeArgs,
  tensor,
  zeros,
  zerosLike,
} from "./ops/creation.ts";
export { where } from "./ops/elementwise.ts";
export { matmul } from "./ops/matmul.ts";
export { cat, stack } from "./ops/movement.ts";
export * as optim from "./optim/index.ts";
export { enableGrad, isGradEnabled, type Node, noGrad } from "./tensor/graph.ts";
export {
  type AlphaOptions,
  type BackwardOptions,
  type BoundDType,
  type ClampOptions,
  type Dims,
  type NestedArray,
  type Operand,
  type OperandDType,
  type ReduceOptions,
  type ResultDType,
  type ResultDType2,
  type Slice,
  type Storage,
  type Subscript,
  slice,
  Tensor,
  type ToOptions,
  type VarOptions,
} from "./tensor/tensor.ts";
export * as train from "./train/index.ts";

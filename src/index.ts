// Kiln's public entry: re-exports only. Everything users import comes from here.

export type { Backend, View } from "./backend/backend.ts";
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
export { type DType, promoteTypes, type Scalar } from "./core/dtype.ts";
export {
  AutogradError,
  DTypeError,
  FormatError,
  IndexError,
  KilnError,
  ShapeError,
  ValueError,
} from "./core/errors.ts";
export { defaultGenerator, Generator, type GeneratorState, manualSeed } from "./core/rng.ts";
export * as data from "./data/index.ts";
export * as io from "./io/index.ts";
export * as nn from "./nn/index.ts";
export {
  arange,
  type CreateOptions,
  eye,
  fromTypedArray,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  type RandomOptions,
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  randperm,
  tensor,
  zeros,
  zerosLike,
} from "./ops/creation.ts";
export { where } from "./ops/elementwise.ts";
export { matmul } from "./ops/matmul.ts";
export { cat, stack } from "./ops/movement.ts";
export * as optim from "./optim/index.ts";
export { enableGrad, isGradEnabled, noGrad } from "./tensor/graph.ts";
export { type NestedArray, type Slice, type Subscript, slice, Tensor } from "./tensor/tensor.ts";
export * as train from "./train/index.ts";

// Kiln's public entry: re-exports only. Everything users import comes from here.

export { getBackend, setBackend, availableBackends, type BackendName } from "./backend/registry.ts";
export type { Backend, View } from "./backend/backend.ts";
export { backendInfo, type BackendInfo, getNumThreads, setNumThreads } from "./backend/registry.ts";
export { type DType, type Scalar, promoteTypes } from "./core/dtype.ts";
export {
  AutogradError,
  DTypeError,
  FormatError,
  IndexError,
  KilnError,
  ShapeError,
  ValueError,
} from "./core/errors.ts";
export { Generator, type GeneratorState, defaultGenerator, manualSeed } from "./core/rng.ts";
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
  rand,
  randint,
  randLike,
  randn,
  randnLike,
  type RandomOptions,
  randperm,
  tensor,
  zeros,
  zerosLike,
} from "./ops/creation.ts";
export { where } from "./ops/elementwise.ts";
export { cat, stack } from "./ops/movement.ts";
export { matmul } from "./ops/matmul.ts";
export { enableGrad, isGradEnabled, noGrad } from "./tensor/graph.ts";
export { type NestedArray, type Slice, slice, type Subscript, Tensor } from "./tensor/tensor.ts";
export * as data from "./data/index.ts";
export * as io from "./io/index.ts";
export * as nn from "./nn/index.ts";
export * as optim from "./optim/index.ts";
export * as train from "./train/index.ts";

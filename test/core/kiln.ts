// The core's public surface for the core tests, imported from src/ directly so that these tests
// do not depend on nn/optim/data modules (which re-export through src/index.ts).

export { getBackend, setBackend } from "../../src/backend/registry.ts";
export { type DType, promoteTypes, resultType } from "../../src/core/dtype.ts";
export {
  AutogradError,
  DTypeError,
  IndexError,
  KilnError,
  ShapeError,
  ValueError,
} from "../../src/core/errors.ts";
export { Generator, manualSeed } from "../../src/core/rng.ts";
export { broadcastShapes } from "../../src/core/shape.ts";
export {
  arange,
  eye,
  fromTypedArray,
  full,
  linspace,
  ones,
  onesLike,
  rand,
  randint,
  randn,
  randperm,
  tensor,
  zeros,
  zerosLike,
} from "../../src/ops/creation.ts";
export { where } from "../../src/ops/elementwise.ts";
export { matmul } from "../../src/ops/matmul.ts";
export { cat, stack } from "../../src/ops/movement.ts";
export { enableGrad, isGradEnabled, noGrad } from "../../src/tensor/graph.ts";
export { type Subscript, slice, Tensor } from "../../src/tensor/tensor.ts";

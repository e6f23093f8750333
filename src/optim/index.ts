// Public namespace `optim`: re-exports only.

export {
  Adadelta,
  type AdadeltaOptions,
  type AdadeltaUpdate,
  adadelta,
} from "./adadelta.ts";
export {
  Adagrad,
  type AdagradDefaults,
  type AdagradOptions,
  type AdagradUpdate,
  adagrad,
} from "./adagrad.ts";
export {
  Adam,
  type AdamDefaults,
  type AdamOptions,
  type AdamPositional,
  type AdamUpdate,
  adam,
} from "./adam.ts";
export { Adamax, type AdamaxDefaults, type AdamaxOptions, adamax } from "./adamax.ts";
export { AdamW, adamw } from "./adamw.ts";
export { ASGD, type ASGDDefaults, type ASGDOptions, type ASGDScalars, asgd } from "./asgd.ts";
export { LBFGS, type LBFGSDefaults, type LBFGSOptions } from "./lbfgs.ts";
export * as lrScheduler from "./lr-scheduler/index.ts";
export { NAdam, type NAdamDefaults, type NAdamOptions, nadam } from "./nadam.ts";
export {
  type BaseOptions,
  Optimizer,
  type OptimizerStateDict,
  type OptimizerStateDictInput,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type Params,
  type StateScalar,
  type StateValue,
  TORCH_FORM,
  type TorchForm,
} from "./optimizer.ts";
export { RAdam, type RAdamDefaults, type RAdamOptions, radam } from "./radam.ts";
export { RMSprop, type RMSpropOptions, type RMSpropUpdate, rmsprop } from "./rmsprop.ts";
export { Rprop, type RpropDefaults, type RpropOptions, rprop } from "./rprop.ts";
export { SGD, type SGDOptions, type SGDUpdate, sgd } from "./sgd.ts";
export { SparseAdam, type SparseAdamDefaults, type SparseAdamOptions } from "./sparse-adam.ts";
export * as swaUtils from "./swa-utils.ts";
export {
  type TorchOptimizerStateDict,
  toTorchStateDict,
} from "./torch-state.ts";

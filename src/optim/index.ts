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
export { AdamW, adamw } from "./adamw.ts";
export * as lrScheduler from "./lr-scheduler/index.ts";
export {
  type BaseOptions,
  Optimizer,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type Params,
  type StateValue,
} from "./optimizer.ts";
export { RMSprop, type RMSpropOptions, type RMSpropUpdate, rmsprop } from "./rmsprop.ts";
export { SGD, type SGDOptions, type SGDUpdate, sgd } from "./sgd.ts";

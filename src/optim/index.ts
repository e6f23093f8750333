// Public namespace `optim`: re-exports only.

export { Adadelta, type AdadeltaOptions, adadelta } from "./adadelta.ts";
export { Adagrad, type AdagradOptions, adagrad } from "./adagrad.ts";
export { Adam, type AdamOptions, adam } from "./adam.ts";
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
export { RMSprop, type RMSpropOptions, rmsprop } from "./rmsprop.ts";
export { SGD, type SGDOptions, sgd } from "./sgd.ts";

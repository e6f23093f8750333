// Namespace `optim.lrScheduler`: re-exports only.

export { type ChainableScheduler, ChainedScheduler } from "./chained-scheduler.ts";
export {
  ConstantLR,
  type ConstantLROptions,
  PolynomialLR,
  type PolynomialLROptions,
} from "./constant-lr.ts";
export { CosineAnnealingLR, type CosineAnnealingLROptions } from "./cosine-annealing-lr.ts";
export {
  CosineAnnealingWarmRestarts,
  type CosineAnnealingWarmRestartsOptions,
} from "./cosine-annealing-warm-restarts.ts";
export { CyclicLR, type CyclicLROptions } from "./cyclic-lr.ts";
export { ExponentialLR, type ExponentialLROptions } from "./exponential-lr.ts";
export { LambdaLR, type LambdaLROptions, type LrLambda } from "./lambda-lr.ts";
export { LinearLR, type LinearLROptions } from "./linear-lr.ts";
export {
  LRScheduler,
  type Scheduler,
  type SchedulerGroup,
  type SchedulerOptions,
} from "./lr-scheduler.ts";
export { MultiplicativeLR, type MultiplicativeLROptions } from "./multiplicative-lr.ts";
export {
  OneCycleLR,
  type OneCycleLROptions,
  type OneCycleLRPositional,
  type OneCyclePhase,
} from "./one-cycle-lr.ts";
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from "./reduce-lr-on-plateau.ts";
export { SequentialLR, type SequentialLROptions } from "./sequential-lr.ts";
export { MultiStepLR, type MultiStepLROptions, StepLR, type StepLROptions } from "./step-lr.ts";

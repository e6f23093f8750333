// Public namespace `data`: re-exports only.

export { type Collated, type CollateFn, defaultCollate } from "./collate.ts";
export { DataLoader, type DataLoaderOptions, type DataLoaderPositional } from "./data-loader.ts";
export {
  ConcatDataset,
  Dataset,
  IterableDataset,
  type MapDataset,
  randomSplit,
  Subset,
  TensorDataset,
  type TensorRow,
} from "./dataset.ts";
export * as datasets from "./datasets/index.ts";
export { DatasetNotFoundError, WorkerError } from "./errors.ts";
export {
  BalancedSampler,
  type BalancedSamplerOptions,
  BatchSampler,
  RandomSampler,
  type RandomSamplerOptions,
  type Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from "./samplers.ts";
export * as transforms from "./transforms/index.ts";
export { getWorkerInfo, type WorkerInfo } from "./worker-info.ts";
export { WorkerTimeoutError } from "./worker-pool.ts";
export type { WorkerConstructible, WorkerSpec } from "./worker-spec.ts";

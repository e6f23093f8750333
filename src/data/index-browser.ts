// The data namespace of the browser entry (kiln-torch/browser): datasets, samplers, transforms
// and the DataLoader in memory (numWorkers: 0; worker threads need Node). The bundle links this in
// place of index.ts (tools/build-browser.mjs). No Node API.

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
export * as datasets from "./datasets/index-browser.ts";
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

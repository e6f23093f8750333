// Public namespace `data.datasets`: re-exports only.

export { CIFAR10, type CIFAR10Options, parseCifarBatch } from "./cifar10.ts";
export { CSVDataset, type CSVDatasetOptions } from "./csv.ts";
export { type IdxArray, parseIdx } from "./idx.ts";
export { bundledMnistDir, FashionMNIST, KMNIST, MNIST, type MNISTOptions } from "./mnist.ts";
export type { VisionDatasetOptions, VisionPositional } from "./uint8-images.ts";

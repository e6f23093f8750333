// Public namespace `data.datasets`: re-exports only.

export { CIFAR10, type CIFAR10Options, parseCifarBatch } from "./cifar10.ts";
export { CSVDataset, type CSVDatasetOptions } from "./csv.ts";
export {
  DatasetFolder,
  type DatasetFolderOptions,
  findClasses,
  hasFileAllowedExtension,
  IMG_EXTENSIONS,
  ImageFolder,
  type ImageFolderOptions,
  isImageFile,
  makeDataset,
} from "./folder.ts";
export { type IdxArray, parseIdx } from "./idx.ts";
export { defaultLoader } from "./image-decode.ts";
export { bundledMnistDir, FashionMNIST, KMNIST, MNIST, type MNISTOptions } from "./mnist.ts";
export {
  augmentationMatrix,
  augmentCandidate,
  BOOK_AUGMENTATION,
  type NoduleAugmentation,
} from "./nodule-augment.ts";
export {
  NODULE_CROP,
  type NoduleCandidate,
  type NoduleCandidateOptions,
  NoduleDataset,
  type NoduleDatasetOptions,
  noduleCandidates,
  renderNoduleCrop,
} from "./nodules.ts";
export type { VisionDatasetOptions, VisionPositional } from "./uint8-images.ts";

// The datasets of the browser entry (kiln-torch/browser): those that load from bytes. MNIST and
// its siblings from IDX bytes (MNIST.fromIdx), IDX and CIFAR batch parsing. The file- and
// directory-backed datasets of index.ts need Node and are left out. No Node API.

export { parseCifarBatch } from "./cifar10.ts";
export { type IdxArray, parseIdx } from "./idx.ts";
export { FashionMNIST, KMNIST, MNIST, type MNISTOptions } from "./mnist.ts";
export type { VisionDatasetOptions, VisionPositional } from "./uint8-images.ts";

// Public namespace `data.transforms`: re-exports only.

export { Compose } from "./compose.ts";
export { Normalize } from "./normalize.ts";
export { RandomAffine, type RandomAffineOptions } from "./random-affine.ts";
export { type PaddingMode, RandomCrop, type RandomCropOptions } from "./random-crop.ts";
export { RandomHorizontalFlip } from "./random-horizontal-flip.ts";
export { type RawImage, ToTensor } from "./to-tensor.ts";
export type { ImageInput, Transform, TransformModule } from "./transform.ts";

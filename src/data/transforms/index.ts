// Public namespace `data.transforms`: re-exports only.

export {
  ColorJitter,
  type ColorJitterOptions,
  GaussianBlur,
  Grayscale,
} from "./color.ts";
export { Compose } from "./compose.ts";
export { ConvertImageDtype, Lambda, RandomApply, RandomChoice } from "./containers.ts";
export * as functional from "./functional.ts";
export { InterpolationMode } from "./functional-geometry.ts";
export { Normalize } from "./normalize.ts";
export {
  Pad,
  RandomRotation,
  type RandomRotationOptions,
  RandomVerticalFlip,
} from "./pad-rotate.ts";
export { RandomAffine, type RandomAffineOptions } from "./random-affine.ts";
export { type PaddingMode, RandomCrop, type RandomCropOptions } from "./random-crop.ts";
export { RandomErasing, type RandomErasingOptions } from "./random-erasing.ts";
export { RandomHorizontalFlip } from "./random-horizontal-flip.ts";
export {
  CenterCrop,
  RandomResizedCrop,
  type RandomResizedCropOptions,
  Resize,
} from "./resize.ts";
export { type RawImage, ToTensor } from "./to-tensor.ts";
export type { ImageInput, Transform, TransformModule } from "./transform.ts";

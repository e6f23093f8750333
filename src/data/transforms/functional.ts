// `data.transforms.functional`: torchvision.transforms.functional's ops on image tensors and
// RawImages, camelCased. Re-exports only.

export { gaussianBlur } from "./functional-blur.ts";
export {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  rgbToGrayscale,
} from "./functional-color.ts";
export { convertImageDtype, normalize, toTensor } from "./functional-convert.ts";
export {
  centerCrop,
  crop,
  erase,
  hflip,
  InterpolationMode,
  pad,
  vflip,
} from "./functional-geometry.ts";
export { resize, resizedCrop } from "./functional-resize.ts";
export { rotate } from "./functional-rotate.ts";

// PNG encoding of 8-bit RGB or RGBA pixels, for TensorBoard images and the report's gallery.
// Depends on pngjs and core/errors only.

import { PNG } from "pngjs";
import { FormatError } from "../core/errors.ts";

/**
 * PNG bytes of `width` x `height` pixels, row-major, `channels` bytes a pixel: 3 (written as RGB,
 * as PIL's `Image.fromarray(...).save(format="PNG")`) or 4 (RGBA).
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: 3 | 4 = 4,
): Uint8Array {
  if (pixels.length !== width * height * channels) {
    throw new FormatError(
      `encodePng: ${pixels.length} bytes for a ${width}x${height} image of ${channels} channels, expected ${width * height * channels}`,
    );
  }
  const png = new PNG({ width, height });
  if (channels === 4) png.data.set(pixels);
  else {
    for (let p = 0; p < width * height; p++) {
      png.data[4 * p] = pixels[3 * p]!;
      png.data[4 * p + 1] = pixels[3 * p + 1]!;
      png.data[4 * p + 2] = pixels[3 * p + 2]!;
      png.data[4 * p + 3] = 255;
    }
  }
  const bytes = PNG.sync.write(png, { colorType: channels === 4 ? 6 : 2 });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

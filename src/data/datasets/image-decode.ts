// Image files to RawImages for the folder datasets: PNG through pngjs (lossless, exact), JPEG
// through jpeg-js (pure JavaScript; its IDCT may differ from libjpeg's by a level or two), then
// PIL's convert("RGB"): gray replicated, alpha dropped. Depends on pngjs, jpeg-js, files.ts and
// the RawImage type; nothing here knows about datasets.

import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { FormatError } from "../../core/errors.ts";
import type { RawImage } from "../transforms/transform.ts";
import { readFileChecked } from "./files.ts";

/** The most pixels one decoded image may have (PIL's default DecompressionBombError limit ×2). */
export const MAX_IMAGE_PIXELS = 2 * 89_478_485;

function short(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 120 ? `${m.slice(0, 120)}…` : m;
}

function checkPixels(path: string, w: number, h: number): void {
  if (w * h > MAX_IMAGE_PIXELS) {
    throw new FormatError(
      `${path}: the image is ${w}x${h} = ${w * h} pixels, more than the ${MAX_IMAGE_PIXELS} allowed (a decompression bomb?)`,
    );
  }
}

/** An image file's RGBA pixels, decoded by its content (PNG or JPEG magic bytes), not its name. */
export function decodeRgba(
  path: string,
  bytes: Uint8Array,
): { width: number; height: number; rgba: Uint8Array } {
  const isPng =
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (isPng) {
    if (bytes.length >= 24) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      checkPixels(path, view.getUint32(16), view.getUint32(20));
    }
    try {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return {
        width: png.width,
        height: png.height,
        rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
      };
    } catch (e) {
      throw new FormatError(`${path}: not a readable PNG (${short(e)})`);
    }
  }
  if (isJpeg) {
    try {
      const img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
        maxMemoryUsageInMB: 2048,
      });
      return { width: img.width, height: img.height, rgba: img.data };
    } catch (e) {
      throw new FormatError(`${path}: not a readable JPEG (${short(e)})`);
    }
  }
  throw new FormatError(`${path}: cannot identify image file (Kiln reads PNG and JPEG)`);
}

/**
 * Reads an image file as an RGB RawImage (height × width × 3 bytes), as torchvision's
 * default_loader (PIL's `Image.open(path).convert("RGB")`): gray is replicated, alpha dropped
 * (PIL drops it without compositing). PNG is decoded exactly; JPEG by jpeg-js, whose pixels may
 * differ from libjpeg's (PIL's) by a level or two.
 *
 * @example const img = defaultLoader("data/train/cat/001.jpg"); // { data, height, width, channels: 3 }
 */
export function defaultLoader(path: string): RawImage {
  const { width, height, rgba } = decodeRgba(path, readFileChecked(path));
  const n = width * height;
  const data = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    data[3 * i] = rgba[4 * i]!;
    data[3 * i + 1] = rgba[4 * i + 1]!;
    data[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return { data, height, width, channels: 3 };
}

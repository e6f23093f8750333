// Reading an image for `kiln predict`: the format told by its magic bytes (PNG, JPEG, IDX), PNG
// decoded by pngjs and JPEG by jpeg-js, then converted to the model's channels as PIL's
// convert("L") / convert("RGB") does, and the light-background test of inverted digits.
// Hostile input is bounded: the size a header declares is checked before anything is decoded.
// Imports pngjs, jpeg-js and node:zlib only; the errors are the CLI's UsageError.

import { inflateSync } from "node:zlib";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { UsageError } from "./args.ts";

/** The most pixels an input image may have: 2^24, a 4096x4096 image or a 16-megapixel photo. */
export const MAX_PIXELS = 2 ** 24;

export type InputFormat = "png" | "jpeg" | "idx";

/** An 8-bit RGBA image, row-major. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** The format of `bytes` by its magic number, or null. */
export function sniffFormat(bytes: Uint8Array): InputFormat | null {
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && png.every((v, i) => bytes[i] === v)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return "jpeg";
  // IDX: two zero bytes, a type code (0x08 unsigned byte ... 0x0e double), the number of dims.
  if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2]! >= 0x08) return "idx";
  return null;
}

function short(e: unknown): string {
  const m = String((e as Error)?.message ?? e);
  return m.length > 200 ? `${m.slice(0, 200)}…` : m;
}

function checkPixels(path: string, width: number, height: number): void {
  if (width * height > MAX_PIXELS) {
    throw new UsageError(
      `'${path}' is ${width}x${height} pixels, more than the ${MAX_PIXELS} (4096x4096) kiln predict reads`,
    );
  }
}

/**
 * Checks a PNG's header before decoding: an IHDR of at most MAX_PIXELS, and for an interlaced PNG
 * (which pngjs inflates without a cap) that its image data inflates to no more than it declares.
 */
function checkPng(path: string, bytes: Uint8Array): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 33 || type(12) !== "IHDR") {
    throw new UsageError(`'${path}' is not a readable PNG: no IHDR header after the signature`);
  }
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  checkPixels(path, width, height);
  if (bytes[28] !== 1) return;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const len = dv.getUint32(at);
    if (at + 12 + len > bytes.length) break;
    if (type(at + 4) === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + len));
    if (type(at + 4) === "IEND") break;
    at += 12 + len;
  }
  // Adam7: at most 7 filter bytes per row and 8 bytes per pixel (16-bit RGBA).
  const cap = height * (8 * width + 7) + 4096;
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: cap });
  } catch (e) {
    if ((e as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") {
      throw new UsageError(
        `'${path}' is not a readable PNG: its image data inflates to more than the ${cap} bytes a ${width}x${height} image holds`,
      );
    }
    // other zlib errors: pngjs reports them
  }
}

/** Decodes a PNG (any bit depth, palette, gray or color, with or without alpha) to 8-bit RGBA. */
export function decodePng(path: string, bytes: Uint8Array): RgbaImage {
  checkPng(path, bytes);
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, rgba: png.data };
  } catch (e) {
    throw new UsageError(`'${path}' is not a readable PNG: ${short(e)}`);
  }
}

/** The [width, height] a JPEG's first SOF marker declares, or null when none is found. */
function jpegSize(bytes: Uint8Array): [number, number] | null {
  for (let at = 2; at + 9 <= bytes.length; ) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at += 1;
      continue;
    }
    const len = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (bytes[at + 5]! << 8) | bytes[at + 6]!;
      const width = (bytes[at + 7]! << 8) | bytes[at + 8]!;
      return [width, height];
    }
    at += 2 + len;
  }
  return null;
}

/** Decodes a baseline or progressive JPEG (gray, RGB or CMYK) to 8-bit RGBA. */
export function decodeJpeg(path: string, bytes: Uint8Array): RgbaImage {
  const size = jpegSize(bytes);
  if (size !== null) checkPixels(path, size[0], size[1]);
  try {
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1e6,
    });
    return { width: img.width, height: img.height, rgba: img.data };
  } catch (e) {
    throw new UsageError(`'${path}' is not a readable JPEG: ${short(e)}`);
  }
}

/** ITU-R 601-2 luma in PIL's fixed point: L = (19595 R + 38470 G + 7471 B + 2^15) >> 16. */
function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >>> 16;
}

/** The image as planar [C, H, W] bytes, and what the conversion did (for the user). */
export interface Converted {
  pixels: Uint8Array;
  notes: string[];
}

/**
 * Converts RGBA to `channels` planes: 1 is ITU-R 601-2 luma as PIL's convert("L"), 3 is RGB as
 * PIL's convert("RGB"). Transparent pixels, which PIL would keep at whatever color they hold, are
 * composited over a background that contrasts with the drawing: black when what is drawn is light
 * (its alpha-weighted mean luma at least 128), white when it is dark.
 */
export function toChannels(img: RgbaImage, channels: 1 | 3): Converted {
  const { width, height, rgba } = img;
  const n = width * height;
  const notes: string[] = [];
  let color = false;
  let transparent = false;
  let inkSum = 0;
  let alphaSum = 0;
  for (let i = 0; i < n; i++) {
    const r = rgba[4 * i]!;
    const g = rgba[4 * i + 1]!;
    const b = rgba[4 * i + 2]!;
    const a = rgba[4 * i + 3]!;
    if (r !== g || g !== b) color = true;
    if (a !== 255) transparent = true;
    inkSum += a * luma(r, g, b);
    alphaSum += a;
  }
  let bg = 0;
  if (transparent) {
    bg = alphaSum > 0 && inkSum / alphaSum < 128 ? 255 : 0;
    const why =
      alphaSum === 0
        ? "the image is fully transparent"
        : `the drawing is ${bg === 255 ? "dark" : "light"}`;
    notes.push(`transparent pixels composited over ${bg === 255 ? "white" : "black"} (${why})`);
  }
  const over = (v: number, a: number) =>
    a === 255 ? v : Math.round((v * a + bg * (255 - a)) / 255);
  const pixels = new Uint8Array(channels * n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3]!;
    const r = over(rgba[4 * i]!, a);
    const g = over(rgba[4 * i + 1]!, a);
    const b = over(rgba[4 * i + 2]!, a);
    if (channels === 1) {
      pixels[i] = luma(r, g, b);
    } else {
      pixels[i] = r;
      pixels[n + i] = g;
      pixels[2 * n + i] = b;
    }
  }
  if (channels === 1 && color)
    notes.push(`converted color to grayscale (ITU-R 601 luma, as PIL's convert("L"))`);
  return { pixels, notes };
}

/**
 * The mean of the outermost ring of pixels (each counted once) of the first plane of planar
 * [C, H, W] bytes, in [0, 1]: the background's brightness for a centred digit.
 */
export function borderMean(pixels: Uint8Array, height: number, width: number): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    const edgeRow = y === 0 || y === height - 1;
    for (let x = 0; x < width; x++) {
      if (edgeRow || x === 0 || x === width - 1) {
        sum += pixels[y * width + x]!;
        count++;
      }
    }
  }
  return sum / count / 255;
}

// The report's gallery: a run's misclassified-samples PNG read back and cut into one PNG per
// sample. The file read is capped in bytes and in declared size before it is decoded. Depends on
// pngjs, core/errors, io/png and io/metrics-jsonl (the gallery record).

import * as fs from "node:fs";
import * as path from "node:path";
import { PNG } from "pngjs";
import { FormatError } from "../core/errors.ts";
import { METRICS_LIMITS, type MisclassifiedGallery } from "./metrics-jsonl.ts";
import { encodePng } from "./png.ts";

/** Largest gallery PNG read back (a grid of 1000 CIFAR-sized samples is far less). */
export const GALLERY_PNG_MAX_BYTES = 64 * 1024 * 1024;

/** The RGBA pixels of a PNG's bytes, after checking its header (size, no interlacing). */
function decodeChecked(
  bytes: Uint8Array,
  where: string,
): { rgba: Uint8Array; width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const ihdr = String.fromCharCode(...bytes.subarray(12, 16));
  if (bytes.length < 33 || sig.some((b, i) => bytes[i] !== b) || ihdr !== "IHDR") {
    throw new FormatError(`${where}: not a PNG`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const side = METRICS_LIMITS.imageSide * 8;
  if (width < 1 || height < 1 || width > side || height > side) {
    throw new FormatError(`${where}: a ${width}x${height} image, more than ${side} pixels a side`);
  }
  // NOTE: pngjs inflates an interlaced PNG without a cap; Kiln never writes one.
  if (bytes[28] !== 0) throw new FormatError(`${where}: an interlaced PNG`);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (err) {
    throw new FormatError(
      `${where}: cannot decode (${String((err as Error).message).slice(0, 120)})`,
    );
  }
  return { rgba: new Uint8Array(png.data), width: png.width, height: png.height };
}

/**
 * Reads the gallery PNG of `gallery` from `runDir` and returns one PNG per item (null for an item
 * whose rectangle lies outside the image). FormatError when the file is missing, too large, or
 * not a PNG Kiln could have written.
 */
export function readGalleryImages(
  runDir: string,
  gallery: MisclassifiedGallery,
): (Uint8Array | null)[] {
  const file = path.join(runDir, gallery.file);
  const where = `misclassified samples ${file}`;
  let bytes: Uint8Array;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new FormatError(`${where}: not a regular file`);
    if (st.size > GALLERY_PNG_MAX_BYTES) {
      throw new FormatError(
        `${where}: ${st.size} bytes, more than the ${GALLERY_PNG_MAX_BYTES}-byte limit`,
      );
    }
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(
      `${where}: cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const img = decodeChecked(bytes, where);
  const { width: w, height: h } = gallery;
  return gallery.items.map((it) => {
    if (it.x + w > img.width || it.y + h > img.height) return null;
    const crop = new Uint8Array(w * h * 4);
    for (let r = 0; r < h; r++) {
      const from = ((it.y + r) * img.width + it.x) * 4;
      crop.set(img.rgba.subarray(from, from + w * 4), r * w * 4);
    }
    return encodePng(crop, w, h);
  });
}

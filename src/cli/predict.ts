// `kiln predict <checkpoint> <input>`: class probabilities for a PNG image or the first images of
// an IDX file, normalised as in training. Imports the public entry, pngjs to decode, and the
// dataset file readers (capped gunzip, typed errors). Hostile input is bounded: a gzipped IDX
// file is never inflated past what its header declares, and a PNG is decoded only when its
// header declares the model's image size (an interlaced one after a capped check of its data).

import { inflateSync } from "node:zlib";
import { PNG } from "pngjs";
import { gunzipCapped, readFileChecked } from "../data/datasets/files.ts";
import { idxDeclaredSize } from "../data/datasets/idx.ts";
import { data, fromTypedArray, nn, noGrad, type Tensor, tensor } from "../index.ts";
import { intAtLeast, UsageError } from "./args.ts";
import { openCheckpoint } from "./checkpoint.ts";

/** The most bytes a PNG input may hold, plain or gzipped (a PNG of the model's size is far less). */
const MAX_PNG_BYTES = 2 ** 28;

function readInput(path: string, png: boolean): Uint8Array {
  const bytes = readFileChecked(path);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  return gunzipCapped(
    path,
    bytes,
    png ? { maxBytes: MAX_PNG_BYTES } : { declaredSize: (head) => idxDeclaredSize(path, head) },
  );
}

function short(e: unknown): string {
  const m = String((e as Error)?.message ?? e);
  return m.length > 200 ? `${m.slice(0, 200)}…` : m;
}

/**
 * Checks a PNG's header before decoding: the signature, an IHDR declaring the model's [h, w],
 * and for an interlaced PNG (which pngjs inflates without a cap) that its image data inflates to
 * no more than such an image holds.
 */
function checkPng(path: string, bytes: Uint8Array, c: number, h: number, w: number): void {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 33 || sig.some((v, i) => bytes[i] !== v) || type(12) !== "IHDR") {
    throw new UsageError(`'${path}' is not a readable PNG: no PNG signature and IHDR header`);
  }
  const width = dv.getUint32(16);
  const height = dv.getUint32(20);
  if (width !== w || height !== h) {
    throw new UsageError(
      `the model takes [${c}, ${h}, ${w}] images, '${path}' holds [${c}, ${height}, ${width}]`,
    );
  }
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
  const cap = h * (8 * w + 7) + 4096;
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: cap });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new UsageError(
        `'${path}' is not a readable PNG: its image data inflates to more than the ${cap} bytes a ${w}×${h} image holds`,
      );
    }
    // other zlib errors: pngjs reports them
  }
}

/** A PNG as float [C, H, W] in [0, 1]: gray by ITU-R 601-2 luma (as PIL's "L") for one channel. */
function pngImage(path: string, bytes: Uint8Array, channels: number, invert: boolean): Tensor {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new UsageError(`'${path}' is not a readable PNG: ${short(e)}`);
  }
  const { width, height, data: rgba } = png;
  const out = new Float32Array(channels * width * height);
  for (let i = 0; i < width * height; i++) {
    const a = rgba[4 * i + 3]! / 255;
    const rgb = [0, 1, 2].map((c) => (rgba[4 * i + c]! * a) / 255);
    const vals = channels === 1 ? [(rgb[0]! * 299 + rgb[1]! * 587 + rgb[2]! * 114) / 1000] : rgb;
    vals.forEach((v, c) => {
      out[c * width * height + i] = invert ? 1 - v : v;
    });
  }
  return fromTypedArray(out, [1, channels, height, width]);
}

function idxImages(path: string, bytes: Uint8Array, count: number): Tensor {
  const idx = data.datasets.parseIdx(path, bytes);
  if (idx.typeCode !== 0x08 || idx.dims.length !== 3) {
    throw new UsageError(
      `'${path}' is not an IDX file of 8-bit images [N, H, W] (type 0x${idx.typeCode.toString(16)}, ${idx.dims.length} dims)`,
    );
  }
  const [n, h, w] = idx.dims as [number, number, number];
  const k = Math.min(count, n);
  const out = Float32Array.from(idx.bytes.subarray(0, k * h * w), (v) => v / 255);
  return fromTypedArray(out, [k, 1, h, w]);
}

export function predictCommand(
  checkpoint: string,
  input: string,
  flags: { count: string; invert?: boolean },
): void {
  const count = intAtLeast(1)(flags.count);
  const ck = openCheckpoint(checkpoint);
  const [c, h, w] = ck.itemShape as [number, number, number];
  if (ck.itemShape.length !== 3)
    throw new UsageError("predict takes images; this checkpoint was trained on tabular data");
  const isPng = input.toLowerCase().endsWith(".png");
  const bytes = readInput(input, isPng);
  if (isPng) checkPng(input, bytes, c, h, w);
  const images = isPng
    ? pngImage(input, bytes, c, flags.invert ?? false)
    : idxImages(input, bytes, count);
  if (images.shape[1] !== c || images.shape[2] !== h || images.shape[3] !== w) {
    throw new UsageError(
      `the model takes [${c}, ${h}, ${w}] images, '${input}' holds [${images.shape.slice(1).join(", ")}]`,
    );
  }
  const stat = (v: number[]) => tensor(v, { dtype: "float32" }).reshape(1, c, 1, 1);
  let x = images.sub(stat(ck.mean)).div(stat(ck.std));
  if (ck.args.model === "mlp") x = x.reshape(x.shape[0]!, -1);
  ck.model.eval();
  const probs = noGrad(() => nn.functional.softmax(ck.model.forward(x) as Tensor, 1));
  const rows = probs.toArray() as number[][];
  rows.forEach((p, i) => {
    let best = 0;
    p.forEach((v, j) => {
      if (v > p[best]!) best = j;
    });
    const list = p.map((v, j) => `${ck.classNames[j]}: ${v.toFixed(4)}`).join(", ");
    console.log(
      `${images.shape[0]! > 1 ? `image ${i}: ` : ""}class ${ck.classNames[best]} (p=${p[best]!.toFixed(4)})  [${list}]`,
    );
  });
}

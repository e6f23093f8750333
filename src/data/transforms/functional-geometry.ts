// torchvision.transforms.functional's pixel-moving ops on images (Tensor [..., H, W] or
// RawImage): crop, centerCrop, pad, hflip, vflip, erase (resize is in functional-resize.ts, rotate
// in functional-rotate.ts). Torchvision 0.14's tensor semantics. Depends on core, the Tensor class
// and image.ts; not on any transform class.

import {
  arrayOf,
  bool,
  either,
  instanceOf,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type Img, imageArg, readImage, writeImage } from "./image.ts";
import { type PaddingMode, sourceIndex } from "./random-crop.ts";
import type { ImageInput, RawImage } from "./transform.ts";

/** torchvision's InterpolationMode values that tensors support. */
export type InterpolationMode = "nearest" | "bilinear" | "bicubic";

/** torchvision.transforms.InterpolationMode's members, for ported code (`InterpolationMode.BILINEAR`). */
export const InterpolationMode = {
  NEAREST: "nearest",
  BILINEAR: "bilinear",
  BICUBIC: "bicubic",
} as const;

/** The output kind of a functional op: a Tensor for a Tensor, a RawImage for a RawImage. */
export type Out<I extends ImageInput> = I extends Tensor ? Tensor : RawImage;

/** An int or an array of ints (a size, a padding). */
export const sizeArg = either(int, arrayOf(int));
/** torchvision's tensor interpolation modes. */
export const interpArg = oneOf("nearest", "bilinear", "bicubic");

/** `out[r][c] = in[rows[r]][cols[c]]` for every plane, `fill` where an index is −1. */
export function remap(img: Img, rows: Int32Array, cols: Int32Array, fill: number) {
  const { data, h, w } = img;
  const planes = h * w === 0 ? 0 : data.length / (h * w);
  const oh = rows.length;
  const ow = cols.length;
  const out = new (data.constructor as Float32ArrayConstructor)(planes * oh * ow);
  let k = 0;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let r = 0; r < oh; r++) {
      const sr = rows[r]!;
      for (let c = 0; c < ow; c++) {
        const sc = cols[c]!;
        out[k++] = sr < 0 || sc < 0 ? fill : data[base + sr * w + sc]!;
      }
    }
  }
  return out;
}

export function indices(n: number, from: number, size: number, mode: PaddingMode): Int32Array {
  return Int32Array.from({ length: size }, (_, i) => sourceIndex(from + i, n, mode));
}

const CROP = signature("crop", {
  img: imageArg,
  top: int,
  left: int,
  height: int,
  width: int,
});

/**
 * The `height × width` window at (top, left), zero-padded where it leaves the image, as
 * torchvision.transforms.functional.crop(img, top, left, height, width).
 */
export function crop<I extends ImageInput>(
  img: I,
  top: number,
  left: number,
  height: number,
  width: number,
): Out<I> {
  const a = parseArgs(CROP, [img, top, left, height, width]);
  return cropImg(readImage("crop", a.img), a.top, a.left, a.height, a.width) as Out<I>;
}

export function cropImg(
  im: Img,
  top: number,
  left: number,
  height: number,
  width: number,
): ImageInput {
  if (height < 0 || width < 0) {
    throw new ValueError(`crop: height and width must be non-negative, got ${height} and ${width}`);
  }
  const rows = indices(im.h, top, height, "constant");
  const cols = indices(im.w, left, width, "constant");
  return writeImage(im, remap(im, rows, cols, 0), im.lead, height, width, "round");
}

function pairOf(op: string, name: string, v: number | readonly number[]): [number, number] {
  if (typeof v === "number") return [v, v];
  if (v.length === 1) return [v[0]!, v[0]!];
  if (v.length === 2) return [v[0]!, v[1]!];
  throw new ValueError(
    `${op}: ${name} should be an int or a sequence of 1 or 2 ints, got ${v.length}`,
  );
}

/**
 * The central `outputSize` window (an int or [h, w]); an image smaller than it is zero-padded
 * first, as torchvision.transforms.functional.center_crop(img, output_size): top =
 * round((H − h) / 2), left = round((W − w) / 2) with Python's round (half to even).
 */
export function centerCrop<I extends ImageInput>(
  img: I,
  outputSize: number | readonly number[],
): Out<I> {
  const a = parseArgs(signature("centerCrop", { img: imageArg, outputSize: sizeArg }), [
    img,
    outputSize,
  ]);
  const [ch, cw] = pairOf("centerCrop", "outputSize", a.outputSize);
  const im = readImage("centerCrop", a.img);
  let { h, w } = im;
  let offTop = 0;
  let offLeft = 0;
  if (cw > w || ch > h) {
    // torchvision pads [(cw-w)//2, (ch-h)//2, (cw-w+1)//2, (ch-h+1)//2] with zeros first.
    const padL = cw > w ? Math.floor((cw - w) / 2) : 0;
    const padT = ch > h ? Math.floor((ch - h) / 2) : 0;
    const padR = cw > w ? Math.floor((cw - w + 1) / 2) : 0;
    const padB = ch > h ? Math.floor((ch - h + 1) / 2) : 0;
    offTop = -padT;
    offLeft = -padL;
    h += padT + padB;
    w += padL + padR;
  }
  const top = roundHalfEven((h - ch) / 2) + offTop;
  const left = roundHalfEven((w - cw) / 2) + offLeft;
  return cropImg(im, top, left, ch, cw) as Out<I>;
}

/** Python's round(): half to even. */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const PAD = signature("pad", {
  img: imageArg,
  padding: sizeArg,
  fill: opt(nullable(num), 0),
  paddingMode: opt(oneOf("constant", "edge", "reflect", "symmetric"), "constant"),
});

/** [left, top, right, bottom] from torchvision's padding forms (int, [a], [lr, tb], [l, t, r, b]). */
export function parsePadding(
  op: string,
  p: number | readonly number[],
): [number, number, number, number] {
  if (typeof p === "number") return [p, p, p, p];
  if (p.length === 1) return [p[0]!, p[0]!, p[0]!, p[0]!];
  if (p.length === 2) return [p[0]!, p[1]!, p[0]!, p[1]!];
  if (p.length === 4) return [p[0]!, p[1]!, p[2]!, p[3]!];
  throw new ValueError(
    `${op}: Padding must be an int or a 1, 2, or 4 element tuple, not a ${p.length} element tuple`,
  );
}

/**
 * Pads the last two dims by `padding` (int, [all], [left/right, top/bottom] or [left, top, right,
 * bottom]; negative values crop) with `fill` ("constant"), the edge pixel ("edge"), a reflection
 * without the edge ("reflect", each pad < the side) or with it ("symmetric"), as
 * torchvision.transforms.functional.pad(img, padding, fill=0, padding_mode="constant").
 */
export function pad<I extends ImageInput>(
  img: I,
  padding: number | readonly number[],
  ...rest: WithOptions<
    [fill: number | null, paddingMode: PaddingMode],
    { fill?: number | null; paddingMode?: PaddingMode }
  >
): Out<I> {
  const a = parseArgs(PAD, [img, padding, ...rest]);
  const [l, t, r, b] = parsePadding("pad", a.padding);
  const im = readImage("pad", a.img);
  return padImg(im, l, t, r, b, a.fill ?? 0, a.paddingMode) as Out<I>;
}

export function padImg(
  im: Img,
  l: number,
  t: number,
  r: number,
  b: number,
  fill: number,
  mode: PaddingMode,
): ImageInput {
  if (mode === "reflect") {
    for (const [p, n, dim] of [
      [l, im.w, -1],
      [r, im.w, -1],
      [t, im.h, -2],
      [b, im.h, -2],
    ] as const) {
      if (p >= n) {
        throw new ValueError(
          `pad: reflect padding size should be less than the corresponding input dimension, but got padding ${p} at dimension ${dim} of size ${n}`,
        );
      }
    }
  }
  const oh = im.h + t + b;
  const ow = im.w + l + r;
  if (oh < 0 || ow < 0) throw new ShapeError(`pad: the padded image would be ${oh}x${ow}`);
  const rows = indices(im.h, -t, oh, mode);
  const cols = indices(im.w, -l, ow, mode);
  return writeImage(im, remap(im, rows, cols, fill), im.lead, oh, ow, "round");
}

/** The image mirrored left to right, as torchvision.transforms.functional.hflip(img). */
export function hflip<I extends ImageInput>(img: I): Out<I> {
  const a = parseArgs(signature("hflip", { img: imageArg }), [img]);
  const im = readImage("hflip", a.img);
  const rows = Int32Array.from({ length: im.h }, (_, i) => i);
  const cols = Int32Array.from({ length: im.w }, (_, j) => im.w - 1 - j);
  return writeImage(im, remap(im, rows, cols, 0), im.lead, im.h, im.w, "round") as Out<I>;
}

/** The image mirrored top to bottom, as torchvision.transforms.functional.vflip(img). */
export function vflip<I extends ImageInput>(img: I): Out<I> {
  const a = parseArgs(signature("vflip", { img: imageArg }), [img]);
  const im = readImage("vflip", a.img);
  const rows = Int32Array.from({ length: im.h }, (_, i) => im.h - 1 - i);
  const cols = Int32Array.from({ length: im.w }, (_, j) => j);
  return writeImage(im, remap(im, rows, cols, 0), im.lead, im.h, im.w, "round") as Out<I>;
}

const ERASE = signature("erase", {
  img: instanceOf(Tensor, "a Tensor"),
  i: int,
  j: int,
  h: int,
  w: int,
  v: instanceOf(Tensor, "a Tensor"),
  inplace: opt(bool, false),
});

/**
 * `img` with the window [i, i + h) × [j, j + w) of its last two dims set to `v` (broadcast to
 * [..., C, h, w]), as torchvision.transforms.functional.erase(img, i, j, h, w, v, inplace=False):
 * tensors only; `inplace` writes into `img` (which must then not require grad) and returns it.
 */
export function erase(
  img: Tensor,
  i: number,
  j: number,
  h: number,
  w: number,
  v: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(ERASE, [img, i, j, h, w, v, ...rest]);
  const x = a.img;
  if (x.ndim < 2) {
    throw new ShapeError(
      `erase: expected an image tensor [..., H, W], got shape [${x.shape.join(", ")}]`,
    );
  }
  const H = x.shape[x.ndim - 2]!;
  const W = x.shape[x.ndim - 1]!;
  // Python slicing clips the window to the image.
  const i0 = Math.max(0, Math.min(H, a.i < 0 ? a.i + H : a.i));
  const j0 = Math.max(0, Math.min(W, a.j < 0 ? a.j + W : a.j));
  const i1 = Math.max(i0, Math.min(H, a.i + a.h));
  const j1 = Math.max(j0, Math.min(W, a.j + a.w));
  const lead = x.shape.slice(0, -2);
  const wh = i1 - i0;
  const ww = j1 - j0;
  let vv: Tensor;
  try {
    vv = a.v
      .to(x.dtype)
      .expand([...lead, wh, ww])
      .contiguous();
  } catch (e) {
    throw new ShapeError(
      `erase: the value of shape [${a.v.shape.join(", ")}] cannot be broadcast to the erased region [${[...lead, wh, ww].join(", ")}] (${e instanceof Error ? e.message : e})`,
    );
  }
  const src = x.contiguous().dataSync();
  const out = src.slice();
  const val = vv.dataSync();
  const planes = H * W === 0 ? 0 : src.length / (H * W);
  for (let p = 0; p < planes; p++)
    for (let r = 0; r < wh; r++)
      for (let c = 0; c < ww; c++)
        out[p * H * W + (i0 + r) * W + j0 + c] = val[p * wh * ww + r * ww + c]!;
  const result = Tensor.fromData(out, x.shape, x.dtype);
  if (a.inplace) return x.copy_(result);
  return result;
}

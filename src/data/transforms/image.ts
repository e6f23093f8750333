// The image view the functional transforms compute on: an image tensor [..., H, W] or a RawImage
// as float planes (byte values for integer and raw images), and back to the input's kind with
// torchvision's casts (round after geometry, truncate after colour blends). Depends on the Tensor
// class and transform.ts only; no transform logic lives here.

import { record } from "../../core/args.ts";
import type { DType } from "../../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { type ImageInput, isRawImage, type RawImage, rawToPlanes } from "./transform.ts";

/** The `img` parameter of the functional transforms: a Tensor or a RawImage (a plain object). */
export const imageArg = record<ImageInput>(
  "an image (a Tensor [..., H, W] or a RawImage)",
  (v) => v instanceof Tensor || isRawImage(v),
);

/** An image as contiguous planes: `lead` is the shape before [H, W] (RawImage: [C]). */
export interface Img {
  data: Float32Array | Float64Array;
  lead: number[];
  h: number;
  w: number;
  /** Whether the values are floats in [0, 1] (a float tensor) rather than integers (bound 255). */
  isFloat: boolean;
  /** Whether arithmetic rounds to float32 after every step (all but float64 images). */
  f32: boolean;
  src: ImageInput;
}

/** Float32 rounding for float32 images, identity for float64: one PyTorch elementwise step. */
export function rounder(img: Img): (v: number) => number {
  return img.f32 ? Math.fround : (v: number) => v;
}

const FLOAT_DTYPES: readonly DType[] = ["float32", "float64", "float16", "bfloat16"];

/** The planes of `x`; integer tensors and raw images as float32 byte values. */
export function readImage(op: string, x: ImageInput): Img {
  if (isRawImage(x)) {
    const p = rawToPlanes(op, x as RawImage);
    return { data: p.data, lead: [p.planes], h: p.h, w: p.w, isFloat: false, f32: true, src: x };
  }
  if (!(x instanceof Tensor)) {
    throw new ValueError(`${op}: expected a Tensor [..., H, W] or a RawImage, got ${typeof x}`);
  }
  if (x.ndim < 2) {
    throw new ShapeError(
      `${op}: expected an image tensor [..., H, W] (2 or more dims), got shape [${x.shape.join(", ")}]`,
    );
  }
  if (x.dtype === "bool") {
    throw new DTypeError(`${op}: expected a float or integer image tensor, got dtype bool`);
  }
  const f = x.dtype === "float64" || x.dtype === "float32" ? x : x.to("float32");
  const d = f.contiguous().dataSync() as Float32Array | Float64Array;
  const copy = d instanceof Float64Array ? Float64Array.from(d) : Float32Array.from(d);
  return {
    data: copy,
    lead: x.shape.slice(0, -2),
    h: x.shape[x.ndim - 2]!,
    w: x.shape[x.ndim - 1]!,
    isFloat: FLOAT_DTYPES.includes(x.dtype),
    f32: x.dtype !== "float64",
    src: x,
  };
}

/** The channel count C = shape[-3] (1 for a [H, W] tensor), as torchvision's get_dimensions. */
export function channels(img: Img): number {
  return img.lead.length === 0 ? 1 : img.lead[img.lead.length - 1]!;
}

/** torch.round: half to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** How integer images come back: rounded (geometry, `_cast_squeeze_out`) or truncated (`.to`). */
export type IntCast = "round" | "trunc";

/**
 * `data` (planes of `lead` × h × w) as the kind of `img.src`: a tensor of its dtype, or a
 * RawImage; integer results are rounded (half to even, torch.round) or truncated as `cast` says, raw ones clamped to 0..255.
 */
export function writeImage(
  img: Img,
  data: Float32Array | Float64Array,
  lead: readonly number[],
  h: number,
  w: number,
  cast: IntCast,
): ImageInput {
  const toInt = cast === "round" ? roundHalfEven : Math.trunc;
  if (!(img.src instanceof Tensor)) {
    const c = lead[0]!;
    const hw = h * w;
    const out = new Uint8Array(c * hw);
    for (let p = 0; p < hw; p++)
      for (let k = 0; k < c; k++)
        out[p * c + k] = Math.min(255, Math.max(0, toInt(data[k * hw + p]!)));
    return { data: out, height: h, width: w, channels: c } satisfies RawImage;
  }
  const shape = [...lead, h, w];
  const dtype = img.src.dtype;
  if (dtype === "float32" || dtype === "float64") return Tensor.fromData(data, shape, dtype);
  if (FLOAT_DTYPES.includes(dtype)) return Tensor.fromData(data, shape, "float32").to(dtype);
  // Integer images: torchvision rounds (geometry) or truncates (`.to`) its float results.
  const out = new Float64Array(data.length);
  // uint8 results are clamped to 0..255 (torchvision clamps its bicubic uint8 resize; the other
  // ops stay in range).
  const [lo, hi] = dtype === "uint8" ? [0, 255] : [-Infinity, Infinity];
  for (let i = 0; i < data.length; i++) out[i] = Math.min(hi, Math.max(lo, toInt(data[i]!)));
  return Tensor.fromData(out, shape, "float64").to(dtype);
}

/** The planes of `img` as a float tensor [N, C, H, W] (N = product of the other leading dims). */
export function asNCHW(img: Img, data = img.data, h = img.h, w = img.w): Tensor {
  const c = channels(img);
  const n = h * w * c === 0 ? 0 : data.length / (h * w * c);
  return Tensor.fromData(data, [n, c, h, w], data instanceof Float64Array ? "float64" : "float32");
}

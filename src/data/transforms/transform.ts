// The transform contract of `data.transforms`: a function or an object with `forward`, as
// torchvision's callables. Image transforms work on float tensors [..., H, W] (CHW images) and on
// raw 8-bit images (HWC, what torchvision's PIL images are), reading and writing typed arrays
// directly. Depends on the Tensor class only.

import { ShapeError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";

/** An object transform; classes with `forward` can also travel to workers via `workerSpec()`. */
export interface TransformModule<I, O = I> {
  /** Applies the transform to one input. */
  forward(x: I): O;
}

/** A transform: a plain function, or an object with `forward` (every class in `data.transforms`). */
export type Transform<I, O = I> = ((x: I) => O) | TransformModule<I, O>;

export function applyTransform<I, O>(t: Transform<I, O>, x: I): O {
  return typeof t === "function" ? t(x) : t.forward(x);
}

/**
 * A raw 8-bit image, `height × width × channels` bytes, interleaved (HWC): Kiln's stand-in for a
 * PIL image, which an image dataset hands its `transform` (Kiln has no uint8 tensor dtype). A
 * canvas `ImageData` is one (RGBA, 4 channels). `ToTensor` turns it into float32 [C, H, W] / 255;
 * RandomCrop, RandomHorizontalFlip and RandomAffine take it and return one, as torchvision takes
 * and returns PIL images.
 *
 * @example const img: RawImage = { data: new Uint8Array(28 * 28), height: 28, width: 28, channels: 1 };
 */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /** Channels per pixel: 1 (grey, PIL mode "L"), 3 (RGB) or 4 (RGBA); default data.length / (width · height). */
  channels?: number;
}

/** Whether `x` is a RawImage (bytes plus integer width and height). */
export function isRawImage(x: unknown): x is RawImage {
  if (typeof x !== "object" || x === null || x instanceof Tensor) return false;
  const r = x as Partial<RawImage>;
  return (
    (r.data instanceof Uint8Array || r.data instanceof Uint8ClampedArray) &&
    Number.isInteger(r.width) &&
    Number.isInteger(r.height)
  );
}

/** The channel count of a raw image, checked against its byte count. */
export function rawChannels(op: string, x: RawImage): number {
  const hw = x.width * x.height;
  const c = x.channels ?? (hw === 0 ? 0 : x.data.length / hw);
  if (!Number.isInteger(c) || c * hw !== x.data.length) {
    throw new ShapeError(
      `${op}: ${x.data.length} bytes do not make a ${x.height}x${x.width} image with ${x.channels ?? "a whole number of"} channels`,
    );
  }
  return c;
}

/** A raw image as float32 planes (CHW), byte values unscaled (0..255). */
export function rawToPlanes(op: string, x: RawImage): Planes {
  const c = rawChannels(op, x);
  const { height: h, width: w } = x;
  const hw = h * w;
  const data = new Float32Array(c * hw);
  for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) data[k * hw + p] = x.data[p * c + k]!;
  return { data, planes: c, h, w };
}

/** Planes (CHW) of byte values back to a raw image (HWC), rounded and clamped to 0..255. */
export function planesToRaw(
  data: Float32Array | Float64Array,
  c: number,
  h: number,
  w: number,
): RawImage {
  const hw = h * w;
  const out = new Uint8Array(c * hw);
  for (let p = 0; p < hw; p++)
    for (let k = 0; k < c; k++)
      out[p * c + k] = Math.min(255, Math.max(0, Math.round(data[k * hw + p]!)));
  return { data: out, height: h, width: w, channels: c };
}

/** What an image transform takes: a CHW tensor, or a raw HWC image (torchvision's PIL image). */
export type ImageInput = Tensor | RawImage;

/** An image tensor as planes: `planes` images of h × w, contiguous float data. */
export interface Planes {
  data: Float32Array | Float64Array;
  planes: number;
  h: number;
  w: number;
}

export function toPlanes(op: string, x: Tensor): Planes {
  if (x.ndim < 2)
    throw new ShapeError(
      `${op}: expected an image tensor [..., H, W], got shape [${x.shape.join(", ")}]`,
    );
  const f = x.dtype === "float32" || x.dtype === "float64" ? x : x.float();
  const data = f.dataSync() as Float32Array | Float64Array;
  const h = x.shape[x.ndim - 2]!;
  const w = x.shape[x.ndim - 1]!;
  return { data, planes: h * w === 0 ? 0 : data.length / (h * w), h, w };
}

export function fromPlanes(
  like: Tensor,
  data: Float32Array | Float64Array,
  h: number,
  w: number,
): Tensor {
  const dtype = data instanceof Float64Array ? "float64" : "float32";
  return Tensor.fromData(data, [...like.shape.slice(0, -2), h, w], dtype);
}

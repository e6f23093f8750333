// torchvision.transforms.functional.resize and resized_crop on images (Tensor [..., H, W] or
// RawImage): bilinear/bicubic without antialias computed as PyTorch's CPU upsample kernels round
// (weights in double, products and sums in the image's precision), antialias and nearest through
// nn.functional.interpolate. Depends on core, the Tensor class, nn.functional.interpolate, image.ts
// and functional-geometry.ts (crop).

import {
  bool,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { interpolate } from "../../nn/functional/interpolate.ts";
import { Tensor } from "../../tensor/tensor.ts";
import {
  crop,
  type InterpolationMode,
  interpArg,
  type Out,
  sizeArg,
} from "./functional-geometry.ts";
import { type Img, imageArg, readImage, rounder, writeImage } from "./image.ts";
import type { ImageInput } from "./transform.ts";

/** [height, width] of torchvision's `_compute_resized_output_size`. */
export function resizedOutputSize(
  h: number,
  w: number,
  size: readonly number[],
  maxSize: number | null,
): [number, number] {
  if (size.length === 2) return [size[0]!, size[1]!];
  const [short, long] = w <= h ? [w, h] : [h, w];
  const requested = size[0]!;
  let newShort = requested;
  let newLong = Math.trunc((requested * long) / short);
  if (maxSize !== null) {
    if (maxSize <= requested) {
      throw new ValueError(
        `resize: maxSize = ${maxSize} must be strictly greater than the requested size for the smaller edge size = ${requested}`,
      );
    }
    if (newLong > maxSize) {
      newShort = Math.trunc((maxSize * newShort) / newLong);
      newLong = maxSize;
    }
  }
  return w <= h ? [newLong, newShort] : [newShort, newLong];
}

const RESIZE = signature("resize", {
  img: imageArg,
  size: sizeArg,
  interpolation: opt(interpArg, "bilinear"),
  maxSize: opt(nullable(int), null),
  antialias: opt(nullable(bool), null),
});

/**
 * Resizes to `size`: [h, w], or an int (or [int]) for the smaller edge keeping the aspect ratio
 * (the longer edge ⌊size · long / short⌋, capped by `maxSize`), as
 * torchvision.transforms.functional.resize(img, size, interpolation=BILINEAR, max_size=None,
 * antialias=None). Tensors: interpolate with alignCorners false; antialias null means false, as
 * torchvision 0.14 for tensors. RawImages (torchvision's PIL images, which PIL always
 * antialiases): antialias null means true, computed by torch's rule on the bytes and rounded
 * (half to even); bilinear agrees with PIL's Image.resize within one level, bicubic within a few
 * (PIL clips between its two passes). uint8 tensors follow torchvision's uint8 tensor rules
 * (bicubic clamped to 0..255). An image already of the output size is returned as is.
 */
export function resize<I extends ImageInput>(
  img: I,
  size: number | readonly number[],
  ...rest: WithOptions<
    [interpolation: InterpolationMode, maxSize: number | null, antialias: boolean | null],
    { interpolation?: InterpolationMode; maxSize?: number | null; antialias?: boolean | null }
  >
): Out<I> {
  const a = parseArgs(RESIZE, [img, size, ...rest]);
  const s = typeof a.size === "number" ? [a.size] : a.size;
  if (s.length !== 1 && s.length !== 2) {
    throw new ValueError(
      `resize: Size must be an int or a 1 or 2 element tuple/list, not a ${s.length} element tuple/list`,
    );
  }
  if (a.maxSize !== null && s.length !== 1) {
    throw new ValueError(
      "resize: maxSize should only be passed if size specifies the length of the smaller edge, i.e. size should be an int or a sequence of length 1",
    );
  }
  const im = readImage("resize", a.img);
  const [oh, ow] = resizedOutputSize(im.h, im.w, s, a.maxSize);
  if (oh === im.h && ow === im.w) return a.img as Out<I>;
  const antialias = a.antialias ?? !(a.img instanceof Tensor);
  if (a.antialias === true && a.interpolation === "nearest") {
    throw new ValueError(
      "resize: Antialias option is supported for bilinear and bicubic interpolation modes only",
    );
  }
  return resizePlanes(
    im,
    oh,
    ow,
    a.interpolation,
    antialias && a.interpolation !== "nearest",
  ) as Out<I>;
}

function resizePlanes(
  im: Img,
  oh: number,
  ow: number,
  mode: InterpolationMode,
  antialias: boolean,
): ImageInput {
  if (oh <= 0 || ow <= 0) {
    throw new ValueError(`resize: the output size must be positive, got [${oh}, ${ow}]`);
  }
  let out: Float32Array | Float64Array;
  if (antialias || mode === "nearest") {
    const planes = im.h * im.w === 0 ? 0 : im.data.length / (im.h * im.w);
    const t = Tensor.fromData(
      im.data,
      [1, planes, im.h, im.w],
      im.data instanceof Float64Array ? "float64" : "float32",
    );
    const y = interpolate(t, {
      size: [oh, ow],
      mode,
      alignCorners: mode === "nearest" ? null : false,
      antialias,
    });
    out = y.contiguous().dataSync() as Float32Array | Float64Array;
  } else out = resizeSeparable(im, oh, ow, mode === "bicubic", rounder(im));
  // torchvision clamps bicubic results of uint8 images (RawImage here) before rounding.
  return writeImage(im, out, im.lead, oh, ow, "round");
}

/** Source taps and weights of one output index along a dim (PyTorch's upsample kernels). */
function taps(
  inS: number,
  outS: number,
  cubic: boolean,
  f: (v: number) => number,
): { idx: Int32Array; wts: Float64Array; n: number } {
  const n = cubic ? 4 : 2;
  const idx = new Int32Array(outS * n);
  const wts = new Float64Array(outS * n);
  const scale = f(inS / outS);
  for (let o = 0; o < outS; o++) {
    // NOTE: as PyTorch's CPU kernels: the scale in the image's precision, the source position
    // and the weights in double (acc_type), the weights then stored in the image's precision.
    let real = scale * (o + 0.5) - 0.5;
    if (!cubic) {
      if (real < 0) real = 0;
      const i0 = Math.min(Math.floor(real), inS - 1);
      const l1 = Math.min(Math.max(f(real - i0), 0), 1);
      idx[2 * o] = i0;
      idx[2 * o + 1] = i0 + (i0 < inS - 1 ? 1 : 0);
      wts[2 * o] = f(1 - l1);
      wts[2 * o + 1] = l1;
    } else {
      const i0 = Math.floor(real);
      const t = f(real - i0);
      const A = -0.75;
      // upsample_get_cubic_coefficients: cubic convolution with A = −0.75.
      const c1 = (x: number) => f(f(f(f(f(f(A + 2) * x) - f(A + 3)) * x) * x) + 1);
      const c2 = (x: number) => f(f(f(f(f(f(A * x) - f(5 * A)) * x) + f(8 * A)) * x) - f(4 * A));
      const w = [c2(f(t + 1)), c1(t), c1(f(1 - t)), c2(f(f(1 - t) + 1))];
      for (let k = 0; k < 4; k++) {
        idx[4 * o + k] = Math.min(Math.max(i0 - 1 + k, 0), inS - 1);
        wts[4 * o + k] = f(w[k]!);
      }
    }
  }
  return { idx, wts, n };
}

/**
 * Bilinear or bicubic resize without antialias (alignCorners false), as PyTorch's CPU
 * upsample kernels compute it: per output pixel, rows of taps along W first, then their
 * weighted sum along H, each product and sum rounded to the image's precision.
 */
function resizeSeparable(
  im: Img,
  oh: number,
  ow: number,
  cubic: boolean,
  f: (v: number) => number,
): Float32Array | Float64Array {
  const { h, w, data } = im;
  const planes = h * w === 0 ? 0 : data.length / (h * w);
  const ty = taps(h, oh, cubic, f);
  const tx = taps(w, ow, cubic, f);
  const out = new (data.constructor as Float32ArrayConstructor)(planes * oh * ow);
  const n = tx.n;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        let acc = 0;
        for (let a = 0; a < n; a++) {
          const row = base + ty.idx[i * n + a]! * w;
          // `out = t·w; out += t·w`, every product and sum rounded (no fused multiply-add).
          let t = f(data[row + tx.idx[j * n]!]! * tx.wts[j * n]!);
          for (let b = 1; b < n; b++)
            t = f(t + f(data[row + tx.idx[j * n + b]!]! * tx.wts[j * n + b]!));
          const v = f(t * ty.wts[i * n + a]!);
          acc = a === 0 ? v : f(acc + v);
        }
        out[(p * oh + i) * ow + j] = acc;
      }
    }
  }
  return out;
}

const RESIZED_CROP = signature("resizedCrop", {
  img: imageArg,
  top: int,
  left: int,
  height: int,
  width: int,
  size: sizeArg,
  interpolation: opt(interpArg, "bilinear"),
  antialias: opt(nullable(bool), null),
});

/**
 * crop(img, top, left, height, width) then resize(·, size, interpolation, antialias), as
 * torchvision.transforms.functional.resized_crop(img, top, left, height, width, size,
 * interpolation=BILINEAR, antialias=None).
 */
export function resizedCrop<I extends ImageInput>(
  img: I,
  top: number,
  left: number,
  height: number,
  width: number,
  size: number | readonly number[],
  ...rest: WithOptions<
    [interpolation: InterpolationMode, antialias: boolean | null],
    { interpolation?: InterpolationMode; antialias?: boolean | null }
  >
): Out<I> {
  const a = parseArgs(RESIZED_CROP, [img, top, left, height, width, size, ...rest]);
  const cropped = crop(a.img, a.top, a.left, a.height, a.width);
  return resize(cropped, a.size, a.interpolation, null, a.antialias) as Out<I>;
}

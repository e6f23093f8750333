// torchvision.transforms.functional's colour and value ops on images (Tensor [..., C, H, W] or
// RawImage): rgbToGrayscale, adjustBrightness/Contrast/Saturation/Hue (gaussianBlur is in
// functional-blur.ts; normalize, toTensor, convertImageDtype in functional-convert.ts);
// torchvision 0.14's tensor formulas, each step rounded to float32 for float32 images as PyTorch
// computes them. Depends on core, the Tensor class and image.ts; not on any transform class.

import { num, oneOf, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import type { Out } from "./functional-geometry.ts";
import { channels, type Img, imageArg, readImage, rounder, writeImage } from "./image.ts";
import type { ImageInput } from "./transform.ts";

function checkChannels(op: string, im: Img, permitted: readonly number[]): number {
  const c = channels(im);
  if (!permitted.includes(c)) {
    throw new ShapeError(
      `${op}: Input image tensor permitted channel values are [${permitted.join(", ")}], but found ${c}`,
    );
  }
  return c;
}

/** Luma planes 0.2989 R + 0.587 G + 0.114 B (one per image), as the image's dtype would hold it. */
function luma(im: Img): Float32Array | Float64Array {
  const f = rounder(im);
  const hw = im.h * im.w;
  const n = hw === 0 ? 0 : im.data.length / (3 * hw);
  const out = new (im.data.constructor as Float32ArrayConstructor)(n * hw);
  const [wr, wg, wb] = [f(0.2989), f(0.587), f(0.114)];
  const d = im.data;
  for (let b = 0; b < n; b++) {
    const o = b * 3 * hw;
    for (let p = 0; p < hw; p++) {
      const v = f(f(f(wr * d[o + p]!) + f(wg * d[o + hw + p]!)) + f(wb * d[o + 2 * hw + p]!));
      // `.to(img.dtype)`: integer images truncate.
      out[b * hw + p] = im.isFloat ? v : Math.trunc(v);
    }
  }
  return out;
}

const GRAY = signature("rgbToGrayscale", {
  img: imageArg,
  numOutputChannels: opt(oneOf(1, 3), 1),
});

/**
 * Luma 0.2989 R + 0.587 G + 0.114 B of an RGB image [..., 3, H, W] (a 1-channel image is copied),
 * repeated to `numOutputChannels` (1 or 3; a 1-channel input stays 1-channel, as torchvision's
 * `expand(img.shape)` leaves it), as torchvision.transforms.functional.rgb_to_grayscale(
 * img, num_output_channels=1); integer and raw images truncate, as torchvision's `.to(dtype)`.
 */
export function rgbToGrayscale<I extends ImageInput>(
  img: I,
  ...rest: WithOptions<[numOutputChannels: 1 | 3], { numOutputChannels?: 1 | 3 }>
): Out<I> {
  const a = parseArgs(GRAY, [img, ...rest]);
  const im = readImage("rgbToGrayscale", a.img);
  if (im.lead.length === 0) {
    throw new ShapeError(
      `rgbToGrayscale: Input image tensor should have at least 3 dimensions, but found ${im.lead.length + 2}`,
    );
  }
  const c = checkChannels("rgbToGrayscale", im, [1, 3]);
  const l = c === 3 ? luma(im) : im.data;
  // NOTE: torchvision expands to the input's shape, so a 1-channel image stays 1-channel.
  const k = c === 1 ? 1 : a.numOutputChannels;
  const hw = im.h * im.w;
  const n = hw === 0 ? 0 : l.length / hw;
  const out = new (l.constructor as Float32ArrayConstructor)(n * k * hw);
  for (let b = 0; b < n; b++)
    for (let j = 0; j < k; j++) out.set(l.subarray(b * hw, (b + 1) * hw), (b * k + j) * hw);
  const lead = [...im.lead.slice(0, -1), k];
  return writeImage(im, out, lead, im.h, im.w, "trunc") as Out<I>;
}

/**
 * torchvision's `_blend`: clamp(ratio · img1 + (1 − ratio) · img2, 0, bound), bound 1 for float
 * images and 255 otherwise; `other(b, p)` is img2 at plane-pixel p of image b.
 */
function blend(
  im: Img,
  ratio: number,
  other: (b: number, k: number, p: number) => number,
): Float32Array | Float64Array {
  const f = rounder(im);
  const bound = im.isFloat ? 1 : 255;
  const c = channels(im);
  const hw = im.h * im.w;
  const n = hw * c === 0 ? 0 : im.data.length / (hw * c);
  const r1 = f(ratio);
  const r2 = f(1 - ratio);
  const out = new (im.data.constructor as Float32ArrayConstructor)(im.data.length);
  for (let b = 0; b < n; b++)
    for (let k = 0; k < c; k++)
      for (let p = 0; p < hw; p++) {
        const i = (b * c + k) * hw + p;
        const v = f(f(r1 * im.data[i]!) + f(r2 * other(b, k, p)));
        out[i] = Math.min(bound, Math.max(0, v));
      }
  return out;
}

function factorArg(op: string, name: string, v: number): number {
  if (v < 0) throw new ValueError(`${op}: ${name} (${v}) is not non-negative.`);
  return v;
}

/**
 * clamp(factor · img, 0, bound) (bound 1 for float images, 255 for integer and raw ones), as
 * torchvision.transforms.functional.adjust_brightness(img, brightness_factor); 1 or 3 channels.
 */
export function adjustBrightness<I extends ImageInput>(img: I, brightnessFactor: number): Out<I> {
  const a = parseArgs(signature("adjustBrightness", { img: imageArg, brightnessFactor: num }), [
    img,
    brightnessFactor,
  ]);
  factorArg("adjustBrightness", "brightness_factor", a.brightnessFactor);
  const im = readImage("adjustBrightness", a.img);
  checkChannels("adjustBrightness", im, [1, 3]);
  return writeImage(
    im,
    blend(im, a.brightnessFactor, () => 0),
    im.lead,
    im.h,
    im.w,
    "trunc",
  ) as Out<I>;
}

/**
 * Blends each image with the mean of its grayscale version: clamp(f · img + (1 − f) · mean, 0,
 * bound), as torchvision.transforms.functional.adjust_contrast(img, contrast_factor).
 */
export function adjustContrast<I extends ImageInput>(img: I, contrastFactor: number): Out<I> {
  const a = parseArgs(signature("adjustContrast", { img: imageArg, contrastFactor: num }), [
    img,
    contrastFactor,
  ]);
  factorArg("adjustContrast", "contrast_factor", a.contrastFactor);
  const im = readImage("adjustContrast", a.img);
  const c = checkChannels("adjustContrast", im, [1, 3]);
  const g = c === 3 ? luma(im) : im.data;
  const hw = im.h * im.w;
  const n = hw === 0 ? 0 : g.length / hw;
  const means: number[] = [];
  for (let b = 0; b < n; b++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += g[b * hw + p]!;
    means.push(rounder(im)(s / hw));
  }
  const out = blend(im, a.contrastFactor, (b) => means[b]!);
  return writeImage(im, out, im.lead, im.h, im.w, "trunc") as Out<I>;
}

/**
 * Blends an RGB image with its grayscale version: clamp(f · img + (1 − f) · gray, 0, bound); a
 * 1-channel image is returned as is, as torchvision.transforms.functional.adjust_saturation(img,
 * saturation_factor).
 */
export function adjustSaturation<I extends ImageInput>(img: I, saturationFactor: number): Out<I> {
  const a = parseArgs(signature("adjustSaturation", { img: imageArg, saturationFactor: num }), [
    img,
    saturationFactor,
  ]);
  factorArg("adjustSaturation", "saturation_factor", a.saturationFactor);
  const im = readImage("adjustSaturation", a.img);
  if (checkChannels("adjustSaturation", im, [1, 3]) === 1) return a.img as Out<I>;
  const g = luma(im);
  const hw = im.h * im.w;
  const out = blend(im, a.saturationFactor, (b, _k, p) => g[b * hw + p]!);
  return writeImage(im, out, im.lead, im.h, im.w, "trunc") as Out<I>;
}

/** torch.remainder(a, 1) in the image's precision. */
function mod1(v: number, f: (x: number) => number): number {
  let m = v % 1;
  if (m !== 0 && m < 0) m = f(m + 1);
  return m;
}

/**
 * Shifts the hue of an RGB image by `hueFactor` (in [−0.5, 0.5], a fraction of the hue circle)
 * through HSV, as torchvision.transforms.functional.adjust_hue(img, hue_factor); a 1-channel
 * image is returned as is; integer and raw images are scaled by 1/255 and back, truncated.
 */
export function adjustHue<I extends ImageInput>(img: I, hueFactor: number): Out<I> {
  const a = parseArgs(signature("adjustHue", { img: imageArg, hueFactor: num }), [img, hueFactor]);
  if (!(a.hueFactor >= -0.5 && a.hueFactor <= 0.5)) {
    throw new ValueError(`adjustHue: hue_factor (${a.hueFactor}) is not in [-0.5, 0.5].`);
  }
  const im = readImage("adjustHue", a.img);
  if (checkChannels("adjustHue", im, [1, 3]) === 1) return a.img as Out<I>;
  const f = rounder(im);
  const hw = im.h * im.w;
  const n = hw === 0 ? 0 : im.data.length / (3 * hw);
  const d = im.data;
  const out = new (d.constructor as Float32ArrayConstructor)(d.length);
  const hf = f(a.hueFactor);
  for (let bi = 0; bi < n; bi++) {
    const o = bi * 3 * hw;
    for (let p = 0; p < hw; p++) {
      let r = d[o + p]!;
      let g = d[o + hw + p]!;
      let b = d[o + 2 * hw + p]!;
      if (!im.isFloat) {
        r = f(r / 255);
        g = f(g / 255);
        b = f(b / 255);
      }
      // _rgb2hsv
      const maxc = Math.max(r, g, b);
      const minc = Math.min(r, g, b);
      const eqc = maxc === minc;
      const cr = f(maxc - minc);
      const s = f(cr / (eqc ? 1 : maxc));
      const crd = eqc ? 1 : cr;
      const rc = f(f(maxc - r) / crd);
      const gc = f(f(maxc - g) / crd);
      const bc = f(f(maxc - b) / crd);
      const hr = maxc === r ? f(bc - gc) : 0;
      const hg = maxc === g && maxc !== r ? f(f(2 + rc) - bc) : 0;
      const hb = maxc !== g && maxc !== r ? f(f(4 + gc) - rc) : 0;
      let h = f(f(hr + hg) + hb);
      h = f(f(h / 6) + 1) % 1;
      h = mod1(f(h + hf), f);
      // _hsv2rgb
      const h6 = f(h * 6);
      const i0 = Math.floor(h6);
      const fr = f(h6 - i0);
      const i = ((i0 % 6) + 6) % 6;
      const v = maxc;
      const pp = Math.min(1, Math.max(0, f(v * f(1 - s))));
      const q = Math.min(1, Math.max(0, f(v * f(1 - f(s * fr)))));
      const t = Math.min(1, Math.max(0, f(v * f(1 - f(s * f(1 - fr))))));
      const rgb =
        i === 0
          ? [v, t, pp]
          : i === 1
            ? [q, v, pp]
            : i === 2
              ? [pp, v, t]
              : i === 3
                ? [pp, q, v]
                : i === 4
                  ? [t, pp, v]
                  : [v, pp, q];
      for (let k = 0; k < 3; k++) {
        const val = rgb[k]!;
        out[o + k * hw + p] = im.isFloat ? val : Math.trunc(f(val * 255));
      }
    }
  }
  return writeImage(im, out, im.lead, im.h, im.w, "trunc") as Out<I>;
}

// torchvision.transforms.functional.gaussian_blur on images (Tensor [..., H, W] or RawImage):
// torchvision's float32 kernel, reflect padding, a direct 2-D convolution in the image's
// precision. Depends on core, image.ts and random-crop.ts (the reflect index); no transform class.

import {
  arrayOf,
  either,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Out } from "./functional-geometry.ts";
import { imageArg, readImage, rounder, writeImage } from "./image.ts";
import { sourceIndex } from "./random-crop.ts";
import type { ImageInput } from "./transform.ts";

/** torchvision's `_get_gaussian_kernel1d`, computed in float32 as torch's default dtype. */
export function gaussianKernel1d(kernelSize: number, sigma: number): Float32Array {
  const f = Math.fround;
  const half = (kernelSize - 1) * 0.5;
  const pdf = new Float32Array(kernelSize);
  const sg = f(sigma);
  let sum = 0;
  for (let i = 0; i < kernelSize; i++) {
    const x = -half + i;
    const z = f(x / sg);
    pdf[i] = f(Math.exp(f(-0.5 * f(z * z))));
    sum = f(sum + pdf[i]!);
  }
  for (let i = 0; i < kernelSize; i++) pdf[i] = f(pdf[i]! / sum);
  return pdf;
}

const BLUR = signature("gaussianBlur", {
  img: imageArg,
  kernelSize: either(int, arrayOf(int)),
  sigma: opt(nullable(either(num, arrayOf(num))), null),
});

/**
 * Blurs each channel with a Gaussian kernel [kx, ky] (odd, positive; an int means square) of
 * standard deviations `sigma` ([sx, sy] or one number; null: 0.15 · k + 0.35), reflect-padding
 * the borders, as torchvision.transforms.functional.gaussian_blur(img, kernel_size, sigma=None);
 * each pad must be smaller than the image side (torch's reflect padding).
 */
export function gaussianBlur<I extends ImageInput>(
  img: I,
  kernelSize: number | readonly number[],
  ...rest: WithOptions<
    [sigma: number | readonly number[] | null],
    { sigma?: number | readonly number[] | null }
  >
): Out<I> {
  const a = parseArgs(BLUR, [img, kernelSize, ...rest]);
  const ks = typeof a.kernelSize === "number" ? [a.kernelSize, a.kernelSize] : [...a.kernelSize];
  if (ks.length !== 2) {
    throw new ValueError(
      `gaussianBlur: If kernel_size is a sequence its length should be 2. Got ${ks.length}`,
    );
  }
  if (ks.some((k) => k % 2 === 0 || k < 0)) {
    throw new ValueError(
      `gaussianBlur: kernel_size should have odd and positive integers. Got [${ks.join(", ")}]`,
    );
  }
  let sg: number[];
  if (a.sigma === null) sg = ks.map((k) => k * 0.15 + 0.35);
  else if (typeof a.sigma === "number") sg = [a.sigma, a.sigma];
  else if (a.sigma.length === 1) sg = [a.sigma[0]!, a.sigma[0]!];
  else sg = [...a.sigma];
  if (sg.length !== 2) {
    throw new ValueError(
      `gaussianBlur: If sigma is a sequence, its length should be 2. Got ${sg.length}`,
    );
  }
  if (sg.some((s) => !(s > 0))) {
    throw new ValueError(`gaussianBlur: sigma should have positive values. Got [${sg.join(", ")}]`);
  }
  const im = readImage("gaussianBlur", a.img);
  const [kx, ky] = ks as [number, number];
  const px = Math.floor(kx / 2);
  const py = Math.floor(ky / 2);
  if (px >= im.w || py >= im.h) {
    throw new ValueError(
      `gaussianBlur: reflect padding (${px}, ${py}) should be less than the image width and height (${im.w}, ${im.h})`,
    );
  }
  const f = rounder(im);
  const kxv = gaussianKernel1d(kx, sg[0]!);
  const kyv = gaussianKernel1d(ky, sg[1]!);
  const k2 = new Float64Array(kx * ky);
  for (let i = 0; i < ky; i++) for (let j = 0; j < kx; j++) k2[i * kx + j] = f(kyv[i]! * kxv[j]!);
  const { h, w, data } = im;
  const rows = Int32Array.from({ length: h + 2 * py }, (_, i) => sourceIndex(i - py, h, "reflect"));
  const cols = Int32Array.from({ length: w + 2 * px }, (_, j) => sourceIndex(j - px, w, "reflect"));
  const out = new (data.constructor as Float32ArrayConstructor)(data.length);
  const planes = h * w === 0 ? 0 : data.length / (h * w);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let u = 0; u < ky; u++) {
          const row = base + rows[i + u]! * w;
          for (let v = 0; v < kx; v++) s += k2[u * kx + v]! * data[row + cols[j + v]!]!;
        }
        out[base + i * w + j] = f(s);
      }
  }
  return writeImage(im, out, im.lead, h, w, "round") as Out<I>;
}

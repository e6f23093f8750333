// torchvision.transforms.functional.rotate on images (Tensor [..., H, W] or RawImage): the inverse
// affine matrix, torchvision's affine grid and a grid_sample (zeros padding, alignCorners false)
// done here step by step in the image's precision, as PyTorch's CPU kernel rounds (that decides
// nearest-neighbour ties). Depends on core, image.ts and random-affine.ts (the matrix).

import {
  arrayOf,
  bool,
  either,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { type InterpolationMode, interpArg, type Out } from "./functional-geometry.ts";
import { channels, type Img, imageArg, readImage, writeImage } from "./image.ts";
import { inverseAffineMatrix } from "./random-affine.ts";
import type { ImageInput } from "./transform.ts";

const ROTATE = signature("rotate", {
  img: imageArg,
  angle: num,
  interpolation: opt(interpArg, "nearest"),
  expand: opt(bool, false),
  center: opt(nullable(arrayOf(num)), null),
  fill: opt(nullable(either(num, arrayOf(num))), null),
});

/**
 * Rotates by `angle` degrees counter-clockwise about `center` ([x, y] from the top-left corner;
 * default the image centre), as torchvision.transforms.functional.rotate(img, angle,
 * interpolation=NEAREST, expand=False, center=None, fill=None) on tensors: torchvision's affine
 * grid and grid_sample (alignCorners false), "nearest" or "bilinear"; `expand` grows the output
 * to hold the whole rotated image; pixels from outside are `fill` (a number or one per channel;
 * null: 0).
 */
export function rotate<I extends ImageInput>(
  img: I,
  angle: number,
  ...rest: WithOptions<
    [
      interpolation: InterpolationMode,
      expand: boolean,
      center: readonly number[] | null,
      fill: number | readonly number[] | null,
    ],
    {
      interpolation?: InterpolationMode;
      expand?: boolean;
      center?: readonly number[] | null;
      fill?: number | readonly number[] | null;
    }
  >
): Out<I> {
  const a = parseArgs(ROTATE, [img, angle, ...rest]);
  if (a.interpolation === "bicubic") {
    throw new ValueError("rotate: Interpolation mode 'bicubic' is unsupported with Tensor input");
  }
  if (a.center !== null && a.center.length !== 2) {
    throw new ValueError(`rotate: center should be a sequence of length 2, got ${a.center.length}`);
  }
  const im = readImage("rotate", a.img);
  const c = channels(im);
  const fill = a.fill === null ? null : typeof a.fill === "number" ? [a.fill] : a.fill;
  if (fill !== null && fill.length > 1 && fill.length !== c) {
    throw new ValueError(
      `rotate: The number of elements in 'fill' cannot broadcast to match the number of channels of the image (${fill.length} != ${c})`,
    );
  }
  const center: [number, number] =
    a.center === null ? [0, 0] : [a.center[0]! - im.w * 0.5, a.center[1]! - im.h * 0.5];
  const m = inverseAffineMatrix(center, -a.angle, [0, 0], 1, [0, 0]);
  const [ow, oh] = a.expand ? affineOutputSize(m, im.w, im.h) : [im.w, im.h];
  return warp(im, m, ow, oh, a.interpolation, fill) as Out<I>;
}

/** torchvision's `_compute_affine_output_size` (in float32, as it computes): [w, h]. */
function affineOutputSize(m: readonly number[], w: number, h: number): [number, number] {
  const f = Math.fround;
  const t = m.map(f);
  const pts = [
    [-0.5 * w, -0.5 * h],
    [-0.5 * w, 0.5 * h],
    [0.5 * w, 0.5 * h],
    [0.5 * w, -0.5 * h],
  ];
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (const [x, y] of pts) {
    for (let k = 0; k < 2; k++) {
      const v = f(f(f(x! * t[3 * k]!) + f(y! * t[3 * k + 1]!)) + t[3 * k + 2]!);
      lo[k] = Math.min(lo[k]!, v);
      hi[k] = Math.max(hi[k]!, v);
    }
  }
  const tol = 1e-4;
  const size = [0, 1].map((k) => {
    const half = k === 0 ? w * 0.5 : h * 0.5;
    const mx = f(hi[k]! + half);
    const mn = f(lo[k]! + half);
    const cmax = Math.ceil(f(Math.trunc(f(mx / tol)) * tol));
    const cmin = Math.floor(f(Math.trunc(f(mn / tol)) * tol));
    return Math.trunc(cmax - cmin);
  });
  return [size[0]!, size[1]!];
}

/**
 * torchvision's `_gen_affine_grid` then `_apply_grid_transform`: output pixel centres (relative
 * to the output centre) mapped by the inverse matrix `m`, normalized by the input size, sampled
 * with grid_sample; `fill` through an appended mask channel, as torchvision.
 */
function warp(
  im: Img,
  m: readonly number[],
  ow: number,
  oh: number,
  mode: "nearest" | "bilinear",
  fill: readonly number[] | null,
): ImageInput {
  const f64 = !im.f32;
  const f = f64 ? (v: number) => v : Math.fround;
  const { h, w } = im;
  const c = channels(im);
  const hw = h * w;
  const n = hw * c === 0 ? 0 : im.data.length / (hw * c);
  const cc = fill === null ? c : c + 1;
  const Arr = f64 ? Float64Array : Float32Array;
  const input = new Arr(n * cc * hw);
  for (let b = 0; b < n; b++) {
    input.set(im.data.subarray(b * c * hw, (b + 1) * c * hw), b * cc * hw);
    if (fill !== null) input.fill(1, (b * cc + c) * hw, (b * cc + c + 1) * hw);
  }
  // rescaled_theta = theta^T / [0.5 w, 0.5 h]; grid = [x, y, 1] · rescaled_theta.
  const sx = f(0.5 * w);
  const sy = f(0.5 * h);
  const r = [
    f(f(m[0]!) / sx),
    f(f(m[1]!) / sx),
    f(f(m[2]!) / sx),
    f(f(m[3]!) / sy),
    f(f(m[4]!) / sy),
    f(f(m[5]!) / sy),
  ];
  const grid = new Arr(oh * ow * 2);
  for (let i = 0; i < oh; i++) {
    const y = -oh * 0.5 + 0.5 + i;
    for (let j = 0; j < ow; j++) {
      const x = -ow * 0.5 + 0.5 + j;
      const k = (i * ow + j) * 2;
      grid[k] = f(f(f(x * r[0]!) + f(y * r[1]!)) + r[2]!);
      grid[k + 1] = f(f(f(x * r[3]!) + f(y * r[4]!)) + r[5]!);
    }
  }
  const sampled = gridSampleZeros(input, n * cc, h, w, grid, oh, ow, mode, f);
  const ohw = oh * ow;
  const out = new Arr(n * c * ohw);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const src = (b * cc + k) * ohw;
      const dst = (b * c + k) * ohw;
      const fv = fill === null ? 0 : f(fill.length === 1 ? fill[0]! : fill[k]!);
      for (let p = 0; p < ohw; p++) {
        const v = sampled[src + p]!;
        if (fill === null) out[dst + p] = v;
        else {
          const mask = sampled[(b * cc + c) * ohw + p]!;
          out[dst + p] =
            mode === "nearest" ? (mask < 0.5 ? fv : v) : f(f(v * mask) + f(f(1 - mask) * fv));
        }
      }
    }
  }
  return writeImage(im, out, im.lead, oh, ow, "round");
}

/** Half to even, as nearbyint. */
function nearbyint(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * grid_sample(padding_mode="zeros", align_corners=False) of `planes` planes h × w at the grid
 * [oh, ow, 2], in the image's precision step by step as PyTorch's CPU kernel (its unnormalize
 * ((g + 1) · size − 1) / 2 rounded to float32 decides nearest-neighbour ties).
 */
function gridSampleZeros(
  input: Float32Array | Float64Array,
  planes: number,
  h: number,
  w: number,
  grid: Float32Array | Float64Array,
  oh: number,
  ow: number,
  mode: "nearest" | "bilinear",
  f: (v: number) => number,
): Float32Array | Float64Array {
  const ohw = oh * ow;
  const out = new (input.constructor as Float32ArrayConstructor)(planes * ohw);
  const at = (base: number, y: number, x: number): number =>
    y >= 0 && y < h && x >= 0 && x < w ? input[base + y * w + x]! : 0;
  for (let p = 0; p < ohw; p++) {
    const ix = f(f(f(f(grid[2 * p]! + 1) * w) - 1) / 2);
    const iy = f(f(f(f(grid[2 * p + 1]! + 1) * h) - 1) / 2);
    if (mode === "nearest") {
      const x = nearbyint(ix);
      const y = nearbyint(iy);
      for (let c = 0; c < planes; c++) out[c * ohw + p] = at(c * h * w, y, x);
      continue;
    }
    const x0 = Math.floor(ix);
    const y0 = Math.floor(iy);
    const tx = f(ix - x0);
    const ty = f(iy - y0);
    const sx = f(1 - tx);
    const sy = f(1 - ty);
    const nw = f(sx * sy);
    const ne = f(tx * sy);
    const sw = f(sx * ty);
    const se = f(tx * ty);
    for (let c = 0; c < planes; c++) {
      const b = c * h * w;
      const v = f(
        f(f(f(at(b, y0, x0) * nw) + f(at(b, y0, x0 + 1) * ne)) + f(at(b, y0 + 1, x0) * sw)) +
          f(at(b, y0 + 1, x0 + 1) * se),
      );
      out[c * ohw + p] = v;
    }
  }
  return out;
}

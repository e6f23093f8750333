// torch.nn.functional.interpolate (nearest, nearest-exact, linear, bilinear, bicubic, trilinear,
// area); pixel_shuffle and the deprecated upsample* aliases are in pixel-shuffle.ts. Every mode is separable: along each spatial dim the
// output is Σ_t w_t · x[idx_t] with PyTorch's source-index formulas, done as flat gathers
// (`takeFlat`) and elementwise ops, so gradients come for free. Depends on src/ops and core only.

import {
  arrayOf,
  bool,
  either,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { fromTypedArray } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import { gatherPad } from "./padding.ts";

/** The modes of torch.nn.functional.interpolate. */
export type InterpolateMode =
  | "nearest"
  | "nearest-exact"
  | "linear"
  | "bilinear"
  | "bicubic"
  | "trilinear"
  | "area";

const MODES = [
  "nearest",
  "nearest-exact",
  "linear",
  "bilinear",
  "bicubic",
  "trilinear",
  "area",
] as const;

/**
 * interpolate's leading parameters, which the upsample aliases share: input, size (null),
 * scaleFactor (null), mode ("nearest") and alignCorners (null).
 */
export const INTERPOLATE_ARGS = {
  input: tensorArg,
  size: opt(nullable(either(int, arrayOf(int))), null),
  scaleFactor: opt(nullable(either(num, arrayOf(num))), null),
  mode: opt(oneOf(...MODES), "nearest"),
  alignCorners: opt(nullable(bool), null),
};

const INTERPOLATE = signature("interpolate", {
  ...INTERPOLATE_ARGS,
  recomputeScaleFactor: opt(nullable(bool), null),
  antialias: opt(bool, false),
});

/**
 * Options of `interpolate` after the input; defaults size null, scaleFactor null, mode
 * "nearest", alignCorners null (false for the linear modes), recomputeScaleFactor null,
 * antialias false, as torch.nn.functional.interpolate.
 */
export interface InterpolateOptions {
  size?: number | readonly number[] | null;
  scaleFactor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
  antialias?: boolean;
}

/** The positional parameters of `interpolate` after the input, in PyTorch's order. */
export type InterpolatePositional = [
  size: number | readonly number[] | null,
  scaleFactor: number | readonly number[] | null,
  mode: InterpolateMode,
  alignCorners: boolean | null,
  recomputeScaleFactor: boolean | null,
  antialias: boolean,
];

/** Taps along one dim: for output i, Σ_t weights[t][i] · x[index[t][i]]. */
interface Taps {
  index: Int32Array[];
  weights: Float64Array[] | null;
}

/** compute_scales_value: 1/scale when a scale is passed to the kernel, else in/out. */
function scaleValue(scale: number | null, inSize: number, outSize: number): number {
  return scale !== null && scale > 0 ? 1 / scale : inSize / outSize;
}

/** area_pixel_compute_scale. */
function areaScale(inSize: number, outSize: number, align: boolean, scale: number | null): number {
  if (align) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return scaleValue(scale, inSize, outSize);
}

/** area_pixel_compute_source_index. */
function sourceIndex(scale: number, dst: number, align: boolean, cubic: boolean): number {
  if (align) return scale * dst;
  const src = scale * (dst + 0.5) - 0.5;
  return !cubic && src < 0 ? 0 : src;
}

function nearestTaps(inSize: number, outSize: number, scale: number | null, exact: boolean): Taps {
  const idx = new Int32Array(outSize);
  // NOTE: PyTorch's nearest kernels compute the scale and the product in float32
  const s = Math.fround(scaleValue(scale, inSize, outSize));
  for (let i = 0; i < outSize; i++) {
    let j: number;
    if (exact) j = Math.floor(Math.fround((i + 0.5) * s));
    else if (outSize === inSize) j = i;
    else if (outSize === 2 * inSize) j = i >> 1;
    else j = Math.floor(Math.fround(i * s));
    idx[i] = Math.min(j, inSize - 1);
  }
  return { index: [idx], weights: null };
}

function linearTaps(
  inSize: number,
  outSize: number,
  align: boolean,
  scale: number | null,
  f: (v: number) => number,
): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  const s = f(areaScale(inSize, outSize, align, scale));
  for (let i = 0; i < outSize; i++) {
    const src = f(sourceIndex(s, i, align, false));
    const j = Math.min(Math.floor(src), inSize - 1);
    const l1 = Math.min(Math.max(f(src - j), 0), 1);
    i0[i] = j;
    i1[i] = j + (j < inSize - 1 ? 1 : 0);
    w1[i] = l1;
    w0[i] = f(1 - l1);
  }
  return { index: [i0, i1], weights: [w0, w1] };
}

const A = -0.75; // PyTorch's bicubic constant (upsample_bicubic2d, as in OpenCV)
const cc1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
const cc2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;

/** The four cubic convolution coefficients for fractional offset t. */
export function cubicCoefficients(t: number): [number, number, number, number] {
  return [cc2(t + 1), cc1(t), cc1(1 - t), cc2(2 - t)];
}

function cubicTaps(
  inSize: number,
  outSize: number,
  align: boolean,
  scale: number | null,
  f: (v: number) => number,
): Taps {
  const index = [0, 1, 2, 3].map(() => new Int32Array(outSize));
  const weights = [0, 1, 2, 3].map(() => new Float64Array(outSize));
  const s = f(areaScale(inSize, outSize, align, scale));
  for (let i = 0; i < outSize; i++) {
    const src = f(sourceIndex(s, i, align, true));
    const j = Math.floor(src);
    const c = cubicCoefficients(f(src - j));
    for (let t = 0; t < 4; t++) {
      index[t]![i] = Math.max(Math.min(j - 1 + t, inSize - 1), 0);
      weights[t]![i] = c[t]!;
    }
  }
  return { index, weights };
}

/** The antialiasing filters: triangle (bilinear) and Keys cubic with a = −0.5 (bicubic, as PIL). */
function aaFilter(x: number, cubic: boolean): number {
  const v = Math.abs(x);
  if (!cubic) return v < 1 ? 1 - v : 0;
  const a = -0.5;
  if (v < 1) return ((a + 2) * v - (a + 3)) * v * v + 1;
  if (v < 2) return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a;
  return 0;
}

/** PyTorch's _compute_indices_weights_aa: a filter stretched by the scale when downsampling. */
function aaTaps(
  inSize: number,
  outSize: number,
  align: boolean,
  scale: number | null,
  cubic: boolean,
  f: (v: number) => number,
): Taps {
  const s = f(areaScale(inSize, outSize, align, scale));
  const half = cubic ? 2 : 1;
  const support = s >= 1 ? half * s : half;
  const T = Math.ceil(support) * 2 + 1;
  const invscale = s >= 1 ? 1 / s : 1;
  const index = Array.from({ length: T }, () => new Int32Array(outSize));
  const weights = Array.from({ length: T }, () => new Float64Array(outSize));
  for (let i = 0; i < outSize; i++) {
    const center = s * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    const w: number[] = [];
    for (let j = 0; j < xsize; j++) {
      const v = aaFilter((j + xmin - center + 0.5) * invscale, cubic);
      w.push(v);
      total += v;
    }
    for (let t = 0; t < T; t++) {
      index[t]![i] = Math.min(xmin + t, xmin + Math.max(xsize, 1) - 1);
      weights[t]![i] = t < xsize ? (total !== 0 ? w[t]! / total : w[t]!) : 0;
    }
  }
  return { index, weights };
}

/** Adaptive average pooling windows: [⌊i·in/out⌋, ⌈(i+1)·in/out⌉), padded with weight 0. */
function areaTaps(inSize: number, outSize: number): Taps {
  const starts: number[] = [];
  const ends: number[] = [];
  let T = 0;
  for (let i = 0; i < outSize; i++) {
    const a = Math.floor((i * inSize) / outSize);
    const b = Math.ceil(((i + 1) * inSize) / outSize);
    starts.push(a);
    ends.push(b);
    T = Math.max(T, b - a);
  }
  const index = Array.from({ length: T }, () => new Int32Array(outSize));
  const weights = Array.from({ length: T }, () => new Float64Array(outSize));
  for (let i = 0; i < outSize; i++) {
    const n = ends[i]! - starts[i]!;
    for (let t = 0; t < T; t++) {
      index[t]![i] = Math.min(starts[i]! + t, ends[i]! - 1);
      weights[t]![i] = t < n ? 1 / n : 0;
    }
  }
  return { index, weights };
}

/** Applies taps along dim d: Σ_t w_t · gather(x, d, idx_t). */
function applyTaps(x: Tensor, d: number, taps: Taps, name: string, key: string): Tensor {
  const outShape = [...x.shape];
  outShape[d] = taps.index[0]!.length;
  let y: Tensor | null = null;
  const wShape = outShape.map((s, i) => (i === d ? s : 1)).slice(d);
  for (let t = 0; t < taps.index.length; t++) {
    const maps: Int32Array[] = [];
    maps[d] = taps.index[t]!;
    const g = gatherPad(x, maps, outShape, name, `interp|${d}|${key}|${t}`);
    if (taps.weights === null) return g;
    const w = fromTypedArray(
      x.dtype === "float64" ? taps.weights[t]! : Float32Array.from(taps.weights[t]!),
      wShape,
    );
    const term = g.mul(w);
    y = y === null ? term : y.add(term);
  }
  return y!;
}

const LINEAR_MODES: Record<string, number> = { linear: 3, bilinear: 4, trilinear: 5 };

/**
 * Resizes the spatial dims of `[N, C, *spatial]` (1 to 3 spatial dims), as
 * torch.nn.functional.interpolate(input, size=None, scale_factor=None, mode='nearest',
 * align_corners=None, recompute_scale_factor=None, antialias=False). Output size per dim is
 * `size` or ⌊in · scaleFactor⌋; without `recomputeScaleFactor` the given scale (not out/in) maps
 * output to source positions, as in PyTorch. linear/bilinear/trilinear need 3/4/5-D inputs,
 * bicubic 4-D. `antialias` (bilinear/bicubic, 4-D) widens the filter when downsampling, as
 * PyTorch's (and PIL's) antialiased resize.
 *
 * @example F.interpolate(x, { scaleFactor: 2, mode: "bilinear", alignCorners: false })
 */
export function interpolate(
  x: Tensor,
  ...rest: WithOptions<InterpolatePositional, InterpolateOptions>
): Tensor {
  const a = parseArgs(INTERPOLATE, [x, ...rest]);
  const input = a.input;
  const mode = a.mode;
  let align = a.alignCorners;
  if (mode === "nearest" || mode === "area" || mode === "nearest-exact") {
    if (align !== null)
      throw new ValueError(
        "interpolate: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
      );
  } else align ??= false;
  const dim = input.ndim - 2;
  const spatial = input.shape.slice(2);
  let outSize: number[] | null = null;
  let scales: number[] | null = null;
  if (a.size !== null && a.scaleFactor !== null)
    throw new ValueError("interpolate: only one of size or scale_factor should be defined");
  if (a.size !== null) {
    if (Array.isArray(a.size)) {
      if (a.size.length !== dim)
        throw new ValueError(
          `interpolate: Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of ${formatShape(spatial)} and output size of ${formatShape(a.size)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.`,
        );
      outSize = [...a.size];
    } else outSize = new Array<number>(Math.max(dim, 0)).fill(a.size as number);
  } else if (a.scaleFactor !== null) {
    if (Array.isArray(a.scaleFactor)) {
      if (a.scaleFactor.length !== dim)
        throw new ValueError(
          `interpolate: Input and scale_factor must have the same number of spatial dimensions, but got input with spatial dimensions of ${formatShape(spatial)} and scale_factor of shape ${formatShape(a.scaleFactor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) format.`,
        );
      scales = [...a.scaleFactor];
    } else scales = new Array<number>(Math.max(dim, 0)).fill(a.scaleFactor as number);
  } else throw new ValueError("interpolate: either size or scale_factor should be defined");
  let recompute = a.recomputeScaleFactor;
  if (recompute === true && a.size !== null)
    throw new ValueError(
      "interpolate: recompute_scale_factor is not meaningful with an explicit size.",
    );
  if (mode === "area" && outSize === null) recompute = true;
  if (recompute === true && scales !== null) {
    outSize = spatial.map((s, i) => Math.floor(s * scales![i]!));
    scales = null;
  }
  if (a.antialias && !((mode === "bilinear" || mode === "bicubic") && input.ndim === 4))
    throw new ValueError(
      "interpolate: Anti-alias option is only supported for bilinear and bicubic modes",
    );
  if (input.ndim < 3 || input.ndim > 5) {
    throw new ShapeError(
      `interpolate: Input Error: Only 3D, 4D and 5D input Tensors supported (got ${input.ndim}D) for the modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact (got ${mode})`,
    );
  }
  const need = mode === "bicubic" ? 4 : LINEAR_MODES[mode];
  if (need !== undefined && need !== input.ndim) {
    const what = mode === "bicubic" ? "Input Error: Only 4D input Tensors supported" : "";
    throw new ShapeError(
      what !== ""
        ? `interpolate: ${what} (got ${input.ndim}D) for the mode bicubic`
        : `interpolate: Got ${input.ndim}D input, but ${mode} mode needs ${need}D input`,
    );
  }
  if (outSize === null) outSize = spatial.map((s, i) => Math.floor(s * scales![i]!));
  if (outSize.some((s) => s <= 0) || spatial.some((s) => s <= 0)) {
    throw new ShapeError(
      `interpolate: Input and output sizes should be greater than 0, but got input (${spatial.join(", ")}) and output (${outSize.join(", ")})`,
    );
  }
  if (
    mode !== "nearest" &&
    mode !== "nearest-exact" &&
    input.dtype !== "float32" &&
    input.dtype !== "float64"
  )
    throw new DTypeError(`interpolate: mode "${mode}" needs a floating input, got ${input.dtype}`);
  const f = input.dtype === "float32" ? Math.fround : (v: number) => v;
  const name = gradName(mode, dim);
  let y = input;
  for (let d = 0; d < dim; d++) {
    const inS = spatial[d]!;
    const outS = outSize[d]!;
    const scale = scales === null ? null : scales[d]!;
    let taps: Taps;
    if (mode === "nearest" || mode === "nearest-exact")
      taps = nearestTaps(inS, outS, scale, mode === "nearest-exact");
    else if (mode === "area") taps = areaTaps(inS, outS);
    else if (a.antialias) taps = aaTaps(inS, outS, align!, scale, mode === "bicubic", f);
    else if (mode === "bicubic") taps = cubicTaps(inS, outS, align!, scale, f);
    else taps = linearTaps(inS, outS, align!, scale, f);
    y = applyTaps(y, d + 2, taps, name, `${mode}|${a.antialias}|${align}|${scale}`);
  }
  return y === input ? input.clone() : y;
}

function gradName(mode: InterpolateMode, dim: number): string {
  if (mode === "area") return `AdaptiveAvgPool${dim}DBackward0`;
  if (mode === "nearest") return `UpsampleNearest${dim}DBackward0`;
  if (mode === "nearest-exact") return `UpsampleNearestExact${dim}DBackward0`;
  const base = {
    linear: "Linear1D",
    bilinear: "Bilinear2D",
    trilinear: "Trilinear3D",
    bicubic: "Bicubic2D",
  }[mode];
  return `Upsample${base}Backward0`;
}

// Convolution as im2col + matmul: one flat gather (`takeFlat`) lays every receptive field out as
// a column, then a batched matmul applies the filters, so gradients come from those two ops.
// Index arrays are computed once per geometry and cached. Depends on src/ops and below.

import type { FusedKernels, WindowGeometry } from "../backend/backend.ts";
import { ShapeError } from "../core/errors.ts";
import { formatShape } from "../core/shape.ts";
import { claimFresh, compositeVjp, freshGrad, record } from "../tensor/autograd.ts";
import { isGradEnabled } from "../tensor/graph.ts";
import type { Tensor } from "../tensor/tensor-class.ts";
import { full, fusedKernels, recycleBuffer, uninitializedF32 } from "./dispatch.ts";
import { takeFlat } from "./indexing.ts";
import { bmm } from "./matmul.ts";
import { cat, permute, reshape } from "./movement.ts";

/** Two numbers per spatial dim: [height, width]. */
export type Pair = readonly [number, number];

/** Geometry of a 2-D sliding window over an [N, C, H, W] input. */
export interface Window2d {
  kernel: Pair;
  stride: Pair;
  dilation: Pair;
  /** [top, bottom, left, right] implicit padding. */
  padding: readonly [number, number, number, number];
}

/** Bounded cache of index arrays keyed by geometry. */
export class IndexCache {
  #map = new Map<string, Int32Array>();
  constructor(readonly limit = 64) {}
  get(key: string, build: () => Int32Array): Int32Array {
    let v = this.#map.get(key);
    if (v === undefined) {
      v = build();
      if (this.#map.size >= this.limit) this.#map.delete(this.#map.keys().next().value!);
      this.#map.set(key, v);
    }
    return v;
  }
}

const cache = new IndexCache();

/** Output length of a convolution along one dim (PyTorch's formula, floor). */
export function convOutSize(
  size: number,
  k: number,
  s: number,
  padLo: number,
  padHi: number,
  d: number,
): number {
  return Math.floor((size + padLo + padHi - d * (k - 1) - 1) / s) + 1;
}

/**
 * Positions for im2col, laid out [groups, Cg·kh·kw, N·Ho·Wo]: entry = row-major position in the
 * [N, C, H, W] input, or `sentinel` (= N·C·H·W) for a padded position.
 */
function im2colIndex(
  shape: readonly number[],
  w: Window2d,
  groups: number,
  Ho: number,
  Wo: number,
): Int32Array {
  const [N, C, H, W] = shape as [number, number, number, number];
  const [kh, kw] = w.kernel;
  const [sh, sw] = w.stride;
  const [dh, dw] = w.dilation;
  const [pt, , pl] = w.padding;
  const Cg = C / groups;
  const K = Cg * kh * kw;
  const L = Ho * Wo;
  const sentinel = N * C * H * W;
  const out = new Int32Array(groups * K * N * L);
  let k = 0;
  for (let g = 0; g < groups; g++) {
    for (let c = 0; c < Cg; c++) {
      const ch = g * Cg + c;
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) {
          for (let n = 0; n < N; n++) {
            const base = (n * C + ch) * H * W;
            for (let oh = 0; oh < Ho; oh++) {
              const h = oh * sh - pt + i * dh;
              for (let ow = 0; ow < Wo; ow++) {
                const x = ow * sw - pl + j * dw;
                out[k++] = h >= 0 && h < H && x >= 0 && x < W ? base + h * W + x : sentinel;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** Whether the backend's fused conv2d kernels take these operands (float32, non-empty). */
export function fusedConv2dFits(x: Tensor, weight: Tensor, bias: Tensor | null): boolean {
  const fk = fusedKernels();
  return (
    fk?.conv2d !== undefined &&
    fk.conv2dInputGrad !== undefined &&
    fk.conv2dWeightGrad !== undefined &&
    x.dtype === "float32" &&
    weight.dtype === "float32" &&
    (bias === null || bias.dtype === "float32") &&
    x.numel() > 0 &&
    weight.numel() > 0
  );
}

/** x with one extra element `fill` at flat position numel(x), for padded gathers. */
export function withSentinel(x: Tensor, fill: number): Tensor {
  return cat([reshape(x, [-1]), full([1], fill, x.dtype)], 0);
}

/**
 * 2-D cross-correlation, as torch.nn.functional.conv2d (padding already resolved).
 * `x [N, C, H, W]`, `weight [O, C/groups, kh, kw]`, `bias [O]` → `[N, O, Ho, Wo]`.
 */
export function conv2dIm2col(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  w: Window2d,
  groups: number,
): Tensor {
  const [, C, H, W] = x.shape as [number, number, number, number];
  const [O, Cg] = weight.shape as [number, number];
  if (Cg * groups !== C) {
    throw new ShapeError(
      `conv2d: Given groups=${groups}, weight of size ${formatShape(weight.shape)}, expected input${formatShape(x.shape)} to have ${Cg * groups} channels, but got ${C} channels instead`,
    );
  }
  const Ho = convOutSize(H, w.kernel[0], w.stride[0], w.padding[0], w.padding[1], w.dilation[0]);
  const Wo = convOutSize(W, w.kernel[1], w.stride[1], w.padding[2], w.padding[3], w.dilation[1]);
  if (Ho <= 0 || Wo <= 0) {
    throw new ShapeError(
      `conv2d: Calculated output size: (${Ho}x${Wo}) is too small for input ${formatShape(x.shape)} and kernel ${w.kernel.join("x")}`,
    );
  }
  const fk = fusedKernels();
  if (fusedConv2dFits(x, weight, bias)) {
    const g = windowGeometry(x, w, Ho, Wo, O, groups);
    return conv2dFused(
      fk as ConvKernels,
      g,
      x.contiguous(),
      weight.contiguous(),
      bias?.contiguous() ?? null,
      w,
      groups,
    );
  }
  return conv2dComposite(x, weight, bias, w, groups, Ho, Wo);
}

/** conv2dIm2col from primitives (im2col gather, bmm, bias add), each with autograd. */
function conv2dComposite(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  w: Window2d,
  groups: number,
  Ho: number,
  Wo: number,
): Tensor {
  const N = x.shape[0]!;
  const [O, Cg] = weight.shape as [number, number];
  const key = `conv|${x.shape.join(",")}|${w.kernel}|${w.stride}|${w.dilation}|${w.padding}|${groups}`;
  const idx = cache.get(key, () => im2colIndex(x.shape, w, groups, Ho, Wo));
  const padded = w.padding.some((p) => p > 0);
  const src = padded ? withSentinel(x, 0) : x;
  const K = Cg * w.kernel[0] * w.kernel[1];
  const cols = takeFlat(src, idx, [groups, K, N * Ho * Wo]);
  const y = bmm(reshape(weight, [groups, O / groups, K]), cols);
  let out = permute(reshape(y, [O, N, Ho, Wo]), [1, 0, 2, 3]);
  if (bias !== null) out = out.add(reshape(bias, [1, O, 1, 1]));
  return out.contiguous();
}

/** The depth fields of a 2-D window's geometry. */
export const NO_DEPTH = { D: 1, Do: 1, kd: 1, sd: 1, dd: 1, pd: 0 } as const;

/** What a fused window kernel needs of `x` [N, C, H, W] and a window `w` with output Ho x Wo. */
export function windowGeometry(
  x: Tensor,
  w: Window2d,
  Ho: number,
  Wo: number,
  O: number,
  groups: number,
): WindowGeometry {
  const [N, C, H, W] = x.shape as [number, number, number, number];
  return {
    N,
    C,
    H,
    W,
    O,
    Ho,
    Wo,
    kh: w.kernel[0],
    kw: w.kernel[1],
    sh: w.stride[0],
    sw: w.stride[1],
    dh: w.dilation[0],
    dw: w.dilation[1],
    pt: w.padding[0],
    pl: w.padding[2],
    groups,
    ...NO_DEPTH,
  };
}

/** The float32 storage of a contiguous tensor, starting at its first element. */
export function f32(t: Tensor): Float32Array {
  const d = t.storage.data as Float32Array;
  return t.offset === 0 ? d : d.subarray(t.offset);
}

/** The fused kernels a convolution runs on (present when fusedConv2dFits holds). */
export type ConvKernels = Pick<FusedKernels, "conv2d" | "conv2dInputGrad" | "conv2dWeightGrad">;

/** conv2dIm2col through the backend's fused kernels: one node, gradients from their kernels. */
function conv2dFused(
  fk: ConvKernels,
  g: WindowGeometry,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  w: Window2d,
  groups: number,
): Tensor {
  return convFused(fk, g, x, weight, bias, [g.N, g.O, g.Ho, g.Wo], () =>
    conv2dComposite(x, weight, bias, w, groups, g.Ho, g.Wo),
  );
}

/**
 * A 2-D or 3-D convolution (geometry `g`, output `outShape`) through the backend's fused
 * kernels: one node whose gradients come from their kernels, or, when the backward pass itself
 * records a graph (createGraph), from `composite`, the same convolution built of primitives.
 * x, weight and bias are contiguous float32.
 */
export function convFused(
  fk: ConvKernels,
  g: WindowGeometry,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  outShape: readonly number[],
  composite: () => Tensor,
): Tensor {
  const out = uninitializedF32(outShape);
  fk.conv2d(g, f32(x), f32(weight), bias === null ? null : f32(bias), f32(out));
  return record(
    out,
    "ConvolutionBackward0",
    [x, weight, bias],
    (gy) => {
      // createGraph: differentiate the composite form, so the gradients record a graph.
      if (isGradEnabled()) return compositeVjp([x, weight, bias], composite, gy);
      const gyc = f32(gy.dtype === "float32" ? gy.contiguous() : gy.to("float32").contiguous());
      let gx: Tensor | null = null;
      if (x.requiresGrad) {
        gx = uninitializedF32(x.shape);
        fk.conv2dInputGrad(g, gyc, f32(weight), f32(gx));
      }
      let gw: Tensor | null = null;
      let gb: Tensor | null = null;
      if (weight.requiresGrad || bias?.requiresGrad) {
        gw = uninitializedF32(weight.shape);
        gb = bias === null ? null : uninitializedF32(bias.shape);
        fk.conv2dWeightGrad(g, gyc, f32(x), f32(gw), gb === null ? null : f32(gb));
      }
      if (gy.offset === 0 && claimFresh(gy)) recycleBuffer(gy.storage.data);
      return [
        freshGrad(gx),
        weight.requiresGrad ? freshGrad(gw) : null,
        bias?.requiresGrad ? freshGrad(gb) : null,
      ];
    },
    [x, weight],
  );
}

// Pooling as a gather of every window into a trailing axis followed by a reduction (max or
// sum), so gradients come from `takeFlat` and the reduction. PyTorch's output-size and divisor
// rules, index arrays cached per geometry. Depends on src/ops and below.

import type { FusedKernels, WindowGeometry } from "../backend/backend.ts";
import { KilnError, ValueError } from "../core/errors.ts";
import { formatShape } from "../core/shape.ts";
import { claimFresh, compositeVjp, freshGrad, record } from "../tensor/autograd.ts";
import { isGradEnabled } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { f32, IndexCache, type Pair, type Window2d, windowGeometry, withSentinel } from "./conv.ts";
import { fusedKernels, recycleBuffer, uninitializedF32, uninitializedI32 } from "./dispatch.ts";
import { takeFlat } from "./indexing.ts";

const cache = new IndexCache();
const divisors = new Map<string, Tensor>();

/** PyTorch's pooling_output_shape: floor or ceil, and the last window must start inside. */
export function poolOutSize(
  size: number,
  k: number,
  s: number,
  pad: number,
  d: number,
  ceilMode: boolean,
): number {
  const num = size + 2 * pad - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0);
  let out = Math.floor(num / s) + 1;
  if (ceilMode && (out - 1) * s >= size + pad) out--;
  return out;
}

/** Window positions [N·C·Ho·Wo, kh·kw] into the [N, C, H, W] input (sentinel N·C·H·W outside). */
function windowIndex(shape: readonly number[], w: Window2d, Ho: number, Wo: number): Int32Array {
  const [N, C, H, W] = shape as [number, number, number, number];
  const [kh, kw] = w.kernel;
  const [pt, , pl] = w.padding;
  const sentinel = N * C * H * W;
  const out = new Int32Array(N * C * Ho * Wo * kh * kw);
  let k = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        for (let i = 0; i < kh; i++) {
          const h = oh * w.stride[0] - pt + i * w.dilation[0];
          for (let j = 0; j < kw; j++) {
            const x = ow * w.stride[1] - pl + j * w.dilation[1];
            out[k++] = h >= 0 && h < H && x >= 0 && x < W ? base + h * W + x : sentinel;
          }
        }
      }
    }
  }
  return out;
}

export interface PoolOptions {
  kernel: Pair;
  stride: Pair;
  padding: Pair;
  dilation: Pair;
  ceilMode: boolean;
}

function geometry(op: string, x: Tensor, o: PoolOptions): { w: Window2d; Ho: number; Wo: number } {
  if (x.ndim !== 4)
    throw new ValueError(`${op}: expected a 4-D input [N, C, H, W], got ${formatShape(x.shape)}`);
  for (let d = 0; d < 2; d++) {
    if (o.padding[d]! > Math.floor(o.kernel[d]! / 2)) {
      throw new ValueError(
        `${op}: pad should be at most half of effective kernel size, but got pad=${o.padding[d]}, kernel_size=${o.kernel[d]}`,
      );
    }
  }
  const [, , H, W] = x.shape as [number, number, number, number];
  const Ho = poolOutSize(H, o.kernel[0], o.stride[0], o.padding[0], o.dilation[0], o.ceilMode);
  const Wo = poolOutSize(W, o.kernel[1], o.stride[1], o.padding[1], o.dilation[1], o.ceilMode);
  if (Ho <= 0 || Wo <= 0) {
    const [, C] = x.shape as [number, number];
    throw new ValueError(
      `${op}: Given input size: (${C}x${H}x${W}). Calculated output size: (${C}x${Ho}x${Wo}). Output size is too small`,
    );
  }
  const w: Window2d = {
    kernel: o.kernel,
    stride: o.stride,
    dilation: o.dilation,
    padding: [o.padding[0], o.padding[0], o.padding[1], o.padding[1]],
  };
  return { w, Ho, Wo };
}

function windows(x: Tensor, w: Window2d, Ho: number, Wo: number, fill: number): Tensor {
  const key = `pool|${x.shape.join(",")}|${w.kernel}|${w.stride}|${w.dilation}|${w.padding}|${Ho},${Wo}`;
  const idx = cache.get(key, () => windowIndex(x.shape, w, Ho, Wo));
  const [N, C] = x.shape as [number, number];
  return takeFlat(withSentinel(x, fill), idx, [N, C, Ho, Wo, w.kernel[0] * w.kernel[1]]);
}

/** Whether the backend's fused max-pool kernels take `x` (float32). */
export function fusedMaxPoolFits(x: Tensor): boolean {
  const fk = fusedKernels();
  return fk?.maxPool2d !== undefined && fk.maxPool2dBackward !== undefined && x.dtype === "float32";
}

/** The backend's fused max-pool kernels (present when fusedMaxPoolFits holds). */
export type MaxPoolKernels = Required<Pick<FusedKernels, "maxPool2d" | "maxPool2dBackward">>;

/**
 * Max pooling of contiguous float32 `xc` over the 2-D or 3-D window geometry `g` through the
 * backend's fused kernels: one node (`gradName`) whose gradient comes from the kernel, or, when
 * the backward pass records a graph (createGraph), from `composite` (the same first maximum per
 * window, built of primitives). `indices` are positions within each (D·)H·W plane, as PyTorch's
 * `return_indices`; with `withIndices` false the caller promises not to ask for them (the argmax
 * buffer is reused once the graph is freed).
 */
export function maxPoolFused(
  fk: MaxPoolKernels,
  g: WindowGeometry,
  xc: Tensor,
  outShape: readonly number[],
  gradName: string,
  composite: () => Tensor,
  withIndices = true,
): { values: Tensor; indices: () => Tensor } {
  const out = uninitializedF32(outShape);
  const arg = uninitializedI32(out.numel());
  fk.maxPool2d(g, f32(xc), f32(out), arg);
  const values = record(
    out,
    gradName,
    [xc],
    (gy) => {
      // createGraph: differentiate the composite form (the same first maximum per window).
      if (isGradEnabled()) return compositeVjp([xc], composite, gy);
      const gx = uninitializedF32(xc.shape);
      fk.maxPool2dBackward(g, f32(gy.contiguous()), arg, f32(gx));
      if (gy.offset === 0 && claimFresh(gy)) recycleBuffer(gy.storage.data);
      return [freshGrad(gx)];
    },
    [],
    // Without indices for the caller, only this node reads the argmax: once the graph is
    // freed, its buffer serves the next pooling of that size.
    withIndices ? null : () => recycleBuffer(arg),
  );
  const plane = g.D * g.H * g.W;
  return {
    values,
    indices: () => {
      if (!withIndices) throw new KilnError("maxPool2dWindows: indices were not kept");
      return Tensor.fromData(
        arg.map((a) => (a < 0 ? 0 : a % plane)),
        out.shape,
        "int32",
      );
    },
  };
}

/**
 * Max over each window, as torch.nn.functional.max_pool2d: `[N, C, H, W] → [N, C, Ho, Wo]`.
 * The gradient goes to the first maximum of each window, as PyTorch's kernel. `indices` are
 * positions within each H·W plane, as PyTorch's `return_indices`; with `withIndices` false the
 * caller promises not to ask for them (the argmax buffer is reused once the graph is freed).
 */
export function maxPool2dWindows(
  x: Tensor,
  o: PoolOptions,
  withIndices = true,
): { values: Tensor; indices: () => Tensor } {
  const { w, Ho, Wo } = geometry("maxPool2d", x, o);
  if (fusedMaxPoolFits(x)) {
    const xc = x.contiguous();
    const g = windowGeometry(xc, w, Ho, Wo, x.shape[1]!, 1);
    return maxPoolFused(
      fusedKernels() as MaxPoolKernels,
      g,
      xc,
      [g.N, g.C, Ho, Wo],
      "MaxPool2DWithIndicesBackward0",
      () => windows(xc, w, Ho, Wo, Number.NEGATIVE_INFINITY).max(-1).values,
      withIndices,
    );
  }
  const { values, indices } = windows(x, w, Ho, Wo, Number.NEGATIVE_INFINITY).max(-1);
  const key = `pool|${x.shape.join(",")}|${w.kernel}|${w.stride}|${w.dilation}|${w.padding}|${Ho},${Wo}`;
  const plane = x.shape[2]! * x.shape[3]!;
  return {
    values,
    indices: () => {
      const idx = cache.get(key, () => windowIndex(x.shape, w, Ho, Wo));
      const arg = indices.dataSync();
      const K = w.kernel[0] * w.kernel[1];
      const out = new Int32Array(arg.length);
      for (let i = 0; i < arg.length; i++) out[i] = idx[i * K + arg[i]!]! % plane;
      return Tensor.fromData(out, indices.shape, "int32");
    },
  };
}

/** PyTorch's avg_pool2d divisor for each output position, shape [Ho, Wo]. */
function avgDivisors(
  H: number,
  W: number,
  w: Window2d,
  Ho: number,
  Wo: number,
  includePad: boolean,
  override: number | null,
  dtype: Tensor["dtype"],
): Tensor {
  const key = `${H},${W}|${w.kernel}|${w.stride}|${w.padding}|${Ho},${Wo}|${includePad}|${override}|${dtype}`;
  let t = divisors.get(key);
  if (t === undefined) {
    const data = dtype === "float64" ? new Float64Array(Ho * Wo) : new Float32Array(Ho * Wo);
    const [pt, , pl] = w.padding;
    for (let oh = 0; oh < Ho; oh++) {
      for (let ow = 0; ow < Wo; ow++) {
        let hs = oh * w.stride[0] - pt;
        let ws = ow * w.stride[1] - pl;
        let he = Math.min(hs + w.kernel[0], H + pt);
        let we = Math.min(ws + w.kernel[1], W + pl);
        const poolSize = (he - hs) * (we - ws);
        hs = Math.max(hs, 0);
        ws = Math.max(ws, 0);
        he = Math.min(he, H);
        we = Math.min(we, W);
        data[oh * Wo + ow] = 1 / (override ?? (includePad ? poolSize : (he - hs) * (we - ws)));
      }
    }
    t = Tensor.fromData(data, [Ho, Wo], dtype);
    if (divisors.size > 64) divisors.clear();
    divisors.set(key, t);
  }
  return t;
}

/** Mean over each window, as torch.nn.functional.avg_pool2d (countIncludePad, divisorOverride). */
export function avgPool2dWindows(
  x: Tensor,
  o: PoolOptions & { countIncludePad: boolean; divisorOverride: number | null },
): Tensor {
  const { w, Ho, Wo } = geometry("avgPool2d", x, o);
  const fk = fusedKernels();
  const override = o.divisorOverride;
  if (
    fk?.avgPool2d !== undefined &&
    fk.avgPool2dBackward !== undefined &&
    x.dtype === "float32" &&
    (override === null || (Number.isInteger(override) && override > 0))
  ) {
    const back = fk.avgPool2dBackward;
    const g = windowGeometry(x, w, Ho, Wo, x.shape[1]!, 1);
    const pad = o.countIncludePad;
    const div = override ?? 0;
    const xc = x.contiguous();
    const out = uninitializedF32([g.N, g.C, Ho, Wo]);
    fk.avgPool2d(g, pad, div, f32(xc), f32(out));
    return record(out, "AvgPool2DBackward0", [xc], (gy) => {
      if (isGradEnabled()) return compositeVjp([xc], () => avgPoolComposite(xc, w, Ho, Wo, o), gy);
      const gx = uninitializedF32(xc.shape);
      back(g, pad, div, f32(gy.contiguous()), f32(gx));
      return [freshGrad(gx)];
    });
  }
  return avgPoolComposite(x, w, Ho, Wo, o);
}

function avgPoolComposite(
  x: Tensor,
  w: Window2d,
  Ho: number,
  Wo: number,
  o: { countIncludePad: boolean; divisorOverride: number | null },
): Tensor {
  const s = windows(x, w, Ho, Wo, 0).sum(-1);
  return s.mul(
    avgDivisors(x.shape[2]!, x.shape[3]!, w, Ho, Wo, o.countIncludePad, o.divisorOverride, x.dtype),
  );
}

/** Adaptive average pooling: window i spans [⌊iH/Ho⌋, ⌈(i+1)H/Ho⌉), as PyTorch. */
export function adaptiveAvgPool2d(x: Tensor, Ho: number, Wo: number): Tensor {
  if (x.ndim !== 4)
    throw new ValueError(
      `adaptiveAvgPool2d: expected a 4-D input [N, C, H, W], got ${formatShape(x.shape)}`,
    );
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const start = (i: number, o: number, s: number) => Math.floor((i * s) / o);
  const end = (i: number, o: number, s: number) => Math.ceil(((i + 1) * s) / o);
  let kh = 0;
  let kw = 0;
  for (let i = 0; i < Ho; i++) kh = Math.max(kh, end(i, Ho, H) - start(i, Ho, H));
  for (let i = 0; i < Wo; i++) kw = Math.max(kw, end(i, Wo, W) - start(i, Wo, W));
  const key = `adaptive|${x.shape.join(",")}|${Ho},${Wo}`;
  const sentinel = N * C * H * W;
  const idx = cache.get(key, () => {
    const out = new Int32Array(N * C * Ho * Wo * kh * kw).fill(sentinel);
    for (let nc = 0; nc < N * C; nc++) {
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow++) {
          const o = ((nc * Ho + oh) * Wo + ow) * kh * kw;
          let k = 0;
          for (let h = start(oh, Ho, H); h < end(oh, Ho, H); h++) {
            for (let v = start(ow, Wo, W); v < end(ow, Wo, W); v++)
              out[o + k++] = nc * H * W + h * W + v;
          }
        }
      }
    }
    return out;
  });
  const count = new (x.dtype === "float64" ? Float64Array : Float32Array)(Ho * Wo);
  for (let oh = 0; oh < Ho; oh++) {
    for (let ow = 0; ow < Wo; ow++) {
      count[oh * Wo + ow] =
        1 / ((end(oh, Ho, H) - start(oh, Ho, H)) * (end(ow, Wo, W) - start(ow, Wo, W)));
    }
  }
  const s = takeFlat(withSentinel(x, 0), idx, [N, C, Ho, Wo, kh * kw]).sum(-1);
  return s.mul(Tensor.fromData(count, [Ho, Wo], x.dtype));
}

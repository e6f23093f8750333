// 3-D max pooling for backends with a fused 2-D max pool: every depth plane is pooled over
// height and width by that kernel, then a small gather takes the max over each depth window, so
// gradients come from the fused kernel's backward, the gather and the reduction. Same values,
// first-maximum gradients and indices as the generic window gather. Depends on src/ops only.

import { Tensor } from "../tensor/tensor.ts";
import { withSentinel } from "./conv.ts";
import { takeFlat } from "./indexing.ts";
import { maxPool2dWindows } from "./pool.ts";
import type { WindowNd } from "./window.ts";

const depthCache = new Map<string, Int32Array>();

/** Positions [N·C·Do·Ho·Wo, kd] of each depth window in `[N, C, D, Ho·Wo]` (sentinel outside). */
function depthWindows(N: number, C: number, D: number, HW: number, w: WindowNd, Do: number) {
  const key = `${N},${C},${D},${HW}|${w.kernel[0]},${w.stride[0]},${w.dilation[0]},${w.padLo[0]}|${Do}`;
  let idx = depthCache.get(key);
  if (idx !== undefined) return idx;
  const kd = w.kernel[0]!;
  const sentinel = N * C * D * HW;
  idx = new Int32Array(N * C * Do * HW * kd);
  let i = 0;
  for (let nc = 0; nc < N * C; nc++) {
    for (let o = 0; o < Do; o++) {
      for (let p = 0; p < HW; p++) {
        for (let j = 0; j < kd; j++) {
          const d = o * w.stride[0]! - w.padLo[0]! + j * w.dilation[0]!;
          idx[i++] = d >= 0 && d < D ? (nc * D + d) * HW + p : sentinel;
        }
      }
    }
  }
  if (depthCache.size >= 32) depthCache.delete(depthCache.keys().next().value!);
  depthCache.set(key, idx);
  return idx;
}

/**
 * Max over 3-D windows of `x [N, C, D, H, W]` (window checked, output sizes `out` computed by
 * the caller with `ceilMode`) through the fused 2-D max pool; indices are flat positions in
 * each D·H·W plane, as PyTorch's.
 */
export function maxPool3dByPlanes(
  x: Tensor,
  w: WindowNd,
  out: readonly number[],
  ceilMode: boolean,
  withIndices: boolean,
): { values: Tensor; indices: () => Tensor } {
  const [N, C, D, H, W] = x.shape as [number, number, number, number, number];
  const [Do, Ho, Wo] = out as [number, number, number];
  const planes = maxPool2dWindows(
    x.reshape(N, C * D, H, W),
    {
      kernel: [w.kernel[1]!, w.kernel[2]!],
      stride: [w.stride[1]!, w.stride[2]!],
      padding: [w.padLo[1]!, w.padLo[2]!],
      dilation: [w.dilation[1]!, w.dilation[2]!],
      ceilMode,
    },
    withIndices,
  );
  const HW = Ho * Wo;
  const idx = depthWindows(N, C, D, HW, w, Do);
  const kd = w.kernel[0]!;
  const src = withSentinel(planes.values, Number.NEGATIVE_INFINITY);
  const { values, indices } = takeFlat(src, idx, [N, C, Do, Ho, Wo, kd]).max(-1);
  return {
    values,
    indices: () => {
      const inPlane = planes.indices().dataSync();
      const arg = indices.dataSync();
      const r = new Int32Array(arg.length);
      for (let i = 0; i < arg.length; i++) {
        const pos = idx[i * kd + arg[i]!]!;
        const d = Math.floor(pos / HW) % D;
        r[i] = d * H * W + inPlane[pos]!;
      }
      return Tensor.fromData(r, values.shape, "int32");
    },
  };
}

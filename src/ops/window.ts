// N-d sliding windows for any number of spatial dims (conv3d, pool1d/3d, adaptive pools): one
// table of input offsets per geometry, built dim by dim, turned into a flat gather index
// (`takeFlat`) so every op here gets its gradient from the gather and the matmul/reduction after
// it. Index arrays are cached under a byte budget. Depends on src/ops and below, never on src/nn.

import type { WindowGeometry } from "../backend/backend.ts";
import { ShapeError } from "../core/errors.ts";
import { formatShape } from "../core/shape.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { type ConvKernels, convFused, fusedConv2dFits, withSentinel } from "./conv.ts";
import { full, fusedKernels } from "./dispatch.ts";
import { putFlat, takeFlat } from "./indexing.ts";
import { bmm } from "./matmul.ts";
import { permute, reshape } from "./movement.ts";
import { fusedMaxPoolFits, type MaxPoolKernels, maxPoolFused } from "./pool.ts";

/** Geometry of an N-d window over the spatial dims of `[N, C, ...spatial]`. */
export interface WindowNd {
  kernel: readonly number[];
  stride: readonly number[];
  dilation: readonly number[];
  /** Implicit padding before each spatial dim. */
  padLo: readonly number[];
  /** Implicit padding after each spatial dim (it only sets the output size and the sentinel). */
  padHi: readonly number[];
}

/** Index arrays keyed by geometry, evicted oldest first past `budget` bytes in all. */
class ByteCache {
  #map = new Map<string, Int32Array>();
  #bytes = 0;
  constructor(readonly budget: number) {}
  get(key: string, build: () => Int32Array): Int32Array {
    let v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
      return v;
    }
    v = build();
    while (this.#map.size > 0 && this.#bytes + v.byteLength > this.budget) {
      const [k, old] = this.#map.entries().next().value!;
      this.#map.delete(k);
      this.#bytes -= old.byteLength;
    }
    this.#map.set(key, v);
    this.#bytes += v.byteLength;
    return v;
  }
}

// NOTE: a 3-D im2col index is as large as the unfolded input (64 MB for a batch of 8 at
// 32x48x48, k=3); 512 MB holds every geometry of a small 3-D network's train and eval steps.
const cache = new ByteCache(512 * 2 ** 20);

const prod = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

/**
 * Offsets table [K, L]: for kernel position kk (row-major over the kernel) and output position
 * ll (row-major over the output), the row-major offset in one spatial plane of size `spatial`,
 * or −1 where the window reads padding.
 */
function offsetTable(
  spatial: readonly number[],
  w: WindowNd,
  out: readonly number[],
  adaptive = false,
): Int32Array {
  let t = Int32Array.of(0);
  let K = 1;
  let L = 1;
  for (let d = 0; d < spatial.length; d++) {
    const S = spatial[d]!;
    const k = w.kernel[d]!;
    const o = out[d]!;
    const nt = new Int32Array(K * k * L * o);
    const nL = L * o;
    for (let kk = 0; kk < K; kk++) {
      for (let j = 0; j < k; j++) {
        const row = (kk * k + j) * nL;
        for (let ll = 0; ll < L; ll++) {
          const prev = t[kk * L + ll]!;
          for (let p = 0; p < o; p++) {
            let c: number;
            if (adaptive) {
              const s0 = Math.floor((p * S) / o);
              const e0 = Math.ceil(((p + 1) * S) / o);
              c = s0 + j < e0 ? s0 + j : -1;
            } else c = p * w.stride[d]! - w.padLo[d]! + j * w.dilation[d]!;
            nt[row + ll * o + p] = prev < 0 || c < 0 || c >= S ? -1 : prev * S + c;
          }
        }
      }
    }
    t = nt;
    K *= k;
    L = nL;
  }
  return t;
}

/**
 * Positions for im2col, laid out [C·K, N·L] (= [groups, Cg·K, N·L]): entry = row-major position in the
 * [N, C, ...spatial] input, or the sentinel N·C·P for a padded position.
 */
function im2colIndex(shape: readonly number[], w: WindowNd, out: readonly number[]): Int32Array {
  const [N, C] = shape as [number, number];
  const spatial = shape.slice(2);
  const P = prod(spatial);
  const K = prod(w.kernel);
  const L = prod(out);
  const t = offsetTable(spatial, w, out);
  const sentinel = N * C * P;
  const idx = new Int32Array(C * K * N * L);
  let i = 0;
  for (let c = 0; c < C; c++) {
    for (let kk = 0; kk < K; kk++) {
      const row = kk * L;
      for (let n = 0; n < N; n++) {
        const base = (n * C + c) * P;
        for (let ll = 0; ll < L; ll++) {
          const v = t[row + ll]!;
          idx[i++] = v < 0 ? sentinel : base + v;
        }
      }
    }
  }
  return idx;
}

const key = (tag: string, shape: readonly number[], w: WindowNd, out: readonly number[]) =>
  `${tag}|${shape.join(",")}|${w.kernel}|${w.stride}|${w.dilation}|${w.padLo}|${w.padHi}|${out}`;

/**
 * The fused kernels' geometry of a 3-D window over `x [N, C, D, H, W]` with output `out`
 * [Do, Ho, Wo] and O output channels (C for pooling).
 */
function geometry3d(
  shape: readonly number[],
  w: WindowNd,
  out: readonly number[],
  O: number,
  groups: number,
): WindowGeometry {
  const [N, C, D, H, W] = shape as [number, number, number, number, number];
  const [kd, kh, kw] = w.kernel as [number, number, number];
  const [sd, sh, sw] = w.stride as [number, number, number];
  const [dd, dh, dw] = w.dilation as [number, number, number];
  const [pd, pt, pl] = w.padLo as [number, number, number];
  const [Do, Ho, Wo] = out as [number, number, number];
  return { N, C, H, W, O, Ho, Wo, kh, kw, sh, sw, dh, dw, pt, pl, groups, D, Do, kd, sd, dd, pd };
}

/**
 * N-d cross-correlation (padding resolved, output sizes `out` checked by the caller):
 * `x [N, C, ...S]`, `weight [O, C/groups, ...k]`, `bias [O]` → `[N, O, ...out]`. 3-D runs in
 * the backend's fused convolution kernels where it has them; otherwise, and for 1-D, as im2col
 * + batched matmul.
 */
export function convNdIm2col(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  w: WindowNd,
  groups: number,
  out: readonly number[],
): Tensor {
  if (x.ndim !== 5 || !fusedConv2dFits(x, weight, bias))
    return convNdComposite(x, weight, bias, w, groups, out);
  const O = weight.shape[0]!;
  const g = geometry3d(x.shape, w, out, O, groups);
  const [xc, wc, bc] = [x.contiguous(), weight.contiguous(), bias?.contiguous() ?? null];
  return convFused(fusedKernels() as ConvKernels, g, xc, wc, bc, [g.N, O, ...out], () =>
    convNdComposite(xc, wc, bc, w, groups, out),
  );
}

/** convNdIm2col from primitives (im2col gather, bmm, bias add), each with autograd. */
function convNdComposite(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  w: WindowNd,
  groups: number,
  out: readonly number[],
): Tensor {
  const [N] = x.shape as [number];
  const [O, Cg] = weight.shape as [number, number];
  const K = Cg * prod(w.kernel);
  const L = prod(out);
  const idx = cache.get(key("conv", x.shape, w, out), () => im2colIndex(x.shape, w, out));
  const padded = w.padLo.some((p) => p > 0) || w.padHi.some((p) => p > 0);
  const src = padded ? withSentinel(x, 0) : x;
  const cols = takeFlat(src, idx, [groups, K, N * L]);
  const y = bmm(reshape(weight, [groups, O / groups, K]), cols);
  const perm = [1, 0, ...out.map((_, i) => i + 2)];
  let r = permute(reshape(y, [O, N, ...out]), perm);
  if (bias !== null) r = r.add(reshape(bias, [1, O, ...out.map(() => 1)]));
  return r.contiguous();
}

/** Window positions [N·C·L, K] into `[N, C, ...S]` (sentinel N·C·P outside the input). */
function windowIndex(
  shape: readonly number[],
  w: WindowNd,
  out: readonly number[],
  adaptive: boolean,
): Int32Array {
  const [N, C] = shape as [number, number];
  const spatial = shape.slice(2);
  const P = prod(spatial);
  const K = prod(w.kernel);
  const L = prod(out);
  const t = offsetTable(spatial, w, out, adaptive);
  const sentinel = N * C * P;
  const idx = new Int32Array(N * C * L * K);
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * P;
    const o = nc * L * K;
    for (let kk = 0; kk < K; kk++) {
      const row = kk * L;
      for (let ll = 0; ll < L; ll++) {
        const v = t[row + ll]!;
        idx[o + ll * K + kk] = v < 0 ? sentinel : base + v;
      }
    }
  }
  return idx;
}

/** Every window of `x` as a trailing axis: `[N, C, ...S] → [N, C, ...out, K]`, `fill` outside. */
function windows(
  x: Tensor,
  w: WindowNd,
  out: readonly number[],
  fill: number,
  adaptive: boolean,
): { cols: Tensor; idx: Int32Array } {
  const idx = cache.get(key(adaptive ? "adaptive" : "pool", x.shape, w, out), () =>
    windowIndex(x.shape, w, out, adaptive),
  );
  const [N, C] = x.shape as [number, number];
  const cols = takeFlat(withSentinel(x, fill), idx, [N, C, ...out, prod(w.kernel)]);
  return { cols, idx };
}

/** Adaptive windows: bin i of a dim of size S into o spans [⌊iS/o⌋, ⌈(i+1)S/o⌉), as PyTorch. */
export function adaptiveWindow(spatial: readonly number[], out: readonly number[]): WindowNd {
  const kernel = spatial.map((S, d) => {
    const o = out[d]!;
    let k = 0;
    for (let i = 0; i < o; i++)
      k = Math.max(k, Math.ceil(((i + 1) * S) / o) - Math.floor((i * S) / o));
    return k;
  });
  const ones = spatial.map(() => 1);
  const zeros = spatial.map(() => 0);
  return { kernel, stride: ones, dilation: ones, padLo: zeros, padHi: zeros };
}

/**
 * Max over each window with PyTorch's flat per-plane argmax positions (int32):
 * `[N, C, ...S] → [N, C, ...out]`. The gradient goes to the first maximum of each window.
 */
export function maxPoolNd(
  x: Tensor,
  w: WindowNd,
  out: readonly number[],
  adaptive = false,
): { values: Tensor; indices: () => Tensor } {
  if (x.ndim === 5 && !adaptive && x.numel() > 0 && fusedMaxPoolFits(x)) {
    const xc = x.contiguous();
    const g = geometry3d(xc.shape, w, out, xc.shape[1]!, 1);
    return maxPoolFused(
      fusedKernels() as MaxPoolKernels,
      g,
      xc,
      [g.N, g.C, ...out],
      "MaxPool3DWithIndicesBackward0",
      () => windows(xc, w, out, Number.NEGATIVE_INFINITY, false).cols.max(-1).values,
    );
  }
  const { cols, idx } = windows(x, w, out, Number.NEGATIVE_INFINITY, adaptive);
  const { values, indices } = cols.max(-1);
  const P = prod(x.shape.slice(2));
  const K = prod(w.kernel);
  return {
    values,
    indices: () => {
      const arg = indices.dataSync();
      const r = new Int32Array(arg.length);
      for (let i = 0; i < arg.length; i++) r[i] = idx[i * K + arg[i]!]! % P;
      return Tensor.fromData(r, indices.shape, "int32");
    },
  };
}

/** The product over dims of per-dim factors `f[d][o_d]`, as a tensor of shape `out`. */
function outer(f: readonly Float64Array[], out: readonly number[], dtype: Tensor["dtype"]): Tensor {
  let t = Float64Array.of(1);
  for (let d = 0; d < out.length; d++) {
    const o = out[d]!;
    const nt = new Float64Array(t.length * o);
    for (let i = 0; i < t.length; i++)
      for (let p = 0; p < o; p++) nt[i * o + p] = t[i]! * f[d]![p]!;
    t = nt;
  }
  const data = dtype === "float64" ? t : Float32Array.from(t);
  return Tensor.fromData(data, [...out], dtype === "float64" ? "float64" : "float32");
}

/**
 * Mean over each window, as PyTorch's avg_pool (countIncludePad counts the zero padding, but
 * never the part of a ceil-mode window past the padding; divisorOverride replaces the count).
 */
export function avgPoolNd(
  x: Tensor,
  w: WindowNd,
  out: readonly number[],
  countIncludePad: boolean,
  divisorOverride: number | null,
): Tensor {
  const spatial = x.shape.slice(2);
  const s = windows(x, w, out, 0, false).cols.sum(-1);
  if (divisorOverride !== null) return s.div(divisorOverride);
  const f = spatial.map((S, d) => {
    const o = out[d]!;
    const k = w.kernel[d]!;
    const p = w.padLo[d]!;
    const r = new Float64Array(o);
    for (let i = 0; i < o; i++) {
      const start = i * w.stride[d]! - p;
      const end = Math.min(start + k, S + p);
      r[i] = countIncludePad ? end - start : Math.min(end, S) - Math.max(start, 0);
    }
    return r;
  });
  return s.div(outer(f, out, x.dtype));
}

/** Adaptive average pooling: `[N, C, ...S] → [N, C, ...out]`, bins as `adaptiveWindow`. */
export function adaptiveAvgPoolNd(x: Tensor, out: readonly number[]): Tensor {
  const spatial = x.shape.slice(2);
  const w = adaptiveWindow(spatial, out);
  const s = windows(x, w, out, 0, true).cols.sum(-1);
  const f = spatial.map((S, d) => {
    const o = out[d]!;
    const r = new Float64Array(o);
    for (let i = 0; i < o; i++) r[i] = Math.ceil(((i + 1) * S) / o) - Math.floor((i * S) / o);
    return r;
  });
  return s.div(outer(f, out, x.dtype));
}

/**
 * Scatters `x [N, C, ...in]` to the flat per-plane positions `indices` of a zero
 * `[N, C, ...out]`, as PyTorch's max_unpool; the gradient gathers from those positions.
 */
export function maxUnpoolNd(
  op: string,
  x: Tensor,
  indices: Tensor,
  out: readonly number[],
): Tensor {
  const [N, C] = x.shape as [number, number];
  const P = prod(out);
  const L = prod(x.shape.slice(2));
  const ind = indices.dataSync();
  const flat = new Int32Array(ind.length);
  for (let nc = 0; nc < N * C; nc++) {
    for (let l = 0; l < L; l++) {
      const v = Number(ind[nc * L + l]);
      if (v < 0 || v >= P) {
        throw new ShapeError(
          `${op}: Found an invalid max index: ${v} (output volumes are of size ${out.join("x")}) for input ${formatShape(x.shape)}`,
        );
      }
      flat[nc * L + l] = nc * P + v;
    }
  }
  return putFlat(full([N, C, ...out], 0, x.dtype), flat, x, false);
}

// Spatial transformers: affine_grid (2-D and 3-D) and grid_sample (bilinear/trilinear and
// nearest for 4-D and 5-D inputs, bicubic for 4-D; padding zeros, border, reflection), with
// PyTorch 1.13's coordinate rules. Sample positions are computed once from the grid's values; the
// output is Σ weight(grid) · gathered input, so gradients reach the input and the grid through
// ordinary ops. Depends on src/ops and core only.

import {
  arrayOf,
  bool,
  int,
  nullable,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { withSentinel } from "../../ops/conv.ts";
import { fromTypedArray } from "../../ops/creation.ts";
import { takeFlat } from "../../ops/indexing.ts";
import { traceable } from "../../tensor/functional-trace.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";

const AFFINE_GRID = signature("affineGrid", {
  theta: tensorArg,
  size: arrayOf(int),
  alignCorners: opt(nullable(bool), null),
});

/** Points of linspace(−1, 1, n), scaled by (n − 1)/n without alignCorners (0 when n = 1). */
function baseCoords(n: number, align: boolean): number[] {
  if (n <= 1) return [0];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = -1 + (2 * i) / (n - 1);
    out.push(align ? v : (v * (n - 1)) / n);
  }
  return out;
}

/**
 * Sampling grids for a batch of affine maps, as torch.nn.functional.affine_grid(theta, size,
 * align_corners=None): `theta [N, 2, 3]` with `size [N, C, H, W]` → `[N, H, W, 2]` (x, y), or
 * `theta [N, 3, 4]` with `size [N, C, D, H, W]` → `[N, D, H, W, 3]`. alignCorners null means
 * false, PyTorch's default (without its warning). Differentiable with respect to theta.
 */
export function affineGrid(
  theta: Tensor,
  size: readonly number[],
  ...rest: WithOptions<[alignCorners: boolean | null], { alignCorners?: boolean | null }>
): Tensor {
  const a = parseArgs(AFFINE_GRID, [theta, size, ...rest]);
  const align = a.alignCorners ?? false;
  const th = a.theta;
  const sz = a.size;
  if (th.dtype !== "float32" && th.dtype !== "float64")
    throw new DTypeError(
      `affineGrid: Expected theta to have floating point type, but got ${th.dtype}`,
    );
  if (sz.length === 4) {
    if (th.ndim !== 3 || th.shape[1] !== 2 || th.shape[2] !== 3)
      throw new ShapeError(
        `affineGrid: Expected a batch of 2D affine matrices of shape Nx2x3 for size ${formatShape(sz)}. Got ${formatShape(th.shape)}.`,
      );
  } else if (sz.length === 5) {
    if (th.ndim !== 3 || th.shape[1] !== 3 || th.shape[2] !== 4)
      throw new ShapeError(
        `affineGrid: Expected a batch of 3D affine matrices of shape Nx3x4 for size ${formatShape(sz)}. Got ${formatShape(th.shape)}.`,
      );
  } else {
    throw new ValueError(
      `affineGrid: affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${formatShape(sz)}.`,
    );
  }
  if (sz.some((s) => s <= 0))
    throw new ValueError(
      `affineGrid: Expected non-zero, positive output size. Got ${formatShape(sz)}`,
    );
  if (th.shape[0] !== sz[0])
    throw new ShapeError(
      `affineGrid: theta has batch size ${th.shape[0]} but size asks for ${sz[0]} (size ${formatShape(sz)})`,
    );
  const spatial = sz.slice(2);
  const n = spatial.length;
  const per = spatial.map((s) => baseCoords(s, align));
  const P = spatial.reduce((p, s) => p * s, 1);
  const base = new Float64Array(P * (n + 1));
  const idx = new Array<number>(n).fill(0);
  for (let p = 0; p < P; p++) {
    // coordinates in x, y(, z) order: the last spatial dim first
    for (let k = 0; k < n; k++) base[p * (n + 1) + k] = per[n - 1 - k]![idx[n - 1 - k]!]!;
    base[p * (n + 1) + n] = 1;
    for (let d = n - 1; d >= 0; d--) {
      if (++idx[d]! < spatial[d]!) break;
      idx[d] = 0;
    }
  }
  const b = fromTypedArray(th.dtype === "float64" ? base : Float32Array.from(base), [1, P, n + 1]);
  return b.matmul(th.transpose(1, 2)).reshape([sz[0]!, ...spatial, n]);
}

/** The interpolation modes of grid_sample. */
export type GridSampleMode = "bilinear" | "nearest" | "bicubic";
/** How grid_sample treats positions outside the input. */
export type GridPaddingMode = "zeros" | "border" | "reflection";

const GRID_SAMPLE = signature("gridSample", {
  input: tensorArg,
  grid: tensorArg,
  mode: opt(oneOf("bilinear", "nearest", "bicubic"), "bilinear"),
  paddingMode: opt(oneOf("zeros", "border", "reflection"), "zeros"),
  alignCorners: opt(nullable(bool), null),
});

/** Options of `gridSample` after the grid; defaults mode "bilinear", paddingMode "zeros", alignCorners null (false). */
export interface GridSampleOptions {
  mode?: GridSampleMode;
  paddingMode?: GridPaddingMode;
  alignCorners?: boolean | null;
}

/** reflect_coordinates with its gradient sign: returns [value, d value / d in]. */
function reflect(v: number, twiceLow: number, twiceHigh: number): [number, number] {
  if (twiceLow === twiceHigh) return [0, 0];
  const min = twiceLow / 2;
  const span = (twiceHigh - twiceLow) / 2;
  let sign = 1;
  let x = v - min;
  if (x < 0) {
    sign = -1;
    x = -x;
  }
  const extra = x % span;
  const flips = Math.floor(x / span);
  return flips % 2 === 0 ? [extra + min, sign] : [span - extra + min, -sign];
}

/** clip_coordinates with its gradient: [value, slope]. */
function clip(v: number, size: number): [number, number] {
  if (v <= 0) return [0, 0];
  if (v >= size - 1) return [size - 1, 0];
  return [v, 1];
}

/**
 * grid_sampler_compute_source_index with its gradient: the source coordinate of normalized `g`
 * along a dim of `size`, and d coordinate / d g.
 */
function sourceCoord(
  g: number,
  size: number,
  padding: GridPaddingMode,
  align: boolean,
): [number, number] {
  let v = align ? ((g + 1) / 2) * (size - 1) : ((g + 1) * size - 1) / 2;
  let slope = align ? (size - 1) / 2 : size / 2;
  if (padding === "border") {
    const [c, s] = clip(v, size);
    v = c;
    slope *= s;
  } else if (padding === "reflection") {
    const [r, s1] = align ? reflect(v, 0, 2 * (size - 1)) : reflect(v, -1, 2 * size - 1);
    const [c, s2] = clip(r, size);
    v = c;
    slope *= s1 * s2;
  }
  return [v, slope];
}

/** compute_coordinates on an integer tap (bicubic): the padded position, or itself for zeros. */
function padTap(v: number, size: number, padding: GridPaddingMode, align: boolean): number {
  if (padding === "border") return clip(v, size)[0];
  if (padding === "reflection") {
    const r = align ? reflect(v, 0, 2 * (size - 1))[0] : reflect(v, -1, 2 * size - 1)[0];
    return clip(r, size)[0];
  }
  return v;
}

/** Flat positions into `[N, C, *in]` for per-point tap coordinates (`coords[d][n·P + p]`). */
function tapIndex(
  N: number,
  C: number,
  inSp: readonly number[],
  P: number,
  coords: readonly Int32Array[],
): Int32Array {
  const Q = inSp.reduce((p, s) => p * s, 1);
  const sentinel = N * C * Q;
  const idx = new Int32Array(N * C * P);
  const n = inSp.length;
  for (let b = 0; b < N; b++) {
    for (let p = 0; p < P; p++) {
      let off = 0;
      let inside = true;
      for (let d = 0; d < n; d++) {
        const v = coords[d]![b * P + p]!;
        if (v < 0 || v >= inSp[d]!) {
          inside = false;
          break;
        }
        off = off * inSp[d]! + v;
      }
      for (let c = 0; c < C; c++)
        idx[(b * C + c) * P + p] = inside ? (b * C + c) * Q + off : sentinel;
    }
  }
  return idx;
}

/** nearbyint: round half to even, as PyTorch's nearest grid sampling. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Samples `input [N, C, H, W]` at the normalized positions `grid [N, Ho, Wo, 2]` (x, y in
 * [−1, 1]) → `[N, C, Ho, Wo]`, or `[N, C, D, H, W]` at `grid [N, Do, Ho, Wo, 3]`, as
 * torch.nn.functional.grid_sample(input, grid, mode='bilinear', padding_mode='zeros',
 * align_corners=None). Modes bilinear (trilinear for 5-D), nearest (round half to even), bicubic
 * (4-D only); alignCorners null means false. Differentiable with respect to input and grid
 * (nearest: input only).
 */
export function gridSample(
  input: Tensor,
  grid: Tensor,
  ...rest: WithOptions<
    [mode: GridSampleMode, paddingMode: GridPaddingMode, alignCorners: boolean | null],
    GridSampleOptions
  >
): Tensor {
  const a = parseArgs(GRID_SAMPLE, [input, grid, ...rest]);
  const align = a.alignCorners ?? false;
  const { mode, paddingMode } = a;
  return traceable(
    "gridSample",
    [a.input, a.grid, { mode, paddingMode, alignCorners: align }],
    () => sample(a.input, a.grid, mode, paddingMode, align),
  );
}

function sample(
  x: Tensor,
  g: Tensor,
  mode: GridSampleMode,
  paddingMode: GridPaddingMode,
  align: boolean,
): Tensor {
  if (!((x.ndim === 4 || x.ndim === 5) && g.ndim === x.ndim))
    throw new ShapeError(
      `gridSample: grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got input with sizes ${formatShape(x.shape)} and grid with sizes ${formatShape(g.shape)}`,
    );
  if (x.shape[0] !== g.shape[0])
    throw new ShapeError(
      `gridSample: grid_sampler(): expected grid and input to have same batch size, but got input with sizes ${formatShape(x.shape)} and grid with sizes ${formatShape(g.shape)}`,
    );
  const n = x.ndim - 2;
  if (g.shape[x.ndim - 1] !== n)
    throw new ShapeError(
      `gridSample: grid_sampler(): expected grid to have size ${n} in last dimension, but got grid with sizes ${formatShape(g.shape)}`,
    );
  for (let d = 2; d < x.ndim; d++)
    if (x.shape[d] === 0)
      throw new ShapeError(
        `gridSample: grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes ${formatShape(x.shape)} with dimension ${d} being empty`,
      );
  if (mode === "bicubic" && n !== 2)
    throw new ValueError(
      "gridSample: grid_sampler(): bicubic interpolation only supports 4D input",
    );
  if (x.dtype !== g.dtype || (x.dtype !== "float32" && x.dtype !== "float64"))
    throw new DTypeError(
      `gridSample: grid_sampler(): expected input and grid to have the same floating dtype, but input has ${x.dtype} and grid has ${g.dtype}`,
    );
  const [N, C] = x.shape as [number, number];
  const inSp = x.shape.slice(2);
  const outSp = g.shape.slice(1, -1);
  const P = outSp.reduce((p, s) => p * s, 1);
  const gd = g.contiguous().dataSync();
  const f64 = x.dtype === "float64";
  const constant = (v: Float64Array) =>
    fromTypedArray(f64 ? v : Float32Array.from(v), [N, 1, ...outSp]);
  const src = x.contiguous();
  const padded = withSentinel(src, 0);
  const gather = (coords: Int32Array[]) =>
    takeFlat(padded, tapIndex(N, C, inSp, P, coords), [N, C, ...outSp], "GridSampler2DBackward0");
  // grid component k is the coordinate along spatial dim n − 1 − k (x is the last dim)
  const comp = (d: number) => g.select(-1, n - 1 - d).unsqueeze(1);
  const M = N * P;
  if (mode === "nearest") {
    const coords = inSp.map((size, d) => {
      const c = new Int32Array(M);
      for (let i = 0; i < M; i++)
        c[i] = roundEven(sourceCoord(gd[i * n + (n - 1 - d)]!, size, paddingMode, align)[0]);
      return c;
    });
    return gather(coords);
  }
  if (mode === "bicubic") {
    const base: Int32Array[] = [];
    const frac: Tensor[] = [];
    for (let d = 0; d < 2; d++) {
      const size = inSp[d]!;
      const fl = new Int32Array(M);
      const slope = new Float64Array(M);
      const off = new Float64Array(M);
      for (let i = 0; i < M; i++) {
        const gv = gd[i * n + (n - 1 - d)]!;
        const [v, s] = sourceCoord(gv, size, "zeros", align);
        fl[i] = Math.floor(v);
        slope[i] = s;
        off[i] = v - gv * s - fl[i]!;
      }
      base.push(fl);
      // t = coordinate − floor: differentiable in the grid
      frac.push(comp(d).mul(constant(slope)).add(constant(off)));
    }
    const coef = frac.map((t) => cubicTensor(t));
    let y: Tensor | null = null;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const cy = new Int32Array(M);
        const cx = new Int32Array(M);
        for (let m = 0; m < M; m++) {
          cy[m] = padTap(base[0]![m]! - 1 + i, inSp[0]!, paddingMode, align);
          cx[m] = padTap(base[1]![m]! - 1 + j, inSp[1]!, paddingMode, align);
        }
        const term = gather([cy, cx]).mul(coef[0]![i]!.mul(coef[1]![j]!));
        y = y === null ? term : y.add(term);
      }
    }
    return y!;
  }
  // bilinear / trilinear: 2^n corners, weight Π (1 − |coord − corner|) per dim
  const lo: Int32Array[] = [];
  const wLo: Tensor[] = [];
  const wHi: Tensor[] = [];
  for (let d = 0; d < n; d++) {
    const size = inSp[d]!;
    const fl = new Int32Array(M);
    const slope = new Float64Array(M);
    const off = new Float64Array(M);
    for (let i = 0; i < M; i++) {
      const gv = gd[i * n + (n - 1 - d)]!;
      const [v, s] = sourceCoord(gv, size, paddingMode, align);
      fl[i] = Math.floor(v);
      slope[i] = s;
      off[i] = v - gv * s - fl[i]!;
    }
    lo.push(fl);
    const t = comp(d).mul(constant(slope)).add(constant(off));
    wHi.push(t);
    wLo.push(t.neg().add(1));
  }
  let y: Tensor | null = null;
  for (let corner = 0; corner < 1 << n; corner++) {
    const coords: Int32Array[] = [];
    let w: Tensor | null = null;
    for (let d = 0; d < n; d++) {
      const hi = (corner >> (n - 1 - d)) & 1;
      coords.push(hi ? lo[d]!.map((v) => v + 1) : lo[d]!);
      const wd = hi ? wHi[d]! : wLo[d]!;
      w = w === null ? wd : w.mul(wd);
    }
    const term = gather(coords).mul(w!);
    y = y === null ? term : y.add(term);
  }
  return y!;
}

/** The four cubic-convolution coefficients (A = −0.75) of a tensor of fractions t. */
function cubicTensor(t: Tensor): Tensor[] {
  const A = -0.75;
  // cc1(x) = ((A + 2)x − (A + 3))x² + 1; cc2(x) = ((Ax − 5A)x + 8A)x − 4A
  const cc1 = (v: Tensor) =>
    v
      .mul(A + 2)
      .sub(A + 3)
      .mul(v)
      .mul(v)
      .add(1);
  const cc2 = (v: Tensor) =>
    v
      .mul(A)
      .sub(5 * A)
      .mul(v)
      .add(8 * A)
      .mul(v)
      .sub(4 * A);
  const one = t.neg().add(1);
  return [cc2(t.add(1)), cc1(t), cc1(one), cc2(t.neg().add(2))];
}

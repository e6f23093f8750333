// Function forms of 1-D and 3-D window pooling: max_pool3d, avg_pool1d, avg_pool3d, with
// PyTorch's signatures (positional or one options object, API.md rule 2), `return_indices`
// returning `[out, indices]`, and PyTorch's checks. 1-D average pooling runs as a 1 x k 2-D pool
// (the native fused kernel where there is one); 3-D through the N-d gather of src/ops/window.ts.

import {
  bool,
  int,
  ints,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { avgPool2dWindows, poolOutSize } from "../../ops/pool.ts";
import { avgPoolNd, maxPoolNd, type WindowNd } from "../../ops/window.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import { type IntOrTriple, tupleN } from "./conv-nd.ts";

/** A 1-D size: a number or a one-element tuple. */
type Int1 = number | readonly [number];

/**
 * The argument lists of a pooling function whose positional parameters after the kernel size
 * are `P` then `returnIndices`, with `returnIndices: true` (positionally or in the options `O`).
 */
export type WithIndices<P extends readonly unknown[], O> =
  | [...P, true, Omit<O, "returnIndices">?]
  | PrefixThen<P, Omit<O, "returnIndices"> & { returnIndices: true }>;
type PrefixThen<P extends readonly unknown[], T> =
  | [...P, T]
  | (P extends readonly [...infer H, unknown] ? PrefixThen<H, T> : never);

/** Kernel, stride, padding and dilation of an N-d pool, one number per spatial dim. */
export interface PoolGeometry {
  kernel: number[];
  stride: number[];
  padding: number[];
  dilation: number[];
}

const DIM_NAMES: Record<number, string[]> = { 1: ["W"], 2: ["H", "W"], 3: ["T", "H", "W"] };

/**
 * PyTorch's pooling checks (max_pool / avg_pool shape checks, in its order) on a batched
 * `[N, C, ...S]` input, then the output sizes (floor, or ceil with `ceilMode`).
 */
export function checkPoolNd(op: string, x: Tensor, g: PoolGeometry, ceilMode: boolean): number[] {
  const { kernel: k, stride: s, padding: p, dilation: d } = g;
  const names = DIM_NAMES[k.length]!;
  const list = (prefix: string, v: number[]) =>
    v.map((e, i) => `${prefix}${names[i]}: ${e}`).join(" ");
  if (s.some((v) => v === 0)) throw new ValueError(`${op}: stride should not be zero`);
  if (k.some((v) => v <= 0))
    throw new ValueError(`${op}: kernel size should be greater than zero, but got ${list("k", k)}`);
  if (s.some((v) => v < 0))
    throw new ValueError(`${op}: stride should be greater than zero, but got ${list("d", s)}`);
  if (d.some((v) => v <= 0)) {
    throw new ValueError(
      `${op}: dilation should be greater than zero, but got ${list("dilation", d)}`,
    );
  }
  for (let i = 0; i < k.length; i++) {
    if (p[i]! < 0) throw new ValueError(`${op}: pad must be non-negative, but got pad: ${p[i]}`);
    if (p[i]! > Math.trunc(k[i]! / 2)) {
      throw new ValueError(
        `${op}: pad should be at most half of kernel size, but got pad=${p[i]} and kernel_size=${k[i]}`,
      );
    }
  }
  const spatial = x.shape.slice(2);
  if (spatial.some((v) => v === 0)) {
    throw new ShapeError(
      `${op}: Expected input's non-batch dimensions to have positive length, but input has a shape of ${formatShape(x.shape)}`,
    );
  }
  const out = spatial.map((S, i) => poolOutSize(S, k[i]!, s[i]!, p[i]!, d[i]!, ceilMode));
  if (out.some((o) => o <= 0)) {
    const C = x.shape[1]!;
    throw new ValueError(
      `${op}: Given input size: (${[C, ...spatial].join("x")}). Calculated output size: (${[C, ...out].join("x")}). Output size is too small`,
    );
  }
  return out;
}

/** `fn` on `x` with a batch dim added when x has `n + 1` dims, removed again from the results. */
export function batchedNd<T extends Tensor | [Tensor, Tensor]>(
  x: Tensor,
  n: number,
  fn: (b: Tensor) => T,
): T {
  if (x.ndim === n + 2) return fn(x);
  const r = fn(x.unsqueeze(0));
  return (Array.isArray(r) ? r.map((t) => t.squeeze(0)) : r.squeeze(0)) as T;
}

function geometry(
  n: number,
  a: {
    kernelSize: number | readonly number[];
    stride: number | readonly number[] | null;
    padding: number | readonly number[];
    dilation?: number | readonly number[];
  },
): PoolGeometry {
  const kernel = tupleN(a.kernelSize, n);
  return {
    kernel,
    stride: a.stride === null ? kernel : tupleN(a.stride, n),
    padding: tupleN(a.padding, n),
    dilation: tupleN(a.dilation ?? 1, n),
  };
}

function window(g: PoolGeometry): WindowNd {
  return {
    kernel: g.kernel,
    stride: g.stride,
    dilation: g.dilation,
    padLo: g.padding,
    padHi: g.padding,
  };
}

function checkRank(op: string, x: Tensor, n: number): void {
  if ((x.ndim !== n + 1 && x.ndim !== n + 2) || x.numel() === 0) {
    throw new ShapeError(
      `${op}: non-empty ${n + 1}D or ${n + 2}D (batch mode) tensor expected for input, but got input of size ${formatShape(x.shape)}`,
    );
  }
}

/**
 * Options of `maxPool3d` after the kernel size; defaults stride = kernel size, padding 0,
 * dilation 1, ceilMode false, returnIndices false.
 */
export interface MaxPool3dOptions {
  stride?: IntOrTriple | null;
  padding?: IntOrTriple;
  dilation?: IntOrTriple;
  ceilMode?: boolean;
  /** `true` returns `[out, indices]` (the other overload). */
  returnIndices?: false;
}
type MaxPool3dPositional = [
  stride: IntOrTriple | null,
  padding: IntOrTriple,
  dilation: IntOrTriple,
  ceilMode: boolean,
];

/**
 * The window arguments every pooling signature (function or layer) starts with, for `n` dims:
 * kernelSize, stride (null: the kernel size) and padding (default 0).
 */
export function windowArgs(n: number) {
  return {
    kernelSize: ints(n),
    stride: opt(nullable(ints(n)), null),
    padding: opt(ints(n), 0),
  };
}

/** avg_pool{n}d's arguments after the input: the window, ceilMode (false), countIncludePad (true). */
export function avgPoolArgs(n: number) {
  return { ...windowArgs(n), ceilMode: opt(bool, false), countIncludePad: opt(bool, true) };
}

/**
 * The signature of max_pool{n}d: `(input, kernelSize, stride, padding, dilation, ceilMode,
 * returnIndices)`, without returnIndices for the always-with-indices form.
 */
export function maxPoolSignature(op: string, n: number, withIndices: boolean) {
  return signature(op, {
    input: tensorArg,
    ...windowArgs(n),
    dilation: opt(ints(n), 1),
    ceilMode: opt(bool, false),
    ...(withIndices ? {} : { returnIndices: opt(bool, false) }),
  });
}

const MAX_POOL3D = maxPoolSignature("maxPool3d", 3, false);

/**
 * Max over 3-D windows, as torch.nn.functional.max_pool3d(input, kernel_size, stride=None,
 * padding=0, dilation=1, ceil_mode=False, return_indices=False): `[N, C, D, H, W]` (or
 * `[C, D, H, W]`) → `[N, C, Do, Ho, Wo]`; with returnIndices, `[out, indices]` where indices
 * (int32) are flat positions within each D·H·W plane, as PyTorch's.
 */
export function maxPool3d(
  x: Tensor,
  kernelSize: IntOrTriple,
  ...rest: WithIndices<MaxPool3dPositional, MaxPool3dOptions>
): [Tensor, Tensor];
export function maxPool3d(
  x: Tensor,
  kernelSize: IntOrTriple,
  ...rest: WithOptions<[...MaxPool3dPositional, returnIndices: false], MaxPool3dOptions>
): Tensor;
export function maxPool3d(x: Tensor, kernelSize: IntOrTriple, ...rest: unknown[]): unknown {
  const a = parseArgs(MAX_POOL3D, [x, kernelSize, ...rest]);
  const withIndices = a.returnIndices ?? false; // always parsed: MAX_POOL3D has the parameter
  checkRank("maxPool3d", a.input, 3);
  const g = geometry(3, a);
  return batchedNd(a.input, 3, (b) => {
    const out = checkPoolNd("maxPool3d", b, g, a.ceilMode);
    const r = maxPoolNd(b, window(g), out);
    return withIndices ? [r.values, r.indices()] : r.values;
  });
}

/**
 * Options of `avgPool1d`/`avgPool3d` after the kernel size; defaults stride = kernel size,
 * padding 0, ceilMode false, countIncludePad true (avgPool3d: divisorOverride null).
 */
export interface AvgPoolNdOptions<P> {
  stride?: P | null;
  padding?: P;
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

const AVG_POOL1D = signature("avgPool1d", { input: tensorArg, ...avgPoolArgs(1) });

/**
 * Mean over 1-D windows, as torch.nn.functional.avg_pool1d(input, kernel_size, stride=None,
 * padding=0, ceil_mode=False, count_include_pad=True): `[N, C, L]` (or `[C, L]`) → `[N, C, Lo]`.
 */
export function avgPool1d(
  x: Tensor,
  kernelSize: Int1,
  ...rest: WithOptions<
    [stride: Int1 | null, padding: Int1, ceilMode: boolean, countIncludePad: boolean],
    AvgPoolNdOptions<Int1>
  >
): Tensor {
  const a = parseArgs(AVG_POOL1D, [x, kernelSize, ...rest]);
  const input = a.input;
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new ShapeError(
      `avgPool1d: Expected 2 to 3 dimensions, but got ${input.ndim}-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)`,
    );
  }
  const g = geometry(1, a);
  return batchedNd(input, 1, (b) => {
    checkPoolNd("avgPool1d", b, g, a.ceilMode);
    const o = {
      kernel: [1, g.kernel[0]!] as const,
      stride: [1, g.stride[0]!] as const,
      padding: [0, g.padding[0]!] as const,
      dilation: [1, 1] as const,
      ceilMode: a.ceilMode,
      countIncludePad: a.countIncludePad,
      divisorOverride: null,
    };
    return avgPool2dWindows(b.unsqueeze(2), o).squeeze(2);
  });
}

const AVG_POOL3D = signature("avgPool3d", {
  input: tensorArg,
  ...avgPoolArgs(3),
  divisorOverride: opt(nullable(int), null),
});

/**
 * Mean over 3-D windows, as torch.nn.functional.avg_pool3d(input, kernel_size, stride=None,
 * padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None):
 * `[N, C, D, H, W]` (or `[C, D, H, W]`) → `[N, C, Do, Ho, Wo]`.
 */
export function avgPool3d(
  x: Tensor,
  kernelSize: IntOrTriple,
  ...rest: WithOptions<
    [
      stride: IntOrTriple | null,
      padding: IntOrTriple,
      ceilMode: boolean,
      countIncludePad: boolean,
      divisorOverride: number | null,
    ],
    AvgPoolNdOptions<IntOrTriple> & { divisorOverride?: number | null }
  >
): Tensor {
  const a = parseArgs(AVG_POOL3D, [x, kernelSize, ...rest]);
  checkRank("avgPool3d", a.input, 3);
  const g = geometry(3, a);
  if (a.divisorOverride === 0) throw new ValueError("avgPool3d: divisor must be not zero");
  return batchedNd(a.input, 3, (b) => {
    const out = checkPoolNd("avgPool3d", b, g, a.ceilMode);
    return avgPoolNd(b, window(g), out, a.countIncludePad, a.divisorOverride);
  });
}

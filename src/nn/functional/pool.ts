// Function forms of the pooling layers: max_pool1d/2d, avg_pool2d, adaptive_avg_pool2d, with
// PyTorch's signatures (positional or one options object, API.md rule 2) and PyTorch's argument
// checks, made here once before any backend is chosen. The windows are gathered in src/ops/pool.ts.

import {
  checkArity,
  custom,
  either,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import type { Pair } from "../../ops/conv.ts";
import {
  adaptiveAvgPool2d as adaptive,
  avgPool2dWindows,
  maxPool2dWindows,
  type PoolOptions,
} from "../../ops/pool.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import type { IntOrPair } from "./layers.ts";
import { avgPoolArgs, maxPoolSignature, type WithIndices } from "./pool-nd.ts";

const pair = (v: number | readonly number[]): Pair =>
  typeof v === "number" ? [v, v] : [v[0]!, v[1]!];

/**
 * Options of `maxPool2d` after the kernel size; defaults stride = kernel size, padding 0, dilation
 * 1, ceilMode false.
 */
export interface MaxPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
  /** `true` returns `[out, indices]` (the other overload). */
  returnIndices?: false;
}

/** The positional parameters of `maxPool2d` after the kernel size, in PyTorch's order. */
export type MaxPool2dPositional = [
  stride: IntOrPair | null,
  padding: IntOrPair,
  dilation: IntOrPair,
  ceilMode: boolean,
  returnIndices: false,
];

const MAX_POOL2D = maxPoolSignature("maxPool2d", 2, false);
const MAX_POOL2D_IDX = maxPoolSignature("maxPool2dWithIndices", 2, true);
const MAX_POOL1D = maxPoolSignature("maxPool1d", 1, false);

/** The checks of PyTorch's max_pool2d/avg_pool2d, in its order, with its messages. */
export function checkPool2d(op: string, x: Tensor, o: PoolOptions): void {
  if ((x.ndim !== 3 && x.ndim !== 4) || x.numel() === 0) {
    throw new ShapeError(
      `${op}: non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size ${formatShape(x.shape)}`,
    );
  }
  const { kernel: k, stride: s, padding: p, dilation: d } = o;
  if (s[0] === 0 || s[1] === 0) throw new ValueError(`${op}: stride should not be zero`);
  for (let i = 0; i < 2; i++) {
    if (p[i]! < 0) throw new ValueError(`${op}: pad must be non-negative, but got pad: ${p[i]}`);
    if (p[i]! > Math.trunc(k[i]! / 2)) {
      throw new ValueError(
        `${op}: pad should be at most half of kernel size, but got pad=${p[i]} and kernel_size=${k[i]}`,
      );
    }
  }
  if (k[0] <= 0 || k[1] <= 0) {
    throw new ValueError(
      `${op}: kernel size should be greater than zero, but got kH: ${k[0]} kW: ${k[1]}`,
    );
  }
  if (s[0] < 0 || s[1] < 0) {
    throw new ValueError(
      `${op}: stride should be greater than zero, but got dH: ${s[0]} dW: ${s[1]}`,
    );
  }
  if (d[0] <= 0 || d[1] <= 0) {
    throw new ValueError(
      `${op}: dilation should be greater than zero, but got dilationH: ${d[0]} dilationW: ${d[1]}`,
    );
  }
}

function maxPoolOptions(a: {
  kernelSize: number | readonly number[];
  stride: number | readonly number[] | null;
  padding: number | readonly number[];
  dilation: number | readonly number[];
  ceilMode: boolean;
}): PoolOptions {
  const kernel = pair(a.kernelSize);
  return {
    kernel,
    stride: a.stride === null ? kernel : pair(a.stride),
    padding: pair(a.padding),
    dilation: pair(a.dilation),
    ceilMode: a.ceilMode,
  };
}

function batched<T>(x: Tensor, fn: (b: Tensor) => T, unbatch: (r: T) => T): T {
  return x.ndim === 3 ? unbatch(fn(x.unsqueeze(0))) : fn(x);
}

/**
 * Max over kernel windows, as torch.nn.functional.max_pool2d(input, kernel_size, stride=None,
 * padding=0, dilation=1, ceil_mode=False, return_indices=False): `[N, C, H, W]` or `[C, H, W]`
 * → `[N, C, Ho, Wo]`, Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1 (⌈⌉ with ceilMode); stride defaults
 * to the kernel size. With `returnIndices: true`, `[out, indices]`: int32 positions within each
 * H·W plane, as PyTorch's.
 *
 * @example F.maxPool2d(x, 2, 1); // = F.maxPool2d(x, 2, { stride: 1 })
 */
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  ...rest: WithIndices<Head<MaxPool2dPositional>, MaxPool2dOptions>
): [Tensor, Tensor];
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  ...rest: WithOptions<MaxPool2dPositional, MaxPool2dOptions>
): Tensor;
export function maxPool2d(x: Tensor, kernelSize: IntOrPair, ...rest: unknown[]): unknown {
  const a = parseArgs(MAX_POOL2D, [x, kernelSize, ...rest]);
  const o = maxPoolOptions(a);
  checkPool2d("maxPool2d", a.input, o);
  if (a.returnIndices) {
    const b = a.input.ndim === 3 ? a.input.unsqueeze(0) : a.input;
    const r = maxPool2dWindows(b, o);
    const pair = [r.values, r.indices()];
    return a.input.ndim === 3 ? pair.map((t) => t.squeeze(0)) : pair;
  }
  // no indices asked for: the argmax buffer goes back to the allocator after backward
  return batched(
    a.input,
    (b) => maxPool2dWindows(b, o, false).values,
    (r) => r.squeeze(0),
  );
}

type Head<P extends readonly unknown[]> = P extends readonly [...infer H, unknown] ? H : never;

/**
 * max_pool2d with `return_indices`: the values and the positions within each H·W plane (int32),
 * as torch.nn.functional.max_pool2d_with_indices (arguments as maxPool2d's).
 */
export function maxPool2dWithIndices(
  x: Tensor,
  kernelSize: IntOrPair,
  ...rest: WithOptions<
    MaxPool2dPositional extends [...infer H, unknown] ? H : never,
    Omit<MaxPool2dOptions, "returnIndices">
  >
): { values: Tensor; indices: Tensor } {
  const a = parseArgs(MAX_POOL2D_IDX, [x, kernelSize, ...rest]);
  const o = maxPoolOptions(a);
  checkPool2d("maxPool2dWithIndices", a.input, o);
  const unbatched = a.input.ndim === 3;
  const r = maxPool2dWindows(unbatched ? a.input.unsqueeze(0) : a.input, o);
  let indices: Tensor | null = null;
  return {
    values: unbatched ? r.values.squeeze(0) : r.values,
    get indices(): Tensor {
      indices ??= unbatched ? r.indices().squeeze(0) : r.indices();
      return indices;
    },
  };
}

/**
 * Options of `maxPool1d` after the kernel size; defaults stride = kernel size, padding 0, dilation
 * 1, ceilMode false.
 */
export interface MaxPool1dOptions {
  stride?: number | readonly [number] | null;
  padding?: number | readonly [number];
  dilation?: number | readonly [number];
  ceilMode?: boolean;
  /** `true` returns `[out, indices]` (the other overload). */
  returnIndices?: false;
}

/** A 1-D size: a number or a one-element tuple. */
export type Int1 = number | readonly [number];

/**
 * 1-D max pooling over `[N, C, L]` or `[C, L]`, as torch.nn.functional.max_pool1d(input,
 * kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False);
 * with `returnIndices: true`, `[out, indices]` (int32 positions along L).
 */
export function maxPool1d(
  x: Tensor,
  kernelSize: Int1,
  ...rest: WithIndices<
    [stride: Int1 | null, padding: Int1, dilation: Int1, ceilMode: boolean],
    MaxPool1dOptions
  >
): [Tensor, Tensor];
export function maxPool1d(
  x: Tensor,
  kernelSize: Int1,
  ...rest: WithOptions<
    [stride: Int1 | null, padding: Int1, dilation: Int1, ceilMode: boolean, returnIndices: false],
    MaxPool1dOptions
  >
): Tensor;
export function maxPool1d(x: Tensor, kernelSize: Int1, ...rest: unknown[]): unknown {
  const a = parseArgs(MAX_POOL1D, [x, kernelSize, ...rest]);
  const one = (v: number | readonly number[]) => (typeof v === "number" ? v : v[0]!);
  const k = one(a.kernelSize);
  const s = a.stride === null ? k : one(a.stride);
  const p = one(a.padding);
  const d = one(a.dilation);
  const input = a.input;
  if ((input.ndim !== 2 && input.ndim !== 3) || input.shape[input.ndim - 1] === 0) {
    throw new ShapeError(
      `maxPool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but got:${formatShape(input.shape)}`,
    );
  }
  const bad = (what: string) => new ValueError(`maxPool1d: max_pool1d() ${what}`);
  if (k <= 0) throw bad(`kernel_size must be greater than zero, but got ${k}`);
  if (s <= 0) throw bad(`stride must be greater than zero, but got ${s}`);
  if (p < 0) throw bad(`padding must be non-negative, but got ${p}`);
  if (p > Math.trunc(k / 2)) {
    throw bad(
      `padding should be at most half of kernel size, but got padding=${p} and kernel_size=${k}`,
    );
  }
  if (d <= 0) throw bad(`dilation must be greater than zero, but got ${d}`);
  const o: PoolOptions = {
    kernel: [1, k],
    stride: [1, s],
    padding: [0, p],
    dilation: [1, d],
    ceilMode: a.ceilMode,
  };
  const b = input.ndim === 2 ? input.unsqueeze(0) : input;
  const r = maxPool2dWindows(b.unsqueeze(2), o, a.returnIndices);
  const out = a.returnIndices ? [r.values, r.indices()] : [r.values];
  const ys = out.map((t) => (input.ndim === 2 ? t.squeeze(2).squeeze(0) : t.squeeze(2)));
  return a.returnIndices ? ys : ys[0];
}

/**
 * Options of `avgPool2d` after the kernel size; defaults stride = kernel size, padding 0, ceilMode
 * false, countIncludePad true, divisorOverride null.
 */
export interface AvgPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

const AVG_POOL2D = signature("avgPool2d", {
  input: tensorArg,
  ...avgPoolArgs(2),
  divisorOverride: opt(nullable(int), null),
});

/**
 * Mean over kernel windows, as torch.nn.functional.avg_pool2d(input, kernel_size, stride=None,
 * padding=0, ceil_mode=False, count_include_pad=True, divisor_override=None).
 */
export function avgPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  ...rest: WithOptions<
    [
      stride: IntOrPair | null,
      padding: IntOrPair,
      ceilMode: boolean,
      countIncludePad: boolean,
      divisorOverride: number | null,
    ],
    AvgPool2dOptions
  >
): Tensor {
  const a = parseArgs(AVG_POOL2D, [x, kernelSize, ...rest]);
  const o = maxPoolOptions({ ...a, dilation: 1 });
  checkPool2d("avgPool2d", a.input, o);
  if (a.divisorOverride === 0) throw new ValueError("avgPool2d: divisor must be not zero");
  const w = { ...o, countIncludePad: a.countIncludePad, divisorOverride: a.divisorOverride };
  return batched(
    a.input,
    (b) => avgPool2dWindows(b, w),
    (r) => r.squeeze(0),
  );
}

const outSize = nullable(int);
const ADAPTIVE = signature("adaptiveAvgPool2d", {
  input: tensorArg,
  outputSize: either(
    outSize,
    custom(
      "an array of 2 ints or nulls",
      (v): v is readonly (number | null)[] =>
        Array.isArray(v) && v.length === 2 && v.every(outSize.test),
    ),
  ),
});

/**
 * Average pooling to a fixed output size (null keeps that input dim), as
 * torch.nn.functional.adaptive_avg_pool2d(input, output_size).
 */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: number | null | readonly [number | null, number | null],
): Tensor {
  checkArity("adaptiveAvgPool2d", arguments, 2);
  const a = parseArgs(ADAPTIVE, [x, outputSize]);
  const input = a.input;
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(
      `adaptiveAvgPool2d: adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got ${formatShape(input.shape)}`,
    );
  }
  const os = a.outputSize;
  const [oh, ow] = Array.isArray(os)
    ? (os as (number | null)[])
    : [os as number | null, os as number | null];
  const H = input.shape[input.ndim - 2]!;
  const W = input.shape[input.ndim - 1]!;
  const h = oh ?? H;
  const w = ow ?? W;
  if (h < 0 || w < 0) {
    throw new ValueError(
      `adaptiveAvgPool2d: elements of output_size must be greater than or equal to 0 but received {${h}, ${w}}`,
    );
  }
  return batched(
    input,
    (b) => adaptive(b, h, w),
    (r) => r.squeeze(0),
  );
}

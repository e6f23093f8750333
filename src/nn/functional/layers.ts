// Function forms of the linear, convolution, pooling, dropout and embedding layers, plus oneHot
// and pad. Convolution and pooling delegate to the im2col/window gathers in src/ops.

import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { defaultGenerator, type Generator } from "../../core/rng.ts";
import { formatShape } from "../../core/shape.ts";
import { conv2dIm2col, type Pair } from "../../ops/conv.ts";
import { full, rand } from "../../ops/creation.ts";
import { where } from "../../ops/elementwise.ts";
import { takeFlat } from "../../ops/indexing.ts";
import { linearFused } from "../../ops/linear.ts";
import { cat } from "../../ops/movement.ts";
import {
  adaptiveAvgPool2d as adaptive,
  avgPool2dWindows,
  maxPool2dWindows,
} from "../../ops/pool.ts";
import { Tensor } from "../../tensor/tensor.ts";

/** A number or one value per spatial dim. */
export type IntOrPair = number | readonly [number, number];

function pair(v: IntOrPair): Pair {
  return typeof v === "number" ? [v, v] : [v[0], v[1]];
}

/**
 * y = x Wᵀ + b, as torch.nn.functional.linear. `x [*, in]`, `weight [out, in]`, `bias [out]`
 * → `[*, out]`.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const inF = weight.shape[1]!;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    const rows = x.ndim <= 1 ? 1 : x.numel() / x.shape[x.ndim - 1]!;
    throw new ShapeError(
      `linear: input of shape ${formatShape(x.shape)} has ${x.shape[x.ndim - 1] ?? 0} features in its last dimension, expected ${inF} (weight ${formatShape(weight.shape)}): mat1 and mat2 shapes cannot be multiplied (${rows}x${x.shape[x.ndim - 1] ?? 0} and ${inF}x${weight.shape[0]})`,
    );
  }
  const fused = linearFused(x, weight, bias);
  if (fused !== null) return fused;
  const y = x.matmul(weight.t());
  return bias === null ? y : y.add(bias);
}

export interface Conv2dOptions {
  stride?: IntOrPair;
  /** Implicit zero padding: a number, one per dim, "valid" (0) or "same" (output size = input size). */
  padding?: IntOrPair | "valid" | "same";
  dilation?: IntOrPair;
  groups?: number;
}

/** [top, bottom, left, right] padding; "same" puts the odd extra pixel at the end, as PyTorch. */
function resolvePadding(
  op: string,
  padding: Conv2dOptions["padding"],
  kernel: Pair,
  stride: Pair,
  dilation: Pair,
): [number, number, number, number] {
  if (padding === undefined || padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    if (stride[0] !== 1 || stride[1] !== 1) {
      throw new ValueError(`${op}: padding='same' is not supported for strided convolutions`);
    }
    const th = dilation[0] * (kernel[0] - 1);
    const tw = dilation[1] * (kernel[1] - 1);
    return [
      Math.floor(th / 2),
      th - Math.floor(th / 2),
      Math.floor(tw / 2),
      tw - Math.floor(tw / 2),
    ];
  }
  const [ph, pw] = pair(padding);
  return [ph, ph, pw, pw];
}

/**
 * 2-D cross-correlation, as torch.nn.functional.conv2d: `x [N, C, H, W]` (or `[C, H, W]`),
 * `weight [O, C/groups, kh, kw]`, `bias [O]` → `[N, O, Ho, Wo]`,
 * Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
): Tensor {
  if (weight.ndim !== 4)
    throw new ShapeError(`conv2d: expected a 4-D weight, got ${formatShape(weight.shape)}`);
  if (x.ndim === 3) return conv2d(x.unsqueeze(0), weight, bias, options).squeeze(0);
  if (x.ndim !== 4) {
    throw new ShapeError(
      `conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${formatShape(x.shape)}`,
    );
  }
  const groups = options.groups ?? 1;
  const C = x.shape[1]!;
  if (weight.shape[1]! * groups !== C) {
    throw new ShapeError(
      `conv2d: Given groups=${groups}, weight of size ${formatShape(weight.shape)}, expected input${formatShape(x.shape)} to have ${weight.shape[1]! * groups} channels, but got ${C} channels instead`,
    );
  }
  const kernel: Pair = [weight.shape[2]!, weight.shape[3]!];
  const stride = pair(options.stride ?? 1);
  const dilation = pair(options.dilation ?? 1);
  const padding = resolvePadding("conv2d", options.padding, kernel, stride, dilation);
  return conv2dIm2col(x, weight, bias, { kernel, stride, dilation, padding }, groups);
}

export interface Conv1dOptions {
  stride?: number;
  padding?: number | "valid" | "same";
  dilation?: number;
  groups?: number;
}

/** 1-D cross-correlation, as torch.nn.functional.conv1d: `x [N, C, L]`, `weight [O, C/g, k]`. */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv1dOptions = {},
): Tensor {
  if (x.ndim === 2) return conv1d(x.unsqueeze(0), weight, bias, options).squeeze(0);
  if (x.ndim !== 3) {
    throw new ShapeError(
      `conv1d: Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: ${formatShape(x.shape)}`,
    );
  }
  const p = options.padding ?? 0;
  const groups = options.groups ?? 1;
  if (weight.shape[1]! * groups !== x.shape[1]) {
    throw new ShapeError(
      `conv1d: Given groups=${groups}, weight of size ${formatShape(weight.shape)}, expected input${formatShape(x.shape)} to have ${weight.shape[1]! * groups} channels, but got ${x.shape[1]} channels instead`,
    );
  }
  let padding: IntOrPair | "same" | "valid";
  if (p === "same") {
    if ((options.stride ?? 1) !== 1)
      throw new ValueError("conv1d: padding='same' is not supported for strided convolutions");
    padding = "same";
  } else padding = p === "valid" ? 0 : [0, p];
  const y = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, {
    stride: [1, options.stride ?? 1],
    padding: padding === "same" ? "same" : padding,
    dilation: [1, options.dilation ?? 1],
    groups,
  });
  return y.squeeze(2);
}

export interface MaxPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  dilation?: IntOrPair;
  ceilMode?: boolean;
}

function unbatched(x: Tensor, want: number, fn: (b: Tensor) => Tensor): Tensor {
  return x.ndim === want - 1 ? fn(x.unsqueeze(0)).squeeze(0) : fn(x);
}

/** Max over kernel windows, as torch.nn.functional.max_pool2d (stride defaults to kernel). */
export function maxPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  options: MaxPool2dOptions = {},
): Tensor {
  if (x.ndim === 3) return maxPool2d(x.unsqueeze(0), kernelSize, options).squeeze(0);
  // no indices asked for: the argmax buffer goes back to the allocator after backward
  return maxPool2dWindows(x, maxPoolWindow(kernelSize, options), false).values;
}

function maxPoolWindow(kernelSize: IntOrPair, options: MaxPool2dOptions) {
  const kernel = pair(kernelSize);
  return {
    kernel,
    stride: pair(options.stride ?? kernel),
    padding: pair(options.padding ?? 0),
    dilation: pair(options.dilation ?? 1),
    ceilMode: options.ceilMode ?? false,
  };
}

/** max_pool2d with `return_indices`: positions within each H·W plane (int32). */
export function maxPool2dWithIndices(
  x: Tensor,
  kernelSize: IntOrPair,
  options: MaxPool2dOptions = {},
): { values: Tensor; indices: Tensor } {
  if (x.ndim === 3) {
    const r = maxPool2dWithIndices(x.unsqueeze(0), kernelSize, options);
    return { values: r.values.squeeze(0), indices: r.indices.squeeze(0) };
  }
  const r = maxPool2dWindows(x, maxPoolWindow(kernelSize, options));
  let indices: Tensor | null = null;
  return {
    values: r.values,
    get indices(): Tensor {
      indices ??= r.indices();
      return indices;
    },
  };
}

/** 1-D max pooling over `[N, C, L]`, as torch.nn.functional.max_pool1d. */
export function maxPool1d(
  x: Tensor,
  kernelSize: number,
  options: { stride?: number | null; padding?: number; dilation?: number; ceilMode?: boolean } = {},
): Tensor {
  return unbatched(x, 3, (b) =>
    maxPool2d(b.unsqueeze(2), [1, kernelSize], {
      stride: [1, options.stride ?? kernelSize],
      padding: [0, options.padding ?? 0],
      dilation: [1, options.dilation ?? 1],
      ceilMode: options.ceilMode ?? false,
    }).squeeze(2),
  );
}

export interface AvgPool2dOptions {
  stride?: IntOrPair | null;
  padding?: IntOrPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

/** Mean over kernel windows, as torch.nn.functional.avg_pool2d. */
export function avgPool2d(
  x: Tensor,
  kernelSize: IntOrPair,
  options: AvgPool2dOptions = {},
): Tensor {
  const kernel = pair(kernelSize);
  return unbatched(x, 4, (b) =>
    avgPool2dWindows(b, {
      kernel,
      stride: pair(options.stride ?? kernel),
      padding: pair(options.padding ?? 0),
      dilation: [1, 1],
      ceilMode: options.ceilMode ?? false,
      countIncludePad: options.countIncludePad ?? true,
      divisorOverride: options.divisorOverride ?? null,
    }),
  );
}

/** Average pooling to a fixed output size (null keeps that input dim), as PyTorch. */
export function adaptiveAvgPool2d(
  x: Tensor,
  outputSize: number | readonly [number | null, number | null],
): Tensor {
  return unbatched(x, 4, (b) => {
    const [oh, ow] = typeof outputSize === "number" ? [outputSize, outputSize] : outputSize;
    return adaptive(b, oh ?? b.shape[2]!, ow ?? b.shape[3]!);
  });
}

function checkP(op: string, p: number): void {
  if (!(p >= 0 && p <= 1))
    throw new ValueError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 − p) when `training`
 * (default true, as torch.nn.functional.dropout); identity otherwise. Seeded by `generator`.
 */
export function dropout(
  x: Tensor,
  options: { p?: number; training?: boolean; generator?: Generator } = {},
): Tensor {
  const p = options.p ?? 0.5;
  checkP("dropout", p);
  if (!(options.training ?? true) || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = rand(x.shape, {
    dtype: x.dtype,
    generator: options.generator ?? defaultGenerator,
  }).ge(p);
  return x.mul(keep).mul(1 / (1 - p));
}

/** Zeroes whole channels (dim 1) of `[N, C, *]` with probability p, as torch dropout2d. */
export function dropout2d(
  x: Tensor,
  options: { p?: number; training?: boolean; generator?: Generator } = {},
): Tensor {
  const p = options.p ?? 0.5;
  checkP("dropout2d", p);
  if (!(options.training ?? true) || p === 0) return x;
  if (p === 1) return x.mul(0);
  const maskShape = x.shape.map((s, i) => (i < 2 ? s : 1));
  const keep = rand(maskShape, {
    dtype: x.dtype,
    generator: options.generator ?? defaultGenerator,
  }).ge(p);
  return x.mul(keep).mul(1 / (1 - p));
}

/**
 * Rows of `weight [num, dim]` picked by int32 `input [*]` → `[*, dim]`, as torch embedding;
 * no gradient flows to row `paddingIdx`.
 */
export function embedding(
  input: Tensor,
  weight: Tensor,
  options: { paddingIdx?: number | null } = {},
): Tensor {
  if (input.dtype !== "int32") {
    throw new DTypeError(
      `embedding: Expected tensor for argument #1 'indices' to have scalar type int32 (PyTorch: Long), but got ${input.dtype}`,
    );
  }
  const [num, dim] = weight.shape as [number, number];
  const idx = input.dataSync();
  const flat = new Int32Array(idx.length * dim);
  for (let i = 0; i < idx.length; i++) {
    const v = idx[i]!;
    if (v < 0 || v >= num)
      throw new IndexError(`embedding: index ${v} is out of range for an embedding of ${num} rows`);
    for (let j = 0; j < dim; j++) flat[i * dim + j] = v * dim + j;
  }
  const out = takeFlat(weight.contiguous(), flat, [...input.shape, dim]);
  const pad = options.paddingIdx;
  if (pad === undefined || pad === null) return out;
  const keep = input.ne(pad < 0 ? pad + num : pad).unsqueeze(-1);
  return where(keep, out, out.detach());
}

/** Class indices → one-hot int32 `[*, numClasses]` (numClasses −1: max + 1), as torch one_hot. */
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  if (x.dtype !== "int32")
    throw new DTypeError(
      `oneHot: one_hot is only applicable to index tensor (int32), got ${x.dtype}`,
    );
  const v = x.dataSync();
  let n = numClasses;
  if (n === -1) n = v.length === 0 ? 0 : Math.max(...v) + 1;
  const out = new Int32Array(v.length * n);
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c < 0 || c >= n)
      throw new IndexError(`oneHot: Class values must be in [0, ${n - 1}] (got ${c})`);
    out[i * n + c] = 1;
  }
  return Tensor.fromData(out, [...x.shape, n], "int32");
}

/**
 * Pads the last dims: `pad = [left, right, top, bottom, ...]` (last dim first, as torch pad),
 * mode "constant" with `value`. Negative pads crop.
 */
export function pad(
  x: Tensor,
  padding: readonly number[],
  options: { mode?: "constant"; value?: number } = {},
): Tensor {
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new ValueError(
      `pad: Padding length must be divisible by 2 and at most twice the input dims (got ${padding.length} for ${x.ndim}-D input)`,
    );
  }
  if ((options.mode ?? "constant") !== "constant")
    throw new ValueError(`pad: only mode "constant" is supported (got ${options.mode})`);
  let y = x;
  for (let k = 0; k < padding.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const lo = padding[2 * k]!;
    const hi = padding[2 * k + 1]!;
    if (lo < 0) y = y.narrow(d, -lo, y.shape[d]! + lo);
    if (hi < 0) y = y.narrow(d, 0, y.shape[d]! + hi);
    const parts: Tensor[] = [];
    const side = (n: number) =>
      full(
        y.shape.map((s, i) => (i === d ? n : s)),
        options.value ?? 0,
        { dtype: y.dtype },
      );
    if (lo > 0) parts.push(side(lo));
    parts.push(y);
    if (hi > 0) parts.push(side(hi));
    if (parts.length > 1) y = cat(parts, d);
  }
  return y;
}

// Function forms of the linear, convolution, dropout and embedding layers, plus oneHot and pad,
// with PyTorch's signatures (positional or one options object, API.md rule 2). Shapes and
// hyper-parameters are checked here, once, before any backend is chosen, with PyTorch's
// messages. Convolution delegates to the im2col gather in src/ops; pooling is in pool.ts.

import {
  arrayOf,
  bool,
  checkArity,
  either,
  instanceOf,
  int,
  ints,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { defaultGenerator, Generator } from "../../core/rng.ts";
import { formatShape } from "../../core/shape.ts";
import { conv2dIm2col, type Pair } from "../../ops/conv.ts";
import { full, rand } from "../../ops/creation.ts";
import { where } from "../../ops/elementwise.ts";
import { takeFlat } from "../../ops/indexing.ts";
import { linearFused } from "../../ops/linear.ts";
import { cat } from "../../ops/movement.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { onlyFalse, onlyNull, optTensor, tensorArg } from "./args.ts";

// Re-exported for callers that import the pooling functions from here.
export {
  type AvgPool2dOptions,
  adaptiveAvgPool2d,
  avgPool2d,
  type MaxPool2dOptions,
  maxPool1d,
  maxPool2d,
  maxPool2dWithIndices,
} from "./pool.ts";

/** A number or one value per spatial dim. */
export type IntOrPair = number | readonly [number, number];

function pair(v: number | readonly number[]): Pair {
  return typeof v === "number" ? [v, v] : [v[0]!, v[1]!];
}

const LINEAR = signature("linear", { input: tensorArg, weight: tensorArg, bias: optTensor });

/** Throws PyTorch's expand error unless `bias` broadcasts to `out` (as `bias.expand(out)`). */
function checkExpands(op: string, bias: Tensor, out: readonly number[]): void {
  const off = out.length - bias.ndim;
  for (let i = bias.ndim - 1; i >= 0; i--) {
    const b = bias.shape[i]!;
    if (off < 0 || (b !== 1 && b !== out[off + i])) {
      throw new ShapeError(
        off < 0
          ? `${op}: the number of sizes provided (${out.length}) must be greater or equal to the number of dimensions in the tensor (${bias.ndim}) (bias ${formatShape(bias.shape)})`
          : `${op}: The expanded size of the tensor (${out[off + i]}) must match the existing size (${b}) at non-singleton dimension ${off + i}.  Target sizes: ${formatShape(out)}.  Tensor sizes: ${formatShape(bias.shape)}`,
      );
    }
  }
}

/**
 * y = x Wᵀ + b, as torch.nn.functional.linear(input, weight, bias=None). `x [*, in]`,
 * `weight [out, in]`, `bias` broadcastable to `[*, out]` (usually `[out]`) → `[*, out]`.
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkArity("linear", arguments, 3);
  const a = parseArgs(LINEAR, [x, weight, bias]);
  if (weight.ndim !== 2 && weight.ndim !== 1) {
    throw new ShapeError(
      `linear: t() expects a tensor with <= 2 dimensions, but weight is ${weight.ndim}D (${formatShape(weight.shape)})`,
    );
  }
  const inF = weight.shape[weight.ndim - 1]!;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inF) {
    const rows = x.ndim <= 1 ? 1 : x.numel() / x.shape[x.ndim - 1]!;
    throw new ShapeError(
      `linear: input of shape ${formatShape(x.shape)} has ${x.shape[x.ndim - 1] ?? 0} features in its last dimension, expected ${inF} (weight ${formatShape(weight.shape)}): mat1 and mat2 shapes cannot be multiplied (${rows}x${x.shape[x.ndim - 1] ?? 0} and ${inF}x${weight.ndim === 2 ? weight.shape[0] : 1})`,
    );
  }
  const b = a.bias;
  if (b !== null) {
    const out =
      weight.ndim === 2 ? [...x.shape.slice(0, -1), weight.shape[0]!] : x.shape.slice(0, -1);
    checkExpands("linear", b, out);
  }
  if (weight.ndim === 1) {
    const y = x.matmul(weight);
    return b === null ? y : y.add(b);
  }
  const fused = linearFused(x, weight, b);
  if (fused !== null) return fused;
  const y = x.matmul(weight.t());
  return b === null ? y : y.add(b);
}

/**
 * Options of `conv2d` after the bias; defaults stride 1, padding 0, dilation 1, groups 1, as
 * torch.nn.functional.conv2d.
 */
export interface Conv2dOptions {
  stride?: IntOrPair;
  /** Implicit zero padding: a number, one per dim, "valid" (0) or "same" (output size = input size). */
  padding?: IntOrPair | "valid" | "same";
  dilation?: IntOrPair;
  groups?: number;
}

/**
 * Options of `conv1d` after the bias; defaults stride 1, padding 0, dilation 1, groups 1, as
 * torch.nn.functional.conv1d.
 */
export interface Conv1dOptions {
  stride?: number | readonly [number];
  padding?: number | readonly [number] | "valid" | "same";
  dilation?: number | readonly [number];
  groups?: number;
}

function convSignature(op: string, n: number) {
  return signature(op, {
    input: tensorArg,
    weight: tensorArg,
    bias: optTensor,
    stride: opt(ints(n), 1),
    padding: opt(either(ints(n), oneOf("valid", "same")), 0),
    dilation: opt(ints(n), 1),
    groups: opt(int, 1),
  });
}
const CONV2D = convSignature("conv2d", 2);
const CONV1D = convSignature("conv1d", 1);

const tuple = (v: number | readonly number[], n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

/**
 * PyTorch's convolution checks, in its order and with its messages, on the batched input `x`
 * ([N, C, *spatial], `n` spatial dims): hyper-parameters, then weight, channels, bias, sizes.
 */
function checkConv(
  op: string,
  n: number,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: readonly number[],
  padding: readonly number[] | "valid" | "same",
  dilation: readonly number[],
  groups: number,
): void {
  if (groups <= 0) throw new ValueError(`${op}: non-positive groups is not supported`);
  if (typeof padding !== "string" && padding.some((p) => p < 0))
    throw new ValueError(`${op}: negative padding is not supported`);
  if (stride.some((s) => s <= 0))
    throw new ValueError(`${op}: non-positive stride is not supported`);
  if (weight.ndim !== n + 2) {
    throw new ShapeError(
      `${op}: Expected ${weight.ndim}-dimensional input for ${weight.ndim}-dimensional weight ${formatShape(weight.shape)}, but got ${x.ndim}-dimensional input of size ${formatShape(x.shape)} instead`,
    );
  }
  const O = weight.shape[0]!;
  if (O < groups) {
    throw new ValueError(
      `${op}: Given groups=${groups}, expected weight to be at least ${groups} at dimension 0, but got weight of size ${formatShape(weight.shape)} instead`,
    );
  }
  if (O % groups !== 0) {
    throw new ValueError(
      `${op}: Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size [${formatShape(weight.shape)}] instead`,
    );
  }
  const C = x.shape[1]!;
  if (weight.shape[1]! * groups !== C) {
    throw new ShapeError(
      `${op}: Given groups=${groups}, weight of size ${formatShape(weight.shape)}, expected input${formatShape(x.shape)} to have ${weight.shape[1]! * groups} channels, but got ${C} channels instead`,
    );
  }
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== O)) {
    throw new ShapeError(
      `${op}: Given weight of size ${formatShape(weight.shape)}, expected bias to be 1-dimensional with ${O} elements, but got bias of size ${formatShape(bias.shape)} instead`,
    );
  }
  if (dilation.some((d) => d <= 0))
    throw new ValueError(
      `${op}: dilation should be greater than zero, but got ${formatShape(dilation)}`,
    );
  const k = weight.shape.slice(2);
  if (k.some((v) => v <= 0)) {
    const names = n === 2 ? ["kernel_height", "kernel_width"] : ["kernel_width"];
    throw new ValueError(
      `${op}: kernel size should be greater than zero, but got ${k.map((v, i) => `${names[i]}: ${v}`).join(" ")}`,
    );
  }
  const pads = typeof padding === "string" ? new Array<number>(n).fill(0) : padding;
  if (padding === "same") return;
  const inSize = x.shape.slice(2).map((s, i) => s + 2 * pads[i]!);
  const kSize = k.map((v, i) => dilation[i]! * (v - 1) + 1);
  if (inSize.some((s, i) => s < kSize[i]!)) {
    throw new ShapeError(
      `${op}: Calculated padded input size per channel: (${inSize.join(" x ")}). Kernel size: (${kSize.join(" x ")}). Kernel size can't be greater than actual input size`,
    );
  }
}

/** [top, bottom, left, right] padding; "same" puts the odd extra pixel at the end, as PyTorch. */
function resolvePadding(
  op: string,
  padding: readonly number[] | "valid" | "same",
  kernel: Pair,
  stride: Pair,
  dilation: Pair,
): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
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
  return [padding[0]!, padding[0]!, padding[1]!, padding[1]!];
}

/** The checked 2-D convolution of a batched input (conv1d runs as a 1 x k conv2d). */
function conv2dChecked(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  op: string,
  stride: Pair,
  padding: readonly number[] | "valid" | "same",
  dilation: Pair,
  groups: number,
): Tensor {
  const kernel: Pair = [weight.shape[2]!, weight.shape[3]!];
  const pad = resolvePadding(op, padding, kernel, stride, dilation);
  return conv2dIm2col(x, weight, bias, { kernel, stride, dilation, padding: pad }, groups);
}

/**
 * 2-D cross-correlation, as torch.nn.functional.conv2d(input, weight, bias=None, stride=1,
 * padding=0, dilation=1, groups=1): `x [N, C, H, W]` (or `[C, H, W]`),
 * `weight [O, C/groups, kh, kw]`, `bias [O]` → `[N, O, Ho, Wo]`,
 * Ho = ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1. Padding is a number, a pair, "valid" or "same".
 *
 * @example F.conv2d(x, w, b, 1, 1); // = F.conv2d(x, w, b, { stride: 1, padding: 1 })
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  ...rest: WithOptions<
    [
      bias: Tensor | null,
      stride: IntOrPair,
      padding: IntOrPair | "valid" | "same",
      dilation: IntOrPair,
      groups: number,
    ],
    Conv2dOptions
  >
): Tensor {
  const a = parseArgs(CONV2D, [x, weight, ...rest]);
  const input = a.input;
  if (input.ndim !== 3 && input.ndim !== 4) {
    throw new ShapeError(
      `conv2d: Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: ${formatShape(input.shape)}`,
    );
  }
  const b = input.ndim === 3 ? input.unsqueeze(0) : input;
  const stride = pair(a.stride);
  const dilation = pair(a.dilation);
  const p = a.padding;
  const padding = typeof p === "string" ? p : pair(p);
  checkConv("conv2d", 2, b, a.weight, a.bias, stride, padding, dilation, a.groups);
  const y = conv2dChecked(b, a.weight, a.bias, "conv2d", stride, padding, dilation, a.groups);
  return input.ndim === 3 ? y.squeeze(0) : y;
}

/**
 * 1-D cross-correlation, as torch.nn.functional.conv1d(input, weight, bias=None, stride=1,
 * padding=0, dilation=1, groups=1): `x [N, C, L]` (or `[C, L]`), `weight [O, C/groups, k]`.
 */
export function conv1d(
  x: Tensor,
  weight: Tensor,
  ...rest: WithOptions<
    [
      bias: Tensor | null,
      stride: number | readonly [number],
      padding: number | readonly [number] | "valid" | "same",
      dilation: number | readonly [number],
      groups: number,
    ],
    Conv1dOptions
  >
): Tensor {
  const a = parseArgs(CONV1D, [x, weight, ...rest]);
  const input = a.input;
  if (input.ndim !== 2 && input.ndim !== 3) {
    throw new ShapeError(
      `conv1d: Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: ${formatShape(input.shape)}`,
    );
  }
  const b = input.ndim === 2 ? input.unsqueeze(0) : input;
  const s = tuple(a.stride, 1)[0]!;
  const d = tuple(a.dilation, 1)[0]!;
  const p = a.padding;
  const padding = typeof p === "string" ? p : tuple(p, 1);
  checkConv("conv1d", 1, b, a.weight, a.bias, [s], padding, [d], a.groups);
  const y = conv2dChecked(
    b.unsqueeze(2),
    a.weight.unsqueeze(2),
    a.bias,
    "conv1d",
    [1, s],
    typeof padding === "string" ? padding : [0, padding[0]!],
    [1, d],
    a.groups,
  ).squeeze(2);
  return input.ndim === 2 ? y.squeeze(0) : y;
}

/**
 * Options of `dropout` and `dropout2d`; defaults p 0.5, training true, inplace false, as
 * torch.nn.functional.dropout.
 */
export interface DropoutFnOptions {
  p?: number;
  training?: boolean;
  inplace?: boolean;
  /** The random source (the default generator otherwise, seeded by `manualSeed`). */
  generator?: Generator;
}

function dropoutSignature(op: string) {
  return signature(
    op,
    { input: tensorArg, p: opt(num, 0.5), training: opt(bool, true), inplace: opt(bool, false) },
    { generator: opt(instanceOf(Generator, "a Generator")) },
  );
}
const DROPOUT = dropoutSignature("dropout");
const DROPOUT2D = dropoutSignature("dropout2d");

/** The arguments of `dropout` and `dropout2d` after the input, in PyTorch's order. */
export type DropoutRest = WithOptions<
  [p: number, training: boolean, inplace: boolean],
  DropoutFnOptions
>;

function dropoutImpl(
  op: string,
  a: ReturnType<typeof parseArgs<(typeof DROPOUT)["params"]>>,
  maskShape: (x: Tensor) => readonly number[],
): Tensor {
  const { input: x, p } = a;
  if (!(p >= 0 && p <= 1))
    throw new ValueError(`${op}: dropout probability has to be between 0 and 1, but got ${p}`);
  if (!a.training || p === 0) return x;
  let y: Tensor;
  if (p === 1) y = x.mul(0);
  else {
    const keep = rand(maskShape(x), {
      dtype: x.dtype,
      generator: a.generator ?? defaultGenerator,
    }).ge(p);
    y = x.mul(keep).mul(1 / (1 - p));
  }
  return a.inplace ? x.copy_(y) : y;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1 − p) when `training`;
 * identity otherwise, as torch.nn.functional.dropout(input, p=0.5, training=True,
 * inplace=False). Kiln's keyword-only `generator` seeds the mask.
 *
 * @example F.dropout(x, 0.5, true); // = F.dropout(x, { p: 0.5, training: true })
 */
export function dropout(x: Tensor, ...rest: DropoutRest): Tensor {
  return dropoutImpl("dropout", parseArgs(DROPOUT, [x, ...rest]), (t) => t.shape);
}

/**
 * Zeroes whole channels (dim 1) of `[N, C, *]` with probability p, as
 * torch.nn.functional.dropout2d (arguments as dropout's).
 */
export function dropout2d(x: Tensor, ...rest: DropoutRest): Tensor {
  return dropoutImpl("dropout2d", parseArgs(DROPOUT2D, [x, ...rest]), (t) =>
    t.shape.map((s, i) => (i < 2 ? s : 1)),
  );
}

const EMBEDDING = signature("embedding", {
  input: tensorArg,
  weight: tensorArg,
  paddingIdx: opt(nullable(int), null),
  maxNorm: onlyNull("maxNorm is not supported"),
  normType: opt(num, 2),
  scaleGradByFreq: onlyFalse("scaleGradByFreq is not supported"),
  sparse: onlyFalse("sparse gradients are not supported"),
});

/**
 * Options of `embedding` after the weight; defaults paddingIdx null, normType 2, as
 * torch.nn.functional.embedding.
 */
export interface EmbeddingFnOptions {
  paddingIdx?: number | null;
  /** Only null (renormalisation is not supported). */
  maxNorm?: null;
  normType?: number;
  scaleGradByFreq?: false;
  sparse?: false;
}

/**
 * Rows of `weight [num, dim]` picked by int32 `input [*]` → `[*, dim]`, as
 * torch.nn.functional.embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
 * scale_grad_by_freq=False, sparse=False); no gradient flows to row `paddingIdx`.
 * PyTorch parity: `maxNorm`, `scaleGradByFreq` and `sparse` are accepted only at their defaults.
 */
export function embedding(
  input: Tensor,
  weight: Tensor,
  ...rest: WithOptions<
    [
      paddingIdx: number | null,
      maxNorm: null,
      normType: number,
      scaleGradByFreq: false,
      sparse: false,
    ],
    EmbeddingFnOptions
  >
): Tensor {
  const a = parseArgs(EMBEDDING, [input, weight, ...rest]);
  if (input.dtype !== "int32") {
    throw new DTypeError(
      `embedding: Expected tensor for argument #1 'indices' to have scalar type int32 (PyTorch: Long), but got ${input.dtype}`,
    );
  }
  if (weight.ndim !== 2)
    throw new ShapeError(`embedding: 'weight' must be 2-D, got ${formatShape(weight.shape)}`);
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
  const pad = a.paddingIdx;
  if (pad === null) return out;
  const keep = input.ne(pad < 0 ? pad + num : pad).unsqueeze(-1);
  return where(keep, out, out.detach());
}

const ONE_HOT = signature("oneHot", { tensor: tensorArg, numClasses: opt(int, -1) });

/**
 * Class indices → one-hot int32 `[*, numClasses]` (numClasses −1: max + 1), as
 * torch.nn.functional.one_hot(tensor, num_classes=-1).
 */
export function oneHot(
  x: Tensor,
  ...rest: WithOptions<[numClasses: number], { numClasses?: number }>
): Tensor {
  const a = parseArgs(ONE_HOT, [x, ...rest]);
  if (x.dtype !== "int32")
    throw new DTypeError(
      `oneHot: one_hot is only applicable to index tensor (int32), got ${x.dtype}`,
    );
  const v = x.dataSync();
  let n = a.numClasses;
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

const PAD = signature("pad", {
  input: tensorArg,
  pad: arrayOf(int),
  mode: opt(oneOf("constant"), "constant"),
  value: opt(nullable(num), null),
});

/**
 * Pads the last dims: `pad = [left, right, top, bottom, ...]` (last dim first), as
 * torch.nn.functional.pad(input, pad, mode="constant", value=None); negative pads crop.
 * Only mode "constant" is supported (other modes throw).
 */
export function pad(
  x: Tensor,
  padding: readonly number[],
  ...rest: WithOptions<
    [mode: "constant", value: number | null],
    { mode?: "constant"; value?: number | null }
  >
): Tensor {
  const a = parseArgs(PAD, [x, padding, ...rest]);
  if (padding.length % 2 !== 0 || padding.length / 2 > x.ndim) {
    throw new ValueError(
      `pad: Padding length must be divisible by 2 and at most twice the input dims (got ${padding.length} for ${x.ndim}-D input)`,
    );
  }
  const value = a.value ?? 0;
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
        value,
        { dtype: y.dtype },
      );
    if (lo > 0) parts.push(side(lo));
    parts.push(y);
    if (hi > 0) parts.push(side(hi));
    if (parts.length > 1) y = cat(parts, d);
  }
  return y;
}

// Function forms of the linear, convolution, dropout and embedding layers, plus oneHot and pad,
// with PyTorch's signatures (positional or one options object, API.md rule 2). Shapes and
// hyper-parameters are checked here, once, before any backend is chosen, with PyTorch's
// messages. Convolution delegates to the im2col gather in src/ops; pooling is in pool.ts.

import {
  bool,
  checkArity,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { defaultGenerator, Generator } from "../../core/rng.ts";
import { formatShape } from "../../core/shape.ts";
import { conv2dIm2col, type Pair } from "../../ops/conv.ts";
import { rand } from "../../ops/creation.ts";
import { asIndexInt32 } from "../../ops/dispatch.ts";
import { linearFused } from "../../ops/linear.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { optTensor, tensorArg } from "./args.ts";
import { checkConv, convBatched, convPadding, convSignature, tupleN } from "./conv-args.ts";
import { embeddingLookup } from "./embedding-bag.ts";

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

const CONV2D = convSignature("conv2d", 2);
const CONV1D = convSignature("conv1d", 1);

/** [top, bottom, left, right] padding; "same" puts the odd extra pixel at the end, as PyTorch. */
function resolvePadding(
  op: string,
  padding: readonly number[] | "valid" | "same",
  kernel: Pair,
  stride: Pair,
  dilation: Pair,
): [number, number, number, number] {
  const { lo, hi } = convPadding(op, padding, kernel, stride, dilation);
  return [lo[0]!, hi[0]!, lo[1]!, hi[1]!];
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
  return convBatched("conv2d", 2, a.input, (b) => {
    const stride = pair(a.stride);
    const dilation = pair(a.dilation);
    const p = a.padding;
    const padding = typeof p === "string" ? p : pair(p);
    checkConv("conv2d", 2, b, a.weight, a.bias, stride, padding, dilation, a.groups);
    return conv2dChecked(b, a.weight, a.bias, "conv2d", stride, padding, dilation, a.groups);
  });
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
  return convBatched("conv1d", 1, a.input, (b) => {
    const s = tupleN(a.stride, 1)[0]!;
    const d = tupleN(a.dilation, 1)[0]!;
    const p = a.padding;
    const padding = typeof p === "string" ? p : tupleN(p, 1);
    checkConv("conv1d", 1, b, a.weight, a.bias, [s], padding, [d], a.groups);
    return conv2dChecked(
      b.unsqueeze(2),
      a.weight.unsqueeze(2),
      a.bias,
      "conv1d",
      [1, s],
      typeof padding === "string" ? padding : [0, padding[0]!],
      [1, d],
      a.groups,
    ).squeeze(2);
  });
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
  maxNorm: opt(nullable(num), null),
  normType: opt(num, 2),
  scaleGradByFreq: opt(bool, false),
  sparse: opt(bool, false),
});

/**
 * Options of `embedding` after the weight; defaults paddingIdx null, maxNorm null, normType 2,
 * scaleGradByFreq false, sparse false, as torch.nn.functional.embedding.
 */
export interface EmbeddingFnOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  /** Accepted; the gradient stays dense (its values are PyTorch's sparse gradient densified). */
  sparse?: boolean;
}

/**
 * Rows of `weight [num, dim]` picked by int32 `input [*]` → `[*, dim]`, as
 * torch.nn.functional.embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
 * scale_grad_by_freq=False, sparse=False). No gradient flows to row `paddingIdx` (negative:
 * counted from the end); with `maxNorm` the looked-up rows whose normType-norm exceeds it are
 * rescaled in place in `weight` first; with `scaleGradByFreq` each row's gradient is divided by
 * the index's count in `input`.
 * PyTorch parity: `sparse: true` is accepted but the gradient is a dense tensor.
 */
export function embedding(
  input: Tensor,
  weight: Tensor,
  ...rest: WithOptions<
    [
      paddingIdx: number | null,
      maxNorm: number | null,
      normType: number,
      scaleGradByFreq: boolean,
      sparse: boolean,
    ],
    EmbeddingFnOptions
  >
): Tensor {
  return embeddingLookup(input, weight, parseArgs(EMBEDDING, [input, weight, ...rest]));
}

const ONE_HOT = signature("oneHot", { tensor: tensorArg, numClasses: opt(int, -1) });

/**
 * Class indices → one-hot int32 `[*, numClasses]` (numClasses −1: max + 1), as
 * torch.nn.functional.one_hot(tensor, num_classes=-1).
 */
export function oneHot(
  xIn: Tensor,
  ...rest: WithOptions<[numClasses: number], { numClasses?: number }>
): Tensor {
  const a = parseArgs(ONE_HOT, [xIn, ...rest]);
  const x = xIn.dtype === "int64" ? asIndexInt32("oneHot", xIn) : xIn;
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

/** torch.nn.functional.pad in every mode; it lives in padding.ts. */
export { type PadMode, type PadOptions, pad } from "./padding.ts";

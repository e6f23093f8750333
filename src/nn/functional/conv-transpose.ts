// Transposed convolution (conv_transpose1d/2d/3d) as the adjoint of im2col + GEMM: one batched
// matmul spreads each input pixel into a column of kernel-sized contributions, then col2im (fold)
// sums the columns into the output canvas, which is cropped by the padding and extended by the
// output padding. Gradients come from matmul, the scatter-add and narrow. Depends on src/ops only.

import { int, ints, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { optTensor, tensorArg } from "./args.ts";
import { col2imNd } from "./fold.ts";
import { padTensor } from "./padding.ts";

/**
 * Options of `convTranspose1d/2d/3d` after the bias; defaults stride 1, padding 0,
 * outputPadding 0, groups 1, dilation 1, as torch.nn.functional.conv_transpose2d.
 */
export interface ConvTransposeOptions<P = number | readonly number[]> {
  stride?: P;
  padding?: P;
  outputPadding?: P;
  groups?: number;
  dilation?: P;
}

/** The positional parameters after the weight, in PyTorch's order. */
export type ConvTransposePositional<P = number | readonly number[]> = [
  bias: Tensor | null,
  stride: P,
  padding: P,
  outputPadding: P,
  groups: number,
  dilation: P,
];

function sig(op: string, n: number) {
  return signature(op, {
    input: tensorArg,
    weight: tensorArg,
    bias: optTensor,
    stride: opt(ints(n), 1),
    padding: opt(ints(n), 0),
    outputPadding: opt(ints(n), 0),
    groups: opt(int, 1),
    dilation: opt(ints(n), 1),
  });
}
const SIGS = [sig("convTranspose1d", 1), sig("convTranspose2d", 2), sig("convTranspose3d", 3)];

const tuple = (v: number | readonly number[], n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

function names(n: number): string[] {
  return n === 1 ? ["width"] : n === 2 ? ["height", "width"] : ["depth", "height", "width"];
}

/** Hyper-parameters of a transposed convolution over n spatial dims, resolved to tuples. */
export interface ConvTransposeGeometry {
  stride: number[];
  padding: number[];
  outputPadding: number[];
  dilation: number[];
  groups: number;
}

/** Output size per spatial dim: (in − 1)s − 2p + d(k − 1) + outputPadding + 1. */
export function convTransposeOutSize(
  inSpatial: readonly number[],
  kernel: readonly number[],
  g: ConvTransposeGeometry,
): number[] {
  return inSpatial.map(
    (s, i) =>
      (s - 1) * g.stride[i]! -
      2 * g.padding[i]! +
      g.dilation[i]! * (kernel[i]! - 1) +
      g.outputPadding[i]! +
      1,
  );
}

/** PyTorch's checks for a batched transposed convolution, in its order, with its messages. */
function check(
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  g: ConvTransposeGeometry,
): void {
  const n = x.ndim - 2;
  if (g.groups <= 0) throw new ValueError(`${op}: non-positive groups is not supported`);
  if (g.padding.some((p) => p < 0))
    throw new ValueError(`${op}: negative padding is not supported`);
  if (g.outputPadding.some((p) => p < 0))
    throw new ValueError(`${op}: negative output_padding is not supported`);
  if (g.stride.some((s) => s <= 0))
    throw new ValueError(`${op}: non-positive stride is not supported`);
  if (g.dilation.some((d) => d <= 0))
    throw new ValueError(
      `${op}: dilation should be greater than zero, but got ${formatShape(g.dilation)}`,
    );
  if (weight.ndim !== n + 2) {
    throw new ShapeError(
      `${op}: Expected ${weight.ndim}-dimensional input for ${weight.ndim}-dimensional weight ${formatShape(weight.shape)}, but got ${x.ndim}-dimensional input of size ${formatShape(x.shape)} instead`,
    );
  }
  const nm = names(n);
  if (g.outputPadding.some((p, i) => p >= g.stride[i]! && p >= g.dilation[i]!)) {
    const show = (what: string, v: number[]) => v.map((p, i) => `${what}_${nm[i]}: ${p}`).join(" ");
    throw new ValueError(
      `${op}: output padding must be smaller than either stride or dilation, but got ${show("output_padding", g.outputPadding)} ${show("stride", g.stride)} ${show("dilation", g.dilation)}`,
    );
  }
  const Cin = weight.shape[0]!;
  if (Cin % g.groups !== 0) {
    throw new ValueError(
      `${op}: Given groups=${g.groups}, expected weight to be divisible by ${g.groups} at dimension 0, but got weight of size ${formatShape(weight.shape)} instead`,
    );
  }
  if (x.shape[1] !== Cin) {
    throw new ShapeError(
      `${op}: Given transposed=1, weight of size ${formatShape(weight.shape)}, expected input${formatShape(x.shape)} to have ${Cin} channels, but got ${x.shape[1]} channels instead`,
    );
  }
  const Cout = weight.shape[1]! * g.groups;
  if (bias !== null && (bias.ndim !== 1 || bias.shape[0] !== Cout)) {
    throw new ShapeError(
      `${op}: Given transposed=1, weight of size ${formatShape(weight.shape)}, expected bias to be 1-dimensional with ${Cout} elements, but got bias of size ${formatShape(bias.shape)} instead`,
    );
  }
  const k = weight.shape.slice(2);
  if (k.some((v) => v <= 0))
    throw new ValueError(
      `${op}: kernel size should be greater than zero, but got ${formatShape(k)}`,
    );
  const out = convTransposeOutSize(x.shape.slice(2), k, g);
  if (out.some((s) => s <= 0)) {
    throw new ShapeError(
      `${op}: Given input size per channel: (${x.shape.slice(2).join(" x ")}). Calculated output size per channel: (${out.join(" x ")}). Output size is too small`,
    );
  }
}

/**
 * The transposed convolution of a batched `x [N, Cin, *in]` with `weight [Cin, Cout/groups, *k]`
 * (checked), as GEMM + col2im: cols = Wᵀ·x per group, then fold onto the unpadded canvas
 * ((in − 1)s + d(k − 1) + 1), crop `padding` on both sides, add `outputPadding` zeros at the end.
 */
export function convTransposeNd(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  g: ConvTransposeGeometry,
): Tensor {
  const [N, Cin] = x.shape as [number, number];
  const n = x.ndim - 2;
  const inSp = x.shape.slice(2);
  const k = weight.shape.slice(2);
  const K = k.reduce((p, v) => p * v, 1);
  const L = inSp.reduce((p, v) => p * v, 1);
  const G = g.groups;
  const CoutG = weight.shape[1]!;
  // one GEMM per group over the whole batch: cols [G, CoutG·K, N·L] = W_gᵀ · x_g
  const wT = weight
    .contiguous()
    .reshape([G, Cin / G, CoutG * K])
    .transpose(1, 2);
  const xs = x
    .reshape([N, G, Cin / G, L])
    .permute([1, 2, 0, 3])
    .reshape([G, Cin / G, N * L]);
  const cols = wT.matmul(xs).reshape([G * CoutG * K, N, L]);
  const canvas = inSp.map((s, i) => (s - 1) * g.stride[i]! + g.dilation[i]! * (k[i]! - 1) + 1);
  let y = col2imNd(
    cols,
    canvas,
    {
      kernel: k,
      dilation: g.dilation,
      padding: new Array<number>(n).fill(0),
      stride: g.stride,
    },
    true,
  );
  const crop: number[] = [];
  for (let i = n - 1; i >= 0; i--) crop.push(-g.padding[i]!, g.outputPadding[i]! - g.padding[i]!);
  if (crop.some((v) => v !== 0)) y = padTensor(y, crop, "constant", 0);
  if (bias !== null) y = y.add(bias.reshape([G * CoutG, ...new Array<number>(n).fill(1)]));
  return y;
}

type Rest<P> = WithOptions<ConvTransposePositional<P>, ConvTransposeOptions<P>>;

function run(n: 1 | 2 | 3, args: unknown[]): Tensor {
  const op = `convTranspose${n}d`;
  const a = parseArgs(SIGS[n - 1]!, args);
  const input = a.input;
  if (input.ndim !== n + 1 && input.ndim !== n + 2) {
    throw new ShapeError(
      `${op}: Expected ${n + 1}D (unbatched) or ${n + 2}D (batched) input to conv_transpose${n}d, but got input of size: ${formatShape(input.shape)}`,
    );
  }
  const b = input.ndim === n + 1 ? input.unsqueeze(0) : input;
  const g: ConvTransposeGeometry = {
    stride: tuple(a.stride, n),
    padding: tuple(a.padding, n),
    outputPadding: tuple(a.outputPadding, n),
    dilation: tuple(a.dilation, n),
    groups: a.groups,
  };
  check(op, b, a.weight, a.bias, g);
  const y = convTransposeNd(b, a.weight, a.bias, g);
  return input.ndim === n + 1 ? y.squeeze(0) : y;
}

/** Runs the checks and the transposed convolution of `n` spatial dims (for nn.ConvTranspose*). */
export function convTransposeChecked(
  n: 1 | 2 | 3,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  g: ConvTransposeGeometry,
): Tensor {
  return run(n, [x, weight, bias, { ...g }]);
}

/**
 * 1-D transposed convolution, as torch.nn.functional.conv_transpose1d(input, weight, bias=None,
 * stride=1, padding=0, output_padding=0, groups=1, dilation=1): `[N, Cin, L]` (or `[Cin, L]`),
 * `weight [Cin, Cout/groups, k]` → `[N, Cout, (L − 1)s − 2p + d(k − 1) + outputPadding + 1]`.
 */
export function convTranspose1d(
  x: Tensor,
  weight: Tensor,
  ...rest: Rest<number | readonly [number]>
): Tensor {
  return run(1, [x, weight, ...rest]);
}

/**
 * 2-D transposed convolution ("deconvolution"), as torch.nn.functional.conv_transpose2d(input,
 * weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
 * `[N, Cin, H, W]` (or unbatched), `weight [Cin, Cout/groups, kh, kw]`, `bias [Cout]` →
 * `[N, Cout, Ho, Wo]`, Ho = (H − 1)s − 2p + d(k − 1) + outputPadding + 1. The gradient of conv2d
 * with respect to its input.
 *
 * @example F.convTranspose2d(x, w, b, 2, 1, 1); // = F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 })
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  ...rest: Rest<number | readonly [number, number]>
): Tensor {
  return run(2, [x, weight, ...rest]);
}

/**
 * 3-D transposed convolution, as torch.nn.functional.conv_transpose3d (arguments as
 * convTranspose2d's): `[N, Cin, D, H, W]` (or unbatched), `weight [Cin, Cout/groups, kd, kh, kw]`.
 */
export function convTranspose3d(
  x: Tensor,
  weight: Tensor,
  ...rest: Rest<number | readonly [number, number, number]>
): Tensor {
  return run(3, [x, weight, ...rest]);
}

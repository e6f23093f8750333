// Function forms of max_unpool1d/2d/3d (the partial inverse of max pooling, from its indices)
// and lp_pool1d/2d (power-average pooling), with PyTorch's signatures and checks. Unpooling is
// a scatter (src/ops/window.ts); LP pooling is composed from avg pooling and elementwise ops.

import {
  arrayOf,
  bool,
  int,
  ints,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { asIndexInt32 } from "../../ops/dispatch.ts";
import { maxUnpoolNd } from "../../ops/window.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import { tupleN } from "./conv-nd.ts";
import { avgPool2d } from "./pool.ts";
import { avgPool1d } from "./pool-nd.ts";

/** Options of `maxUnpool1d/2d/3d` after the kernel size; defaults stride = kernel, padding 0. */
export interface MaxUnpoolOptions<P> {
  stride?: P | null;
  padding?: P;
  /** The output's spatial size (or its full size); null: (in − 1)·stride − 2·padding + kernel. */
  outputSize?: readonly number[] | null;
}
/** The positional parameters of `maxUnpoolNd` after the kernel size, in PyTorch's order. */
export type MaxUnpoolPositional<P> = [
  stride: P | null,
  padding: P,
  outputSize: readonly number[] | null,
];

function unpoolSignature(op: string, n: number) {
  return signature(op, {
    input: tensorArg,
    indices: tensorArg,
    kernelSize: ints(n),
    stride: opt(nullable(ints(n)), null),
    padding: opt(ints(n), 0),
    outputSize: opt(nullable(arrayOf(int)), null),
  });
}
const SIGS = [1, 2, 3].map((n) => unpoolSignature(`maxUnpool${n}d`, n));

/** PyTorch's _unpool_output_size: the default size, or a given one within ±stride of it. */
export function unpoolOutputSize(
  op: string,
  inSize: readonly number[],
  kernel: readonly number[],
  stride: readonly number[],
  padding: readonly number[],
  outputSize: readonly number[] | null,
): number[] {
  const dflt = inSize.map((s, d) => (s - 1) * stride[d]! - 2 * padding[d]! + kernel[d]!);
  if (outputSize === null) return dflt;
  const n = inSize.length;
  const given = outputSize.length === n + 2 ? outputSize.slice(2) : [...outputSize];
  if (given.length !== n) {
    throw new ValueError(
      `${op}: output_size should be a sequence containing ${n} or ${n + 2} elements, but it has a length of '${outputSize.length}'`,
    );
  }
  for (let d = 0; d < n; d++) {
    const lo = dflt[d]! - stride[d]!;
    const hi = dflt[d]! + stride[d]!;
    if (!(lo < given[d]! && given[d]! < hi)) {
      throw new ValueError(
        `${op}: invalid output_size "[${given.join(", ")}]" (dim ${d} must be between ${lo} and ${hi})`,
      );
    }
  }
  return given;
}

function maxUnpool(n: number, args: unknown[]): Tensor {
  const sig = SIGS[n - 1]!;
  const op = sig.op;
  const a = parseArgs(sig, args);
  const { input } = a;
  // int64 indices (PyTorch's) are taken exactly; int32 is Kiln's index dtype.
  const indices = a.indices.dtype === "int64" ? asIndexInt32(op, a.indices, "indices") : a.indices;
  if (input.ndim !== n + 1 && input.ndim !== n + 2) {
    throw new ShapeError(
      `${op}: Input to max_unpooling${n}d should be a ${n + 1}d or ${n + 2}d Tensor, but got a tensor with ${input.ndim} dimensions.`,
    );
  }
  if (indices.dtype !== "int32") {
    throw new DTypeError(
      `${op}: elements in indices should be type int64 (or int32) but got: ${indices.dtype}`,
    );
  }
  if (indices.shape.join() !== input.shape.join()) {
    throw new ShapeError(
      `${op}: Expected shape of indices to be same as that of the input tensor (${formatShape(input.shape)}) but got indices tensor with shape: ${formatShape(indices.shape)}`,
    );
  }
  const kernel = tupleN(a.kernelSize, n);
  const stride = a.stride === null ? kernel : tupleN(a.stride, n);
  const padding = tupleN(a.padding, n);
  const inSize = input.shape.slice(input.ndim - n);
  const out = unpoolOutputSize(op, inSize, kernel, stride, padding, a.outputSize);
  const unbatched = input.ndim === n + 1;
  const b = unbatched ? input.unsqueeze(0) : input;
  const y = maxUnpoolNd(op, b, unbatched ? indices.unsqueeze(0) : indices, out);
  return unbatched ? y.squeeze(0) : y;
}

type Int1 = number | readonly [number];
type IntOrPair = number | readonly [number, number];
type IntOrTriple = number | readonly [number, number, number];

/**
 * Puts each value of `[N, C, L]` (or `[C, L]`) at its max-pool index in a zero `[N, C, Lo]`, as
 * torch.nn.functional.max_unpool1d(input, indices, kernel_size, stride=None, padding=0,
 * output_size=None); Lo = (L − 1)·stride − 2·padding + kernel unless `outputSize` is given.
 */
export function maxUnpool1d(
  x: Tensor,
  indices: Tensor,
  kernelSize: Int1,
  ...rest: WithOptions<MaxUnpoolPositional<Int1>, MaxUnpoolOptions<Int1>>
): Tensor {
  return maxUnpool(1, [x, indices, kernelSize, ...rest]);
}

/** 2-D max unpooling of `[N, C, H, W]`, as torch.nn.functional.max_unpool2d (as maxUnpool1d). */
export function maxUnpool2d(
  x: Tensor,
  indices: Tensor,
  kernelSize: IntOrPair,
  ...rest: WithOptions<MaxUnpoolPositional<IntOrPair>, MaxUnpoolOptions<IntOrPair>>
): Tensor {
  return maxUnpool(2, [x, indices, kernelSize, ...rest]);
}

/** 3-D max unpooling of `[N, C, D, H, W]`, as torch.nn.functional.max_unpool3d (as maxUnpool1d). */
export function maxUnpool3d(
  x: Tensor,
  indices: Tensor,
  kernelSize: IntOrTriple,
  ...rest: WithOptions<MaxUnpoolPositional<IntOrTriple>, MaxUnpoolOptions<IntOrTriple>>
): Tensor {
  return maxUnpool(3, [x, indices, kernelSize, ...rest]);
}

/** Options of `lpPool1d/2d` after the kernel size; defaults stride = kernel, ceilMode false. */
export interface LPPoolOptions<P> {
  stride?: P | null;
  ceilMode?: boolean;
}

function lpSignature(op: string, n: number) {
  return signature(op, {
    input: tensorArg,
    normType: num,
    kernelSize: ints(n),
    stride: opt(nullable(ints(n)), null),
    ceilMode: opt(bool, false),
  });
}
const LP1 = lpSignature("lpPool1d", 1);
const LP2 = lpSignature("lpPool2d", 2);

/** PyTorch's lp_pool tail: (sign(s)·relu(|s|)·kernelArea)^(1/p) of the window means s. */
function lpTail(s: Tensor, area: number, p: number): Tensor {
  return s
    .sign()
    .mul(s.abs().relu())
    .mul(area)
    .pow(1 / p);
}

/**
 * Power-average pooling (Σ_window x^p)^(1/p) over `[N, C, L]`, as
 * torch.nn.functional.lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False).
 */
export function lpPool1d(
  x: Tensor,
  normType: number,
  kernelSize: Int1,
  ...rest: WithOptions<[stride: Int1 | null, ceilMode: boolean], LPPoolOptions<Int1>>
): Tensor {
  const a = parseArgs(LP1, [x, normType, kernelSize, ...rest]);
  if (a.normType === 0) throw new ValueError("lpPool1d: norm_type must not be 0");
  const k = tupleN(a.kernelSize, 1);
  const s = a.stride === null ? k : tupleN(a.stride, 1);
  const avg = avgPool1d(a.input.pow(a.normType), k[0]!, s[0]!, 0, a.ceilMode);
  return lpTail(avg, k[0]!, a.normType);
}

/**
 * Power-average pooling over `[N, C, H, W]`, as torch.nn.functional.lp_pool2d(input, norm_type,
 * kernel_size, stride=None, ceil_mode=False).
 */
export function lpPool2d(
  x: Tensor,
  normType: number,
  kernelSize: IntOrPair,
  ...rest: WithOptions<[stride: IntOrPair | null, ceilMode: boolean], LPPoolOptions<IntOrPair>>
): Tensor {
  const a = parseArgs(LP2, [x, normType, kernelSize, ...rest]);
  if (a.normType === 0) throw new ValueError("lpPool2d: norm_type must not be 0");
  const k = tupleN(a.kernelSize, 2) as [number, number];
  const s = a.stride === null ? k : (tupleN(a.stride, 2) as [number, number]);
  const avg = avgPool2d(a.input.pow(a.normType), k, s, 0, a.ceilMode);
  return lpTail(avg, k[0] * k[1], a.normType);
}

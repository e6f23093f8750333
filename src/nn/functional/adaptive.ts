// Function forms of adaptive pooling beside adaptive_avg_pool2d (pool.ts): adaptive_avg_pool1d/3d
// and adaptive_max_pool1d/2d/3d (with `return_indices` giving `[out, indices]`), with PyTorch's
// signatures and checks. Windows are gathered by the N-d code of src/ops/window.ts.

import {
  bool,
  checkArity,
  custom,
  either,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { full } from "../../ops/dispatch.ts";
import { adaptiveAvgPoolNd, adaptiveWindow, maxPoolNd } from "../../ops/window.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import { batchedNd } from "./pool-nd.ts";

/** An adaptive pool's output size: one size for every dim, or one per dim (null keeps the input's). */
export type AdaptiveSize<N extends number> = number | null | AdaptiveTuple<N>;
type AdaptiveTuple<N extends number> = N extends 1
  ? readonly [number | null]
  : N extends 2
    ? readonly [number | null, number | null]
    : readonly [number | null, number | null, number | null];

const outSize = nullable(int);
/** The checker of an `output_size` argument of an n-d adaptive pool. */
export function adaptiveSizeArg(n: number) {
  return either(
    outSize,
    custom(
      `an array of ${n} ints or nulls`,
      (v): v is readonly (number | null)[] =>
        Array.isArray(v) && v.length === n && v.every(outSize.test),
    ),
  );
}

const RANK_OPS: Record<number, string> = { 1: "1d", 2: "2d", 3: "3d" };

/** Checks the input of an n-d adaptive pool and resolves `outputSize` against it. */
function resolve(
  op: string,
  n: number,
  x: Tensor,
  outputSize: number | null | readonly (number | null)[],
): number[] {
  const torchOp = `adaptive_${op.startsWith("adaptiveMax") ? "max" : "avg"}_pool${RANK_OPS[n]}`;
  if (x.ndim !== n + 1 && x.ndim !== n + 2) {
    if (n === 1) {
      throw new ShapeError(
        `${op}: Expected 2 to 3 dimensions, but got ${x.ndim}-dimensional tensor for argument #1 'self' (while checking arguments for ${torchOp})`,
      );
    }
    throw new ShapeError(
      `${op}: ${torchOp}(): Expected ${n + 1}D or ${n + 2}D tensor, but got ${formatShape(x.shape)}`,
    );
  }
  const spatial = x.shape.slice(x.ndim - n);
  const dim = spatial.indexOf(0);
  if (dim >= 0) {
    throw new ShapeError(
      `${op}: ${torchOp}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${formatShape(x.shape)} with dimension ${x.ndim - n + dim} being empty`,
    );
  }
  const sizes = Array.isArray(outputSize)
    ? (outputSize as (number | null)[])
    : new Array<number | null>(n).fill(outputSize as number | null);
  const out = sizes.map((s, i) => s ?? spatial[i]!);
  if (out.some((o) => o < 0)) {
    throw new ValueError(
      `${op}: elements of output_size must be greater than or equal to 0 but received {${out.join(", ")}}`,
    );
  }
  return out;
}

function adaptiveAvg(
  op: string,
  n: number,
  args: IArguments,
  x: Tensor,
  outputSize: unknown,
): Tensor {
  checkArity(op, args, 2);
  const a = parseArgs(signature(op, { input: tensorArg, outputSize: adaptiveSizeArg(n) }), [
    x,
    outputSize,
  ]);
  const out = resolve(op, n, a.input, a.outputSize);
  return batchedNd(a.input, n, (b) => adaptiveAvgPoolNd(b, out));
}

/**
 * Average pooling of `[N, C, L]` (or `[C, L]`) to `outputSize` bins, as
 * torch.nn.functional.adaptive_avg_pool1d(input, output_size): bin i spans
 * [⌊iL/o⌋, ⌈(i+1)L/o⌉).
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: AdaptiveSize<1>): Tensor {
  return adaptiveAvg("adaptiveAvgPool1d", 1, arguments, x, outputSize);
}

/**
 * Average pooling of `[N, C, D, H, W]` (or `[C, D, H, W]`) to `outputSize`, as
 * torch.nn.functional.adaptive_avg_pool3d(input, output_size) (null keeps that input dim).
 */
export function adaptiveAvgPool3d(x: Tensor, outputSize: AdaptiveSize<3>): Tensor {
  return adaptiveAvg("adaptiveAvgPool3d", 3, arguments, x, outputSize);
}

/** The options of an adaptive max pool: `returnIndices` (default false). */
export interface AdaptiveMaxOptions {
  returnIndices?: boolean;
}
/** `returnIndices: true`, positionally or as the option. */
export type IndicesTrue = [true] | [{ returnIndices: true }];
/** `returnIndices` absent or false. */
export type IndicesFalse = [] | [false] | [{ returnIndices?: false }];

function adaptiveMax(
  op: string,
  n: number,
  x: Tensor,
  outputSize: unknown,
  rest: unknown[],
): Tensor | [Tensor, Tensor] {
  const sig = signature(op, {
    input: tensorArg,
    outputSize: adaptiveSizeArg(n),
    returnIndices: opt(bool, false),
  });
  const a = parseArgs(sig, [x, outputSize, ...rest]);
  const out = resolve(op, n, a.input, a.outputSize);
  return batchedNd(a.input, n, (b): Tensor | [Tensor, Tensor] => {
    if (out.includes(0)) {
      // an empty output has no windows to take a max over
      const shape = [...b.shape.slice(0, 2), ...out];
      const values = full(shape, 0, b.dtype).add(b.sum().mul(0));
      return a.returnIndices ? [values, full(shape, 0, "int32")] : values;
    }
    const r = maxPoolNd(b, adaptiveWindow(b.shape.slice(2), out), out, true);
    return a.returnIndices ? [r.values, r.indices()] : r.values;
  });
}

/**
 * Max pooling of `[N, C, L]` (or `[C, L]`) to `outputSize` bins, as
 * torch.nn.functional.adaptive_max_pool1d(input, output_size, return_indices=False); with
 * returnIndices, `[out, indices]` (int32 positions along L).
 */
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: AdaptiveSize<1>,
  ...rest: IndicesTrue
): [Tensor, Tensor];
export function adaptiveMaxPool1d(
  x: Tensor,
  outputSize: AdaptiveSize<1>,
  ...rest: IndicesFalse
): Tensor;
export function adaptiveMaxPool1d(x: Tensor, outputSize: AdaptiveSize<1>, ...rest: unknown[]) {
  return adaptiveMax("adaptiveMaxPool1d", 1, x, outputSize, rest);
}

/**
 * Max pooling of `[N, C, H, W]` (or `[C, H, W]`) to `outputSize`, as
 * torch.nn.functional.adaptive_max_pool2d(input, output_size, return_indices=False); indices
 * are flat positions within each H·W plane.
 */
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveSize<2>,
  ...rest: IndicesTrue
): [Tensor, Tensor];
export function adaptiveMaxPool2d(
  x: Tensor,
  outputSize: AdaptiveSize<2>,
  ...rest: IndicesFalse
): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize<2>, ...rest: unknown[]) {
  return adaptiveMax("adaptiveMaxPool2d", 2, x, outputSize, rest);
}

/**
 * Max pooling of `[N, C, D, H, W]` (or `[C, D, H, W]`) to `outputSize`, as
 * torch.nn.functional.adaptive_max_pool3d(input, output_size, return_indices=False); indices
 * are flat positions within each D·H·W plane.
 */
export function adaptiveMaxPool3d(
  x: Tensor,
  outputSize: AdaptiveSize<3>,
  ...rest: IndicesTrue
): [Tensor, Tensor];
export function adaptiveMaxPool3d(
  x: Tensor,
  outputSize: AdaptiveSize<3>,
  ...rest: IndicesFalse
): Tensor;
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize<3>, ...rest: unknown[]) {
  return adaptiveMax("adaptiveMaxPool3d", 3, x, outputSize, rest);
}

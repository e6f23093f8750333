// What the convolution functions (conv1d/conv2d in layers.ts, conv3d in conv-nd.ts) share: their
// signature, PyTorch's checks and messages, "same"/"valid" padding resolution and the unbatched
// input handling. Depends on core and the tensor type only, never on ops or layers.

import { either, int, ints, oneOf, opt, signature } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { optTensor, tensorArg } from "./args.ts";

/**
 * The signature of conv{n}d: `(input, weight, bias?, stride = 1, padding = 0, dilation = 1,
 * groups = 1)`, padding also "valid" or "same".
 */
export function convSignature(op: string, n: number) {
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

/** `v` as `n` numbers (one int repeated, or the array). */
export const tupleN = (v: number | readonly number[], n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

/**
 * Padding before and after each spatial dim; "same" puts the odd extra element after, as
 * PyTorch's _conv_forward.
 */
export function samePadding(
  kernel: readonly number[],
  dilation: readonly number[],
): { lo: number[]; hi: number[] } {
  const total = kernel.map((k, i) => dilation[i]! * (k - 1));
  const lo = total.map((t) => Math.floor(t / 2));
  return { lo, hi: total.map((t, i) => t - lo[i]!) };
}

/**
 * A convolution's padding before (`lo`) and after (`hi`) each spatial dim: explicit, "valid"
 * (none) or "same" (samePadding; PyTorch rejects it for strided convolutions).
 */
export function convPadding(
  op: string,
  padding: readonly number[] | "valid" | "same",
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): { lo: number[]; hi: number[] } {
  if (padding === "same") {
    if (stride.some((s) => s !== 1))
      throw new ValueError(`${op}: padding='same' is not supported for strided convolutions`);
    return samePadding(kernel, dilation);
  }
  const lo = padding === "valid" ? kernel.map(() => 0) : [...padding];
  return { lo, hi: lo };
}

/**
 * `fn` on the input of conv{n}d with a batch dim added when it is unbatched (`n + 1` dims) and
 * removed again from the result; any other rank throws PyTorch's error.
 */
export function convBatched(
  op: string,
  n: number,
  input: Tensor,
  fn: (b: Tensor) => Tensor,
): Tensor {
  if (input.ndim !== n + 1 && input.ndim !== n + 2) {
    throw new ShapeError(
      `${op}: Expected ${n + 1}D (unbatched) or ${n + 2}D (batched) input to ${op}, but got input of size: ${formatShape(input.shape)}`,
    );
  }
  if (input.ndim === n + 2) return fn(input);
  return fn(input.unsqueeze(0)).squeeze(0);
}

/**
 * PyTorch's convolution checks, in its order and with its messages, on the batched input `x`
 * ([N, C, *spatial], `n` spatial dims): hyper-parameters, then weight, channels, bias, sizes.
 */
export function checkConv(
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
    if (n === 3) {
      throw new ValueError(
        `${op}: kernel size should be greater than zero, but got: ${k.join(" x ")} (TxHxW)`,
      );
    }
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

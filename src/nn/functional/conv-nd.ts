// conv3d, the function form of nn.Conv3d, with PyTorch's signature (positional or one options
// object, API.md rule 2) and its checks (shared with conv1d/conv2d in conv-args.ts). The work is
// the N-d im2col gather + matmul of src/ops/window.ts. Depends on src/ops, never on layers.

import { parseArgs, type WithOptions } from "../../core/args.ts";
import { ShapeError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { convOutSize } from "../../ops/conv.ts";
import { convNdIm2col } from "../../ops/window.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { checkConv, convBatched, convPadding, convSignature, tupleN } from "./conv-args.ts";

// Defined in conv-args.ts (conv1d/conv2d share them); exported here too for the N-d callers.
export { samePadding, tupleN } from "./conv-args.ts";

/** A number or one value per spatial dim of a 3-D window: `[d, h, w]`. */
export type IntOrTriple = number | readonly [number, number, number];

/**
 * Options of `conv3d` after the bias; defaults stride 1, padding 0, dilation 1, groups 1, as
 * torch.nn.functional.conv3d.
 */
export interface Conv3dOptions {
  stride?: IntOrTriple;
  /** Implicit zero padding: a number, one per dim, "valid" (0) or "same" (output size = input size). */
  padding?: IntOrTriple | "valid" | "same";
  dilation?: IntOrTriple;
  groups?: number;
}

const CONV3D = convSignature("conv3d", 3);

/**
 * The checked N-d convolution of a batched input `[N, C, ...S]` (padding a number per dim,
 * "valid" or "same"); used by conv3d and by the Conv layers' non-zero padding modes.
 */
export function convNd(
  op: string,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  stride: readonly number[],
  padding: readonly number[] | "valid" | "same",
  dilation: readonly number[],
  groups: number,
): Tensor {
  const n = x.ndim - 2;
  checkConv(op, n, x, weight, bias, stride, padding, dilation, groups);
  const kernel = weight.shape.slice(2);
  const { lo, hi } = convPadding(op, padding, kernel, stride, dilation);
  const out = x.shape
    .slice(2)
    .map((s, d) => convOutSize(s, kernel[d]!, stride[d]!, lo[d]!, hi[d]!, dilation[d]!));
  if (out.some((o) => o <= 0)) {
    throw new ShapeError(
      `${op}: Calculated output size: (${out.join("x")}) is too small for input ${formatShape(x.shape)} and kernel ${kernel.join("x")}`,
    );
  }
  return convNdIm2col(
    x,
    weight,
    bias,
    { kernel, stride, dilation, padLo: lo, padHi: hi },
    groups,
    out,
  );
}

/**
 * 3-D cross-correlation, as torch.nn.functional.conv3d(input, weight, bias=None, stride=1,
 * padding=0, dilation=1, groups=1): `x [N, C, D, H, W]` (or unbatched `[C, D, H, W]`),
 * `weight [O, C/groups, kd, kh, kw]`, `bias [O]` → `[N, O, Do, Ho, Wo]`,
 * Do = ⌊(D + 2p − d(k − 1) − 1)/s⌋ + 1. Padding is a number, a triple, "valid" or "same".
 *
 * @example F.conv3d(x, w, b, 1, 1); // = F.conv3d(x, w, b, { stride: 1, padding: 1 })
 */
export function conv3d(
  x: Tensor,
  weight: Tensor,
  ...rest: WithOptions<
    [
      bias: Tensor | null,
      stride: IntOrTriple,
      padding: IntOrTriple | "valid" | "same",
      dilation: IntOrTriple,
      groups: number,
    ],
    Conv3dOptions
  >
): Tensor {
  const a = parseArgs(CONV3D, [x, weight, ...rest]);
  const p = a.padding;
  return convBatched("conv3d", 3, a.input, (b) =>
    convNd(
      "conv3d",
      b,
      a.weight,
      a.bias,
      tupleN(a.stride, 3),
      typeof p === "string" ? p : tupleN(p, 3),
      tupleN(a.dilation, 3),
      a.groups,
    ),
  );
}

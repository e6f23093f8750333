// More activations of nn.functional: the randomized and learnable rectifiers (rrelu, prelu), the
// hard and smooth gates (hardswish, hardsigmoid, mish, logsigmoid, softsign, tanhshrink), the
// shrinkage functions, softmin and glu. Compositions of differentiable primitives with PyTorch's
// gradients at the kinks. Depends on src/ops, src/tensor and src/core only.

import {
  bool,
  checkArity,
  instanceOf,
  int,
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
import { rand } from "../../ops/creation.ts";
import { where } from "../../ops/elementwise.ts";
import { named } from "../../tensor/autograd.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { implicitSoftmaxDim, type SoftmaxOptions, softmaxAlong, softplus } from "./activation.ts";
import {
  checkNonNegativeSlope,
  inplaceKeepingInput,
  inplaceSavingResult,
} from "./activation-inplace.ts";
import { tensorArg } from "./args.ts";

/** Options of `rrelu` after the input; defaults lower 1/8, upper 1/3, training and inplace false. */
export interface RReLUOptions {
  lower?: number;
  upper?: number;
  training?: boolean;
  inplace?: boolean;
  /** The random source of the slopes (the default generator otherwise, seeded by `manualSeed`). */
  generator?: Generator;
}

function rreluSignature(op: string, withInplace: boolean) {
  return signature(
    op,
    {
      input: tensorArg,
      lower: opt(num, 1 / 8),
      upper: opt(num, 1 / 3),
      training: opt(bool, false),
      ...(withInplace ? { inplace: opt(bool, false) } : {}),
    },
    { generator: opt(instanceOf(Generator, "a Generator")) },
  );
}
const RRELU = rreluSignature("rrelu", true);
const RRELU_ = rreluSignature("rrelu_", false);

function rreluImpl(
  x: Tensor,
  a: { lower: number; upper: number; training: boolean; generator: Generator | undefined },
  inplace: boolean,
  op: string,
): Tensor {
  const { lower, upper } = a;
  if (!(lower <= upper)) {
    throw new ValueError(
      `${op}: Lower bound should be less than or equal to the upper bound, got lower=${lower}, upper=${upper}`,
    );
  }
  if (x.dtype !== "float32" && x.dtype !== "float64") {
    throw new DTypeError(`${op}: expected a float32 or float64 input, got ${x.dtype}`);
  }
  if (!a.training) {
    const slope = (lower + upper) / 2;
    const f = (t: Tensor) => named(where(t.gt(0), t, t.mul(slope)), "RreluWithNoiseBackward0", [t]);
    if (!inplace) return f(x);
    return inplaceSavingResult(x, op, "RreluWithNoiseBackward1", f, (g, y) => {
      checkNonNegativeSlope("leakyReLu", slope);
      return where(y.gt(0), g, g.mul(slope));
    });
  }
  // One slope r ~ U(lower, upper) per element x ≤ 0, 1 elsewhere; the gradient is the slope.
  const r = rand(x.shape, { dtype: x.dtype, generator: a.generator ?? defaultGenerator });
  const noise = where(x.detach().le(0), r.mul(upper - lower).add(lower), 1);
  const f = (t: Tensor) => named(t.mul(noise), "RreluWithNoiseBackward0", [t]);
  if (!inplace) return f(x);
  return inplaceSavingResult(x, op, "RreluWithNoiseBackward1", f, (g) => g.mul(noise));
}

/**
 * Randomized leaky ReLU, as torch.nn.functional.rrelu(input, lower=1/8, upper=1/3,
 * training=False, inplace=False): in training each x ≤ 0 is scaled by its own slope drawn
 * uniformly from [lower, upper) (Kiln's RNG, so the draws differ from PyTorch's), otherwise by
 * the fixed (lower + upper)/2. Kiln's keyword-only `generator` seeds the slopes.
 */
export function rrelu(
  x: Tensor,
  ...rest: WithOptions<
    [lower: number, upper: number, training: boolean, inplace: boolean],
    RReLUOptions
  >
): Tensor {
  const a = parseArgs(RRELU, [x, ...rest]);
  return rreluImpl(a.input, a, a.inplace ?? false, "rrelu");
}

/** rrelu in place, as torch.nn.functional.rrelu_(input, lower=1/8, upper=1/3, training=False). */
export function rrelu_(
  x: Tensor,
  ...rest: WithOptions<
    [lower: number, upper: number, training: boolean],
    Omit<RReLUOptions, "inplace">
  >
): Tensor {
  const a = parseArgs(RRELU_, [x, ...rest]);
  return rreluImpl(a.input, a, true, "rrelu_");
}

const PRELU = signature("prelu", { input: tensorArg, weight: tensorArg });

/**
 * max(0, x) + weight·min(0, x), as torch.nn.functional.prelu(input, weight): `weight` holds one
 * slope, or one per channel (dim 1 of `[N, C, *]`).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  checkArity("prelu", arguments, 2);
  const { input, weight: w } = parseArgs(PRELU, [x, weight]);
  if (w.ndim > 1) {
    throw new ShapeError(
      `prelu: Expected \`weight\` to be a scalar or 1D tensor, but got ndim = ${w.ndim}`,
    );
  }
  let slope: Tensor;
  if (w.numel() === 1) slope = w.reshape([]);
  else {
    if (input.ndim === 0) throw new ShapeError("prelu: Not allow zero-dim input tensor.");
    const channels = input.ndim >= 2 ? input.shape[1]! : 1;
    if (channels !== w.numel()) {
      throw new ShapeError(
        `prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${w.numel()} and channel size = ${channels}.`,
      );
    }
    slope = w.reshape([channels, ...new Array<number>(input.ndim - 2).fill(1)]);
  }
  return named(where(input.gt(0), input, input.mul(slope)), "PreluBackward0", [input, w]);
}

const INPLACE_ONLY = { input: tensorArg, inplace: opt(bool, false) };
const MISH = signature("mish", INPLACE_ONLY);
const HARDSWISH = signature("hardswish", INPLACE_ONLY);
const HARDSIGMOID = signature("hardsigmoid", INPLACE_ONLY);

/** x·tanh(softplus(x)), as torch.nn.functional.mish(input, inplace=False). */
export function mish(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(MISH, [x, ...rest]);
  const f = (t: Tensor) => named(t.mul(softplus(t).tanh()), "MishBackward0", [t]);
  return a.inplace ? inplaceKeepingInput(a.input, "mish", f) : f(a.input);
}

/**
 * x·relu6(x + 3)/6, as torch.nn.functional.hardswish(input, inplace=False). The gradient is
 * PyTorch 1.13's: 0 below −3, x/3 + ½ on [−3, 3) (so −½ at −3), 1 from 3 on.
 */
export function hardswish(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(HARDSWISH, [x, ...rest]);
  const f = (t: Tensor) => {
    const mid = where(t.lt(3), t.mul(t.add(3)).div(6), t);
    return named(where(t.lt(-3), 0, mid), "HardswishBackward0", [t]);
  };
  return a.inplace ? inplaceKeepingInput(a.input, "hardswish", f) : f(a.input);
}

/**
 * relu6(x + 3)/6, as torch.nn.functional.hardsigmoid(input, inplace=False); the gradient is 1/6
 * strictly inside (−3, 3) and 0 elsewhere, as PyTorch's.
 */
export function hardsigmoid(
  x: Tensor,
  ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
): Tensor {
  const a = parseArgs(HARDSIGMOID, [x, ...rest]);
  const f = (t: Tensor) => {
    const inside = t.gt(-3).logicalAnd(t.lt(3));
    const outside = t.detach().clamp(-3, 3).add(3).div(6);
    return named(where(inside, t.add(3).div(6), outside), "HardsigmoidBackward0", [t]);
  };
  return a.inplace ? inplaceKeepingInput(a.input, "hardsigmoid", f) : f(a.input);
}

const UNARY = (op: string) => signature(op, { input: tensorArg });
const LOGSIGMOID = UNARY("logsigmoid");
const SOFTSIGN = UNARY("softsign");
const TANHSHRINK = UNARY("tanhshrink");

/** log σ(x) = −softplus(−x), as torch.nn.functional.logsigmoid(input). */
export function logsigmoid(x: Tensor): Tensor {
  checkArity("logsigmoid", arguments, 1);
  const { input } = parseArgs(LOGSIGMOID, [x]);
  return named(softplus(input.neg()).neg(), "LogSigmoidBackward0", [input]);
}

/** x/(1 + |x|), as torch.nn.functional.softsign(input). */
export function softsign(x: Tensor): Tensor {
  checkArity("softsign", arguments, 1);
  const { input } = parseArgs(SOFTSIGN, [x]);
  return input.div(input.abs().add(1));
}

/** x − tanh(x), as torch.nn.functional.tanhshrink(input). */
export function tanhshrink(x: Tensor): Tensor {
  checkArity("tanhshrink", arguments, 1);
  const { input } = parseArgs(TANHSHRINK, [x]);
  return input.sub(input.tanh());
}

const SOFTSHRINK = signature("softshrink", { input: tensorArg, lambd: opt(num, 0.5) });
const HARDSHRINK = signature("hardshrink", { input: tensorArg, lambd: opt(num, 0.5) });

/**
 * x − λ above λ, x + λ below −λ, 0 between, as torch.nn.functional.softshrink(input, lambd=0.5);
 * λ < 0 throws. The gradient is 0 on [−λ, λ] (bounds included), as PyTorch's.
 */
export function softshrink(
  x: Tensor,
  ...rest: WithOptions<[lambd: number], { lambd?: number }>
): Tensor {
  const { input, lambd } = parseArgs(SOFTSHRINK, [x, ...rest]);
  if (!(lambd >= 0)) {
    throw new ValueError(
      `softshrink: lambda must be greater or equal to 0, but found to be ${lambd}.`,
    );
  }
  const y = where(input.gt(lambd), input.sub(lambd), where(input.lt(-lambd), input.add(lambd), 0));
  return named(y, "SoftshrinkBackward0", [input]);
}

/**
 * x outside [−λ, λ], 0 on it (bounds included, gradient 0 there), as
 * torch.nn.functional.hardshrink(input, lambd=0.5).
 */
export function hardshrink(
  x: Tensor,
  ...rest: WithOptions<[lambd: number], { lambd?: number }>
): Tensor {
  const { input, lambd } = parseArgs(HARDSHRINK, [x, ...rest]);
  const inside = input.ge(-lambd).logicalAnd(input.le(lambd));
  return named(where(inside, 0, input), "HardshrinkBackward0", [input]);
}

const SOFTMIN = signature(
  "softmin",
  { input: tensorArg, dim: opt(nullable(int), null) },
  { dtype: opt(nullable(oneOf("float32", "float64")), null) },
);

/**
 * softmax(−x) along `dim`, as torch.nn.functional.softmin(input, dim=None, *, dtype=None);
 * `dim` null picks PyTorch's legacy implicit dim, as softmax.
 */
export function softmin(
  x: Tensor,
  ...rest: WithOptions<[dim: number | null], SoftmaxOptions>
): Tensor {
  const a = parseArgs(SOFTMIN, [x, ...rest]);
  const input = a.dtype === null ? a.input : a.input.to(a.dtype);
  return softmaxAlong(input.neg(), a.dim ?? implicitSoftmaxDim(input.ndim));
}

const GLU = signature("glu", { input: tensorArg, dim: opt(int, -1) });

/**
 * Gated linear unit: with a, b the two halves of x along `dim`, a·σ(b), as
 * torch.nn.functional.glu(input, dim=-1). Shape: `[*, 2n, *] → [*, n, *]`.
 */
export function glu(x: Tensor, ...rest: WithOptions<[dim: number], { dim?: number }>): Tensor {
  const { input, dim } = parseArgs(GLU, [x, ...rest]);
  if (input.ndim === 0) {
    throw new ShapeError("glu: glu does not support scalars because halving size must be even");
  }
  const n = input.ndim;
  if (dim < -n || dim >= n) {
    throw new IndexError(
      `glu: Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  }
  const d = dim < 0 ? dim + n : dim;
  const size = input.shape[d]!;
  if (size % 2 !== 0) {
    throw new ShapeError(`glu: Halving dimension must be even, but dimension ${d} is size ${size}`);
  }
  const half = size / 2;
  const y = input.narrow(d, 0, half).mul(input.narrow(d, half, half).sigmoid());
  return named(y, "GluBackward0", [input]);
}

// More activation layers: PReLU (learnable slopes), RReLU (random slopes in training), the hard
// and smooth gates, the shrinkage layers, Softmin, Softmax2d and GLU, module forms of
// nn.functional's activation-more.ts with PyTorch's reprs. Constructor arguments in PyTorch's
// order, positional or in one options object (API.md rule 2). Depends on src/nn only below it.

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
import { ShapeError } from "../../core/errors.ts";
import { Generator } from "../../core/rng.ts";
import { full } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { softmaxAlong } from "../functional/activation.ts";
import * as F from "../functional/activation-more.ts";
import { floatDtypeArg } from "../functional/args.ts";
import { constant_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyFloat } from "../repr.ts";
import { pyNumber } from "./activation.ts";

const PRELU = signature(
  "nn.PReLU",
  { numParameters: opt(int, 1), init: opt(num, 0.25) },
  { dtype: floatDtypeArg },
);

/**
 * max(0, x) + a·min(0, x) with learnable slopes `weight [numParameters]` (one, or one per
 * channel of `[N, C, *]`), as torch.nn.PReLU(num_parameters=1, init=0.25, *, dtype).
 *
 * @example new nn.PReLU(16); // one slope per channel of [N, 16, H, W], each starting at 0.25
 */
export class PReLU extends Module {
  /** Number of slopes: 1, or the number of input channels. */
  readonly numParameters: number;
  /** The slopes' initial value (default 0.25). */
  readonly init: number;
  /** The slopes a, `[numParameters]`. */
  weight: Parameter;
  /** Creates the layer from `(numParameters?, init?)`, positional or as options, plus `dtype`. */
  constructor(
    ...args: WithOptions<
      [numParameters: number, init: number],
      { numParameters?: number; init?: number; dtype?: "float32" | "float64" }
    >
  ) {
    super();
    const a = parseArgs(PRELU, args);
    this.numParameters = a.numParameters;
    this.init = a.init;
    this.weight = new Parameter(full([a.numParameters], a.init, a.dtype));
    this.resetParameters();
  }
  /** Fills `weight` with `init`, as PyTorch's reset_parameters. */
  resetParameters(): void {
    constant_(this.weight, this.init);
  }
  override forward(x: Tensor): Tensor {
    return F.prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `num_parameters=${this.numParameters}`;
  }
}

const RRELU = signature(
  "nn.RReLU",
  { lower: opt(num, 1 / 8), upper: opt(num, 1 / 3), inplace: opt(bool, false) },
  { generator: opt(instanceOf(Generator, "a Generator")) },
);

/**
 * Randomized leaky ReLU, as torch.nn.RReLU(lower=1/8, upper=1/3, inplace=False): in training
 * each x ≤ 0 gets a slope drawn from U(lower, upper) (Kiln's RNG, or the keyword-only
 * `generator`), in eval the fixed slope (lower + upper)/2.
 */
export class RReLU extends Module {
  /** Lower bound of the random slope (default 1/8). */
  readonly lower: number;
  /** Upper bound of the random slope (default 1/3). */
  readonly upper: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** The random source of the slopes, or undefined for the default generator. */
  readonly generator: Generator | undefined;
  /** Creates the layer from `(lower?, upper?, inplace?)`, positional or as options. */
  constructor(
    ...args: WithOptions<
      [lower: number, upper: number, inplace: boolean],
      { lower?: number; upper?: number; inplace?: boolean; generator?: Generator }
    >
  ) {
    super();
    const a = parseArgs(RRELU, args);
    this.lower = a.lower;
    this.upper = a.upper;
    this.inplace = a.inplace;
    this.generator = a.generator;
  }
  override forward(x: Tensor): Tensor {
    const options = this.generator === undefined ? {} : { generator: this.generator };
    return F.rrelu(x, this.lower, this.upper, this.training, this.inplace, options);
  }
  override extraRepr(): string {
    const inplace = this.inplace ? ", inplace=True" : "";
    return `lower=${pyFloat(this.lower)}, upper=${pyFloat(this.upper)}${inplace}`;
  }
}

/** An activation layer whose only argument is `inplace`. */
abstract class InplaceActivation extends Module {
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  constructor(op: string, args: ArrayLike<unknown>) {
    super();
    this.inplace = parseArgs(signature(op, { inplace: opt(bool, false) }), args).inplace;
  }
}

/** x·tanh(softplus(x)), as torch.nn.Mish(inplace=False). */
export class Mish extends InplaceActivation {
  /** Creates the layer: `new nn.Mish(inplace?)` or `new nn.Mish({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super("nn.Mish", args);
  }
  override forward(x: Tensor): Tensor {
    return F.mish(x, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

/**
 * x·relu6(x + 3)/6, as torch.nn.Hardswish(inplace=False).
 * PyTorch parity: the repr is `Hardswish()` even with inplace, as PyTorch 1.13 prints it.
 */
export class Hardswish extends InplaceActivation {
  /** Creates the layer: `new nn.Hardswish(inplace?)` or `new nn.Hardswish({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super("nn.Hardswish", args);
  }
  override forward(x: Tensor): Tensor {
    return F.hardswish(x, this.inplace);
  }
}

/**
 * relu6(x + 3)/6, as torch.nn.Hardsigmoid(inplace=False).
 * PyTorch parity: the repr is `Hardsigmoid()` even with inplace, as PyTorch 1.13 prints it.
 */
export class Hardsigmoid extends InplaceActivation {
  /** Creates the layer: `new nn.Hardsigmoid(inplace?)` or `new nn.Hardsigmoid({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super("nn.Hardsigmoid", args);
  }
  override forward(x: Tensor): Tensor {
    return F.hardsigmoid(x, this.inplace);
  }
}

/** log σ(x), as torch.nn.LogSigmoid() (no arguments). */
export class LogSigmoid extends Module {
  /** Creates the layer; it takes no arguments. */
  constructor() {
    super();
    checkArity("nn.LogSigmoid", arguments, 0);
  }
  override forward(x: Tensor): Tensor {
    return F.logsigmoid(x);
  }
}

/** x/(1 + |x|), as torch.nn.Softsign() (no arguments). */
export class Softsign extends Module {
  /** Creates the layer; it takes no arguments. */
  constructor() {
    super();
    checkArity("nn.Softsign", arguments, 0);
  }
  override forward(x: Tensor): Tensor {
    return F.softsign(x);
  }
}

/** x − tanh(x), as torch.nn.Tanhshrink() (no arguments). */
export class Tanhshrink extends Module {
  /** Creates the layer; it takes no arguments. */
  constructor() {
    super();
    checkArity("nn.Tanhshrink", arguments, 0);
  }
  override forward(x: Tensor): Tensor {
    return F.tanhshrink(x);
  }
}

/** A shrinkage layer's one argument, `lambd`. */
abstract class Shrink extends Module {
  /** The half-width λ of the zeroed band [−λ, λ] (default 0.5). */
  readonly lambd: number;
  constructor(op: string, args: ArrayLike<unknown>) {
    super();
    this.lambd = parseArgs(signature(op, { lambd: opt(num, 0.5) }), args).lambd;
  }
  override extraRepr(): string {
    return pyNumber(this.lambd);
  }
}

/** Soft shrinkage, as torch.nn.Softshrink(lambd=0.5); the repr prints λ alone (`Softshrink(0.5)`). */
export class Softshrink extends Shrink {
  /** Creates the layer from `(lambd?)`, positional or as an option. */
  constructor(...args: WithOptions<[lambd: number], { lambd?: number }>) {
    super("nn.Softshrink", args);
  }
  override forward(x: Tensor): Tensor {
    return F.softshrink(x, this.lambd);
  }
}

/** Hard shrinkage, as torch.nn.Hardshrink(lambd=0.5); the repr prints λ alone (`Hardshrink(0.5)`). */
export class Hardshrink extends Shrink {
  /** Creates the layer from `(lambd?)`, positional or as an option. */
  constructor(...args: WithOptions<[lambd: number], { lambd?: number }>) {
    super("nn.Hardshrink", args);
  }
  override forward(x: Tensor): Tensor {
    return F.hardshrink(x, this.lambd);
  }
}

const SOFTMIN = signature("nn.Softmin", { dim: opt(nullable(int), null) });

/** softmax(−x) along `dim`, as torch.nn.Softmin(dim=None) (null: PyTorch's implicit dim). */
export class Softmin extends Module {
  /** The dimension normalised over; null uses PyTorch's legacy implicit dim. */
  readonly dim: number | null;
  /** Creates the layer from `(dim?)`, positional or as an option (default null). */
  constructor(...args: WithOptions<[dim: number | null], { dim?: number | null }>) {
    super();
    this.dim = parseArgs(SOFTMIN, args).dim;
  }
  override forward(x: Tensor): Tensor {
    return F.softmin(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? "None"}`;
  }
}

/** Softmax over channels at each location: `[N, C, H, W]` or `[C, H, W]`, as torch.nn.Softmax2d(). */
export class Softmax2d extends Module {
  /** Creates the layer; it takes no arguments. */
  constructor() {
    super();
    checkArity("nn.Softmax2d", arguments, 0);
  }
  override forward(x: Tensor): Tensor {
    if (x.ndim !== 3 && x.ndim !== 4) {
      throw new ShapeError(
        `Softmax2d: requires a 3D or 4D tensor as input, got ${x.ndim}D of shape [${x.shape.join(", ")}]`,
      );
    }
    return softmaxAlong(x, x.ndim - 3);
  }
}

const GLU_SIG = signature("nn.GLU", { dim: opt(int, -1) });

/** Gated linear unit a·σ(b) over the halves of `dim`, as torch.nn.GLU(dim=-1). */
export class GLU extends Module {
  /** The dimension split in halves (default -1). */
  readonly dim: number;
  /** Creates the layer from `(dim?)`, positional or as an option. */
  constructor(...args: WithOptions<[dim: number], { dim?: number }>) {
    super();
    this.dim = parseArgs(GLU_SIG, args).dim;
  }
  override forward(x: Tensor): Tensor {
    return F.glu(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

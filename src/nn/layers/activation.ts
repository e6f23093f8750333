// Activation layers: module forms of nn.functional's activations, with PyTorch's reprs.
// Constructor arguments in PyTorch's order, positional or in one options object (API.md rule 2).

import {
  bool,
  checkArity,
  custom,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import * as F from "../functional/activation.ts";
import { Module } from "../module.ts";
import { pyFloat } from "../repr.ts";

const RELU = signature("nn.ReLU", { inplace: opt(bool, false) });

/** max(0, x), as torch.nn.ReLU(inplace=False). */
export class ReLU extends Module {
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer: `new nn.ReLU(inplace?)` or `new nn.ReLU({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super();
    this.inplace = parseArgs(RELU, args).inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.relu(x, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

const LEAKY = signature("nn.LeakyReLU", {
  negativeSlope: opt(num, 0.01),
  inplace: opt(bool, false),
});

/**
 * x for x > 0, negativeSlope·x otherwise, as torch.nn.LeakyReLU(negative_slope=0.01, inplace=False).
 *
 * @example new nn.LeakyReLU(0.2, true); // = new nn.LeakyReLU({ negativeSlope: 0.2, inplace: true })
 */
export class LeakyReLU extends Module {
  /** Slope for negative inputs (default 0.01). */
  readonly negativeSlope: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer from `(negativeSlope?, inplace?)`, positional or as options. */
  constructor(
    ...args: WithOptions<
      [negativeSlope: number, inplace: boolean],
      { negativeSlope?: number; inplace?: boolean }
    >
  ) {
    super();
    const a = parseArgs(LEAKY, args);
    this.negativeSlope = a.negativeSlope;
    this.inplace = a.inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope, this.inplace);
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${this.inplace ? ", inplace=True" : ""}`;
  }
}

const ELU_SIG = signature("nn.ELU", { alpha: opt(num, 1), inplace: opt(bool, false) });

/** x for x > 0, α(eˣ − 1) otherwise, as torch.nn.ELU(alpha=1.0, inplace=False). */
export class ELU extends Module {
  /** The α scale of the negative part (default 1.0). */
  readonly alpha: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer from `(alpha?, inplace?)`, positional or as options. */
  constructor(
    ...args: WithOptions<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>
  ) {
    super();
    const a = parseArgs(ELU_SIG, args);
    this.alpha = a.alpha;
    this.inplace = a.inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.elu(x, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ", inplace=True" : ""}`;
  }
}

const GELU_SIG = signature("nn.GELU", { approximate: opt(oneOf("none", "tanh"), "none") });

/** Gaussian error linear unit, exact or "tanh", as torch.nn.GELU(approximate='none'). */
export class GELU extends Module {
  /** "none" for the exact erf form (the default), "tanh" for the tanh approximation. */
  readonly approximate: "none" | "tanh";
  /** Creates the layer from `(approximate?)`, positional or as an option. */
  constructor(
    ...args: WithOptions<[approximate: "none" | "tanh"], { approximate?: "none" | "tanh" }>
  ) {
    super();
    this.approximate = parseArgs(GELU_SIG, args).approximate;
  }
  override forward(x: Tensor): Tensor {
    return F.gelu(x, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

const SILU = signature("nn.SiLU", { inplace: opt(bool, false) });

/** x·σ(x), as torch.nn.SiLU(inplace=False). */
export class SiLU extends Module {
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer: `new nn.SiLU(inplace?)` or `new nn.SiLU({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super();
    this.inplace = parseArgs(SILU, args).inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.silu(x, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

/** 1/(1 + e^−x), as torch.nn.Sigmoid() (no arguments). */
export class Sigmoid extends Module {
  /** Creates the layer; it takes no arguments. */
  constructor() {
    super();
    checkArity("nn.Sigmoid", arguments, 0);
  }
  override forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}

/** tanh(x), as torch.nn.Tanh() (no arguments). */
export class Tanh extends Module {
  /** Creates the layer; it takes no arguments. */
  constructor() {
    super();
    checkArity("nn.Tanh", arguments, 0);
  }
  override forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

function softmaxSignature(op: string) {
  return signature(op, { dim: opt(nullable(int), null) });
}
const SOFTMAX = softmaxSignature("nn.Softmax");
const LOG_SOFTMAX = softmaxSignature("nn.LogSoftmax");

/**
 * Softmax along `dim` (max subtracted first), as torch.nn.Softmax(dim=None).
 * PyTorch parity: `dim` null uses PyTorch's legacy implicit dim (see F.softmax).
 *
 * @example new nn.Softmax(1); // = new nn.Softmax({ dim: 1 })
 */
export class Softmax extends Module {
  /** The dimension normalised over; null uses PyTorch's legacy implicit dim. */
  readonly dim: number | null;
  /** Creates the layer from `(dim?)`, positional or as an option (default null). */
  constructor(...args: WithOptions<[dim: number | null], { dim?: number | null }>) {
    super();
    this.dim = parseArgs(SOFTMAX, args).dim;
  }
  override forward(x: Tensor): Tensor {
    return F.softmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? "None"}`;
  }
}

/** log softmax along `dim`, as torch.nn.LogSoftmax(dim=None) (arguments as Softmax's). */
export class LogSoftmax extends Module {
  /** The dimension normalised over; null uses PyTorch's legacy implicit dim. */
  readonly dim: number | null;
  /** Creates the layer from `(dim?)`, positional or as an option (default null). */
  constructor(...args: WithOptions<[dim: number | null], { dim?: number | null }>) {
    super();
    this.dim = parseArgs(LOG_SOFTMAX, args).dim;
  }
  override forward(x: Tensor): Tensor {
    return F.logSoftmax(x, this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim ?? "None"}`;
  }
}

const SOFTPLUS = signature("nn.Softplus", { beta: opt(num, 1), threshold: opt(num, 20) });

/** log(1 + e^(βx))/β, linear above `threshold`, as torch.nn.Softplus(beta=1, threshold=20). */
export class Softplus extends Module {
  /** The β of log(1 + e^(βx))/β (default 1). */
  readonly beta: number;
  /** Above this value of βx the layer is linear (default 20). */
  readonly threshold: number;
  /** Creates the layer from `(beta?, threshold?)`, positional or as options. */
  constructor(
    ...args: WithOptions<[beta: number, threshold: number], { beta?: number; threshold?: number }>
  ) {
    super();
    const a = parseArgs(SOFTPLUS, args);
    this.beta = a.beta;
    this.threshold = a.threshold;
  }
  override forward(x: Tensor): Tensor {
    return F.softplus(x, this.beta, this.threshold);
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

const deprecatedBound = (use: string) =>
  opt(custom(`null (deprecated in PyTorch; use ${use})`, (v): v is null => v === null));

const HARDTANH = signature("nn.Hardtanh", {
  minVal: opt(num, -1),
  maxVal: opt(num, 1),
  inplace: opt(bool, false),
  minValue: deprecatedBound("minVal"),
  maxValue: deprecatedBound("maxVal"),
});

/**
 * clamp(x, minVal, maxVal), as torch.nn.Hardtanh(min_val=-1.0, max_val=1.0, inplace=False).
 * PyTorch parity: the deprecated `min_value`/`max_value` are accepted only as null.
 */
export class Hardtanh extends Module {
  /** Lower bound of the output (default -1). */
  readonly minVal: number;
  /** Upper bound of the output (default 1). */
  readonly maxVal: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer from `(minVal?, maxVal?, inplace?)`, positional or as options. */
  constructor(
    ...args: WithOptions<
      [minVal: number, maxVal: number, inplace: boolean],
      { minVal?: number; maxVal?: number; inplace?: boolean }
    >
  ) {
    super();
    const a = parseArgs(HARDTANH, args);
    if (!(a.maxVal > a.minVal)) {
      throw new ValueError(
        `nn.Hardtanh: maxVal must be greater than minVal, got minVal=${a.minVal}, maxVal=${a.maxVal}`,
      );
    }
    this.minVal = a.minVal;
    this.maxVal = a.maxVal;
    this.inplace = a.inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.hardtanh(x, this.minVal, this.maxVal, this.inplace);
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${this.inplace ? ", inplace=True" : ""}`;
  }
}

const RELU6 = signature("nn.ReLU6", { inplace: opt(bool, false) });

/**
 * min(max(0, x), 6), as torch.nn.ReLU6(inplace=False): a Hardtanh(0, 6), as in PyTorch, so
 * `minVal`/`maxVal` read 0 and 6.
 */
export class ReLU6 extends Hardtanh {
  /** Creates the layer: `new nn.ReLU6(inplace?)` or `new nn.ReLU6({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super(0, 6, parseArgs(RELU6, args).inplace);
  }
  override forward(x: Tensor): Tensor {
    return F.relu6(x, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

const SELU_SIG = signature("nn.SELU", { inplace: opt(bool, false) });

/** scale·ELU(x, α) with PyTorch's fixed α ≈ 1.6733, scale ≈ 1.0507, as torch.nn.SELU(inplace=False). */
export class SELU extends Module {
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer: `new nn.SELU(inplace?)` or `new nn.SELU({ inplace })`. */
  constructor(...args: WithOptions<[inplace: boolean], { inplace?: boolean }>) {
    super();
    this.inplace = parseArgs(SELU_SIG, args).inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.selu(x, this.inplace);
  }
  override extraRepr(): string {
    return this.inplace ? "inplace=True" : "";
  }
}

const CELU_SIG = signature("nn.CELU", { alpha: opt(num, 1), inplace: opt(bool, false) });

/** max(0, x) + min(0, α(e^(x/α) − 1)), as torch.nn.CELU(alpha=1.0, inplace=False). */
export class CELU extends Module {
  /** The α of the negative part (default 1.0). */
  readonly alpha: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer from `(alpha?, inplace?)`, positional or as options. */
  constructor(
    ...args: WithOptions<[alpha: number, inplace: boolean], { alpha?: number; inplace?: boolean }>
  ) {
    super();
    const a = parseArgs(CELU_SIG, args);
    this.alpha = a.alpha;
    this.inplace = a.inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.celu(x, this.alpha, this.inplace);
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ", inplace=True" : ""}`;
  }
}

const THRESHOLD = signature("nn.Threshold", {
  threshold: num,
  value: num,
  inplace: opt(bool, false),
});

/**
 * x where x > threshold, else value, as torch.nn.Threshold(threshold, value, inplace=False).
 * PyTorch parity: the repr prints the numbers as given (`Threshold(threshold=0.1, value=20)`);
 * an integral number prints as an int, since JavaScript does not tell 20 from 20.0.
 */
export class Threshold extends Module {
  /** Inputs at or below it are replaced. */
  readonly threshold: number;
  /** The replacement value. */
  readonly value: number;
  /** Whether forward overwrites its input (default false). */
  readonly inplace: boolean;
  /** Creates the layer from `(threshold, value, inplace?)`; `inplace` positional or as an option. */
  constructor(
    threshold: number,
    value: number,
    ...rest: WithOptions<[inplace: boolean], { inplace?: boolean }>
  ) {
    super();
    const a = parseArgs(THRESHOLD, [threshold, value, ...rest]);
    this.threshold = a.threshold;
    this.value = a.value;
    this.inplace = a.inplace;
  }
  override forward(x: Tensor): Tensor {
    return F.threshold(x, this.threshold, this.value, this.inplace);
  }
  override extraRepr(): string {
    const inplace = this.inplace ? ", inplace=True" : "";
    return `threshold=${pyNumber(this.threshold)}, value=${pyNumber(this.value)}${inplace}`;
  }
}

/** A number as Python's `str` writes an int or a float given as such (`20`, `0.1`, `1e-05`). */
export function pyNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : pyFloat(x);
}

// nn.init: in-place weight initialisers with PyTorch's formulas and gains (torch/nn/init.py).
// Each fills its tensor under noGrad and returns it. Arguments in PyTorch's order, positional or
// in one trailing options object (API.md rule 2); Kiln's `generator` is keyword-only.
// Depends on src/ops, src/tensor, src/core.

import {
  checkArity,
  instanceOf,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { eye, rand, randn } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

/** The names `calculateGain` knows, PyTorch's spellings plus Kiln's camelCase "leakyRelu". */
export type Nonlinearity =
  | "linear"
  | "conv1d"
  | "conv2d"
  | "conv3d"
  | "conv_transpose1d"
  | "conv_transpose2d"
  | "conv_transpose3d"
  | "sigmoid"
  | "tanh"
  | "relu"
  | "leaky_relu"
  | "leakyRelu"
  | "selu";

/** The option every initialiser takes: the random source (the default generator otherwise). */
export interface InitOptions {
  generator?: Generator;
}

const NONLINEARITIES = [
  "linear",
  "conv1d",
  "conv2d",
  "conv3d",
  "conv_transpose1d",
  "conv_transpose2d",
  "conv_transpose3d",
  "sigmoid",
  "tanh",
  "relu",
  "leaky_relu",
  "leakyRelu",
  "selu",
] as const;
const nonlinearityArg = oneOf(...NONLINEARITIES);
const tensorArg = instanceOf(Tensor, "a Tensor");
const generatorArg = { generator: opt(instanceOf(Generator, "a Generator")) };

const CALCULATE_GAIN = signature("calculateGain", {
  nonlinearity: nonlinearityArg,
  param: opt(nullable(num), null),
});

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for linear,
 * conv and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + a²)) for leaky_relu (a = 0.01 by
 * default), 3/4 for selu.
 */
export function calculateGain(
  nonlinearity: Nonlinearity,
  ...rest: WithOptions<[param: number | null], { param?: number | null }>
): number {
  const { param } = parseArgs(CALCULATE_GAIN, [nonlinearity, ...rest]);
  switch (nonlinearity) {
    case "linear":
    case "conv1d":
    case "conv2d":
    case "conv3d":
    case "conv_transpose1d":
    case "conv_transpose2d":
    case "conv_transpose3d":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu":
    case "leakyRelu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case "selu":
      // 3/4 keeps the variance of SELU networks close to 1 (PyTorch's choice, issue #50136).
      return 3 / 4;
    default:
      throw new ValueError(`calculateGain: Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** [fanIn, fanOut] = [size(1)·receptive, size(0)·receptive] for a tensor of ≥ 2 dims. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  checkArity("calculateFanInAndFanOut", arguments, 1);
  if (t.ndim < 2) {
    throw new ValueError(
      "calculateFanInAndFanOut: Fan in and fan out can not be computed for tensor with fewer than 2 dimensions",
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function fill<T extends Tensor>(t: T, values: Tensor): T {
  noGrad(() => t.copy_(values));
  return t;
}

const floatDtype = (t: Tensor) => (t.dtype === "float64" ? "float64" : "float32");

const UNIFORM = signature(
  "uniform_",
  { tensor: tensorArg, a: opt(num, 0), b: opt(num, 1) },
  generatorArg,
);

/**
 * U(a, b) in place, as torch.nn.init.uniform_(tensor, a=0.0, b=1.0).
 *
 * @example nn.init.uniform_(w, -0.1, 0.1); // = nn.init.uniform_(w, { a: -0.1, b: 0.1 })
 */
export function uniform_<T extends Tensor>(
  t: T,
  ...rest: WithOptions<[a: number, b: number], { a?: number; b?: number } & InitOptions>
): T {
  const { a, b, generator } = parseArgs(UNIFORM, [t, ...rest]);
  const u = rand(t.shape, {
    dtype: floatDtype(t),
    generator: generator ?? defaultGenerator,
  });
  return fill(
    t,
    noGrad(() => u.mul(b - a).add(a)),
  );
}

const NORMAL = signature(
  "normal_",
  { tensor: tensorArg, mean: opt(num, 0), std: opt(num, 1) },
  generatorArg,
);

/**
 * N(mean, std²) in place, as torch.nn.init.normal_(tensor, mean=0.0, std=1.0).
 *
 * @example nn.init.normal_(w, 0.0, 0.02); // = nn.init.normal_(w, { mean: 0, std: 0.02 })
 */
export function normal_<T extends Tensor>(
  t: T,
  ...rest: WithOptions<[mean: number, std: number], { mean?: number; std?: number } & InitOptions>
): T {
  const { mean, std, generator } = parseArgs(NORMAL, [t, ...rest]);
  const z = randn(t.shape, {
    dtype: floatDtype(t),
    generator: generator ?? defaultGenerator,
  });
  return fill(
    t,
    noGrad(() => z.mul(std).add(mean)),
  );
}

const TRUNC_NORMAL = signature(
  "truncNormal_",
  { tensor: tensorArg, mean: opt(num, 0), std: opt(num, 1), a: opt(num, -2), b: opt(num, 2) },
  generatorArg,
);

/**
 * N(mean, std²) truncated to [a, b], as torch.nn.init.trunc_normal_(tensor, mean=0.0, std=1.0,
 * a=-2.0, b=2.0). Sampled by rejection, which has exactly the truncated distribution.
 */
export function truncNormal_<T extends Tensor>(
  t: T,
  ...rest: WithOptions<
    [mean: number, std: number, a: number, b: number],
    { mean?: number; std?: number; a?: number; b?: number } & InitOptions
  >
): T {
  const { mean, std, a, b, generator } = parseArgs(TRUNC_NORMAL, [t, ...rest]);
  if (!(a < b)) throw new ValueError(`truncNormal_: expected a < b, got a=${a}, b=${b}`);
  const g = generator ?? defaultGenerator;
  const n = t.numel();
  const data = t.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = mean + std * g.normal();
    for (let tries = 0; (v < a || v > b) && tries < 1000; tries++) v = mean + std * g.normal();
    data[i] = Math.min(Math.max(v, a), b);
  }
  return fill(t, Tensor.fromData(data, t.shape, floatDtype(t)));
}

const CONSTANT = signature("constant_", { tensor: tensorArg, val: num });

/** Fills with `val`, as torch.nn.init.constant_(tensor, val). */
export function constant_<T extends Tensor>(t: T, val: number | { val: number }): T {
  checkArity("constant_", arguments, 2);
  const a = parseArgs(CONSTANT, [t, val]);
  noGrad(() => t.fill_(a.val));
  return t;
}

const ONLY_TENSOR = (op: string) => signature(op, { tensor: tensorArg });
const ONES = ONLY_TENSOR("ones_");
const ZEROS = ONLY_TENSOR("zeros_");
const EYE = ONLY_TENSOR("eye_");

/** Fills with 1, as torch.nn.init.ones_(tensor). */
export function ones_<T extends Tensor>(t: T): T {
  checkArity("ones_", arguments, 1);
  parseArgs(ONES, [t]);
  noGrad(() => t.fill_(1));
  return t;
}

/** Fills with 0, as torch.nn.init.zeros_(tensor). */
export function zeros_<T extends Tensor>(t: T): T {
  checkArity("zeros_", arguments, 1);
  parseArgs(ZEROS, [t]);
  noGrad(() => t.fill_(0));
  return t;
}

/** The identity matrix in a 2-D tensor, as torch.nn.init.eye_(tensor). */
export function eye_<T extends Tensor>(t: T): T {
  checkArity("eye_", arguments, 1);
  parseArgs(EYE, [t]);
  if (t.ndim !== 2) throw new ValueError("eye_: Only tensors with 2 dimensions are supported");
  return fill(t, eye(t.shape[0]!, t.shape[1]!, { dtype: t.dtype }));
}

function gainSignature(op: string) {
  return signature(op, { tensor: tensorArg, gain: opt(num, 1) }, generatorArg);
}
const XAVIER_UNIFORM = gainSignature("xavierUniform_");
const XAVIER_NORMAL = gainSignature("xavierNormal_");
const ORTHOGONAL = gainSignature("orthogonal_");
/** The arguments of the xavier and orthogonal initialisers after the tensor: `gain`, options. */
export type GainArgs = WithOptions<[gain: number], { gain?: number } & InitOptions>;

/**
 * U(−bound, bound), bound = gain·√(6/(fanIn + fanOut)) (Glorot & Bengio 2010), as
 * torch.nn.init.xavier_uniform_(tensor, gain=1.0).
 */
export function xavierUniform_<T extends Tensor>(t: T, ...rest: GainArgs): T {
  const { gain, generator } = parseArgs(XAVIER_UNIFORM, [t, ...rest]);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound, { generator });
}

/** N(0, std²), std = gain·√(2/(fanIn + fanOut)), as torch.nn.init.xavier_normal_(tensor, gain=1.0). */
export function xavierNormal_<T extends Tensor>(t: T, ...rest: GainArgs): T {
  const { gain, generator } = parseArgs(XAVIER_NORMAL, [t, ...rest]);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return normal_(t, 0, std, { generator });
}

/** "fanIn"/"fanOut", or PyTorch's own spellings "fan_in"/"fan_out". */
export type KaimingMode = "fanIn" | "fanOut" | "fan_in" | "fan_out";

/**
 * Options of kaimingUniform_ and kaimingNormal_; defaults a 0, mode "fanIn", nonlinearity
 * "leaky_relu", as PyTorch's.
 */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the following leaky_relu (0 by default). */
  a?: number;
  mode?: KaimingMode;
  nonlinearity?: Nonlinearity;
}

function kaimingSignature(op: string) {
  return signature(
    op,
    {
      tensor: tensorArg,
      a: opt(num, 0),
      mode: opt(oneOf("fanIn", "fanOut", "fan_in", "fan_out"), "fanIn"),
      nonlinearity: opt(nonlinearityArg, "leaky_relu"),
    },
    generatorArg,
  );
}
const KAIMING_UNIFORM = kaimingSignature("kaimingUniform_");
const KAIMING_NORMAL = kaimingSignature("kaimingNormal_");
/** The arguments of kaimingUniform_ and kaimingNormal_ after the tensor, in PyTorch's order. */
export type KaimingArgs = WithOptions<
  [a: number, mode: KaimingMode, nonlinearity: Nonlinearity],
  KaimingOptions
>;

function kaimingStd(t: Tensor, o: { a: number; mode: KaimingMode; nonlinearity: Nonlinearity }) {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = o.mode === "fanIn" || o.mode === "fan_in" ? fanIn : fanOut;
  return calculateGain(o.nonlinearity, o.a) / Math.sqrt(fan);
}

/**
 * U(−bound, bound), bound = gain·√(3/fan) (He et al. 2015), as torch.nn.init.kaiming_uniform_(
 * tensor, a=0, mode='fan_in', nonlinearity='leaky_relu').
 *
 * @example nn.init.kaimingUniform_(w, 0, "fanOut", "relu"); // = (w, { mode: "fanOut", nonlinearity: "relu" })
 */
export function kaimingUniform_<T extends Tensor>(t: T, ...rest: KaimingArgs): T {
  const o = parseArgs(KAIMING_UNIFORM, [t, ...rest]);
  const bound = Math.sqrt(3) * kaimingStd(t, o);
  return uniform_(t, -bound, bound, { generator: o.generator });
}

/**
 * N(0, std²), std = gain/√fan, as torch.nn.init.kaiming_normal_(tensor, a=0, mode='fan_in',
 * nonlinearity='leaky_relu').
 */
export function kaimingNormal_<T extends Tensor>(t: T, ...rest: KaimingArgs): T {
  const o = parseArgs(KAIMING_NORMAL, [t, ...rest]);
  return normal_(t, 0, kaimingStd(t, o), { generator: o.generator });
}

/**
 * A (semi-)orthogonal matrix times `gain`, as torch.nn.init.orthogonal_: the Q of the QR
 * decomposition of a normal matrix, with R's diagonal made positive (Saxe et al. 2013).
 * Trailing dims are flattened. Arguments as torch.nn.init.orthogonal_(tensor, gain=1).
 */
export function orthogonal_<T extends Tensor>(t: T, ...rest: GainArgs): T {
  const options = parseArgs(ORTHOGONAL, [t, ...rest]);
  if (t.ndim < 2)
    throw new ValueError("orthogonal_: Only tensors with 2 or more dimensions are supported");
  const rows = t.shape[0]!;
  const cols = t.numel() / rows;
  const g = options.generator ?? defaultGenerator;
  // Work on the tall matrix m × n (m ≥ n), column-major: modified Gram-Schmidt gives Q with a
  // positive R diagonal, the same Q as PyTorch's qr followed by q *= sign(diag(r)).
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  const q = new Float64Array(m * n);
  for (let i = 0; i < m * n; i++) q[i] = g.normal();
  for (let j = 0; j < n; j++) {
    const cj = j * m;
    for (let k = 0; k < j; k++) {
      const ck = k * m;
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[ck + i]! * q[cj + i]!;
      for (let i = 0; i < m; i++) q[cj + i]! -= dot * q[ck + i]!;
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += q[cj + i]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) q[cj + i]! /= norm;
  }
  const gain = options.gain;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows ≥ cols: W[r, c] = Q[r, c]; rows < cols: W = Qᵀ, W[r, c] = Q[c, r].
      out[r * cols + c] = gain * (rows >= cols ? q[c * m + r]! : q[r * m + c]!);
    }
  }
  return fill(t, Tensor.fromData(out, t.shape, "float64"));
}

const warnedDeprecated = new Set<string>();

/**
 * PyTorch's deprecated init names without the trailing underscore (nn.init.normal, ...): each
 * warns once, as PyTorch's UserWarning, then does what its `_` form does.
 */
function deprecated<F extends (...args: never[]) => unknown>(fn: F, name: string): F {
  const old = name.slice(0, -1);
  const wrapped = function (this: unknown, ...args: Parameters<F>) {
    if (!warnedDeprecated.has(old)) {
      warnedDeprecated.add(old);
      console.warn(`UserWarning: nn.init.${old} is now deprecated in favor of nn.init.${name}.`);
    }
    return fn.apply(this, args);
  };
  Object.defineProperty(wrapped, "name", { value: old });
  return wrapped as unknown as F;
}

/** Deprecated: `uniform_` (PyTorch warns the same way). */
export const uniform = deprecated(uniform_, "uniform_");
/** Deprecated: `normal_` (PyTorch warns the same way). */
export const normal = deprecated(normal_, "normal_");
/** Deprecated: `constant_` (PyTorch warns the same way). */
export const constant = deprecated(constant_, "constant_");
/** Deprecated: `xavierUniform_` (PyTorch warns the same way). */
export const xavierUniform = deprecated(xavierUniform_, "xavierUniform_");
/** Deprecated: `xavierNormal_` (PyTorch warns the same way). */
export const xavierNormal = deprecated(xavierNormal_, "xavierNormal_");
/** Deprecated: `kaimingUniform_` (PyTorch warns the same way). */
export const kaimingUniform = deprecated(kaimingUniform_, "kaimingUniform_");
/** Deprecated: `kaimingNormal_` (PyTorch warns the same way). */
export const kaimingNormal = deprecated(kaimingNormal_, "kaimingNormal_");
/** Deprecated: `orthogonal_` (PyTorch warns the same way). */
export const orthogonal = deprecated(orthogonal_, "orthogonal_");

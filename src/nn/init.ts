// nn.init: in-place weight initialisers with PyTorch's formulas and gains (torch/nn/init.py).
// Each fills its tensor under noGrad and returns it. Depends on src/ops, src/tensor, src/core.

import { ValueError } from "../core/errors.ts";
import { defaultGenerator, type Generator } from "../core/rng.ts";
import { eye, rand, randn } from "../ops/creation.ts";
import { noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor.ts";

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

export interface InitOptions {
  generator?: Generator;
}

/**
 * The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for linear,
 * conv and sigmoid, 5/3 for tanh, √2 for relu, √(2/(1 + a²)) for leaky_relu (a = 0.01 by
 * default), 3/4 for selu.
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
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

/** U(a, b) in place (a = 0, b = 1). */
export function uniform_<T extends Tensor>(
  t: T,
  options: { a?: number; b?: number } & InitOptions = {},
): T {
  const a = options.a ?? 0;
  const b = options.b ?? 1;
  const u = rand(t.shape, {
    dtype: floatDtype(t),
    generator: options.generator ?? defaultGenerator,
  });
  return fill(
    t,
    noGrad(() => u.mul(b - a).add(a)),
  );
}

/** N(mean, std²) in place (0, 1). */
export function normal_<T extends Tensor>(
  t: T,
  options: { mean?: number; std?: number } & InitOptions = {},
): T {
  const z = randn(t.shape, {
    dtype: floatDtype(t),
    generator: options.generator ?? defaultGenerator,
  });
  return fill(
    t,
    noGrad(() => z.mul(options.std ?? 1).add(options.mean ?? 0)),
  );
}

/**
 * N(mean, std²) truncated to [a, b] (0, 1, −2, 2), as torch.nn.init.trunc_normal_. Sampled by
 * rejection, which has exactly the truncated distribution.
 */
export function truncNormal_<T extends Tensor>(
  t: T,
  options: { mean?: number; std?: number; a?: number; b?: number } & InitOptions = {},
): T {
  const mean = options.mean ?? 0;
  const std = options.std ?? 1;
  const a = options.a ?? -2;
  const b = options.b ?? 2;
  if (!(a < b)) throw new ValueError(`truncNormal_: expected a < b, got a=${a}, b=${b}`);
  const g = options.generator ?? defaultGenerator;
  const n = t.numel();
  const data = t.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = mean + std * g.normal();
    for (let tries = 0; (v < a || v > b) && tries < 1000; tries++) v = mean + std * g.normal();
    data[i] = Math.min(Math.max(v, a), b);
  }
  return fill(t, Tensor.fromData(data, t.shape, floatDtype(t)));
}

/** Fills with `value`. */
export function constant_<T extends Tensor>(t: T, value: number): T {
  noGrad(() => t.fill_(value));
  return t;
}

export function ones_<T extends Tensor>(t: T): T {
  return constant_(t, 1);
}

export function zeros_<T extends Tensor>(t: T): T {
  return constant_(t, 0);
}

/** The identity matrix in a 2-D tensor. */
export function eye_<T extends Tensor>(t: T): T {
  if (t.ndim !== 2) throw new ValueError("eye_: Only tensors with 2 dimensions are supported");
  return fill(t, eye(t.shape[0]!, t.shape[1]!, { dtype: t.dtype }));
}

/** U(−bound, bound), bound = gain·√(6/(fanIn + fanOut)) (Glorot & Bengio 2010). */
export function xavierUniform_<T extends Tensor>(
  t: T,
  options: { gain?: number } & InitOptions = {},
): T {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, { a: -bound, b: bound, generator: options.generator });
}

/** N(0, std²), std = gain·√(2/(fanIn + fanOut)). */
export function xavierNormal_<T extends Tensor>(
  t: T,
  options: { gain?: number } & InitOptions = {},
): T {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  return normal_(t, { mean: 0, std, generator: options.generator });
}

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the following leaky_relu (0 by default). */
  a?: number;
  mode?: "fanIn" | "fanOut";
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = (o.mode ?? "fanIn") === "fanIn" ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? "leaky_relu", o.a ?? 0) / Math.sqrt(fan);
}

/** U(−bound, bound), bound = gain·√(3/fan) (He et al. 2015). */
export function kaimingUniform_<T extends Tensor>(t: T, options: KaimingOptions = {}): T {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, { a: -bound, b: bound, generator: options.generator });
}

/** N(0, std²), std = gain/√fan. */
export function kaimingNormal_<T extends Tensor>(t: T, options: KaimingOptions = {}): T {
  return normal_(t, { mean: 0, std: kaimingStd(t, options), generator: options.generator });
}

/**
 * A (semi-)orthogonal matrix times `gain`, as torch.nn.init.orthogonal_: the Q of the QR
 * decomposition of a normal matrix, with R's diagonal made positive (Saxe et al. 2013).
 * Trailing dims are flattened.
 */
export function orthogonal_<T extends Tensor>(
  t: T,
  options: { gain?: number } & InitOptions = {},
): T {
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
  const gain = options.gain ?? 1;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // rows ≥ cols: W[r, c] = Q[r, c]; rows < cols: W = Qᵀ, W[r, c] = Q[c, r].
      out[r * cols + c] = gain * (rows >= cols ? q[c * m + r]! : q[r * m + c]!);
    }
  }
  return fill(t, Tensor.fromData(out, t.shape, "float64"));
}

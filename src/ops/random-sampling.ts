// Random sampling from distributions with Kiln's seeded Generator (src/core/rng.ts): multinomial,
// bernoulli, normal and poisson, with PyTorch's arguments and checks (the in-place samplers are in
// random-fill.ts). The streams are Kiln's own, not bit-equal to torch's.
// Must not depend on nn or anything above ops.

import {
  bool,
  custom,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { isDeviceLike, toDevice } from "../core/device.ts";
import { allocate, type DType, isFloating } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { broadcastShapes } from "../core/shape.ts";
import { type Operand, Tensor } from "../tensor/tensor-class.ts";
import type { CreateOptions } from "./creation.ts";
import * as el from "./elementwise.ts";

/** The `generator` keyword of every sampler. */
export interface GeneratorOption {
  generator?: Generator;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const gen = { generator: opt(instanceOf(Generator, "a Generator")) };
  const tensorOrNum = custom(
    "a Tensor or a number",
    (v): v is Tensor | number => v instanceof Tensor || typeof v === "number",
  );
  const create = {
    ...gen,
    dtype: opt(custom("a floating dtype", (v): v is DType => v === "float32" || v === "float64")),
    requiresGrad: opt(bool),
    device: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
  };
  return {
    multinomial: signature(
      "multinomial",
      { input: tensor, numSamples: int, replacement: opt(bool, false) },
      gen,
    ),
    bernoulli: signature("bernoulli", { input: tensor, p: opt(num) }, gen),
    normalTensor: signature("normal", { mean: tensorOrNum, std: opt(tensorOrNum, 1) }, gen),
    normalSize: signature(
      "normal",
      {
        mean: num,
        std: num,
        size: custom("a tuple of ints", (v): v is readonly number[] => Array.isArray(v)),
      },
      create,
    ),
    poisson: signature("poisson", { input: tensor }, gen),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

export function floatsOf(t: Tensor): Float64Array {
  return Float64Array.from(t.contiguous().dataSync() as ArrayLike<number>);
}

export function checkFloat(op: string, t: Tensor, what = "input"): void {
  if (!isFloating(t.dtype)) {
    throw new DTypeError(`${op}: expected a floating-point ${what}, got ${t.dtype}`);
  }
}

// ---- multinomial ------------------------------------------------------------------------

/**
 * `numSamples` category indices per row of the (unnormalised) probabilities `input` (1-D or 2-D),
 * with or without replacement, as torch.multinomial(input, num_samples, replacement=False, *,
 * generator=None); int32 (PyTorch: int64). Without replacement, categories are drawn one after
 * another with probability proportional to what remains (zero-probability ones come last).
 */
export function multinomial(
  input: Tensor,
  numSamples: number,
  ...args: WithOptions<[replacement: boolean], { replacement?: boolean; generator?: Generator }>
): Tensor<"int32">;
export function multinomial(_input: Tensor, _n: number, ..._args: unknown[]): Tensor<"int32"> {
  const p = parseArgs(sigs().multinomial, arguments);
  const x = p.input;
  if (!isFloating(x.dtype)) {
    throw new DTypeError(
      `multinomial: only supports floating-point dtypes for input, got: ${x.dtype}`,
    );
  }
  if (x.ndim !== 1 && x.ndim !== 2) {
    throw new ShapeError(`multinomial: prob_dist must be 1 or 2 dim, got ${x.ndim}`);
  }
  const k = x.shape[x.ndim - 1]!;
  const n = p.numSamples;
  if (n <= 0) throw new ValueError(`multinomial: cannot sample n_sample <= 0 samples (got ${n})`);
  if (!p.replacement && n > k) {
    throw new ValueError(
      `multinomial: cannot sample n_sample > prob_dist.size(-1) samples without replacement (${n} > ${k})`,
    );
  }
  const rows = x.ndim === 1 ? 1 : x.shape[0]!;
  const probs = floatsOf(x);
  for (const v of probs) {
    if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
      throw new ValueError(
        "multinomial: probability tensor contains either `inf`, `nan` or element < 0",
      );
    }
  }
  const g = p.generator ?? defaultGenerator;
  const out = new Int32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const row = probs.subarray(r * k, (r + 1) * k);
    let total = 0;
    for (const v of row) total += v;
    if (!(total > 0)) {
      throw new ValueError(
        "multinomial: invalid multinomial distribution (sum of probabilities <= 0)",
      );
    }
    if (p.replacement) {
      const cdf = new Float64Array(k);
      let acc = 0;
      for (let i = 0; i < k; i++) cdf[i] = acc += row[i]!;
      for (let s = 0; s < n; s++) {
        const u = g.random() * acc;
        // the first category whose running total exceeds u (zero-probability ones never do)
        let lo = 0;
        let hi = k - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid]! > u) hi = mid;
          else lo = mid + 1;
        }
        out[r * n + s] = lo;
      }
    } else {
      // Sequential draws without replacement ≡ the n largest keys p_i / E_i, E_i ~ Exp(1)
      // (the exponential race: the category whose clock rings first is drawn next).
      const keys = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        let u = g.random();
        while (u === 0) u = g.random();
        keys[i] = row[i]! / -Math.log(u);
      }
      const order = [...keys.keys()].sort((a, b) => keys[b]! - keys[a]! || a - b);
      for (let s = 0; s < n; s++) out[r * n + s] = order[s]!;
    }
  }
  return Tensor.fromData(out, x.ndim === 1 ? [n] : [rows, n], "int32");
}

// ---- bernoulli, normal, poisson -------------------------------------------------------------

/**
 * 0/1 samples with success probability `input` (or the scalar `p` for every element), in input's
 * dtype, as torch.bernoulli(input, p=None, *, generator=None). No gradient flows (PyTorch's is 0).
 */
export function bernoulli<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[p: number], { p?: number; generator?: Generator }>
): Tensor<D>;
export function bernoulli(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().bernoulli, arguments);
  const x = p.input;
  checkFloat("bernoulli", x);
  const g = p.generator ?? defaultGenerator;
  if (p.p !== undefined) {
    if (!(p.p >= 0 && p.p <= 1)) {
      throw new ValueError(`bernoulli: expects p to be in [0, 1], but got p=${p.p}`);
    }
    const arr = allocate(x.dtype, x.numel());
    for (let i = 0; i < arr.length; i++) arr[i] = g.random() < p.p ? 1 : 0;
    return Tensor.fromData(arr, x.shape, x.dtype);
  }
  const probs = floatsOf(x);
  const arr = allocate(x.dtype, probs.length);
  for (let i = 0; i < probs.length; i++) {
    const q = probs[i]!;
    if (!(q >= 0 && q <= 1)) {
      throw new ValueError(`bernoulli: expected all probabilities in [0, 1], got ${q}`);
    }
    arr[i] = g.random() < q ? 1 : 0;
  }
  return Tensor.fromData(arr, x.shape, x.dtype);
}

function standardNormals(shape: readonly number[], dtype: DType, g: Generator): Tensor {
  const arr = allocate(
    dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  for (let i = 0; i < arr.length; i++) arr[i] = g.normal();
  return Tensor.fromData(arr, shape, dtype);
}

function checkStd(std: Tensor | number): void {
  if (typeof std === "number") {
    if (!(std >= 0)) throw new ValueError(`normal: expects std >= 0.0, but found std ${std}`);
    return;
  }
  const v = floatsOf(std);
  if (v.some((s) => !(s >= 0))) {
    throw new ValueError("normal: expects all elements of std >= 0.0");
  }
}

/**
 * Normal samples `mean + std · N(0, 1)`, as torch.normal: `normal(mean, std)` with tensor mean
 * and/or std (broadcast; differentiable in both, as PyTorch), or `normal(mean, std, size)` with
 * numbers (float32 unless a dtype is given), each with a `generator` option.
 */
export function normal(
  mean: Tensor,
  ...args: WithOptions<[std: Tensor | number], GeneratorOption>
): Tensor;
export function normal(mean: number, std: Tensor, options?: GeneratorOption): Tensor;
export function normal(
  mean: number,
  std: number,
  size: readonly number[],
  options?: GeneratorOption & CreateOptions,
): Tensor;
export function normal(..._args: unknown[]): Tensor {
  if (typeof arguments[0] === "number" && typeof arguments[1] === "number") {
    const p = parseArgs(sigs().normalSize, arguments);
    if (p.device !== undefined && p.device !== null) toDevice("normal", p.device);
    checkStd(p.std);
    const dtype = p.dtype ?? "float32";
    if (!isFloating(dtype)) throw new DTypeError(`normal: expected a floating dtype, got ${dtype}`);
    const z = standardNormals(p.size, dtype, p.generator ?? defaultGenerator);
    const out = el.add(el.mul(z, p.std), p.mean);
    return p.requiresGrad === true ? out.requiresGrad_(true) : out;
  }
  const p = parseArgs(sigs().normalTensor, arguments);
  const { mean, std } = p;
  if (!(mean instanceof Tensor) && !(std instanceof Tensor)) {
    throw new ValueError("normal: with number mean and std, give a size: normal(mean, std, size)");
  }
  checkStd(std);
  for (const t of [mean, std]) if (t instanceof Tensor) checkFloat("normal", t, "mean and std");
  const shapeOf = (t: Tensor | number) => (t instanceof Tensor ? t.shape : []);
  const ref = mean instanceof Tensor ? mean : (std as Tensor);
  const shape = broadcastShapes("normal", shapeOf(mean), shapeOf(std));
  const z = standardNormals(shape, ref.dtype, p.generator ?? defaultGenerator);
  // d out / d mean = 1, d out / d std = z = (out − mean) / std, as PyTorch's NormalBackward.
  return el.add(el.mul(z, std as Operand), mean as Operand);
}

/** A Poisson sample (float, rate λ ≥ 0) by multiplication of uniforms below 10, PTRS above. */
function poissonSample(lambda: number, g: Generator): number {
  if (lambda === 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let prod = g.random();
    while (prod > limit) {
      k++;
      prod *= g.random();
    }
    return k;
  }
  // Hörmann (1993), "The transformed rejection method for generating Poisson random variables"
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = g.random() - 0.5;
    const v = g.random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    const lhs = Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b);
    const rhs = -lambda + k * loglam - logFactorial(k);
    if (lhs <= rhs) return k;
  }
}

function logFactorial(k: number): number {
  // ln k! by summation below 30, Stirling's series beyond (error below 1e-12 there).
  if (k < 30) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  const x = k + 1;
  return (
    (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3)
  );
}

/**
 * Poisson samples with rates `input` (≥ 0), in input's dtype, as torch.poisson(input, generator).
 * No gradient flows (PyTorch's is 0).
 */
export function poisson<D extends DType>(input: Tensor<D>, options?: GeneratorOption): Tensor<D>;
export function poisson(_input: Tensor, _options?: unknown): Tensor {
  const p = parseArgs(sigs().poisson, arguments);
  const x = p.input;
  checkFloat("poisson", x);
  const rates = floatsOf(x);
  const g = p.generator ?? defaultGenerator;
  const arr = allocate(x.dtype, rates.length);
  for (let i = 0; i < rates.length; i++) {
    const lam = rates[i]!;
    if (!(lam >= 0)) {
      throw new ValueError("poisson: invalid Poisson rate, expected rate to be non-negative");
    }
    arr[i] = poissonSample(lam, g);
  }
  return Tensor.fromData(arr, x.shape, x.dtype);
}

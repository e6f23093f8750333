// The in-place samplers random_, uniform_, normal_, bernoulli_, exponential_, geometric_, cauchy_
// and logNormal_ with Kiln's seeded Generator (src/core/rng.ts), with PyTorch's arguments and
// checks; each draws one value per element in row-major order. The streams are Kiln's own.
// Must not depend on nn or anything above ops.

import {
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
import { allocate, type DType } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import { defaultGenerator, Generator } from "../core/rng.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";
import { checkFloat, floatsOf, type GeneratorOption } from "./random-sampling.ts";

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const gen = { generator: opt(instanceOf(Generator, "a Generator")) };
  const tensorOrNum = custom(
    "a Tensor or a number",
    (v): v is Tensor | number => v instanceof Tensor || typeof v === "number",
  );
  return {
    random_: signature("random_", { input: tensor, from: opt(int), to: opt(nullable(int)) }, gen),
    uniform_: signature("uniform_", { input: tensor, from: opt(num, 0), to: opt(num, 1) }, gen),
    normal_: signature("normal_", { input: tensor, mean: opt(num, 0), std: opt(num, 1) }, gen),
    bernoulli_: signature("bernoulli_", { input: tensor, p: opt(tensorOrNum, 0.5) }, gen),
    exponential_: signature("exponential_", { input: tensor, lambd: opt(num, 1) }, gen),
    geometric_: signature("geometric_", { input: tensor, p: num }, gen),
    cauchy_: signature("cauchy_", { input: tensor, median: opt(num, 0), sigma: opt(num, 1) }, gen),
    logNormal_: signature(
      "logNormal_",
      { input: tensor, mean: opt(num, 1), std: opt(num, 2) },
      gen,
    ),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/** Writes `draw()` into every element of `t` (row-major order), as the `op_` samplers do. */
function fillWith<T extends Tensor>(op: string, t: T, draw: () => number): T {
  return el.inplace(
    t,
    op,
    (x) => {
      const arr = allocate(x.dtype, x.numel());
      for (let i = 0; i < arr.length; i++) arr[i] = draw();
      const fresh = Tensor.fromData(arr, x.shape, x.dtype);
      // NOTE: a non-leaf that requires grad gets a zero gradient, as PyTorch's samplers give.
      return x.requiresGrad ? el.where(el.full(x.shape, 1, "bool"), fresh, x) : fresh;
    },
    [],
    true,
  );
}

/** The top of random_()'s default range: 2^mantissa bits for floats, the max for integers. */
function randomTop(dtype: DType): number {
  switch (dtype) {
    case "float32":
      return 2 ** 24;
    case "float64":
      return 2 ** 53;
    case "bool":
      return 1;
    case "int32":
      return 2 ** 31 - 1;
    default:
      return 2 ** 24;
  }
}

/**
 * Integers uniform in [from, to) (to − 1 inclusive), as torch.Tensor.random_(from=0, to=None, *,
 * generator): `random_(to)` is [0, to); `random_()` spans [0, 2^mantissa] for floats and the
 * whole non-negative range for integers. Returns `input`.
 */
export function random_<T extends Tensor>(
  input: T,
  ...args:
    | [options?: GeneratorOption]
    | [to: number, options?: GeneratorOption]
    | [from: number, to: number | null, options?: GeneratorOption]
): T;
export function random_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().random_, arguments);
  const x = p.input;
  let lo = 0;
  let hi = randomTop(x.dtype) + 1;
  if (p.from !== undefined && p.to === undefined) {
    hi = p.from;
  } else if (p.from !== undefined) {
    lo = p.from;
    if (p.to !== null && p.to !== undefined) hi = p.to;
  }
  if (lo >= hi) {
    throw new ValueError(
      `random_: expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`,
    );
  }
  const g = p.generator ?? defaultGenerator;
  return fillWith("random_", x, () => g.randint(lo, hi));
}

/** Uniform samples in [from, to), as torch.Tensor.uniform_(from=0, to=1); returns `input`. */
export function uniform_<T extends Tensor>(
  input: T,
  ...args: WithOptions<
    [from: number, to: number],
    { from?: number; to?: number; generator?: Generator }
  >
): T;
export function uniform_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().uniform_, arguments);
  checkFloat("uniform_", p.input, "tensor");
  if (p.from > p.to) {
    throw new ValueError(
      `uniform_: expects to return a [from, to) range, but found from=${p.from} > to=${p.to}`,
    );
  }
  const g = p.generator ?? defaultGenerator;
  return fillWith("uniform_", p.input, () => p.from + (p.to - p.from) * g.random());
}

/** Normal samples `mean + std·N(0, 1)`, as torch.Tensor.normal_(mean=0, std=1); returns `input`. */
export function normal_<T extends Tensor>(
  input: T,
  ...args: WithOptions<
    [mean: number, std: number],
    { mean?: number; std?: number; generator?: Generator }
  >
): T;
export function normal_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().normal_, arguments);
  checkFloat("normal_", p.input, "tensor");
  if (!(p.std >= 0)) throw new ValueError(`normal_: expects std >= 0.0, but found std ${p.std}`);
  const g = p.generator ?? defaultGenerator;
  return fillWith("normal_", p.input, () => p.mean + p.std * g.normal());
}

/**
 * 0/1 with success probability `p` (a number, or a tensor broadcast to input's shape), as
 * torch.Tensor.bernoulli_(p=0.5); any dtype. Returns `input`.
 */
export function bernoulli_<T extends Tensor>(
  input: T,
  ...args: WithOptions<[p: number | Tensor], { p?: number | Tensor; generator?: Generator }>
): T;
export function bernoulli_(_input: Tensor, ..._args: unknown[]): Tensor {
  const a = parseArgs(sigs().bernoulli_, arguments);
  const g = a.generator ?? defaultGenerator;
  if (typeof a.p === "number") {
    const q = a.p;
    if (!(q >= 0 && q <= 1)) {
      throw new ValueError(`bernoulli_: expects p to be in [0, 1], but got p=${q}`);
    }
    return fillWith("bernoulli_", a.input, () => (g.random() < q ? 1 : 0));
  }
  const probs = floatsOf((a.p as Tensor).detach().expand(a.input.shape));
  if (probs.some((q) => !(q >= 0 && q <= 1))) {
    throw new ValueError("bernoulli_: expected all probabilities p in [0, 1]");
  }
  let i = 0;
  return fillWith("bernoulli_", a.input, () => (g.random() < probs[i++]! ? 1 : 0));
}

/** Exponential samples with rate `lambd`, as torch.Tensor.exponential_(lambd=1); returns `input`. */
export function exponential_<T extends Tensor>(
  input: T,
  ...args: WithOptions<[lambd: number], { lambd?: number; generator?: Generator }>
): T;
export function exponential_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().exponential_, arguments);
  checkFloat("exponential_", p.input, "tensor");
  if (!(p.lambd >= 0)) {
    throw new ValueError(`exponential_: expects lambda >= 0.0, but found lambda=${p.lambd}`);
  }
  const g = p.generator ?? defaultGenerator;
  // −ln(1 − U) / λ, U ∈ [0, 1): positive and finite for λ > 0 (λ = 0 gives ∞, as PyTorch)
  return fillWith("exponential_", p.input, () => -Math.log1p(-g.random()) / p.lambd);
}

/**
 * The number of Bernoulli(p) trials up to the first success (1, 2, ...), as
 * torch.Tensor.geometric_(p), p in (0, 1); returns `input`.
 */
export function geometric_<T extends Tensor>(input: T, p: number, options?: GeneratorOption): T;
export function geometric_(_input: Tensor, _p: number, _options?: unknown): Tensor {
  const a = parseArgs(sigs().geometric_, arguments);
  if (!(a.p > 0 && a.p < 1)) {
    throw new ValueError(`geometric_: expects p to be in (0, 1), but got p=${a.p}`);
  }
  const g = a.generator ?? defaultGenerator;
  const scale = Math.log1p(-a.p);
  // ⌈ln(1 − U) / ln(1 − p)⌉ with 1 − U ∈ (0, 1]: at least 1
  return fillWith("geometric_", a.input, () =>
    Math.max(1, Math.ceil(Math.log1p(-g.random()) / scale)),
  );
}

/**
 * Cauchy samples `median + sigma·tan(π(U − ½))`, as torch.Tensor.cauchy_(median=0, sigma=1);
 * returns `input`.
 */
export function cauchy_<T extends Tensor>(
  input: T,
  ...args: WithOptions<
    [median: number, sigma: number],
    { median?: number; sigma?: number; generator?: Generator }
  >
): T;
export function cauchy_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().cauchy_, arguments);
  checkFloat("cauchy_", p.input, "tensor");
  const g = p.generator ?? defaultGenerator;
  return fillWith(
    "cauchy_",
    p.input,
    () => p.median + p.sigma * Math.tan(Math.PI * (g.random() - 0.5)),
  );
}

/**
 * `exp(N(mean, std))` samples, as torch.Tensor.log_normal_(mean=1, std=2) (std > 0); returns
 * `input`.
 */
export function logNormal_<T extends Tensor>(
  input: T,
  ...args: WithOptions<
    [mean: number, std: number],
    { mean?: number; std?: number; generator?: Generator }
  >
): T;
export function logNormal_(_input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().logNormal_, arguments);
  checkFloat("logNormal_", p.input, "tensor");
  if (!(p.std > 0)) throw new ValueError(`logNormal_: expects std > 0.0, but found std=${p.std}`);
  const g = p.generator ?? defaultGenerator;
  return fillWith("logNormal_", p.input, () => Math.exp(p.mean + p.std * g.normal()));
}

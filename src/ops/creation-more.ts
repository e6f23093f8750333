// More factories: empty, emptyLike and logspace, as torch's functions of those names. They build
// on creation.ts (so tensor.ts must not import this file: creation.ts needs Tensor at load time).
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
} from "../core/args.ts";
import { isDeviceLike, toDevice } from "../core/device.ts";
import { DTYPES, type DType, isHalf } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { type CreateOptions, linspace, type SizeArgs, zeros, zerosLike } from "./creation.ts";
import * as el from "./elementwise.ts";

const CREATE_KEYS = ["dtype", "requiresGrad", "device"] as const;

function makeSigs() {
  const t = instanceOf(Tensor, "a Tensor");
  const finite = custom("a finite number", (v): v is number => Number.isFinite(v));
  const kw = {
    dtype: opt(
      custom("a dtype name", (v): v is DType => DTYPES.includes(v as DType) && !isHalf(v as DType)),
    ),
    requiresGrad: opt(bool),
    device: opt(nullable(custom('a device ("cpu" or a Device)', isDeviceLike))),
  };
  return {
    logspace: signature(
      "logspace",
      { start: finite, end: finite, steps: int, base: opt(num, 10) },
      kw,
    ),
    emptyLike: signature("emptyLike", { input: t }, kw),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/** The options present in `p` (absent ones left out, so the factory applies its defaults). */
function createOptions(p: Record<string, unknown>): CreateOptions {
  const o: Record<string, unknown> = {};
  for (const k of CREATE_KEYS) if (p[k] !== undefined) o[k] = p[k];
  return o as CreateOptions;
}

/**
 * A tensor of the given size, as torch.empty (`empty(2, 3)`, `empty([2, 3], { dtype })`). Kiln
 * fills it with zeros: its contents are unspecified in PyTorch, so code must not read them.
 */
export function empty<T extends DType = "float32">(
  ...args: SizeArgs<CreateOptions<T>>
): Tensor<NoInfer<T>>;
export function empty(...args: SizeArgs<CreateOptions>): Tensor {
  return (zeros as (...a: unknown[]) => Tensor)(...args);
}

/** A tensor shaped like `input` (its dtype unless given), as torch.empty_like (zero-filled). */
export function emptyLike<S extends DType, T extends DType = S>(
  input: Tensor<S>,
  options?: CreateOptions<T>,
): Tensor<NoInfer<T>>;
export function emptyLike(input: Tensor, _options?: unknown): Tensor {
  const p = parseArgs(sigs().emptyLike, arguments);
  return zerosLike(input, createOptions(p));
}

/**
 * `steps` points `base ** linspace(start, end, steps)`, float32 unless a dtype is given, as
 * torch.logspace(start, end, steps, base=10.0).
 */
export function logspace<T extends DType = "float32">(
  start: number,
  end: number,
  steps: number,
  ...rest: [base?: number, options?: CreateOptions<T>] | [options?: CreateOptions<T>]
): Tensor<NoInfer<T>>;
export function logspace(_s: number, _e: number, _n: number, ..._rest: unknown[]): Tensor {
  const p = parseArgs(sigs().logspace, arguments);
  if (p.steps < 0)
    throw new ValueError(`logspace: number of steps must be non-negative, got ${p.steps}`);
  const o = createOptions(p);
  if (o.device !== undefined && o.device !== null) toDevice("logspace", o.device);
  const dtype = (o.dtype as DType | undefined) ?? "float32";
  // The exponents and powers in float64, rounded once to the result dtype.
  // NOTE: one step is [start] in PyTorch (Kiln's linspace gives [end] there).
  const exps =
    p.steps === 1
      ? linspace(p.start, p.start, 1, { dtype: "float64" })
      : linspace(p.start, p.end, p.steps, { dtype: "float64" });
  const vals = el.pow(p.base, exps);
  const out = el.cast(dtype === "int32" || dtype === "bool" ? el.trunc(vals) : vals, dtype);
  if (o.requiresGrad === true) out.requiresGrad_(true);
  return out;
}

// The Kiln side of the OpInfo table in tools/golden/core.py: one entry per op name, calling
// Kiln the way a user would. Golden, gradient and finite-difference tests all run through it.

import { dec, type Enc } from "./helpers.ts";
import { cat, type DType, matmul, stack, type Tensor, where } from "./kiln.ts";

export type Arg = Tensor | number;
export type Kw = Record<string, unknown>;
export type OpFn = (args: Arg[], kw: Kw) => Tensor | Tensor[];

const T = (a: Arg | undefined): Tensor => a as Tensor;
const dims = (kw: Kw): number | number[] | null =>
  (kw.dim as number | number[] | undefined) ?? null;
const keep = (kw: Kw) => ({ keepDim: (kw.keepDim as boolean | undefined) ?? false });
const varOpts = (kw: Kw) => ({
  ...keep(kw),
  correction: (kw.correction as number | undefined) ?? 1,
});

const unary = (name: keyof Tensor & string): OpFn => {
  return ([x]) => (T(x)[name] as () => Tensor).call(T(x));
};
const binary = (fn: (a: Tensor, b: Arg) => Tensor): OpFn => {
  return ([a, b]) => fn(T(a), b!);
};

export const OPS: Record<string, OpFn> = {
  ...Object.fromEntries(
    [
      "neg",
      "abs",
      "exp",
      "expm1",
      "log",
      "log1p",
      "sqrt",
      "rsqrt",
      "reciprocal",
      "sin",
      "cos",
      "tanh",
      "sigmoid",
      "relu",
      "erf",
      "erfc",
      "exp2",
      "log2",
      "log10",
      "tan",
      "asin",
      "acos",
      "atan",
      "sinh",
      "cosh",
      "asinh",
      "acosh",
      "atanh",
      "sign",
      "floor",
      "ceil",
      "round",
      "trunc",
      "logicalNot",
      "clone",
      "nonzero",
    ].map((n) => [n, unary(n as keyof Tensor & string)]),
  ),
  add: binary((a, b) => a.add(b)),
  sub: binary((a, b) => a.sub(b)),
  mul: binary((a, b) => a.mul(b)),
  div: binary((a, b) => a.div(b)),
  pow: binary((a, b) => a.pow(b)),
  maximum: binary((a, b) => a.maximum(b as Tensor)),
  minimum: binary((a, b) => a.minimum(b as Tensor)),
  remainder: binary((a, b) => a.remainder(b)),
  fmod: binary((a, b) => a.fmod(b)),
  atan2: binary((a, b) => a.atan2(b)),
  hypot: binary((a, b) => a.hypot(b)),
  logaddexp: binary((a, b) => a.logaddexp(b)),
  xlogy: binary((a, b) => a.xlogy(b)),
  addAlpha: binary((a, b) => a.add(b, { alpha: 2 })),
  subAlpha: binary((a, b) => a.sub(b, { alpha: 2 })),
  eq: binary((a, b) => a.eq(b)),
  ne: binary((a, b) => a.ne(b)),
  lt: binary((a, b) => a.lt(b)),
  le: binary((a, b) => a.le(b)),
  gt: binary((a, b) => a.gt(b)),
  ge: binary((a, b) => a.ge(b)),
  logicalAnd: binary((a, b) => a.logicalAnd(b)),
  logicalOr: binary((a, b) => a.logicalOr(b)),
  logicalXor: binary((a, b) => a.logicalXor(b)),
  where: ([c, a, b]) => where(T(c), a!, b!),
  clamp: ([x], kw) =>
    T(x).clamp((kw.min as number | undefined) ?? null, (kw.max as number | undefined) ?? null),
  sum: ([x], kw) => T(x).sum(dims(kw), keep(kw)),
  mean: ([x], kw) => T(x).mean(dims(kw), keep(kw)),
  prod: ([x], kw) => T(x).prod(kw.dim as number | undefined, keep(kw)),
  argmax: ([x], kw) => T(x).argmax(kw.dim as number | undefined, keep(kw)),
  argmin: ([x], kw) => T(x).argmin(kw.dim as number | undefined, keep(kw)),
  any: ([x], kw) => T(x).any(dims(kw), keep(kw)),
  all: ([x], kw) => T(x).all(dims(kw), keep(kw)),
  amax: ([x], kw) => T(x).amax(dims(kw), keep(kw)),
  max: ([x], kw) => {
    if (kw.dim === undefined) return T(x).max();
    const r = T(x).max(kw.dim as number, keep(kw));
    return [r.values, r.indices];
  },
  min: ([x], kw) => {
    if (kw.dim === undefined) return T(x).min();
    const r = T(x).min(kw.dim as number, keep(kw));
    return [r.values, r.indices];
  },
  var: ([x], kw) => T(x).var(dims(kw), varOpts(kw)),
  std: ([x], kw) => T(x).std(dims(kw), varOpts(kw)),
  logsumexp: ([x], kw) => T(x).logsumexp(kw.dim as number | number[], keep(kw)),
  cumsum: ([x], kw) => T(x).cumsum(kw.dim as number),
  reshape: ([x], kw) => T(x).reshape(kw.shape as number[]),
  view: ([x], kw) => T(x).view(kw.shape as number[]),
  flatten: ([x], kw) =>
    T(x).flatten((kw.startDim as number | undefined) ?? 0, (kw.endDim as number | undefined) ?? -1),
  squeeze: ([x], kw) => T(x).squeeze(kw.dim as number | undefined),
  unsqueeze: ([x], kw) => T(x).unsqueeze(kw.dim as number),
  permute: ([x], kw) => T(x).permute(kw.dims as number[]),
  transpose: ([x], kw) => T(x).transpose(kw.dim0 as number, kw.dim1 as number),
  t: ([x]) => T(x).t(),
  mT: ([x]) => T(x).transpose(-1, -2).contiguous(),
  expand: ([x], kw) => T(x).expand(kw.shape as number[]),
  expandAs: ([x, y]) => T(x).expandAs(T(y)),
  contiguous: ([x]) => T(x).transpose(0, 1).contiguous(),
  narrow: ([x], kw) => T(x).narrow(kw.dim as number, kw.start as number, kw.length as number),
  split: ([x], kw) => T(x).split(kw.size as number | number[], (kw.dim as number | undefined) ?? 0),
  chunk: ([x], kw) => T(x).chunk(kw.chunks as number, (kw.dim as number | undefined) ?? 0),
  repeat: ([x], kw) => T(x).repeat(kw.sizes as number[]),
  flip: ([x], kw) => T(x).flip(kw.dims as number[]),
  cat: (xs, kw) => cat(xs as Tensor[], (kw.dim as number | undefined) ?? 0),
  stack: (xs, kw) => stack(xs as Tensor[], (kw.dim as number | undefined) ?? 0),
  gather: ([x, i], kw) => T(x).gather(kw.dim as number, T(i)),
  scatter: ([x, i, s], kw) => T(x).scatter(kw.dim as number, T(i), s!),
  scatterAdd: ([x, i, s], kw) => T(x).scatterAdd(kw.dim as number, T(i), T(s)),
  indexSelect: ([x, i], kw) => T(x).indexSelect(kw.dim as number, T(i)),
  matmul: ([a, b]) => matmul(T(a), T(b)),
  to: ([x], kw) => T(x).to(kw.dtype as DType),
  maskedFill: ([x, m], kw) => T(x).maskedFill(T(m), kw.value as number),
  maskedSelect: ([x, m]) => T(x).maskedSelect(T(m)),
};

/** One case of test/golden/core/ops.json. */
export interface OpCase {
  op: string;
  inputs: (Enc | { scalar: number })[];
  kwargs: Record<string, unknown>;
  grad: boolean;
  out: Enc | Enc[];
  gradFn: string | null;
  gradOutputs?: (Enc | null)[];
  grads?: (Enc | { none: true } | null)[];
}

export function buildArgs(c: OpCase, requiresGrad: boolean): Arg[] {
  return c.inputs.map((a) => {
    if ("scalar" in a) return a.scalar;
    const t = dec(a);
    return requiresGrad && (a.dtype === "float32" || a.dtype === "float64")
      ? t.requiresGrad_(true)
      : t;
  });
}

export function label(c: OpCase, i: number): string {
  const ins = c.inputs.map((a) =>
    "scalar" in a ? `scalar ${a.scalar}` : `${a.dtype}[${a.shape}]`,
  );
  return `#${i} ${c.op}(${ins.join(", ")}) ${JSON.stringify(c.kwargs)}`;
}

// The torch.X functions that are Tensor methods too (torch.exp(x) is x.exp()): each calls the
// method on its first argument, so arguments, checks, dtypes and gradients are the method's, and
// PyTorch's other positional and keyword arguments pass through unchanged. Depends on the Tensor
// class only.

import { showValue } from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { ValueError } from "../core/errors.ts";
import { Tensor } from "../tensor/tensor-class.ts";

type MethodName = {
  [K in keyof Tensor]: Tensor[K] extends (...args: never[]) => unknown ? K : never;
}[keyof Tensor];

/**
 * The call signatures of a method with up to four overloads, as [parameters, result] pairs (a
 * method with fewer overloads repeats its first one).
 */
type Overloads<F> = F extends {
  (...a: infer A1): infer R1;
  (...a: infer A2): infer R2;
  (...a: infer A3): infer R3;
  (...a: infer A4): infer R4;
}
  ? [[A1, R1], [A2, R2], [A3, R3], [A4, R4]]
  : never;
type Args<D extends DType, K extends MethodName, I extends 0 | 1 | 2 | 3> = Overloads<
  Tensor<D>[K]
>[I][0];
type Result<D extends DType, K extends MethodName, I extends 0 | 1 | 2 | 3> = Overloads<
  Tensor<D>[K]
>[I][1];

/** torch.X(input, ...args) as input.X(...args), with every overload of the method. */
export type TorchFunction<K extends MethodName> = {
  <D extends DType>(input: Tensor<D>, ...args: NoInfer<Args<D, K, 0>>): Result<D, K, 0>;
  <D extends DType>(input: Tensor<D>, ...args: NoInfer<Args<D, K, 1>>): Result<D, K, 1>;
  <D extends DType>(input: Tensor<D>, ...args: NoInfer<Args<D, K, 2>>): Result<D, K, 2>;
  <D extends DType>(input: Tensor<D>, ...args: NoInfer<Args<D, K, 3>>): Result<D, K, 3>;
};

function method<K extends MethodName>(name: K): TorchFunction<K> {
  const fn = function (this: unknown, input: Tensor, ...args: unknown[]): unknown {
    if (!(input instanceof Tensor)) {
      throw new ValueError(`${name}: argument "input" must be a Tensor, got ${showValue(input)}`);
    }
    return (input[name] as (...a: unknown[]) => unknown).apply(input, args);
  };
  Object.defineProperty(fn, "name", { value: name });
  return fn as unknown as TorchFunction<K>;
}

/** torch.abs: `abs(input, ...args)` is `input.abs(...args)` (see Tensor.abs). */
export const abs = method("abs");
/** torch.neg: `neg(input, ...args)` is `input.neg(...args)` (see Tensor.neg). */
export const neg = method("neg");
/** torch.exp: `exp(input, ...args)` is `input.exp(...args)` (see Tensor.exp). */
export const exp = method("exp");
/** torch.expm1: `expm1(input, ...args)` is `input.expm1(...args)` (see Tensor.expm1). */
export const expm1 = method("expm1");
/** torch.exp2: `exp2(input, ...args)` is `input.exp2(...args)` (see Tensor.exp2). */
export const exp2 = method("exp2");
/** torch.log: `log(input, ...args)` is `input.log(...args)` (see Tensor.log). */
export const log = method("log");
/** torch.log1p: `log1p(input, ...args)` is `input.log1p(...args)` (see Tensor.log1p). */
export const log1p = method("log1p");
/** torch.log2: `log2(input, ...args)` is `input.log2(...args)` (see Tensor.log2). */
export const log2 = method("log2");
/** torch.log10: `log10(input, ...args)` is `input.log10(...args)` (see Tensor.log10). */
export const log10 = method("log10");
/** torch.sqrt: `sqrt(input, ...args)` is `input.sqrt(...args)` (see Tensor.sqrt). */
export const sqrt = method("sqrt");
/** torch.rsqrt: `rsqrt(input, ...args)` is `input.rsqrt(...args)` (see Tensor.rsqrt). */
export const rsqrt = method("rsqrt");
/** torch.reciprocal: `reciprocal(input, ...args)` is `input.reciprocal(...args)` (see Tensor.reciprocal). */
export const reciprocal = method("reciprocal");
/** torch.square: `square(input, ...args)` is `input.square(...args)` (see Tensor.square). */
export const square = method("square");
/** torch.sin: `sin(input, ...args)` is `input.sin(...args)` (see Tensor.sin). */
export const sin = method("sin");
/** torch.cos: `cos(input, ...args)` is `input.cos(...args)` (see Tensor.cos). */
export const cos = method("cos");
/** torch.tan: `tan(input, ...args)` is `input.tan(...args)` (see Tensor.tan). */
export const tan = method("tan");
/** torch.asin: `asin(input, ...args)` is `input.asin(...args)` (see Tensor.asin). */
export const asin = method("asin");
/** torch.acos: `acos(input, ...args)` is `input.acos(...args)` (see Tensor.acos). */
export const acos = method("acos");
/** torch.atan: `atan(input, ...args)` is `input.atan(...args)` (see Tensor.atan). */
export const atan = method("atan");
/** torch.sinh: `sinh(input, ...args)` is `input.sinh(...args)` (see Tensor.sinh). */
export const sinh = method("sinh");
/** torch.cosh: `cosh(input, ...args)` is `input.cosh(...args)` (see Tensor.cosh). */
export const cosh = method("cosh");
/** torch.tanh: `tanh(input, ...args)` is `input.tanh(...args)` (see Tensor.tanh). */
export const tanh = method("tanh");
/** torch.asinh: `asinh(input, ...args)` is `input.asinh(...args)` (see Tensor.asinh). */
export const asinh = method("asinh");
/** torch.arccos: an alias of torch.acos (see Tensor.arccos). */
export const arccos = method("arccos");
/** torch.arcsin: an alias of torch.asin (see Tensor.arcsin). */
export const arcsin = method("arcsin");
/** torch.arctan: an alias of torch.atan (see Tensor.arctan). */
export const arctan = method("arctan");
/** torch.arccosh: an alias of torch.acosh (see Tensor.arccosh). */
export const arccosh = method("arccosh");
/** torch.arcsinh: an alias of torch.asinh (see Tensor.arcsinh). */
export const arcsinh = method("arcsinh");
/** torch.arctanh: an alias of torch.atanh (see Tensor.arctanh). */
export const arctanh = method("arctanh");
/** torch.arctan2: an alias of torch.atan2 (see Tensor.arctan2). */
export const arctan2 = method("arctan2");
/** torch.acosh: `acosh(input, ...args)` is `input.acosh(...args)` (see Tensor.acosh). */
export const acosh = method("acosh");
/** torch.atanh: `atanh(input, ...args)` is `input.atanh(...args)` (see Tensor.atanh). */
export const atanh = method("atanh");
/** torch.sigmoid: `sigmoid(input, ...args)` is `input.sigmoid(...args)` (see Tensor.sigmoid). */
export const sigmoid = method("sigmoid");
/** torch.relu: `relu(input, ...args)` is `input.relu(...args)` (see Tensor.relu). */
export const relu = method("relu");
/** torch.erf: `erf(input, ...args)` is `input.erf(...args)` (see Tensor.erf). */
export const erf = method("erf");
/** torch.erfc: `erfc(input, ...args)` is `input.erfc(...args)` (see Tensor.erfc). */
export const erfc = method("erfc");
/** torch.erfinv: `erfinv(input)` is `input.erfinv()` (see Tensor.erfinv). */
export const erfinv = method("erfinv");
/** torch.lgamma: `lgamma(input)` is `input.lgamma()` (see Tensor.lgamma). */
export const lgamma = method("lgamma");
/** torch.digamma: `digamma(input)` is `input.digamma()` (see Tensor.digamma). */
export const digamma = method("digamma");
/** torch.clip: `clip(input, min, max)` is `input.clip(min, max)`, the same as clamp. */
export const clip = method("clip");
/** torch.sign: `sign(input, ...args)` is `input.sign(...args)` (see Tensor.sign). */
export const sign = method("sign");
/** torch.floor: `floor(input, ...args)` is `input.floor(...args)` (see Tensor.floor). */
export const floor = method("floor");
/** torch.ceil: `ceil(input, ...args)` is `input.ceil(...args)` (see Tensor.ceil). */
export const ceil = method("ceil");
/** torch.round: `round(input, ...args)` is `input.round(...args)` (see Tensor.round). */
export const round = method("round");
/** torch.trunc: `trunc(input, ...args)` is `input.trunc(...args)` (see Tensor.trunc). */
export const trunc = method("trunc");
/** torch.isnan: `isnan(input, ...args)` is `input.isnan(...args)` (see Tensor.isnan). */
export const isnan = method("isnan");
/** torch.logical_not: `logicalNot(input, ...args)` is `input.logicalNot(...args)` (see Tensor.logicalNot). */
export const logicalNot = method("logicalNot");
/** torch.add: `add(input, ...args)` is `input.add(...args)` (see Tensor.add). */
export const add = method("add");
/** torch.sub: `sub(input, ...args)` is `input.sub(...args)` (see Tensor.sub). */
export const sub = method("sub");
/** torch.mul: `mul(input, ...args)` is `input.mul(...args)` (see Tensor.mul). */
export const mul = method("mul");
/** torch.div: `div(input, ...args)` is `input.div(...args)` (see Tensor.div). */
export const div = method("div");
/** torch.pow: `pow(input, ...args)` is `input.pow(...args)` (see Tensor.pow). */
export const pow = method("pow");
/** torch.maximum: `maximum(input, ...args)` is `input.maximum(...args)` (see Tensor.maximum). */
export const maximum = method("maximum");
/** torch.minimum: `minimum(input, ...args)` is `input.minimum(...args)` (see Tensor.minimum). */
export const minimum = method("minimum");
/** torch.fmod: `fmod(input, ...args)` is `input.fmod(...args)` (see Tensor.fmod). */
export const fmod = method("fmod");
/** torch.remainder: `remainder(input, ...args)` is `input.remainder(...args)` (see Tensor.remainder). */
export const remainder = method("remainder");
/** torch.floor_divide: `floorDivide(input, ...args)` is `input.floorDivide(...args)` (see Tensor.floorDivide). */
export const floorDivide = method("floorDivide");
/** torch.atan2: `atan2(input, ...args)` is `input.atan2(...args)` (see Tensor.atan2). */
export const atan2 = method("atan2");
/** torch.hypot: `hypot(input, ...args)` is `input.hypot(...args)` (see Tensor.hypot). */
export const hypot = method("hypot");
/** torch.logaddexp: `logaddexp(input, ...args)` is `input.logaddexp(...args)` (see Tensor.logaddexp). */
export const logaddexp = method("logaddexp");
/** torch.xlogy: `xlogy(input, ...args)` is `input.xlogy(...args)` (see Tensor.xlogy). */
export const xlogy = method("xlogy");
/** torch.eq: `eq(input, ...args)` is `input.eq(...args)` (see Tensor.eq). */
export const eq = method("eq");
/** torch.ne: `ne(input, ...args)` is `input.ne(...args)` (see Tensor.ne). */
export const ne = method("ne");
/** torch.lt: `lt(input, ...args)` is `input.lt(...args)` (see Tensor.lt). */
export const lt = method("lt");
/** torch.le: `le(input, ...args)` is `input.le(...args)` (see Tensor.le). */
export const le = method("le");
/** torch.gt: `gt(input, ...args)` is `input.gt(...args)` (see Tensor.gt). */
export const gt = method("gt");
/** torch.ge: `ge(input, ...args)` is `input.ge(...args)` (see Tensor.ge). */
export const ge = method("ge");
/** torch.logical_and: `logicalAnd(input, ...args)` is `input.logicalAnd(...args)` (see Tensor.logicalAnd). */
export const logicalAnd = method("logicalAnd");
/** torch.logical_or: `logicalOr(input, ...args)` is `input.logicalOr(...args)` (see Tensor.logicalOr). */
export const logicalOr = method("logicalOr");
/** torch.logical_xor: `logicalXor(input, ...args)` is `input.logicalXor(...args)` (see Tensor.logicalXor). */
export const logicalXor = method("logicalXor");
/** torch.clamp: `clamp(input, ...args)` is `input.clamp(...args)` (see Tensor.clamp). */
export const clamp = method("clamp");
/** torch.lerp: `lerp(input, ...args)` is `input.lerp(...args)` (see Tensor.lerp). */
export const lerp = method("lerp");
/** torch.sum: `sum(input, ...args)` is `input.sum(...args)` (see Tensor.sum). */
export const sum = method("sum");
/** torch.mean: `mean(input, ...args)` is `input.mean(...args)` (see Tensor.mean). */
export const mean = method("mean");
/** torch.prod: `prod(input, ...args)` is `input.prod(...args)` (see Tensor.prod). */
export const prod = method("prod");
/** torch.max: `max(input, ...args)` is `input.max(...args)` (see Tensor.max). */
export const max = method("max");
/** torch.min: `min(input, ...args)` is `input.min(...args)` (see Tensor.min). */
export const min = method("min");
/** torch.amax: `amax(input, ...args)` is `input.amax(...args)` (see Tensor.amax). */
export const amax = method("amax");
/** torch.amin: `amin(input, ...args)` is `input.amin(...args)` (see Tensor.amin). */
export const amin = method("amin");
/** torch.argmax: `argmax(input, ...args)` is `input.argmax(...args)` (see Tensor.argmax). */
export const argmax = method("argmax");
/** torch.argmin: `argmin(input, ...args)` is `input.argmin(...args)` (see Tensor.argmin). */
export const argmin = method("argmin");
/** torch.std: `std(input, ...args)` is `input.std(...args)` (see Tensor.std). */
export const std = method("std");
/** torch.var: `var(input, ...args)` is `input.var(...args)` (see Tensor.var). */
const variance = method("var");

export { variance as var };
/** torch.logsumexp: `logsumexp(input, ...args)` is `input.logsumexp(...args)` (see Tensor.logsumexp). */
export const logsumexp = method("logsumexp");
/** torch.cumsum: `cumsum(input, ...args)` is `input.cumsum(...args)` (see Tensor.cumsum). */
export const cumsum = method("cumsum");
/** torch.all: `all(input, ...args)` is `input.all(...args)` (see Tensor.all). */
export const all = method("all");
/** torch.any: `any(input, ...args)` is `input.any(...args)` (see Tensor.any). */
export const any = method("any");
/** torch.flatten: `flatten(input, ...args)` is `input.flatten(...args)` (see Tensor.flatten). */
export const flatten = method("flatten");
/** torch.reshape: `reshape(input, ...args)` is `input.reshape(...args)` (see Tensor.reshape). */
export const reshape = method("reshape");
/** torch.transpose: `transpose(input, ...args)` is `input.transpose(...args)` (see Tensor.transpose). */
export const transpose = method("transpose");
/** torch.permute: `permute(input, ...args)` is `input.permute(...args)` (see Tensor.permute). */
export const permute = method("permute");
/** torch.squeeze: `squeeze(input, ...args)` is `input.squeeze(...args)` (see Tensor.squeeze). */
export const squeeze = method("squeeze");
/** torch.unsqueeze: `unsqueeze(input, ...args)` is `input.unsqueeze(...args)` (see Tensor.unsqueeze). */
export const unsqueeze = method("unsqueeze");
/** torch.t: `t(input, ...args)` is `input.t(...args)` (see Tensor.t). */
export const t = method("t");
/** torch.flip: `flip(input, ...args)` is `input.flip(...args)` (see Tensor.flip). */
export const flip = method("flip");
/** torch.narrow: `narrow(input, ...args)` is `input.narrow(...args)` (see Tensor.narrow). */
export const narrow = method("narrow");
/** torch.select: `select(input, ...args)` is `input.select(...args)` (see Tensor.select). */
export const select = method("select");
/** torch.gather: `gather(input, ...args)` is `input.gather(...args)` (see Tensor.gather). */
export const gather = method("gather");
/** torch.scatter: `scatter(input, ...args)` is `input.scatter(...args)` (see Tensor.scatter). */
export const scatter = method("scatter");
/** torch.scatter_add: `scatterAdd(input, ...args)` is `input.scatterAdd(...args)` (see Tensor.scatterAdd). */
export const scatterAdd = method("scatterAdd");
/** torch.index_select: `indexSelect(input, ...args)` is `input.indexSelect(...args)` (see Tensor.indexSelect). */
export const indexSelect = method("indexSelect");
/** torch.masked_select: `maskedSelect(input, ...args)` is `input.maskedSelect(...args)` (see Tensor.maskedSelect). */
export const maskedSelect = method("maskedSelect");
/** torch.masked_fill: `maskedFill(input, ...args)` is `input.maskedFill(...args)` (see Tensor.maskedFill). */
export const maskedFill = method("maskedFill");
/** torch.numel: `numel(input, ...args)` is `input.numel(...args)` (see Tensor.numel). */
export const numel = method("numel");
/** torch.clone: `clone(input, ...args)` is `input.clone(...args)` (see Tensor.clone). */
export const clone = method("clone");
/** torch.chunk: `chunk(input, ...args)` is `input.chunk(...args)` (see Tensor.chunk). */
export const chunk = method("chunk");
/** torch.split: `split(input, ...args)` is `input.split(...args)` (see Tensor.split). */
export const split = method("split");
/** torch.nonzero: `nonzero(input, ...args)` is `input.nonzero(...args)` (see Tensor.nonzero). */
export const nonzero = method("nonzero");

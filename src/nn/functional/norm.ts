// Normalisation functions: batch norm (with the running-statistics update), layer norm and
// group norm, composed from reductions and elementwise ops, or through the backend's fused
// batch- and layer-norm kernels where they fit. Arguments in PyTorch's order,
// positional or in one trailing options object (API.md rule 2). Depends on src/ops and src/tensor.

import type { FusedKernels } from "../../backend/backend.ts";
import {
  arrayOf,
  bool,
  either,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { f32 } from "../../ops/conv.ts";
import { empty, fusedKernels } from "../../ops/dispatch.ts";
import { compositeVjp, named, record } from "../../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { optTensor, tensorArg } from "./args.ts";

/**
 * Options of `batchNorm` after the running stats; defaults weight and bias null, training false,
 * momentum 0.1, eps 1e-5, as torch.nn.functional.batch_norm.
 */
export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  training?: boolean;
  momentum?: number;
  eps?: number;
}

const BATCH_NORM = signature("batchNorm", {
  input: tensorArg,
  runningMean: nullable(tensorArg),
  runningVar: nullable(tensorArg),
  weight: optTensor,
  bias: optTensor,
  training: opt(bool, false),
  momentum: opt(num, 0.1),
  eps: opt(num, 1e-5),
});
type BatchNormArgs = ReturnType<typeof parseArgs<(typeof BATCH_NORM)["params"]>>;

/**
 * Batch normalisation over every dim but 1, as torch.nn.functional.batch_norm(input,
 * running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-05):
 * y = (x − mean)/√(var + eps)·weight + bias. In training, batch statistics (biased variance)
 * normalise and the running stats move: r ← (1 − momentum)·r + momentum·stat, with the
 * unbiased variance n/(n − 1)·var for `runningVar`. Otherwise the running stats normalise.
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  ...rest: WithOptions<
    [weight: Tensor | null, bias: Tensor | null, training: boolean, momentum: number, eps: number],
    BatchNormOptions
  >
): Tensor {
  const options = parseArgs(BATCH_NORM, [x, runningMean, runningVar, ...rest]);
  const { training, eps, momentum } = options;
  if (x.ndim < 2)
    throw new ShapeError(`batchNorm: expected at least 2-D input, got ${formatShape(x.shape)}`);
  const C = x.shape[1]!;
  const fk = fusedKernels();
  if (
    fk?.batchNorm !== undefined &&
    fk.batchNormBackward !== undefined &&
    fusable(x, options.weight, options.bias, runningMean, runningVar)
  ) {
    return batchNormFused(
      fk as BatchNormKernels,
      x,
      runningMean,
      runningVar,
      training,
      momentum,
      eps,
      options,
    );
  }
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let mean: Tensor;
  let varb: Tensor;
  if (training) {
    const n = x.numel() / C;
    if (n <= 1) {
      throw new ValueError(
        `batchNorm: Expected more than 1 value per channel when training, got input size ${formatShape(x.shape)}`,
      );
    }
    mean = x.mean(dims, { keepDim: true });
    varb = x.var(dims, { keepDim: true, correction: 0 });
    noGrad(() => {
      if (runningMean !== null) runningMean.mul_(1 - momentum).add_(mean.reshape(C).mul(momentum));
      if (runningVar !== null)
        runningVar.mul_(1 - momentum).add_(varb.reshape(C).mul((momentum * n) / (n - 1)));
    });
  } else {
    if (runningMean === null || runningVar === null) {
      throw new ValueError(
        "batchNorm: running_mean and running_var must be defined in evaluation mode",
      );
    }
    mean = runningMean.reshape(bshape);
    varb = runningVar.reshape(bshape);
  }
  let y = x.sub(mean).mul(varb.add(eps).rsqrt());
  if (options.weight !== null) y = y.mul(options.weight.reshape(bshape));
  if (options.bias !== null) y = y.add(options.bias.reshape(bshape));
  return y;
}

type BatchNormKernels = Pick<FusedKernels, "batchNorm" | "batchNormBackward">;

/** float32 throughout, and no gradient asked of the running statistics. */
function fusable(x: Tensor, ...others: (Tensor | null | undefined)[]): boolean {
  if (x.dtype !== "float32") return false;
  for (let i = 0; i < others.length; i++) {
    const t = others[i];
    if (t != null && (t.dtype !== "float32" || t.numel() !== x.shape[1]!)) return false;
  }
  return !(others[2]?.requiresGrad || others[3]?.requiresGrad);
}

/** batchNorm through the backend's fused kernels: the same statistics, updates and gradients. */
function batchNormFused(
  fk: BatchNormKernels,
  xIn: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  training: boolean,
  momentum: number,
  eps: number,
  options: BatchNormArgs,
): Tensor {
  const C = xIn.shape[1]!;
  const N = xIn.shape[0]!;
  const L = xIn.numel() / Math.max(N * C, 1);
  const shape = [N, C, L] as const;
  const x = xIn.contiguous();
  const weight = options.weight?.contiguous() ?? null;
  const bias = options.bias?.contiguous() ?? null;
  const mean = new Float32Array(C);
  const invstd = new Float32Array(C);
  const varb = new Float32Array(C);
  if (training) {
    const n = xIn.numel() / C;
    if (n <= 1) {
      throw new ValueError(
        `batchNorm: Expected more than 1 value per channel when training, got input size ${formatShape(xIn.shape)}`,
      );
    }
  } else {
    if (runningMean === null || runningVar === null) {
      throw new ValueError(
        "batchNorm: running_mean and running_var must be defined in evaluation mode",
      );
    }
    const rm = runningMean.dataSync();
    const rv = runningVar.dataSync();
    const e = Math.fround(eps);
    for (let c = 0; c < C; c++) {
      mean[c] = rm[c]!;
      invstd[c] = 1 / Math.sqrt(Math.fround(rv[c]! + e));
    }
  }
  const y = empty(xIn.shape, "float32");
  const wd = weight === null ? null : f32(weight);
  fk.batchNorm(
    shape,
    f32(x),
    wd,
    bias === null ? null : f32(bias),
    mean,
    invstd,
    varb,
    eps,
    training,
    f32(y),
  );
  if (training) {
    const n = xIn.numel() / C;
    noGrad(() => {
      const m = Tensor.fromData(mean, [C], "float32");
      const v = Tensor.fromData(varb, [C], "float32");
      if (runningMean !== null) runningMean.mul_(1 - momentum).add_(m.mul(momentum));
      if (runningVar !== null) runningVar.mul_(1 - momentum).add_(v.mul((momentum * n) / (n - 1)));
    });
  }
  return record(
    y,
    "NativeBatchNormBackward0",
    [x, weight, bias],
    (gy) => {
      // createGraph: differentiate the composite form, so the gradients record a graph.
      if (isGradEnabled()) {
        return compositeVjp(
          [x, weight, bias],
          () => batchNormComposite(x, weight, bias, training, mean, invstd, eps),
          gy,
        );
      }
      return affineGrads(x, weight, bias, C, (gx, gw, gb) =>
        fk.batchNormBackward(
          shape,
          f32(gy.contiguous()),
          f32(x),
          wd,
          mean,
          invstd,
          training,
          gx,
          gw,
          gb,
        ),
      );
    },
    [x, ...(weight === null ? [] : [weight])],
  );
}

/**
 * The gradients a fused normalisation's backward kernel writes: x's, and the `n`-element weight's
 * and bias's, each only when it requires grad (the kernel skips a null output); the parameters'
 * come back in their own shapes.
 */
function affineGrads(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  n: number,
  kernel: (gx: Float32Array | null, gw: Float32Array | null, gb: Float32Array | null) => void,
): (Tensor | null)[] {
  const gx = x.requiresGrad ? empty(x.shape, "float32") : null;
  const gw = weight?.requiresGrad ? empty([n], "float32") : null;
  const gb = bias?.requiresGrad ? empty([n], "float32") : null;
  kernel(gx && f32(gx), gw && f32(gw), gb && f32(gb));
  return [gx, gw?.reshape(weight!.shape) ?? null, gb?.reshape(bias!.shape) ?? null];
}

/**
 * batchNormFused's output from primitives (batch statistics when training, else the running
 * statistics the kernel used), for its gradients under createGraph.
 */
function batchNormComposite(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  training: boolean,
  mean: Float32Array,
  invstd: Float32Array,
  eps: number,
): Tensor {
  const C = x.shape[1]!;
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  const dims = x.shape.map((_, i) => i).filter((i) => i !== 1);
  let y: Tensor;
  if (training) {
    const m = x.mean(dims, { keepDim: true });
    const v = x.var(dims, { keepDim: true, correction: 0 });
    y = x.sub(m).mul(v.add(eps).rsqrt());
  } else {
    const m = Tensor.fromData(Float32Array.from(mean), [C], "float32").reshape(bshape);
    const s = Tensor.fromData(Float32Array.from(invstd), [C], "float32").reshape(bshape);
    y = x.sub(m).mul(s);
  }
  if (weight !== null) y = y.mul(weight.reshape(bshape));
  if (bias !== null) y = y.add(bias.reshape(bshape));
  return y;
}

/** Options of `layerNorm` and `groupNorm`: the affine weight and bias, and `eps`. */
export type AffineOptions = { weight?: Tensor | null; bias?: Tensor | null; eps?: number };
/** The arguments of `layerNorm` and `groupNorm` after the shape or groups: weight, bias, eps. */
export type AffineArgs = WithOptions<
  [weight: Tensor | null, bias: Tensor | null, eps: number],
  AffineOptions
>;

const LAYER_NORM = signature("layerNorm", {
  input: tensorArg,
  normalizedShape: either(int, arrayOf(int)),
  weight: optTensor,
  bias: optTensor,
  eps: opt(num, 1e-5),
});

/**
 * Normalises over the trailing `normalizedShape` dims (biased variance), as
 * torch.nn.functional.layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05).
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number | readonly number[],
  ...rest: AffineArgs
): Tensor {
  const options = parseArgs(LAYER_NORM, [x, normalizedShape, ...rest]);
  const ns = options.normalizedShape;
  normalizedShape = typeof ns === "number" ? [ns] : ns;
  const k = normalizedShape.length;
  if (k === 0) {
    throw new ValueError(
      "layerNorm: Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got normalized_shape = []",
    );
  }
  const tail = x.shape.slice(x.ndim - k);
  if (x.ndim < k || tail.join() !== normalizedShape.join()) {
    throw new ShapeError(
      `layerNorm: Given normalized_shape=${formatShape(normalizedShape)}, expected input with shape [*, ${normalizedShape.join(", ")}], but got input of size ${formatShape(x.shape)}`,
    );
  }
  for (const [what, t] of [
    ["weight", options.weight],
    ["bias", options.bias],
  ] as const) {
    if (t !== null && t.shape.join() !== normalizedShape.join()) {
      throw new ShapeError(
        `layerNorm: Expected ${what} to be of same shape as normalized_shape, but got ${what} of shape ${formatShape(t.shape)} and normalized_shape = ${formatShape(normalizedShape)}`,
      );
    }
  }
  const dims = normalizedShape.map((_, i) => x.ndim - k + i);
  const N = normalizedShape.reduce((a, b) => a * b, 1);
  const fk = fusedKernels();
  if (
    fk?.layerNorm !== undefined &&
    fk.layerNormBackward !== undefined &&
    layerNormFusable(x, options.weight, options.bias)
  ) {
    return layerNormFused(fk as LayerNormKernels, x, N, dims, options);
  }
  return layerNormComposite(x, dims, options.weight, options.bias, options.eps);
}

/** layerNorm from primitives: the definition the fused kernels are held to. */
function layerNormComposite(
  x: Tensor,
  dims: readonly number[],
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor {
  const mean = x.mean(dims, { keepDim: true });
  const v = x.var(dims, { keepDim: true, correction: 0 });
  let y = x.sub(mean).mul(v.add(eps).rsqrt());
  if (weight !== null) y = y.mul(weight);
  if (bias !== null) y = y.add(bias);
  const inputs = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  return named(y, "NativeLayerNormBackward0", inputs);
}

type LayerNormKernels = Pick<FusedKernels, "layerNorm" | "layerNormBackward">;

/** float32 input, weight and bias (the shapes of weight and bias checked by layerNorm). */
function layerNormFusable(x: Tensor, w: Tensor | null, b: Tensor | null): boolean {
  return (
    x.dtype === "float32" &&
    (w?.dtype ?? "float32") === "float32" &&
    (b?.dtype ?? "float32") === "float32"
  );
}

/** layerNorm through the backend's fused kernels: one node, gradients from a kernel too. */
function layerNormFused(
  fk: LayerNormKernels,
  xIn: Tensor,
  N: number,
  dims: readonly number[],
  options: { weight: Tensor | null; bias: Tensor | null; eps: number },
): Tensor {
  const M = N === 0 ? 0 : xIn.numel() / N;
  const x = xIn.contiguous();
  const weight = options.weight?.contiguous() ?? null;
  const bias = options.bias?.contiguous() ?? null;
  const mean = new Float32Array(M);
  const rstd = new Float32Array(M);
  const y = empty(xIn.shape, "float32");
  const wd = weight === null ? null : f32(weight);
  fk.layerNorm(M, N, f32(x), wd, bias === null ? null : f32(bias), options.eps, mean, rstd, f32(y));
  return record(
    y,
    "NativeLayerNormBackward0",
    [x, weight, bias],
    (gy) => {
      // createGraph: differentiate the composite form, so the gradients record a graph.
      if (isGradEnabled()) {
        return compositeVjp(
          [x, weight, bias],
          () => layerNormComposite(x, dims, weight, bias, options.eps),
          gy,
        );
      }
      return affineGrads(x, weight, bias, N, (gx, gw, gb) =>
        fk.layerNormBackward(M, N, f32(gy.contiguous()), f32(x), wd, mean, rstd, gx, gw, gb),
      );
    },
    [x, ...(weight === null ? [] : [weight])],
  );
}

const GROUP_NORM = signature("groupNorm", {
  input: tensorArg,
  numGroups: int,
  weight: optTensor,
  bias: optTensor,
  eps: opt(num, 1e-5),
});

/**
 * Normalises each of `numGroups` channel groups per sample, as
 * torch.nn.functional.group_norm(input, num_groups, weight=None, bias=None, eps=1e-05).
 */
export function groupNorm(x: Tensor, numGroups: number, ...rest: AffineArgs): Tensor {
  const options = parseArgs(GROUP_NORM, [x, numGroups, ...rest]);
  const [N, C] = x.shape as [number, number];
  if (x.ndim < 2 || C % numGroups !== 0) {
    throw new ShapeError(
      `groupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape ${formatShape(x.shape)} and num_groups=${numGroups}`,
    );
  }
  const g = x.reshape(N, numGroups, -1);
  const mean = g.mean(2, { keepDim: true });
  const v = g.var(2, { keepDim: true, correction: 0 });
  let y = g.sub(mean).mul(v.add(options.eps).rsqrt()).reshape(x.shape);
  const bshape = x.shape.map((s, i) => (i === 1 ? s : 1));
  if (options.weight !== null) y = y.mul(options.weight.reshape(bshape));
  if (options.bias !== null) y = y.add(options.bias.reshape(bshape));
  return y;
}

// The Backend seam: the closed set of primitive kernels every backend implements. Kernels see
// typed arrays, shapes, strides and offsets only; the dispatcher in src/tensor allocates outputs.
// Depends only on src/core.

import type { TypedArray } from "../core/dtype.ts";
import type { Shape } from "../core/shape.ts";
import type { BinaryOp, UnaryOp } from "./elementwise-ops.ts";

/** A strided window onto a typed array: element i of the logical tensor lives at offset + Σ idx·stride. */
export interface View {
  readonly data: TypedArray;
  readonly shape: Shape;
  readonly strides: Shape;
  readonly offset: number;
}

export { BINARY_OPS, type BinaryOp, UNARY_OPS, type UnaryOp } from "./elementwise-ops.ts";

/** Reductions over trailing dimensions. */
export const REDUCE_OPS = ["sum", "prod", "max", "min", "argmax", "argmin", "any", "all"] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

/**
 * The primitive kernels, one signature each. A backend is a value of type `Backend`, so a
 * backend that lacks a kernel, or an op inside a kernel's op table, does not compile.
 */
export interface KernelSignatures {
  /** out[i] = f(x[i]); `out` may be strided (in-place writes into views). */
  unary(op: UnaryOp, x: View, out: View): void;
  /** out[i] = f(a[i], b[i]); a and b are broadcast to out.shape through zero strides. */
  binary(op: BinaryOp, a: View, b: View, out: View): void;
  /** out[i] = cond[i] ? a[i] : b[i]. */
  where(cond: View, a: View, b: View, out: View): void;
  /**
   * Reduces the last `x.shape.length - keptDims` dimensions of x into contiguous `out`
   * (one value per position of the leading `keptDims` dimensions). Arg-reductions write the
   * row-major position within the reduced block.
   */
  reduce(op: ReduceOp, x: View, keptDims: number, out: TypedArray): void;
  /** Inclusive prefix sum along the last dimension into contiguous `out`. */
  cumsum(x: View, out: TypedArray): void;
  /** out[b] = a[b] @ bm[b] for a [B, M, K], bm [B, K, N] (any strides), out contiguous [B, M, N]. */
  matmul(a: View, b: View, out: TypedArray): void;
  /** out[i] = x.flat[index[i]] where flat is x's row-major order; indices already bounds-checked. */
  take(x: View, index: Int32Array, out: TypedArray): void;
  /** target.flat[index[i]] = values[i] (or += when accumulate); target strided, values contiguous. */
  put(target: View, index: Int32Array, values: View, accumulate: boolean): void;
}

/** The name of a backend kernel: a key of {@link KernelSignatures}. */
export type KernelName = keyof KernelSignatures;
/**
 * The kernels a backend provides: one storage-level function per primitive op over strided Views,
 * plus optional fused kernels. Kiln's tensors call them; users pick a backend with `setBackend`.
 */
export type Backend = {
  readonly name: string;
  /** Optional fused kernels of composite ops (see FusedKernels); absent ones use the composition. */
  readonly fused?: Partial<FusedKernels>;
} & {
  readonly [K in KernelName]: KernelSignatures[K];
};

/**
 * Geometry of a 2-D or 3-D window over a contiguous `[N, C, D, H, W]` input (conv: O filters;
 * pool: O = C). A 2-D window over `[N, C, H, W]` has D = Do = kd = sd = dd = 1 and pd = 0.
 */
export interface WindowGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  Ho: number;
  Wo: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  /** Top and left implicit padding (bottom and right follow from Ho, Wo). */
  pt: number;
  pl: number;
  groups: number;
  /** Input and output depth, kernel depth, depth stride and dilation, front padding. */
  D: number;
  Do: number;
  kd: number;
  sd: number;
  dd: number;
  pd: number;
}

/** The float32 steps of src/optim's sgd() (a parameter's buf is null without momentum). */
export interface SgdKernelOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** One Adam/AdamW step; the bias corrections already folded in as in src/optim's adam(). */
export interface AdamKernelOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: θ ← θ·(1 − γλ) before the step; Adam: λθ added to the gradient. */
  decoupled: boolean;
  lr: number;
  maximize: boolean;
  /** √(1 − β₂ᵗ) */
  biasCorrection2Sqrt: number;
  /** γ / (1 − β₁ᵗ) */
  stepSize: number;
}

/**
 * Optional fused float32 kernels for composite ops (conv, pooling, batch and layer norm,
 * softmax, linear, cross-entropy, optimizer updates). Every array is contiguous row-major. A backend may omit
 * any of them: the composite op then runs its composition of primitives, which is the
 * definition each fused kernel is tested against.
 */
export interface FusedKernels {
  /**
   * out [N, O, Ho, Wo] = cross-correlation of x [N, C, H, W] with w [O, C/groups, kh, kw]
   * (+ bias [O]); with depth in `g`, the 3-D one: x [N, C, D, H, W] → out [N, O, Do, Ho, Wo].
   */
  conv2d(
    g: WindowGeometry,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
  ): void;
  /** gx [N, C, (D,) H, W] from gy [N, O, (Do,) Ho, Wo] and w. */
  conv2dInputGrad(g: WindowGeometry, gy: Float32Array, w: Float32Array, gx: Float32Array): void;
  /** gw [O, C/groups, (kd,) kh, kw] (and gb [O] when given) from gy and x. */
  conv2dWeightGrad(
    g: WindowGeometry,
    gy: Float32Array,
    x: Float32Array,
    gw: Float32Array,
    gb: Float32Array | null,
  ): void;
  /**
   * Window max (first maximum, NaN wins) and its flat input position (-1 for padding), over 2-D
   * or (depth in `g`) 3-D windows.
   */
  maxPool2d(g: WindowGeometry, x: Float32Array, out: Float32Array, argmax: Int32Array): void;
  maxPool2dBackward(
    g: WindowGeometry,
    gy: Float32Array,
    argmax: Int32Array,
    gx: Float32Array,
  ): void;
  /** Window mean with PyTorch's divisor rules (divisorOverride 0: none); 2-D windows only. */
  avgPool2d(
    g: WindowGeometry,
    countIncludePad: boolean,
    divisorOverride: number,
    x: Float32Array,
    out: Float32Array,
  ): void;
  avgPool2dBackward(
    g: WindowGeometry,
    countIncludePad: boolean,
    divisorOverride: number,
    gy: Float32Array,
    gx: Float32Array,
  ): void;
  /**
   * y = (x − mean)·invstd·w + b over x [N, C, L]. Training writes the batch mean, biased
   * variance and invstd = 1/√(var + eps); otherwise mean and invstd are read.
   */
  batchNorm(
    shape: readonly [number, number, number],
    x: Float32Array,
    w: Float32Array | null,
    b: Float32Array | null,
    mean: Float32Array,
    invstd: Float32Array,
    variance: Float32Array,
    eps: number,
    training: boolean,
    y: Float32Array,
  ): void;
  /** gx (training: through the batch statistics), gw = Σ gy·x̂, gb = Σ gy; null ones are skipped. */
  batchNormBackward(
    shape: readonly [number, number, number],
    gy: Float32Array,
    x: Float32Array,
    w: Float32Array | null,
    mean: Float32Array,
    invstd: Float32Array,
    training: boolean,
    gx: Float32Array | null,
    gw: Float32Array | null,
    gb: Float32Array | null,
  ): void;
  /**
   * y = (x − mean)·rstd·w + b over the rows of x [M, N] (the normalised dimensions flattened),
   * rstd = 1/√(var + eps) with the biased variance; writes each row's mean and rstd.
   */
  layerNorm(
    M: number,
    N: number,
    x: Float32Array,
    w: Float32Array | null,
    b: Float32Array | null,
    eps: number,
    mean: Float32Array,
    rstd: Float32Array,
    y: Float32Array,
  ): void;
  /** gx (through the row statistics), gw = Σ gy·x̂, gb = Σ gy; null ones are skipped. */
  layerNormBackward(
    M: number,
    N: number,
    gy: Float32Array,
    x: Float32Array,
    w: Float32Array | null,
    mean: Float32Array,
    rstd: Float32Array,
    gx: Float32Array | null,
    gw: Float32Array | null,
    gb: Float32Array | null,
  ): void;
  /** Softmax, or with `logForm` log-softmax, of each row of x [M, N]. */
  softmax(M: number, N: number, x: Float32Array, logForm: boolean, y: Float32Array): void;
  /** gx of softmax rows (y·(gy − Σ gy·y)) or log-softmax rows (gy − exp(y)·Σ gy). */
  softmaxBackward(
    M: number,
    N: number,
    y: Float32Array,
    gy: Float32Array,
    logForm: boolean,
    gx: Float32Array,
  ): void;
  /**
   * Per row of logits x [rows, C] with int32 targets: loss (label smoothing ε, class weights,
   * 0 where ignored), the row's weight w[target] (0 where ignored) and log Σ exp for backward.
   */
  crossEntropy(
    rows: number,
    C: number,
    x: Float32Array,
    target: Int32Array,
    weight: Float32Array | null,
    ignoreIndex: number,
    labelSmoothing: number,
    loss: Float32Array,
    rowWeight: Float32Array,
    lse: Float32Array,
  ): void;
  /** gx [rows, C] for per-row loss gradients g (gStride 1) or one shared gradient (gStride 0). */
  crossEntropyBackward(
    rows: number,
    C: number,
    x: Float32Array,
    target: Int32Array,
    weight: Float32Array | null,
    ignoreIndex: number,
    labelSmoothing: number,
    lse: Float32Array,
    g: Float32Array,
    gStride: 0 | 1,
    gx: Float32Array,
  ): void;
  /** out [M, N] = x [M, K] · wᵀ (w [N, K]) + bias [N]: matmul, then the bias added. */
  linear(
    M: number,
    K: number,
    N: number,
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    out: Float32Array,
  ): void;
  /** gx [M, K] = g·w, gw [N, K] = gᵀ·x, gb [N] = Σ rows of g (g [M, N]); null ones are skipped. */
  linearBackward(
    M: number,
    K: number,
    N: number,
    g: Float32Array,
    x: Float32Array,
    w: Float32Array,
    gx: Float32Array | null,
    gw: Float32Array | null,
    gb: Float32Array | null,
  ): void;
  /** gx = g·[y > 0] over n elements, y = relu(x), rounded as that product (g·0 = ±0 or NaN). */
  reluBackward(n: number, y: Float32Array, g: Float32Array, gx: Float32Array): void;
  /**
   * One LSTM step's gate math over B rows (gates i, f, g, o of xg + hg, [B, 4H]): c = σf·cPrev +
   * σi·tanh g, h = σo·tanh c; act [B, 4H] saves (σi, σf, tanh g, σo) and tc [B, H] tanh c.
   */
  lstmCell(
    B: number,
    H: number,
    xg: Float32Array,
    hg: Float32Array,
    cPrev: Float32Array,
    h: Float32Array,
    c: Float32Array,
    act: Float32Array,
    tc: Float32Array,
  ): void;
  /** The LSTM step's gate gradient ggates [B, 4H] and gcPrev [B, H] from gh, gc (null: zero). */
  lstmCellBackward(
    B: number,
    H: number,
    act: Float32Array,
    tc: Float32Array,
    cPrev: Float32Array,
    gh: Float32Array | null,
    gc: Float32Array | null,
    ggates: Float32Array,
    gcPrev: Float32Array,
  ): void;
  /**
   * One GRU step (r, z, n of xg, hg [B, 3H]): h = n + z·(hPrev − n) with n = tanh(xn + r·hn);
   * act [B, 4H] saves (r, z, n, hn).
   */
  gruCell(
    B: number,
    H: number,
    xg: Float32Array,
    hg: Float32Array,
    hPrev: Float32Array,
    h: Float32Array,
    act: Float32Array,
  ): void;
  /** The GRU step's gxg, ghg [B, 3H] and ghPrev [B, H] from gh [B, H]. */
  gruCellBackward(
    B: number,
    H: number,
    act: Float32Array,
    hPrev: Float32Array,
    gh: Float32Array,
    gxg: Float32Array,
    ghg: Float32Array,
    ghPrev: Float32Array,
  ): void;
  /**
   * One SGD step in place over several parameters in one call: params[i] with grads[i], bufs[i]
   * (the momentum buffer, null without momentum) and firstSteps[i] (a new buffer takes the
   * gradient, without dampening); each gets exactly what src/optim's sgd() composition gives.
   */
  sgdMany(
    params: readonly Float32Array[],
    grads: readonly Float32Array[],
    bufs: readonly (Float32Array | null)[],
    firstSteps: readonly boolean[],
    o: SgdKernelOptions,
  ): void;
  /** One Adam/AdamW step in place on param and its moments (maxExpAvgSq with amsgrad). */
  adam(
    param: Float32Array,
    grad: Float32Array,
    expAvg: Float32Array,
    expAvgSq: Float32Array,
    maxExpAvgSq: Float32Array | null,
    o: AdamKernelOptions,
  ): void;
}

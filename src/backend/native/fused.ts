// The native backend's fused kernels: thin wrappers that write window geometry into the addon's
// shared metadata and keep one reusable work buffer for im2col, so a call allocates nothing.
// Depends on backend.ts and the addon loader only.

import type { FusedKernels, Window2dGeometry } from "../backend.ts";
import type { NativeAddon } from "./addon.ts";

/** The addon's fused entry points (native/fused_addon.c). */
export interface NativeFusedAddon {
  conv2dWork(): number;
  conv2d(
    x: Float32Array,
    w: Float32Array,
    b: Float32Array | null,
    out: Float32Array,
    work: Float32Array,
  ): void;
  /** Whether it took the sparse path (a mostly-zero gy; native/conv_sparse.c). */
  conv2dInputGrad(gy: Float32Array, w: Float32Array, gx: Float32Array, work: Float32Array): boolean;
  /** Whether it took the sparse path (a mostly-zero gy; native/conv_sparse.c). */
  conv2dWeightGrad(
    gy: Float32Array,
    x: Float32Array,
    gw: Float32Array,
    gb: Float32Array | null,
    work: Float32Array,
  ): boolean;
  maxPool2d(x: Float32Array, out: Float32Array, arg: Int32Array): void;
  maxPool2dBackward(gy: Float32Array, arg: Int32Array, gx: Float32Array): void;
  avgPool2d(x: Float32Array, out: Float32Array, includePad: number, divisor: number): void;
  avgPool2dBackward(gy: Float32Array, gx: Float32Array, includePad: number, divisor: number): void;
  batchNorm(...args: (Float32Array | null | number)[]): void;
  batchNormBackward(...args: (Float32Array | null | number)[]): void;
  crossEntropy(...args: (Float32Array | Int32Array | null | number)[]): void;
  crossEntropyBackward(...args: (Float32Array | Int32Array | null | number)[]): void;
  sgdMany(list: (Float32Array | null | number)[], ...options: number[]): void;
  /** Whether it took the sparse-input path (a mostly-zero x; native/sparse_linear.c). */
  linear(...args: (Float32Array | null | number)[]): boolean;
  /** Whether the weight gradient took the sparse-input path. */
  linearBackward(...args: (Float32Array | null | number)[]): boolean;
  reluBackward(y: Float32Array, g: Float32Array, gx: Float32Array, n: number): void;
  adam(...args: (Float32Array | null | number)[]): void;
}

export const FUSED_EXPORTS = [
  "conv2dWork",
  "conv2d",
  "conv2dInputGrad",
  "conv2dWeightGrad",
  "maxPool2d",
  "maxPool2dBackward",
  "avgPool2d",
  "avgPool2dBackward",
  "batchNorm",
  "batchNormBackward",
  "crossEntropy",
  "crossEntropyBackward",
  "sgdMany",
  "adam",
  "linear",
  "linearBackward",
  "reluBackward",
] as const;

/** The fused kernels over a loaded addon; undefined when the addon predates them. */
export function createNativeFused(addon: NativeAddon): FusedKernels | undefined {
  const a = addon as NativeAddon & Partial<NativeFusedAddon>;
  if (!FUSED_EXPORTS.every((k) => typeof a[k] === "function")) return undefined;
  const f = a as NativeAddon & NativeFusedAddon;
  const m = addon.meta;
  let work = new Float32Array(0);
  const list: (Float32Array | null | number)[] = [];

  function geometry(g: Window2dGeometry): void {
    m[0] = g.N;
    m[1] = g.C;
    m[2] = g.H;
    m[3] = g.W;
    m[4] = g.O;
    m[5] = g.Ho;
    m[6] = g.Wo;
    m[7] = g.kh;
    m[8] = g.kw;
    m[9] = g.sh;
    m[10] = g.sw;
    m[11] = g.dh;
    m[12] = g.dw;
    m[13] = g.pt;
    m[14] = g.pl;
    m[15] = g.groups;
  }

  /** The kernels' work buffer for the geometry already in meta (kiln_conv2d_work). */
  function workFor(): Float32Array {
    const need = f.conv2dWork();
    if (work.length < need) work = new Float32Array(need);
    return work;
  }

  return {
    conv2d(g, x, w, bias, out) {
      geometry(g);
      f.conv2d(x, w, bias, out, workFor());
    },
    conv2dInputGrad(g, gy, w, gx) {
      geometry(g);
      f.conv2dInputGrad(gy, w, gx, workFor());
    },
    conv2dWeightGrad(g, gy, x, gw, gb) {
      geometry(g);
      f.conv2dWeightGrad(gy, x, gw, gb, workFor());
    },
    maxPool2d(g, x, out, argmax) {
      geometry(g);
      f.maxPool2d(x, out, argmax);
    },
    maxPool2dBackward(g, gy, argmax, gx) {
      geometry(g);
      f.maxPool2dBackward(gy, argmax, gx);
    },
    avgPool2d(g, includePad, divisor, x, out) {
      geometry(g);
      f.avgPool2d(x, out, includePad ? 1 : 0, divisor);
    },
    avgPool2dBackward(g, includePad, divisor, gy, gx) {
      geometry(g);
      f.avgPool2dBackward(gy, gx, includePad ? 1 : 0, divisor);
    },
    batchNorm([N, C, L], x, w, b, mean, invstd, variance, eps, training, y) {
      f.batchNorm(x, w, b, mean, invstd, variance, y, N, C, L, eps, training ? 1 : 0);
    },
    batchNormBackward([N, C, L], gy, x, w, mean, invstd, training, gx, gw, gb) {
      f.batchNormBackward(gy, x, w, mean, invstd, gx, gw, gb, N, C, L, training ? 1 : 0);
    },
    crossEntropy(rows, C, x, target, weight, ignore, eps, loss, rowWeight, lse) {
      f.crossEntropy(x, target, weight, loss, rowWeight, lse, rows, C, ignore, eps);
    },
    crossEntropyBackward(rows, C, x, target, weight, ignore, eps, lse, g, gStride, gx) {
      f.crossEntropyBackward(x, target, weight, lse, g, gStride, gx, rows, C, ignore, eps);
    },
    linear(M, K, N, x, w, bias, out) {
      f.linear(x, w, bias, out, M, K, N);
    },
    linearBackward(M, K, N, g, x, w, gx, gw, gb) {
      f.linearBackward(g, x, w, gx, gw, gb, M, K, N);
    },
    reluBackward(n, y, g, gx) {
      f.reluBackward(y, g, gx, n);
    },
    sgdMany(params, grads, bufs, firstSteps, o) {
      // (p, g, buf, first) quadruples in one reused array: the call allocates nothing.
      list.length = 0;
      for (let i = 0; i < params.length; i++) {
        list.push(params[i]!, grads[i]!, bufs[i] ?? null, firstSteps[i] ? 1 : 0);
      }
      f.sgdMany(
        list,
        o.lr,
        o.momentum,
        1 - o.dampening,
        o.weightDecay,
        o.nesterov ? 1 : 0,
        o.maximize ? 1 : 0,
      );
      list.length = 0;
    },
    adam(param, grad, expAvg, expAvgSq, maxExpAvgSq, o) {
      f.adam(
        param,
        grad,
        expAvg,
        expAvgSq,
        maxExpAvgSq,
        o.beta1,
        o.beta2,
        1 - o.beta1,
        1 - o.beta2,
        o.eps,
        o.weightDecay,
        1 - o.lr * o.weightDecay,
        o.biasCorrection2Sqrt,
        -o.stepSize,
        o.decoupled ? 1 : 0,
        o.maximize ? 1 : 0,
      );
    },
  };
}

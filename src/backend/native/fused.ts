// The native backend's fused kernels: FusedKernels over the generated marshallers of fused-abi.ts
// (which write the window geometry into the addon's shared meta, keep one reusable work buffer
// and pass named fields positionally in the described order), so a call allocates nothing.
// Depends on backend.ts, the addon loader and the generated fused-abi.ts only.

import type { FusedKernels } from "../backend.ts";
import type { NativeAddon } from "./addon.ts";
import { bindFused, FUSED_ABI_HASH, FUSED_EXPORTS, type NativeFusedAddon } from "./fused-abi.ts";

export { FUSED_ABI_HASH, FUSED_EXPORTS, type NativeFusedAddon };

/**
 * The fused kernels over a loaded addon; undefined when the addon lacks them or was built from
 * another ABI description (a stale build: its positional order may differ).
 */
export function createNativeFused(addon: NativeAddon): FusedKernels | undefined {
  const a = addon as NativeAddon & Partial<NativeFusedAddon>;
  if (a.fusedAbi !== FUSED_ABI_HASH) return undefined;
  if (!FUSED_EXPORTS.every((k) => typeof a[k] === "function")) return undefined;
  const k = bindFused(a as NativeAddon & NativeFusedAddon, addon.meta);
  const list: (Float32Array | null | number)[] = [];

  return {
    conv2d(g, x, w, bias, out) {
      k.conv2d({ g, x, w, bias, out });
    },
    conv2dInputGrad(g, gy, w, gx) {
      k.conv2dInputGrad({ g, gy, w, gx });
    },
    conv2dWeightGrad(g, gy, x, gw, gb) {
      k.conv2dWeightGrad({ g, gy, x, gw, gb });
    },
    maxPool2d(g, x, out, argmax) {
      k.maxPool2d({ g, x, out, argmax });
    },
    maxPool2dBackward(g, gy, argmax, gx) {
      k.maxPool2dBackward({ g, gy, argmax, gx });
    },
    avgPool2d(g, countIncludePad, divisorOverride, x, out) {
      k.avgPool2d({ g, countIncludePad, divisorOverride, x, out });
    },
    avgPool2dBackward(g, countIncludePad, divisorOverride, gy, gx) {
      k.avgPool2dBackward({ g, countIncludePad, divisorOverride, gy, gx });
    },
    batchNorm([N, C, L], x, w, b, mean, invstd, variance, eps, training, y) {
      k.batchNorm({ N, C, L, x, w, b, mean, invstd, variance, eps, training, y });
    },
    batchNormBackward([N, C, L], gy, x, w, mean, invstd, training, gx, gw, gb) {
      k.batchNormBackward({ N, C, L, gy, x, w, mean, invstd, training, gx, gw, gb });
    },
    layerNorm(M, N, x, w, b, eps, mean, rstd, y) {
      k.layerNorm({ M, N, x, w, b, eps, mean, rstd, y });
    },
    layerNormBackward(M, N, gy, x, w, mean, rstd, gx, gw, gb) {
      k.layerNormBackward({ M, N, gy, x, w, mean, rstd, gx, gw, gb });
    },
    softmax(M, N, x, logForm, y) {
      k.softmax({ M, N, x, logForm, y });
    },
    softmaxBackward(M, N, y, gy, logForm, gx) {
      k.softmaxBackward({ M, N, y, gy, logForm, gx });
    },
    crossEntropy(rows, C, x, target, weight, ignoreIndex, labelSmoothing, loss, rowWeight, lse) {
      k.crossEntropy({
        rows,
        C,
        x,
        target,
        weight,
        ignoreIndex,
        labelSmoothing,
        loss,
        rowWeight,
        lse,
      });
    },
    crossEntropyBackward(
      rows,
      C,
      x,
      target,
      weight,
      ignoreIndex,
      labelSmoothing,
      lse,
      g,
      gStride,
      gx,
    ) {
      k.crossEntropyBackward({
        rows,
        C,
        x,
        target,
        weight,
        ignoreIndex,
        labelSmoothing,
        lse,
        g,
        gStride,
        gx,
      });
    },
    linear(M, K, N, x, w, bias, out) {
      k.linear({ M, K, N, x, w, bias, out });
    },
    linearBackward(M, K, N, g, x, w, gx, gw, gb) {
      k.linearBackward({ M, K, N, g, x, w, gx, gw, gb });
    },
    reluBackward(n, y, g, gx) {
      k.reluBackward({ n, y, g, gx });
    },
    lstmCell(B, H, xg, hg, cPrev, h, c, act, tc) {
      k.lstmCell({ B, H, xg, hg, cPrev, h, c, act, tc });
    },
    lstmCellBackward(B, H, act, tc, cPrev, gh, gc, ggates, gcPrev) {
      k.lstmCellBackward({ B, H, act, tc, cPrev, gh, gc, ggates, gcPrev });
    },
    gruCell(B, H, xg, hg, hPrev, h, act) {
      k.gruCell({ B, H, xg, hg, hPrev, h, act });
    },
    gruCellBackward(B, H, act, hPrev, gh, gxg, ghg, ghPrev) {
      k.gruCellBackward({ B, H, act, hPrev, gh, gxg, ghg, ghPrev });
    },
    sgdMany(params, grads, bufs, firstSteps, o) {
      // (p, g, buf, first) quadruples in one reused array: the call allocates nothing.
      list.length = 0;
      for (let i = 0; i < params.length; i++) {
        list.push(params[i]!, grads[i]!, bufs[i] ?? null, firstSteps[i] ? 1 : 0);
      }
      k.sgdMany({
        list,
        lr: o.lr,
        momentum: o.momentum,
        dampening1: 1 - o.dampening,
        weightDecay: o.weightDecay,
        nesterov: o.nesterov,
        maximize: o.maximize,
      });
      list.length = 0;
    },
    adam(param, grad, expAvg, expAvgSq, maxExpAvgSq, o) {
      k.adam({
        param,
        grad,
        expAvg,
        expAvgSq,
        maxExpAvgSq,
        beta1: o.beta1,
        beta2: o.beta2,
        oneMinusBeta1: 1 - o.beta1,
        oneMinusBeta2: 1 - o.beta2,
        eps: o.eps,
        weightDecay: o.weightDecay,
        decayMul: 1 - o.lr * o.weightDecay,
        biasCorrection2Sqrt: o.biasCorrection2Sqrt,
        negStepSize: -o.stepSize,
        decoupled: o.decoupled,
        maximize: o.maximize,
      });
    },
  };
}

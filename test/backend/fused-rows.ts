// Conformance cases of the fused row kernels (batch norm, cross-entropy,
// linear, and their gradients) against their compositions on the reference backend, with a
// per-element tolerance derived from each formula's rounding (comments below).

import { fromTypedArray } from "../../src/index.ts";
import {
  abs32,
  check,
  cpuPaths,
  data,
  F,
  linearTolerance,
  onReference,
  out32,
  type Run,
  rand32,
  t32,
  threads,
  u,
} from "./fused-common.ts";

/**
 * batch norm over n = N·L values a channel. The statistics are length-n sums in another order:
 * ≈ √n·u relative to the sums of magnitudes (as sumTolerance); the variance of E[x²]-style
 * formulas is off by that relative to E[x²]; invstd takes half the variance's relative error
 * plus a few roundings; y = (x − μ)·invstd·w + b adds a few roundings of each term's size.
 * With c = 8·(√n + 8)·u, each bound below is c times the magnitude of what it computes.
 */
export const batchNormRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  const shapes: [number, number, number][] = [
    [7, 3, 1],
    [5, 4, 9],
    [3, 6, 35],
    [2, 1, 2],
    [16, 5, 33],
    [4, 3, 87382], // ≈ 1.05M elements
  ];
  for (const [i, [N, C, L]] of shapes.entries()) {
    for (const training of [true, false]) {
      for (const affine of i % 2 === 0 ? [true, false] : [true]) {
        const n = N * L;
        const x = rand32(r, N * C * L, 2).map((v) => 2 * v + 0.5);
        const w = affine ? rand32(r, C).map((v) => v + 2.5) : null;
        const b = affine ? rand32(r, C) : null;
        const gy = rand32(r, x.length);
        const eps = 1e-5;
        const evalMean = rand32(r, C);
        const evalInvstd = rand32(r, C).map((v) => 0.5 + Math.abs(v));
        const ref = onReference(() => {
          const xt = t32(x, [N, C, L], true);
          const wt = w === null ? null : t32(w, [C], true);
          const bt = b === null ? null : t32(b, [C], true);
          let y: ReturnType<typeof t32>;
          let mean: Float64Array;
          let variance: Float64Array;
          let invstd: Float64Array;
          if (training) {
            y = F.batchNorm(xt, null, null, { weight: wt, bias: bt, training: true, eps });
            const xd = t32(x, [N, C, L]);
            const v = xd.var([0, 2], { correction: 0 });
            mean = data(xd.mean([0, 2]));
            variance = data(v);
            invstd = data(v.add(eps).rsqrt());
          } else {
            mean = Float64Array.from(evalMean);
            invstd = Float64Array.from(evalInvstd);
            variance = new Float64Array(C);
            y = xt.sub(t32(evalMean, [1, C, 1])).mul(t32(evalInvstd, [1, C, 1]));
            if (wt !== null) y = y.mul(wt.reshape(1, C, 1));
            if (bt !== null) y = y.add(bt.reshape(1, C, 1));
          }
          y.backward(t32(gy, [N, C, L]));
          return {
            y: data(y),
            mean,
            variance,
            invstd,
            gx: data(xt.grad),
            gw: data(wt?.grad ?? null),
            gb: data(bt?.grad ?? null),
          };
        });
        // Magnitudes per channel (float64) for the bounds.
        const meanAbs = new Float64Array(C);
        const meanSq = new Float64Array(C);
        const sumAbsGy = new Float64Array(C);
        const sumAbsGyXhat = new Float64Array(C);
        const xhat = new Float64Array(x.length);
        for (let k = 0; k < x.length; k++) {
          const c = Math.floor(k / L) % C;
          xhat[k] = (x[k]! - ref.mean[c]!) * ref.invstd[c]!;
          meanAbs[c]! += Math.abs(x[k]!) / n;
          meanSq[c]! += (x[k]! * x[k]!) / n;
          sumAbsGy[c]! += Math.abs(gy[k]!);
          sumAbsGyXhat[c]! += Math.abs(gy[k]! * xhat[k]!);
        }
        const cc = 8 * (Math.sqrt(training ? n : 1) + 8) * u;
        const ch = (k: number) => Math.floor(k / L) % C;
        const wAbs = (c: number) => (w === null ? 1 : Math.abs(w[c]!));
        const label = `${name} [${N}, ${C}, ${L}] training ${training} affine ${affine}`;
        const mean32 = training ? Float32Array.from(ref.mean) : evalMean;
        const invstd32 = training ? Float32Array.from(ref.invstd) : evalInvstd;
        threads(ctx, (cfg) => {
          if (name === "batchNorm") {
            const y = out32(x.length);
            const mean = training ? out32(C) : null;
            const invstd = training ? out32(C) : null;
            const variance = out32(C);
            f.batchNorm(
              [N, C, L],
              x,
              w,
              b,
              mean?.out ?? evalMean.slice(),
              invstd?.out ?? evalInvstd.slice(),
              variance.out,
              eps,
              training,
              y.out,
            );
            check(`${label} y, ${cfg}`, y, ref.y, (k) => {
              const c = ch(k);
              const lin = (Math.abs(x[k]!) + Math.abs(ref.mean[c]!)) * ref.invstd[c]! * wAbs(c);
              return cc * (lin + Math.abs(xhat[k]!) * wAbs(c) + Math.abs(b?.[c] ?? 0)) + 1e-30;
            });
            if (mean !== null && invstd !== null) {
              check(`${label} mean, ${cfg}`, mean, ref.mean, (c) => cc * meanAbs[c]!);
              const varTol = (c: number) => 2 * cc * meanSq[c]!;
              check(`${label} variance, ${cfg}`, variance, ref.variance, varTol);
              check(
                `${label} invstd, ${cfg}`,
                invstd,
                ref.invstd,
                (c) => ref.invstd[c]! * (varTol(c) / (ref.variance[c]! + eps) + cc),
              );
            }
            return;
          }
          const gx = out32(x.length);
          const gw = w === null ? null : out32(C);
          const gb = b === null ? null : out32(C);
          f.batchNormBackward(
            [N, C, L],
            gy,
            x,
            w,
            mean32,
            invstd32,
            training,
            gx.out,
            gw?.out ?? null,
            gb?.out ?? null,
          );
          check(`${label} gx, ${cfg}`, gx, ref.gx, (k) => {
            const c = ch(k);
            const terms = training
              ? Math.abs(gy[k]!) + sumAbsGy[c]! / n + (Math.abs(xhat[k]!) * sumAbsGyXhat[c]!) / n
              : Math.abs(gy[k]!);
            return cc * ref.invstd[c]! * wAbs(c) * terms + 1e-30;
          });
          if (gw !== null) check(`${label} gw, ${cfg}`, gw, ref.gw, (c) => cc * sumAbsGyXhat[c]!);
          if (gb !== null) check(`${label} gb, ${cfg}`, gb, ref.gb, (c) => cc * sumAbsGy[c]!);
        });
        ctx.count(name);
      }
    }
  }
};

/**
 * cross-entropy per row: w_t·(1−ε)·(lse − x_t) + ε/C·Σ_c w_c·(lse − x_c), lse = log Σ exp x: a
 * log-sum-exp (√C·u relative in the sum, u·max|x| absolute in the shift) and sums of C terms,
 * so with W = max weight the loss is within 8·u·(√C + 4)·(1 + |lse| + max|x|)·2W; the gradient
 * g·(w_t(1−ε)(p − onehot) + ε/C(Σw·p − w)) within 8·u·(√C + 4 + |lse| + max|x|)·|g|·2W·(p + 1).
 */
export const crossEntropyRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  const cases: [number, number][] = [
    [1, 1],
    [13, 7],
    [0, 5],
    [64, 10],
    [5, 300],
    [104858, 10], // ≈ 1.05M logits
  ];
  let k = 0;
  for (const [rows, C] of cases) {
    for (const [weighted, eps, ignoreIndex] of [
      [false, 0, -100],
      [true, 0.15, 1],
    ] as const) {
      k++;
      const x = rand32(r, rows * C, 6);
      const target = Int32Array.from({ length: rows }, (_, i) =>
        i % 5 === 2 ? ignoreIndex : Math.floor(r() * C),
      );
      const weight = weighted ? rand32(r, C).map((v) => Math.abs(v) + 0.2) : null;
      const gStride = (k % 2) as 0 | 1;
      const g = gStride === 1 ? rand32(r, rows) : Float32Array.of(1.5 - r());
      const ref = onReference(() => {
        const xt = t32(x, [rows, C], true);
        const targetT = fromTypedArray(target.slice(), [rows]);
        const loss = F.crossEntropy(xt, targetT, {
          weight: weight === null ? null : t32(weight, [C]),
          ignoreIndex,
          labelSmoothing: eps,
          reduction: "none",
        });
        const gFull = gStride === 1 ? g : new Float32Array(rows).fill(g[0]!);
        loss.backward(t32(gFull, [rows]));
        return {
          loss: data(loss),
          lse: data(t32(x, [rows, C]).logsumexp(1)),
          gx: data(xt.grad),
        };
      });
      const rowWeight = Float64Array.from(target, (t) =>
        t === ignoreIndex ? 0 : weight === null ? 1 : weight[t]!,
      );
      const W = weight === null ? 1 : Math.max(...weight);
      const rowMax = new Float64Array(rows);
      for (let i = 0; i < x.length; i++) {
        const row = Math.floor(i / C);
        rowMax[row] = Math.max(rowMax[row]!, Math.abs(x[i]!));
      }
      const cc = 8 * u * (Math.sqrt(C) + 4);
      const scale = (row: number) => 1 + Math.abs(ref.lse[row]!) + rowMax[row]!;
      const lse32 = Float32Array.from(ref.lse);
      const label = `${name} [${rows}, ${C}] weight ${weighted} ε ${eps} ignore ${ignoreIndex}`;
      cpuPaths(ctx, (cfg) => {
        if (name === "crossEntropy") {
          const loss = out32(rows);
          const rw = out32(rows);
          const lse = out32(rows);
          f.crossEntropy(rows, C, x, target, weight, ignoreIndex, eps, loss.out, rw.out, lse.out);
          check(`${label} loss, ${cfg}`, loss, ref.loss, (i) => cc * scale(i) * 2 * W);
          check(`${label} rowWeight, ${cfg}`, rw, rowWeight, null);
          check(`${label} lse, ${cfg}`, lse, ref.lse, (i) => cc * scale(i));
          return;
        }
        const gx = out32(x.length);
        f.crossEntropyBackward(
          rows,
          C,
          x,
          target,
          weight,
          ignoreIndex,
          eps,
          lse32,
          g,
          gStride,
          gx.out,
        );
        check(`${label} gStride ${gStride} gx, ${cfg}`, gx, ref.gx, (i) => {
          const row = Math.floor(i / C);
          const p = Math.exp(x[i]! - ref.lse[row]!);
          const gi = Math.abs(g[gStride * row]!);
          return 8 * u * (Math.sqrt(C) + 4 + scale(row)) * gi * 2 * W * (p + 1) + 1e-30;
        });
      });
      ctx.count(name);
    }
  }
};

/** linear is bilinear: out = x·wᵀ + b sums K + 1 products, gx N, gw and gb M (linearTolerance). */
export const linearRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  const cases: [number, number, number, number][] = [
    [1, 1, 1, 0],
    [5, 7, 3, 0],
    [0, 4, 3, 0],
    [33, 70, 65, 0],
    [64, 128, 10, 0.9], // mostly-zero input, as after a ReLU or on MNIST pixels
    [100, 300, 17, 0.6],
    [1100, 1001, 8, 0], // ≈ 1.1M-element input
  ];
  for (const [i, [M, K, N, zeros]] of cases.entries()) {
    const x = rand32(r, M * K).map((v) => (r() < zeros ? 0 : v));
    const w = rand32(r, N * K);
    const withBias = i % 3 !== 1;
    const b = withBias ? rand32(r, N) : null;
    const g = rand32(r, M * N);
    const compose = (
      xa: Float32Array,
      wa: Float32Array,
      ba: Float32Array | null,
      ga: Float32Array,
    ) =>
      onReference(() => {
        const xt = t32(xa, [M, K], true);
        const wt = t32(wa, [N, K], true);
        const bt = ba === null ? null : t32(ba, [N], true);
        const y = F.linear(xt, wt, bt);
        y.backward(t32(ga, [M, N]));
        return { y: data(y), gx: data(xt.grad), gw: data(wt.grad), gb: data(bt?.grad ?? null) };
      });
    const ref = compose(x, w, b, g);
    const bound = compose(abs32(x), abs32(w), b === null ? null : abs32(b), abs32(g));
    const label = `${name} M ${M} K ${K} N ${N} bias ${withBias} zeros ${zeros}`;
    threads(ctx, (cfg) => {
      if (name === "linear") {
        const out = out32(M * N);
        f.linear(M, K, N, x, w, b, out.out);
        check(`${label} out, ${cfg}`, out, ref.y, linearTolerance(K + 1, bound.y));
        return;
      }
      // gx, gw, gb each asked for or skipped (null), as autograd needs them
      const which = [i % 2 === 0, true, withBias];
      const gx = which[0] ? out32(M * K) : null;
      const gw = which[1] ? out32(N * K) : null;
      const gb = which[2] ? out32(N) : null;
      f.linearBackward(M, K, N, g, x, w, gx?.out ?? null, gw?.out ?? null, gb?.out ?? null);
      if (gx !== null) check(`${label} gx, ${cfg}`, gx, ref.gx, linearTolerance(N, bound.gx));
      if (gw !== null) check(`${label} gw, ${cfg}`, gw, ref.gw, linearTolerance(M, bound.gw));
      if (gb !== null) check(`${label} gb, ${cfg}`, gb, ref.gb, linearTolerance(M, bound.gb));
    });
    ctx.count(name);
  }
};

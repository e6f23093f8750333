// Conformance cases of the fused row kernels of transformers (layer norm and softmax/log-softmax,
// with their gradients) against their compositions (F.layerNorm, F.softmax, F.logSoftmax) on
// the reference backend, autograd giving the gradients. The tolerances follow each formula's
// rounding (comments below). On the native backend every case also runs on the portable CPU
// path, so the AVX2 and portable builds of the kernels are both held to the definition.

import {
  check,
  cpuPaths,
  data,
  F,
  onReference,
  out32,
  type Run,
  rand32,
  t32,
  u,
} from "./fused-common.ts";

const ROWS: [number, number][] = [
  [1, 1],
  [3, 5],
  [0, 4],
  [4, 0],
  [7, 64],
  [5, 33],
  [16, 1000],
  [64, 16384], // ≈ 1M elements: split between threads
];

/**
 * layer norm over rows of N values: the statistics are length-N sums in another order (≈ √N·u
 * relative to the sums of magnitudes), rstd half the variance's relative error plus a few
 * roundings, y = (x − μ)·rstd·w + b a few roundings of each term's size; the weight and bias
 * gradients are sums over M rows. With c = 8·(√n + 8)·u (n the length summed), each bound is c
 * times the magnitude of what it computes.
 */
export const layerNormRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  for (const [i, [M, N]] of ROWS.entries()) {
    for (const affine of i % 2 === 0 ? [true, false] : [true]) {
      const x = rand32(r, M * N, 2).map((v) => 2 * v + 0.5);
      const w = affine ? rand32(r, N).map((v) => v + 2.5) : null;
      const b = affine ? rand32(r, N) : null;
      const gy = rand32(r, M * N);
      const eps = 1e-5;
      const ref = onReference(() => {
        const xt = t32(x, [M, N], true);
        const wt = w === null ? null : t32(w, [N], true);
        const bt = b === null ? null : t32(b, [N], true);
        const y = F.layerNorm(xt, [N], wt, bt, eps);
        const xd = t32(x, [M, N]);
        const v = xd.var(1, { correction: 0 });
        y.backward(t32(gy, [M, N]));
        return {
          y: data(y),
          mean: data(xd.mean(1)),
          variance: data(v),
          rstd: data(v.add(eps).rsqrt()),
          gx: data(xt.grad),
          gw: data(wt?.grad ?? null),
          gb: data(bt?.grad ?? null),
        };
      });
      const cN = 8 * (Math.sqrt(N) + 8) * u;
      const cM = 8 * (Math.sqrt(M) + 8) * u;
      const xhat = Float64Array.from(x, (v, k) => {
        const row = Math.floor(k / N);
        return (v - ref.mean[row]!) * ref.rstd[row]!;
      });
      const wAbs = (j: number) => (w === null ? 1 : Math.abs(w[j]!));
      // per row: Σ|gy·w|, Σ|gy·w·x̂|, mean |x|, mean x²; per column: Σ|gy|, Σ|gy·x̂|
      const rowG = new Float64Array(M);
      const rowGX = new Float64Array(M);
      const meanAbs = new Float64Array(M);
      const meanSq = new Float64Array(M);
      const colG = new Float64Array(N);
      const colGX = new Float64Array(N);
      for (let k = 0; k < M * N; k++) {
        const [row, col] = [Math.floor(k / N), k % N];
        rowG[row]! += Math.abs(gy[k]! * wAbs(col));
        rowGX[row]! += Math.abs(gy[k]! * wAbs(col) * xhat[k]!);
        meanAbs[row]! += Math.abs(x[k]!) / N;
        meanSq[row]! += (x[k]! * x[k]!) / N;
        colG[col]! += Math.abs(gy[k]!);
        colGX[col]! += Math.abs(gy[k]! * xhat[k]!);
      }
      const label = `${name} [${M}, ${N}] affine ${affine}`;
      cpuPaths(ctx, (cfg) => {
        const mean = out32(M);
        const rstd = out32(M);
        const y = out32(M * N);
        f.layerNorm(M, N, x, w, b, eps, mean.out, rstd.out, y.out);
        if (name === "layerNorm") {
          check(`${label} y, ${cfg}`, y, ref.y, (k) => {
            const [row, col] = [Math.floor(k / N), k % N];
            const lin = (Math.abs(x[k]!) + Math.abs(ref.mean[row]!)) * ref.rstd[row]! * wAbs(col);
            return cN * (lin + Math.abs(xhat[k]!) * wAbs(col) + Math.abs(b?.[col] ?? 0)) + 1e-30;
          });
          check(`${label} mean, ${cfg}`, mean, ref.mean, (row) => cN * meanAbs[row]!);
          const varTol = (row: number) => 2 * cN * meanSq[row]!;
          check(
            `${label} rstd, ${cfg}`,
            rstd,
            ref.rstd,
            (row) => ref.rstd[row]! * (varTol(row) / (ref.variance[row]! + eps) + cN),
          );
          return;
        }
        const gx = out32(M * N);
        const gw = w === null ? null : out32(N);
        const gb = b === null ? null : out32(N);
        f.layerNormBackward(
          M,
          N,
          gy,
          x,
          w,
          mean.out,
          rstd.out,
          gx.out,
          gw?.out ?? null,
          gb?.out ?? null,
        );
        check(`${label} gx, ${cfg}`, gx, ref.gx, (k) => {
          const [row, col] = [Math.floor(k / N), k % N];
          const terms =
            Math.abs(gy[k]! * wAbs(col)) + rowG[row]! / N + (Math.abs(xhat[k]!) * rowGX[row]!) / N;
          return cN * ref.rstd[row]! * terms + 1e-30;
        });
        if (gw !== null) check(`${label} gw, ${cfg}`, gw, ref.gw, (j) => (cM + cN) * colGX[j]!);
        if (gb !== null) check(`${label} gb, ${cfg}`, gb, ref.gb, (j) => cM * colG[j]!);
      });
      ctx.count(name);
    }
  }
};

/**
 * softmax over rows of N values: exp within 1 ulp (vexp.h; within one subnormal step below 2^-126)
 * and a length-N sum in another order (≈ √N·u relative), so y = e/Σe is within c·y with
 * c = 8·(√N + 4)·u, plus a few subnormal steps absolutely; half the shapes draw x from ±60, so
 * that rows reach the subnormal results. log-softmax (x − max) − log Σe is within
 * c·(|x − max| + |log Σe| + 1). The gradients y·(gy − Σ gy·y) and gy − exp(y)·Σ gy are within c
 * times the same expressions over magnitudes. Rows hold −inf (masked positions, as a causal
 * attention mask gives), and one row is all −inf (NaN throughout, as the composition gives).
 */
export const softmaxRun: Run = (f, ctx, name) => {
  const r = ctx.r;
  for (const [M, N] of ROWS) {
    for (const logForm of [false, true]) {
      // scale 60: rows whose exp(x − max) falls into the subnormals (and below 2^-150, to zero)
      const x = rand32(r, M * N, M % 2 === 0 ? 60 : 6);
      for (let k = 0; k < M * N; k++)
        if (k % N > (Math.floor(k / N) * 7) % (N + 1)) x[k] = -Infinity;
      if (M > 2) x.fill(-Infinity, N, 2 * N);
      const gy = rand32(r, M * N);
      const ref = onReference(() => {
        const xt = t32(x, [M, N], true);
        const y = logForm ? F.logSoftmax(xt, 1) : F.softmax(xt, 1);
        y.backward(t32(gy, [M, N]));
        return { y: data(y), gx: data(xt.grad) };
      });
      const c = 8 * (Math.sqrt(N) + 4) * u;
      // a few steps of the smallest subnormal: exp is within one there (vexp.h), y = e/Σe adds one
      const tiny = 4 * 2 ** -149;
      // per row: max, log Σe, Σ |gy|·p, Σ |gy| (p the softmax probabilities)
      const p = logForm ? ref.y.map(Math.exp) : ref.y;
      const rowMax = new Float64Array(M);
      const rowGP = new Float64Array(M);
      const rowG = new Float64Array(M);
      for (let row = 0; row < M; row++) {
        let m = -Infinity;
        for (let j = 0; j < N; j++) m = Math.max(m, x[row * N + j]!);
        rowMax[row] = m;
        for (let j = 0; j < N; j++) {
          const k = row * N + j;
          if (Number.isFinite(p[k]!)) rowGP[row]! += Math.abs(gy[k]!) * p[k]!;
          rowG[row]! += Math.abs(gy[k]!);
        }
      }
      const label = `${name} [${M}, ${N}] ${logForm ? "log-softmax" : "softmax"}`;
      cpuPaths(ctx, (cfg) => {
        const y = out32(M * N);
        f.softmax(M, N, x, logForm, y.out);
        if (name === "softmax") {
          check(`${label} y, ${cfg}`, y, ref.y, (k) => {
            if (!logForm) return c * ref.y[k]! + tiny;
            const row = Math.floor(k / N);
            const lse = ref.y[k]! - (x[k]! - rowMax[row]!);
            return c * (Math.abs(x[k]! - rowMax[row]!) + Math.abs(lse) + 1);
          });
          return;
        }
        const gx = out32(M * N);
        f.softmaxBackward(M, N, Float32Array.from(ref.y), gy, logForm, gx.out);
        check(`${label} gx, ${cfg}`, gx, ref.gx, (k) => {
          const row = Math.floor(k / N);
          return logForm
            ? c * (Math.abs(gy[k]!) + p[k]! * rowG[row]!) + tiny
            : c * p[k]! * (Math.abs(gy[k]!) + rowGP[row]!) + tiny;
        });
      });
      ctx.count(name);
    }
  }
};

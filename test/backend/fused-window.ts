// Conformance cases of the fused window kernels (conv2d, max and average pooling, and their
// gradients; conv and max pooling also over 3-D windows) against their compositions on the
// reference backend: strides, padding, dilation, groups, ceil mode, divisors, mostly-zero
// gradients and 1M-element inputs.

import type { WindowGeometry } from "../../src/backend/backend.ts";
import type { Tensor } from "../../src/index.ts";
import { NO_DEPTH } from "../../src/ops/conv.ts";
import {
  abs32,
  check,
  data,
  F,
  linearTolerance,
  onReference,
  out32,
  type Run,
  rand32,
  t32,
  threads,
} from "./fused-common.ts";
import { assertClose, assertGuardIntact, guarded } from "./helpers.ts";

// ---------------------------------------------------------------------------------------------
// conv2d and its gradients

/** The depth of a 3-D window: input depth, kernel depth, stride, dilation, front padding. */
interface Depth {
  D: number;
  kd: number;
  sd: number;
  dd: number;
  pd: number;
}

/** The shape's and the geometry's spatial dims: [H, W], or [D, H, W] with a depth. */
const spatial = (c: { H: number; W: number; depth?: Depth }) =>
  c.depth === undefined ? [c.H, c.W] : [c.depth.D, c.H, c.W];

/** The geometry's depth fields of a case (NO_DEPTH in 2-D) given its output depth Do. */
function depthFields(depth: Depth | undefined, Do: number) {
  if (depth === undefined) return NO_DEPTH;
  return { D: depth.D, Do, kd: depth.kd, sd: depth.sd, dd: depth.dd, pd: depth.pd };
}

interface ConvCase {
  N: number;
  C: number;
  H: number;
  W: number;
  O: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  ph: number;
  pw: number;
  groups: number;
  bias: boolean;
  /** Share of zeros in the output gradient (as behind a ReLU). */
  gyZeros: number;
  depth?: Depth;
}

const d = (D: number, kd: number, sd: number, dd: number, pd: number): Depth => ({
  D,
  kd,
  sd,
  dd,
  pd,
});

function convCases(r: () => number): ConvCase[] {
  const base = { sh: 1, sw: 1, dh: 1, dw: 1, ph: 0, pw: 0, groups: 1, bias: true, gyZeros: 0 };
  const fixed: ConvCase[] = [
    { ...base, N: 2, C: 3, H: 7, W: 9, O: 4, kh: 3, kw: 3 },
    { ...base, N: 3, C: 4, H: 11, W: 6, O: 6, kh: 3, kw: 2, sh: 2, ph: 1, pw: 2 },
    { ...base, N: 1, C: 6, H: 9, W: 9, O: 4, kh: 2, kw: 3, groups: 2, dh: 2, ph: 1, pw: 1 },
    { ...base, N: 2, C: 4, H: 8, W: 8, O: 4, kh: 3, kw: 3, groups: 4, sh: 2, sw: 2, ph: 1, pw: 1 },
    { ...base, N: 3, C: 5, H: 12, W: 37, O: 11, kh: 3, kw: 3, ph: 1, pw: 1, bias: false },
    { ...base, N: 2, C: 9, H: 6, W: 5, O: 17, kh: 1, kw: 1, gyZeros: 0.9 },
    { ...base, N: 3, C: 8, H: 13, W: 13, O: 16, kh: 3, kw: 3, gyZeros: 0.8 },
    // unit stride, one group, 16+ channels each side: the shifted-tap kernel (conv_shifted.c)
    // when the padded grid is small enough, im2col otherwise (the 4x3 output of a 6x5 image);
    // with fewer images than threads (N: 1) the threads split each image's grid columns
    { ...base, N: 3, C: 16, H: 9, W: 11, O: 17, kh: 3, kw: 3, ph: 1, pw: 1 },
    { ...base, N: 2, C: 20, H: 10, W: 9, O: 16, kh: 3, kw: 3, gyZeros: 0.5 },
    { ...base, N: 2, C: 20, H: 6, W: 5, O: 16, kh: 3, kw: 3 },
    { ...base, N: 2, C: 16, H: 5, W: 6, O: 16, kh: 3, kw: 3, ph: 3, pw: 2, bias: false },
    { ...base, N: 2, C: 16, H: 8, W: 9, O: 24, kh: 5, kw: 3, ph: 1, pw: 2 },
    { ...base, N: 2, C: 17, H: 4, W: 13, O: 19, kh: 1, kw: 3, pw: 1 },
    { ...base, N: 4, C: 32, H: 1, W: 1, O: 16, kh: 1, kw: 1 },
    { ...base, N: 1, C: 16, H: 10, W: 10, O: 16, kh: 3, kw: 3, ph: 1, pw: 1 },
    {
      ...base,
      N: 2,
      C: 16,
      H: 20,
      W: 18,
      O: 16,
      kh: 3,
      kw: 3,
      ph: 1,
      pw: 1,
      depth: d(4, 3, 1, 1, 1),
    },
    { ...base, N: 2, C: 16, H: 7, W: 8, O: 16, kh: 3, kw: 1, ph: 2, depth: d(5, 2, 1, 1, 1) },
    { ...base, N: 1, C: 3, H: 4, W: 3, O: 2, kh: 3, kw: 3, pw: 3 },
    // weights of at least 2^18 floats, packed by several threads (kiln_sgemm_pack_a_many): the
    // shifted taps (forward and flipped for the input gradient), and im2col over two groups
    { ...base, N: 1, C: 172, H: 12, W: 12, O: 172, kh: 3, kw: 3, ph: 1, pw: 1 },
    { ...base, N: 1, C: 256, H: 5, W: 5, O: 256, kh: 3, kw: 3, groups: 2, ph: 1, pw: 1 },
    // large: an input of 2·4·363·363 ≈ 1.05M elements (its im2col is taken in row chunks)
    { ...base, N: 2, C: 4, H: 363, W: 363, O: 3, kh: 3, kw: 3, ph: 1, pw: 1 },
    // 3-D: LunaModel's 3x3x3 with padding 1, strides, dilation and groups, and a volume whose
    // im2col spans many chunks
    { ...base, N: 2, C: 2, H: 6, W: 7, O: 3, kh: 3, kw: 3, ph: 1, pw: 1, depth: d(5, 3, 1, 1, 1) },
    {
      ...base,
      N: 2,
      C: 4,
      H: 7,
      W: 6,
      O: 6,
      kh: 2,
      kw: 3,
      sw: 2,
      dh: 2,
      pw: 1,
      groups: 2,
      bias: false,
      depth: d(7, 3, 2, 2, 2),
    },
    {
      ...base,
      N: 2,
      C: 2,
      H: 40,
      W: 36,
      O: 4,
      kh: 3,
      kw: 3,
      ph: 1,
      pw: 1,
      depth: d(16, 3, 1, 1, 1),
    },
  ];
  const random = Array.from({ length: 6 }, (): ConvCase => {
    const groups = 1 + Math.floor(r() * 2);
    const k = () => 1 + Math.floor(r() * 3);
    const s = () => 1 + Math.floor(r() * 2);
    const kh = k();
    const kw = k();
    return {
      N: 1 + Math.floor(r() * 3),
      C: groups * (1 + Math.floor(r() * 3)),
      H: kh + 2 + Math.floor(r() * 8),
      W: kw + 2 + Math.floor(r() * 8),
      O: groups * (1 + Math.floor(r() * 4)),
      kh,
      kw,
      sh: s(),
      sw: s(),
      dh: s(),
      dw: 1,
      ph: Math.floor(r() * 2),
      pw: Math.floor(r() * 2),
      groups,
      bias: r() < 0.7,
      gyZeros: r() < 0.3 ? 0.85 : 0,
    };
  });
  return [...fixed, ...random];
}

interface ConvResult {
  geometry: WindowGeometry;
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  gy: Float32Array;
  out: Float64Array;
  gx: Float64Array;
  gw: Float64Array;
  gb: Float64Array;
  bound: { out: Float64Array; gx: Float64Array; gw: Float64Array; gb: Float64Array };
}

function convReference(c: ConvCase, r: () => number): ConvResult {
  const dp = c.depth;
  const kernel = dp === undefined ? [c.kh, c.kw] : [dp.kd, c.kh, c.kw];
  const xShape = [c.N, c.C, ...spatial(c)];
  const wShape = [c.O, c.C / c.groups, ...kernel];
  const x = rand32(
    r,
    xShape.reduce((p, q) => p * q, 1),
  );
  const w = rand32(
    r,
    wShape.reduce((p, q) => p * q, 1),
  );
  const b = c.bias ? rand32(r, c.O) : null;
  const opts = {
    stride: [c.sh, c.sw] as [number, number],
    padding: [c.ph, c.pw] as [number, number],
    dilation: [c.dh, c.dw] as [number, number],
    groups: c.groups,
  };
  const opts3 = dp && {
    stride: [dp.sd, c.sh, c.sw] as [number, number, number],
    padding: [dp.pd, c.ph, c.pw] as [number, number, number],
    dilation: [dp.dd, c.dh, c.dw] as [number, number, number],
    groups: c.groups,
  };
  const compose = (
    xa: Float32Array,
    wa: Float32Array,
    ba: Float32Array | null,
    gya?: Float32Array,
  ) =>
    onReference(() => {
      const xt = t32(xa, xShape, true);
      const wt = t32(wa, wShape, true);
      const bt = ba === null ? null : t32(ba, [c.O], true);
      const y = opts3 === undefined ? F.conv2d(xt, wt, bt, opts) : F.conv3d(xt, wt, bt, opts3);
      const gy = gya ?? rand32(r, y.numel());
      for (let i = 0; i < gy.length; i++) if (gya === undefined && r() < c.gyZeros) gy[i] = 0;
      y.backward(t32(gy, y.shape));
      return { y, gy, gx: data(xt.grad), gw: data(wt.grad), gb: data(bt?.grad ?? null) };
    });
  const ref = compose(x, w, b);
  const abs = compose(abs32(x), abs32(w), b === null ? null : abs32(b), abs32(ref.gy));
  const [Ho, Wo] = ref.y.shape.slice(-2) as [number, number];
  const Do = dp === undefined ? 1 : ref.y.shape[2]!;
  return {
    geometry: {
      N: c.N,
      C: c.C,
      H: c.H,
      W: c.W,
      O: c.O,
      Ho,
      Wo,
      kh: c.kh,
      kw: c.kw,
      sh: c.sh,
      sw: c.sw,
      dh: c.dh,
      dw: c.dw,
      pt: c.ph,
      pl: c.pw,
      groups: c.groups,
      ...depthFields(dp, Do),
    },
    x,
    w,
    b,
    gy: ref.gy,
    out: data(ref.y),
    gx: ref.gx,
    gw: ref.gw,
    gb: ref.gb,
    bound: { out: data(abs.y), gx: abs.gx, gw: abs.gw, gb: abs.gb },
  };
}

/** The reference results are shared by conv2d and its two gradient kernels (same seed). */
const convMemo = new Map<number, ConvResult[]>();

function convResults(seed: number, r: () => number): ConvResult[] {
  let res = convMemo.get(seed);
  if (res === undefined) {
    res = convCases(r).map((c) => convReference(c, r));
    convMemo.set(seed, res);
  }
  return res;
}

export const convRun: Run = (f, ctx, name) => {
  // NOTE: finite inputs only: NaN/inf through the fused conv kernels is not covered here (the
  // matmul these compositions run on is checked with NaN/inf in primitives.ts).
  for (const [i, c] of convResults(0, ctx.r).entries()) {
    const g = c.geometry;
    const label = `${name} case ${i} ${JSON.stringify(g)}`;
    const Kout = (g.C / g.groups) * g.kd * g.kh * g.kw + 1;
    threads(ctx, (cfg) => {
      if (name === "conv2d") {
        const out = out32(c.out.length);
        f.conv2d(g, c.x, c.w, c.b, out.out);
        check(`${label} out, ${cfg}`, out, c.out, linearTolerance(Kout, c.bound.out));
      } else if (name === "conv2dInputGrad") {
        const gx = out32(c.gx.length);
        f.conv2dInputGrad(g, c.gy, c.w, gx.out);
        const K = (g.O / g.groups) * g.kd * g.kh * g.kw;
        check(`${label} gx, ${cfg}`, gx, c.gx, linearTolerance(K, c.bound.gx));
      } else {
        const gw = out32(c.gw.length);
        const gb = c.b === null ? null : out32(g.O);
        f.conv2dWeightGrad(g, c.gy, c.x, gw.out, gb?.out ?? null);
        const K = g.N * g.Do * g.Ho * g.Wo;
        check(`${label} gw, ${cfg}`, gw, c.gw, linearTolerance(K, c.bound.gw));
        if (gb !== null) check(`${label} gb, ${cfg}`, gb, c.gb, linearTolerance(K, c.bound.gb));
      }
    });
    ctx.count(name);
  }
};

// ---------------------------------------------------------------------------------------------
// max and average pooling

interface PoolCase {
  N: number;
  C: number;
  H: number;
  W: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
  ceil: boolean;
  special: number;
  includePad: boolean;
  divisor: number;
  /** 3-D windows (max pooling only). */
  depth?: Depth;
}

function poolCases(r: () => number): PoolCase[] {
  const base = { sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, ceil: false, special: 0 };
  const avg = { includePad: true, divisor: 0 };
  const fixed: PoolCase[] = [
    { ...base, ...avg, N: 3, C: 4, H: 13, W: 18, kh: 2, kw: 2 },
    { ...base, ...avg, N: 2, C: 3, H: 7, W: 41, kh: 2, kw: 2, ceil: true, special: 0.05 },
    { ...base, ...avg, N: 3, C: 5, H: 11, W: 9, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 },
    {
      ...base,
      N: 3,
      C: 5,
      H: 11,
      W: 9,
      kh: 3,
      kw: 2,
      sh: 2,
      sw: 3,
      ph: 1,
      pw: 0,
      dh: 2,
      ceil: true,
      includePad: false,
      divisor: 0,
    },
    { ...base, N: 2, C: 2, H: 9, W: 9, kh: 3, kw: 3, ph: 1, pw: 1, includePad: true, divisor: 5 },
    { ...base, ...avg, N: 1, C: 1, H: 1, W: 1, kh: 1, kw: 1, sh: 1, sw: 1 },
    // large: an input of 2·4·363·363 ≈ 1.05M elements
    { ...base, ...avg, N: 2, C: 4, H: 363, W: 363, kh: 3, kw: 3, ph: 1, pw: 1 },
    // 3-D max pooling: LunaModel's 2x2x2, and padding, dilation and ceil mode in depth
    { ...base, ...avg, N: 2, C: 3, H: 8, W: 10, kh: 2, kw: 2, depth: d(6, 2, 2, 1, 0) },
    {
      ...base,
      ...avg,
      N: 2,
      C: 2,
      H: 7,
      W: 9,
      kh: 3,
      kw: 2,
      sh: 1,
      ph: 1,
      ceil: true,
      special: 0.05,
      depth: d(7, 3, 2, 2, 1),
    },
  ];
  const random = Array.from({ length: 5 }, (): PoolCase => {
    const kh = 1 + Math.floor(r() * 3);
    const kw = 1 + Math.floor(r() * 3);
    return {
      N: 1 + Math.floor(r() * 3),
      C: 1 + Math.floor(r() * 4),
      H: 2 * kh + Math.floor(r() * 9),
      W: 2 * kw + Math.floor(r() * 9),
      kh,
      kw,
      sh: 1 + Math.floor(r() * 3),
      sw: 1 + Math.floor(r() * 3),
      ph: Math.floor((r() * (kh + 1)) / 2),
      pw: Math.floor((r() * (kw + 1)) / 2),
      dh: 1,
      dw: 1,
      ceil: r() < 0.5,
      special: r() < 0.3 ? 0.05 : 0,
      includePad: r() < 0.5,
      divisor: r() < 0.2 ? 1 + Math.floor(r() * 6) : 0,
    };
  });
  return [...fixed, ...random];
}

function poolGeometry(c: PoolCase, Do: number, Ho: number, Wo: number): WindowGeometry {
  return {
    N: c.N,
    C: c.C,
    H: c.H,
    W: c.W,
    O: c.C,
    Ho,
    Wo,
    kh: c.kh,
    kw: c.kw,
    sh: c.sh,
    sw: c.sw,
    dh: c.dh,
    dw: c.dw,
    pt: c.ph,
    pl: c.pw,
    groups: 1,
    ...depthFields(c.depth, Do),
  };
}

/**
 * Max pooling is exact: the value, the first maximum's position (NaN wins) and, per input, a
 * sum of the gradients of the windows that picked it (at most ⌈kh/sh⌉·⌈kw/sw⌉ terms,
 * linearTolerance).
 */
export const maxPoolRun: Run = (f, ctx, name) => {
  for (const [i, c] of poolCases(ctx.r).entries()) {
    const r = ctx.r;
    const dp = c.depth;
    const shape = [c.N, c.C, ...spatial(c)];
    const x = rand32(
      r,
      shape.reduce((p, q) => p * q, 1),
      2,
      c.special,
    );
    const opts = {
      stride: [c.sh, c.sw] as [number, number],
      padding: [c.ph, c.pw] as [number, number],
      dilation: [c.dh, c.dw] as [number, number],
      ceilMode: c.ceil,
    };
    const pool = (xt: Tensor): { values: Tensor; indices: Tensor } => {
      if (dp === undefined) return F.maxPool2dWithIndices(xt, [c.kh, c.kw], opts);
      const [values, indices] = F.maxPool3d(xt, [dp.kd, c.kh, c.kw], {
        stride: [dp.sd, c.sh, c.sw],
        padding: [dp.pd, c.ph, c.pw],
        dilation: [dp.dd, c.dh, c.dw],
        ceilMode: c.ceil,
        returnIndices: true,
      });
      return { values, indices };
    };
    const compose = (xa: Float32Array, gya?: Float32Array) =>
      onReference(() => {
        const xt = t32(xa, shape, true);
        const res = pool(xt);
        const gy = gya ?? rand32(r, res.values.numel());
        res.values.backward(t32(gy, res.values.shape));
        return { values: res.values, indices: res.indices.dataSync(), gy, gx: data(xt.grad) };
      });
    const ref = compose(x);
    const [Ho, Wo] = ref.values.shape.slice(-2) as [number, number];
    const Do = dp === undefined ? 1 : ref.values.shape[2]!;
    const g = poolGeometry(c, Do, Ho, Wo);
    const plane = x.length / (c.N * c.C);
    const per = Do * Ho * Wo;
    const label = `${name} case ${i} ${JSON.stringify(g)}`;
    const n = ref.values.numel();
    threads(ctx, (cfg) => {
      const out = out32(n);
      const arg = guarded((k) => new Int32Array(k), n, 0x5a5a5a5a);
      f.maxPool2d(g, x, out.out, arg.out);
      if (name === "maxPool2d") {
        check(`${label} values, ${cfg}`, out, data(ref.values), null);
        assertGuardIntact(`${label} argmax, ${cfg}`, arg, 0x5a5a5a5a);
        const local = Int32Array.from(arg.out, (a, k) => {
          // each position lies in its own N·C plane
          const p = Math.floor(k / per);
          return a >= p * plane && a < (p + 1) * plane ? a - p * plane : -1 - a;
        });
        assertClose(`${label} argmax within its plane, ${cfg}`, local, ref.indices, null);
        return;
      }
      const bound = compose(abs32(x), abs32(ref.gy)).gx;
      const gx = out32(x.length);
      f.maxPool2dBackward(g, ref.gy, arg.out, gx.out);
      const Kd = dp === undefined ? 1 : Math.ceil(dp.kd / dp.sd);
      const K = Kd * Math.ceil(c.kh / c.sh) * Math.ceil(c.kw / c.sw);
      check(`${label} gx, ${cfg}`, gx, ref.gx, linearTolerance(K, bound));
    });
    ctx.count(name);
  }
};

/** Average pooling is linear: window sums of kh·kw terms over a divisor (linearTolerance). */
export const avgPoolRun: Run = (f, ctx, name) => {
  for (const [i, c] of poolCases(ctx.r).entries()) {
    if (c.dh !== 1 || c.dw !== 1 || c.depth !== undefined) continue;
    const r = ctx.r;
    const x = rand32(r, c.N * c.C * c.H * c.W, 2, c.special);
    const opts = {
      stride: [c.sh, c.sw] as [number, number],
      padding: [c.ph, c.pw] as [number, number],
      ceilMode: c.ceil,
      countIncludePad: c.includePad,
      divisorOverride: c.divisor === 0 ? null : c.divisor,
    };
    const compose = (xa: Float32Array, gya?: Float32Array) =>
      onReference(() => {
        const xt = t32(xa, [c.N, c.C, c.H, c.W], true);
        const y = F.avgPool2d(xt, [c.kh, c.kw], opts);
        const gy = gya ?? rand32(r, y.numel());
        y.backward(t32(gy, y.shape));
        return { y, gy, gx: data(xt.grad) };
      });
    const ref = compose(x);
    const abs = compose(abs32(x), abs32(ref.gy));
    const [, , Ho, Wo] = ref.y.shape as [number, number, number, number];
    const g = poolGeometry(c, 1, Ho, Wo);
    const label = `${name} case ${i} ${JSON.stringify(g)} includePad ${c.includePad} divisor ${c.divisor}`;
    const K = c.kh * c.kw;
    threads(ctx, (cfg) => {
      if (name === "avgPool2d") {
        const out = out32(ref.y.numel());
        f.avgPool2d(g, c.includePad, c.divisor, x, out.out);
        check(`${label} out, ${cfg}`, out, data(ref.y), linearTolerance(K, data(abs.y)));
      } else {
        const gx = out32(x.length);
        f.avgPool2dBackward(g, c.includePad, c.divisor, ref.gy, gx.out);
        const Kb = K * Math.ceil(c.kh / c.sh) * Math.ceil(c.kw / c.sw);
        check(`${label} gx, ${cfg}`, gx, ref.gx, linearTolerance(Kb, abs.gx));
      }
    });
    ctx.count(name);
  }
};

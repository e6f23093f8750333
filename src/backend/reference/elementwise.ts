// Elementwise kernels of the reference backend: loops around each op's JavaScript expression
// (src/backend/elementwise-ops.ts), generated once per op, so no closure is called per element
// and V8 sees one monomorphic loop per op and output kind.

import { coalesce } from "../../core/strided.ts";
import type { View } from "../backend.ts";
import { BINARY, type BinaryOp, UNARY, type UnaryOp } from "../elementwise-ops.ts";

/** Round half to even, as torch.round. */
function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's modulo: the result takes the sign of the divisor, as torch.remainder. */
function pymod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** erf to about 1e-15 relative: Taylor series near 0, a continued fraction for erfc beyond. */
function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf x = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc x = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** 1 − erf(x) below 1.5, the continued fraction of the tail beyond (native/elementwise.c's k_erfc). */
function erfc(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x < 1.5) return 1 - erf(x);
  if (x > 27) return 0;
  let f = x;
  for (let n = 120; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** log(eᵃ + eᵇ) = max + log1p(e^−|a−b|); equal infinities give themselves, as torch.logaddexp. */
function logaddexp(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  if (a === b && !Number.isFinite(a)) return a;
  return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
}

// ---- the gamma family and erfinv: native/elementwise.c's k_* twins perform the same operations
// in the same order. lgamma, digamma and trigamma use the plain-arithmetic log, sin and tan below
// rather than libm's, so both backends agree bit for bit even where the results cancel (near the
// roots of lgamma and digamma), and only erfinv's Newton steps touch exp.

const F64 = new Float64Array(1);
const HI = new Uint32Array(F64.buffer, 4, 1); // the high word (little-endian)
const LN2_HI = 0.6931471803691238; // fdlibm's split of ln 2: LN2_HI·e is exact
const LN2_LO = 1.9082149292705877e-10;

/** ln x for finite x > 0: the exponent read exactly, then 2·atanh((m − 1)/(m + 1)), m ∈ (√½, √2]. */
function plainLog(x: number): number {
  F64[0] = x;
  let e = ((HI[0] as number) >>> 20) - 1023;
  if (e === -1023) {
    F64[0] = x * 18014398509481984; // 2^54: subnormals made normal
    e = ((HI[0] as number) >>> 20) - 1023 - 54;
  }
  HI[0] = ((HI[0] as number) & 0x000fffff) | 0x3ff00000;
  let m = F64[0] as number;
  if (m > Math.SQRT2) {
    m = m / 2;
    e = e + 1;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p = 1 / 25;
  for (let k = 23; k >= 1; k -= 2) p = p * s2 + 1 / k;
  return e * LN2_HI + (e * LN2_LO + 2 * s * p);
}

/** sin t and cos t for |t| ≤ π/2 by their Taylor series in nested form. */
function plainSin(t: number): number {
  const t2 = t * t;
  let p = 1;
  for (let k = 12; k >= 1; k--) p = 1 - (t2 / (2 * k * (2 * k + 1))) * p;
  return t * p;
}
function plainCos(t: number): number {
  const t2 = t * t;
  let p = 1;
  for (let k = 12; k >= 1; k--) p = 1 - (t2 / ((2 * k - 1) * (2 * k))) * p;
  return p;
}

/** |sin(πx)|, the argument reduced exactly to [0, ½] first. */
function sinpiAbs(x: number): number {
  let s = Math.abs(x % 2);
  if (s > 1) s = s - 1;
  if (s > 0.5) s = 1 - s;
  return plainSin(Math.PI * s);
}

/** tan(πr) for r ∈ (−1, 1), reduced exactly to [−½, ½] (tan has period π). */
function tanpi(r: number): number {
  let s = r;
  if (s < -0.5) s = s + 1;
  else if (s > 0.5) s = s - 1;
  const t = Math.PI * s;
  return plainSin(t) / plainCos(t);
}

/** Taylor coefficients of lgamma about 1, 1.5, 2 and 2.5 (28 each: ψ⁽ᵏ⁻¹⁾(c)/k!, mpmath). */
const LGAMMA_TAYLOR = [
  0.0, -0.5772156649015329, 0.8224670334241132, -0.40068563438653143, 0.27058080842778454,
  -0.20738555102867398, 0.1695571769974082, -0.1440498967688461, 0.12550966952474304,
  -0.11133426586956469, 0.1000994575127818, -0.09095401714582904, 0.083353840546109,
  -0.0769325164113522, 0.07143294629536133, -0.06666870588242046, 0.06250095514121304,
  -0.058823978658684585, 0.055555767627403614, -0.05263167937961666, 0.05000004769810169,
  -0.047619070330142226, 0.04545455629320467, -0.04347826605304026, 0.04166666915034121,
  -0.04000000119214014, 0.03846153903467518, -0.037037037312989324, -0.12078223763524522,
  0.03648997397857652, 0.46740110027233966, -0.13813277403905333, 0.05871212641676822,
  -0.028952081888893543, 0.0154354841700493, -0.008622603929171286, 0.004965728809475818,
  -0.002920970458667952, 0.00174503557579013, -0.001054915693867632, 0.0006437029830381486,
  -0.00039577153964650777, 0.0002448711904829441, -0.00015231593814270082, 0.00009517939662502588,
  -5.97136233623377e-5, 0.00003759490926961219, -0.000023743185469209343, 0.000015036983408359218,
  -0.000009547151192148187, 6.07540647448469e-6, -3.87415183000977e-6, 0.0000024751447344295936,
  -0.0000015840896262969798, 0.0000010154409130025463, -6.518875486314994e-7, 0.0,
  0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546,
  -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425,
  -0.00022315475845357939, 0.00009945751278180853, -0.00004492623673813314, 0.00002050721277567069,
  -0.000009439488275268397, 0.000004374866789907488, -0.000002039215753801366, 9.55141213040742e-7,
  -4.492469198764566e-7, 2.1207184805554665e-7, -1.0043224823968099e-7, 4.7698101693639804e-8,
  -2.2711094608943164e-8, 1.0838659214896955e-8, -5.183475041970047e-9, 2.4836745438024785e-9,
  -1.1921401405860912e-9, 5.731367241678862e-10, -2.7595228851242334e-10, 0.2846828704729192,
  0.7031566406452432, 0.24517887805011743, -0.0393673419402879, 0.009329410367385502,
  -0.0026146333292227614, 0.0008035683035655326, -0.0002615091483234197, 0.00008842352064789512,
  -0.00003071547269584968, 0.00001088258420686863, -0.0000039138807868675094,
  0.0000014240972665702957, -5.229945563057534e-7, 1.93519712819065e-7, -7.20541079563325e-8,
  2.6969103310573714e-8, -1.013942714378941e-8, 3.8267918975072416e-9, -1.4491674948039224e-9,
  5.504172733427072e-10, -2.0961050636200893e-10, 8.00134398917395e-11, -3.060847395704183e-11,
  1.1731781712973259e-11, -4.504602336246528e-12, 1.7324290569049824e-12, -6.672756789423119e-13,
];

/** lgamma(x) for x ∈ [0.75, 2.75): the Taylor series about the nearest of 1, 1.5, 2, 2.5. */
function lgammaTaylor(x: number): number {
  const c = x < 1.25 ? 0 : x < 1.75 ? 1 : x < 2.25 ? 2 : 3;
  const e = x - (1 + c / 2);
  const base = 28 * c;
  let p = LGAMMA_TAYLOR[base + 27] as number;
  for (let k = 26; k >= 0; k--) p = p * e + (LGAMMA_TAYLOR[base + k] as number);
  return p;
}

/** ln|Γ(x)| as C's lgamma: +∞ at the poles 0, −1, −2, ... and at ±∞. */
function lgamma(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x === Infinity || x === -Infinity) return Infinity;
  if (x <= 0 && x === Math.floor(x)) return Infinity;
  // Γ(x) Γ(1 − x) = π / sin(πx)
  if (x < 0) return plainLog(Math.PI / sinpiAbs(x)) - lgamma(1 - x);
  // Γ(x) = Γ(x + 1) / x
  if (x < 0.75) return lgammaTaylor(x + 1) - plainLog(x);
  if (x < 2.75) return lgammaTaylor(x);
  if (x < 10) {
    // Γ(x) = z (z + 1) ... (x − 1) Γ(z), z ∈ [1.75, 2.75): two positive terms, no cancellation
    let z = x;
    let p = 1;
    while (z >= 2.75) {
      z = z - 1;
      p = p * z;
    }
    return lgammaTaylor(z) + plainLog(p);
  }
  // Stirling's series, to the B₁₆ term (below 1e-17 relative from 10 on)
  const r = 1 / (x * x);
  const series =
    (1 / 12 +
      r *
        (-1 / 360 +
          r *
            (1 / 1260 +
              r *
                (-1 / 1680 +
                  r * (1 / 1188 + r * (-691 / 360360 + r * (1 / 156 + r * (-3617 / 122400)))))))) /
    x;
  return (x - 0.5) * plainLog(x) - x + 0.9189385332046728 + series;
}

/** ψ(x): PyTorch's calc_digamma (ATen/native/Math.h) with the log and tan above. */
function digamma(x: number): number {
  if (x === 0) return Object.is(x, -0) ? Infinity : -Infinity;
  if (x < 0) {
    if (x === Math.trunc(x)) return Number.NaN;
    return digamma(1 - x) - Math.PI / tanpi(x - Math.trunc(x));
  }
  if (x === Infinity) return x;
  let result = 0;
  let y = x;
  while (y < 10) {
    result -= 1 / y;
    y += 1;
  }
  if (y === 10) return result + 2.251752589066721;
  let t = 0;
  if (y < 1e17) {
    const z = 1 / (y * y);
    t =
      z *
      ((((((0.08333333333333333 * z + -0.021092796092796094) * z + 0.007575757575757576) * z +
        -0.004166666666666667) *
        z +
        0.003968253968253968) *
        z +
        -0.008333333333333333) *
        z +
        0.08333333333333333);
  }
  return result + plainLog(y) - 0.5 / y - t;
}

/** ψ′(x): PyTorch's calc_trigamma with the sin above (the gradient of digamma). */
function trigamma(x: number): number {
  if (Number.isNaN(x)) return x;
  let sign = 1;
  let result = 0;
  let y = x;
  if (y < 0.5) {
    sign = -1;
    const s = sinpiAbs(y);
    result -= (Math.PI * Math.PI) / (s * s);
    y = 1 - y;
  }
  if (y === Infinity) return sign * result;
  for (let i = 0; i < 6; i++) {
    result += 1 / (y * y);
    y += 1;
  }
  const ixx = 1 / (y * y);
  result += (1 + 1 / (2 * y) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / y;
  return sign * result;
}

/** eˣ for x ≤ 0 from 2^k·e^r, r = x − k ln 2 ∈ [−½ ln 2, ½ ln 2], by its Taylor series. */
function plainExp(x: number): number {
  if (x < -745) return 0;
  const k = Math.floor(x / Math.LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p = 1;
  for (let n = 14; n >= 1; n--) p = 1 + (r / n) * p;
  return p * 2 ** k;
}

/** erf as `erf` above, with the tail's exp replaced by plainExp (erfinv's Newton steps). */
function erfPlain(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5 || ax > 6 || Number.isNaN(x)) return erf(x);
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = plainExp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/**
 * erf⁻¹(y): PyTorch's calc_erfinv, a rational first guess and two Newton steps, in plain
 * arithmetic (plainLog, plainExp, erfPlain) so the backends agree bit for bit.
 */
function erfinv(y: number): number {
  const ay = Math.abs(y);
  if (ay > 1) return Number.NaN;
  if (ay === 1) return y > 0 ? Infinity : -Infinity;
  let x: number;
  if (ay <= 0.7) {
    const z = y * y;
    const num = ((-0.140543331 * z + 0.914624893) * z + -1.645349621) * z + 0.886226899;
    const dem = (((0.012229801 * z + -0.329097515) * z + 1.442710462) * z + -2.118377725) * z + 1;
    x = (y * num) / dem;
  } else if (Number.isNaN(y)) {
    return y;
  } else {
    const z = Math.sqrt(-plainLog((1 - ay) / 2));
    const num = ((1.641345311 * z + 3.429567803) * z + -1.624906493) * z + -1.970840454;
    const dem = (1.6370678 * z + 3.5438892) * z + 1;
    x = (y < 0 ? -num : num) / dem;
  }
  const c = 2 / Math.sqrt(Math.PI);
  x = x - (erfPlain(x) - y) / (c * plainExp(-x * x));
  x = x - (erfPlain(x) - y) / (c * plainExp(-x * x));
  return x;
}

const HELPERS = { rint, pymod, erf, erfc, logaddexp, lgamma, digamma, trigamma, erfinv };

type Loop = (out: View, operands: readonly View[], H: typeof HELPERS) => void;
const cache = new Map<string, Loop>();

function buildLoop(names: readonly string[], expr: string, boolOut: boolean): Loop {
  const k = names.length;
  const store = boolOut ? `((${expr}) !== 0 ? 1 : 0)` : `(${expr})`;
  const ids = [...Array(k).keys()];
  const src = `
    const shape = cs, nd = shape.length;
    const od = out.data; let oo = out.offset;
    ${ids.map((i) => `const d${i} = ops[${i}].data; let o${i} = ops[${i}].offset; const s${i} = ss[${i + 1}];`).join("\n")}
    const os = ss[0];
    if (nd === 0) {
      ${ids.map((i) => `const ${names[i]} = d${i}[o${i}];`).join(" ")}
      od[oo] = ${store};
      return;
    }
    const len = shape[nd - 1];
    const osL = os[nd - 1]; ${ids.map((i) => `const s${i}L = s${i}[nd - 1];`).join(" ")}
    let outer = 1;
    for (let d = 0; d < nd - 1; d++) outer *= shape[d];
    const idx = new Int32Array(nd);
    for (let it = 0; it < outer; it++) {
      let po = oo; ${ids.map((i) => `let p${i} = o${i};`).join(" ")}
      for (let i = 0; i < len; i++) {
        ${ids.map((i) => `const ${names[i]} = d${i}[p${i}];`).join(" ")}
        od[po] = ${store};
        po += osL; ${ids.map((i) => `p${i} += s${i}L;`).join(" ")}
      }
      for (let d = nd - 2; d >= 0; d--) {
        oo += os[d]; ${ids.map((i) => `o${i} += s${i}[d];`).join(" ")}
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
        oo -= os[d] * shape[d]; ${ids.map((i) => `o${i} -= s${i}[d] * shape[d];`).join(" ")}
      }
    }`;
  const body = new Function("cs", "ss", "out", "ops", "H", src) as (
    cs: number[],
    ss: number[][],
    out: View,
    ops: readonly View[],
    H: typeof HELPERS,
  ) => void;
  return (out, operands, H) => {
    const [cs, ss] = coalesce(out.shape, [out.strides, ...operands.map((v) => v.strides)]);
    if (out.shape.some((s) => s === 0)) return;
    body(cs, ss, out, operands, H);
  };
}

function run(key: string, names: readonly string[], expr: string, out: View, ops: View[]): void {
  const boolOut = out.data instanceof Uint8Array;
  const fullKey = `${key}:${boolOut ? "b" : "n"}`;
  let loop = cache.get(fullKey);
  if (loop === undefined) {
    loop = buildLoop(names, expr, boolOut);
    cache.set(fullKey, loop);
  }
  loop(out, ops, HELPERS);
}

export function unary(op: UnaryOp, x: View, out: View): void {
  run(`u:${op}`, ["a"], UNARY[op].js, out, [x]);
}

export function binary(op: BinaryOp, a: View, b: View, out: View): void {
  run(`b:${op}`, ["a", "b"], BINARY[op].js, out, [a, b]);
}

export function where(cond: View, a: View, b: View, out: View): void {
  run("where", ["c", "a", "b"], "c !== 0 ? a : b", out, [cond, a, b]);
}

/** A loop over `n` elements laid out back to back in every operand (offsets only, no strides). */
export type FlatUnary = (
  x: View["data"],
  xo: number,
  out: View["data"],
  oo: number,
  n: number,
) => void;
export type FlatBinary = (
  a: View["data"],
  ao: number,
  b: View["data"],
  bo: number,
  out: View["data"],
  oo: number,
  n: number,
) => void;

const flatCache = new Map<string, FlatUnary | FlatBinary>();

function flatLoop(
  key: string,
  params: string,
  names: readonly string[],
  expr: string,
  boolOut: boolean,
) {
  const full = `${key}:${boolOut ? "b" : "n"}`;
  let f = flatCache.get(full);
  if (f === undefined) {
    const store = boolOut ? `((${expr}) !== 0 ? 1 : 0)` : `(${expr})`;
    const reads = names.map((v) => `const ${v} = ${v}d[${v}o + i];`).join(" ");
    const make = new Function(
      "H",
      `return function (${params}, od, oo, n) { for (let i = 0; i < n; i++) { ${reads} od[oo + i] = ${store}; } };`,
    ) as (h: typeof HELPERS) => FlatUnary | FlatBinary;
    f = make(HELPERS);
    flatCache.set(full, f);
  }
  return f;
}

/** The flat loop of a unary op (for tiny contiguous tensors, where the strided loop's setup dominates). */
export function flatUnary(op: UnaryOp, boolOut: boolean): FlatUnary {
  return flatLoop(`u:${op}`, "ad, ao", ["a"], UNARY[op].js, boolOut) as FlatUnary;
}

/** The flat loop of a binary op. */
export function flatBinary(op: BinaryOp, boolOut: boolean): FlatBinary {
  return flatLoop(`b:${op}`, "ad, ao, bd, bo", ["a", "b"], BINARY[op].js, boolOut) as FlatBinary;
}

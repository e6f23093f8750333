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

const HELPERS = { rint, pymod, erf, erfc, logaddexp };

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

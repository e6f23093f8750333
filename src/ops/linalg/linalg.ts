// torch.linalg's decompositions and solvers on float32/float64 batches of matrices: inv, solve,
// det, slogdet, cholesky (with gradients, composed of matmul, tril and these ops), and qr, eigh,
// svd, lstsq, pinv (forward only). Each matrix is computed in float64 by ./dense.ts, then cast
// back. Must not depend on nn or anything above ops.

import {
  bool,
  instanceOf,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import type { DType } from "../../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { broadcastShapes } from "../../core/shape.ts";
import { record } from "../../tensor/autograd.ts";
import { isGradEnabled } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor-class.ts";
import * as el from "../elementwise.ts";
import { matmul } from "../matmul.ts";
import { expand, squeeze, sumToShape, transpose, unsqueeze } from "../movement.ts";
import { tril } from "../triangular.ts";
import { namedTuple } from "../tuple.ts";
import * as dense from "./dense.ts";

/** `[sign, logabsdet]` with those field names, as torch.linalg.slogdet. */
export type Slogdet = [sign: Tensor, logabsdet: Tensor] & {
  readonly sign: Tensor;
  readonly logabsdet: Tensor;
};
/** `[Q, R]` with those field names, as torch.linalg.qr. */
export type QR = [Q: Tensor, R: Tensor] & { readonly Q: Tensor; readonly R: Tensor };
/** `[eigenvalues, eigenvectors]` with those field names, as torch.linalg.eigh. */
export type Eigh = [eigenvalues: Tensor, eigenvectors: Tensor] & {
  readonly eigenvalues: Tensor;
  readonly eigenvectors: Tensor;
};
/** `[U, S, Vh]` with those field names, as torch.linalg.svd. */
export type SVD = [U: Tensor, S: Tensor, Vh: Tensor] & {
  readonly U: Tensor;
  readonly S: Tensor;
  readonly Vh: Tensor;
};
/** `[solution, residuals, rank, singularValues]`, as torch.linalg.lstsq (driver "gelsy"). */
export type Lstsq = [solution: Tensor, residuals: Tensor, rank: Tensor, singularValues: Tensor] & {
  readonly solution: Tensor;
  readonly residuals: Tensor;
  readonly rank: Tensor;
  readonly singularValues: Tensor;
};

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  return {
    inv: signature("linalg.inv", { A: tensor }),
    det: signature("linalg.det", { A: tensor }),
    slogdet: signature("linalg.slogdet", { A: tensor }),
    solve: signature("linalg.solve", { A: tensor, B: tensor }, { left: opt(bool, true) }),
    cholesky: signature("linalg.cholesky", { A: tensor }, { upper: opt(bool, false) }),
    qr: signature("linalg.qr", {
      A: tensor,
      mode: opt(oneOf("reduced", "complete", "r"), "reduced"),
    }),
    eigh: signature("linalg.eigh", { A: tensor, UPLO: opt(oneOf("L", "U"), "L") }),
    svd: signature("linalg.svd", { A: tensor, fullMatrices: opt(bool, true) }),
    lstsq: signature(
      "linalg.lstsq",
      { A: tensor, B: tensor, rcond: opt(nullable(num), null) },
      { driver: opt(nullable(oneOf("gelsy")), null) },
    ),
    pinv: signature(
      "linalg.pinv",
      { A: tensor },
      {
        atol: opt(nullable(num), null),
        rtol: opt(nullable(num), null),
        hermitian: opt(bool, false),
      },
    ),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

interface Batch {
  batch: number[];
  count: number;
  m: number;
  n: number;
  data: Float64Array;
}

/** A batch of float32/float64 matrices `[*, m, n]`, read as float64 row-major blocks. */
function matrices(op: string, a: Tensor, square: boolean): Batch {
  if (a.dtype !== "float32" && a.dtype !== "float64") {
    throw new DTypeError(`${op}: Expected a floating point tensor as input. Got ${a.dtype}`);
  }
  if (a.ndim < 2) {
    throw new ShapeError(
      `${op}: The input tensor A must have at least 2 dimensions (got ${a.ndim}-D)`,
    );
  }
  const m = a.shape[a.ndim - 2]!;
  const n = a.shape[a.ndim - 1]!;
  if (square && m !== n) {
    throw new ShapeError(
      `${op}: A must be batches of square matrices, but they are ${m} by ${n} matrices`,
    );
  }
  const batch = a.shape.slice(0, -2);
  const data = Float64Array.from(a.detach().dataSync() as ArrayLike<number>);
  return { batch, count: batch.reduce((x, y) => x * y, 1), m, n, data };
}

function out(data: Float64Array, shape: readonly number[], dtype: DType): Tensor {
  const t = Tensor.fromData(data, shape, "float64");
  return dtype === "float64" ? t : el.cast(t, dtype);
}

const mT = (t: Tensor): Tensor => transpose(t, -2, -1);

function invRaw(a: Tensor): Tensor {
  const b = matrices("linalg.inv", a, true);
  const { n } = b;
  const res = new Float64Array(b.count * n * n);
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 1;
  for (let k = 0; k < b.count; k++) {
    const f = dense.luFactor(b.data.subarray(k * n * n, (k + 1) * n * n), n);
    if (f.singular) {
      throw new ValueError(
        `linalg.inv: The diagonal element of U is zero in batch ${k}: the inversion could not be completed because the input matrix is singular.`,
      );
    }
    res.set(dense.luSolve(f, eye, n, n), k * n * n);
  }
  return out(res, a.shape, a.dtype);
}

/**
 * The inverse of each square matrix of `A` `[*, n, n]`, as torch.linalg.inv; a singular matrix
 * throws a ValueError. Gradient: −A⁻ᵀ g A⁻ᵀ.
 */
export function inv(A: Tensor): Tensor {
  parseArgs(sigs().inv, arguments);
  const y = invRaw(A);
  return record(y, "LinalgInvExBackward0", [A], (g) => [el.neg(matmul(matmul(mT(y), g), mT(y)))], [
    y,
  ]);
}

/**
 * The determinant of each square matrix `[*, n, n] → [*]`, by LU with partial pivoting, as
 * torch.linalg.det. Gradient: g·det·A⁻ᵀ (so it needs an invertible A).
 */
export function det(A: Tensor): Tensor {
  parseArgs(sigs().det, arguments);
  const b = matrices("linalg.det", A, true);
  const { n } = b;
  const res = new Float64Array(b.count);
  for (let k = 0; k < b.count; k++)
    res[k] = dense.luDet(dense.luFactor(b.data.subarray(k * n * n, (k + 1) * n * n), n), n);
  const y = out(res, b.batch, A.dtype);
  // d det(A) = det(A) · A⁻ᵀ
  return record(
    y,
    "LinalgDetBackward0",
    [A],
    (g) => [el.mul(unsqueeze(unsqueeze(el.mul(g, y), -1), -1), mT(inv(A)))],
    [y],
  );
}

/**
 * The sign and the log of the absolute value of the determinant, `[sign, logabsdet]`, as
 * torch.linalg.slogdet (sign 0 and logabsdet -inf for a singular matrix). Gradient of
 * logabsdet: g·A⁻ᵀ.
 */
export function slogdet(A: Tensor): Slogdet {
  parseArgs(sigs().slogdet, arguments);
  const b = matrices("linalg.slogdet", A, true);
  const { n } = b;
  const sign = new Float64Array(b.count);
  const logabs = new Float64Array(b.count);
  for (let k = 0; k < b.count; k++) {
    const f = dense.luFactor(b.data.subarray(k * n * n, (k + 1) * n * n), n);
    let s = f.sign;
    let l = 0;
    for (let i = 0; i < n; i++) {
      const d = f.lu[i * n + i]!;
      s *= Math.sign(d);
      l += Math.log(Math.abs(d));
    }
    sign[k] = s;
    logabs[k] = l;
  }
  const la = out(logabs, b.batch, A.dtype);
  record(la, "LinalgSlogdetBackward0", [A], (g) => [
    el.mul(unsqueeze(unsqueeze(g, -1), -1), mT(inv(A))),
  ]);
  // sign is piecewise constant: recorded (as in PyTorch, it requires grad) with no gradient.
  const sg = record(out(sign, b.batch, A.dtype), "LinalgSlogdetBackward0", [A], () => [null]);
  return namedTuple(["sign", "logabsdet"], [sg, la]) as unknown as Slogdet;
}

/**
 * The solution X of `A X = B` for square `A` `[*, n, n]` and `B` `[*, n, k]` (or `[*, n]`, a
 * batch of vectors, when B has one dim fewer than A), batch dims broadcasting, as
 * torch.linalg.solve. Gradients: gB = A⁻ᵀ g, gA = −gB Xᵀ.
 */
export function solve(
  A: Tensor,
  B: Tensor,
  ...options: WithOptions<[], { left?: boolean }>
): Tensor;
export function solve(A: Tensor, B: Tensor): Tensor {
  const p = parseArgs(sigs().solve, arguments);
  if (!p.left)
    throw new ValueError("linalg.solve: left=false is not supported yet (solve Aᵀ instead)");
  if (A.dtype !== B.dtype) {
    throw new DTypeError(
      `linalg.solve: Expected A and B to have the same dtype, but found A of type ${A.dtype} and B of type ${B.dtype} instead`,
    );
  }
  matrices("linalg.solve", A, true);
  const vector =
    B.ndim === 1 || (B.ndim === A.ndim - 1 && B.shape.join() === A.shape.slice(0, -1).join());
  const B2 = vector ? unsqueeze(B, -1) : B;
  const n = A.shape[A.ndim - 1]!;
  if (B2.ndim < 2 || B2.shape[B2.ndim - 2] !== n) {
    throw new ShapeError(
      `linalg.solve: Incompatible shapes of A and B for the equation AX = B (${A.shape.join("x")} and ${B.shape.join("x")})`,
    );
  }
  const k = B2.shape[B2.ndim - 1]!;
  const batch = broadcastShapes("linalg.solve", A.shape.slice(0, -2), B2.shape.slice(0, -2));
  const Ab = expand(A, [...batch, n, n]).contiguous();
  const Bb = expand(B2, [...batch, n, k]).contiguous();
  const a = matrices("linalg.solve", Ab, true);
  const bd = Float64Array.from(Bb.detach().dataSync() as ArrayLike<number>);
  const res = new Float64Array(a.count * n * k);
  for (let i = 0; i < a.count; i++) {
    const f = dense.luFactor(a.data.subarray(i * n * n, (i + 1) * n * n), n);
    if (f.singular) {
      throw new ValueError(
        `linalg.solve: The solver failed because the input matrix is singular (batch ${i}).`,
      );
    }
    res.set(dense.luSolve(f, bd.subarray(i * n * k, (i + 1) * n * k), n, k), i * n * k);
  }
  const X = out(res, [...batch, n, k], A.dtype);
  const y = vector ? squeeze(X, -1) : X;
  return record(
    y,
    "LinalgSolveExBackward0",
    [A, B],
    (g) => {
      const g2 = vector ? unsqueeze(g, -1) : g;
      const gB = solve(mT(A), g2);
      const gA = el.neg(matmul(gB, mT(X)));
      return [sumToShape(gA, A.shape), sumToShape(vector ? squeeze(gB, -1) : gB, B.shape)];
    },
    [X],
  );
}

/**
 * The Cholesky factor of each symmetric positive-definite matrix: lower L with A = L Lᵀ (upper
 * U = Lᵀ with `upper: true`), as torch.linalg.cholesky; only the lower triangle of A is read.
 * Gradient: Φ(Lᵀ g) projected as PyTorch's cholesky_backward.
 */
export function cholesky(A: Tensor, ...options: WithOptions<[], { upper?: boolean }>): Tensor;
export function cholesky(A: Tensor): Tensor {
  const p = parseArgs(sigs().cholesky, arguments);
  const b = matrices("linalg.cholesky", A, true);
  const { n } = b;
  const res = new Float64Array(b.count * n * n);
  for (let k = 0; k < b.count; k++) {
    const blk = b.data.subarray(k * n * n, (k + 1) * n * n);
    // Symmetrize from the lower triangle, as LAPACK potrf reads only it.
    const sym = Float64Array.from(blk);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sym[i * n + j] = sym[j * n + i]!;
    const c = dense.cholesky(sym, n);
    if (c.failed > 0) {
      throw new ValueError(
        `linalg.cholesky: The factorization could not be completed because the input is not positive-definite (the leading minor of order ${c.failed} is not positive-definite).`,
      );
    }
    res.set(c.l, k * n * n);
  }
  const L = out(res, A.shape, A.dtype);
  if (!p.upper) {
    return record(L, "LinalgCholeskyExBackward0", [A], (g) => [choleskyGrad(L, g)], [L]);
  }
  const U = mT(L.detach()).contiguous();
  // createGraph: L as recorded (Uᵀ), so that the gradient's graph reaches A through it.
  return record(
    U,
    "LinalgCholeskyExBackward0",
    [A],
    (g) => [choleskyGrad(isGradEnabled() ? mT(U) : L, mT(g))],
    [L],
  );
}

/** As PyTorch's cholesky_backward: P = tril(Lᵀ gL), gA = L⁻ᵀ ½(P + tril(P, −1)ᵀ) L⁻¹. */
function choleskyGrad(L: Tensor, gL: Tensor): Tensor {
  const P = tril(matmul(mT(L), gL));
  const M = el.mul(el.add(P, mT(tril(P, -1))), 0.5);
  const Linv = inv(L);
  return matmul(matmul(mT(Linv), M), Linv);
}

/** The QR factorisation `[Q, R]` of `[*, m, n]` by Householder reflections, as torch.linalg.qr (no gradient). */
export function qr(A: Tensor, mode?: "reduced" | "complete" | "r"): QR;
export function qr(A: Tensor): QR {
  const p = parseArgs(sigs().qr, arguments);
  const b = matrices("linalg.qr", A, false);
  const { m, n } = b;
  const complete = p.mode === "complete";
  const kq = complete ? m : Math.min(m, n);
  const qs = new Float64Array(b.count * m * kq);
  const rs = new Float64Array(b.count * kq * n);
  for (let k = 0; k < b.count; k++) {
    const r = dense.householderQr(b.data.subarray(k * m * n, (k + 1) * m * n), m, n, complete);
    qs.set(r.q, k * m * kq);
    rs.set(r.r, k * kq * n);
  }
  const Q =
    p.mode === "r" ? out(new Float64Array(0), [0], A.dtype) : out(qs, [...b.batch, m, kq], A.dtype);
  return namedTuple(["Q", "R"], [Q, out(rs, [...b.batch, kq, n], A.dtype)]) as unknown as QR;
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors (columns) of symmetric matrices, read
 * from the `UPLO` triangle (default "L"), as torch.linalg.eigh, by Jacobi rotations. Eigenvector
 * signs may differ from LAPACK's. No gradient.
 */
export function eigh(A: Tensor, UPLO?: "L" | "U"): Eigh;
export function eigh(A: Tensor): Eigh {
  const p = parseArgs(sigs().eigh, arguments);
  const b = matrices("linalg.eigh", A, true);
  const { n } = b;
  const vals = new Float64Array(b.count * n);
  const vecs = new Float64Array(b.count * n * n);
  for (let k = 0; k < b.count; k++) {
    const sym = Float64Array.from(b.data.subarray(k * n * n, (k + 1) * n * n));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (p.UPLO === "L") sym[i * n + j] = sym[j * n + i]!;
        else sym[j * n + i] = sym[i * n + j]!;
      }
    }
    const e = dense.jacobiEigh(sym, n);
    vals.set(e.values, k * n);
    vecs.set(e.vectors, k * n * n);
  }
  return namedTuple(
    ["eigenvalues", "eigenvectors"],
    [out(vals, [...b.batch, n], A.dtype), out(vecs, A.shape, A.dtype)],
  ) as unknown as Eigh;
}

/** The SVD of one m×n matrix: U m×c, S, V n×c columns (c = min(m, n)), or full when asked. */
function svdOne(a: Float64Array, m: number, n: number, full: boolean) {
  let u: Float64Array;
  let s: Float64Array;
  let v: Float64Array;
  const c = Math.min(m, n);
  if (m >= n) ({ u, s, v } = dense.jacobiSvdTall(a, m, n));
  else {
    const t = new Float64Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[j * m + i] = a[i * n + j]!;
    const r = dense.jacobiSvdTall(t, n, m);
    u = r.v;
    s = r.s;
    v = r.u;
  }
  if (full) {
    if (m > c) u = dense.extendOrthonormal(u, m, c);
    if (n > c) v = dense.extendOrthonormal(v, n, c);
  }
  return { u, s, v, ucols: full ? m : c, vcols: full ? n : c };
}

/**
 * The singular value decomposition `A = U diag(S) Vh` of `[*, m, n]`, S descending, as
 * torch.linalg.svd (`fullMatrices` default true: U m×m, Vh n×n). Singular vector signs may
 * differ from LAPACK's. No gradient.
 */
export function svd(A: Tensor, fullMatrices?: boolean): SVD;
export function svd(A: Tensor): SVD {
  const p = parseArgs(sigs().svd, arguments);
  const b = matrices("linalg.svd", A, false);
  const { m, n } = b;
  const c = Math.min(m, n);
  const uc = p.fullMatrices ? m : c;
  const vc = p.fullMatrices ? n : c;
  const U = new Float64Array(b.count * m * uc);
  const S = new Float64Array(b.count * c);
  const Vh = new Float64Array(b.count * vc * n);
  for (let k = 0; k < b.count; k++) {
    const r = svdOne(b.data.subarray(k * m * n, (k + 1) * m * n), m, n, p.fullMatrices);
    U.set(r.u, k * m * uc);
    S.set(r.s, k * c);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < vc; j++) Vh[k * vc * n + j * n + i] = r.v[i * vc + j]!;
  }
  return namedTuple(
    ["U", "S", "Vh"],
    [
      out(U, [...b.batch, m, uc], A.dtype),
      out(S, [...b.batch, c], A.dtype),
      out(Vh, [...b.batch, vc, n], A.dtype),
    ],
  ) as unknown as SVD;
}

/** The pseudo-inverse of one matrix from its SVD, dropping singular values ≤ max(atol, rtol·σmax). */
function pinvOne(
  a: Float64Array,
  m: number,
  n: number,
  atol: number,
  rtol: number,
): { p: Float64Array; rank: number } {
  const r = svdOne(a, m, n, false);
  const c = Math.min(m, n);
  const cut = Math.max(atol, rtol * (r.s[0] ?? 0));
  const p = new Float64Array(n * m);
  let rank = 0;
  for (let k = 0; k < c; k++) {
    const sk = r.s[k]!;
    if (!(sk > cut)) continue;
    rank++;
    for (let i = 0; i < n; i++) {
      const vi = r.v[i * c + k]! / sk;
      for (let j = 0; j < m; j++) p[i * m + j]! += vi * r.u[j * c + k]!;
    }
  }
  return { p, rank };
}

const EPS = { float32: 2 ** -23, float64: 2 ** -52 } as const;

/**
 * The Moore–Penrose pseudo-inverse `[*, m, n] → [*, n, m]` via the SVD, as torch.linalg.pinv:
 * singular values ≤ max(atol, rtol·σmax) count as zero (default rtol = eps·max(m, n) when
 * neither is given). `hermitian` is accepted and uses the same SVD. No gradient.
 */
export function pinv(
  A: Tensor,
  options?: { atol?: number | null; rtol?: number | null; hermitian?: boolean },
): Tensor;
export function pinv(A: Tensor): Tensor {
  const p = parseArgs(sigs().pinv, arguments);
  const b = matrices("linalg.pinv", A, false);
  const { m, n } = b;
  const atol = p.atol ?? 0;
  const rtol =
    p.rtol ??
    (p.atol !== null && p.atol > 0 ? 0 : EPS[A.dtype as "float32" | "float64"] * Math.max(m, n));
  const res = new Float64Array(b.count * n * m);
  for (let k = 0; k < b.count; k++)
    res.set(pinvOne(b.data.subarray(k * m * n, (k + 1) * m * n), m, n, atol, rtol).p, k * n * m);
  return out(res, [...b.batch, n, m], A.dtype);
}

/**
 * The least-squares (minimum-norm when underdetermined) solution of `A X = B`, as
 * torch.linalg.lstsq with its CPU default driver "gelsy": `[solution, residuals, rank,
 * singularValues]`, residuals and singularValues empty, rank int32. Computed via the
 * pseudo-inverse with rcond (default eps·max(m, n)). No gradient.
 */
export function lstsq(
  A: Tensor,
  B: Tensor,
  ...args: WithOptions<[rcond: number | null], { rcond?: number | null; driver?: "gelsy" | null }>
): Lstsq;
export function lstsq(A: Tensor, B: Tensor, ..._args: unknown[]): Lstsq {
  const p = parseArgs(sigs().lstsq, arguments);
  if (A.dtype !== B.dtype) {
    throw new DTypeError(
      `linalg.lstsq: Expected input and other to have the same dtype, but got ${A.dtype} and ${B.dtype}`,
    );
  }
  const b = matrices("linalg.lstsq", A, false);
  const { m, n } = b;
  const vector = B.ndim === A.ndim - 1;
  const B2 = vector ? unsqueeze(B, -1) : B;
  if (B2.shape[B2.ndim - 2] !== m) {
    throw new ShapeError(
      `linalg.lstsq: input.size(-2) should match other.size(-2) (${m} and ${B2.shape[B2.ndim - 2]})`,
    );
  }
  const rcond = p.rcond ?? EPS[A.dtype as "float32" | "float64"] * Math.max(m, n);
  const pinvs = new Float64Array(b.count * n * m);
  const ranks = new Int32Array(b.count);
  for (let k = 0; k < b.count; k++) {
    const r = pinvOne(b.data.subarray(k * m * n, (k + 1) * m * n), m, n, 0, rcond);
    pinvs.set(r.p, k * n * m);
    ranks[k] = r.rank;
  }
  const X = matmul(out(pinvs, [...b.batch, n, m], A.dtype).detach(), B2.detach());
  const solution = vector ? squeeze(X, -1) : X;
  const empty = out(new Float64Array(0), [0], A.dtype);
  return namedTuple(
    ["solution", "residuals", "rank", "singularValues"],
    [
      solution,
      empty,
      Tensor.fromData(ranks, b.batch, "int32"),
      out(new Float64Array(0), [0], A.dtype),
    ],
  ) as unknown as Lstsq;
}

// Dense float64 kernels of torch.linalg on one row-major matrix at a time: LU with partial
// pivoting (solve, inverse, determinant), Cholesky, Householder QR, cyclic Jacobi for symmetric
// eigenproblems and one-sided Jacobi SVD. Plain typed-array loops; depends on nothing.

/** An n×n LU factorisation with row pivots: PA = LU, L unit lower, packed in `lu`. */
export interface LU {
  lu: Float64Array;
  perm: Int32Array;
  /** (-1)^(number of row swaps). */
  sign: number;
  /** Whether a pivot was exactly zero (the matrix is singular). */
  singular: boolean;
}

/** LU factorisation with partial pivoting (the largest |entry| of each column), as LAPACK getrf. */
export function luFactor(a: ArrayLike<number>, n: number): LU {
  const lu = Float64Array.from(a);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let sign = 1;
  let singular = false;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!;
        lu[k * n + j] = lu[p * n + j]!;
        lu[p * n + j] = t;
      }
      const t = perm[k]!;
      perm[k] = perm[p]!;
      perm[p] = t;
      sign = -sign;
    }
    const piv = lu[k * n + k]!;
    if (piv === 0) {
      singular = true;
      continue;
    }
    for (let i = k + 1; i < n; i++) {
      const f = (lu[i * n + k]! /= piv);
      if (f === 0) continue;
      for (let j = k + 1; j < n; j++) lu[i * n + j]! -= f * lu[k * n + j]!;
    }
  }
  return { lu, perm, sign, singular };
}

/** Solves A X = B for B n×k (row-major) with A's LU; returns X. */
export function luSolve(f: LU, b: ArrayLike<number>, n: number, k: number): Float64Array {
  const x = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) x[i * k + j] = b[f.perm[i]! * k + j]!;
  const lu = f.lu;
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < i; m++) {
      const l = lu[i * n + m]!;
      if (l !== 0) for (let j = 0; j < k; j++) x[i * k + j]! -= l * x[m * k + j]!;
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    for (let m = i + 1; m < n; m++) {
      const u = lu[i * n + m]!;
      if (u !== 0) for (let j = 0; j < k; j++) x[i * k + j]! -= u * x[m * k + j]!;
    }
    const d = lu[i * n + i]!;
    for (let j = 0; j < k; j++) x[i * k + j]! /= d;
  }
  return x;
}

/** The determinant from an LU factorisation: sign · Π diag(U). */
export function luDet(f: LU, n: number): number {
  let d = f.sign;
  for (let i = 0; i < n; i++) d *= f.lu[i * n + i]!;
  return d;
}

/** The lower Cholesky factor L of a symmetric positive-definite A (A = L Lᵀ), or the failing minor. */
export function cholesky(a: ArrayLike<number>, n: number): { l: Float64Array; failed: number } {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j]!;
    for (let k = 0; k < j; k++) s -= l[j * n + k]! * l[j * n + k]!;
    if (!(s > 0)) return { l, failed: j + 1 };
    const d = Math.sqrt(s);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j]!;
      for (let k = 0; k < j; k++) t -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = t / d;
    }
  }
  return { l, failed: 0 };
}

/**
 * Householder QR of an m×n matrix as LAPACK geqrf + orgqr: R's diagonal gets the sign opposite
 * to the column's leading entry. Returns Q (m×q) and R (q×n) with q = m when `complete`, else
 * min(m, n).
 */
export function householderQr(
  a: ArrayLike<number>,
  m: number,
  n: number,
  complete: boolean,
): { q: Float64Array; r: Float64Array; cols: number } {
  const w = Float64Array.from(a);
  const kmax = Math.min(m, n);
  const vs: Float64Array[] = [];
  const taus: number[] = [];
  for (let k = 0; k < kmax; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += w[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    const alpha = w[k * n + k]!;
    const v = new Float64Array(m);
    if (norm === 0 || (norm === Math.abs(alpha) && k === m - 1)) {
      vs.push(v);
      taus.push(0);
      continue;
    }
    const beta = alpha >= 0 ? -norm : norm;
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    v[k] = 1;
    for (let i = k + 1; i < m; i++) v[i] = w[i * n + k]! * scale;
    // Apply H = I − τ v vᵀ to the remaining columns.
    for (let j = k; j < n; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i]! * w[i * n + j]!;
      s *= tau;
      for (let i = k; i < m; i++) w[i * n + j]! -= s * v[i]!;
    }
    vs.push(v);
    taus.push(tau);
  }
  const cols = complete ? m : kmax;
  const q = new Float64Array(m * cols);
  for (let i = 0; i < Math.min(m, cols); i++) q[i * cols + i] = 1;
  for (let k = kmax - 1; k >= 0; k--) {
    const v = vs[k]!;
    const tau = taus[k]!;
    if (tau === 0) continue;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = k; i < m; i++) s += v[i]! * q[i * cols + j]!;
      s *= tau;
      for (let i = k; i < m; i++) q[i * cols + j]! -= s * v[i]!;
    }
  }
  const rows = cols === m ? m : kmax;
  const r = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++)
    for (let j = i; j < n; j++) r[i * n + j] = i < m ? w[i * n + j]! : 0;
  return { q, r, cols };
}

/**
 * Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations: eigenvalues
 * ascending, eigenvectors as the columns of `vectors` (row-major n×n).
 */
export function jacobiEigh(
  a: ArrayLike<number>,
  n: number,
): { values: Float64Array; vectors: Float64Array } {
  const s = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += s[p * n + q]! ** 2;
    if (off < 1e-300) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q]!;
        if (apq === 0) continue;
        const theta = (s[q * n + q]! - s[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const sn = t * c;
        for (let k = 0; k < n; k++) {
          const akp = s[k * n + p]!;
          const akq = s[k * n + q]!;
          s[k * n + p] = c * akp - sn * akq;
          s[k * n + q] = sn * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = s[p * n + k]!;
          const aqk = s[q * n + k]!;
          s[p * n + k] = c * apk - sn * aqk;
          s[q * n + k] = sn * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - sn * vkq;
          v[k * n + q] = sn * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (x, y) => s[x * n + x]! - s[y * n + y]!,
  );
  const values = Float64Array.from(order, (i) => s[i * n + i]!);
  const vectors = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    order.forEach((c, j) => {
      vectors[r * n + j] = v[r * n + c]!;
    });
  }
  return { values, vectors };
}

/**
 * The thin SVD of an m×n matrix with m >= n by one-sided Jacobi: A = U diag(S) Vᵀ, S
 * descending; U is m×n, V n×n (both row-major).
 */
export function jacobiSvdTall(
  a: ArrayLike<number>,
  m: number,
  n: number,
): { u: Float64Array; s: Float64Array; v: Float64Array } {
  const u = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p]!;
          const uq = u[i * n + q]!;
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const sn = c * t;
        for (let i = 0; i < m; i++) {
          const up = u[i * n + p]!;
          const uq = u[i * n + q]!;
          u[i * n + p] = c * up - sn * uq;
          u[i * n + q] = sn * up + c * uq;
        }
        for (let i = 0; i < n; i++) {
          const vp = v[i * n + p]!;
          const vq = v[i * n + q]!;
          v[i * n + p] = c * vp - sn * vq;
          v[i * n + q] = sn * vp + c * vq;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let i = 0; i < m; i++) s += u[i * n + j]! ** 2;
    return Math.sqrt(s);
  });
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => norms[y]! - norms[x]!);
  const s = Float64Array.from(order, (j) => norms[j]!);
  const uo = new Float64Array(m * n);
  const vo = new Float64Array(n * n);
  order.forEach((j, k) => {
    const nj = norms[j]!;
    for (let i = 0; i < m; i++) uo[i * n + k] = nj > 0 ? u[i * n + j]! / nj : 0;
    for (let i = 0; i < n; i++) vo[i * n + k] = v[i * n + j]!;
  });
  completeColumns(uo, m, n, s);
  return { u: uo, s, v: vo };
}

/**
 * Replaces the zero columns of an m×k matrix whose column norms are `s` (zero for a null
 * direction) with unit vectors orthogonal to the others, by Gram–Schmidt against the identity.
 */
export function completeColumns(u: Float64Array, m: number, k: number, s: ArrayLike<number>): void {
  const ok = Array.from({ length: k }, (_, j) => s[j]! > 0);
  let e = 0;
  for (let j = 0; j < k; j++) {
    if (ok[j]) continue;
    for (; e < m; e++) {
      const col = new Float64Array(m);
      col[e] = 1;
      // Two Gram–Schmidt passes keep the new column orthogonal to working precision.
      for (let pass = 0; pass < 2; pass++) {
        for (let c = 0; c < k; c++) {
          if (!ok[c]) continue;
          let d = 0;
          for (let i = 0; i < m; i++) d += u[i * k + c]! * col[i]!;
          for (let i = 0; i < m; i++) col[i]! -= d * u[i * k + c]!;
        }
      }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += col[i]! ** 2;
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-8) {
        for (let i = 0; i < m; i++) u[i * k + j] = col[i]! / nrm;
        ok[j] = true;
        e++;
        break;
      }
    }
  }
}

/** An m×c matrix extended to m×m orthonormal columns (c <= m), by Gram–Schmidt against the identity. */
export function extendOrthonormal(u: Float64Array, m: number, c: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < c; j++) out[i * m + j] = u[i * c + j]!;
  const s = new Float64Array(m);
  s.fill(1, 0, c);
  completeColumns(out, m, m, s);
  return out;
}

// Norms and distances: norm, dist, cdist and linalg's vectorNorm and matrixNorm, composed of
// abs, pow, sum and amax. The 2-norm has its own gradient rule so that a zero vector gets a zero
// gradient, as PyTorch's. Must not depend on nn or anything above ops.

import {
  arrayOf,
  bool,
  either,
  instanceOf,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import { isFloating } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDims } from "../core/shape.ts";
import { named, onceDifferentiable, record } from "../tensor/autograd.ts";
import { isGradEnabled } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";
import { svd } from "./linalg/linalg.ts";
import { matmul } from "./matmul.ts";
import { permute, reshape, select, unsqueeze } from "./movement.ts";
import { amax, sum } from "./reduce.ts";

/** An order of a norm: a number (inf included), PyTorch's "fro" or "nuc" (matrices). */
export type NormOrd = number | "fro" | "nuc";
/** Options of vectorNorm. */
export interface VectorNormOptions {
  ord?: number;
  dim?: number | readonly number[] | null;
  keepDim?: boolean;
  /** Computes in this dtype (a floating one). */
  dtype?: "float32" | "float64" | null;
}
/** Options of matrixNorm. */
export interface MatrixNormOptions {
  ord?: "fro" | "nuc" | number;
  dim?: readonly number[];
  keepDim?: boolean;
  dtype?: "float32" | "float64" | null;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const dims = either(int, arrayOf(int));
  const fdtype = opt(nullable(oneOf("float32", "float64")), null);
  return {
    norm: signature(
      "norm",
      {
        input: tensor,
        p: opt(either(num, oneOf("fro", "nuc")), "fro"),
        dim: opt(nullable(dims), null),
        keepDim: opt(bool, false),
      },
      { dtype: fdtype },
    ),
    dist: signature("dist", { input: tensor, other: tensor, p: opt(num, 2) }),
    cdist: signature(
      "cdist",
      { x1: tensor, x2: tensor, p: opt(num, 2) },
      {
        computeMode: opt(
          oneOf(
            "use_mm_for_euclid_dist_if_necessary",
            "use_mm_for_euclid_dist",
            "donot_use_mm_for_euclid_dist",
          ),
          "use_mm_for_euclid_dist_if_necessary",
        ),
      },
    ),
    vectorNorm: signature(
      "vectorNorm",
      { x: tensor, ord: opt(num, 2), dim: opt(nullable(dims), null), keepDim: opt(bool, false) },
      { dtype: fdtype },
    ),
    matrixNorm: signature(
      "matrixNorm",
      {
        A: tensor,
        ord: opt(either(num, oneOf("fro", "nuc")), "fro"),
        dim: opt(arrayOf(int), [-2, -1]),
        keepDim: opt(bool, false),
      },
      { dtype: fdtype },
    ),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/** The p-norm of `x` over `dims` (null: all), for any p including ±inf and 0. */
export function pNorm(
  op: string,
  x: Tensor,
  p: number,
  dim: number | readonly number[] | null,
  keepDim: boolean,
): Tensor {
  if (!isFloating(x.dtype)) {
    throw new DTypeError(`${op}: expected a floating point input, got ${x.dtype}`);
  }
  const dims =
    dim === null
      ? x.shape.map((_, i) => i)
      : normalizeDims(op, typeof dim === "number" ? [dim] : dim, Math.max(x.ndim, 1));
  const ds = x.ndim === 0 ? [] : dims;
  const a = el.abs(x);
  if (p === Number.POSITIVE_INFINITY) return amax(a, "max", ds, keepDim);
  if (p === Number.NEGATIVE_INFINITY) return amax(a, "min", ds, keepDim);
  if (p === 0) return sum(el.cast(el.ne(x, 0), x.dtype), ds, keepDim);
  if (p === 1) return sum(a, ds, keepDim);
  if (p === 2) {
    // NOTE: the VJP reads the recorded output itself, so that under createGraph its gradient
    // carries the norm's own dependence on x (a second derivative).
    const out = el.sqrt(sum(el.mul(x.detach(), x.detach()), ds, keepDim)).detach();
    // d‖x‖₂ = x / ‖x‖₂, and 0 where ‖x‖₂ = 0 (PyTorch's masked gradient).
    return record(
      out,
      "LinalgVectorNormBackward0",
      [x],
      (g) => {
        const n = keepDim
          ? out
          : reshape(
              out,
              x.shape.map((s, i) => (ds.includes(i) ? 1 : s)),
            );
        const gk = keepDim ? g : reshape(g, n.shape);
        const scale = el.where(el.eq(n, 0), 0, el.div(gk, n));
        return [el.mul(x, scale)];
      },
      [x, out],
    );
  }
  return el.pow(sum(el.pow(a, p), ds, keepDim), 1 / p);
}

/**
 * A vector norm `(Σ|x|^ord)^(1/ord)` over `dim` (default: all elements), ord any number
 * including ±inf (max/min of |x|) and 0 (the count of nonzeros), as torch.linalg.vector_norm.
 */
export function vectorNorm(
  x: Tensor,
  ...args: WithOptions<
    [ord: number, dim: number | readonly number[] | null, keepDim: boolean],
    VectorNormOptions
  >
): Tensor;
export function vectorNorm(x: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().vectorNorm, arguments);
  const input = p.dtype === null ? x : el.cast(x, p.dtype);
  return named(pNorm("vectorNorm", input, p.ord, p.dim, p.keepDim), "LinalgVectorNormBackward0", [
    x,
  ]);
}

/**
 * A matrix norm over the two dims `dim` (default the last two): "fro", or ord ±1 (max/min
 * column abs sum) and ±inf (max/min row abs sum), as torch.linalg.matrix_norm. "nuc" (the sum of
 * singular values) and ±2 (the largest / smallest) come from the SVD.
 */
export function matrixNorm(
  A: Tensor,
  ...args: WithOptions<
    [ord: "fro" | "nuc" | number, dim: readonly number[], keepDim: boolean],
    MatrixNormOptions
  >
): Tensor;
export function matrixNorm(A: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().matrixNorm, arguments);
  const x = p.dtype === null ? A : el.cast(A, p.dtype);
  if (x.ndim < 2)
    throw new ShapeError(
      `matrixNorm: The input tensor A must have at least 2 dimensions (got ${x.ndim}-D)`,
    );
  if (p.dim.length !== 2)
    throw new ValueError(`matrixNorm: dim must be a 2-tuple. Got ${JSON.stringify(p.dim)}`);
  const [r, c] = normalizeDims("matrixNorm", p.dim, x.ndim) as [number, number];
  if (r === c) throw new ValueError(`matrixNorm: dims must be different. Got (${r}, ${c})`);
  if (p.ord === "fro") return pNorm("matrixNorm", x, 2, [r, c], p.keepDim);
  if (p.ord === "nuc" || Math.abs(p.ord) === 2) return spectralNorm(x, p.ord, r, c, p.keepDim);
  const ord = p.ord;
  if (Math.abs(ord) !== 1 && Math.abs(ord) !== Number.POSITIVE_INFINITY) {
    throw new ValueError(
      `matrixNorm: Order ${ord} not supported (expected "fro", "nuc", ±1, ±2 or ±inf)`,
    );
  }
  // ±1: reduce over rows first (column sums); ±inf: over columns first (row sums).
  const inner = Math.abs(ord) === 1 ? r : c;
  const outer = Math.abs(ord) === 1 ? c : r;
  const sums = sum(el.abs(x), [inner], true);
  const m = amax(sums, ord > 0 ? "max" : "min", [outer], true);
  if (p.keepDim) return m;
  return reshape(
    m,
    x.shape.filter((_, i) => i !== r && i !== c),
  );
}

/**
 * The norm of `input`, as torch.norm: p "fro" (default, the 2-norm of the flattened entries)
 * or a number, over `dim` (default all); "nuc" is the nuclear norm of the last two dims (or
 * the two in `dim`).
 */
export function norm(
  input: Tensor,
  ...args: WithOptions<
    [p: NormOrd, dim: number | readonly number[] | null, keepDim: boolean],
    {
      p?: NormOrd;
      dim?: number | readonly number[] | null;
      keepDim?: boolean;
      dtype?: "float32" | "float64" | null;
    }
  >
): Tensor;
export function norm(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().norm, arguments);
  const x = p.dtype === null ? input : el.cast(input, p.dtype);
  if (p.p === "nuc") {
    const dims = p.dim === null ? [-2, -1] : typeof p.dim === "number" ? [p.dim] : [...p.dim];
    if (dims.length !== 2)
      throw new ValueError(`norm: "nuc" norm needs 2 dims, got ${dims.length}`);
    return matrixNorm(x, "nuc", dims, p.keepDim);
  }
  const ord = p.p === "fro" ? 2 : p.p;
  if (p.p === "fro" && p.dim !== null && typeof p.dim !== "number" && p.dim.length > 2) {
    throw new ValueError(`norm: "fro" norm needs at most 2 dims, got ${p.dim.length}`);
  }
  return named(pNorm("norm", x, ord, p.dim, p.keepDim), "NormBackward1", [input]);
}

/** `norm(input - other, p)` (broadcasting), as torch.dist. */
export function dist(input: Tensor, other: Tensor, p?: number): Tensor;
export function dist(input: Tensor, other: Tensor): Tensor {
  const a = parseArgs(sigs().dist, arguments);
  return named(pNorm("dist", el.sub(input, other), a.p, null, false), "DistBackward0", [
    input,
    other,
  ]);
}

/**
 * Pairwise p-norm distances between the rows of `x1` `[*, P, M]` and `x2` `[*, R, M]`,
 * giving `[*, P, R]`, as torch.cdist (computed directly, whatever `computeMode`).
 */
export function cdist(
  x1: Tensor,
  x2: Tensor,
  ...args: WithOptions<
    [p: number],
    {
      p?: number;
      computeMode?:
        | "use_mm_for_euclid_dist_if_necessary"
        | "use_mm_for_euclid_dist"
        | "donot_use_mm_for_euclid_dist";
    }
  >
): Tensor;
export function cdist(x1: Tensor, x2: Tensor, ..._args: unknown[]): Tensor {
  const a = parseArgs(sigs().cdist, arguments);
  if (x1.ndim < 2 || x2.ndim < 2) {
    throw new ShapeError(
      `cdist: cdist only supports at least 2D tensors, X1 got: ${x1.ndim}D, X2 got: ${x2.ndim}D`,
    );
  }
  if (x1.shape[x1.ndim - 1] !== x2.shape[x2.ndim - 1]) {
    throw new ShapeError(
      `cdist: X1 and X2 must have the same number of columns. X1: ${x1.shape[x1.ndim - 1]} X2: ${x2.shape[x2.ndim - 1]}`,
    );
  }
  if (a.p < 0) throw new ValueError("cdist: cdist only supports non-negative p values");
  const diffs = el.sub(unsqueeze(x1, -2), unsqueeze(x2, -3));
  return named(pNorm("cdist", diffs, a.p, -1, false), "CdistBackward0", [x1, x2]);
}

/**
 * Singular-value norms of the matrices over dims (r, c): "nuc" (Σσ), 2 (σmax), −2 (σmin).
 * Gradients: U Vᵀ for "nuc", u₁ v₁ᵀ (or the last pair) for ±2, as PyTorch's svd_backward gives.
 */
function spectralNorm(
  x: Tensor,
  ord: number | "nuc",
  r: number,
  c: number,
  keepDim: boolean,
): Tensor {
  const order = [...x.shape.map((_, i) => i).filter((i) => i !== r && i !== c), r, c];
  const inverse = order.map((_, i) => order.indexOf(i));
  const xm = permute(x.detach(), order);
  const { U, S, Vh } = svd(xm, false);
  const k = S.shape[S.ndim - 1]!;
  let value: Tensor;
  let dir: Tensor;
  if (ord === "nuc") {
    value = sum(S, [S.ndim - 1], false);
    dir = matmul(U, Vh);
  } else {
    const at = ord > 0 ? 0 : k - 1;
    value = select(S, -1, at);
    dir = el.mul(unsqueeze(select(U, -1, at), -1), unsqueeze(select(Vh, -2, at), -2));
  }
  const out = keepDim ? unsqueeze(unsqueeze(value, Math.min(r, c)), Math.max(r, c)) : value;
  return record(out.contiguous(), "LinalgMatrixNormBackward0", [x], (g) => {
    const gv = keepDim ? reshape(g, value.shape) : g;
    const gx = permute(el.mul(unsqueeze(unsqueeze(gv, -1), -1), dir), inverse);
    // createGraph: `dir` (from the SVD) carries no graph, so a second derivative would miss its
    // term: differentiating this gradient raises instead.
    return isGradEnabled() ? onceDifferentiable("linalg.matrix_norm", [gx], [g, x]) : [gx];
  });
}

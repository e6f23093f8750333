// Triangles and diagonals: tril, triu, trilIndices, triuIndices, diag, diagonal (a view),
// diagEmbed and trace, as torch's functions of those names. Composed of where, sum and strided
// views of the input's storage; no kernels of their own. Must not depend on nn or anything above ops.

import {
  instanceOf,
  int,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDim } from "../core/shape.ts";
import { linearGrad, named, record } from "../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../tensor/graph.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { backend, empty, full } from "./dispatch.ts";
import * as el from "./elementwise.ts";
import { reshape } from "./movement.ts";
import { sum } from "./reduce.ts";

/** Options of trilIndices / triuIndices: the dtype of the result (int32, Kiln's int64). */
export interface TriIndicesOptions {
  /** The dtype of the indices (default int32, where PyTorch's default is int64). */
  dtype?: "int32" | "int64" | "float32" | "float64";
}

/** Options of diagonal and diagEmbed: the diagonal's offset and the two dims it spans. */
export interface DiagonalOptions {
  /** Above the main diagonal when positive, below when negative (default 0). */
  offset?: number;
  dim1?: number;
  dim2?: number;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const tri = (op: string) => signature(op, { input: tensor, diagonal: opt(int, 0) });
  const idx = (op: string) =>
    signature(
      op,
      { row: int, col: int, offset: opt(int, 0) },
      { dtype: opt(oneOf("int32", "int64", "float32", "float64"), "int32") },
    );
  return {
    tril: tri("tril"),
    triu: tri("triu"),
    diag: tri("diag"),
    trilIndices: idx("trilIndices"),
    triuIndices: idx("triuIndices"),
    diagonal: signature("diagonal", {
      input: tensor,
      offset: opt(int, 0),
      dim1: opt(int, 0),
      dim2: opt(int, 1),
    }),
    diagEmbed: signature("diagEmbed", {
      input: tensor,
      offset: opt(int, 0),
      dim1: opt(int, -2),
      dim2: opt(int, -1),
    }),
    trace: signature("trace", { input: tensor }),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/** The [rows, cols] bool mask of `col - row <= k` (lower) or `>= k` (upper). */
function triMask(rows: number, cols: number, k: number, lower: boolean): Tensor {
  const m = empty([rows, cols], "bool");
  const d = m.storage.data;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) d[i * cols + j] = (lower ? j - i <= k : j - i >= k) ? 1 : 0;
  }
  return m;
}

function triangle(op: "tril" | "triu", x: Tensor, k: number): Tensor {
  if (x.ndim < 2) {
    throw new ShapeError(`${op}: input tensor must have at least 2 dimensions (got ${x.ndim}-D)`);
  }
  const mask = triMask(x.shape[x.ndim - 2]!, x.shape[x.ndim - 1]!, k, op === "tril");
  const out = el.where(mask, x, full([], 0, x.dtype));
  return named(out, op === "tril" ? "TrilBackward0" : "TriuBackward0", [x]);
}

/**
 * The lower triangle of the last two dims (`col - row <= diagonal` kept, the rest 0), as
 * torch.tril. `[*, m, n] → [*, m, n]`.
 */
export function tril<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[diagonal: number], { diagonal?: number }>
): Tensor<D>;
export function tril(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().tril, arguments);
  return triangle("tril", input, p.diagonal);
}

/**
 * The upper triangle of the last two dims (`col - row >= diagonal` kept, the rest 0), as
 * torch.triu. `[*, m, n] → [*, m, n]`.
 */
export function triu<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[diagonal: number], { diagonal?: number }>
): Tensor<D>;
export function triu(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().triu, arguments);
  return triangle("triu", input, p.diagonal);
}

function triIndices(op: "trilIndices" | "triuIndices", args: IArguments): Tensor {
  const p = parseArgs(sigs()[op], args);
  if (p.row < 0 || p.col < 0) {
    throw new ValueError(`${op}: row and col must be non-negative, got row=${p.row}, col=${p.col}`);
  }
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < p.row; i++) {
    for (let j = 0; j < p.col; j++) {
      if (op === "trilIndices" ? j - i <= p.offset : j - i >= p.offset) {
        rows.push(i);
        cols.push(j);
      }
    }
  }
  const t = Tensor.fromData(Int32Array.from([...rows, ...cols]), [2, rows.length], "int32");
  return p.dtype === "int32" || p.dtype === "int64" ? t : el.cast(t, p.dtype);
}

/**
 * The coordinates of the lower triangle of a `row × col` matrix (`col - row <= offset`), as a
 * `[2, N]` tensor of row indices then column indices in row-major order, as torch.tril_indices
 * (int32 here, int64 there).
 */
export function trilIndices(
  row: number,
  col: number,
  ...args: WithOptions<[offset: number], TriIndicesOptions & { offset?: number }>
): Tensor;
export function trilIndices(_row: number, _col: number, ..._args: unknown[]): Tensor {
  return triIndices("trilIndices", arguments);
}

/**
 * The coordinates of the upper triangle of a `row × col` matrix (`col - row >= offset`), as a
 * `[2, N]` tensor, as torch.triu_indices (int32 here, int64 there).
 */
export function triuIndices(
  row: number,
  col: number,
  ...args: WithOptions<[offset: number], TriIndicesOptions & { offset?: number }>
): Tensor;
export function triuIndices(_row: number, _col: number, ..._args: unknown[]): Tensor {
  return triIndices("triuIndices", arguments);
}

/** The geometry of the diagonal view: its shape, strides and storage offset. */
function diagGeometry(x: Tensor, offset: number, d1: number, d2: number) {
  const s1 = x.shape[d1]!;
  const s2 = x.shape[d2]!;
  const len = Math.max(0, offset >= 0 ? Math.min(s1, s2 - offset) : Math.min(s1 + offset, s2));
  let start = x.offset;
  if (len > 0) start += offset >= 0 ? offset * x.strides[d2]! : -offset * x.strides[d1]!;
  const keep = x.shape.map((_, i) => i).filter((i) => i !== d1 && i !== d2);
  return {
    shape: [...keep.map((i) => x.shape[i]!), len],
    strides: [...keep.map((i) => x.strides[i]!), x.strides[d1]! + x.strides[d2]!],
    start,
  };
}

function diagonalDims(op: string, ndim: number, dim1: number, dim2: number): [number, number] {
  const d1 = normalizeDim(op, dim1, ndim);
  const d2 = normalizeDim(op, dim2, ndim);
  if (d1 === d2) {
    throw new ValueError(`${op}: diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  }
  return [d1, d2];
}

function diagonalView(x: Tensor, offset: number, d1: number, d2: number): Tensor {
  const g = diagGeometry(x, offset, d1, d2);
  const out = new Tensor(x.storage, g.shape, g.strides, g.start, x.dtype, x.base ?? x);
  return record(out, "DiagonalBackward0", [x], (grad) => {
    const z = empty(x.shape, grad.dtype);
    const target = noGrad(() => diagonalView(z, offset, d1, d2));
    backend().unary("copy", grad.view_(), target.view_());
    if (isGradEnabled()) {
      linearGrad(z, grad, "DiagonalBackwardBackward0", (gg) => diagonalView(gg, offset, d1, d2));
    }
    return [z];
  });
}

/**
 * The diagonal at `offset` over dims `dim1` and `dim2`, appended as the last dim: a view that
 * shares storage, as torch.diagonal (defaults offset 0, dims 0 and 1).
 */
export function diagonal<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[offset: number, dim1: number, dim2: number], DiagonalOptions>
): Tensor<D>;
export function diagonal(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().diagonal, arguments);
  if (input.ndim < 2) {
    throw new ShapeError(
      `diagonal: expected a tensor of at least 2 dimensions, got ${input.ndim}-D`,
    );
  }
  const [d1, d2] = diagonalDims("diagonal", input.ndim, p.dim1, p.dim2);
  return diagonalView(input, p.offset, d1, d2);
}

/**
 * A tensor whose diagonals over `dim1`, `dim2` (of the result, default the last two) hold the
 * last dim of `input`, zeros elsewhere, as torch.diag_embed. `[*, n] → [*, n+|offset|, n+|offset|]`.
 */
export function diagEmbed<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[offset: number, dim1: number, dim2: number], DiagonalOptions>
): Tensor<D>;
export function diagEmbed(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().diagEmbed, arguments);
  return embed("diagEmbed", input, p.offset, p.dim1, p.dim2, "DiagEmbedBackward0");
}

function embed(
  op: string,
  x: Tensor,
  offset: number,
  dim1: number,
  dim2: number,
  name: string,
): Tensor {
  const nd = x.ndim + 1;
  const [d1, d2] = diagonalDims(op, nd, dim1, dim2);
  const n = x.ndim === 0 ? 1 : x.shape[x.ndim - 1]!;
  const size = n + Math.abs(offset);
  const lead = x.ndim === 0 ? [] : x.shape.slice(0, -1);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < nd; i++) shape.push(i === d1 || i === d2 ? size : lead[k++]!);
  const out = empty(shape, x.dtype);
  const target = noGrad(() => diagonalView(out, offset, d1, d2));
  backend().unary("copy", reshape(x.detach(), target.shape).contiguous().view_(), target.view_());
  return record(out, name, [x], (g) => [reshape(diagonalView(g, offset, d1, d2), x.shape)]);
}

/**
 * For a 1-D input, the square matrix with it on diagonal `diagonal`; for a 2-D input, that
 * diagonal as a 1-D copy, as torch.diag.
 */
export function diag<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[diagonal: number], { diagonal?: number }>
): Tensor<D>;
export function diag(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().diag, arguments);
  if (input.ndim === 1) return embed("diag", input, p.diagonal, 0, 1, "DiagBackward0");
  if (input.ndim === 2) {
    return named(el.clone(diagonalView(input, p.diagonal, 0, 1)), "DiagBackward0", [input]);
  }
  throw new ShapeError(`diag: matrix or a vector expected (got ${input.ndim}-D)`);
}

/** The sum of the main diagonal of a 2-D tensor (int and bool sum to int32), as torch.trace. */
export function trace(input: Tensor): Tensor {
  parseArgs(sigs().trace, arguments);
  if (input.ndim !== 2)
    throw new ShapeError(`trace: expected a matrix, but got tensor with dim ${input.ndim}`);
  return named(sum(diagonalView(input, 0, 0, 1), null, false), "TraceBackward0", [input]);
}

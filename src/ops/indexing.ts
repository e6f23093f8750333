// PyTorch indexing: `t[...]` with ints, slices, None, Ellipsis, index tensors and bool masks,
// index_put_, masked ops, gather/scatter and nonzero. Basic subscripts become views; advanced
// ones become one flat gather (`takeFlat`) whose gradient is a scatter-add (`putFlat`).

import { checkFits, type Scalar } from "../core/dtype.ts";
import { DTypeError, IndexError, ShapeError } from "../core/errors.ts";
import {
  broadcastShapes,
  contiguousStrides,
  formatShape,
  normalizeDim,
  numel,
  type Shape,
  shapeEquals,
} from "../core/shape.ts";
import { elementOffsets } from "../core/strided.ts";
import { linearGrad, named, needsGrad, record } from "../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../tensor/graph.ts";
import { type Subscript, Tensor } from "../tensor/tensor-class.ts";
import { asIndexInt32, asTensorOf, backend, empty, full } from "./dispatch.ts";
import { cast, checkOperand, inplace, where } from "./elementwise.ts";
import { expand, reshape, select, sliceDim, unsqueeze } from "./movement.ts";

type Operand = Tensor | Scalar;

/** out.flat[i] = x.flat[flat[i]] (row-major positions); gradient: scatter-add back. */
export function takeFlat(
  x: Tensor,
  flat: Int32Array,
  shape: Shape,
  name = "IndexBackward0",
): Tensor {
  const out = empty(shape, x.dtype);
  backend().take(x.view_(), flat, out.storage.data);
  return record(out, name, [x], (g) => {
    const z = empty(x.shape, g.dtype);
    backend().put(z.view_(), flat, g.contiguous().view_(), true);
    // createGraph: the scatter-add is linear in g; its gradient gathers back.
    if (isGradEnabled()) linearGrad(z, g, "IndexPutBackward0", (gg) => takeFlat(gg, flat, shape));
    return [z];
  });
}

/** A copy of x with x.flat[flat[i]] = values.flat[i] (or += when accumulate). */
export function putFlat(x: Tensor, flat: Int32Array, values: Tensor, accumulate: boolean): Tensor {
  const out = noGrad(() => x.clone());
  const v = values.contiguous();
  backend().put(out.view_(), flat, v.view_(), accumulate);
  return record(out, "IndexPutBackward0", [x, values], (g) => {
    let gx = g;
    if (!accumulate) {
      // createGraph: g with the overwritten positions zeroed, differentiably.
      if (isGradEnabled()) gx = putFlat(g, flat, full([flat.length], 0, g.dtype), false);
      else {
        gx = g.clone();
        backend().put(gx.view_(), flat, full([flat.length], 0, g.dtype).view_(), false);
      }
    }
    return [gx, takeFlat(g, flat, values.shape)];
  });
}

interface Resolved {
  /** The view left after basic indexing (ints, slices, None, Ellipsis). */
  base: Tensor;
  /** Row-major positions in `base` picked by advanced indices, or null when there are none. */
  flat: Int32Array | null;
  /** The shape of the result. */
  shape: number[];
}

interface Advanced {
  dim: number;
  index: Tensor;
}

function toIndexTensor(s: Tensor | readonly number[] | readonly boolean[]): Tensor {
  if (s instanceof Tensor) {
    // uint8 (byte) indices are masks in PyTorch (deprecated there in favour of bool)
    if (s.dtype === "uint8") return cast(s, "bool");
    if (s.dtype !== "int32" && s.dtype !== "int64" && s.dtype !== "bool") {
      throw new IndexError(
        `index: tensors used as indices must be long, byte or bool tensors (got ${s.dtype}; Kiln's int32 counts as long)`,
      );
    }
    return s;
  }
  if (s.length > 0 && typeof s[0] === "boolean") {
    return Tensor.fromData(
      Uint8Array.from(s as readonly boolean[], (b) => (b ? 1 : 0)),
      [s.length],
      "bool",
    );
  }
  for (const v of s as readonly number[]) {
    if (!Number.isInteger(v))
      throw new IndexError(`index: index arrays must hold integers (got ${v})`);
  }
  return Tensor.fromData(Int32Array.from(s as readonly number[]), [s.length], "int32");
}

function consumed(s: Subscript): number {
  if (s === null || s === "...") return 0;
  if (typeof s === "number" || (typeof s === "object" && "kind" in s)) return 1;
  if (s instanceof Tensor) return s.dtype === "bool" ? s.ndim : 1;
  return 1;
}

/** Applies basic subscripts as views and turns advanced ones into flat positions. */
function resolve(x: Tensor, subs: readonly Subscript[]): Resolved {
  const ellipses = subs.filter((s) => s === "...").length;
  if (ellipses > 1) throw new IndexError("index: an index can only have a single ellipsis ('...')");
  const used = subs.reduce<number>((a, s) => a + consumed(s), 0);
  if (used > x.ndim) {
    throw new IndexError(`index: too many indices for tensor of dimension ${x.ndim} (got ${used})`);
  }
  let cur = x;
  let d = 0;
  const adv: Advanced[] = [];
  for (const s of subs) {
    if (s === "...") {
      d += x.ndim - used;
    } else if (s === null) {
      cur = unsqueeze(cur, d);
      d++;
    } else if (typeof s === "number") {
      cur = select(cur, d, s);
    } else if (
      s instanceof Tensor &&
      s.ndim === 0 &&
      (s.dtype === "int32" || s.dtype === "int64")
    ) {
      // A 0-d int tensor indexes like an int (a view, SelectBackward0), as in PyTorch.
      cur = select(cur, d, Number(s.item()));
    } else if (typeof s === "object" && "kind" in s) {
      cur = sliceDim(cur, d, s.start, s.stop, s.step);
      d++;
    } else {
      const t = toIndexTensor(s);
      if (t.dtype !== "bool") {
        adv.push({ dim: d, index: t });
        d++;
        continue;
      }
      if (t.ndim === 0) {
        // x[True] adds a dimension of size 1, x[False] one of size 0.
        cur = unsqueeze(cur, d);
        if (!t.item()) cur = sliceDim(cur, d, 0, 0, 1);
        d++;
        continue;
      }
      for (let j = 0; j < t.ndim; j++) {
        if (t.shape[j] !== cur.shape[d + j]) {
          throw new IndexError(
            `index: The shape of the mask ${formatShape(t.shape)} at index ${j} does not match the ` +
              `shape of the indexed tensor ${formatShape(cur.shape)} at index ${d + j}`,
          );
        }
      }
      const nz = nonzero(t);
      for (let j = 0; j < t.ndim; j++) adv.push({ dim: d + j, index: select(nz, 1, j) });
      d += t.ndim;
    }
  }
  if (adv.length === 0) return { base: cur, flat: null, shape: [...cur.shape] };
  return { base: cur, ...advancedPositions(cur, adv) };
}

function advancedPositions(
  cur: Tensor,
  adv: readonly Advanced[],
): { flat: Int32Array; shape: number[] } {
  const B = broadcastShapes("index", ...adv.map((a) => a.index.shape));
  const nB = numel(B);
  const cs = contiguousStrides(cur.shape);
  const advFlat = new Int32Array(nB);
  for (const { dim, index } of adv) {
    const size = cur.shape[dim]!;
    const values = expand(asIndexInt32("index", index), B).contiguous().dataSync();
    for (let i = 0; i < nB; i++) {
      let v = values[i]!;
      if (v < -size || v >= size) {
        throw new IndexError(
          `index: index ${v} is out of bounds for dimension ${dim} with size ${size}`,
        );
      }
      if (v < 0) v += size;
      advFlat[i]! += v * cs[dim]!;
    }
  }
  const dims = adv.map((a) => a.dim);
  const consecutive = dims.every((dd, i) => i === 0 || dd === dims[i - 1]! + 1);
  const isAdv = (i: number) => dims.includes(i);
  const all = cur.shape.map((_, i) => i);
  let outerDims: number[];
  let innerDims: number[];
  if (consecutive) {
    outerDims = all.filter((i) => i < dims[0]!);
    innerDims = all.filter((i) => i > dims[dims.length - 1]!);
  } else {
    outerDims = [];
    innerDims = all.filter((i) => !isAdv(i));
  }
  const outer = elementOffsets(
    outerDims.map((i) => cur.shape[i]!),
    outerDims.map((i) => cs[i]!),
  );
  const inner = elementOffsets(
    innerDims.map((i) => cur.shape[i]!),
    innerDims.map((i) => cs[i]!),
  );
  const flat = new Int32Array(outer.length * nB * inner.length);
  let k = 0;
  for (let o = 0; o < outer.length; o++) {
    for (let b = 0; b < nB; b++) {
      const ob = outer[o]! + advFlat[b]!;
      for (let i = 0; i < inner.length; i++) flat[k++] = ob + inner[i]!;
    }
  }
  const shape = [
    ...outerDims.map((i) => cur.shape[i]!),
    ...B,
    ...innerDims.map((i) => cur.shape[i]!),
  ];
  return { flat, shape };
}

/** `x[subs...]`, as PyTorch's __getitem__. */
export function index(x: Tensor, subs: readonly Subscript[]): Tensor {
  const r = resolve(x, subs);
  if (r.flat === null) return r.base;
  return takeFlat(r.base, r.flat, r.shape);
}

/** Out-of-place `x[subs] = values` (or `+=`), differentiable in x and values. */
function indexPut(
  x: Tensor,
  subs: readonly Subscript[],
  values: Operand,
  accumulate: boolean,
): Tensor {
  const positions = new Int32Array(x.numel());
  for (let i = 0; i < positions.length; i++) positions[i] = i;
  const ids = Tensor.fromData(positions, x.shape, "int32");
  const picked = index(ids, subs);
  const v = expandValues("indexPut_", values, picked.shape, x);
  return putFlat(x, picked.contiguous().dataSync() as Int32Array, v, accumulate);
}

function expandValues(op: string, values: Operand, shape: Shape, x: Tensor): Tensor {
  if (!(values instanceof Tensor)) {
    checkOperand(op, "values", values);
    checkFits(op, values, x.dtype);
  }
  const v = asTensorOf(values, x.dtype);
  const s = broadcastShapes(op, shape, v.shape);
  if (!shapeEquals(s, shape)) {
    throw new ShapeError(
      `${op}: shape mismatch: value tensor of shape ${formatShape(v.shape)} cannot be broadcast to indexing result of shape ${formatShape(shape)}`,
    );
  }
  return expand(v, shape);
}

/** `t[subs] = values` in place (`+=` with accumulate), as torch.Tensor.index_put_. */
export function indexPut_<T extends Tensor>(
  t: T,
  subs: readonly Subscript[],
  values: Operand,
  accumulate: boolean,
): T {
  if (needsGrad(t, values)) {
    return inplace(t, "indexPut_", (x) => indexPut(x, subs, values, accumulate), [values]);
  }
  const r = noGrad(() => resolve(t, subs));
  const v = noGrad(() => expandValues("indexPut_", values, r.shape, t));
  if (r.flat === null) {
    if (accumulate) {
      const sum = noGrad(() => r.base.add(v));
      backend().unary("copy", sum.view_(), r.base.view_());
    } else backend().unary("copy", v.view_(), r.base.view_());
  } else {
    backend().put(r.base.view_(), r.flat, v.contiguous().view_(), accumulate);
  }
  t.storage.version++;
  return t;
}

function checkMask(op: string, mask: Tensor): void {
  if (mask.dtype !== "bool") {
    throw new DTypeError(`${op}: expected a bool mask, but got mask with dtype ${mask.dtype}`);
  }
}

/** Replaces elements where `mask` is true by `value` (mask broadcasts to x's shape). */
export function maskedFill(x: Tensor, mask: Tensor, value: Operand): Tensor {
  checkMask("maskedFill", mask);
  const s = broadcastShapes("maskedFill", x.shape, mask.shape);
  if (!shapeEquals(s, x.shape)) {
    throw new ShapeError(
      `maskedFill: mask of shape ${formatShape(mask.shape)} cannot be broadcast to the tensor of shape ${formatShape(x.shape)}`,
    );
  }
  if (value instanceof Tensor && value.ndim !== 0) {
    throw new ShapeError(
      `maskedFill: only supports a 0-dimensional value tensor, but got tensor with ${value.ndim} dimension(s).`,
    );
  }
  if (!(value instanceof Tensor)) {
    checkOperand("maskedFill", "value", value);
    checkFits("maskedFill", value, x.dtype);
  }
  const v = value instanceof Tensor ? cast(value, x.dtype) : asTensorOf(value, x.dtype);
  return named(where(mask, v, x), "MaskedFillBackward0", [x]);
}

/** The elements of x where mask is true, as a 1-D tensor (both broadcast first). */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkMask("maskedSelect", mask);
  const s = broadcastShapes("maskedSelect", x.shape, mask.shape);
  return named(index(expand(x, s), [expand(mask, s)]), "MaskedSelectBackward0", [x]);
}

/** Indices of the nonzero elements, shape [n, ndim] int32, as torch.nonzero. */
export function nonzero(x: Tensor): Tensor {
  const data = x.contiguous().dataSync();
  const nd = x.ndim;
  const cs = contiguousStrides(x.shape);
  let count = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) count++;
  const out = new Int32Array(count * nd);
  let k = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    let rem = i;
    for (let dd = 0; dd < nd; dd++) {
      out[k++] = Math.floor(rem / cs[dd]!);
      rem %= cs[dd]!;
    }
  }
  return Tensor.fromData(out, [count, nd], "int32");
}

// Row-major positions in x of x[..., index[...], ...] along dim, for gather and scatter; an
// int64 index is read as int32 exactly (asIndexInt32).
function alongDim(op: string, x: Tensor, dim: number, indexIn: Tensor): Int32Array {
  const index = asIndexInt32(op, indexIn);
  const d = normalizeDim(op, dim, x.ndim);
  if (index.ndim !== Math.max(x.ndim, 1) && !(x.ndim === 0 && index.ndim <= 1)) {
    throw new ShapeError(
      `${op}: Index tensor must have the same number of dimensions as input tensor`,
    );
  }
  for (let i = 0; i < index.ndim; i++) {
    if (i !== d && index.shape[i]! > (x.shape[i] ?? 1)) {
      throw new ShapeError(
        `${op}: Size does not match at dimension ${i} expected index ${formatShape(index.shape)} to be smaller than self ${formatShape(x.shape)} apart from dimension ${d}`,
      );
    }
  }
  const cs = contiguousStrides(x.shape);
  const size = x.shape[d] ?? 1;
  const base = elementOffsets(
    index.shape,
    index.shape.map((_, i) => (i === d ? 0 : (cs[i] ?? 0))),
  );
  const idx = index.contiguous().dataSync();
  const flat = new Int32Array(base.length);
  for (let i = 0; i < base.length; i++) {
    const v = idx[i]!;
    // NOTE: unlike t.index(), gather and scatter reject negative indices, as PyTorch does.
    if (v < 0 || v >= size) {
      throw new IndexError(
        `${op}: index ${v} is out of bounds for dimension ${d} with size ${size}`,
      );
    }
    flat[i] = base[i]! + v * (cs[d] ?? 1);
  }
  return flat;
}

/** out[i][j] = x[i][index[i][j]] (for dim 1), as torch.gather. */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  return takeFlat(x, alongDim("gather", x, dim, index), index.shape, "GatherBackward0");
}

/** x with x[i][index[i][j]] = src[i][j] (dim 1), or += when accumulate (torch.scatter / scatter_add). */
export function scatter(
  x: Tensor,
  dim: number,
  index: Tensor,
  src: Operand,
  accumulate: boolean,
): Tensor {
  const op = accumulate ? "scatterAdd" : "scatter";
  const flat = alongDim(op, x, dim, index);
  let values: Tensor;
  if (src instanceof Tensor) {
    for (let i = 0; i < index.ndim; i++) {
      if (index.shape[i]! > (src.shape[i] ?? 1)) {
        throw new ShapeError(
          `${op}: Expected index ${formatShape(index.shape)} to be smaller than src ${formatShape(src.shape)} apart from dimension ${dim}`,
        );
      }
    }
    const pick = elementOffsets(index.shape, contiguousStrides(src.shape).slice(0, index.ndim));
    values = cast(takeFlat(src, pick, index.shape), x.dtype);
  } else {
    checkOperand(op, "src", src);
    checkFits(op, src, x.dtype);
    values = full(index.shape, src, x.dtype);
  }
  return putFlat(x, flat, values, accumulate);
}

/** Selects entries along `dim` by a 1-D index, as torch.index_select. */
export function indexSelect(x: Tensor, dim: number, indices: Tensor | readonly number[]): Tensor {
  const t = asIndexInt32(
    "indexSelect",
    indices instanceof Tensor ? indices : toIndexTensor(indices),
  );
  if (t.ndim > 1) throw new IndexError("indexSelect: Index is supposed to be a vector");
  const d = normalizeDim("indexSelect", dim, x.ndim);
  const subs: Subscript[] = x.shape.map(
    () => ({ kind: "slice", start: null, stop: null, step: null }) as const,
  );
  subs[d] = t.ndim === 0 ? reshape(t, [1]) : t;
  return named(index(x, subs.slice(0, d + 1)), "IndexSelectBackward0", [x]);
}

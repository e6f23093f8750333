// Matrix and tensor products beyond matmul: mm, bmm, mv, dot, outer, addmm, baddbmm, addbmm,
// einsum, tensordot and kron, as torch's functions of those names. Each is composed of `bmm`,
// views and elementwise ops, so gradients come from theirs; no kernels of its own.
// Must not depend on nn or anything above ops.

import {
  arrayOf,
  either,
  instanceOf,
  int,
  num,
  opt,
  parseArgs,
  signature,
  str,
  type WithOptions,
} from "../core/args.ts";
import { isFloating } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDim } from "../core/shape.ts";
import { named } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import * as el from "./elementwise.ts";
import { bmm as bmmRaw, matmul } from "./matmul.ts";
import { expand, permute, reshape } from "./movement.ts";
import { sum } from "./reduce.ts";

/** Options of addmm, baddbmm and addbmm: `beta·input + alpha·(product)`. */
export interface AddmmOptions {
  /** The factor of `input` (default 1; 0 ignores input, NaNs included). */
  beta?: number;
  /** The factor of the product (default 1). */
  alpha?: number;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const pair = (op: string, a: string, b: string) => signature(op, { [a]: tensor, [b]: tensor });
  const add3 = (op: string, a: string, b: string) =>
    signature(
      op,
      { input: tensor, [a]: tensor, [b]: tensor },
      { beta: opt(num, 1), alpha: opt(num, 1) },
    );
  return {
    mm: pair("mm", "input", "mat2"),
    bmm: pair("bmm", "input", "mat2"),
    mv: pair("mv", "input", "vec"),
    dot: pair("dot", "input", "other"),
    outer: pair("outer", "input", "vec2"),
    kron: pair("kron", "input", "other"),
    addmm: add3("addmm", "mat1", "mat2"),
    baddbmm: add3("baddbmm", "batch1", "batch2"),
    addbmm: add3("addbmm", "batch1", "batch2"),
    tensordot: signature("tensordot", {
      a: tensor,
      b: tensor,
      dims: opt(either(int, arrayOf(either(int, arrayOf(int)))), 2),
    }),
    einsum: signature("einsum", { equation: str }),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

function sameDType(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) {
    throw new DTypeError(
      `${op}: expected both operands to have the same dtype, but got ${a.dtype} and ${b.dtype}`,
    );
  }
  if (a.dtype === "bool") {
    throw new DTypeError(
      `${op}: bool tensors are not supported (expected int32, float32 or float64)`,
    );
  }
}

/** `[n, m] @ [m, p] → [n, p]`, 2-D only, as torch.mm. */
export function mm(input: Tensor, mat2: Tensor): Tensor {
  parseArgs(sigs().mm, arguments);
  if (input.ndim !== 2) throw new ShapeError(`mm: self must be a matrix (got ${input.ndim}-D)`);
  if (mat2.ndim !== 2) throw new ShapeError(`mm: mat2 must be a matrix (got ${mat2.ndim}-D)`);
  sameDType("mm", input, mat2);
  return named(matmul(input, mat2), "MmBackward0", [input, mat2]);
}

/** `[b, n, m] @ [b, m, p] → [b, n, p]`, 3-D only and no broadcasting, as torch.bmm. */
export function bmm(input: Tensor, mat2: Tensor): Tensor {
  parseArgs(sigs().bmm, arguments);
  if (input.ndim !== 3)
    throw new ShapeError(`bmm: batch1 must be a 3D tensor (got ${input.ndim}-D)`);
  if (mat2.ndim !== 3) throw new ShapeError(`bmm: batch2 must be a 3D tensor (got ${mat2.ndim}-D)`);
  sameDType("bmm", input, mat2);
  return bmmRaw(input, mat2);
}

/** `[n, m] @ [m] → [n]`, as torch.mv. */
export function mv(input: Tensor, vec: Tensor): Tensor {
  parseArgs(sigs().mv, arguments);
  if (input.ndim !== 2 || vec.ndim !== 1) {
    throw new ShapeError(
      `mv: vector + matrix @ vector expected, got 1, ${input.ndim}, ${vec.ndim}`,
    );
  }
  if (input.shape[1] !== vec.shape[0]) {
    throw new ShapeError(
      `mv: size mismatch, got input (${input.shape[0]}), mat (${input.shape.join("x")}), vec (${vec.shape[0]})`,
    );
  }
  sameDType("mv", input, vec);
  return named(matmul(input, vec), "MvBackward0", [input, vec]);
}

/** The inner product of two 1-D tensors of one size, a 0-d tensor, as torch.dot. */
export function dot(input: Tensor, other: Tensor): Tensor {
  parseArgs(sigs().dot, arguments);
  if (input.ndim !== 1 || other.ndim !== 1) {
    throw new ShapeError(
      `dot: 1D tensors expected, but got ${input.ndim}D and ${other.ndim}D tensors`,
    );
  }
  if (input.shape[0] !== other.shape[0]) {
    throw new ShapeError(
      `dot: inconsistent tensor size, expected tensor [${input.shape[0]}] and src [${other.shape[0]}] to have the same number of elements, but got ${input.shape[0]} and ${other.shape[0]} elements respectively`,
    );
  }
  sameDType("dot", input, other);
  return named(matmul(input, other), "DotBackward0", [input, other]);
}

/** `out[i, j] = input[i]·vec2[j]` for 1-D operands (promoted), as torch.outer. */
export function outer(input: Tensor, vec2: Tensor): Tensor {
  parseArgs(sigs().outer, arguments);
  if (input.ndim !== 1 || vec2.ndim !== 1) {
    throw new ShapeError(`outer: expected 1-D tensors, got ${input.ndim}-D and ${vec2.ndim}-D`);
  }
  return el.mul(reshape(input, [-1, 1]), vec2);
}

/** `beta·input + alpha·product`, with beta = 0 ignoring input (NaN and inf included) as PyTorch. */
function scaleAdd(input: Tensor, prod: Tensor, beta: number, alpha: number): Tensor {
  const p = alpha === 1 ? prod : el.mul(prod, alpha);
  if (beta === 0) return el.add(p, el.mul(el.where(el.isnan(input), 0, input), 0));
  return el.add(beta === 1 ? input : el.mul(input, beta), p);
}

function checkScalars(op: string, dtype: string, beta: number, alpha: number): void {
  if (
    !isFloating(dtype as Tensor["dtype"]) &&
    (!Number.isInteger(beta) || !Number.isInteger(alpha))
  ) {
    throw new ValueError(
      `${op}: For integral input tensors, argument alpha and beta must not be a floating point number (got beta=${beta}, alpha=${alpha})`,
    );
  }
}

/** `beta·input + alpha·(mat1 @ mat2)`, input broadcast to `[n, p]`, as torch.addmm. */
export function addmm(
  input: Tensor,
  mat1: Tensor,
  mat2: Tensor,
  ...options: WithOptions<[], AddmmOptions>
): Tensor;
export function addmm(input: Tensor, mat1: Tensor, mat2: Tensor): Tensor {
  const p = parseArgs(sigs().addmm, arguments);
  checkScalars("addmm", input.dtype, p.beta, p.alpha);
  sameDType("addmm", mat1, input);
  const prod = mm(mat1, mat2);
  return named(scaleAdd(expand(input, prod.shape), prod, p.beta, p.alpha), "AddmmBackward0", [
    input,
    mat1,
    mat2,
  ]);
}

/** `beta·input + alpha·bmm(batch1, batch2)`, input broadcast to `[b, n, p]`, as torch.baddbmm. */
export function baddbmm(
  input: Tensor,
  batch1: Tensor,
  batch2: Tensor,
  ...options: WithOptions<[], AddmmOptions>
): Tensor;
export function baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor): Tensor {
  const p = parseArgs(sigs().baddbmm, arguments);
  checkScalars("baddbmm", input.dtype, p.beta, p.alpha);
  sameDType("baddbmm", batch1, input);
  const prod = bmm(batch1, batch2);
  return named(scaleAdd(expand(input, prod.shape), prod, p.beta, p.alpha), "BaddbmmBackward0", [
    input,
    batch1,
    batch2,
  ]);
}

/** `beta·input + alpha·Σ_b batch1[b] @ batch2[b]`, input broadcast to `[n, p]`, as torch.addbmm. */
export function addbmm(
  input: Tensor,
  batch1: Tensor,
  batch2: Tensor,
  ...options: WithOptions<[], AddmmOptions>
): Tensor;
export function addbmm(input: Tensor, batch1: Tensor, batch2: Tensor): Tensor {
  const p = parseArgs(sigs().addbmm, arguments);
  checkScalars("addbmm", input.dtype, p.beta, p.alpha);
  sameDType("addbmm", batch1, input);
  const prod = sum(bmm(batch1, batch2), 0, false);
  return named(scaleAdd(expand(input, prod.shape), prod, p.beta, p.alpha), "AddbmmBackward0", [
    input,
    batch1,
    batch2,
  ]);
}

/**
 * The Kronecker product: for inputs of (padded) shapes `[a0, a1, ...]` and `[b0, b1, ...]` the
 * result is `[a0·b0, a1·b1, ...]` with `out[i·b + j] = input[i]·other[j]`, as torch.kron.
 */
export function kron(input: Tensor, other: Tensor): Tensor {
  parseArgs(sigs().kron, arguments);
  const n = Math.max(input.ndim, other.ndim);
  const pad = (t: Tensor) => [...new Array<number>(n - t.ndim).fill(1), ...t.shape];
  const sa = pad(input);
  const sb = pad(other);
  const a = reshape(
    input,
    sa.flatMap((s) => [s, 1]),
  );
  const b = reshape(
    other,
    sb.flatMap((s) => [1, s]),
  );
  return reshape(
    el.mul(a, b),
    sa.map((s, i) => s * sb[i]!),
  );
}

/**
 * Contracts `dims` trailing dims of `a` with as many leading dims of `b` (an int), or the listed
 * dims (`[[dimsA], [dimsB]]`), as torch.tensordot; the result keeps a's free dims, then b's.
 */
export function tensordot(
  a: Tensor,
  b: Tensor,
  ...dims: WithOptions<
    [dims: number | readonly [number | readonly number[], number | readonly number[]]],
    { dims?: number | readonly [number | readonly number[], number | readonly number[]] }
  >
): Tensor;
export function tensordot(a: Tensor, b: Tensor, ..._rest: unknown[]): Tensor {
  const p = parseArgs(sigs().tensordot, arguments);
  let da: number[];
  let db: number[];
  if (typeof p.dims === "number") {
    const nd = p.dims;
    if (nd < 0) throw new ValueError(`tensordot: tensordot expects dims >= 0, but got dims=${nd}`);
    if (nd > a.ndim || nd > b.ndim) {
      throw new ShapeError(
        `tensordot: tensordot expects dims < ndim_a or ndim_b, but got dims=${nd}`,
      );
    }
    da = Array.from({ length: nd }, (_, i) => a.ndim - nd + i);
    db = Array.from({ length: nd }, (_, i) => i);
  } else {
    if (p.dims.length !== 2) {
      throw new ValueError(
        `tensordot: dims must be an int or a pair of dim lists, got ${p.dims.length} entries`,
      );
    }
    const list = (v: number | readonly number[]) => (typeof v === "number" ? [v] : [...v]);
    da = list(p.dims[0]!).map((d) => normalizeDim("tensordot", d, a.ndim));
    db = list(p.dims[1]!).map((d) => normalizeDim("tensordot", d, b.ndim));
    if (da.length !== db.length) {
      throw new ShapeError("tensordot: both dimension lists should have same length");
    }
  }
  da.forEach((d, i) => {
    if (a.shape[d] !== b.shape[db[i]!]) {
      throw new ShapeError(
        `tensordot: contracted dimensions need to match, but first has size ${a.shape[d]} in dim ${d} and second has size ${b.shape[db[i]!]} in dim ${db[i]}`,
      );
    }
  });
  sameDType("tensordot", a, b);
  const freeA = a.shape.map((_, i) => i).filter((i) => !da.includes(i));
  const freeB = b.shape.map((_, i) => i).filter((i) => !db.includes(i));
  const k = da.reduce((s, d) => s * a.shape[d]!, 1);
  const m = freeA.reduce((s, d) => s * a.shape[d]!, 1);
  const n = freeB.reduce((s, d) => s * b.shape[d]!, 1);
  const a2 = reshape(permute(a, [...freeA, ...da]), [m, k]);
  const b2 = reshape(permute(b, [...db, ...freeB]), [k, n]);
  return reshape(matmul(a2, b2), [
    ...freeA.map((d) => a.shape[d]!),
    ...freeB.map((d) => b.shape[d]!),
  ]);
}

// ---- einsum -------------------------------------------------------------------------------

/** An operand during contraction: a tensor and the label of each of its dims. */
interface Labelled {
  t: Tensor;
  labels: number[];
}

/** Ellipsis dims get labels below 0: -1 is the last broadcast dim, -2 the one before. */
function parseTerm(op: string, term: string, t: Tensor | null): number[] {
  const dots = term.indexOf("...");
  const letters = (s: string) =>
    [...s].map((c) => {
      if (!/[a-zA-Z]/.test(c)) {
        throw new ValueError(
          `${op}: invalid subscript given at index ${term.indexOf(c)} in the equation string, subscripts must be in [a-zA-Z]`,
        );
      }
      return c.charCodeAt(0);
    });
  if (dots < 0) {
    const ls = letters(term);
    if (t !== null && ls.length !== t.ndim) {
      throw new ShapeError(
        `${op}: the number of subscripts in the equation (${ls.length}) does not match the number of dimensions (${t.ndim}) for operand and no ellipsis was given`,
      );
    }
    return ls;
  }
  const before = letters(term.slice(0, dots));
  const after = letters(term.slice(dots + 3));
  if (t === null) return [...before, Number.NaN, ...after];
  const e = t.ndim - before.length - after.length;
  if (e < 0) {
    throw new ShapeError(
      `${op}: the number of subscripts in the equation (${before.length + after.length}) is more than the number of dimensions (${t.ndim}) for operand`,
    );
  }
  return [...before, ...Array.from({ length: e }, (_, i) => i - e), ...after];
}

/** Takes the diagonal of repeated labels within one operand (`ii` → `i`). */
function dedupe(x: Labelled): Labelled {
  let { t, labels } = x;
  for (;;) {
    const i = labels.findIndex((l, k) => labels.indexOf(l) !== k);
    if (i < 0) return { t, labels };
    const first = labels.indexOf(labels[i]!);
    if (t.shape[first] !== t.shape[i]) {
      throw new ShapeError(
        `einsum: subscript ${String.fromCharCode(labels[i]!)} is repeated for operand but the sizes don't match, ${t.shape[first]} != ${t.shape[i]}`,
      );
    }
    // diagonal over (first, i): move both to the end, then pick entries j == j.
    const rest = t.shape.map((_, k) => k).filter((k) => k !== first && k !== i);
    const p = permute(t, [...rest, first, i]);
    const n = t.shape[first]!;
    const eyeMask = el.eq(reshape(rangeTensor(n), [n, 1]), reshape(rangeTensor(n), [1, n]));
    const diag = sum(el.where(eyeMask, p, 0), [p.ndim - 1], false);
    t = diag;
    labels = [...rest.map((k) => labels[k]!), labels[first]!];
  }
}

function rangeTensor(n: number): Tensor {
  return Tensor.fromData(
    Int32Array.from({ length: n }, (_, i) => i),
    [n],
    "int32",
  );
}

/** Sums away labels of `x` that are not in `keep`. */
function sumOut(x: Labelled, keep: Set<number>): Labelled {
  const dims = x.labels.map((l, i) => (keep.has(l) ? -1 : i)).filter((i) => i >= 0);
  if (dims.length === 0) return x;
  return { t: sum(x.t, dims, false), labels: x.labels.filter((l) => keep.has(l)) };
}

/** Contracts two labelled operands over shared labels not in `keep`, via one bmm. */
function contract(
  a: Labelled,
  b: Labelled,
  keep: Set<number>,
  sizes: Map<number, number>,
): Labelled {
  const inB = new Set(b.labels);
  const inA = new Set(a.labels);
  const batch = a.labels.filter((l) => inB.has(l) && keep.has(l));
  const contr = a.labels.filter((l) => inB.has(l) && !keep.has(l));
  const freeA = a.labels.filter((l) => !inB.has(l));
  const freeB = b.labels.filter((l) => !inA.has(l));
  const arrange = (x: Labelled, order: number[]) => {
    const p = permute(
      x.t,
      order.map((l) => x.labels.indexOf(l)),
    );
    return expand(
      p,
      order.map((l) => sizes.get(l)!),
    );
  };
  const size = (ls: number[]) => ls.reduce((s, l) => s * sizes.get(l)!, 1);
  const [nb, nc, na, nf] = [size(batch), size(contr), size(freeA), size(freeB)];
  const a3 = reshape(arrange(a, [...batch, ...freeA, ...contr]), [nb, na, nc]);
  const b3 = reshape(arrange(b, [...batch, ...contr, ...freeB]), [nb, nc, nf]);
  const labels = [...batch, ...freeA, ...freeB];
  return {
    t: reshape(
      bmmRaw(a3, b3),
      labels.map((l) => sizes.get(l)!),
    ),
    labels,
  };
}

/**
 * Einstein summation, as torch.einsum: `einsum("bij,bjk->bik", a, b)` (or the operands in one
 * array). Supports repeated subscripts (diagonals), `...` broadcasting and the implicit output
 * (labels seen once, in alphabetical order). Operands must share one dtype; contracts pairwise
 * left to right with bmm.
 */
export function einsum(equation: string, ...operands: Tensor[] | [readonly Tensor[]]): Tensor {
  parseArgs(sigs().einsum, [equation]);
  const ops: Tensor[] =
    operands.length === 1 && Array.isArray(operands[0])
      ? [...(operands[0] as readonly Tensor[])]
      : (operands as Tensor[]);
  ops.forEach((t, i) => {
    if (!(t instanceof Tensor)) {
      throw new ValueError(`einsum: operand ${i} must be a Tensor`);
    }
  });
  if (ops.length === 0) throw new ValueError("einsum: must provide at least one operand");
  const eq = equation.replace(/\s+/g, "");
  const arrow = eq.indexOf("->");
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const terms = lhs.split(",");
  if (terms.length !== ops.length) {
    throw new ValueError(
      `einsum: more operands were provided than specified in the equation`.replace(
        "more",
        terms.length < ops.length ? "more" : "fewer",
      ),
    );
  }
  let list: Labelled[] = ops.map((t, i) => ({ t, labels: parseTerm("einsum", terms[i]!, t) }));
  const ell = Math.max(0, ...list.map((x) => x.labels.filter((l) => l < 0).length));
  const ellLabels = Array.from({ length: ell }, (_, i) => i - ell);
  let out: number[];
  if (arrow >= 0) {
    const rhs = parseTerm("einsum", eq.slice(arrow + 2), null);
    out = rhs.flatMap((l) => (Number.isNaN(l) ? ellLabels : [l]));
    const all = new Set(list.flatMap((x) => x.labels));
    for (const l of out) {
      if (l >= 0 && !all.has(l)) {
        throw new ValueError(
          `einsum: output subscript ${String.fromCharCode(l)} does not appear in the equation for any input operand`,
        );
      }
    }
    if (new Set(out).size !== out.length) {
      throw new ValueError("einsum: output subscript appears more than once in the output");
    }
  } else {
    const count = new Map<number, number>();
    for (const x of list)
      for (const l of x.labels) if (l >= 0) count.set(l, (count.get(l) ?? 0) + 1);
    out = [
      ...ellLabels,
      ...[...count]
        .filter(([, c]) => c === 1)
        .map(([l]) => l)
        .sort((p, q) => p - q),
    ];
  }
  for (const t of ops) sameDType("einsum", ops[0]!, t);
  const sizes = new Map<number, number>();
  for (const x of list) {
    x.labels.forEach((l, i) => {
      const s = x.t.shape[i]!;
      const prev = sizes.get(l);
      if (prev === undefined || prev === 1) sizes.set(l, s);
      else if (s !== 1 && s !== prev) {
        throw new ShapeError(
          `einsum: operands do not broadcast with remapped shapes (original->remapped): size ${s} against ${prev} for subscript ${l >= 0 ? String.fromCharCode(l) : "..."}`,
        );
      }
    });
  }
  list = list.map(dedupe);
  const outSet = new Set(out);
  const needed = (from: number) => {
    const s = new Set(outSet);
    for (let k = from; k < list.length; k++) for (const l of list[k]!.labels) s.add(l);
    return s;
  };
  let acc = sumOut(list[0]!, needed(1));
  for (let k = 1; k < list.length; k++) {
    const keep = needed(k + 1);
    const next = sumOut(list[k]!, new Set([...keep, ...acc.labels]));
    acc = contract(sumOut(acc, new Set([...keep, ...next.labels])), next, keep, sizes);
  }
  acc = sumOut(acc, outSet);
  const perm = out.map((l) => acc.labels.indexOf(l));
  const result = expand(
    permute(acc.t, perm),
    out.map((l) => sizes.get(l)!),
  );
  return result.isContiguous() ? result : result.contiguous();
}

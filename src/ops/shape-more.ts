// Shape helpers built from views, flips and cats: unbind, movedim/moveaxis, swapaxes/swapdims,
// viewAs, reshapeAs, flipud, fliplr, roll, repeatInterleave, tile, rot90 and meshgrid, as
// torch's functions of those names. Gradients come from the ops they compose.
// Must not depend on nn or anything above ops.

import {
  arrayOf,
  either,
  instanceOf,
  int,
  nullable,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import type { DType } from "../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../core/errors.ts";
import { normalizeDim, normalizeDims } from "../core/shape.ts";
import { named } from "../tensor/autograd.ts";
import { Tensor } from "../tensor/tensor-class.ts";
import { asIndexInt32 } from "./dispatch.ts";
import * as el from "./elementwise.ts";
import { indexSelect } from "./indexing.ts";
import {
  cat,
  expand,
  flip,
  narrow,
  permute,
  repeat,
  reshape,
  select,
  transpose,
  view,
} from "./movement.ts";
import { int32Tensor } from "./rows.ts";

/** Options of repeatInterleave. */
export interface RepeatInterleaveOptions {
  /** The dim to repeat along (default null: the flattened input). */
  dim?: number | null;
  /** The total output length along dim, when known (checked against the repeats). */
  outputSize?: number | null;
}

function makeSigs() {
  const tensor = instanceOf(Tensor, "a Tensor");
  const dims = either(int, arrayOf(int));
  return {
    unbind: signature("unbind", { input: tensor, dim: opt(int, 0) }),
    movedim: signature("movedim", { input: tensor, source: dims, destination: dims }),
    swapaxes: signature("swapaxes", { input: tensor, axis0: int, axis1: int }),
    viewAs: signature("viewAs", { input: tensor, other: tensor }),
    reshapeAs: signature("reshapeAs", { input: tensor, other: tensor }),
    flipud: signature("flipud", { input: tensor }),
    fliplr: signature("fliplr", { input: tensor }),
    roll: signature("roll", { input: tensor, shifts: dims, dims: opt(nullable(dims), null) }),
    repeatInterleave: signature(
      "repeatInterleave",
      { input: tensor, repeats: opt(either(int, tensor)), dim: opt(nullable(int), null) },
      { outputSize: opt(nullable(int), null) },
    ),
    tile: signature("tile", { input: tensor, dims: arrayOf(int) }),
    rot90: signature("rot90", { input: tensor, k: opt(int, 1), dims: opt(arrayOf(int), [0, 1]) }),
    meshgrid: signature("meshgrid", {}, { indexing: opt(oneOf("ij", "xy"), "ij") }),
  };
}
let SIGS: ReturnType<typeof makeSigs> | null = null;
const sigs = (): ReturnType<typeof makeSigs> => {
  SIGS ??= makeSigs();
  return SIGS;
};

/** The views `select(input, dim, i)` for every i, as torch.unbind. */
export function unbind<D extends DType>(input: Tensor<D>, dim?: number): Tensor<D>[];
export function unbind(input: Tensor, _dim?: number): Tensor[] {
  const p = parseArgs(sigs().unbind, arguments);
  if (input.ndim === 0)
    throw new ShapeError("unbind: Dimension specified as 0 but tensor has no dimensions");
  const d = normalizeDim("unbind", p.dim, input.ndim);
  return Array.from({ length: input.shape[d]! }, (_, i) => select(input, d, i));
}

/**
 * Moves dims `source` to positions `destination` (ints or equal-length lists), the others
 * keeping their order, as torch.movedim; a view.
 */
export function movedim<D extends DType>(
  input: Tensor<D>,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor<D>;
export function movedim(input: Tensor, _s: unknown, _d: unknown): Tensor {
  const p = parseArgs(sigs().movedim, arguments);
  return movedimImpl("movedim", input, p.source, p.destination);
}

/** The same as `movedim`, as torch.moveaxis. */
export function moveaxis<D extends DType>(
  input: Tensor<D>,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor<D>;
export function moveaxis(input: Tensor, _s: unknown, _d: unknown): Tensor {
  const p = parseArgs({ ...sigs().movedim, op: "moveaxis" }, arguments);
  return movedimImpl("moveaxis", input, p.source, p.destination);
}

function movedimImpl(
  op: string,
  x: Tensor,
  source: number | readonly number[],
  destination: number | readonly number[],
): Tensor {
  const src = typeof source === "number" ? [source] : [...source];
  const dst = typeof destination === "number" ? [destination] : [...destination];
  if (src.length !== dst.length) {
    throw new ValueError(
      `${op}: Invalid source or destination dims: source (${JSON.stringify(src)} dims) should contain the same number of dims as destination (${JSON.stringify(dst)} dims)`,
    );
  }
  const n = Math.max(x.ndim, 1);
  const s = normalizeDims(op, src, n);
  const d = normalizeDims(op, dst, n);
  if (x.ndim === 0) return x;
  const order = new Array<number>(x.ndim).fill(-1);
  s.forEach((v, i) => {
    order[d[i]!] = v;
  });
  const rest = x.shape.map((_, i) => i).filter((i) => !s.includes(i));
  let k = 0;
  for (let i = 0; i < order.length; i++) if (order[i] === -1) order[i] = rest[k++]!;
  return permute(x, order);
}

/** Swaps two dims (a view), as torch.swapaxes (the same as transpose). */
export function swapaxes<D extends DType>(
  input: Tensor<D>,
  axis0: number,
  axis1: number,
): Tensor<D>;
export function swapaxes(input: Tensor, _a: number, _b: number): Tensor {
  const p = parseArgs(sigs().swapaxes, arguments);
  return transpose(input, p.axis0, p.axis1);
}

/** Swaps two dims (a view), as torch.swapdims (the same as transpose). */
export function swapdims<D extends DType>(input: Tensor<D>, dim0: number, dim1: number): Tensor<D>;
export function swapdims(input: Tensor, _a: number, _b: number): Tensor {
  const p = parseArgs({ ...sigs().swapaxes, op: "swapdims" }, arguments);
  return transpose(input, p.axis0, p.axis1);
}

/** `input.view(other.shape)`, as torch.Tensor.view_as. */
export function viewAs<D extends DType>(input: Tensor<D>, other: Tensor): Tensor<D>;
export function viewAs(input: Tensor, other: Tensor): Tensor {
  parseArgs(sigs().viewAs, arguments);
  return view(input, other.shape);
}

/** `input.reshape(other.shape)`, as torch.Tensor.reshape_as. */
export function reshapeAs<D extends DType>(input: Tensor<D>, other: Tensor): Tensor<D>;
export function reshapeAs(input: Tensor, other: Tensor): Tensor {
  parseArgs(sigs().reshapeAs, arguments);
  return reshape(input, other.shape);
}

/** Reverses the first dim (at least 1-D), as torch.flipud. */
export function flipud<D extends DType>(input: Tensor<D>): Tensor<D>;
export function flipud(input: Tensor): Tensor {
  parseArgs(sigs().flipud, arguments);
  if (input.ndim < 1) throw new ShapeError("flipud: Input must be >= 1-d.");
  return flip(input, [0]);
}

/** Reverses the second dim (at least 2-D), as torch.fliplr. */
export function fliplr<D extends DType>(input: Tensor<D>): Tensor<D>;
export function fliplr(input: Tensor): Tensor {
  parseArgs(sigs().fliplr, arguments);
  if (input.ndim < 2) throw new ShapeError("fliplr: Input must be >= 2-d.");
  return flip(input, [1]);
}

/**
 * Rolls entries along `dims` by `shifts` (wrapping around); with no dims, the flattened tensor
 * is rolled and reshaped back, as torch.roll.
 */
export function roll<D extends DType>(
  input: Tensor<D>,
  shifts: number | readonly number[],
  ...args: WithOptions<
    [dims: number | readonly number[] | null],
    { dims?: number | readonly number[] | null }
  >
): Tensor<D>;
export function roll(input: Tensor, _shifts: unknown, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().roll, arguments);
  const shifts = typeof p.shifts === "number" ? [p.shifts] : [...p.shifts];
  if (p.dims === null) {
    if (shifts.length !== 1) {
      throw new ValueError(
        `roll: shifts and dimensions must align. shifts: ${shifts.length}, dims: 0`,
      );
    }
    const flat = rollDim(reshape(input, [-1]), 0, shifts[0]!);
    return named(reshape(flat, input.shape), "RollBackward0", [input]);
  }
  const dims = typeof p.dims === "number" ? [p.dims] : [...p.dims];
  if (dims.length !== shifts.length) {
    throw new ValueError(
      `roll: shifts and dimensions must align. shifts: ${shifts.length}, dims:${dims.length}`,
    );
  }
  let out = input;
  dims.forEach((d, i) => {
    out = rollDim(out, normalizeDim("roll", d, input.ndim), shifts[i]!);
  });
  return named(out === input ? el.clone(input) : out, "RollBackward0", [input]);
}

function rollDim(x: Tensor, d: number, shift: number): Tensor {
  const n = x.shape[d]!;
  if (n === 0) return x;
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  return cat([narrow(x, d, n - s, s), narrow(x, d, 0, n - s)], d);
}

/**
 * Repeats each element (or each slice along `dim`) `repeats` times (an int, or one count per
 * entry), as torch.repeat_interleave; with no dim the input is flattened first.
 * `repeatInterleave(counts)` alone gives `[0, 0, 1, ...]`: each index repeated by its count.
 */
export function repeatInterleave<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<[repeats: number | Tensor, dim: number | null], RepeatInterleaveOptions>
): Tensor<D>;
export function repeatInterleave(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().repeatInterleave, arguments);
  if (p.repeats === undefined) {
    if (input.ndim > 1 || (input.dtype !== "int32" && input.dtype !== "int64")) {
      throw new ShapeError("repeatInterleave: repeats must be a 1-D integer tensor (the counts)");
    }
    const counts = asIndexInt32("repeatInterleave", input, "repeats").dataSync();
    const idx = repeatIndex(
      Array.from({ length: counts.length }, () => 1),
      counts,
      counts.length,
      p.outputSize,
    );
    return int32Tensor(idx, [idx.length]);
  }
  const x = p.dim === null ? reshape(input, [-1]) : input;
  const d = p.dim === null ? 0 : normalizeDim("repeatInterleave", p.dim, Math.max(x.ndim, 1));
  const n = x.ndim === 0 ? 1 : x.shape[d]!;
  let counts: ArrayLike<number>;
  if (typeof p.repeats === "number") counts = new Array<number>(n).fill(p.repeats);
  else {
    if (p.repeats.dtype !== "int32" && p.repeats.dtype !== "int64") {
      throw new DTypeError(
        `repeatInterleave: repeats has to be Long or Int tensor (got ${p.repeats.dtype})`,
      );
    }
    if (p.repeats.ndim > 1)
      throw new ShapeError("repeatInterleave: repeats must be 0-dim or 1-dim tensor");
    const r = asIndexInt32("repeatInterleave", p.repeats, "repeats").dataSync();
    if (r.length === 1) counts = new Array<number>(n).fill(Number(r[0]!));
    else if (r.length !== n) {
      throw new ShapeError(
        `repeatInterleave: repeats must have the same size as input along dim, but got repeats.size(0) = ${r.length} and input.size(${d}) = ${n}`,
      );
    } else counts = Array.from(r, Number);
  }
  for (let i = 0; i < counts.length; i++) {
    if (counts[i]! < 0) throw new ValueError("repeatInterleave: repeats can not be negative");
  }
  const idx = repeatIndex(counts, null, n, p.outputSize);
  const src = x.ndim === 0 ? reshape(x, [1]) : x;
  return indexSelect(src, d, int32Tensor(idx, [idx.length]));
}

function repeatIndex(
  counts: ArrayLike<number>,
  byCount: ArrayLike<number | bigint> | null,
  n: number,
  outputSize: number | null,
): Int32Array {
  const c = byCount === null ? counts : Array.from(byCount, Number);
  let total = 0;
  for (let i = 0; i < n; i++) total += Number(c[i]!);
  if (outputSize !== null && outputSize !== total) {
    throw new ValueError(
      `repeatInterleave: outputSize ${outputSize} does not match the sum of repeats ${total}`,
    );
  }
  const out = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < Number(c[i]!); j++) out[k++] = i;
  return out;
}

/**
 * Repeats the whole tensor `dims[i]` times along each dim (fewer dims than the input are
 * padded with 1s in front), as torch.tile.
 */
export function tile<D extends DType>(input: Tensor<D>, dims: readonly number[]): Tensor<D>;
export function tile(input: Tensor, _dims: readonly number[]): Tensor {
  const p = parseArgs(sigs().tile, arguments);
  const reps = [...new Array<number>(Math.max(0, input.ndim - p.dims.length)).fill(1), ...p.dims];
  return repeat(input, reps);
}

/**
 * Rotates by 90° `k` times in the plane of `dims` (default [0, 1]), from the first towards
 * the second, as torch.rot90.
 */
export function rot90<D extends DType>(
  input: Tensor<D>,
  ...args: WithOptions<
    [k: number, dims: readonly number[]],
    { k?: number; dims?: readonly number[] }
  >
): Tensor<D>;
export function rot90(input: Tensor, ..._args: unknown[]): Tensor {
  const p = parseArgs(sigs().rot90, arguments);
  if (p.dims.length !== 2)
    throw new ValueError(
      `rot90: expected total rotation dims == 2, but got dims = ${p.dims.length}`,
    );
  if (input.ndim < 2)
    throw new ShapeError(`rot90: expected total dims >= 2, but got total dims = ${input.ndim}`);
  const d0 = normalizeDim("rot90", p.dims[0]!, input.ndim);
  const d1 = normalizeDim("rot90", p.dims[1]!, input.ndim);
  if (d0 === d1)
    throw new ValueError(
      `rot90: expected rotation dims to be different, but got dim0 = ${d0} and dim1 = ${d1}`,
    );
  const k = ((p.k % 4) + 4) % 4;
  if (k === 1) return transpose(flip(input, [d1]), d0, d1);
  if (k === 2) return flip(input, [d0, d1]);
  if (k === 3) return transpose(flip(input, [d0]), d0, d1);
  return el.clone(input);
}

/**
 * Coordinate grids from 1-D (or 0-d) tensors, as torch.meshgrid: with `indexing: "ij"` (the
 * default) output i has shape `[n0, n1, ...]`; with "xy" the first two dims are swapped.
 * Returns expanded views.
 */
export function meshgrid(
  ...tensors:
    | [...Tensor[], { indexing?: "ij" | "xy" }]
    | Tensor[]
    | [readonly Tensor[], { indexing?: "ij" | "xy" }?]
): Tensor[];
export function meshgrid(...args: unknown[]): Tensor[] {
  const last = args[args.length - 1];
  const hasOptions = args.length > 0 && !(last instanceof Tensor) && !Array.isArray(last);
  const options = hasOptions ? [last] : [];
  const p = parseArgs(sigs().meshgrid, options);
  const rest = hasOptions ? args.slice(0, -1) : args;
  const list = (rest.length === 1 && Array.isArray(rest[0]) ? rest[0] : rest) as unknown[];
  list.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`meshgrid: argument ${i} must be a Tensor`);
    if (t.ndim > 1) {
      throw new ShapeError(
        `meshgrid: Expected 0D or 1D tensor in the tensor list but got a ${t.ndim}-D tensor`,
      );
    }
  });
  const ts = list as Tensor[];
  if (ts.length === 0) throw new ValueError("meshgrid: expects a non-empty TensorList");
  for (const t of ts) {
    if (t.dtype !== ts[0]!.dtype) {
      throw new DTypeError("meshgrid: expects all tensors to have the same dtype");
    }
  }
  const swap = p.indexing === "xy" && ts.length >= 2;
  const order = ts.map((_, i) => i);
  if (swap) [order[0], order[1]] = [order[1]!, order[0]!];
  const sizes = order.map((i) => ts[i]!.numel());
  return ts.map((t, i) => {
    const pos = order.indexOf(i);
    const shape = sizes.map((_, k) => (k === pos ? sizes[k]! : 1));
    return expand(reshape(t, shape), sizes);
  });
}

// torch.nn.functional.pad in every mode: "constant" (any trailing dims, negative pads crop),
// "reflect", "replicate" and "circular" (1-, 2- or 3-D padding of batched or unbatched inputs),
// with PyTorch 1.13's checks and messages. Non-constant modes are one flat gather (`takeFlat`), so
// the gradient is its scatter-add. Depends on src/ops and core only (no nn layers).

import {
  arrayOf,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { IndexCache } from "../../ops/conv.ts";
import { full } from "../../ops/creation.ts";
import { takeFlat } from "../../ops/indexing.ts";
import { cat } from "../../ops/movement.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";

/** The padding modes of torch.nn.functional.pad. */
export type PadMode = "constant" | "reflect" | "replicate" | "circular";

const PAD = signature("pad", {
  input: tensorArg,
  pad: arrayOf(int),
  mode: opt(oneOf("constant", "reflect", "replicate", "circular"), "constant"),
  value: opt(nullable(num), null),
});

/** Options of `pad` after the padding; defaults mode "constant", value null (0). */
export interface PadOptions {
  mode?: PadMode;
  /** The fill of mode "constant" (0 when null); the other modes take none. */
  value?: number | null;
}

/**
 * Pads the trailing dims: `pad = [left, right, top, bottom, front, back]` (last dim first), as
 * torch.nn.functional.pad(input, pad, mode="constant", value=None). "constant" pads any number of
 * trailing dims and negative pads crop; "reflect", "replicate" and "circular" pad 1, 2 or 3
 * trailing dims of an input with 1 or 2 more dims (circular: exactly 2 more, `[N, C, *]`),
 * reflect requires each pad < the padded dim. Differentiable.
 *
 * @example F.pad(x, [1, 1, 2, 0], "reflect"); // = F.pad(x, [1, 1, 2, 0], { mode: "reflect" })
 */
export function pad(
  x: Tensor,
  padding: readonly number[],
  ...rest: WithOptions<[mode: PadMode, value: number | null], PadOptions>
): Tensor {
  const a = parseArgs(PAD, [x, padding, ...rest]);
  return padTensor(a.input, a.pad, a.mode, a.value);
}

/**
 * `pad` without argument parsing, for Kiln's own callers (Conv `paddingMode`, padding layers):
 * the same checks and results as `pad(x, padding, mode, value)`.
 */
export function padTensor(
  x: Tensor,
  padding: readonly number[],
  mode: PadMode = "constant",
  value: number | null = null,
): Tensor {
  if (padding.length % 2 !== 0) throw new ValueError("pad: Padding length must be divisible by 2");
  if (padding.length / 2 > x.ndim) {
    throw new ValueError(
      `pad: Padding length too large (got ${padding.length} pads for a ${x.ndim}-D input of size ${formatShape(x.shape)})`,
    );
  }
  if (mode === "constant") return constantPad(x, padding, value ?? 0);
  if (value !== null && value !== 0) {
    throw new ValueError(`pad: Padding mode "${mode}" doesn't take in value argument`);
  }
  const k = padding.length / 2;
  if (k < 1 || k > 3 || (x.ndim !== k + 1 && x.ndim !== k + 2)) {
    throw new ValueError(
      `pad: Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now (got ${padding.length} pads for a ${x.ndim}-D input; mode "${mode}" pads 1-3 trailing dims of an input with 1 or 2 more dims)`,
    );
  }
  if (mode === "circular" && x.ndim !== k + 2) {
    throw new ShapeError(
      `pad: Invalid padding size, expected ${2 * (x.ndim - 2)} but got ${padding.length} (circular padding takes a batched [N, C, *] input; got ${formatShape(x.shape)})`,
    );
  }
  if (mode !== "circular" && x.shape.slice(1).some((v) => v === 0)) {
    throw new ShapeError(
      `pad: Expected ${k + 1}D or ${k + 2}D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${formatShape(x.shape)} (mode "${mode}")`,
    );
  }
  const maps: Int32Array[] = [];
  const outShape = [...x.shape];
  for (let j = 0; j < k; j++) {
    const d = x.ndim - 1 - j;
    const lo = padding[2 * j]!;
    const hi = padding[2 * j + 1]!;
    const size = x.shape[d]!;
    const out = size + lo + hi;
    checkModePad(mode, x, d, size, lo, hi, out);
    outShape[d] = out;
    maps[d] = indexMap(mode, size, lo, out);
  }
  return gatherPad(x, maps, outShape, gradName(mode, k), `${mode}|${padding}`);
}

function gradName(mode: PadMode, k: number): string {
  if (mode === "reflect") return `ReflectionPad${k}DBackward0`;
  if (mode === "replicate") return `ReplicationPad${k}DBackward0`;
  return "CircularPadBackward0";
}

const DIM_NAMES = ["W", "H", "D"];

function checkModePad(
  mode: PadMode,
  x: Tensor,
  d: number,
  size: number,
  lo: number,
  hi: number,
  out: number,
): void {
  const name = DIM_NAMES[x.ndim - 1 - d]!;
  if (mode === "reflect" && (lo >= size || hi >= size)) {
    throw new ValueError(
      `pad: Padding size should be less than the corresponding input dimension, but got: padding (${lo}, ${hi}) at dimension ${d} of input ${formatShape(x.shape)}`,
    );
  }
  if (mode === "circular") {
    const kept = size - Math.max(-lo, 0) - Math.max(-hi, 0);
    if (lo > size || hi > size || (out > 0 && (lo > kept || hi > kept)))
      throw new ValueError(
        `pad: Padding value causes wrapping around more than once (padding (${lo}, ${hi}) at dimension ${d} of input ${formatShape(x.shape)})`,
      );
    if (out < 0)
      throw new ValueError(
        `pad: Negative padding value is resulting in an empty dimension (padding (${lo}, ${hi}) at dimension ${d} of input ${formatShape(x.shape)})`,
      );
    return;
  }
  if (out < 1 && size > 0) {
    throw new ShapeError(
      `pad: input (${name}: ${size}) is too small. Calculated output ${name}: ${out} (padding (${lo}, ${hi}) at dimension ${d}, mode "${mode}")`,
    );
  }
}

/**
 * For each output position along one dim, the input position it copies. Circular padding crops
 * the negative pads first and wraps within the rest, as PyTorch's _pad_circular does.
 */
function indexMap(mode: PadMode, size: number, lo: number, out: number): Int32Array {
  const m = new Int32Array(out);
  const hi = out - size - lo;
  const start = Math.max(-lo, 0);
  const kept = size - start - Math.max(-hi, 0);
  for (let i = 0; i < out; i++) {
    let j = i - lo;
    if (mode === "reflect") {
      if (j < 0) j = -j;
      if (j >= size) j = 2 * (size - 1) - j;
    } else if (mode === "replicate") j = Math.min(Math.max(j, 0), size - 1);
    else j = start + ((((i - Math.max(lo, 0)) % kept) + kept) % kept);
    m[i] = j;
  }
  return m;
}

// NOTE: an entry holds one index per output element; a few geometries cover a training loop
const cache = new IndexCache(4);

/**
 * One gather: out[..., i_d, ...] = x[..., maps[d][i_d], ...] (dims without a map copied). `key`,
 * when given, names the geometry (x's shape, outShape and maps) so its index array is reused.
 */
export function gatherPad(
  x: Tensor,
  maps: Int32Array[],
  outShape: number[],
  name: string,
  key: string | null = null,
): Tensor {
  const build = () => flatIndex(x.shape, maps, outShape);
  const flat = key === null ? build() : cache.get(`${x.shape}|${outShape}|${key}`, build);
  return takeFlat(x.contiguous(), flat, outShape, name);
}

function flatIndex(shape: readonly number[], maps: Int32Array[], outShape: number[]): Int32Array {
  const nd = outShape.length;
  // built from the last dim outwards: flat = Σ_d maps[d][i_d] · stride_d, one pass per dim
  let flat = new Int32Array(1);
  let stride = 1;
  for (let d = nd - 1; d >= 0; d--) {
    const n = outShape[d]!;
    const m = maps[d];
    const next = new Int32Array(n * flat.length);
    const inner = flat.length;
    for (let i = 0; i < n; i++) {
      const off = (m === undefined ? i : m[i]!) * stride;
      const base = i * inner;
      for (let j = 0; j < inner; j++) next[base + j] = off + flat[j]!;
    }
    flat = next;
    stride *= shape[d]!;
  }
  return flat;
}

/** Constant padding of any trailing dims; negative pads crop (ConstantPadNd). */
function constantPad(x: Tensor, padding: readonly number[], value: number): Tensor {
  let y = x;
  for (let k = 0; k < padding.length / 2; k++) {
    const d = x.ndim - 1 - k;
    const lo = padding[2 * k]!;
    const hi = padding[2 * k + 1]!;
    const size = y.shape[d]!;
    if (size + lo + hi < 0) {
      throw new ShapeError(
        `pad: The input size ${size}, plus negative padding ${lo} and ${hi} resulted in a negative output size, which is invalid. Check dimension ${d} of your input ${formatShape(x.shape)}.`,
      );
    }
    if (lo < 0) y = y.narrow(d, Math.min(-lo, size), Math.max(size + lo, 0));
    if (hi < 0) y = y.narrow(d, 0, y.shape[d]! + hi);
    const parts: Tensor[] = [];
    const side = (n: number) =>
      full(
        y.shape.map((s, i) => (i === d ? n : s)),
        value,
        { dtype: y.dtype },
      );
    if (lo > 0) parts.push(side(lo));
    parts.push(y);
    if (hi > 0) parts.push(side(hi));
    if (parts.length > 1) y = cat(parts, d);
  }
  return y;
}

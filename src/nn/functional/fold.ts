// Sliding blocks: im2col (`unfold`) and its adjoint col2im (`fold`) over any number of spatial dims,
// each one flat gather (`takeFlat`) or one flat scatter-add (`putFlat`, accumulate), so each is
// differentiable and the other's gradient. The public F.unfold/F.fold take 4-D/3-D inputs as
// PyTorch 1.13 does; conv-transpose.ts uses the N-d forms. Depends on src/ops and core only.

import { ints, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { IndexCache, withSentinel } from "../../ops/conv.ts";
import { zeros } from "../../ops/creation.ts";
import { putFlat, takeFlat } from "../../ops/indexing.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { tensorArg } from "./args.ts";
import type { IntOrPair } from "./layers.ts";

/** Geometry of a sliding window over n spatial dims (one entry per dim; symmetric padding). */
export interface WindowNd {
  kernel: readonly number[];
  dilation: readonly number[];
  padding: readonly number[];
  stride: readonly number[];
}

// NOTE: an index array has N·C·Πkernel·Πblocks entries (tens of MB for a DCGAN layer): keep few
const cache = new IndexCache(8);

/** Number of window positions per dim: ⌊(S + 2p − d(k − 1) − 1)/s⌋ + 1. */
export function blocksPerDim(spatial: readonly number[], w: WindowNd): number[] {
  return spatial.map(
    (s, i) =>
      Math.floor((s + 2 * w.padding[i]! - w.dilation[i]! * (w.kernel[i]! - 1) - 1) / w.stride[i]!) +
      1,
  );
}

const prod = (v: readonly number[]): number => v.reduce((p, s) => p * s, 1);

/**
 * For [N, C·K, L] columns (K = Πkernel, L = Πblocks, row c·K + kernel offset, both row-major),
 * or [C·K, N, L] when `batchInner`, the row-major position in the [N, C, *spatial] image, or the
 * sentinel N·C·Πspatial for padding.
 */
function colIndex(
  N: number,
  C: number,
  spatial: readonly number[],
  w: WindowNd,
  blocks: readonly number[],
  batchInner = false,
): Int32Array {
  const key = `${N},${C}|${spatial}|${w.kernel}|${w.dilation}|${w.padding}|${w.stride}|${blocks}|${batchInner}`;
  return cache.get(key, () => {
    const n = spatial.length;
    const K = prod(w.kernel);
    const L = prod(blocks);
    const P = prod(spatial);
    const sentinel = N * C * P;
    // per dim: for each (kernel offset, block), the coordinate or -1 when it falls in the padding
    const coord: Int32Array[] = [];
    for (let d = 0; d < n; d++) {
      const k = w.kernel[d]!;
      const b = blocks[d]!;
      const m = new Int32Array(k * b);
      for (let i = 0; i < k; i++) {
        for (let o = 0; o < b; o++) {
          const c = o * w.stride[d]! - w.padding[d]! + i * w.dilation[d]!;
          m[i * b + o] = c >= 0 && c < spatial[d]! ? c : -1;
        }
      }
      coord.push(m);
    }
    const out = new Int32Array(N * C * K * L);
    const ki = new Array<number>(n).fill(0);
    const bi = new Array<number>(n).fill(0);
    for (let b = 0; b < N; b++) {
      for (let c = 0; c < C; c++) {
        const base = (b * C + c) * P;
        for (let kk = 0; kk < K; kk++) {
          let r = kk;
          for (let d = n - 1; d >= 0; d--) {
            ki[d] = r % w.kernel[d]!;
            r = Math.floor(r / w.kernel[d]!);
          }
          bi.fill(0);
          let pos = batchInner ? ((c * K + kk) * N + b) * L : ((b * C + c) * K + kk) * L;
          for (let l = 0; l < L; l++) {
            let off = 0;
            let inside = true;
            for (let d = 0; d < n; d++) {
              const v = coord[d]![ki[d]! * blocks[d]! + bi[d]!]!;
              if (v < 0) {
                inside = false;
                break;
              }
              off = off * spatial[d]! + v;
            }
            out[pos++] = inside ? base + off : sentinel;
            for (let d = n - 1; d >= 0; d--) {
              if (++bi[d]! < blocks[d]!) break;
              bi[d] = 0;
            }
          }
        }
      }
    }
    return out;
  });
}

/** im2col over n spatial dims: `x [N, C, *spatial]` → `[N, C·Πkernel, Πblocks]` (no checks). */
export function im2colNd(x: Tensor, w: WindowNd): Tensor {
  const [N, C] = x.shape as [number, number];
  const spatial = x.shape.slice(2);
  const blocks = blocksPerDim(spatial, w);
  const idx = colIndex(N, C, spatial, w, blocks);
  return takeFlat(
    withSentinel(x.contiguous(), 0),
    idx,
    [N, C * prod(w.kernel), prod(blocks)],
    "Im2ColBackward0",
  );
}

/**
 * col2im over n spatial dims: `cols [N, C·Πkernel, Πblocks]` (or `[C·Πkernel, N, Πblocks]` when
 * `batchInner`, the layout of one GEMM over the whole batch) summed into `[N, C, *outSpatial]`
 * (overlapping blocks add up), the adjoint of `im2colNd` (no checks).
 */
export function col2imNd(
  cols: Tensor,
  outSpatial: readonly number[],
  w: WindowNd,
  batchInner = false,
): Tensor {
  const N = cols.shape[batchInner ? 1 : 0]!;
  const C = cols.shape[batchInner ? 0 : 1]! / prod(w.kernel);
  const blocks = blocksPerDim(outSpatial, w);
  const idx = colIndex(N, C, outSpatial, w, blocks, batchInner);
  const size = N * C * prod(outSpatial);
  const acc = putFlat(zeros([size + 1], { dtype: cols.dtype }), idx, cols.contiguous(), true);
  return acc.narrow(0, 0, size).reshape([N, C, ...outSpatial]);
}

const tuple = (v: number | readonly number[], n: number): number[] =>
  typeof v === "number" ? new Array<number>(n).fill(v) : [...v];

/** PyTorch's im2col/col2im hyper-parameter checks, in its order and with its messages. */
function checkWindow(op: string, w: WindowNd): void {
  const show = (name: string, v: readonly number[]) =>
    `${name}_height: ${v[0]} ${name}_width: ${v[1]}`;
  if (w.kernel.some((k) => k <= 0))
    throw new ValueError(
      `${op}: kernel size should be greater than zero, but got ${show("kernel", w.kernel)}`,
    );
  if (w.dilation.some((k) => k <= 0))
    throw new ValueError(
      `${op}: dilation should be greater than zero, but got ${show("dilation", w.dilation)}`,
    );
  if (w.padding.some((k) => k < 0))
    throw new ValueError(
      `${op}: padding should be non-negative, but got ${show("pad", w.padding)}`,
    );
  if (w.stride.some((k) => k <= 0))
    throw new ValueError(
      `${op}: stride should be greater than zero, but got ${show("stride", w.stride)}`,
    );
}

const tupleStr = (v: readonly number[]) => `(${v.join(", ")})`;

function windowArgs(a: {
  kernelSize: number | readonly number[];
  dilation: number | readonly number[];
  padding: number | readonly number[];
  stride: number | readonly number[];
}): WindowNd {
  return {
    kernel: tuple(a.kernelSize, 2),
    dilation: tuple(a.dilation, 2),
    padding: tuple(a.padding, 2),
    stride: tuple(a.stride, 2),
  };
}

/** Options of `unfold`/`fold` after the kernel size; defaults dilation 1, padding 0, stride 1. */
export interface FoldOptions {
  dilation?: IntOrPair;
  padding?: IntOrPair;
  stride?: IntOrPair;
}

/** The positional parameters of `unfold`/`fold` after the kernel size, in PyTorch's order. */
export type FoldPositional = [dilation: IntOrPair, padding: IntOrPair, stride: IntOrPair];

const UNFOLD = signature("unfold", {
  input: tensorArg,
  kernelSize: ints(2),
  dilation: opt(ints(2), 1),
  padding: opt(ints(2), 0),
  stride: opt(ints(2), 1),
});

const FOLD = signature("fold", {
  input: tensorArg,
  outputSize: ints(2),
  kernelSize: ints(2),
  dilation: opt(ints(2), 1),
  padding: opt(ints(2), 0),
  stride: opt(ints(2), 1),
});

/**
 * Extracts sliding blocks as columns, as torch.nn.functional.unfold(input, kernel_size,
 * dilation=1, padding=0, stride=1): `[N, C, H, W]` (or `[C, H, W]`) → `[N, C·kh·kw, L]`, L the
 * number of block positions; row c·kh·kw + i·kw + j holds kernel element (i, j) of channel c.
 *
 * @example F.unfold(x, 3, 1, 1); // = F.unfold(x, 3, { padding: 1 })
 */
export function unfold(
  x: Tensor,
  kernelSize: IntOrPair,
  ...rest: WithOptions<FoldPositional, FoldOptions>
): Tensor {
  const a = parseArgs(UNFOLD, [x, kernelSize, ...rest]);
  const input = a.input;
  if (
    (input.ndim !== 3 && input.ndim !== 4) ||
    input.shape.slice(input.ndim - 3).some((s) => s === 0)
  ) {
    throw new ShapeError(
      `unfold: Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but got: ${formatShape(input.shape)}`,
    );
  }
  const w = windowArgs(a);
  checkWindow("unfold", w);
  const b = input.ndim === 3 ? input.unsqueeze(0) : input;
  const blocks = blocksPerDim(b.shape.slice(2), w);
  if (blocks.some((v) => v < 1)) {
    throw new ShapeError(
      `unfold: Given input with spatial size ${tupleStr(b.shape.slice(2))}, kernel_size=${tupleStr(w.kernel)}, dilation=${tupleStr(w.dilation)}, padding=${tupleStr(w.padding)}, calculated shape of the array of sliding blocks as ${tupleStr(blocks)}, but its components must be at least one.`,
    );
  }
  const y = im2colNd(b, w);
  return input.ndim === 3 ? y.squeeze(0) : y;
}

/**
 * Sums columns of sliding blocks back into an image, as torch.nn.functional.fold(input,
 * output_size, kernel_size, dilation=1, padding=0, stride=1): `[N, C·kh·kw, L]` (or
 * `[C·kh·kw, L]`) → `[N, C, *outputSize]`; overlapping entries add up (the adjoint of unfold).
 */
export function fold(
  x: Tensor,
  outputSize: IntOrPair,
  kernelSize: IntOrPair,
  ...rest: WithOptions<FoldPositional, FoldOptions>
): Tensor {
  const a = parseArgs(FOLD, [x, outputSize, kernelSize, ...rest]);
  const input = a.input;
  if (
    (input.ndim !== 2 && input.ndim !== 3) ||
    input.shape.slice(input.ndim - 2).some((s) => s === 0)
  ) {
    throw new ShapeError(
      `fold: Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${formatShape(input.shape)}`,
    );
  }
  const w = windowArgs(a);
  const out = tuple(a.outputSize, 2);
  checkWindow("fold", w);
  const b = input.ndim === 2 ? input.unsqueeze(0) : input;
  const K = prod(w.kernel);
  if (b.shape[1]! % K !== 0) {
    throw new ShapeError(
      `fold: Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${b.shape[1]} and kernel_size=${tupleStr(w.kernel)}.`,
    );
  }
  const blocks = blocksPerDim(out, w);
  if (blocks.some((v) => v < 1) || prod(blocks) !== b.shape[2]) {
    throw new ShapeError(
      `fold: Given output_size=${tupleStr(out)}, kernel_size=${tupleStr(w.kernel)}, dilation=${tupleStr(w.dilation)}, padding=${tupleStr(w.padding)}, stride=${tupleStr(w.stride)}, expected size of input's dimension 2 to match the calculated number of sliding blocks ${blocks.join(" * ")} = ${prod(blocks)}, but got input.size(2)=${b.shape[2]}.`,
    );
  }
  const y = col2imNd(b, out, w);
  return input.ndim === 2 ? y.squeeze(0) : y;
}

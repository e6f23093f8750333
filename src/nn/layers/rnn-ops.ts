// The recurrent math shared by nn.RNN/LSTM/GRU and their cells: one time step of each cell, one
// direction of one layer over a time-major packed layout, and a split whose backward writes every
// piece's gradient into one buffer. Composed from Tensor ops (autograd of the composition), the
// definition; a cell step goes through the backend's fused cell kernels where it has them
// (rnn-fused.ts). Depends on src/ops, src/tensor and nn/functional, never on the layer classes.

import type { DType } from "../../core/dtype.ts";
import { full } from "../../ops/dispatch.ts";
import { cat } from "../../ops/movement.ts";
import { freshGrad, needsGrad, record } from "../../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { linear } from "../functional/layers.ts";
import { gruCellFused, lstmCellFused } from "./rnn-fused.ts";

/** PyTorch's RNN modes: the cell each layer runs. */
export type RNNMode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** The gate count of a mode: the rows of weight_ih are `gates · hiddenSize`. */
export function gateCount(mode: RNNMode): number {
  return mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1;
}

/** The parameters of one direction of one layer (or of one cell), in PyTorch's layout. */
export interface CellWeights {
  /** `[gates·H, in]` */
  wIh: Tensor;
  /** `[gates·H, Hout]` */
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
  /** LSTM projection `[proj, H]`, or null. */
  wHr: Tensor | null;
}

/** A recurrent state: h, plus c for an LSTM (null otherwise). */
export interface State {
  h: Tensor;
  c: Tensor | null;
}

/**
 * Views of `x` split along `dim` into pieces of `sizes`, as torch.split, whose backward writes
 * every piece's gradient into one zero buffer of x's shape (one allocation per backward), where
 * the composition of narrows would allocate a full-size gradient per piece: splitting a
 * `[T·B, G]` projection into T steps would cost O(T²·B·G) in backward.
 *
 * NOTE: the pieces hang off a private identity node (the hub) of x. Backward runs each piece's
 * node before the hub's (reverse topological order), so the first piece to run hands the buffer
 * to the hub, the others fill their slots in it and return null, and the hub passes it on. Under
 * grad mode (a differentiable backward) each piece instead returns its zero-padded gradient.
 */
export function splitWithSizes(x: Tensor, sizes: readonly number[], dim: number): Tensor[] {
  if (sizes.length === 1) return [x];
  const starts: number[] = [];
  let s = 0;
  for (const n of sizes) {
    starts.push(s);
    s += n;
  }
  if (!needsGrad(x)) return sizes.map((n, k) => x.narrow(dim, starts[k]!, n));
  let buffer: Tensor | null = null;
  const alias = new Tensor(x.storage, x.shape, x.strides, x.offset, x.dtype, x.base ?? x);
  const hub = record(alias, "SplitWithSizesBackward0", [x], (g) => {
    const out = buffer === g ? freshGrad(g) : g;
    buffer = null;
    return [out];
  });
  return sizes.map((n, k) => {
    const start = starts[k]!;
    const piece = noGrad(() => hub.narrow(dim, start, n));
    return record(piece, "SplitWithSizesBackward0", [hub], (g) => {
      if (isGradEnabled()) return [padAlong(g, x.shape, dim, start)];
      const first = buffer === null;
      if (first) buffer = full(x.shape, 0, g.dtype);
      const z = buffer as Tensor;
      noGrad(() => z.narrow(dim, start, n).copy_(g));
      return [first ? z : null];
    });
  });
}

/** `g` placed at `start` along `dim` of a zero tensor of `shape` (differentiable). */
function padAlong(g: Tensor, shape: readonly number[], dim: number, start: number): Tensor {
  const zero = (len: number) => {
    const sh = [...shape];
    sh[dim] = len;
    return full(sh, 0, g.dtype);
  };
  const after = shape[dim]! - start - g.shape[dim]!;
  const parts = [...(start > 0 ? [zero(start)] : []), g, ...(after > 0 ? [zero(after)] : [])];
  return parts.length === 1 ? g : cat(parts, dim);
}

/**
 * One step of the cell `mode` from the precomputed input gates `xg = x W_ihᵀ + b_ih` `[B, G]`
 * and the state `[B, Hout]` (c `[B, H]`), in PyTorch's gate order and formulas
 * (aten/src/ATen/native/RNN.cpp): LSTM i, f, g, o; GRU r, z, n with h' = n + z ⊙ (h − n).
 */
export function cellStep(mode: RNNMode, w: CellWeights, xg: Tensor, st: State): State {
  const hg = linear(st.h, w.wHh, w.bHh);
  const next = cellGates(mode, xg, hg, st);
  return w.wHr === null ? next : { h: linear(next.h, w.wHr, null), c: next.c };
}

/**
 * The gate math of one step from both gate pre-activations xg and hg `[B, G]`: through the
 * backend's fused cell kernels where it has them, else (the definition) composed of Tensor ops.
 */
export function cellGates(mode: RNNMode, xg: Tensor, hg: Tensor, st: State): State {
  if (mode === "RNN_TANH") return { h: xg.add(hg).tanh(), c: null };
  if (mode === "RNN_RELU") return { h: xg.add(hg).relu(), c: null };
  const H = hg.shape[1]! / gateCount(mode);
  if (mode === "LSTM") {
    const hc = lstmCellFused(xg, hg, st.c as Tensor);
    if (hc !== null) {
      const [h, c] = splitWithSizes(hc, [1, 1], 0).map((t) => t.squeeze(0)) as [Tensor, Tensor];
      return { h, c };
    }
    const gates = xg.add(hg);
    const [i, f, , o] = splitWithSizes(gates.sigmoid(), [H, H, H, H], 1) as [
      Tensor,
      Tensor,
      Tensor,
      Tensor,
    ];
    const g = gates.narrow(1, 2 * H, H).tanh();
    const c = f.mul(st.c as Tensor).add(i.mul(g));
    return { h: o.mul(c.tanh()), c };
  }
  const fused = gruCellFused(xg, hg, st.h);
  if (fused !== null) return { h: fused, c: null };
  const [xrz, xn] = splitWithSizes(xg, [2 * H, H], 1) as [Tensor, Tensor];
  const [hrz, hn] = splitWithSizes(hg, [2 * H, H], 1) as [Tensor, Tensor];
  const [r, z] = splitWithSizes(xrz.add(hrz).sigmoid(), [H, H], 1) as [Tensor, Tensor];
  const n = xn.add(r.mul(hn)).tanh();
  return { h: n.add(z.mul(st.h.sub(n))), c: null };
}

/** The rows `[start, start + len)` of a state. */
function rows(st: State, start: number, len: number): State {
  return { h: st.h.narrow(0, start, len), c: st.c === null ? null : st.c.narrow(0, start, len) };
}

/** Two states stacked along the batch (rows). */
function join(parts: State[]): State {
  if (parts.length === 1) return parts[0]!;
  const c = parts[0]!.c === null ? null : cat(parts.map((p) => p.c as Tensor));
  return { h: cat(parts.map((p) => p.h)), c };
}

/** What one direction of one layer returns: the packed outputs `[N, Hout]` and the final state. */
export interface DirectionResult {
  output: Tensor;
  last: State;
}

/**
 * Runs one direction of one layer over a time-major packed sequence: `x [N, in]` holds the steps
 * one after the other, step t having `batchSizes[t]` rows (non-increasing; a padded `[T, B, in]`
 * input is the case of T equal sizes). The input projection of all steps is one GEMM; the loop
 * does the hidden GEMM and the gate math. `init` is the initial state `[B, ·]` with
 * B = batchSizes[0]. Follows PyTorch's FullLayer/PackedLayer and ReversedPackedLayer: a sequence
 * that ends leaves its final state behind; going backwards, sequences join as they begin.
 */
export function runDirection(
  mode: RNNMode,
  w: CellWeights,
  x: Tensor,
  batchSizes: readonly number[],
  init: State,
  reverse: boolean,
): DirectionResult {
  const steps = splitWithSizes(linear(x, w.wIh, w.bIh), batchSizes, 0);
  const T = batchSizes.length;
  const outs = new Array<Tensor>(T);
  if (!reverse) {
    let st = init;
    let last = batchSizes[0]!;
    const done: State[] = [];
    for (let t = 0; t < T; t++) {
      const bs = batchSizes[t]!;
      if (bs < last) {
        done.push(rows(st, bs, last - bs));
        st = rows(st, 0, bs);
      }
      last = bs;
      st = cellStep(mode, w, steps[t]!, st);
      outs[t] = st.h;
    }
    done.push(st);
    return { output: cat(outs), last: join(done.reverse()) };
  }
  let last = batchSizes[T - 1]!;
  let st = rows(init, 0, last);
  for (let t = T - 1; t >= 0; t--) {
    const bs = batchSizes[t]!;
    if (bs > last) st = join([st, rows(init, last, bs - last)]);
    last = bs;
    st = cellStep(mode, w, steps[t]!, st);
    outs[t] = st.h;
  }
  return { output: cat(outs), last: st };
}

/** A zero state `[B, Hout]` (and c `[B, H]` for an LSTM). */
export function zeroState(mode: RNNMode, B: number, hOut: number, H: number, dtype: DType): State {
  return { h: full([B, hOut], 0, dtype), c: mode === "LSTM" ? full([B, H], 0, dtype) : null };
}

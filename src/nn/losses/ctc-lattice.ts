// Connectionist temporal classification loss (nn.functional.ctcLoss): the log-space forward (α)
// and backward (β) recursions over the blank-extended label lattice, one time step at a time and
// vectorised over the batch, with PyTorch's hand-written gradient (LossCTC.cpp). Depends on
// src/ops, src/tensor and src/core only.

import {
  arrayOf,
  bool,
  either,
  int,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { type FloatDType, isFloating } from "../../core/dtype.ts";
import { DTypeError, IndexError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { full } from "../../ops/creation.ts";
import { asIndexInt32 } from "../../ops/dispatch.ts";
import { where } from "../../ops/elementwise.ts";
import { cat, stack } from "../../ops/movement.ts";
import { onceDifferentiable, record } from "../../tensor/autograd.ts";
import { isGradEnabled, noGrad } from "../../tensor/graph.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { reductionArg, tensorArg } from "../functional/args.ts";
import type { Reduction } from "../functional/loss.ts";

/** Sequence lengths: an int32 tensor, or an array of ints (PyTorch's IntArrayRef). */
export type Lengths = Tensor | readonly number[];

const lengthsArg = either(tensorArg, arrayOf(int));

const CTC = signature("ctcLoss", {
  logProbs: tensorArg,
  targets: tensorArg,
  inputLengths: lengthsArg,
  targetLengths: lengthsArg,
  blank: opt(int, 0),
  reduction: reductionArg,
  zeroInfinity: opt(bool, false),
});

/** Options of ctcLoss after the four tensors; defaults as PyTorch's. */
export interface CTCOptions {
  blank?: number;
  reduction?: Reduction;
  zeroInfinity?: boolean;
}

function lengthsOf(op: string, name: string, v: Lengths, n: number): number[] {
  let out: number[];
  if (v instanceof Tensor) {
    if (v.dtype === "int64") v = asIndexInt32(op, v, name);
    if (v.dtype !== "int32")
      throw new DTypeError(`${op}: ${name} must be integral (int32), got ${v.dtype}`);
    out = Array.from(v.reshape(-1).dataSync() as Int32Array);
  } else out = [...v];
  if (out.length !== n)
    throw new ShapeError(`${op}: ${name} must be of size batch_size (${n}), got ${out.length}`);
  return out;
}

/** log(Σ e^xᵢ) elementwise, as ATen's CTC kernels write it (a max of −∞ counts as 0). */
function logAddExp(xs: readonly Tensor[]): Tensor {
  let m = xs[0]!;
  for (const x of xs.slice(1)) m = m.maximum(x);
  m = m.maskedFill(m.eq(-Infinity), 0);
  let s = xs[0]!.sub(m).exp();
  for (const x of xs.slice(1)) s = s.add(x.sub(m).exp());
  return s.log().add(m);
}

/** `x [N, S]` moved `k` places along dim 1 (right for k > 0), −∞ shifted in. */
function shift(x: Tensor, k: number): Tensor {
  const [N, S] = x.shape as [number, number];
  const fill = full([N, Math.min(Math.abs(k), S)], -Infinity, { dtype: x.dtype });
  if (Math.abs(k) >= S) return fill;
  return k > 0 ? cat([fill, x.narrow(1, 0, S - k)], 1) : cat([x.narrow(1, -k, S + k), fill], 1);
}

/**
 * CTC loss of log-probabilities `[T, N, C]` (or unbatched `[T, C]`) against `targets` padded
 * `[N, S]` or concatenated `[Σ targetLengths]` (int32 classes other than `blank`), as
 * torch.nn.functional.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
 * reduction='mean', zero_infinity=False): "mean" divides each loss by its target length
 * (at least 1), then averages the batch; "none" gives `[N]`. `zeroInfinity` turns the infinite
 * losses of impossible alignments, and their gradients, into 0.
 * NOTE: the input gradient is PyTorch's, e^lp − e^(log Σ_{s: l'_s = c} αβ + nll − lp): it
 * presumes `logProbs` come from logSoftmax (through which it is exact), as PyTorch's CTC backward
 * does. Input lengths below 1 and targets equal to `blank` throw (PyTorch reads them silently and
 * returns meaningless numbers).
 */
export function ctcLoss(
  logProbs: Tensor,
  targetsIn: Tensor,
  inputLengths: Lengths,
  targetLengths: Lengths,
  ...rest: WithOptions<[blank: number, reduction: Reduction, zeroInfinity: boolean], CTCOptions>
): Tensor<FloatDType> {
  const o = parseArgs(CTC, [logProbs, targetsIn, inputLengths, targetLengths, ...rest]);
  const op = "ctcLoss";
  // int64 targets (PyTorch's Long) read exactly as int32
  const targets = targetsIn.dtype === "int64" ? asIndexInt32(op, targetsIn, "target") : targetsIn;
  if (!isFloating(logProbs.dtype))
    throw new DTypeError(`${op}: expected log_probs of a floating dtype, got ${logProbs.dtype}`);
  if (logProbs.ndim !== 2 && logProbs.ndim !== 3) {
    throw new ShapeError(
      `${op}: expected log_probs of shape [T, N, C] or unbatched [T, C], got ${formatShape(logProbs.shape)}`,
    );
  }
  const batched = logProbs.ndim === 3;
  const lp = batched ? logProbs : logProbs.unsqueeze(1);
  const [T, N, C] = lp.shape as [number, number, number];
  const blank = o.blank;
  if (blank < 0 || blank >= C)
    throw new ValueError(`${op}: blank must be in label range [0, ${C - 1}], got ${blank}`);
  const inLen = lengthsOf(op, "input_lengths", o.inputLengths, N);
  const tgLen = lengthsOf(op, "target_lengths", o.targetLengths, N);
  for (const v of inLen) {
    if (v < 1 || v > T)
      throw new ValueError(
        `${op}: Expected input_lengths to have values in [1, ${T}], but got value ${v}`,
      );
  }
  for (const v of tgLen)
    if (v < 0) throw new ValueError(`${op}: target_lengths must be non-negative, got ${v}`);
  if (targets.dtype !== "int32") {
    throw new DTypeError(
      `${op}: expected targets of class indices with dtype int32 (PyTorch: Long), but found ${targets.dtype}`,
    );
  }
  const maxL = Math.max(0, ...tgLen);
  const tg = targets.contiguous().dataSync() as Int32Array;
  const offsets: number[] = [];
  if (targets.ndim === 1) {
    const total = tgLen.reduce((a, b) => a + b, 0);
    if (targets.shape[0] !== total) {
      throw new ShapeError(
        `${op}: Expected tensor to have size ${total} at dimension 0, but got size ${targets.shape[0]} for argument #2 'targets' (concatenated targets hold Σ target_lengths classes)`,
      );
    }
    let acc = 0;
    for (const l of tgLen) {
      offsets.push(acc);
      acc += l;
    }
  } else if (targets.ndim === 2) {
    const [rows, cols] = targets.shape as [number, number];
    if (rows < N || cols < maxL) {
      throw new ShapeError(
        `${op}: Expected padded targets of size at least [${N}, ${maxL}] (batch, max target length), but got ${formatShape(targets.shape)} for argument #2 'targets'`,
      );
    }
    for (let b = 0; b < N; b++) offsets.push(b * cols);
  } else {
    throw new ShapeError(
      `${op}: Expected 1 to 2 dimensions, but got ${targets.ndim}-dimensional tensor for argument #2 'targets'`,
    );
  }

  // The extended labels l' = (blank, y1, blank, y2, ..., blank), padded with blanks to S.
  const S = 2 * maxL + 1;
  const prime = new Int32Array(N * S).fill(blank);
  for (let b = 0; b < N; b++) {
    for (let k = 0; k < tgLen[b]!; k++) {
      const c = tg[offsets[b]! + k]!;
      if (c < 0 || c >= C)
        throw new IndexError(`${op}: target ${c} of sample ${b} is out of range [0, ${C - 1}]`);
      if (c === blank) {
        // NOTE: PyTorch reads such a target without a word, and its gradient then drops a term.
        throw new ValueError(
          `${op}: target ${k} of sample ${b} is the blank label ${blank}; targets cannot be blank`,
        );
      }
      prime[b * S + 2 * k + 1] = c;
    }
  }
  const skip = new Uint8Array(N * S); // α may come from s − 2: l'_s ≠ l'_{s−2}
  const skipNext = new Uint8Array(N * S); // β may come from s + 2: l'_s ≠ l'_{s+2}
  const start = new Uint8Array(N * S);
  const end = new Uint8Array(N * S);
  for (let b = 0; b < N; b++) {
    const L = tgLen[b]!;
    for (let s = 2; s < S; s++) {
      const differs = prime[b * S + s] !== prime[b * S + s - 2] ? 1 : 0;
      skip[b * S + s] = differs;
      skipNext[b * S + s - 2] = differs;
    }
    start[b * S] = 1;
    if (L > 0) start[b * S + 1] = 1;
    end[b * S + 2 * L] = 1;
    if (L > 0) end[b * S + 2 * L - 1] = 1;
  }
  const dt = lp.dtype;
  const primeT = Tensor.fromData(prime, [N, S], "int32");
  const boolOf = (a: Uint8Array, shape: number[]) =>
    Tensor.fromData(Int32Array.from(a), shape, "int32").ne(0);
  const skipT = boolOf(skip, [N, S]);
  const skipNextT = boolOf(skipNext, [N, S]);
  const startT = boolOf(start, [N, S]);
  const endT = boolOf(end, [N, S]);
  const lastT = Tensor.fromData(
    Int32Array.from(inLen, (v) => v - 1),
    [N, 1],
    "int32",
  );

  const { lpp, alpha, nll } = noGrad(() => {
    const lpp = lp.gather(2, primeT.unsqueeze(0).expand(T, N, S)); // [T, N, S]
    const steps: Tensor[] = [where(startT, lpp.select(0, 0), -Infinity)];
    for (let t = 1; t < T; t++) {
      const a = steps[t - 1]!;
      const a3 = where(skipT, shift(a, 2), -Infinity);
      steps.push(logAddExp([a, shift(a, 1), a3]).add(lpp.select(0, t)));
    }
    const alpha = stack(steps, 0);
    const last = alpha.gather(0, lastT.unsqueeze(0).expand(1, N, S)).squeeze(0); // [N, S]
    const ends = where(endT, last, -Infinity);
    return { lpp, alpha, nll: ends.logsumexp(1).neg() };
  });
  // NOTE: logsumexp of two finite ends equals ATen's max-shifted log-add; with both −∞ it is −∞.

  const out = record(
    nll,
    "CtcLossBackward0",
    [lp],
    (g) => {
      // The lattice's backward reads alpha and beta computed without a graph, so it has no
      // differentiable form: a second derivative through it raises (onceDifferentiable).
      const gx = noGrad(() => ctcGrad(g));
      return isGradEnabled() ? onceDifferentiable("ctcLoss", [gx], [g, lp]) : [gx];
    },
    [lp],
  );

  function ctcGrad(g: Tensor): Tensor {
    const beta: Tensor[] = new Array<Tensor>(T);
    const tIdx = (t: number) => Tensor.fromData(Int32Array.of(t), [1, 1], "int32");
    let next: Tensor | null = null;
    for (let t = T - 1; t >= 0; t--) {
      const init = where(endT, lpp.select(0, t), -Infinity);
      let cur: Tensor;
      if (next === null) cur = where(lastT.eq(tIdx(t)), init, -Infinity);
      else {
        const b3 = where(skipNextT, shift(next, -2), -Infinity);
        const rec = logAddExp([next, shift(next, -1), b3]).add(lpp.select(0, t));
        cur = where(lastT.eq(tIdx(t)), init, where(lastT.gt(tIdx(t)), rec, -Infinity));
      }
      beta[t] = cur;
      next = cur;
    }
    const ab = alpha.add(stack(beta, 0)); // [T, N, S]
    const inf = nll.eq(Infinity).reshape(1, N, 1);
    const nllSafe = nll.maskedFill(nll.eq(Infinity), 0).reshape(1, N, 1);
    const occ = full([T, N, C], 0, { dtype: dt }).scatterAdd(
      2,
      primeT.unsqueeze(0).expand(T, N, S),
      ab.add(nllSafe).exp(),
    );
    let grad = lp.exp().sub(occ.log().sub(lp).exp());
    grad = grad.maskedFill(inf, o.zeroInfinity ? 0 : Number.NaN);
    const tRange = Tensor.fromData(
      Int32Array.from({ length: T }, (_, t) => t),
      [T, 1, 1],
      "int32",
    );
    const inside = tRange.le(lastT.reshape(1, N, 1));
    return where(inside, grad.mul(g.reshape(1, N, 1)), 0);
  }
  let res: Tensor = out;
  if (o.zeroInfinity) res = where(res.eq(Infinity), 0, res);
  if (o.reduction === "mean") {
    const lens = Tensor.fromData(
      Float64Array.from(tgLen, (l) => Math.max(l, 1)),
      [N],
      "float64",
    );
    return res.div(lens.to(dt)).mean() as Tensor<FloatDType>;
  }
  if (o.reduction === "sum") return res.sum() as Tensor<FloatDType>;
  return (batched ? res : res.squeeze(0)) as Tensor<FloatDType>;
}

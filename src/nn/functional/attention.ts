// Scaled dot-product attention and the forward of nn.MultiheadAttention (PyTorch's
// F.multi_head_attention_forward), composed from Tensor ops: one batched matmul over all
// batch·head pairs for q kᵀ and one for the weighted sum, softmax, dropout. No kernels of their own.
// Depends on src/core, src/ops, src/tensor and nn/functional only; not on Module or any layer.

import {
  bool,
  instanceOf,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { isFloating } from "../../core/dtype.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { Generator } from "../../core/rng.ts";
import { broadcastShapes, formatShape } from "../../core/shape.ts";
import { arange } from "../../ops/creation.ts";
import { full } from "../../ops/dispatch.ts";
import { cat } from "../../ops/movement.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { softmax } from "./activation.ts";
import { optTensor, tensorArg } from "./args.ts";
import { dropout, linear } from "./layers.ts";

/** Options of `scaledDotProductAttention` after the value, as PyTorch 2's keywords. */
export interface ScaledDotProductAttentionOptions {
  /** Bool (true = takes part) or float (added) mask broadcastable to `[..., L, S]`. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0; applied whenever > 0). */
  dropoutP?: number;
  /** Whether to apply the causal mask (query i sees keys j ≤ i; default false). */
  isCausal?: boolean;
  /** The factor on q kᵀ (default 1/√E); keyword-only, as PyTorch 2.1's `scale`. */
  scale?: number | null;
  /** The random source of the dropout mask (the default generator otherwise). */
  generator?: Generator;
}

const SDPA = signature(
  "scaledDotProductAttention",
  {
    query: tensorArg,
    key: tensorArg,
    value: tensorArg,
    attnMask: optTensor,
    dropoutP: opt(num, 0),
    isCausal: opt(bool, false),
  },
  {
    scale: opt(nullable(num), null),
    generator: opt(instanceOf(Generator, "a Generator")),
  },
);

/** An additive float mask from a bool one: −∞ where `blocked`, 0 elsewhere. */
function additive(blocked: Tensor, dtype: Tensor["dtype"]): Tensor {
  return full(blocked.shape, 0, dtype).maskedFill(blocked, -Infinity);
}

function checkMaskDType(op: string, name: string, mask: Tensor): void {
  if (mask.dtype !== "bool" && !isFloating(mask.dtype)) {
    throw new DTypeError(
      `${op}: only bool and floating types of ${name} are supported, got ${mask.dtype}`,
    );
  }
}

/**
 * softmax(q kᵀ · scale + mask) v, as torch.nn.functional.scaled_dot_product_attention(query, key,
 * value, attn_mask=None, dropout_p=0.0, is_causal=False, *, scale=None) of PyTorch 2 (1.13 has no
 * public SDPA). `query [..., L, E]`, `key [..., S, E]`, `value [..., S, Ev]` → `[..., L, Ev]`;
 * leading dims broadcast. A bool `attnMask` marks with true the pairs that take part (PyTorch 2's
 * convention, the opposite of MultiheadAttention's); a float one is added to the scores.
 * `isCausal` masks key j > query i (top-left aligned) and excludes `attnMask`. Dropout is applied
 * whenever `dropoutP` > 0, as PyTorch's functional form: pass 0 in evaluation. A query row with
 * no key allowed gives NaN, as PyTorch's math path.
 *
 * @example F.scaledDotProductAttention(q, k, v, null, 0, true); // = (q, k, v, { isCausal: true })
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  ...rest: WithOptions<
    [attnMask: Tensor | null, dropoutP: number, isCausal: boolean],
    ScaledDotProductAttentionOptions
  >
): Tensor {
  const op = "scaledDotProductAttention";
  const a = parseArgs(SDPA, [query, key, value, ...rest]);
  const q = a.query;
  const k = a.key;
  const v = a.value;
  for (const [name, t] of [
    ["query", q],
    ["key", k],
    ["value", v],
  ] as const) {
    if (t.ndim < 2) {
      throw new ShapeError(
        `${op}: ${name} must have at least 2 dims ([..., L, E]), got ${formatShape(t.shape)}`,
      );
    }
    if (!isFloating(t.dtype) || t.dtype !== q.dtype) {
      throw new DTypeError(
        `${op}: expected query, key and value of one floating dtype, got ${q.dtype}, ${k.dtype} and ${v.dtype}`,
      );
    }
  }
  const E = q.shape[q.ndim - 1]!;
  const L = q.shape[q.ndim - 2]!;
  const S = k.shape[k.ndim - 2]!;
  if (k.shape[k.ndim - 1] !== E || v.shape[v.ndim - 2] !== S) {
    throw new ShapeError(
      `${op}: expected query [..., L, E], key [..., S, E] and value [..., S, Ev], got ${formatShape(q.shape)}, ${formatShape(k.shape)} and ${formatShape(v.shape)}`,
    );
  }
  const batch = broadcastShapes(
    op,
    q.shape.slice(0, -2),
    k.shape.slice(0, -2),
    v.shape.slice(0, -2),
  );
  if (!(a.dropoutP >= 0 && a.dropoutP <= 1)) {
    throw new ValueError(`${op}: dropoutP has to be between 0 and 1, but got ${a.dropoutP}`);
  }
  let bias: Tensor | null = null;
  const mask = a.attnMask;
  if (a.isCausal) {
    if (mask !== null) {
      throw new ValueError(`${op}: an explicit attnMask must not be given with isCausal: true`);
    }
    bias = additive(
      arange(S)
        .reshape([1, S])
        .gt(arange(L).reshape([L, 1])),
      q.dtype,
    );
  } else if (mask !== null) {
    checkMaskDType(op, "attnMask", mask);
    if (mask.dtype !== "bool" && mask.dtype !== q.dtype) {
      throw new DTypeError(
        `${op}: a float attnMask must have the query's dtype ${q.dtype}, got ${mask.dtype}`,
      );
    }
    const target = [...batch, L, S];
    let shape: number[] = [];
    try {
      shape = broadcastShapes(op, mask.shape, target);
    } catch {
      // reported below, with both shapes
    }
    if (shape.join() !== target.join()) {
      throw new ShapeError(
        `${op}: attnMask of shape ${formatShape(mask.shape)} does not broadcast to the scores' shape ${formatShape(target)}`,
      );
    }
    bias = mask.dtype === "bool" ? additive(mask.logicalNot(), q.dtype) : mask;
  }
  const scale = a.scale ?? 1 / Math.sqrt(E);
  const [out] = attend(q.mul(scale), k, v, bias, a.dropoutP, a.generator);
  return out;
}

/**
 * softmax(qs kᵀ + bias) v for already scaled queries, returning the output and the weights
 * (after dropout, as PyTorch returns them). Two batched matmuls over the broadcast batch dims.
 */
function attend(
  qs: Tensor,
  k: Tensor,
  v: Tensor,
  bias: Tensor | null,
  dropoutP: number,
  generator: Generator | undefined,
): [Tensor, Tensor] {
  let scores = qs.matmul(k.transpose(-2, -1));
  if (bias !== null) scores = bias.add(scores);
  let w = softmax(scores, -1);
  if (dropoutP > 0) w = dropout(w, dropoutP, true, { generator });
  return [w.matmul(v), w];
}

/** The parameters and settings of one multi-head attention forward (nn.MultiheadAttention's). */
export interface MultiheadAttentionParams {
  embedDim: number;
  numHeads: number;
  /** Packed `[3E, E]` projection, or null when the separate q/k/v weights are used. */
  inProjWeight: Tensor | null;
  inProjBias: Tensor | null;
  qProjWeight: Tensor | null;
  kProjWeight: Tensor | null;
  vProjWeight: Tensor | null;
  biasK: Tensor | null;
  biasV: Tensor | null;
  addZeroAttn: boolean;
  dropoutP: number;
  outProjWeight: Tensor;
  outProjBias: Tensor | null;
  training: boolean;
}

/** PyTorch's `_mha_shape_check`: whether the input is batched; throws on bad ranks. */
function mhaShapeCheck(
  op: string,
  q: Tensor,
  k: Tensor,
  v: Tensor,
  kpm: Tensor | null,
  mask: Tensor | null,
  numHeads: number,
): boolean {
  if (q.ndim !== 3 && q.ndim !== 2) {
    throw new ShapeError(
      `${op}: query should be unbatched 2D or batched 3D tensor but received ${q.ndim}-D query tensor`,
    );
  }
  const batched = q.ndim === 3;
  const kind = batched ? "batched (3-D)" : "unbatched (2-D)";
  if (k.ndim !== q.ndim || v.ndim !== q.ndim) {
    throw new ShapeError(
      `${op}: for ${kind} query, expected key and value to be ${q.ndim}-D but found ${k.ndim}-D and ${v.ndim}-D tensors respectively`,
    );
  }
  if (kpm !== null && kpm.ndim !== q.ndim - 1) {
    throw new ShapeError(
      `${op}: for ${kind} query, expected keyPaddingMask to be null or ${q.ndim - 1}-D but found ${kpm.ndim}-D tensor instead`,
    );
  }
  if (mask !== null) {
    if (mask.ndim !== 2 && mask.ndim !== 3) {
      throw new ShapeError(
        `${op}: for ${kind} query, expected attnMask to be null, 2-D or 3-D but found ${mask.ndim}-D tensor instead`,
      );
    }
    if (!batched && mask.ndim === 3) {
      const want = [numHeads, q.shape[0]!, k.shape[0]!];
      if (mask.shape.join() !== want.join()) {
        throw new ShapeError(
          `${op}: expected attnMask shape to be ${formatShape(want)} but got ${formatShape(mask.shape)}`,
        );
      }
    }
  }
  return batched;
}

/** Appends one zero (false) column to the last dim of a mask, as PyTorch's pad(mask, (0, 1)). */
function padLast(m: Tensor): Tensor {
  return cat([m, full([...m.shape.slice(0, -1), 1], m.dtype === "bool" ? false : 0, m.dtype)], -1);
}

/** q, k, v projections, as PyTorch's _in_projection_packed and _in_projection. */
function inProjection(
  op: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MultiheadAttentionParams,
): [Tensor, Tensor, Tensor] {
  const E = p.embedDim;
  const b = p.inProjBias;
  if (p.inProjWeight !== null) {
    const w = p.inProjWeight;
    if (key === value) {
      if (query === key) {
        const [q, k, v] = linear(query, w, b).chunk(3, -1) as [Tensor, Tensor, Tensor];
        return [q, k, v];
      }
      const [wq, wkv] = w.split([E, 2 * E]) as [Tensor, Tensor];
      const [bq, bkv] = b === null ? [null, null] : (b.split([E, 2 * E]) as [Tensor, Tensor]);
      const [k, v] = linear(key, wkv, bkv).chunk(2, -1) as [Tensor, Tensor];
      return [linear(query, wq, bq), k, v];
    }
    const [wq, wk, wv] = w.chunk(3) as [Tensor, Tensor, Tensor];
    const [bq, bk, bv] = b === null ? [null, null, null] : (b.chunk(3) as [Tensor, Tensor, Tensor]);
    return [linear(query, wq, bq), linear(key, wk, bk), linear(value, wv, bv)];
  }
  if (key.shape[0] !== value.shape[0] || key.shape[1] !== value.shape[1]) {
    throw new ShapeError(
      `${op}: key's sequence and batch dims ${formatShape(key.shape.slice(0, 2))} do not match value's ${formatShape(value.shape.slice(0, 2))}`,
    );
  }
  const [bq, bk, bv] = b === null ? [null, null, null] : (b.chunk(3) as [Tensor, Tensor, Tensor]);
  return [
    linear(query, p.qProjWeight!, bq),
    linear(key, p.kProjWeight!, bk),
    linear(value, p.vProjWeight!, bv),
  ];
}

/**
 * The forward of nn.MultiheadAttention on sequence-first `query [L, N, E]` (or unbatched
 * `[L, E]`), `key [S, N, Ek]`, `value [S, N, Ev]`, as PyTorch 1.13's
 * F.multi_head_attention_forward: returns `[output [L, N, E], weights]`, the weights
 * `[N, L, S]` averaged over heads, `[N, H, L, S]` otherwise, null without `needWeights`.
 * Masks: bool true = not allowed, float added; `attnMask [L, S]` or `[N·H, L, S]`,
 * `keyPaddingMask [N, S]`. Internal to nn (the layer is the public form).
 */
export function multiheadAttentionForward(
  op: string,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  p: MultiheadAttentionParams,
  keyPaddingMask: Tensor | null,
  needWeights: boolean,
  attnMask: Tensor | null,
  averageAttnWeights: boolean,
): [Tensor, Tensor | null] {
  const H = p.numHeads;
  const batched = mhaShapeCheck(op, query, key, value, keyPaddingMask, attnMask, H);
  let kpm = keyPaddingMask;
  if (!batched) {
    // NOTE: as PyTorch, three fresh tensors: unbatched input never takes the packed shortcut.
    query = query.unsqueeze(1);
    key = key.unsqueeze(1);
    value = value.unsqueeze(1);
    if (kpm !== null) kpm = kpm.unsqueeze(0);
  }
  const [tgtLen, bsz, embedDim] = query.shape as [number, number, number];
  let srcLen = key.shape[0]!;
  if (kpm !== null) checkMaskDType(op, "keyPaddingMask", kpm);
  if (embedDim !== p.embedDim) {
    throw new ShapeError(
      `${op}: was expecting embedding dimension of ${p.embedDim}, but got ${embedDim}`,
    );
  }
  const headDim = Math.floor(embedDim / H);
  if (p.inProjWeight !== null && key.shape.join() !== value.shape.join()) {
    throw new ShapeError(
      `${op}: key shape ${formatShape(key.shape)} does not match value shape ${formatShape(value.shape)}`,
    );
  }
  if (key.shape[1] !== bsz || value.shape[1] !== bsz) {
    throw new ShapeError(
      `${op}: query, key and value must have the same batch size, got ${formatShape(query.shape)}, ${formatShape(key.shape)} and ${formatShape(value.shape)}`,
    );
  }
  let [q, k, v] = inProjection(op, query, key, value, p);

  let mask = attnMask;
  if (mask !== null) {
    checkMaskDType(op, "attnMask", mask);
    if (mask.ndim === 2) {
      if (mask.shape[0] !== tgtLen || mask.shape[1] !== srcLen) {
        throw new ShapeError(
          `${op}: the shape of the 2D attnMask is ${formatShape(mask.shape)}, but should be [${tgtLen}, ${srcLen}].`,
        );
      }
      mask = mask.unsqueeze(0);
    } else {
      const want = [bsz * H, tgtLen, srcLen];
      if (mask.shape.join() !== want.join()) {
        throw new ShapeError(
          `${op}: the shape of the 3D attnMask is ${formatShape(mask.shape)}, but should be ${formatShape(want)}.`,
        );
      }
    }
  }
  if (p.biasK !== null && p.biasV !== null) {
    k = cat([k, p.biasK.repeat(1, bsz, 1)]);
    v = cat([v, p.biasV.repeat(1, bsz, 1)]);
    if (mask !== null) mask = padLast(mask);
    if (kpm !== null) kpm = padLast(kpm);
  }
  q = q.reshape([tgtLen, bsz * H, headDim]).transpose(0, 1);
  k = k.reshape([k.shape[0]!, bsz * H, headDim]).transpose(0, 1);
  v = v.reshape([v.shape[0]!, bsz * H, headDim]).transpose(0, 1);
  if (p.addZeroAttn) {
    k = cat([k, full([bsz * H, 1, headDim], 0, k.dtype)], 1);
    v = cat([v, full([bsz * H, 1, headDim], 0, v.dtype)], 1);
    if (mask !== null) mask = padLast(mask);
    if (kpm !== null) kpm = padLast(kpm);
  }
  srcLen = k.shape[1]!;

  // Masks become additive floats and add up (PyTorch 2's merge; 1.13 gives the same numbers for
  // bool+bool, float alone and float attnMask with a bool keyPaddingMask).
  let bias: Tensor | null = null;
  if (mask !== null) bias = mask.dtype === "bool" ? additive(mask, q.dtype) : mask;
  if (kpm !== null) {
    if (kpm.shape[0] !== bsz || kpm.shape[1] !== srcLen) {
      throw new ShapeError(
        `${op}: expecting keyPaddingMask shape of [${bsz}, ${srcLen}], but got ${formatShape(kpm.shape)}`,
      );
    }
    const kb = kpm.dtype === "bool" ? additive(kpm, q.dtype) : kpm;
    const perHead = kb.reshape([bsz, 1, 1, srcLen]).expand([bsz, H, 1, srcLen]);
    const merged = perHead.reshape([bsz * H, 1, srcLen]);
    bias = bias === null ? merged : bias.add(merged);
  }
  const dropoutP = p.training ? p.dropoutP : 0;
  const [attn, weights] = attend(q.div(Math.sqrt(headDim)), k, v, bias, dropoutP, undefined);
  let out = attn.transpose(0, 1).reshape([tgtLen * bsz, embedDim]);
  out = linear(out, p.outProjWeight, p.outProjBias).reshape([tgtLen, bsz, embedDim]);
  if (!batched) out = out.squeeze(1);
  if (!needWeights) return [out, null];
  let w = weights.reshape([bsz, H, tgtLen, srcLen]);
  if (averageAttnWeights) w = w.sum(1).div(H);
  if (!batched) w = w.squeeze(0);
  return [out, w];
}

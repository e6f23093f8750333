// nn.MultiheadAttention: PyTorch's parameters (in_proj_weight or q/k/v_proj_weight, in_proj_bias,
// bias_k, bias_v, out_proj), init and forward. The math is functional/attention.ts's
// multiheadAttentionForward; this file holds the parameters and the batchFirst handling.
// Depends on nn/functional, module, parameter, init and layers/linear; not on transformer.ts.

import {
  bool,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg, optTensor, tensorArg } from "../functional/args.ts";
import { multiheadAttentionForward } from "../functional/attention.ts";
import { constant_, xavierNormal_, xavierUniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { Linear } from "./linear.ts";

/**
 * The output projection of MultiheadAttention: a Linear under PyTorch's class name, so that the
 * module prints as PyTorch's does.
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

// NOTE: no #private members: a deep copy (clone-module.ts) builds instances without running
// the constructor, and a private brand exists only on constructed objects.
/** A registered member by its PyTorch name (a parameter or child module), or null. */
function member<T>(m: Module<unknown>, name: string): T | null {
  return ((m as unknown as Record<string, unknown>)[name] ?? null) as T | null;
}

/** Options of MultiheadAttention after `numHeads`, as PyTorch's keywords. */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights in training (default 0). */
  dropout?: number;
  /** Whether the in- and out-projections have biases (default true). */
  bias?: boolean;
  /** Whether learnable `bias_k`, `bias_v` `[1, 1, E]` are appended to keys and values. */
  addBiasKv?: boolean;
  /** Whether a zero key and value are appended after projection. */
  addZeroAttn?: boolean;
  /** Features of the keys (default embedDim). */
  kdim?: number | null;
  /** Features of the values (default embedDim). */
  vdim?: number | null;
  /** Whether inputs and outputs are `[N, L, E]` instead of `[L, N, E]` (default false). */
  batchFirst?: boolean;
  /** The dtype of the parameters (default float32). */
  dtype?: "float32" | "float64";
}

/** The positional parameters of MultiheadAttention after numHeads, in PyTorch's order. */
export type MultiheadAttentionPositional = [
  dropout: number,
  bias: boolean,
  addBiasKv: boolean,
  addZeroAttn: boolean,
  kdim: number | null,
  vdim: number | null,
  batchFirst: boolean,
];

const MHA = signature(
  "nn.MultiheadAttention",
  {
    embedDim: int,
    numHeads: int,
    dropout: opt(num, 0),
    bias: opt(bool, true),
    addBiasKv: opt(bool, false),
    addZeroAttn: opt(bool, false),
    kdim: opt(nullable(int), null),
    vdim: opt(nullable(int), null),
    batchFirst: opt(bool, false),
  },
  { dtype: floatDtypeArg },
);

/** Options of `MultiheadAttention.forward` after the value, as PyTorch's keywords. */
export interface MultiheadAttentionForwardOptions {
  /** `[N, S]` (`[S]` unbatched): bool true = the key is padding; float is added. */
  keyPaddingMask?: Tensor | null;
  /** Whether the attention weights are returned (default true). */
  needWeights?: boolean;
  /** `[L, S]` or `[N·numHeads, L, S]`: bool true = not allowed; float is added. */
  attnMask?: Tensor | null;
  /** Whether the returned weights are averaged over heads (default true). */
  averageAttnWeights?: boolean;
}

const FORWARD = signature("MultiheadAttention.forward", {
  query: tensorArg,
  key: tensorArg,
  value: tensorArg,
  keyPaddingMask: optTensor,
  needWeights: opt(bool, true),
  attnMask: optTensor,
  averageAttnWeights: opt(bool, true),
});

/**
 * Multi-head attention, as torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0,
 * bias=True, add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False, *,
 * dtype): softmax(q kᵀ/√(E/H) + mask) v per head, concatenated and projected by `out_proj`.
 * `query [L, N, E]`, `key [S, N, kdim]`, `value [S, N, vdim]` (`[N, L, E]`... with batchFirst,
 * `[L, E]` unbatched) → `[output [L, N, E], weights [N, L, S] | [N, H, L, S] | null]`.
 *
 * PyTorch parity: parameters and state-dict keys as PyTorch's (`in_proj_weight [3E, E]`, or
 * `q_proj_weight`, `k_proj_weight`, `v_proj_weight` when kdim or vdim differ from embedDim;
 * `in_proj_bias [3E]`, `bias_k`, `bias_v [1, 1, E]`, `out_proj.weight`, `out_proj.bias`); init
 * as _reset_parameters: xavier_uniform_ on the in-projection, zero biases, xavier_normal_ on
 * bias_k/bias_v, out_proj.weight as Linear's. PyTorch's inference fast path is not reproduced:
 * it computes the same values.
 *
 * @example const mha = new nn.MultiheadAttention(16, 4, { batchFirst: true });
 * const [out, weights] = mha.forward(x, x, x, { needWeights: true });
 */
export class MultiheadAttention extends Module<[Tensor, Tensor | null]> {
  /** Total features E of queries and outputs. */
  readonly embedDim: number;
  /** Features of the keys. */
  readonly kdim: number;
  /** Features of the values. */
  readonly vdim: number;
  /** Number of heads H; E must divide by it. */
  readonly numHeads: number;
  /** Dropout probability on the attention weights in training. */
  readonly dropout: number;
  /** Whether inputs and outputs are batch-first. */
  readonly batchFirst: boolean;
  /** Features per head, E / H. */
  readonly headDim: number;
  /** Whether a zero key and value are appended. */
  readonly addZeroAttn: boolean;

  /**
   * Creates the layer from `(embedDim, numHeads, dropout?, bias?, addBiasKv?, addZeroAttn?, kdim?,
   * vdim?, batchFirst?)`, positional or as options after numHeads, plus the keyword-only `dtype`.
   */
  constructor(
    embedDim: number,
    numHeads: number,
    ...rest: WithOptions<MultiheadAttentionPositional, MultiheadAttentionOptions>
  ) {
    super();
    const a = parseArgs(MHA, [embedDim, numHeads, ...rest]);
    if (a.embedDim <= 0 || a.numHeads <= 0) {
      throw new ValueError(
        `nn.MultiheadAttention: embed_dim and num_heads must be greater than 0, got embed_dim=${a.embedDim} and num_heads=${a.numHeads} instead`,
      );
    }
    if (!(a.dropout >= 0 && a.dropout <= 1)) {
      throw new ValueError(
        `nn.MultiheadAttention: dropout probability has to be between 0 and 1, but got ${a.dropout}`,
      );
    }
    this.embedDim = a.embedDim;
    this.kdim = a.kdim ?? a.embedDim;
    this.vdim = a.vdim ?? a.embedDim;
    this.numHeads = a.numHeads;
    this.dropout = a.dropout;
    this.batchFirst = a.batchFirst;
    this.headDim = Math.floor(a.embedDim / a.numHeads);
    if (this.headDim * a.numHeads !== a.embedDim) {
      throw new ValueError(
        `nn.MultiheadAttention: embed_dim must be divisible by num_heads, got embed_dim=${a.embedDim} and num_heads=${a.numHeads}`,
      );
    }
    const E = a.embedDim;
    const dtype = a.dtype;
    if (this.qkvSameEmbedDim) {
      this.registerParameter("in_proj_weight", new Parameter(empty([3 * E, E], dtype)));
      this.registerParameter("q_proj_weight", null);
      this.registerParameter("k_proj_weight", null);
      this.registerParameter("v_proj_weight", null);
    } else {
      this.registerParameter("q_proj_weight", new Parameter(empty([E, E], dtype)));
      this.registerParameter("k_proj_weight", new Parameter(empty([E, this.kdim], dtype)));
      this.registerParameter("v_proj_weight", new Parameter(empty([E, this.vdim], dtype)));
      this.registerParameter("in_proj_weight", null);
    }
    this.registerParameter("in_proj_bias", a.bias ? new Parameter(empty([3 * E], dtype)) : null);
    this.registerModule("out_proj", new NonDynamicallyQuantizableLinear(E, E, a.bias, { dtype }));
    if (a.addBiasKv) {
      this.registerParameter("bias_k", new Parameter(empty([1, 1, E], dtype)));
      this.registerParameter("bias_v", new Parameter(empty([1, 1, E], dtype)));
    }
    this.addZeroAttn = a.addZeroAttn;
    this.resetParameters();
  }

  /** Whether keys and values have embedDim features (one packed `in_proj_weight`). */
  get qkvSameEmbedDim(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }

  /** The packed in-projection `[3E, E]` (`in_proj_weight`), or null when kdim/vdim differ. */
  get inProjWeight(): Parameter | null {
    return member(this, "in_proj_weight");
  }
  /** The query projection `[E, E]` (`q_proj_weight`), or null when packed. */
  get qProjWeight(): Parameter | null {
    return member(this, "q_proj_weight");
  }
  /** The key projection `[E, kdim]` (`k_proj_weight`), or null when packed. */
  get kProjWeight(): Parameter | null {
    return member(this, "k_proj_weight");
  }
  /** The value projection `[E, vdim]` (`v_proj_weight`), or null when packed. */
  get vProjWeight(): Parameter | null {
    return member(this, "v_proj_weight");
  }
  /** The packed in-projection bias `[3E]` (`in_proj_bias`), or null without bias. */
  get inProjBias(): Parameter | null {
    return member(this, "in_proj_bias");
  }
  /** The key bias `[1, 1, E]` (`bias_k`), or null without addBiasKv. */
  get biasK(): Parameter | null {
    return member(this, "bias_k");
  }
  /** The value bias `[1, 1, E]` (`bias_v`), or null without addBiasKv. */
  get biasV(): Parameter | null {
    return member(this, "bias_v");
  }
  /** The output projection (`out_proj`). */
  get outProj(): Linear {
    return member<Linear>(this, "out_proj")!;
  }

  /** PyTorch's _reset_parameters (see the class note). */
  resetParameters(): void {
    if (this.inProjWeight !== null) xavierUniform_(this.inProjWeight);
    else {
      xavierUniform_(this.qProjWeight!);
      xavierUniform_(this.kProjWeight!);
      xavierUniform_(this.vProjWeight!);
    }
    if (this.inProjBias !== null) {
      constant_(this.inProjBias, 0);
      if (this.outProj.bias !== null) constant_(this.outProj.bias, 0);
    }
    if (this.biasK !== null) xavierNormal_(this.biasK);
    if (this.biasV !== null) xavierNormal_(this.biasV);
  }

  /**
   * Attends `query` to `key`/`value`: `(query, key, value, keyPaddingMask?, needWeights?,
   * attnMask?, averageAttnWeights?)`, positional or as options after the value. Returns
   * `[output, weights]`, weights null when `needWeights` is false.
   */
  override forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    ...rest: WithOptions<
      [
        keyPaddingMask: Tensor | null,
        needWeights: boolean,
        attnMask: Tensor | null,
        averageAttnWeights: boolean,
      ],
      MultiheadAttentionForwardOptions
    >
  ): [Tensor, Tensor | null] {
    const a = parseArgs(FORWARD, [query, key, value, ...rest]);
    let [q, k, v] = [a.query, a.key, a.value];
    const batched = q.ndim === 3;
    if (this.batchFirst && batched) {
      // NOTE: keeps q === k === v (self-attention) and k === v, as PyTorch, for the packed path.
      const kIsV = k === v;
      const qIsK = q === k;
      q = q.transpose(1, 0);
      k = qIsK ? q : k.transpose(1, 0);
      v = kIsV ? k : v.transpose(1, 0);
    }
    const [out, w] = multiheadAttentionForward(
      "nn.MultiheadAttention",
      q,
      k,
      v,
      {
        embedDim: this.embedDim,
        numHeads: this.numHeads,
        inProjWeight: this.inProjWeight,
        inProjBias: this.inProjBias,
        qProjWeight: this.qProjWeight,
        kProjWeight: this.kProjWeight,
        vProjWeight: this.vProjWeight,
        biasK: this.biasK,
        biasV: this.biasV,
        addZeroAttn: this.addZeroAttn,
        dropoutP: this.dropout,
        outProjWeight: this.outProj.weight,
        outProjBias: this.outProj.bias,
        training: this.training,
      },
      a.keyPaddingMask,
      a.needWeights,
      a.attnMask,
      a.averageAttnWeights,
    );
    return [this.batchFirst && batched ? out.transpose(1, 0) : out, w];
  }
}

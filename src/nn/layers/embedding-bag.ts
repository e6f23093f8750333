// EmbeddingBag: sums, averages or maxes bags of embeddings without materialising each lookup,
// as torch.nn.EmbeddingBag, with EmbeddingBag.fromPretrained. Depends on the functional
// embeddingBag, init and Module; never on other layers.

import {
  bool,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { empty } from "../../ops/dispatch.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg, optTensor, tensorArg } from "../functional/args.ts";
import { type BagMode, embeddingBag, wrapPaddingIdx } from "../functional/embedding-bag.ts";
import { normal_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { checkWeight, pyNumber } from "./embedding.ts";

const modeArg = opt(oneOf("sum", "mean", "max"), "mean");

const EMBEDDING_BAG = signature(
  "nn.EmbeddingBag",
  {
    numEmbeddings: int,
    embeddingDim: int,
    maxNorm: opt(nullable(num), null),
    normType: opt(num, 2),
    scaleGradByFreq: opt(bool, false),
    mode: modeArg,
    sparse: opt(bool, false),
    _weight: optTensor,
    includeLastOffset: opt(bool, false),
    paddingIdx: opt(nullable(int), null),
  },
  { dtype: floatDtypeArg },
);

const FROM_PRETRAINED = signature("nn.EmbeddingBag.fromPretrained", {
  embeddings: tensorArg,
  freeze: opt(bool, true),
  maxNorm: opt(nullable(num), null),
  normType: opt(num, 2),
  scaleGradByFreq: opt(bool, false),
  mode: modeArg,
  sparse: opt(bool, false),
  includeLastOffset: opt(bool, false),
  paddingIdx: opt(nullable(int), null),
});

const FORWARD = signature("nn.EmbeddingBag.forward", {
  input: tensorArg,
  offsets: optTensor,
  perSampleWeights: optTensor,
});

/** Options of EmbeddingBag after the sizes; defaults as torch.nn.EmbeddingBag, dtype float32. */
export interface EmbeddingBagOptions {
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: BagMode;
  /** Accepted; the weight's gradient stays dense (PyTorch's sparse gradient densified). */
  sparse?: boolean;
  /** A `[numEmbeddings, embeddingDim]` tensor to use as the weight (not copied, not reset). */
  _weight?: Tensor | null;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
  dtype?: "float32" | "float64";
}

/** Options of `EmbeddingBag.fromPretrained` after the embeddings. */
export interface BagFromPretrainedOptions {
  freeze?: boolean;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  mode?: BagMode;
  sparse?: boolean;
  includeLastOffset?: boolean;
  paddingIdx?: number | null;
}

/**
 * Reduces bags of embeddings: `forward(input [B, N])` or `forward(input [N], offsets [B])` →
 * `[B, embeddingDim]`, each bag summed, averaged (the default) or maxed, as
 * torch.nn.EmbeddingBag(num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
 * scale_grad_by_freq=False, mode='mean', sparse=False, _weight=None, include_last_offset=False,
 * padding_idx=None, *, dtype). weight ~ N(0, 1), the paddingIdx row zero; entries equal to
 * paddingIdx are left out of their bag. See `nn.functional.embeddingBag` for the rules.
 * PyTorch parity: `sparse: true` is accepted but gradients are dense.
 *
 * @example const bag = new nn.EmbeddingBag(10, 3, { mode: "sum" }); bag.call(tensor([1, 2, 4, 5]), tensor([0, 2])); // [2, 3]
 */
export class EmbeddingBag extends Module {
  /** Size of the dictionary: valid indices are 0 to numEmbeddings − 1. */
  readonly numEmbeddings: number;
  /** Size of each embedding vector. */
  readonly embeddingDim: number;
  /** The norm bound of looked-up rows, or null. */
  readonly maxNorm: number | null;
  /** The p of the norm compared with maxNorm (default 2). */
  readonly normType: number;
  /** Whether gradients are divided by each index's frequency in the batch. */
  readonly scaleGradByFreq: boolean;
  /** How a bag is reduced: "sum", "mean" or "max". */
  readonly mode: BagMode;
  /** Whether PyTorch would make the gradient sparse (Kiln's stays dense). */
  readonly sparse: boolean;
  /** Whether `offsets` carries one more entry, the end of the last bag. */
  readonly includeLastOffset: boolean;
  /** The row left out of bags, stays zero and gets no gradient (counted from the end), or null. */
  readonly paddingIdx: number | null;
  /** The table `[numEmbeddings, embeddingDim]`, initialised N(0, 1). */
  weight: Parameter;

  /**
   * Creates the table from `(numEmbeddings, embeddingDim, maxNorm?, normType?, scaleGradByFreq?,
   * mode?, sparse?, _weight?, includeLastOffset?, paddingIdx?)`, positional or as options.
   */
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    ...rest: WithOptions<
      [
        maxNorm: number | null,
        normType: number,
        scaleGradByFreq: boolean,
        mode: BagMode,
        sparse: boolean,
        _weight: Tensor | null,
        includeLastOffset: boolean,
        paddingIdx: number | null,
      ],
      EmbeddingBagOptions
    >
  ) {
    super();
    const o = parseArgs(EMBEDDING_BAG, [numEmbeddings, embeddingDim, ...rest]);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.maxNorm = o.maxNorm;
    this.normType = o.normType;
    this.scaleGradByFreq = o.scaleGradByFreq;
    this.mode = o.mode;
    this.sparse = o.sparse;
    this.includeLastOffset = o.includeLastOffset;
    this.paddingIdx =
      o.paddingIdx === null ? null : wrapPaddingIdx("nn.EmbeddingBag", o.paddingIdx, numEmbeddings);
    if (o._weight === null) {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], o.dtype));
      this.resetParameters();
    } else {
      checkWeight("nn.EmbeddingBag", o._weight, numEmbeddings, embeddingDim);
      this.weight = new Parameter(o._weight);
    }
  }

  /**
   * An EmbeddingBag whose weight is `embeddings [num, dim]` itself (shared), frozen unless
   * `freeze` is false, as torch.nn.EmbeddingBag.from_pretrained(embeddings, freeze=True,
   * max_norm=None, norm_type=2.0, scale_grad_by_freq=False, mode='mean', sparse=False,
   * include_last_offset=False, padding_idx=None).
   */
  static fromPretrained(
    embeddings: Tensor,
    ...rest: WithOptions<
      [
        freeze: boolean,
        maxNorm: number | null,
        normType: number,
        scaleGradByFreq: boolean,
        mode: BagMode,
        sparse: boolean,
        includeLastOffset: boolean,
        paddingIdx: number | null,
      ],
      BagFromPretrainedOptions
    >
  ): EmbeddingBag {
    const o = parseArgs(FROM_PRETRAINED, [embeddings, ...rest]);
    if (embeddings.ndim !== 2) {
      throw new ShapeError(
        `nn.EmbeddingBag.fromPretrained: Embeddings parameter is expected to be 2-dimensional, got ${formatShape(embeddings.shape)}`,
      );
    }
    const [rows, cols] = embeddings.shape as [number, number];
    const { freeze, embeddings: _, ...options } = o;
    const bag = new EmbeddingBag(rows, cols, { ...options, _weight: embeddings });
    bag.weight.requiresGrad_(!freeze);
    return bag;
  }

  /** Refills the weight from N(0, 1) and zeroes the paddingIdx row, as reset_parameters. */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const row = this.paddingIdx;
      noGrad(() => this.weight.select(0, row).fill_(0));
    }
  }

  /**
   * The bag reductions of `input` (`[B, N]`, or `[N]` with `offsets`), each entry weighted by
   * `perSampleWeights` (mode "sum" only), as EmbeddingBag.forward(input, offsets=None,
   * per_sample_weights=None).
   */
  override forward(
    input: Tensor,
    ...rest: WithOptions<
      [offsets: Tensor | null, perSampleWeights: Tensor | null],
      { offsets?: Tensor | null; perSampleWeights?: Tensor | null }
    >
  ): Tensor {
    const a = parseArgs(FORWARD, [input, ...rest]);
    return embeddingBag(input, this.weight, {
      offsets: a.offsets,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      mode: this.mode,
      sparse: this.sparse,
      perSampleWeights: a.perSampleWeights,
      includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx,
    });
  }

  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyNumber(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyNumber(this.normType)}`;
    if (this.scaleGradByFreq) s += ", scale_grad_by_freq=True";
    s += `, mode=${this.mode}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}

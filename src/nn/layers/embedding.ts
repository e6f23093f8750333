// Embedding: a lookup table of learnable rows, with PyTorch's paddingIdx rule.

import {
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
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg, onlyFalse, onlyNull } from "../functional/args.ts";
import { embedding } from "../functional/layers.ts";
import { normal_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";

const EMBEDDING = signature(
  "nn.Embedding",
  {
    numEmbeddings: int,
    embeddingDim: int,
    paddingIdx: opt(nullable(int), null),
    maxNorm: onlyNull("maxNorm is not supported"),
    normType: opt(num, 2),
    scaleGradByFreq: onlyFalse("scaleGradByFreq is not supported"),
    sparse: onlyFalse("sparse gradients are not supported"),
  },
  { dtype: floatDtypeArg },
);

/** Options of Embedding after the sizes; defaults as torch.nn.Embedding, dtype float32. */
export interface EmbeddingOptions {
  paddingIdx?: number | null;
  /** Only null (renormalisation is not supported). */
  maxNorm?: null;
  normType?: number;
  scaleGradByFreq?: false;
  sparse?: false;
  dtype?: "float32" | "float64";
}

/**
 * `weight[input]`: int32 `[*] → [*, embeddingDim]`, as torch.nn.Embedding. weight ~ N(0, 1);
 * row `paddingIdx` starts at zero and receives no gradient. Arguments as
 * torch.nn.Embedding(num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
 * norm_type=2.0, scale_grad_by_freq=False, sparse=False, *, dtype).
 * PyTorch parity: `maxNorm`, `scaleGradByFreq` and `sparse` are accepted only at their defaults;
 * `_weight` is not supported.
 */
export class Embedding extends Module {
  /** Size of the dictionary: valid indices are 0 to numEmbeddings − 1. */
  readonly numEmbeddings: number;
  /** Size of each embedding vector. */
  readonly embeddingDim: number;
  /**
   * The row that stays zero and gets no gradient (a negative argument is stored counted from the
   * end), or null.
   */
  readonly paddingIdx: number | null;
  /** The table `[numEmbeddings, embeddingDim]`, initialised N(0, 1). */
  weight: Parameter;
  /**
   * Creates the table from `(numEmbeddings, embeddingDim, paddingIdx?, maxNorm?, normType?,
   * scaleGradByFreq?, sparse?)`, positional or as options.
   */
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    ...rest: WithOptions<
      [
        paddingIdx: number | null,
        maxNorm: null,
        normType: number,
        scaleGradByFreq: false,
        sparse: false,
      ],
      EmbeddingOptions
    >
  ) {
    super();
    const options = parseArgs(EMBEDDING, [numEmbeddings, embeddingDim, ...rest]);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let p = options.paddingIdx;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings)
        throw new ValueError("Embedding: Padding_idx must be within num_embeddings");
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    this.weight = new Parameter(empty([numEmbeddings, embeddingDim], options.dtype));
    this.resetParameters();
  }
  /**
   * Refills the weight from N(0, 1) and zeroes the paddingIdx row, as PyTorch's reset_parameters.
   */
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const row = this.paddingIdx;
      noGrad(() => this.weight.select(0, row).fill_(0));
    }
  }
  override forward(x: Tensor): Tensor {
    return embedding(x, this.weight, this.paddingIdx);
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}

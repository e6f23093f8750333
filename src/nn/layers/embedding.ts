// Embedding: a lookup table of learnable rows, with PyTorch's paddingIdx, maxNorm and
// scaleGradByFreq rules, and Embedding.fromPretrained. Depends on nn's functional forms, init
// and Module; never on other layers.

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
import { ShapeError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { empty } from "../../ops/dispatch.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg, optTensor, tensorArg } from "../functional/args.ts";
import { wrapPaddingIdx } from "../functional/embedding-bag.ts";
import { embedding } from "../functional/layers.ts";
import { normal_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyFloat } from "../repr.ts";

const EMBEDDING = signature(
  "nn.Embedding",
  {
    numEmbeddings: int,
    embeddingDim: int,
    paddingIdx: opt(nullable(int), null),
    maxNorm: opt(nullable(num), null),
    normType: opt(num, 2),
    scaleGradByFreq: opt(bool, false),
    sparse: opt(bool, false),
    _weight: optTensor,
  },
  { dtype: floatDtypeArg },
);

const FROM_PRETRAINED = signature("nn.Embedding.fromPretrained", {
  embeddings: tensorArg,
  freeze: opt(bool, true),
  paddingIdx: opt(nullable(int), null),
  maxNorm: opt(nullable(num), null),
  normType: opt(num, 2),
  scaleGradByFreq: opt(bool, false),
  sparse: opt(bool, false),
});

/** Options of Embedding after the sizes; defaults as torch.nn.Embedding, dtype float32. */
export interface EmbeddingOptions {
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  /** Accepted; the weight's gradient stays dense (PyTorch's sparse gradient densified). */
  sparse?: boolean;
  /** A `[numEmbeddings, embeddingDim]` tensor to use as the weight (not copied, not reset). */
  _weight?: Tensor | null;
  dtype?: "float32" | "float64";
}

/** Options of `Embedding.fromPretrained` after the embeddings. */
export interface FromPretrainedOptions {
  freeze?: boolean;
  paddingIdx?: number | null;
  maxNorm?: number | null;
  normType?: number;
  scaleGradByFreq?: boolean;
  sparse?: boolean;
}

/**
 * `weight[input]`: int32 `[*] → [*, embeddingDim]`, as torch.nn.Embedding(num_embeddings,
 * embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
 * sparse=False, _weight=None, *, dtype). weight ~ N(0, 1); row `paddingIdx` starts at zero and
 * receives no gradient. With `maxNorm`, each forward first rescales in place the looked-up rows
 * whose normType-norm exceeds it; with `scaleGradByFreq`, gradients are divided by the index's
 * count in the batch.
 * PyTorch parity: `sparse: true` is accepted and shown in the repr, but the gradient is a dense
 * tensor holding the same values (optimizers that refuse sparse gradients in PyTorch accept it).
 *
 * @example const emb = new nn.Embedding(10, 3, { paddingIdx: 0 }); emb.call(tensor([[1, 0, 4]])); // [1, 3, 3]
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
  /** The norm bound of looked-up rows, or null. */
  readonly maxNorm: number | null;
  /** The p of the norm compared with maxNorm (default 2). */
  readonly normType: number;
  /** Whether gradients are divided by each index's frequency in the batch. */
  readonly scaleGradByFreq: boolean;
  /** Whether PyTorch would make the gradient sparse (Kiln's stays dense). */
  readonly sparse: boolean;
  /** The table `[numEmbeddings, embeddingDim]`, initialised N(0, 1). */
  weight: Parameter;
  /**
   * Creates the table from `(numEmbeddings, embeddingDim, paddingIdx?, maxNorm?, normType?,
   * scaleGradByFreq?, sparse?, _weight?)`, positional or as options.
   */
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    ...rest: WithOptions<
      [
        paddingIdx: number | null,
        maxNorm: number | null,
        normType: number,
        scaleGradByFreq: boolean,
        sparse: boolean,
        _weight: Tensor | null,
      ],
      EmbeddingOptions
    >
  ) {
    super();
    const o = parseArgs(EMBEDDING, [numEmbeddings, embeddingDim, ...rest]);
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx =
      o.paddingIdx === null ? null : wrapPaddingIdx("nn.Embedding", o.paddingIdx, numEmbeddings);
    this.maxNorm = o.maxNorm;
    this.normType = o.normType;
    this.scaleGradByFreq = o.scaleGradByFreq;
    this.sparse = o.sparse;
    if (o._weight === null) {
      this.weight = new Parameter(empty([numEmbeddings, embeddingDim], o.dtype));
      this.resetParameters();
    } else {
      checkWeight("nn.Embedding", o._weight, numEmbeddings, embeddingDim);
      this.weight = new Parameter(o._weight);
    }
  }

  /**
   * An Embedding whose weight is `embeddings [num, dim]` itself (shared, not copied), frozen
   * (requiresGrad false) unless `freeze` is false, as torch.nn.Embedding.from_pretrained(
   * embeddings, freeze=True, padding_idx=None, max_norm=None, norm_type=2.0,
   * scale_grad_by_freq=False, sparse=False). The paddingIdx row is kept as given.
   */
  static fromPretrained(
    embeddings: Tensor,
    ...rest: WithOptions<
      [
        freeze: boolean,
        paddingIdx: number | null,
        maxNorm: number | null,
        normType: number,
        scaleGradByFreq: boolean,
        sparse: boolean,
      ],
      FromPretrainedOptions
    >
  ): Embedding {
    const o = parseArgs(FROM_PRETRAINED, [embeddings, ...rest]);
    if (embeddings.ndim !== 2) {
      throw new ShapeError(
        `nn.Embedding.fromPretrained: Embeddings parameter is expected to be 2-dimensional, got ${formatShape(embeddings.shape)}`,
      );
    }
    const [rows, cols] = embeddings.shape as [number, number];
    const e = new Embedding(rows, cols, {
      _weight: embeddings,
      paddingIdx: o.paddingIdx,
      maxNorm: o.maxNorm,
      normType: o.normType,
      scaleGradByFreq: o.scaleGradByFreq,
      sparse: o.sparse,
    });
    e.weight.requiresGrad_(!o.freeze);
    return e;
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
    return embedding(x, this.weight, {
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      scaleGradByFreq: this.scaleGradByFreq,
      sparse: this.sparse,
    });
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    if (this.maxNorm !== null) s += `, max_norm=${pyNumber(this.maxNorm)}`;
    if (this.normType !== 2) s += `, norm_type=${pyNumber(this.normType)}`;
    if (this.scaleGradByFreq) s += ", scale_grad_by_freq=True";
    if (this.sparse) s += ", sparse=True";
    return s;
  }
}

/** A float option as PyTorch's repr shows it: `1.0`, `1.5`, `inf`. */
export function pyNumber(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return "inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  return pyFloat(x);
}

/** Throws unless `w` is `[num, dim]`, as PyTorch's "Shape of weight does not match" assert. */
export function checkWeight(op: string, w: Tensor, num: number, dim: number): void {
  if (w.ndim !== 2 || w.shape[0] !== num || w.shape[1] !== dim) {
    throw new ShapeError(
      `${op}: Shape of weight does not match num_embeddings and embedding_dim: got ${formatShape(w.shape)}, expected [${num}, ${dim}]`,
    );
  }
}

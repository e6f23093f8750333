// Embedding: a lookup table of learnable rows, with PyTorch's paddingIdx rule.

import { ValueError } from "../../core/errors.ts";
import { empty } from "../../ops/dispatch.ts";
import { noGrad } from "../../tensor/graph.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { embedding } from "../functional/layers.ts";
import { normal_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";

/**
 * `weight[input]`: int32 `[*] → [*, embeddingDim]`, as torch.nn.Embedding. weight ~ N(0, 1);
 * row `paddingIdx` starts at zero and receives no gradient.
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  weight: Parameter;
  constructor(
    numEmbeddings: number,
    embeddingDim: number,
    options: { paddingIdx?: number | null; dtype?: "float32" | "float64" } = {},
  ) {
    super();
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let p = options.paddingIdx ?? null;
    if (p !== null) {
      if (p >= numEmbeddings || p < -numEmbeddings)
        throw new ValueError("Embedding: Padding_idx must be within num_embeddings");
      if (p < 0) p += numEmbeddings;
    }
    this.paddingIdx = p;
    this.weight = new Parameter(empty([numEmbeddings, embeddingDim], options.dtype ?? "float32"));
    this.resetParameters();
  }
  resetParameters(): void {
    normal_(this.weight);
    if (this.paddingIdx !== null) {
      const row = this.paddingIdx;
      noGrad(() => this.weight.select(0, row).fill_(0));
    }
  }
  override forward(x: Tensor): Tensor {
    return embedding(x, this.weight, { paddingIdx: this.paddingIdx });
  }
  override extraRepr(): string {
    let s = `${this.numEmbeddings}, ${this.embeddingDim}`;
    if (this.paddingIdx !== null) s += `, padding_idx=${this.paddingIdx}`;
    return s;
  }
}

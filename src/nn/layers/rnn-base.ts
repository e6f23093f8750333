// RNNBase, the shared machinery of nn.RNN, nn.LSTM and nn.GRU: PyTorch's parameter names,
// layouts, registration order, init and repr, and the forward over padded, unbatched or packed
// input with initial states. The math lives in rnn-ops.ts; the public classes in rnn.ts.
// Depends on nn/module, nn/rnn-utils and below; never on other layers.

import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { empty } from "../../ops/dispatch.ts";
import { cat, stack } from "../../ops/movement.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { dropout } from "../functional/layers.ts";
import { uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool, pyFloat } from "../repr.ts";
import { PackedSequence } from "../rnn-utils.ts";
import {
  type CellWeights,
  gateCount,
  type RNNMode,
  runDirection,
  type State,
  splitWithSizes,
  zeroState,
} from "./rnn-ops.ts";

/** Options of RNN, LSTM and GRU after the sizes; defaults as PyTorch's RNNBase. */
export interface RNNBaseOptions {
  numLayers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  dropout?: number;
  bidirectional?: boolean;
  dtype?: "float32" | "float64";
}

/** The parsed constructor arguments every recurrent layer shares. */
export interface BaseArgs {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bias: boolean;
  batchFirst: boolean;
  dropout: number;
  bidirectional: boolean;
  projSize: number;
  dtype: "float32" | "float64";
}

/** What `run` returns: the output (tensor or packed) and the final states `[L·D, B, ·]`. */
interface RunResult {
  output: Tensor | PackedSequence;
  h: Tensor;
  c: Tensor | null;
}

/**
 * The base of RNN, LSTM and GRU, as torch.nn.RNNBase: parameters `weight_ih_l{k}{suffix}`,
 * `weight_hh_l{k}{suffix}`, `bias_ih_l{k}{suffix}`, `bias_hh_l{k}{suffix}` (and LSTM's
 * `weight_hr_l{k}{suffix}`), suffix `_reverse` for the second direction, registered in PyTorch's
 * order; all ~ U(−1/√hiddenSize, 1/√hiddenSize).
 */
export abstract class RNNBase<Out> extends Module<Out> {
  /** "RNN_TANH", "RNN_RELU", "LSTM" or "GRU". */
  readonly mode: RNNMode;
  /** Features of each input step. */
  readonly inputSize: number;
  /** Features of the hidden state h (of the cell state c with a projection). */
  readonly hiddenSize: number;
  /** Stacked recurrent layers (default 1). */
  readonly numLayers: number;
  /** Whether the layers have b_ih and b_hh (default true). */
  readonly bias: boolean;
  /** Whether input and output are `[B, T, ·]` instead of `[T, B, ·]` (default false). */
  readonly batchFirst: boolean;
  /** Dropout probability on the outputs of every layer but the last, in training (default 0). */
  readonly dropout: number;
  /** Whether each layer also runs backwards in time (default false). */
  readonly bidirectional: boolean;
  /** LSTM projection size, 0 for none. */
  readonly projSize: number;
  /** The parameter names of each layer and direction, as PyTorch's `_all_weights`. */
  readonly allWeightNames: readonly (readonly string[])[];
  /** The parameters by PyTorch's names (`lstm.weight_ih_l0`, `gru.bias_hh_l1_reverse`). */
  [name: `weight_${string}` | `bias_${string}`]: Parameter;

  protected constructor(mode: RNNMode, op: string, a: BaseArgs) {
    super();
    if (!(a.dropout >= 0 && a.dropout <= 1)) {
      throw new ValueError(
        `${op}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${a.dropout}`,
      );
    }
    if (a.dropout > 0 && a.numLayers === 1) {
      process.emitWarning(
        `${op}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects numLayers greater than 1, but got dropout=${a.dropout} and numLayers=${a.numLayers}`,
      );
    }
    if (a.inputSize < 0 || a.hiddenSize < 0 || a.numLayers < 1) {
      throw new ValueError(
        `${op}: inputSize and hiddenSize must be >= 0 and numLayers >= 1, got ${a.inputSize}, ${a.hiddenSize}, ${a.numLayers}`,
      );
    }
    if (a.projSize < 0) {
      throw new ValueError(
        `${op}: proj_size should be a positive integer or zero to disable projections`,
      );
    }
    if (a.projSize > 0 && a.projSize >= a.hiddenSize) {
      throw new ValueError(`${op}: proj_size has to be smaller than hidden_size`);
    }
    this.mode = mode;
    this.inputSize = a.inputSize;
    this.hiddenSize = a.hiddenSize;
    this.numLayers = a.numLayers;
    this.bias = a.bias;
    this.batchFirst = a.batchFirst;
    this.dropout = a.dropout;
    this.bidirectional = a.bidirectional;
    this.projSize = a.projSize;
    const G = gateCount(mode) * a.hiddenSize;
    const hOut = a.projSize > 0 ? a.projSize : a.hiddenSize;
    const D = a.bidirectional ? 2 : 1;
    const all: string[][] = [];
    for (let l = 0; l < a.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
        const shapes: [string, number[]][] = [
          [`weight_ih${sfx}`, [G, l === 0 ? a.inputSize : hOut * D]],
          [`weight_hh${sfx}`, [G, hOut]],
        ];
        if (a.bias) shapes.push([`bias_ih${sfx}`, [G]], [`bias_hh${sfx}`, [G]]);
        if (a.projSize > 0) shapes.push([`weight_hr${sfx}`, [a.projSize, a.hiddenSize]]);
        for (const [name, shape] of shapes) {
          this.registerParameter(name, new Parameter(empty(shape, a.dtype)));
        }
        all.push(shapes.map(([name]) => name));
      }
    }
    this.allWeightNames = all;
    this.resetParameters();
  }

  /** PyTorch's reset_parameters: every parameter ~ U(−1/√hiddenSize, 1/√hiddenSize), in order. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /** The parameters of each layer and direction, as PyTorch's `all_weights`. */
  get allWeights(): Parameter[][] {
    return this.allWeightNames.map((names) => names.map((n) => this[n as `weight_${string}`]!));
  }

  /**
   * Does nothing. PyTorch's flatten_parameters packs the weights into one cuDNN buffer on CUDA
   * and is a no-op on CPU, Kiln's only device; it exists so that ported code runs unchanged.
   */
  flattenParameters(): void {}

  #weights(l: number, d: number): CellWeights {
    const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
    const get = (n: string) =>
      (this as unknown as Record<string, Parameter | undefined>)[n] ?? null;
    return {
      wIh: get(`weight_ih${sfx}`) as Tensor,
      wHh: get(`weight_hh${sfx}`) as Tensor,
      bIh: this.bias ? get(`bias_ih${sfx}`) : null,
      bHh: this.bias ? get(`bias_hh${sfx}`) : null,
      wHr: this.projSize > 0 ? get(`weight_hr${sfx}`) : null,
    };
  }

  /**
   * The shared forward: input `[T, B, in]` / `[B, T, in]` / unbatched `[T, in]` / packed, initial
   * states `[L·D, B, ·]` (unbatched `[L·D, ·]`) or null for zeros.
   */
  protected run(input: Tensor | PackedSequence, h0: Tensor | null, c0: Tensor | null): RunResult {
    const name = this.constructor.name;
    const D = this.bidirectional ? 2 : 1;
    const hOut = this.projSize > 0 ? this.projSize : this.hiddenSize;
    const lstm = this.mode === "LSTM";
    let data: Tensor;
    let batchSizes: number[];
    let batched = true;
    let T = 0;
    if (input instanceof PackedSequence) {
      data = input.data;
      if (data.ndim !== 2) {
        throw new ShapeError(
          `${name}: input must have 2 dimensions, got ${data.ndim} (packed data ${formatShape(data.shape)})`,
        );
      }
      batchSizes = input.batchSizeList();
      if (input.sortedIndices !== null && h0 !== null && h0.ndim === 3) {
        h0 = h0?.indexSelect(1, input.sortedIndices) ?? null;
      }
      if (input.sortedIndices !== null && c0 !== null && c0.ndim === 3) {
        c0 = c0.indexSelect(1, input.sortedIndices);
      }
    } else {
      if (input.ndim !== 2 && input.ndim !== 3) {
        throw new ShapeError(
          `${name}: Expected input to be 2-D or 3-D but received ${input.ndim}-D tensor (shape ${formatShape(input.shape)})`,
        );
      }
      batched = input.ndim === 3;
      const stateDims = batched ? 3 : 2;
      if ((h0 !== null && h0.ndim !== stateDims) || (c0 !== null && c0.ndim !== stateDims)) {
        const got = lstm ? `(${h0?.ndim}-D, ${c0?.ndim}-D) tensors` : `${h0?.ndim}-D tensor`;
        throw new ShapeError(
          `${name}: For ${batched ? "batched 3-D" : "unbatched 2-D"} input, ${lstm ? "hx and cx" : "hx"} should also be ${stateDims}-D but got ${got}`,
        );
      }
      if (!batched) {
        h0 = h0?.unsqueeze(1) ?? null;
        c0 = c0?.unsqueeze(1) ?? null;
      }
      let x = batched ? input : input.unsqueeze(this.batchFirst ? 0 : 1);
      if (this.batchFirst) x = x.transpose(0, 1);
      T = x.shape[0]!;
      const B = x.shape[1]!;
      data = x.reshape([T * B, x.shape[2]!]);
      batchSizes = new Array<number>(T).fill(B);
    }
    if (data.shape[1] !== this.inputSize) {
      throw new ShapeError(
        `${name}: input.size(-1) must be equal to input_size. Expected ${this.inputSize}, got ${data.shape[1]}`,
      );
    }
    const w0 = this.#weights(0, 0).wIh;
    if (data.dtype !== w0.dtype) {
      throw new DTypeError(
        `${name}: input dtype ${data.dtype} does not match the parameters' dtype ${w0.dtype} (convert one with .to(dtype))`,
      );
    }
    const B = batchSizes[0] ?? 0;
    const check = (t: Tensor | null, which: string, size: number) => {
      if (t === null) return;
      const want = [this.numLayers * D, B, size];
      if (t.ndim !== 3 || t.shape.some((v, i) => v !== want[i])) {
        throw new ShapeError(
          `${name}: Expected ${which} size (${want.join(", ")}), got [${t.shape.join(", ")}]`,
        );
      }
    };
    check(h0, lstm ? "hidden[0]" : "hidden", hOut);
    check(c0, "hidden[1]", this.hiddenSize);
    const hs = h0 === null ? null : splitWithSizes(h0, new Array(this.numLayers * D).fill(1), 0);
    const cs = c0 === null ? null : splitWithSizes(c0, new Array(this.numLayers * D).fill(1), 0);
    const lastH: Tensor[] = [];
    const lastC: Tensor[] = [];
    let layerInput = data;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = l * D + d;
        const init: State =
          hs === null
            ? zeroState(this.mode, B, hOut, this.hiddenSize, data.dtype)
            : {
                h: hs[k]!.reshape([B, hOut]),
                c: lstm ? (cs as Tensor[])[k]!.reshape([B, this.hiddenSize]) : null,
              };
        const r = runDirection(
          this.mode,
          this.#weights(l, d),
          layerInput,
          batchSizes,
          init,
          d === 1,
        );
        outs.push(r.output);
        lastH.push(r.last.h);
        if (r.last.c !== null) lastC.push(r.last.c);
      }
      layerInput = D === 1 ? outs[0]! : cat(outs, 1);
      if (this.dropout > 0 && this.training && l < this.numLayers - 1) {
        layerInput = dropout(layerInput, this.dropout, true);
      }
    }
    let h = stack(lastH);
    let c = lstm ? stack(lastC) : null;
    if (input instanceof PackedSequence) {
      const out = new PackedSequence(
        layerInput,
        input.batchSizes,
        input.sortedIndices,
        input.unsortedIndices,
      );
      if (input.unsortedIndices !== null) {
        h = h.indexSelect(1, input.unsortedIndices);
        c = c?.indexSelect(1, input.unsortedIndices) ?? null;
      }
      return { output: out, h, c };
    }
    let output = layerInput.reshape([T, B, D * hOut]);
    if (this.batchFirst) output = output.transpose(0, 1);
    if (!batched) {
      output = output.squeeze(this.batchFirst ? 0 : 1);
      h = h.squeeze(1);
      c = c?.squeeze(1) ?? null;
    }
    return { output, h, c };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize !== 0) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.batchFirst) s += `, batch_first=${pyBool(this.batchFirst)}`;
    if (this.dropout !== 0) s += `, dropout=${pyFloat(this.dropout)}`;
    if (this.bidirectional) s += `, bidirectional=${pyBool(this.bidirectional)}`;
    return s;
  }
}

// nn.RNN, nn.LSTM and nn.GRU: argument parsing in PyTorch's order and the forward signatures;
// everything else is RNNBase's (rnn-base.ts). Depends on nn/module, nn/rnn-utils and below.

import {
  bool,
  int,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg } from "../functional/args.ts";
import type { PackedSequence } from "../rnn-utils.ts";
import { RNNBase, type RNNBaseOptions } from "./rnn-base.ts";

export { RNNBase, type RNNBaseOptions } from "./rnn-base.ts";

/** Options of nn.RNN: RNNBaseOptions plus the nonlinearity. */
export interface RNNOptions extends RNNBaseOptions {
  nonlinearity?: "tanh" | "relu";
}
/** Options of nn.LSTM: RNNBaseOptions plus the projection size. */
export interface LSTMOptions extends RNNBaseOptions {
  projSize?: number;
}

const common = {
  bias: opt(bool, true),
  batchFirst: opt(bool, false),
  dropout: opt(num, 0),
  bidirectional: opt(bool, false),
};
const sizes = { inputSize: int, hiddenSize: int, numLayers: opt(int, 1) };
const RNN_SIG = signature(
  "nn.RNN",
  { ...sizes, nonlinearity: opt(oneOf("tanh", "relu"), "tanh"), ...common },
  { dtype: floatDtypeArg, projSize: opt(unchecked) },
);
const LSTM_SIG = signature(
  "nn.LSTM",
  { ...sizes, ...common, projSize: opt(int, 0) },
  { dtype: floatDtypeArg },
);
const GRU_SIG = signature(
  "nn.GRU",
  { ...sizes, ...common },
  { dtype: floatDtypeArg, projSize: opt(unchecked) },
);

function noProj(op: string, projSize: unknown): void {
  if (projSize !== undefined) {
    throw new ValueError(`${op}: proj_size argument is only supported for LSTM, not RNN or GRU`);
  }
}

/** The output of RNN and GRU: `[output, hN]`; output packed when the input is. */
export type RNNOutput<I> = [I, Tensor];
/** The output of LSTM: `[output, [hN, cN]]`. */
export type LSTMOutput<I> = [I, [Tensor, Tensor]];

/**
 * Multi-layer Elman RNN, h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh) (or relu), as
 * torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
 * batch_first=False, dropout=0.0, bidirectional=False). `forward(x [T, B, in], h0?
 * [L·D, B, H])` → `[output [T, B, D·H], hN [L·D, B, H]]`; unbatched `[T, in]` and PackedSequence
 * inputs as PyTorch's.
 *
 * PyTorch parity: positional order as the documentation (nonlinearity 4th, as PyTorch ≥ 2.0 binds
 * it; 1.13 took it by keyword only). Parameters ~ U(−1/√H, 1/√H).
 *
 * @example const rnn = new nn.RNN(10, 20, 2); const [out, hN] = rnn.forward(randn(5, 3, 10));
 */
export class RNN extends RNNBase<RNNOutput<Tensor | PackedSequence>> {
  /** "tanh" or "relu". */
  readonly nonlinearity: "tanh" | "relu";
  /**
   * Creates the layer from `(inputSize, hiddenSize, numLayers?, nonlinearity?, bias?,
   * batchFirst?, dropout?, bidirectional?)`, positional or as options, plus keyword-only `dtype`.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...rest: WithOptions<
      [
        numLayers: number,
        nonlinearity: "tanh" | "relu",
        bias: boolean,
        batchFirst: boolean,
        dropout: number,
        bidirectional: boolean,
      ],
      RNNOptions
    >
  ) {
    const a = parseArgs(RNN_SIG, [inputSize, hiddenSize, ...rest]);
    noProj("nn.RNN", a.projSize);
    super(a.nonlinearity === "relu" ? "RNN_RELU" : "RNN_TANH", "nn.RNN", { ...a, projSize: 0 });
    this.nonlinearity = a.nonlinearity;
  }

  /** Runs the layers over `input`, from `hx` or zeros. */
  override forward(input: Tensor, hx?: Tensor | null): RNNOutput<Tensor>;
  override forward(input: PackedSequence, hx?: Tensor | null): RNNOutput<PackedSequence>;
  override forward(
    input: Tensor | PackedSequence,
    hx?: Tensor | null,
  ): RNNOutput<Tensor | PackedSequence>;
  override forward(
    input: Tensor | PackedSequence,
    hx: Tensor | null = null,
  ): RNNOutput<Tensor | PackedSequence> {
    const r = this.run(input, hx, null);
    return [r.output, r.h];
  }
}

/**
 * Multi-layer GRU (gates r, z, n; h' = (1 − z) ⊙ n + z ⊙ h), as torch.nn.GRU(input_size,
 * hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False).
 * Shapes and outputs as RNN's; weights `[3H, ·]` in the order r, z, n.
 *
 * @example const gru = new nn.GRU(10, 20, { batchFirst: true }); const [out, hN] = gru.forward(x);
 */
export class GRU extends RNNBase<RNNOutput<Tensor | PackedSequence>> {
  /**
   * Creates the layer from `(inputSize, hiddenSize, numLayers?, bias?, batchFirst?, dropout?,
   * bidirectional?)`, positional or as options, plus keyword-only `dtype`.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...rest: WithOptions<
      [
        numLayers: number,
        bias: boolean,
        batchFirst: boolean,
        dropout: number,
        bidirectional: boolean,
      ],
      RNNBaseOptions
    >
  ) {
    const a = parseArgs(GRU_SIG, [inputSize, hiddenSize, ...rest]);
    noProj("nn.GRU", a.projSize);
    super("GRU", "nn.GRU", { ...a, projSize: 0 });
  }

  /** Runs the layers over `input`, from `hx` or zeros. */
  override forward(input: Tensor, hx?: Tensor | null): RNNOutput<Tensor>;
  override forward(input: PackedSequence, hx?: Tensor | null): RNNOutput<PackedSequence>;
  override forward(
    input: Tensor | PackedSequence,
    hx?: Tensor | null,
  ): RNNOutput<Tensor | PackedSequence>;
  override forward(
    input: Tensor | PackedSequence,
    hx: Tensor | null = null,
  ): RNNOutput<Tensor | PackedSequence> {
    const r = this.run(input, hx, null);
    return [r.output, r.h];
  }
}

/**
 * Multi-layer LSTM (gates i, f, g, o; c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'), then h' W_hrᵀ with
 * a projection), as torch.nn.LSTM(input_size, hidden_size, num_layers=1, bias=True,
 * batch_first=False, dropout=0.0, bidirectional=False, proj_size=0). `forward(x, [h0, c0]?)` →
 * `[output [T, B, D·Hout], [hN [L·D, B, Hout], cN [L·D, B, H]]]`, Hout = projSize || H.
 *
 * @example const lstm = new nn.LSTM(10, 20, 2); const [out, [hN, cN]] = lstm.forward(x, [h0, c0]);
 */
export class LSTM extends RNNBase<LSTMOutput<Tensor | PackedSequence>> {
  /**
   * Creates the layer from `(inputSize, hiddenSize, numLayers?, bias?, batchFirst?, dropout?,
   * bidirectional?, projSize?)`, positional or as options, plus keyword-only `dtype`.
   */
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...rest: WithOptions<
      [
        numLayers: number,
        bias: boolean,
        batchFirst: boolean,
        dropout: number,
        bidirectional: boolean,
        projSize: number,
      ],
      LSTMOptions
    >
  ) {
    const a = parseArgs(LSTM_SIG, [inputSize, hiddenSize, ...rest]);
    super("LSTM", "nn.LSTM", a);
  }

  /** Runs the layers over `input`, from `hx = [h0, c0]` or zeros. */
  override forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): LSTMOutput<Tensor>;
  override forward(
    input: PackedSequence,
    hx?: readonly [Tensor, Tensor] | null,
  ): LSTMOutput<PackedSequence>;
  override forward(
    input: Tensor | PackedSequence,
    hx?: readonly [Tensor, Tensor] | null,
  ): LSTMOutput<Tensor | PackedSequence>;
  override forward(
    input: Tensor | PackedSequence,
    hx: readonly [Tensor, Tensor] | null = null,
  ): LSTMOutput<Tensor | PackedSequence> {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ValueError("LSTM: hx must be an array [h0, c0] of two tensors");
    }
    const r = this.run(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [r.output, [r.h, r.c as Tensor]];
  }
}

// nn.RNNCell, nn.LSTMCell and nn.GRUCell: one time step of each recurrent cell, with PyTorch's
// parameter names (weight_ih, weight_hh, bias_ih, bias_hh), init, argument order and repr.
// The step math is rnn-ops.ts's, shared with nn.RNN/LSTM/GRU. Depends on nn/module and below.

import { bool, int, oneOf, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { DTypeError, ShapeError, ValueError } from "../../core/errors.ts";
import { formatShape } from "../../core/shape.ts";
import { empty } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg } from "../functional/args.ts";
import { linear } from "../functional/layers.ts";
import { uniform_ } from "../init.ts";
import { Module } from "../module.ts";
import { Parameter } from "../parameter.ts";
import { pyBool } from "../repr.ts";
import { cellStep, gateCount, type RNNMode, type State, zeroState } from "./rnn-ops.ts";

const cellSig = (op: string) =>
  signature(
    op,
    { inputSize: int, hiddenSize: int, bias: opt(bool, true) },
    { dtype: floatDtypeArg },
  );
const LSTM_CELL = cellSig("nn.LSTMCell");
const GRU_CELL = cellSig("nn.GRUCell");
const RNN_CELL = signature(
  "nn.RNNCell",
  {
    inputSize: int,
    hiddenSize: int,
    bias: opt(bool, true),
    nonlinearity: opt(oneOf("tanh", "relu"), "tanh"),
  },
  { dtype: floatDtypeArg },
);

/** Options of the cells after the sizes; defaults bias true, dtype float32. */
export interface RNNCellOptions {
  bias?: boolean;
  dtype?: "float32" | "float64";
}

/**
 * The base of the cells, as torch.nn.RNNCellBase: `weight_ih [gates·H, in]`,
 * `weight_hh [gates·H, H]`, `bias_ih`, `bias_hh [gates·H]` (null without bias), all
 * ~ U(−1/√H, 1/√H).
 */
export abstract class RNNCellBase<Out> extends Module<Out> {
  /** Features of the input. */
  readonly inputSize: number;
  /** Features of the hidden state. */
  readonly hiddenSize: number;
  /** Whether the cell has b_ih and b_hh (default true). */
  readonly bias: boolean;
  /** `[gates·H, inputSize]` */
  weight_ih: Parameter;
  /** `[gates·H, hiddenSize]` */
  weight_hh: Parameter;
  /** `[gates·H]`, or null without bias. */
  bias_ih: Parameter | null;
  /** `[gates·H]`, or null without bias. */
  bias_hh: Parameter | null;
  /** The cell's kind. */
  readonly mode: RNNMode;

  protected constructor(
    mode: RNNMode,
    a: { inputSize: number; hiddenSize: number; bias: boolean; dtype: "float32" | "float64" },
  ) {
    super();
    this.mode = mode;
    this.inputSize = a.inputSize;
    this.hiddenSize = a.hiddenSize;
    this.bias = a.bias;
    const G = gateCount(mode) * a.hiddenSize;
    this.weight_ih = new Parameter(empty([G, a.inputSize], a.dtype));
    this.weight_hh = new Parameter(empty([G, a.hiddenSize], a.dtype));
    if (a.bias) {
      this.bias_ih = new Parameter(empty([G], a.dtype));
      this.bias_hh = new Parameter(empty([G], a.dtype));
    } else {
      this.bias_ih = null;
      this.bias_hh = null;
      this.registerParameter("bias_ih", null);
      this.registerParameter("bias_hh", null);
    }
    this.resetParameters();
  }

  /** PyTorch's reset_parameters: every parameter ~ U(−1/√hiddenSize, 1/√hiddenSize), in order. */
  resetParameters(): void {
    const stdv = this.hiddenSize > 0 ? 1 / Math.sqrt(this.hiddenSize) : 0;
    for (const p of this.parameters()) uniform_(p, -stdv, stdv);
  }

  /**
   * One step: input `[B, in]` or `[in]`, states `[B, H]` or `[H]` (zeros when null); returns the
   * new states in the input's batchedness.
   */
  protected step(input: Tensor, h: Tensor | null, c: Tensor | null): State {
    const name = this.constructor.name;
    if (input.ndim !== 1 && input.ndim !== 2) {
      throw new ShapeError(
        `${name}: Expected input to be 1-D or 2-D but received ${input.ndim}-D tensor (shape ${formatShape(input.shape)})`,
      );
    }
    const batched = input.ndim === 2;
    const x = batched ? input : input.unsqueeze(0);
    if (x.shape[1] !== this.inputSize) {
      throw new ShapeError(
        `${name}: input has inconsistent input_size: got ${x.shape[1]} expected ${this.inputSize}`,
      );
    }
    if (x.dtype !== this.weight_ih.dtype) {
      throw new DTypeError(
        `${name}: input dtype ${x.dtype} does not match the parameters' dtype ${this.weight_ih.dtype}`,
      );
    }
    const B = x.shape[0]!;
    const prep = (t: Tensor | null, which: string): Tensor | null => {
      if (t === null) return null;
      if (t.ndim !== input.ndim) {
        throw new ShapeError(
          `${name}: ${which} must be ${input.ndim}-D like the input, got shape ${formatShape(t.shape)}`,
        );
      }
      const u = batched ? t : t.unsqueeze(0);
      if (u.shape[0] !== B) {
        throw new ShapeError(
          `${name}: Input batch size ${B} doesn't match ${which} batch size ${u.shape[0]}`,
        );
      }
      if (u.shape[1] !== this.hiddenSize) {
        throw new ShapeError(
          `${name}: ${which} has inconsistent hidden_size: got ${u.shape[1]}, expected ${this.hiddenSize}`,
        );
      }
      return u;
    };
    const h0 = prep(h, "hidden0");
    const c0 = prep(c, "hidden1");
    const zero = zeroState(this.mode, B, this.hiddenSize, this.hiddenSize, x.dtype);
    const w = {
      wIh: this.weight_ih,
      wHh: this.weight_hh,
      bIh: this.bias_ih,
      bHh: this.bias_hh,
      wHr: null,
    };
    const st = cellStep(this.mode, w, linear(x, w.wIh, w.bIh), {
      h: h0 ?? zero.h,
      c: this.mode === "LSTM" ? (c0 ?? zero.c) : null,
    });
    if (batched) return st;
    return { h: st.h.squeeze(0), c: st.c === null ? null : st.c.squeeze(0) };
  }

  override extraRepr(): string {
    let s = `${this.inputSize}, ${this.hiddenSize}`;
    if (!this.bias) s += `, bias=${pyBool(this.bias)}`;
    if (this.mode === "RNN_RELU") s += ", nonlinearity=relu";
    return s;
  }
}

/**
 * One Elman RNN step h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu), as
 * torch.nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh').
 * `forward(x [B, in] | [in], h? [B, H] | [H])` → h'.
 *
 * @example const cell = new nn.RNNCell(10, 20); let h = cell.forward(x0); h = cell.forward(x1, h);
 */
export class RNNCell extends RNNCellBase<Tensor> {
  /** "tanh" or "relu". */
  readonly nonlinearity: "tanh" | "relu";
  /** Creates the cell from `(inputSize, hiddenSize, bias?, nonlinearity?)`, positional or as options. */
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...rest: WithOptions<
      [bias: boolean, nonlinearity: "tanh" | "relu"],
      RNNCellOptions & { nonlinearity?: "tanh" | "relu" }
    >
  ) {
    const a = parseArgs(RNN_CELL, [inputSize, hiddenSize, ...rest]);
    super(a.nonlinearity === "relu" ? "RNN_RELU" : "RNN_TANH", a);
    this.nonlinearity = a.nonlinearity;
  }
  override forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(input, hx, null).h;
  }
}

/**
 * One GRU step, as torch.nn.GRUCell(input_size, hidden_size, bias=True):
 * `forward(x [B, in] | [in], h? [B, H] | [H])` → h'.
 */
export class GRUCell extends RNNCellBase<Tensor> {
  /** Creates the cell from `(inputSize, hiddenSize, bias?)`, positional or as options. */
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...rest: WithOptions<[bias: boolean], RNNCellOptions>
  ) {
    super("GRU", parseArgs(GRU_CELL, [inputSize, hiddenSize, ...rest]));
  }
  override forward(input: Tensor, hx: Tensor | null = null): Tensor {
    return this.step(input, hx, null).h;
  }
}

/**
 * One LSTM step, as torch.nn.LSTMCell(input_size, hidden_size, bias=True):
 * `forward(x [B, in] | [in], [h, c]?)` → `[h', c']`.
 */
export class LSTMCell extends RNNCellBase<[Tensor, Tensor]> {
  /** Creates the cell from `(inputSize, hiddenSize, bias?)`, positional or as options. */
  constructor(
    inputSize: number,
    hiddenSize: number,
    ...rest: WithOptions<[bias: boolean], RNNCellOptions>
  ) {
    super("LSTM", parseArgs(LSTM_CELL, [inputSize, hiddenSize, ...rest]));
  }
  override forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    if (hx !== null && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new ValueError("LSTMCell: hx must be an array [h, c] of two tensors");
    }
    const st = this.step(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [st.h, st.c as Tensor];
  }
}

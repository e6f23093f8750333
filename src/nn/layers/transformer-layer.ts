// TransformerEncoderLayer and TransformerDecoderLayer: self-attention (and cross-attention) plus
// a feed-forward block, each with residual, dropout and LayerNorm, post-norm or (normFirst)
// pre-norm, with PyTorch's submodule names and order. Depends on layers/attention, linear, norm,
// dropout and nn/functional; not on transformer.ts (which stacks these).

import {
  bool,
  either,
  func,
  instanceOf,
  int,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { isFloating } from "../../core/dtype.ts";
import { DTypeError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { gelu, relu } from "../functional/activation.ts";
import { floatDtypeArg, optTensor, tensorArg } from "../functional/args.ts";
import { type AnyModule, Module } from "../module.ts";
import { MultiheadAttention } from "./attention.ts";
import { Dropout } from "./dropout.ts";
import { Linear } from "./linear.ts";
import { LayerNorm } from "./norm.ts";

/** The feed-forward activation: "relu", "gelu", a function of a tensor, or a module. */
export type TransformerActivation = "relu" | "gelu" | ((x: Tensor) => Tensor) | AnyModule;

/** Options of the Transformer layers after `nhead`, as PyTorch's keywords. */
export interface TransformerLayerOptions {
  /** Hidden features of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** Dropout probability of every dropout (default 0.1). */
  dropout?: number;
  /** The feed-forward activation (default "relu"). */
  activation?: TransformerActivation;
  /** eps of the LayerNorms (default 1e-5). */
  layerNormEps?: number;
  /** Whether inputs and outputs are `[N, L, E]` instead of `[L, N, E]` (default false). */
  batchFirst?: boolean;
  /** Whether LayerNorm comes before each block (pre-norm) instead of after it (default false). */
  normFirst?: boolean;
  /** The dtype of the parameters (default float32). */
  dtype?: "float32" | "float64";
}

/** The positional parameters of the Transformer layers after nhead, in PyTorch's order. */
export type TransformerLayerPositional = [
  dimFeedforward: number,
  dropout: number,
  activation: TransformerActivation,
  layerNormEps: number,
  batchFirst: boolean,
  normFirst: boolean,
];

/** The constructor arguments of a Transformer layer after nhead: positional or options. */
export type TransformerLayerArgs = WithOptions<TransformerLayerPositional, TransformerLayerOptions>;

/** `activation` as PyTorch takes it: "relu", "gelu", a function or a module. */
export const activationArg = opt(
  either(oneOf("relu", "gelu"), func, instanceOf(Module, "a Module")),
  "relu",
);

function layerSignature(op: string) {
  return signature(
    op,
    {
      dModel: int,
      nhead: int,
      dimFeedforward: opt(int, 2048),
      dropout: opt(num, 0.1),
      activation: activationArg,
      layerNormEps: opt(num, 1e-5),
      batchFirst: opt(bool, false),
      normFirst: opt(bool, false),
    },
    { dtype: floatDtypeArg },
  );
}
const ENCODER_LAYER = layerSignature("nn.TransformerEncoderLayer");
const DECODER_LAYER = layerSignature("nn.TransformerDecoderLayer");

/** A string activation as its function (PyTorch's _get_activation_fn); others unchanged. */
function activationFn(a: unknown): ((x: Tensor) => Tensor) | AnyModule {
  if (a === "relu") return (x: Tensor) => relu(x);
  if (a === "gelu") return (x: Tensor) => gelu(x);
  return a as ((x: Tensor) => Tensor) | AnyModule;
}

function applyActivation(a: ((x: Tensor) => Tensor) | AnyModule, x: Tensor): Tensor {
  return a instanceof Module ? (a as Module).call(x) : a(x);
}

/** Throws unless a key padding mask is bool or floating, as PyTorch. */
export function checkPaddingMask(op: string, name: string, m: Tensor | null): void {
  if (m !== null && m.dtype !== "bool" && !isFloating(m.dtype)) {
    throw new DTypeError(
      `${op}: only bool and floating types of ${name} are supported, got ${m.dtype}`,
    );
  }
}

function member<T>(m: AnyModule, name: string): T {
  return (m as unknown as Record<string, unknown>)[name] as T;
}

/** Options of `TransformerEncoderLayer.forward` after the source. */
export interface EncoderLayerForwardOptions {
  /** `[L, L]` or `[N·nhead, L, L]` attention mask (bool true = not allowed; float added). */
  srcMask?: Tensor | null;
  /** `[N, L]` (`[L]` unbatched): bool true = padding; float added. */
  srcKeyPaddingMask?: Tensor | null;
}

const ENCODER_LAYER_FORWARD = signature("TransformerEncoderLayer.forward", {
  src: tensorArg,
  srcMask: optTensor,
  srcKeyPaddingMask: optTensor,
});

/**
 * One encoder block, as torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048,
 * dropout=0.1, activation=relu, layer_norm_eps=1e-05, batch_first=False, norm_first=False, *,
 * dtype): x = norm1(x + sa(x)); x = norm2(x + ff(x)) (pre-norm with normFirst:
 * x = x + sa(norm1(x)); x = x + ff(norm2(x))), ff = linear2(dropout(activation(linear1(x)))).
 * `src [L, N, dModel]` (`[N, L, dModel]` with batchFirst, `[L, dModel]` unbatched) → same shape.
 *
 * PyTorch parity: submodules self_attn, linear1, dropout, linear2, norm1, norm2, dropout1,
 * dropout2 (and activation when it is a module), so state dicts load unchanged. PyTorch's
 * inference fast path is not reproduced: it computes the same values.
 *
 * @example const layer = new nn.TransformerEncoderLayer(512, 8, { batchFirst: true });
 */
export class TransformerEncoderLayer extends Module {
  /** Whether LayerNorm comes before each block. */
  readonly normFirst: boolean;
  /** The feed-forward activation (a function, or a registered module). */
  activation: ((x: Tensor) => Tensor) | AnyModule;

  /**
   * Creates the layer from `(dModel, nhead, dimFeedforward?, dropout?, activation?, layerNormEps?,
   * batchFirst?, normFirst?)`, positional or as options after nhead, plus the keyword-only `dtype`.
   */
  constructor(dModel: number, nhead: number, ...rest: TransformerLayerArgs) {
    super();
    const a = parseArgs(ENCODER_LAYER, [dModel, nhead, ...rest]);
    const dtype = a.dtype;
    const opts = { dropout: a.dropout, batchFirst: a.batchFirst, dtype };
    this.registerModule("self_attn", new MultiheadAttention(a.dModel, a.nhead, opts));
    this.registerModule("linear1", new Linear(a.dModel, a.dimFeedforward, { dtype }));
    this.registerModule("dropout", new Dropout(a.dropout));
    this.registerModule("linear2", new Linear(a.dimFeedforward, a.dModel, { dtype }));
    this.normFirst = a.normFirst;
    this.registerModule("norm1", new LayerNorm(a.dModel, { eps: a.layerNormEps, dtype }));
    this.registerModule("norm2", new LayerNorm(a.dModel, { eps: a.layerNormEps, dtype }));
    this.registerModule("dropout1", new Dropout(a.dropout));
    this.registerModule("dropout2", new Dropout(a.dropout));
    this.activation = activationFn(a.activation);
  }

  /** The self-attention (`self_attn`). */
  get selfAttn(): MultiheadAttention {
    return member(this, "self_attn");
  }

  /**
   * Runs the block: `(src, srcMask?, srcKeyPaddingMask?)`, positional or as options after src.
   */
  override forward(
    src: Tensor,
    ...rest: WithOptions<
      [srcMask: Tensor | null, srcKeyPaddingMask: Tensor | null],
      EncoderLayerForwardOptions
    >
  ): Tensor {
    const a = parseArgs(ENCODER_LAYER_FORWARD, [src, ...rest]);
    checkPaddingMask("TransformerEncoderLayer.forward", "srcKeyPaddingMask", a.srcKeyPaddingMask);
    const m = <T>(name: string) => member<Module<T>>(this, name);
    const sa = (x: Tensor) => {
      const [y] = m<[Tensor, Tensor | null]>("self_attn").call(x, x, x, {
        attnMask: a.srcMask,
        keyPaddingMask: a.srcKeyPaddingMask,
        needWeights: false,
      });
      return m<Tensor>("dropout1").call(y);
    };
    const ff = (x: Tensor) => {
      const h = applyActivation(this.activation, m<Tensor>("linear1").call(x));
      const y = m<Tensor>("linear2").call(m<Tensor>("dropout").call(h));
      return m<Tensor>("dropout2").call(y);
    };
    const norm1 = m<Tensor>("norm1");
    const norm2 = m<Tensor>("norm2");
    let x = a.src;
    if (this.normFirst) {
      x = x.add(sa(norm1.call(x)));
      x = x.add(ff(norm2.call(x)));
    } else {
      x = norm1.call(x.add(sa(x)));
      x = norm2.call(x.add(ff(x)));
    }
    return x;
  }
}

/** Options of `TransformerDecoderLayer.forward` (and TransformerDecoder's) after the memory. */
export interface DecoderLayerForwardOptions {
  /** `[T, T]` or `[N·nhead, T, T]` self-attention mask (bool true = not allowed; float added). */
  tgtMask?: Tensor | null;
  /** `[T, S]` or `[N·nhead, T, S]` mask of the attention to the memory. */
  memoryMask?: Tensor | null;
  /** `[N, T]` padding of the target (bool true = padding; float added). */
  tgtKeyPaddingMask?: Tensor | null;
  /** `[N, S]` padding of the memory (bool true = padding; float added). */
  memoryKeyPaddingMask?: Tensor | null;
}

/** The positional forward parameters of the decoder after the memory, in PyTorch's order. */
export type DecoderForwardArgs = WithOptions<
  [
    tgtMask: Tensor | null,
    memoryMask: Tensor | null,
    tgtKeyPaddingMask: Tensor | null,
    memoryKeyPaddingMask: Tensor | null,
  ],
  DecoderLayerForwardOptions
>;

/** The forward signature of TransformerDecoderLayer and TransformerDecoder. */
export function decoderForwardSignature(op: string) {
  return signature(op, {
    tgt: tensorArg,
    memory: tensorArg,
    tgtMask: optTensor,
    memoryMask: optTensor,
    tgtKeyPaddingMask: optTensor,
    memoryKeyPaddingMask: optTensor,
  });
}
const DECODER_LAYER_FORWARD = decoderForwardSignature("TransformerDecoderLayer.forward");

/**
 * One decoder block, as torch.nn.TransformerDecoderLayer (arguments and defaults as
 * TransformerEncoderLayer's): self-attention over the target, attention to the memory
 * (`multihead_attn`), feed-forward, each with residual, dropout and LayerNorm (norm1..norm3),
 * post-norm or pre-norm with normFirst. `tgt [T, N, dModel]`, `memory [S, N, dModel]`
 * (batch-first or unbatched likewise) → `[T, N, dModel]`.
 *
 * PyTorch parity: submodules self_attn, multihead_attn, linear1, dropout, linear2, norm1, norm2,
 * norm3, dropout1, dropout2, dropout3 (and activation when it is a module).
 */
export class TransformerDecoderLayer extends Module {
  /** Whether LayerNorm comes before each block. */
  readonly normFirst: boolean;
  /** The feed-forward activation (a function, or a registered module). */
  activation: ((x: Tensor) => Tensor) | AnyModule;

  /**
   * Creates the layer from `(dModel, nhead, dimFeedforward?, dropout?, activation?, layerNormEps?,
   * batchFirst?, normFirst?)`, positional or as options after nhead, plus the keyword-only `dtype`.
   */
  constructor(dModel: number, nhead: number, ...rest: TransformerLayerArgs) {
    super();
    const a = parseArgs(DECODER_LAYER, [dModel, nhead, ...rest]);
    const dtype = a.dtype;
    const opts = { dropout: a.dropout, batchFirst: a.batchFirst, dtype };
    this.registerModule("self_attn", new MultiheadAttention(a.dModel, a.nhead, opts));
    this.registerModule("multihead_attn", new MultiheadAttention(a.dModel, a.nhead, opts));
    this.registerModule("linear1", new Linear(a.dModel, a.dimFeedforward, { dtype }));
    this.registerModule("dropout", new Dropout(a.dropout));
    this.registerModule("linear2", new Linear(a.dimFeedforward, a.dModel, { dtype }));
    this.normFirst = a.normFirst;
    for (const n of ["norm1", "norm2", "norm3"]) {
      this.registerModule(n, new LayerNorm(a.dModel, { eps: a.layerNormEps, dtype }));
    }
    for (const n of ["dropout1", "dropout2", "dropout3"]) {
      this.registerModule(n, new Dropout(a.dropout));
    }
    this.activation = activationFn(a.activation);
  }

  /** The self-attention over the target (`self_attn`). */
  get selfAttn(): MultiheadAttention {
    return member(this, "self_attn");
  }
  /** The attention from the target to the memory (`multihead_attn`). */
  get multiheadAttn(): MultiheadAttention {
    return member(this, "multihead_attn");
  }

  /**
   * Runs the block: `(tgt, memory, tgtMask?, memoryMask?, tgtKeyPaddingMask?,
   * memoryKeyPaddingMask?)`, positional or as options after the memory.
   */
  override forward(tgt: Tensor, memory: Tensor, ...rest: DecoderForwardArgs): Tensor {
    const a = parseArgs(DECODER_LAYER_FORWARD, [tgt, memory, ...rest]);
    const op = "TransformerDecoderLayer.forward";
    checkPaddingMask(op, "tgtKeyPaddingMask", a.tgtKeyPaddingMask);
    checkPaddingMask(op, "memoryKeyPaddingMask", a.memoryKeyPaddingMask);
    const m = <T>(name: string) => member<Module<T>>(this, name);
    const attn = (name: string, x: Tensor, mem: Tensor, mask: Tensor | null, kpm: Tensor | null) =>
      m<[Tensor, Tensor | null]>(name).call(x, mem, mem, {
        attnMask: mask,
        keyPaddingMask: kpm,
        needWeights: false,
      })[0];
    const sa = (x: Tensor) =>
      m<Tensor>("dropout1").call(attn("self_attn", x, x, a.tgtMask, a.tgtKeyPaddingMask));
    const mha = (x: Tensor) =>
      m<Tensor>("dropout2").call(
        attn("multihead_attn", x, a.memory, a.memoryMask, a.memoryKeyPaddingMask),
      );
    const ff = (x: Tensor) => {
      const h = applyActivation(this.activation, m<Tensor>("linear1").call(x));
      const y = m<Tensor>("linear2").call(m<Tensor>("dropout").call(h));
      return m<Tensor>("dropout3").call(y);
    };
    const [n1, n2, n3] = [m<Tensor>("norm1"), m<Tensor>("norm2"), m<Tensor>("norm3")];
    let x = a.tgt;
    if (this.normFirst) {
      x = x.add(sa(n1.call(x)));
      x = x.add(mha(n2.call(x)));
      x = x.add(ff(n3.call(x)));
    } else {
      x = n1.call(x.add(sa(x)));
      x = n2.call(x.add(mha(x)));
      x = n3.call(x.add(ff(x)));
    }
    return x;
  }
}

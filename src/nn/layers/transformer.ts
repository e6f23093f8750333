// TransformerEncoder, TransformerDecoder (stacks of deep copies of one layer, as PyTorch's
// _get_clones) and the full Transformer with its xavier init and square subsequent mask.
// Depends on layers/transformer-layer, clone-module, container, norm; nothing depends on it but
// the nn index.

import {
  bool,
  custom,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { isDeviceLike, toDevice } from "../../core/device.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { arange } from "../../ops/creation.ts";
import { full } from "../../ops/dispatch.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { floatDtypeArg, optTensor, tensorArg } from "../functional/args.ts";
import { xavierUniform_ } from "../init.ts";
import { type AnyModule, childEntries, Module } from "../module.ts";
import { pyBool } from "../repr.ts";
import { cloneModule } from "./clone-module.ts";
import { ModuleList } from "./container.ts";
import { LayerNorm } from "./norm.ts";
import {
  activationArg,
  checkPaddingMask,
  type DecoderForwardArgs,
  decoderForwardSignature,
  type EncoderLayerForwardOptions,
  type TransformerActivation,
  TransformerDecoderLayer,
  TransformerEncoderLayer,
} from "./transformer-layer.ts";

const moduleArg = instanceOf(Module, "a Module");

/** `numLayers` deep copies of `layer` in a ModuleList, as PyTorch's _get_clones. */
function clones(layer: AnyModule, n: number): ModuleList {
  return new ModuleList(Array.from({ length: n }, () => cloneModule(layer)));
}

function layersOf(m: { layers: ModuleList }): AnyModule[] {
  return childEntries(m.layers).map(([, c]) => c);
}

const ENCODER = signature("nn.TransformerEncoder", {
  encoderLayer: moduleArg,
  numLayers: int,
  norm: opt(nullable(moduleArg), null),
  enableNestedTensor: opt(bool, true),
  maskCheck: opt(bool, true),
});

/** Options of TransformerEncoder after numLayers, as PyTorch's keywords. */
export interface TransformerEncoderOptions {
  /** A module applied to the output of the last layer (usually a LayerNorm), or null. */
  norm?: AnyModule | null;
  /** PyTorch's nested-tensor inference switch; kept for its signature (see the class note). */
  enableNestedTensor?: boolean;
  /** PyTorch's left-aligned padding check of that path; kept for its signature. */
  maskCheck?: boolean;
}

const ENCODER_FORWARD = signature("TransformerEncoder.forward", {
  src: tensorArg,
  mask: optTensor,
  srcKeyPaddingMask: optTensor,
});

/**
 * A stack of `numLayers` encoder layers, as torch.nn.TransformerEncoder(encoder_layer,
 * num_layers, norm=None, enable_nested_tensor=True, mask_check=True): each layer a deep copy of
 * `encoderLayer` (its parameters copied, not shared), then `norm`. `src` → same shape.
 *
 * PyTorch parity: submodules `layers.0` ... and `norm`. PyTorch 1.13's inference path with a
 * padding mask (eval, no grad, batchFirst) runs on nested tensors and returns 0 at padded positions
 * (before `norm`); Kiln computes those positions as in training, so only padded rows differ.
 *
 * @example const enc = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(64, 4), 6);
 */
export class TransformerEncoder extends Module {
  /** The copied layers (`layers.0`, ...). */
  declare readonly layers: ModuleList;
  /** Number of layers. */
  readonly numLayers: number;
  /** The final normalisation module, or null. */
  norm: AnyModule | null;
  /** As PyTorch's `enable_nested_tensor`; Kiln has no nested tensors (see the class note). */
  readonly enableNestedTensor: boolean;
  /** As PyTorch's `mask_check`. */
  readonly maskCheck: boolean;

  /**
   * Creates the stack from `(encoderLayer, numLayers, norm?, enableNestedTensor?, maskCheck?)`,
   * positional or as options after numLayers.
   */
  constructor(
    encoderLayer: AnyModule,
    numLayers: number,
    ...rest: WithOptions<
      [norm: AnyModule | null, enableNestedTensor: boolean, maskCheck: boolean],
      TransformerEncoderOptions
    >
  ) {
    super();
    const a = parseArgs(ENCODER, [encoderLayer, numLayers, ...rest]);
    if (a.numLayers < 0) {
      throw new ValueError(`nn.TransformerEncoder: numLayers must be >= 0, got ${a.numLayers}`);
    }
    this.registerModule("layers", clones(a.encoderLayer, a.numLayers));
    this.numLayers = a.numLayers;
    this.norm = a.norm;
    this.enableNestedTensor = a.enableNestedTensor;
    this.maskCheck = a.maskCheck;
  }

  /** Runs every layer then `norm`: `(src, mask?, srcKeyPaddingMask?)`, positional or options. */
  override forward(
    src: Tensor,
    ...rest: WithOptions<
      [mask: Tensor | null, srcKeyPaddingMask: Tensor | null],
      { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null }
    >
  ): Tensor {
    const a = parseArgs(ENCODER_FORWARD, [src, ...rest]);
    checkPaddingMask("TransformerEncoder.forward", "srcKeyPaddingMask", a.srcKeyPaddingMask);
    let out = a.src;
    const options: EncoderLayerForwardOptions = {
      srcMask: a.mask,
      srcKeyPaddingMask: a.srcKeyPaddingMask,
    };
    for (const layer of layersOf(this)) out = (layer as Module).call(out, options);
    return this.norm === null ? out : (this.norm as Module).call(out);
  }
}

const DECODER = signature("nn.TransformerDecoder", {
  decoderLayer: moduleArg,
  numLayers: int,
  norm: opt(nullable(moduleArg), null),
});
const DECODER_FORWARD = decoderForwardSignature("TransformerDecoder.forward");

/**
 * A stack of `numLayers` decoder layers, as torch.nn.TransformerDecoder(decoder_layer,
 * num_layers, norm=None): deep copies of `decoderLayer`, then `norm`. `tgt`, `memory` → tgt's
 * shape. Submodules `layers.0` ... and `norm`, as PyTorch's.
 */
export class TransformerDecoder extends Module {
  /** The copied layers (`layers.0`, ...). */
  declare readonly layers: ModuleList;
  /** Number of layers. */
  readonly numLayers: number;
  /** The final normalisation module, or null. */
  norm: AnyModule | null;

  /** Creates the stack from `(decoderLayer, numLayers, norm?)`, positional or as options. */
  constructor(
    decoderLayer: AnyModule,
    numLayers: number,
    ...rest: WithOptions<[norm: AnyModule | null], { norm?: AnyModule | null }>
  ) {
    super();
    const a = parseArgs(DECODER, [decoderLayer, numLayers, ...rest]);
    if (a.numLayers < 0) {
      throw new ValueError(`nn.TransformerDecoder: numLayers must be >= 0, got ${a.numLayers}`);
    }
    this.registerModule("layers", clones(a.decoderLayer, a.numLayers));
    this.numLayers = a.numLayers;
    this.norm = a.norm;
  }

  /**
   * Runs every layer then `norm`: `(tgt, memory, tgtMask?, memoryMask?, tgtKeyPaddingMask?,
   * memoryKeyPaddingMask?)`, positional or as options after the memory.
   */
  override forward(tgt: Tensor, memory: Tensor, ...rest: DecoderForwardArgs): Tensor {
    const a = parseArgs(DECODER_FORWARD, [tgt, memory, ...rest]);
    let out = a.tgt;
    const options = {
      tgtMask: a.tgtMask,
      memoryMask: a.memoryMask,
      tgtKeyPaddingMask: a.tgtKeyPaddingMask,
      memoryKeyPaddingMask: a.memoryKeyPaddingMask,
    };
    for (const layer of layersOf(this)) out = (layer as Module).call(out, a.memory, options);
    return this.norm === null ? out : (this.norm as Module).call(out);
  }
}

/** Options of Transformer, as PyTorch's keywords. */
export interface TransformerOptions {
  dModel?: number;
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
  dimFeedforward?: number;
  dropout?: number;
  activation?: TransformerActivation;
  /** A module used as the encoder instead of a TransformerEncoder. */
  customEncoder?: AnyModule | null;
  /** A module used as the decoder instead of a TransformerDecoder. */
  customDecoder?: AnyModule | null;
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
  /** The dtype of the parameters (default float32). */
  dtype?: "float32" | "float64";
}

/** The positional parameters of Transformer, in PyTorch's order. */
export type TransformerPositional = [
  dModel: number,
  nhead: number,
  numEncoderLayers: number,
  numDecoderLayers: number,
  dimFeedforward: number,
  dropout: number,
  activation: TransformerActivation,
  customEncoder: AnyModule | null,
  customDecoder: AnyModule | null,
  layerNormEps: number,
  batchFirst: boolean,
  normFirst: boolean,
];

const TRANSFORMER = signature(
  "nn.Transformer",
  {
    dModel: opt(int, 512),
    nhead: opt(int, 8),
    numEncoderLayers: opt(int, 6),
    numDecoderLayers: opt(int, 6),
    dimFeedforward: opt(int, 2048),
    dropout: opt(num, 0.1),
    activation: activationArg,
    customEncoder: opt(nullable(moduleArg), null),
    customDecoder: opt(nullable(moduleArg), null),
    layerNormEps: opt(num, 1e-5),
    batchFirst: opt(bool, false),
    normFirst: opt(bool, false),
  },
  { dtype: floatDtypeArg },
);

/** Options of `Transformer.forward` after the target, as PyTorch's keywords. */
export interface TransformerForwardOptions {
  srcMask?: Tensor | null;
  tgtMask?: Tensor | null;
  memoryMask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
}

const TRANSFORMER_FORWARD = signature("Transformer.forward", {
  src: tensorArg,
  tgt: tensorArg,
  srcMask: optTensor,
  tgtMask: optTensor,
  memoryMask: optTensor,
  srcKeyPaddingMask: optTensor,
  tgtKeyPaddingMask: optTensor,
  memoryKeyPaddingMask: optTensor,
});

const SQUARE_MASK = signature("Transformer.generateSquareSubsequentMask", {
  sz: int,
  device: opt(custom('a device ("cpu" or a Device)', isDeviceLike)),
});

/**
 * The encoder-decoder model of "Attention Is All You Need", as torch.nn.Transformer(d_model=512,
 * nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048, dropout=0.1,
 * activation=relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-05,
 * batch_first=False, norm_first=False, *, dtype): encoder (with a final LayerNorm) over `src
 * [S, N, dModel]`, decoder over `tgt [T, N, dModel]` and the memory → `[T, N, dModel]`
 * (batch-first or unbatched likewise).
 *
 * PyTorch parity: submodules `encoder`, `decoder`; every parameter with more than one dim gets
 * xavier_uniform_ after construction (custom modules included), as _reset_parameters.
 *
 * @example const model = new nn.Transformer({ dModel: 64, nhead: 4, batchFirst: true });
 * model.forward(src, tgt, { tgtMask: nn.Transformer.generateSquareSubsequentMask(tgt.shape[1]) });
 */
export class Transformer extends Module {
  /** The encoder (a TransformerEncoder unless customEncoder was given). */
  declare readonly encoder: AnyModule;
  /** The decoder (a TransformerDecoder unless customDecoder was given). */
  declare readonly decoder: AnyModule;
  /** Features of the model. */
  readonly dModel: number;
  /** Attention heads. */
  readonly nhead: number;
  /** Whether inputs and outputs are batch-first. */
  readonly batchFirst: boolean;

  /**
   * Creates the model from PyTorch's arguments in its order (see the class doc), positional or
   * as one options object, plus the keyword-only `dtype`.
   */
  constructor(...args: WithOptions<TransformerPositional, TransformerOptions>) {
    super();
    const a = parseArgs(TRANSFORMER, args);
    const dtype = a.dtype;
    const layerArgs = {
      dimFeedforward: a.dimFeedforward,
      dropout: a.dropout,
      activation: a.activation as TransformerActivation,
      layerNormEps: a.layerNormEps,
      batchFirst: a.batchFirst,
      normFirst: a.normFirst,
      dtype,
    };
    const norm = () => new LayerNorm(a.dModel, { eps: a.layerNormEps, dtype });
    this.registerModule(
      "encoder",
      a.customEncoder ??
        new TransformerEncoder(
          new TransformerEncoderLayer(a.dModel, a.nhead, layerArgs),
          a.numEncoderLayers,
          norm(),
        ),
    );
    this.registerModule(
      "decoder",
      a.customDecoder ??
        new TransformerDecoder(
          new TransformerDecoderLayer(a.dModel, a.nhead, layerArgs),
          a.numDecoderLayers,
          norm(),
        ),
    );
    this.resetParameters();
    this.dModel = a.dModel;
    this.nhead = a.nhead;
    this.batchFirst = a.batchFirst;
  }

  /** xavier_uniform_ on every parameter with more than one dim, as PyTorch's _reset_parameters. */
  resetParameters(): void {
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform_(p);
  }

  /**
   * Encodes `src` and decodes `tgt`: `(src, tgt, srcMask?, tgtMask?, memoryMask?,
   * srcKeyPaddingMask?, tgtKeyPaddingMask?, memoryKeyPaddingMask?)`, positional or as options
   * after tgt.
   */
  override forward(
    src: Tensor,
    tgt: Tensor,
    ...rest: WithOptions<
      [
        srcMask: Tensor | null,
        tgtMask: Tensor | null,
        memoryMask: Tensor | null,
        srcKeyPaddingMask: Tensor | null,
        tgtKeyPaddingMask: Tensor | null,
        memoryKeyPaddingMask: Tensor | null,
      ],
      TransformerForwardOptions
    >
  ): Tensor {
    const a = parseArgs(TRANSFORMER_FORWARD, [src, tgt, ...rest]);
    const s = a.src;
    const t = a.tgt;
    const batchDim = this.batchFirst ? 0 : 1;
    if (s.ndim === 3 && s.shape[batchDim] !== t.shape[batchDim]) {
      throw new ShapeError(
        `Transformer.forward: the batch number of src and tgt must be equal, got src ${JSON.stringify(s.shape)} and tgt ${JSON.stringify(t.shape)} (batchFirst=${pyBool(this.batchFirst)})`,
      );
    }
    if (s.shape[s.ndim - 1] !== this.dModel || t.shape[t.ndim - 1] !== this.dModel) {
      throw new ShapeError(
        `Transformer.forward: the feature number of src and tgt must be equal to dModel (${this.dModel}), got ${s.shape[s.ndim - 1]} and ${t.shape[t.ndim - 1]}`,
      );
    }
    const memory = (this.encoder as Module).call(s, {
      mask: a.srcMask,
      srcKeyPaddingMask: a.srcKeyPaddingMask,
    });
    return (this.decoder as Module).call(t, memory, {
      tgtMask: a.tgtMask,
      memoryMask: a.memoryMask,
      tgtKeyPaddingMask: a.tgtKeyPaddingMask,
      memoryKeyPaddingMask: a.memoryKeyPaddingMask,
    });
  }

  /**
   * A float32 `[sz, sz]` mask with −∞ above the diagonal and 0 on and below it, as PyTorch's
   * Transformer.generate_square_subsequent_mask(sz, device='cpu'): position i attends to j ≤ i.
   */
  static generateSquareSubsequentMask(
    sz: number,
    ...rest: WithOptions<[device: string], { device?: string }>
  ): Tensor {
    const a = parseArgs(SQUARE_MASK, [sz, ...rest]);
    if (a.device !== undefined) toDevice("Transformer.generateSquareSubsequentMask", a.device);
    if (a.sz < 0) {
      throw new ValueError(
        `Transformer.generateSquareSubsequentMask: sz must be >= 0, got ${a.sz}`,
      );
    }
    const above = arange(a.sz)
      .reshape([1, a.sz])
      .gt(arange(a.sz).reshape([a.sz, 1]));
    return full([a.sz, a.sz], 0, "float32").maskedFill(above, -Infinity);
  }
}

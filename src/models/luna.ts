// LunaModel and LunaBlock from Deep Learning with PyTorch, chapter 11 (dlwpt-code p2ch11/model.py):
// the nodule classifier on 32x48x48 CT crops, with the book's module names and `_init_weights`.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import { int, opt, parseArgs, signature, type WithOptions } from "../core/args.ts";
import * as nn from "../nn/index.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { initBook } from "./common.ts";

const LUNA_BLOCK = signature("models.LunaBlock", { inChannels: int, convChannels: int });

/**
 * Conv3d(3, padding 1) → ReLU → Conv3d(3, padding 1) → ReLU → MaxPool3d(2, 2), as the book's
 * LunaBlock(in_channels, conv_channels). `[N, Cin, D, H, W]` → `[N, Cconv, D/2, H/2, W/2]`.
 */
export class LunaBlock extends nn.Module {
  /** First 3x3x3 convolution. */
  conv1: nn.Conv3d;
  /** ReLU(inplace=True) after conv1. */
  relu1: nn.ReLU;
  /** Second 3x3x3 convolution. */
  conv2: nn.Conv3d;
  /** ReLU(inplace=True) after conv2. */
  relu2: nn.ReLU;
  /** MaxPool3d(2, 2). */
  maxpool: nn.MaxPool3d;

  /** Creates the block, as LunaBlock(in_channels, conv_channels). */
  constructor(...args: [inChannels: number, convChannels: number]) {
    super();
    const o = parseArgs(LUNA_BLOCK, args);
    this.conv1 = new nn.Conv3d(o.inChannels, o.convChannels, 3, { padding: 1, bias: true });
    this.relu1 = new nn.ReLU({ inplace: true });
    this.conv2 = new nn.Conv3d(o.convChannels, o.convChannels, 3, { padding: 1, bias: true });
    this.relu2 = new nn.ReLU({ inplace: true });
    this.maxpool = new nn.MaxPool3d(2, 2);
  }

  override forward(x: Tensor): Tensor {
    const y = this.relu1.call(this.conv1.call(x));
    return this.maxpool.call(this.relu2.call(this.conv2.call(y)));
  }
}

/** Options of LunaModel, the book's keyword arguments camelCased. */
export interface LunaModelOptions {
  /** Input channels (default 1). */
  inChannels?: number;
  /** Channels of the first block, doubled by each next one (default 8). */
  convChannels?: number;
}

const LUNA = signature("models.LunaModel", { inChannels: opt(int, 1), convChannels: opt(int, 8) });

/**
 * The book's LunaModel(in_channels=1, conv_channels=8): BatchNorm3d(1) on the input, four
 * LunaBlocks, Linear(1152, 2) and Softmax(dim=1). Input `[N, 1, 32, 48, 48]` (1152 = 64·2·3·3
 * features after four halvings at the default widths) → `[logits [N, 2], probabilities [N, 2]]`.
 * Init as the book's `_init_weights` (see models' initBook: kaiming_normal_ fan_out, and the
 * book's normal_(bias, −bound, bound) quirk kept).
 */
export class LunaModel extends nn.Module<[Tensor, Tensor]> {
  /** BatchNorm3d(1) on the input. */
  tail_batchnorm: nn.BatchNorm3d;
  /** First LunaBlock (convChannels). */
  block1: LunaBlock;
  /** Second LunaBlock (2·convChannels). */
  block2: LunaBlock;
  /** Third LunaBlock (4·convChannels). */
  block3: LunaBlock;
  /** Fourth LunaBlock (8·convChannels). */
  block4: LunaBlock;
  /** Linear(1152, 2). */
  head_linear: nn.Linear;
  /** Softmax(dim=1) giving the probabilities. */
  head_softmax: nn.Softmax;

  /**
   * Creates the model: `new LunaModel(inChannels?, convChannels?)` or an options object; runs
   * the book's init.
   */
  constructor(...args: WithOptions<[inChannels: number, convChannels: number], LunaModelOptions>) {
    super();
    const { inChannels: i, convChannels: c } = parseArgs(LUNA, args);
    // NOTE: BatchNorm3d(1), not in_channels: the book normalises a single channel.
    this.tail_batchnorm = new nn.BatchNorm3d(1);
    this.block1 = new LunaBlock(i, c);
    this.block2 = new LunaBlock(c, c * 2);
    this.block3 = new LunaBlock(c * 2, c * 4);
    this.block4 = new LunaBlock(c * 4, c * 8);
    this.head_linear = new nn.Linear(1152, 2);
    this.head_softmax = new nn.Softmax({ dim: 1 });
    initBook(this);
  }

  override forward(x: Tensor): [Tensor, Tensor] {
    let y = this.tail_batchnorm.call(x);
    y = this.block4.call(this.block3.call(this.block2.call(this.block1.call(y))));
    const logits = this.head_linear.call(y.view(y.shape[0] as number, -1));
    return [logits, this.head_softmax.call(logits)];
  }
}

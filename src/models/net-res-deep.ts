// NetResDeep and ResBlock from Deep Learning with PyTorch, chapter 8 (dlwpt-code p1ch8): a
// 32x32 CIFAR classifier with one ResBlock repeated n_blocks times, as the book builds it.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import { int, opt, parseArgs, signature, type WithOptions } from "../core/args.ts";
import * as nn from "../nn/index.ts";
import type { Tensor } from "../tensor/tensor.ts";

const RES_BLOCK = signature("models.ResBlock", { nChans: int });

/**
 * Conv2d(3x3, no bias) → BatchNorm2d → relu, plus the input, as the book's ResBlock(n_chans).
 * Init as the book: conv kaiming_normal_(nonlinearity="relu") (mode fan_in), BN weight 0.5, bias 0.
 * `[N, C, H, W]` → `[N, C, H, W]`.
 */
export class ResBlock extends nn.Module {
  /** 3x3 convolution without bias. */
  conv: nn.Conv2d;
  /** BatchNorm2d after the conv (weight 0.5 at init). */
  batch_norm: nn.BatchNorm2d;

  /** Creates the block for `nChans` channels, as ResBlock(n_chans). */
  constructor(...args: [nChans: number]) {
    super();
    const { nChans: c } = parseArgs(RES_BLOCK, args);
    this.conv = new nn.Conv2d(c, c, 3, { padding: 1, bias: false });
    this.batch_norm = new nn.BatchNorm2d(c);
    nn.init.kaimingNormal_(this.conv.weight, { nonlinearity: "relu" });
    nn.init.constant_(this.batch_norm.weight as Tensor, 0.5);
    nn.init.zeros_(this.batch_norm.bias as Tensor);
  }

  override forward(x: Tensor): Tensor {
    return this.batch_norm.call(this.conv.call(x)).relu().add(x);
  }
}

/** Options of NetResDeep, the book's keyword arguments camelCased. */
export interface NetResDeepOptions {
  /** Channels of every conv (default 32). */
  nChans1?: number;
  /** How many times the one ResBlock is applied (default 10). */
  nBlocks?: number;
}

const NET_RES_DEEP = signature("models.NetResDeep", {
  nChans1: opt(int, 32),
  nBlocks: opt(int, 10),
});

/**
 * The book's NetResDeep(n_chans1=32, n_blocks=10): conv1 → relu → maxpool 2 → the ResBlock
 * n_blocks times → maxpool 2 → fc1(8·8·n_chans1, 32) → relu → fc2(32, 2).
 * Input `[N, 3, 32, 32]` → logits `[N, 2]`.
 * NOTE: as in the book, `n_blocks * [ResBlock(...)]` holds ONE block n_blocks times: its weights
 * are shared, and the state dict lists them under every index (resblocks.0 … resblocks.9).
 */
export class NetResDeep extends nn.Module {
  /** Channels of every conv (n_chans1). */
  readonly nChans1: number;
  /** First 3x3 convolution, 3 → nChans1 channels. */
  conv1: nn.Conv2d;
  /** The one ResBlock, nBlocks times. */
  resblocks: nn.Sequential;
  /** Linear(8·8·nChans1, 32). */
  fc1: nn.Linear;
  /** Linear(32, 2). */
  fc2: nn.Linear;

  /** Creates the network: `new NetResDeep(nChans1?, nBlocks?)` or `({ nChans1, nBlocks })`. */
  constructor(...args: WithOptions<[nChans1: number, nBlocks: number], NetResDeepOptions>) {
    super();
    const o = parseArgs(NET_RES_DEEP, args);
    this.nChans1 = o.nChans1;
    this.conv1 = new nn.Conv2d(3, o.nChans1, 3, { padding: 1 });
    const block = new ResBlock(o.nChans1);
    this.resblocks = new nn.Sequential(...new Array<ResBlock>(o.nBlocks).fill(block));
    this.fc1 = new nn.Linear(8 * 8 * o.nChans1, 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = nn.functional.maxPool2d(this.conv1.call(x).relu(), 2);
    out = nn.functional.maxPool2d(this.resblocks.call(out), 2);
    out = out.view(-1, 8 * 8 * this.nChans1);
    return this.fc2.call(this.fc1.call(out).relu());
  }
}

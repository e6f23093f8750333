// UNet (dlwpt-code util/unet.py, from jvanvugt/pytorch-unet, MIT) and UNetWrapper (Deep Learning
// with PyTorch, chapter 13, p2ch13/model.py): the same module names, state-dict keys and forward.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import {
  bool,
  checkArity,
  int,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../core/args.ts";
import * as nn from "../nn/index.ts";
import type { AnyModule } from "../nn/module.ts";
import { cat } from "../ops/movement.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { initBook } from "./common.ts";

/**
 * Two Conv2d(3x3, padding `padding ? 1 : 0`) + ReLU [+ BatchNorm2d] in one Sequential `block`,
 * as util/unet.py's UNetConvBlock(in_size, out_size, padding, batch_norm).
 */
export class UNetConvBlock extends nn.Module {
  /** The conv/ReLU[/BatchNorm2d] layers. */
  block: nn.Sequential;

  /** Creates the block, as UNetConvBlock(in_size, out_size, padding, batch_norm). */
  constructor(inSize: number, outSize: number, padding: boolean, batchNorm: boolean) {
    super();
    checkArity("models.UNetConvBlock", arguments, 4);
    const p = padding ? 1 : 0;
    const layers: AnyModule[] = [new nn.Conv2d(inSize, outSize, 3, { padding: p }), new nn.ReLU()];
    if (batchNorm) layers.push(new nn.BatchNorm2d(outSize));
    layers.push(new nn.Conv2d(outSize, outSize, 3, { padding: p }), new nn.ReLU());
    if (batchNorm) layers.push(new nn.BatchNorm2d(outSize));
    this.block = new nn.Sequential(...layers);
  }

  override forward(x: Tensor): Tensor {
    return this.block.call(x);
  }
}

/**
 * Upsampling (ConvTranspose2d(2, stride 2) for "upconv", or bilinear Upsample ×2 + 1x1 Conv2d for
 * "upsample"), concatenation with the centre-cropped skip connection, then a UNetConvBlock, as
 * util/unet.py's UNetUpBlock(in_size, out_size, up_mode, padding, batch_norm).
 */
export class UNetUpBlock extends nn.Module {
  /** ConvTranspose2d(2, stride 2), or Sequential(Upsample, 1x1 Conv2d). */
  up: AnyModule;
  /** The UNetConvBlock after the concatenation. */
  conv_block: UNetConvBlock;

  /** Creates the block, as UNetUpBlock(in_size, out_size, up_mode, padding, batch_norm). */
  constructor(
    inSize: number,
    outSize: number,
    upMode: "upconv" | "upsample",
    padding: boolean,
    batchNorm: boolean,
  ) {
    super();
    checkArity("models.UNetUpBlock", arguments, 5);
    this.up =
      upMode === "upconv"
        ? new nn.ConvTranspose2d(inSize, outSize, 2, { stride: 2 })
        : new nn.Sequential(
            new nn.Upsample({ mode: "bilinear", scaleFactor: 2 }),
            new nn.Conv2d(inSize, outSize, 1),
          );
    this.conv_block = new UNetConvBlock(inSize, outSize, padding, batchNorm);
  }

  /** The centre `[th, tw]` window of `layer` `[N, C, H, W]`. */
  centerCrop(layer: Tensor, targetSize: readonly number[]): Tensor {
    const [th, tw] = targetSize as [number, number];
    const dy = Math.floor(((layer.shape[2] as number) - th) / 2);
    const dx = Math.floor(((layer.shape[3] as number) - tw) / 2);
    return layer.narrow(2, dy, th).narrow(3, dx, tw);
  }

  override forward(x: Tensor, bridge: Tensor): Tensor {
    const up = this.up.call(x) as Tensor;
    const crop = this.centerCrop(bridge, up.shape.slice(2));
    return this.conv_block.call(cat([up, crop], 1));
  }
}

/** Options of UNet and UNetWrapper, util/unet.py's keyword arguments camelCased. */
export interface UNetOptions {
  /** Input channels (default 1). */
  inChannels?: number;
  /** Output channels (default 2). */
  nClasses?: number;
  /** Levels of the U (default 5). */
  depth?: number;
  /** The first level has 2^wf filters (default 6). */
  wf?: number;
  /** Pad the 3x3 convs so the output has the input's size (default false). */
  padding?: boolean;
  /** BatchNorm2d after each activation (default false). */
  batchNorm?: boolean;
  /** "upconv" (transposed conv, default) or "upsample" (bilinear + 1x1 conv). */
  upMode?: "upconv" | "upsample";
}

const UNET_PARAMS = {
  inChannels: opt(int, 1),
  nClasses: opt(int, 2),
  depth: opt(int, 5),
  wf: opt(int, 6),
  padding: opt(bool, false),
  batchNorm: opt(bool, false),
  upMode: opt(oneOf("upconv", "upsample"), "upconv"),
};
const UNET = signature("models.UNet", UNET_PARAMS);
const UNET_WRAPPER = signature("models.UNetWrapper", {}, UNET_PARAMS);

type UNetPositional = [
  inChannels: number,
  nClasses: number,
  depth: number,
  wf: number,
  padding: boolean,
  batchNorm: boolean,
  upMode: "upconv" | "upsample",
];

/**
 * U-Net (Ronneberger et al. 2015), as util/unet.py's UNet(in_channels=1, n_classes=2, depth=5,
 * wf=6, padding=False, batch_norm=False, up_mode='upconv'): `down_path` (ModuleList of
 * UNetConvBlock, avg_pool2d(2) between them), `up_path` (ModuleList of UNetUpBlock) and `last`
 * (1x1 Conv2d). `[N, inChannels, H, W]` → `[N, nClasses, H', W']` (H' = H with padding).
 * Layers keep PyTorch's default init; UNetWrapper re-initialises them.
 */
export class UNet extends nn.Module {
  /** Whether the 3x3 convs are padded. */
  readonly padding: boolean;
  /** Levels of the U. */
  readonly depth: number;
  /** The contracting UNetConvBlocks. */
  down_path: nn.ModuleList;
  /** The expanding UNetUpBlocks. */
  up_path: nn.ModuleList;
  /** 1x1 Conv2d to nClasses channels. */
  last: nn.Conv2d;

  /** Creates the network from util/unet.py's arguments, positional or as options. */
  constructor(...args: WithOptions<UNetPositional, UNetOptions>) {
    super();
    const o = parseArgs(UNET, args);
    this.padding = o.padding;
    this.depth = o.depth;
    let prev = o.inChannels;
    this.down_path = new nn.ModuleList();
    for (let i = 0; i < o.depth; i++) {
      this.down_path.append(new UNetConvBlock(prev, 2 ** (o.wf + i), o.padding, o.batchNorm));
      prev = 2 ** (o.wf + i);
    }
    this.up_path = new nn.ModuleList();
    for (let i = o.depth - 2; i >= 0; i--) {
      this.up_path.append(new UNetUpBlock(prev, 2 ** (o.wf + i), o.upMode, o.padding, o.batchNorm));
      prev = 2 ** (o.wf + i);
    }
    this.last = new nn.Conv2d(prev, o.nClasses, 1);
  }

  override forward(input: Tensor): Tensor {
    const blocks: Tensor[] = [];
    const down = [...this.down_path] as UNetConvBlock[];
    let x = input;
    down.forEach((d, i) => {
      x = d.call(x);
      if (i !== down.length - 1) {
        blocks.push(x);
        x = nn.functional.avgPool2d(x, 2);
      }
    });
    [...this.up_path].forEach((u, i) => {
      x = (u as UNetUpBlock).call(x, blocks[blocks.length - 1 - i] as Tensor);
    });
    return this.last.call(x);
  }
}

/**
 * The book's UNetWrapper(**kwargs) for segmentation: BatchNorm2d(in_channels) on the input, the
 * UNet, then Sigmoid; the book's `_init_weights` (kaiming_normal_ fan_out on convs and transposed
 * convs, its normal_(bias, −bound, bound) kept). Keyword options only, as the book passes them
 * (p2ch13 trains `{ inChannels: 7, nClasses: 1, depth: 3, wf: 4, padding: true, batchNorm: true,
 * upMode: "upconv" }`). `[N, inChannels, H, W]` → `[N, nClasses, H', W']` in (0, 1).
 */
export class UNetWrapper extends nn.Module {
  /** BatchNorm2d(inChannels) on the input. */
  input_batchnorm: nn.BatchNorm2d;
  /** The UNet. */
  unet: UNet;
  /** Sigmoid on the output. */
  final: nn.Sigmoid;

  /**
   * Creates the wrapper from UNet's options (keyword only, as the book's **kwargs) and runs the
   * book's init.
   */
  constructor(...args: [options?: UNetOptions]) {
    super();
    const o = parseArgs(UNET_WRAPPER, args);
    this.input_batchnorm = new nn.BatchNorm2d(o.inChannels);
    this.unet = new UNet(o);
    this.final = new nn.Sigmoid();
    initBook(this);
  }

  override forward(x: Tensor): Tensor {
    return this.final.call(this.unet.call(this.input_batchnorm.call(x)));
  }
}

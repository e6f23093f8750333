// torchvision 0.14's ResNet family (resnet18/34/50): the same module tree, state-dict keys,
// initialisation and forward, so a torchvision state dict loads unchanged.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import {
  arrayOf,
  bool,
  func,
  instanceOf,
  int,
  nullable,
  opt,
  parseArgs,
  signature,
  unchecked,
  type WithOptions,
} from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import * as nn from "../nn/index.ts";
import type { AnyModule } from "../nn/module.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { initTorchvision, refuseWeights } from "./common.ts";

/** A normalisation layer factory, as torchvision's `norm_layer`: `(numFeatures) => module`. */
export type NormLayer = (numFeatures: number) => AnyModule;

const batchNorm2d: NormLayer = (c) => new nn.BatchNorm2d(c);

function conv3x3(inPlanes: number, outPlanes: number, stride = 1, groups = 1, dilation = 1) {
  return new nn.Conv2d(inPlanes, outPlanes, 3, {
    stride,
    padding: dilation,
    groups,
    bias: false,
    dilation,
  });
}

function conv1x1(inPlanes: number, outPlanes: number, stride = 1) {
  return new nn.Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });
}

/** Options of BasicBlock and Bottleneck, torchvision's keyword arguments camelCased. */
export interface BlockOptions {
  /** Stride of the block's strided conv (default 1). */
  stride?: number;
  /** Module applied to the shortcut (default null: the identity). */
  downsample?: AnyModule | null;
  /** Convolution groups (default 1). */
  groups?: number;
  /** Base width (default 64). */
  baseWidth?: number;
  /** Dilation of the 3x3 conv (default 1). */
  dilation?: number;
  /** Normalisation layer factory (default BatchNorm2d). */
  normLayer?: NormLayer | null;
}

type BlockPositional = [
  stride: number,
  downsample: AnyModule | null,
  groups: number,
  baseWidth: number,
  dilation: number,
  normLayer: NormLayer | null,
];

function blockSignature(op: string) {
  return signature(op, {
    inplanes: int,
    planes: int,
    stride: opt(int, 1),
    downsample: opt(nullable(instanceOf(nn.Module, "an nn.Module")), null),
    groups: opt(int, 1),
    baseWidth: opt(int, 64),
    dilation: opt(int, 1),
    normLayer: opt(nullable(func), null),
  });
}
const BASIC_BLOCK = blockSignature("models.BasicBlock");
const BOTTLENECK = blockSignature("models.Bottleneck");

/** The two-conv residual block of resnet18/34, as torchvision.models.resnet.BasicBlock. */
export class BasicBlock extends nn.Module {
  /** Output channels per `planes` (1). */
  static readonly expansion = 1;
  /** First 3x3 convolution (carries the block's stride). */
  conv1: nn.Conv2d;
  /** Norm after conv1. */
  bn1: AnyModule;
  /** ReLU(inplace=True), applied twice. */
  relu: nn.ReLU;
  /** Second 3x3 convolution. */
  conv2: nn.Conv2d;
  /** Norm after conv2 (zeroed by zeroInitResidual). */
  bn2: AnyModule;
  /** The 1x1 conv + norm applied to the shortcut when shapes change, else null. */
  downsample: AnyModule | null;
  /** Stride of conv1. */
  readonly stride: number;

  /**
   * Creates the block, as BasicBlock(inplanes, planes, stride=1, downsample=None, groups=1,
   * base_width=64, dilation=1, norm_layer=None), positional or as options after `planes`.
   */
  constructor(
    inPlanes: number,
    planes: number,
    ...rest: WithOptions<BlockPositional, BlockOptions>
  ) {
    super();
    const a = parseArgs(BASIC_BLOCK, [inPlanes, planes, ...rest]);
    const normLayer = (a.normLayer as NormLayer | null) ?? batchNorm2d;
    if (a.groups !== 1 || a.baseWidth !== 64) {
      throw new ValueError("BasicBlock only supports groups=1 and base_width=64");
    }
    if (a.dilation > 1) {
      // NOTE: PyTorch raises NotImplementedError here; Kiln has no such error type.
      throw new ValueError("Dilation > 1 not supported in BasicBlock");
    }
    this.conv1 = conv3x3(inPlanes, planes, a.stride);
    this.bn1 = normLayer(planes);
    this.relu = new nn.ReLU({ inplace: true });
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = normLayer(planes);
    this.downsample = a.downsample;
    this.stride = a.stride;
  }

  override forward(x: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(x)) as Tensor);
    out = this.bn2.call(this.conv2.call(out)) as Tensor;
    const identity = this.downsample === null ? x : (this.downsample.call(x) as Tensor);
    return this.relu.call(out.add(identity));
  }
}

/** The 1x1-3x3-1x1 residual block of resnet50, as torchvision.models.resnet.Bottleneck (V1.5). */
export class Bottleneck extends nn.Module {
  /** Output channels per `planes` (4). */
  static readonly expansion = 4;
  /** 1x1 reduction to `width` channels. */
  conv1: nn.Conv2d;
  /** Norm after conv1. */
  bn1: AnyModule;
  /** 3x3 grouped/dilated convolution (carries the stride, V1.5). */
  conv2: nn.Conv2d;
  /** Norm after conv2. */
  bn2: AnyModule;
  /** 1x1 expansion to planes·4 channels. */
  conv3: nn.Conv2d;
  /** Norm after conv3 (zeroed by zeroInitResidual). */
  bn3: AnyModule;
  /** ReLU(inplace=True), applied three times. */
  relu: nn.ReLU;
  /** The 1x1 conv + norm applied to the shortcut when shapes change, else null. */
  downsample: AnyModule | null;
  /** Stride of conv2. */
  readonly stride: number;

  /**
   * Creates the block, as Bottleneck(inplanes, planes, stride=1, downsample=None, groups=1,
   * base_width=64, dilation=1, norm_layer=None), positional or as options after `planes`.
   */
  constructor(
    inPlanes: number,
    planes: number,
    ...rest: WithOptions<BlockPositional, BlockOptions>
  ) {
    super();
    const a = parseArgs(BOTTLENECK, [inPlanes, planes, ...rest]);
    const normLayer = (a.normLayer as NormLayer | null) ?? batchNorm2d;
    const width = Math.trunc(planes * (a.baseWidth / 64)) * a.groups;
    this.conv1 = conv1x1(inPlanes, width);
    this.bn1 = normLayer(width);
    this.conv2 = conv3x3(width, width, a.stride, a.groups, a.dilation);
    this.bn2 = normLayer(width);
    this.conv3 = conv1x1(width, planes * Bottleneck.expansion);
    this.bn3 = normLayer(planes * Bottleneck.expansion);
    this.relu = new nn.ReLU({ inplace: true });
    this.downsample = a.downsample;
    this.stride = a.stride;
  }

  override forward(x: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(x)) as Tensor);
    out = this.relu.call(this.bn2.call(this.conv2.call(out)) as Tensor);
    out = this.bn3.call(this.conv3.call(out)) as Tensor;
    const identity = this.downsample === null ? x : (this.downsample.call(x) as Tensor);
    return this.relu.call(out.add(identity));
  }
}

/** Which residual block a ResNet stacks. */
export type ResNetBlock = typeof BasicBlock | typeof Bottleneck;

/** Options of ResNet and of resnet18/34/50, as torchvision's keyword arguments. */
export interface ResNetOptions {
  /** Size of the final Linear layer (default 1000). */
  numClasses?: number;
  /** Zero the last BatchNorm weight of every residual branch (default false). */
  zeroInitResidual?: boolean;
  /** Convolution groups of Bottleneck (default 1; BasicBlock accepts only 1). */
  groups?: number;
  /** Base width of a Bottleneck (default 64; BasicBlock accepts only 64). */
  widthPerGroup?: number;
  /** For layer2..layer4, use dilation instead of stride 2 (default all false). */
  replaceStrideWithDilation?: readonly boolean[] | null;
  /** Normalisation layer factory (default `(c) => new nn.BatchNorm2d(c)`). */
  normLayer?: NormLayer | null;
}

const RESNET_KW = {
  numClasses: opt(int, 1000),
  zeroInitResidual: opt(bool, false),
  groups: opt(int, 1),
  widthPerGroup: opt(int, 64),
  replaceStrideWithDilation: opt(nullable(arrayOf(bool)), null),
  normLayer: opt(nullable(func), null),
};
const RESNET = signature("models.ResNet", { block: unchecked, layers: arrayOf(int) }, RESNET_KW);

/**
 * ResNet (He et al. 2015, V1.5 stride placement), as torchvision.models.ResNet(block, layers,
 * num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
 * replace_stride_with_dilation=None, norm_layer=None).
 * Input `[N, 3, H, W]` → logits `[N, numClasses]`. Convs get kaiming_normal_(fan_out, relu),
 * norms weight 1 and bias 0; fc keeps nn.Linear's default init, as torchvision.
 */
export class ResNet extends nn.Module {
  /** Stem: 7x7 convolution, stride 2, 64 channels. */
  conv1: nn.Conv2d;
  /** Stem norm. */
  bn1: AnyModule;
  /** Stem ReLU(inplace=True). */
  relu: nn.ReLU;
  /** Stem 3x3 max pool, stride 2. */
  maxpool: nn.MaxPool2d;
  /** Stage 1: 64 planes. */
  layer1: nn.Sequential;
  /** Stage 2: 128 planes, stride 2 (or dilation). */
  layer2: nn.Sequential;
  /** Stage 3: 256 planes, stride 2 (or dilation). */
  layer3: nn.Sequential;
  /** Stage 4: 512 planes, stride 2 (or dilation). */
  layer4: nn.Sequential;
  /** Global average pool to 1x1. */
  avgpool: nn.AdaptiveAvgPool2d;
  /** Classifier Linear(512·expansion, numClasses). */
  fc: nn.Linear;
  #inPlanes = 64;
  #dilation = 1;

  /** Builds the network from a block class and four block counts, then runs torchvision's init. */
  constructor(block: ResNetBlock, layers: readonly number[], ...rest: [options?: ResNetOptions]) {
    super();
    const o = parseArgs(RESNET, [block, layers, ...rest]);
    if (block !== BasicBlock && block !== Bottleneck) {
      throw new ValueError("models.ResNet: block must be models.BasicBlock or models.Bottleneck");
    }
    if (layers.length !== 4) {
      throw new ValueError(`models.ResNet: layers must list 4 block counts, got ${layers.length}`);
    }
    const rswd = o.replaceStrideWithDilation ?? [false, false, false];
    if (rswd.length !== 3) {
      throw new ValueError(
        `replace_stride_with_dilation should be None or a 3-element tuple, got [${rswd.join(", ")}]`,
      );
    }
    const normLayer = (o.normLayer as NormLayer | null) ?? batchNorm2d;
    const make = (planes: number, blocks: number, stride = 1, dilate = false): nn.Sequential => {
      let s = stride;
      let downsample: AnyModule | null = null;
      const previousDilation = this.#dilation;
      if (dilate) {
        this.#dilation *= s;
        s = 1;
      }
      if (s !== 1 || this.#inPlanes !== planes * block.expansion) {
        downsample = new nn.Sequential(
          conv1x1(this.#inPlanes, planes * block.expansion, s),
          normLayer(planes * block.expansion),
        );
      }
      const { groups, widthPerGroup: baseWidth } = o;
      const mods: AnyModule[] = [
        new block(
          this.#inPlanes,
          planes,
          s,
          downsample,
          groups,
          baseWidth,
          previousDilation,
          normLayer,
        ),
      ];
      this.#inPlanes = planes * block.expansion;
      for (let i = 1; i < blocks; i++) {
        mods.push(
          new block(this.#inPlanes, planes, {
            groups,
            baseWidth,
            dilation: this.#dilation,
            normLayer,
          }),
        );
      }
      return new nn.Sequential(...mods);
    };
    const [l1, l2, l3, l4] = layers as [number, number, number, number];
    this.conv1 = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = normLayer(64);
    this.relu = new nn.ReLU({ inplace: true });
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = make(64, l1);
    this.layer2 = make(128, l2, 2, rswd[0]);
    this.layer3 = make(256, l3, 2, rswd[1]);
    this.layer4 = make(512, l4, 2, rswd[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, o.numClasses);
    initTorchvision(this, { nonlinearity: "relu", linear: false });
    if (o.zeroInitResidual) {
      for (const m of this.modules()) {
        const bn = m instanceof Bottleneck ? m.bn3 : m instanceof BasicBlock ? m.bn2 : null;
        const w = bn === null ? null : (bn as unknown as { weight?: Tensor | null }).weight;
        if (w) nn.init.zeros_(w);
      }
    }
  }

  override forward(x: Tensor): Tensor {
    let y = this.maxpool.call(this.relu.call(this.bn1.call(this.conv1.call(x)) as Tensor));
    y = this.layer4.call(this.layer3.call(this.layer2.call(this.layer1.call(y))));
    return this.fc.call(this.avgpool.call(y).flatten(1));
  }
}

/** Keyword options of resnet18/34/50: ResNet's, plus torchvision's `weights` and `progress`. */
export interface ResNetFactoryOptions extends ResNetOptions {
  /** Pretrained weights are not downloaded: anything but null/undefined throws (see the error). */
  weights?: null;
  /** Accepted for parity; nothing is downloaded. */
  progress?: boolean;
}

const FACTORY_KW = { ...RESNET_KW, weights: opt(unchecked), progress: opt(bool, true) };

function resnet(
  name: string,
  block: ResNetBlock,
  layers: number[],
  args: unknown[],
  fixed: { groups?: number; widthPerGroup?: number } = {},
): ResNet {
  const o = parseArgs(signature(`models.${name}`, {}, FACTORY_KW), args);
  refuseWeights(name, o.weights);
  const { weights: _w, progress: _p, ...rest } = o;
  // torchvision's _ovewrite_named_param: the variant fixes these, and a different value is refused.
  const given = args[0] as { groups?: number; widthPerGroup?: number } | undefined;
  for (const key of ["groups", "widthPerGroup"] as const) {
    const want = fixed[key];
    if (want === undefined) continue;
    const got = given?.[key];
    if (got !== undefined && got !== want) {
      throw new ValueError(
        `models.${name}: The parameter '${key}' expected value ${want} but got ${got} instead.`,
      );
    }
    rest[key] = want;
  }
  return new ResNet(block, layers, rest as ResNetOptions);
}

/**
 * ResNet-18, as torchvision.models.resnet18(*, weights=None, progress=True, **kwargs):
 * BasicBlock × [2, 2, 2, 2]. Input `[N, 3, H, W]` (H, W ≥ 1) → `[N, numClasses]`.
 *
 * @example const net = models.resnet18({ numClasses: 10 });
 */
export function resnet18(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnet18", BasicBlock, [2, 2, 2, 2], args);
}

/** ResNet-34, as torchvision.models.resnet34: BasicBlock × [3, 4, 6, 3]. */
export function resnet34(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnet34", BasicBlock, [3, 4, 6, 3], args);
}

/** ResNet-50, as torchvision.models.resnet50: Bottleneck × [3, 4, 6, 3]. */
export function resnet50(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnet50", Bottleneck, [3, 4, 6, 3], args);
}

/** ResNet-101, as torchvision.models.resnet101: Bottleneck × [3, 4, 23, 3]. */
export function resnet101(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnet101", Bottleneck, [3, 4, 23, 3], args);
}

/** ResNet-152, as torchvision.models.resnet152: Bottleneck × [3, 8, 36, 3]. */
export function resnet152(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnet152", Bottleneck, [3, 8, 36, 3], args);
}

/** ResNeXt-50 32x4d, as torchvision.models.resnext50_32x4d: groups 32, width per group 4. */
export function resnext50_32x4d(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnext50_32x4d", Bottleneck, [3, 4, 6, 3], args, {
    groups: 32,
    widthPerGroup: 4,
  });
}

/** ResNeXt-101 32x8d, as torchvision.models.resnext101_32x8d: groups 32, width per group 8. */
export function resnext101_32x8d(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("resnext101_32x8d", Bottleneck, [3, 4, 23, 3], args, {
    groups: 32,
    widthPerGroup: 8,
  });
}

/** Wide ResNet-50-2, as torchvision.models.wide_resnet50_2: width per group 128. */
export function wideResnet50_2(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("wideResnet50_2", Bottleneck, [3, 4, 6, 3], args, { widthPerGroup: 128 });
}

/** Wide ResNet-101-2, as torchvision.models.wide_resnet101_2: width per group 128. */
export function wideResnet101_2(...args: [options?: ResNetFactoryOptions]): ResNet {
  return resnet("wideResnet101_2", Bottleneck, [3, 4, 23, 3], args, { widthPerGroup: 128 });
}

// torchvision 0.14's MobileNetV2 with its Conv2dNormActivation and InvertedResidual blocks: the
// same module tree, state-dict keys, init and forward, so a torchvision state dict loads unchanged.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import {
  arrayOf,
  bool,
  func,
  int,
  nullable,
  num,
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
import type { NormLayer } from "./resnet.ts";

/**
 * `v` rounded to the nearest multiple of `divisor`, at least `minValue` (default `divisor`) and
 * never more than 10% below `v`, as torchvision.models._utils._make_divisible.
 */
export function makeDivisible(v: number, divisor: number, minValue?: number): number {
  const min = minValue ?? divisor;
  let newV = Math.max(min, Math.floor(Math.trunc(v + divisor / 2) / divisor) * divisor);
  if (newV < 0.9 * v) newV += divisor;
  return newV;
}

/** Options of Conv2dNormActivation, as torchvision.ops.Conv2dNormActivation's keywords. */
export interface Conv2dNormActivationOptions {
  kernelSize?: number;
  stride?: number;
  /** Default (kernelSize − 1) / 2 · dilation. */
  padding?: number | null;
  groups?: number;
  /** Default BatchNorm2d; null for none. */
  normLayer?: NormLayer | null;
  /** Default `() => new nn.ReLU({ inplace })`; null for none. */
  activationLayer?: ((o: { inplace: boolean }) => AnyModule) | null;
  dilation?: number;
  inplace?: boolean;
  /** Default: a bias only when there is no norm layer. */
  bias?: boolean | null;
}

const CNA = signature(
  "models.Conv2dNormActivation",
  {
    inChannels: int,
    outChannels: int,
    kernelSize: opt(int, 3),
    stride: opt(int, 1),
    padding: opt(nullable(int), null),
    groups: opt(int, 1),
    normLayer: opt(nullable(func), undefined),
    activationLayer: opt(nullable(func), undefined),
    dilation: opt(int, 1),
    inplace: opt(bool, true),
    bias: opt(nullable(bool), null),
  },
  {},
);

/**
 * Conv2d, then a norm layer, then an activation, in one Sequential ("0", "1", "2"), as
 * torchvision.ops.Conv2dNormActivation(in_channels, out_channels, kernel_size=3, stride=1,
 * padding=None, groups=1, norm_layer=BatchNorm2d, activation_layer=ReLU, dilation=1,
 * inplace=True, bias=None). `[N, Cin, H, W]` → `[N, Cout, H', W']`.
 */
export class Conv2dNormActivation extends nn.Sequential {
  /** Output channels of the block. */
  readonly outChannels: number;

  /** Builds conv [+ norm] [+ activation] from torchvision's arguments. */
  constructor(
    inChannels: number,
    outChannels: number,
    ...rest: [options?: Conv2dNormActivationOptions]
  ) {
    const o = parseArgs(CNA, [inChannels, outChannels, ...rest]);
    const padding = o.padding ?? Math.floor((o.kernelSize - 1) / 2) * o.dilation;
    const normLayer =
      o.normLayer === undefined
        ? (c: number) => new nn.BatchNorm2d(c)
        : (o.normLayer as NormLayer | null);
    const act =
      o.activationLayer === undefined
        ? (a: { inplace: boolean }) => new nn.ReLU(a)
        : (o.activationLayer as ((a: { inplace: boolean }) => AnyModule) | null);
    const layers: AnyModule[] = [
      new nn.Conv2d(inChannels, outChannels, o.kernelSize, {
        stride: o.stride,
        padding,
        dilation: o.dilation,
        groups: o.groups,
        bias: o.bias ?? normLayer === null,
      }),
    ];
    if (normLayer !== null) layers.push(normLayer(outChannels));
    if (act !== null) layers.push(act({ inplace: o.inplace }));
    super(...layers);
    this.outChannels = outChannels;
  }
}

const relu6 = (a: { inplace: boolean }) => new nn.ReLU6(a);

const INVERTED_RESIDUAL = signature("models.InvertedResidual", {
  inp: int,
  oup: int,
  stride: int,
  expandRatio: num,
  normLayer: opt(nullable(func), null),
});

/**
 * MobileNetV2's inverted residual block (expand 1x1, depthwise 3x3, project 1x1), as
 * torchvision.models.mobilenetv2.InvertedResidual(inp, oup, stride, expand_ratio, norm_layer=None).
 * Adds its input when stride is 1 and inp equals oup.
 */
export class InvertedResidual extends nn.Module {
  /** Stride of the depthwise conv (1 or 2). */
  readonly stride: number;
  /** Whether forward adds the input (stride 1 and inp == oup). */
  readonly useResConnect: boolean;
  /** The expand / depthwise / project layers. */
  conv: nn.Sequential;
  /** Output channels (oup). */
  readonly outChannels: number;

  /** Creates the block, as InvertedResidual(inp, oup, stride, expand_ratio, norm_layer=None). */
  constructor(
    ...args: WithOptions<
      [inp: number, oup: number, stride: number, expandRatio: number, normLayer: NormLayer | null],
      { normLayer?: NormLayer | null }
    >
  ) {
    super();
    const { inp, oup, stride, expandRatio, normLayer } = parseArgs(INVERTED_RESIDUAL, args);
    if (stride !== 1 && stride !== 2) {
      throw new ValueError(`stride should be 1 or 2 insted of ${stride}`);
    }
    const norm = (normLayer as NormLayer | null) ?? ((c: number) => new nn.BatchNorm2d(c));
    this.stride = stride;
    // NOTE: Python's round() rounds halves to even; inp·expandRatio is an integer here in practice.
    const hiddenDim = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const layers: AnyModule[] = [];
    if (expandRatio !== 1) {
      layers.push(
        new Conv2dNormActivation(inp, hiddenDim, {
          kernelSize: 1,
          normLayer: norm,
          activationLayer: relu6,
        }),
      );
    }
    layers.push(
      new Conv2dNormActivation(hiddenDim, hiddenDim, {
        stride,
        groups: hiddenDim,
        normLayer: norm,
        activationLayer: relu6,
      }),
      new nn.Conv2d(hiddenDim, oup, 1, 1, 0, { bias: false }),
      norm(oup),
    );
    this.conv = new nn.Sequential(...layers);
    this.outChannels = oup;
  }

  override forward(x: Tensor): Tensor {
    return this.useResConnect ? x.add(this.conv.call(x)) : this.conv.call(x);
  }
}

/** Options of MobileNetV2 and mobilenetV2, as torchvision's keyword arguments. */
export interface MobileNetV2Options {
  /** Size of the final Linear layer (default 1000). */
  numClasses?: number;
  /** Channel multiplier (default 1.0). */
  widthMult?: number;
  /** The [t, c, n, s] rows (expansion, channels, repeats, stride); default the paper's 7 rows. */
  invertedResidualSetting?: readonly (readonly number[])[] | null;
  /** Channels are rounded to a multiple of this (default 8; 1 turns rounding off). */
  roundNearest?: number;
  /** Normalisation layer factory (default BatchNorm2d). */
  normLayer?: NormLayer | null;
  /** Dropout probability before the classifier (default 0.2). */
  dropout?: number;
}

const MBV2_KW = {
  numClasses: opt(int, 1000),
  widthMult: opt(num, 1.0),
  invertedResidualSetting: opt(nullable(arrayOf(arrayOf(int))), null),
  roundNearest: opt(int, 8),
  normLayer: opt(nullable(func), null),
  dropout: opt(num, 0.2),
};

const DEFAULT_SETTING = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/**
 * MobileNetV2 (Sandler et al. 2018), as torchvision.models.MobileNetV2(num_classes=1000,
 * width_mult=1.0, inverted_residual_setting=None, round_nearest=8, block=None, norm_layer=None,
 * dropout=0.2). Input `[N, 3, H, W]` → `[N, numClasses]`. Convs get kaiming_normal_(fan_out),
 * norms 1 and 0, the Linear N(0, 0.01) and a zero bias.
 */
export class MobileNetV2 extends nn.Module {
  /** Channels of the last feature layer (1280·max(1, widthMult), rounded). */
  readonly lastChannel: number;
  /** Stem, the inverted residual blocks and the last 1x1 conv, as one Sequential. */
  features: nn.Sequential;
  /** Dropout then Linear(lastChannel, numClasses). */
  classifier: nn.Sequential;

  /** Builds the network from torchvision's keyword arguments, then runs its init. */
  constructor(...args: [options?: MobileNetV2Options]) {
    super();
    const o = parseArgs(signature("models.MobileNetV2", {}, MBV2_KW), args);
    const norm = (o.normLayer as NormLayer | null) ?? ((c: number) => new nn.BatchNorm2d(c));
    const setting = o.invertedResidualSetting ?? DEFAULT_SETTING;
    if (setting.length === 0 || setting[0]?.length !== 4) {
      throw new ValueError(
        `inverted_residual_setting should be non-empty or a 4-element list, got ${JSON.stringify(setting)}`,
      );
    }
    let inputChannel = makeDivisible(32 * o.widthMult, o.roundNearest);
    this.lastChannel = makeDivisible(1280 * Math.max(1.0, o.widthMult), o.roundNearest);
    const features: AnyModule[] = [
      new Conv2dNormActivation(3, inputChannel, {
        stride: 2,
        normLayer: norm,
        activationLayer: relu6,
      }),
    ];
    for (const row of setting) {
      const [t, c, n, s] = row as [number, number, number, number];
      const outputChannel = makeDivisible(c * o.widthMult, o.roundNearest);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidual(inputChannel, outputChannel, i === 0 ? s : 1, t, norm));
        inputChannel = outputChannel;
      }
    }
    features.push(
      new Conv2dNormActivation(inputChannel, this.lastChannel, {
        kernelSize: 1,
        normLayer: norm,
        activationLayer: relu6,
      }),
    );
    this.features = new nn.Sequential(...features);
    this.classifier = new nn.Sequential(
      new nn.Dropout({ p: o.dropout }),
      new nn.Linear(this.lastChannel, o.numClasses),
    );
    // torchvision's MobileNetV2 init: kaiming_normal_(mode="fan_out") with the default
    // leaky_relu(a=0) gain, which equals relu's √2.
    initTorchvision(this, { nonlinearity: "leaky_relu", linear: true });
  }

  override forward(x: Tensor): Tensor {
    const y = nn.functional.adaptiveAvgPool2d(this.features.call(x), [1, 1]);
    return this.classifier.call(y.flatten(1));
  }
}

/** Keyword options of mobilenetV2: MobileNetV2's, plus torchvision's `weights` and `progress`. */
export interface MobileNetV2FactoryOptions extends MobileNetV2Options {
  /** Pretrained weights are not downloaded: anything but null/undefined throws (see the error). */
  weights?: null;
  /** Accepted for parity; nothing is downloaded. */
  progress?: boolean;
}

const FACTORY_KW = { ...MBV2_KW, weights: opt(unchecked), progress: opt(bool, true) };

/**
 * MobileNetV2, as torchvision.models.mobilenet_v2(*, weights=None, progress=True, **kwargs).
 *
 * @example const net = models.mobilenetV2({ numClasses: 10, widthMult: 0.5 });
 */
export function mobilenetV2(...args: [options?: MobileNetV2FactoryOptions]): MobileNetV2 {
  const o = parseArgs(signature("models.mobilenetV2", {}, FACTORY_KW), args);
  refuseWeights("mobilenetV2", o.weights);
  const { weights: _w, progress: _p, ...rest } = o;
  return new MobileNetV2(rest as MobileNetV2Options);
}

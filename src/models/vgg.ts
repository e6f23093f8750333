// torchvision 0.14's VGG (vgg11, vgg11Bn): the same module tree, state-dict keys, init and forward,
// so a torchvision state dict loads unchanged.
// Sits above nn: imports nn, tensor and core only; nothing in nn may import it.

import {
  arrayOf,
  bool,
  either,
  int,
  num,
  oneOf,
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

/** VGG's layer configurations, as torchvision's `cfgs` ("M" is a 2x2 max pool). */
export const vggConfigs: Readonly<Record<"A" | "B" | "D" | "E", readonly (number | "M")[]>> = {
  A: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  B: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  D: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
  E: [
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
  ],
};

const MAKE_LAYERS = signature("models.makeLayers", {
  cfg: arrayOf(either(int, oneOf("M"))),
  batchNorm: opt(bool, false),
});

/**
 * VGG's feature extractor from a configuration, as torchvision.models.vgg.make_layers(cfg,
 * batch_norm=False): Conv2d(3x3, padding 1) [+ BatchNorm2d] + ReLU(inplace) per number,
 * MaxPool2d(2, 2) per "M". Input `[N, 3, H, W]` → `[N, 512, H/32, W/32]` for the standard configs.
 */
export function makeLayers(
  ...args: WithOptions<
    [cfg: readonly (number | "M")[], batchNorm: boolean],
    { batchNorm?: boolean }
  >
): nn.Sequential {
  const { cfg, batchNorm } = parseArgs(MAKE_LAYERS, args);
  const layers: AnyModule[] = [];
  let inChannels = 3;
  for (const v of cfg) {
    if (v === "M") {
      layers.push(new nn.MaxPool2d(2, { stride: 2 }));
    } else {
      const conv = new nn.Conv2d(inChannels, v, 3, { padding: 1 });
      if (batchNorm) layers.push(conv, new nn.BatchNorm2d(v), new nn.ReLU({ inplace: true }));
      else layers.push(conv, new nn.ReLU({ inplace: true }));
      inChannels = v;
    }
  }
  return new nn.Sequential(...layers);
}

/** Options of VGG and of vgg11/vgg11Bn, as torchvision's keyword arguments. */
export interface VGGOptions {
  /** Size of the last Linear layer (default 1000). */
  numClasses?: number;
  /** Run torchvision's init (default true): kaiming_normal_(fan_out) convs, N(0, 0.01) linears. */
  initWeights?: boolean;
  /** Dropout probability of the classifier (default 0.5). */
  dropout?: number;
}

const VGG_KW = { numClasses: opt(int, 1000), initWeights: opt(bool, true), dropout: opt(num, 0.5) };
const VGG_SIG = signature("models.VGG", { features: unchecked }, VGG_KW);

/**
 * VGG (Simonyan & Zisserman 2014), as torchvision.models.VGG(features, num_classes=1000,
 * init_weights=True, dropout=0.5): `features`, AdaptiveAvgPool2d((7, 7)), then
 * Linear(25088, 4096)-ReLU-Dropout-Linear(4096, 4096)-ReLU-Dropout-Linear(4096, numClasses).
 * Input `[N, 3, H, W]` (H, W ≥ 32) → `[N, numClasses]`.
 */
export class VGG extends nn.Module {
  /** The convolutional feature extractor (see makeLayers). */
  features: AnyModule;
  /** Adaptive average pool to 7x7. */
  avgpool: nn.AdaptiveAvgPool2d;
  /** The three Linear layers with ReLU and Dropout. */
  classifier: nn.Sequential;

  /**
   * Builds the network around `features`, then runs torchvision's init unless `initWeights` is
   * false.
   */
  constructor(features: AnyModule, ...rest: [options?: VGGOptions]) {
    super();
    const o = parseArgs(VGG_SIG, [features, ...rest]);
    if (!(features instanceof nn.Module)) {
      throw new ValueError("models.VGG: features must be an nn.Module (see models.makeLayers)");
    }
    this.features = features;
    this.avgpool = new nn.AdaptiveAvgPool2d([7, 7]);
    this.classifier = new nn.Sequential(
      new nn.Linear(512 * 7 * 7, 4096),
      new nn.ReLU(true),
      new nn.Dropout({ p: o.dropout }),
      new nn.Linear(4096, 4096),
      new nn.ReLU(true),
      new nn.Dropout({ p: o.dropout }),
      new nn.Linear(4096, o.numClasses),
    );
    if (o.initWeights) initTorchvision(this, { nonlinearity: "relu", linear: true });
  }

  override forward(x: Tensor): Tensor {
    const y = this.avgpool.call(this.features.call(x) as Tensor);
    return this.classifier.call(y.flatten(1));
  }
}

/** Keyword options of vgg11/vgg11Bn: VGG's, plus torchvision's `weights` and `progress`. */
export interface VGGFactoryOptions extends VGGOptions {
  /** Pretrained weights are not downloaded: anything but null/undefined throws (see the error). */
  weights?: null;
  /** Accepted for parity; nothing is downloaded. */
  progress?: boolean;
}

const FACTORY_KW = { ...VGG_KW, weights: opt(unchecked), progress: opt(bool, true) };

function vgg(name: string, cfg: "A" | "B" | "D" | "E", bn: boolean, args: unknown[]): VGG {
  const o = parseArgs(signature(`models.${name}`, {}, FACTORY_KW), args);
  refuseWeights(name, o.weights);
  const { weights: _w, progress: _p, ...rest } = o;
  return new VGG(makeLayers(vggConfigs[cfg], bn), rest);
}

/**
 * VGG-11 (configuration "A"), as torchvision.models.vgg11(*, weights=None, progress=True,
 * **kwargs). Input `[N, 3, H, W]` (H, W ≥ 32) → `[N, numClasses]`; 132.9M parameters at 1000 classes.
 */
export function vgg11(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg11", "A", false, args);
}

/** VGG-11 with BatchNorm2d after every conv, as torchvision.models.vgg11_bn. */
export function vgg11Bn(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg11Bn", "A", true, args);
}

/** VGG-13 (configuration "B"), as torchvision.models.vgg13. */
export function vgg13(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg13", "B", false, args);
}

/** VGG-13 with BatchNorm2d, as torchvision.models.vgg13_bn. */
export function vgg13Bn(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg13Bn", "B", true, args);
}

/** VGG-16 (configuration "D"), as torchvision.models.vgg16. */
export function vgg16(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg16", "D", false, args);
}

/** VGG-16 with BatchNorm2d, as torchvision.models.vgg16_bn. */
export function vgg16Bn(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg16Bn", "D", true, args);
}

/** VGG-19 (configuration "E"), as torchvision.models.vgg19. */
export function vgg19(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg19", "E", false, args);
}

/** VGG-19 with BatchNorm2d, as torchvision.models.vgg19_bn. */
export function vgg19Bn(...args: [options?: VGGFactoryOptions]): VGG {
  return vgg("vgg19Bn", "E", true, args);
}

// The model zoo, exported at the root as the `models` namespace: torchvision's ResNet, VGG and
// MobileNetV2, and the models of Deep Learning with PyTorch (dlwpt-code). Re-exports only;
// models import nn (and core/tensor), nothing imports models except src/index.ts.

export {
  AlexNet,
  type AlexNetFactoryOptions,
  type AlexNetOptions,
  alexnet,
} from "./alexnet.ts";
export { LunaBlock, LunaModel, type LunaModelOptions } from "./luna.ts";
export {
  Conv2dNormActivation,
  type Conv2dNormActivationOptions,
  InvertedResidual,
  MobileNetV2,
  type MobileNetV2FactoryOptions,
  type MobileNetV2Options,
  makeDivisible,
  mobilenetV2,
} from "./mobilenet.ts";
export { NetResDeep, type NetResDeepOptions, ResBlock } from "./net-res-deep.ts";
export {
  BasicBlock,
  type BlockOptions,
  Bottleneck,
  type NormLayer,
  ResNet,
  type ResNetBlock,
  type ResNetFactoryOptions,
  type ResNetOptions,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  resnext50_32x4d,
  resnext101_32x8d,
  wideResnet50_2,
  wideResnet101_2,
} from "./resnet.ts";
export { UNet, UNetConvBlock, type UNetOptions, UNetUpBlock, UNetWrapper } from "./unet.ts";
export {
  makeLayers,
  VGG,
  type VGGFactoryOptions,
  type VGGOptions,
  vgg11,
  vgg11Bn,
  vgg13,
  vgg13Bn,
  vgg16,
  vgg16Bn,
  vgg19,
  vgg19Bn,
  vggConfigs,
} from "./vgg.ts";

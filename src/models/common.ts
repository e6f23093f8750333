// Shared pieces of the model zoo: the refusal of pretrained `weights` (Kiln downloads nothing)
// and torchvision's usual initialisation loop. Imports nn and core only.

import { ValueError } from "../core/errors.ts";
import * as nn from "../nn/index.ts";
import type { Tensor } from "../tensor/tensor.ts";

/**
 * Throws unless `weights` is null/undefined: Kiln never downloads, and says how to bring
 * torchvision's weights over instead.
 */
export function refuseWeights(name: string, weights: unknown): void {
  if (weights === undefined || weights === null) return;
  const py = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  throw new ValueError(
    `models.${name}: pretrained weights are not downloaded (got weights=${String(weights)}); build the model with weights null, then load torchvision's state dict: in Python run torch.save(torchvision.models.${py}(weights="DEFAULT").state_dict(), "${py}.pt") and call net.loadStateDict(load("${py}.pt")), or save it with safetensors.torch.save_file(sd, "${py}.safetensors") and call net.loadStateDict(io.loadSafetensors("${py}.safetensors"))`,
  );
}

/**
 * The init loop torchvision's ResNet, VGG and MobileNetV2 end their constructors with: every
 * Conv2d gets kaiming_normal_(mode="fan_out") and a zero bias, every BatchNorm2d/GroupNorm
 * weight 1 and bias 0, and (when `linear`) every Linear N(0, 0.01) and a zero bias.
 */
export function initTorchvision(
  model: nn.Module<unknown>,
  o: { nonlinearity: "relu" | "leaky_relu"; linear: boolean },
): void {
  for (const m of model.modules()) {
    if (m instanceof nn.Conv2d) {
      nn.init.kaimingNormal_(m.weight, { mode: "fan_out", nonlinearity: o.nonlinearity });
      if (m.bias !== null) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.BatchNorm2d || m instanceof nn.GroupNorm) {
      const affine = m as unknown as { weight: Tensor | null; bias: Tensor | null };
      if (affine.weight !== null) nn.init.ones_(affine.weight);
      if (affine.bias !== null) nn.init.zeros_(affine.bias);
    } else if (o.linear && m instanceof nn.Linear) {
      nn.init.normal_(m.weight, 0, 0.01);
      if (m.bias !== null) nn.init.zeros_(m.bias);
    }
  }
}

/**
 * The dlwpt book's `_init_weights` (p2ch11 LunaModel, p2ch13 UNetWrapper): for modules whose
 * exact type is Linear, Conv2d/3d or ConvTranspose2d/3d, kaiming_normal_(a=0, fan_out, relu),
 * and a bias drawn as `nn.init.normal_(bias, -bound, bound)` with bound = 1/√fan_out.
 * NOTE: the book passes (-bound, bound) to normal_, i.e. mean −bound and std bound; kept as is.
 */
export function initBook(model: nn.Module<unknown>): void {
  const kinds: unknown[] = [
    nn.Linear,
    nn.Conv3d,
    nn.Conv2d,
    nn.ConvTranspose2d,
    nn.ConvTranspose3d,
  ];
  for (const m of model.modules()) {
    if (!kinds.includes(m.constructor)) continue;
    const layer = m as unknown as { weight: Tensor; bias: Tensor | null };
    nn.init.kaimingNormal_(layer.weight, { a: 0, mode: "fan_out", nonlinearity: "relu" });
    if (layer.bias !== null) {
      const [, fanOut] = nn.init.calculateFanInAndFanOut(layer.weight);
      const bound = 1 / Math.sqrt(fanOut);
      nn.init.normal_(layer.bias, -bound, bound);
    }
  }
}

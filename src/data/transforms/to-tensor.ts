// ToTensor: uint8-valued images to float CHW tensors in [0, 1], as torchvision.transforms.ToTensor.

import { oneOf, opt, parseArgs, showValue, signature } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { isRawImage, type RawImage, rawChannels, type TransformModule } from "./transform.ts";

export type { RawImage } from "./transform.ts";

const TO_TENSOR = signature("ToTensor", {}, { layout: opt(oneOf("HWC", "CHW"), "HWC") });

/**
 * Converts an image to a float32 tensor [C, H, W], as torchvision.transforms.ToTensor (which takes
 * no arguments; `layout` is Kiln's, for tensors). A RawImage (HWC bytes, what image datasets hand
 * their transform, as torchvision hands a PIL image) becomes [C, H, W] with x / 255 in float32,
 * exactly as torchvision. uint8 tensors are divided by 255, as torchvision's ByteTensor rule; int32
 * and bool tensors holding 0..255 too (Kiln's; torchvision leaves other integer arrays unscaled);
 * float tensors keep their values, as torchvision does
 * for float arrays. Tensors are read as [H, W], or [H, W, C] with `layout: "HWC"` (the default,
 * torchvision's numpy convention) or [C, H, W] with `layout: "CHW"`.
 *
 * @example new ToTensor().forward({ data: pixels, width: 28, height: 28, channels: 1 }) // [1, 28, 28]
 */
export class ToTensor implements TransformModule<Tensor | RawImage, Tensor> {
  /** How a tensor input is read: "HWC" (the default) or "CHW". */
  readonly layout: "HWC" | "CHW";
  /** Creates the transform; the only option is Kiln's `layout`. */
  constructor(...args: [options?: { layout?: "HWC" | "CHW" }]) {
    this.layout = parseArgs(TO_TENSOR, args).layout;
  }

  forward(x: Tensor | RawImage): Tensor {
    if (!(x instanceof Tensor)) {
      if (!isRawImage(x)) {
        throw new ValueError(
          `ToTensor: expected a RawImage { data, height, width, channels } or a Tensor, got ${showValue(x)}`,
        );
      }
      const c = rawChannels("ToTensor", x);
      const out = new Float32Array(x.data.length);
      const hw = x.width * x.height;
      for (let p = 0; p < hw; p++)
        for (let k = 0; k < c; k++) out[k * hw + p] = x.data[p * c + k]! / 255;
      return Tensor.fromData(out, [c, x.height, x.width], "float32");
    }
    let t = x;
    if (t.ndim === 2) t = t.unsqueeze(0);
    else if (t.ndim === 3 && this.layout === "HWC") t = t.permute(2, 0, 1);
    else if (t.ndim !== 3)
      throw new ShapeError(
        `ToTensor: expected an image of 2 or 3 dimensions, got shape [${x.shape.join(", ")}]`,
      );
    if (t.dtype === "float32" || t.dtype === "float64") return t.contiguous();
    if (t.dtype !== "int32" && t.dtype !== "bool" && t.dtype !== "uint8")
      throw new ValueError(
        `ToTensor: unsupported dtype ${t.dtype} (expected uint8, int32 or bool holding 0..255, or a float dtype)`,
      );
    const src = t.contiguous().dataSync() as ArrayLike<number>;
    const out = new Float32Array(src.length);
    for (let i = 0; i < src.length; i++) out[i] = src[i]! / 255;
    return Tensor.fromData(out, [...t.shape], "float32");
  }

  /**
   * How a worker thread rebuilds this transform (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "ToTensor", args: [{ layout: this.layout }] };
  }
}

// Normalize: per-channel standardisation, as torchvision.transforms.Normalize.

import { ShapeError, ValueError } from "../../core/errors.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { fromPlanes, type TransformModule, toPlanes } from "./transform.ts";

/**
 * out[c] = (x[c] - mean[c]) / std[c] for a float tensor [..., C, H, W].
 *
 * @example new Normalize([0.1307], [0.3081])   // MNIST's mean and std
 */
export class Normalize implements TransformModule<Tensor> {
  readonly mean: readonly number[];
  readonly std: readonly number[];
  constructor(mean: readonly number[], std: readonly number[]) {
    if (mean.length !== std.length) {
      throw new ValueError(`Normalize: mean has ${mean.length} values but std has ${std.length}`);
    }
    if (std.some((s) => s === 0)) {
      throw new ValueError(
        `Normalize: std evaluated to zero, leading to division by zero (std [${std.join(", ")}])`,
      );
    }
    this.mean = mean;
    this.std = std;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 3)
      throw new ShapeError(
        `Normalize: expected a tensor [..., C, H, W], got shape [${x.shape.join(", ")}]`,
      );
    const { data, planes, h, w } = toPlanes("Normalize", x);
    const c = x.shape[x.ndim - 3]!;
    if (this.mean.length !== c && this.mean.length !== 1) {
      throw new ShapeError(`Normalize: ${this.mean.length} means for an image of ${c} channels`);
    }
    const hw = h * w;
    for (let p = 0; p < planes; p++) {
      const k = this.mean.length === 1 ? 0 : p % c;
      const m = this.mean[k]!;
      const s = this.std[k]!;
      for (let i = p * hw; i < (p + 1) * hw; i++) data[i] = (data[i]! - m) / s;
    }
    return fromPlanes(x, data, h, w);
  }

  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "Normalize", args: [this.mean, this.std] };
  }
}

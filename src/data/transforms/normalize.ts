// Normalize: per-channel standardisation, as torchvision.transforms.Normalize.

import {
  arrayOf,
  either,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { fromPlanes, isRawImage, type TransformModule, toPlanes } from "./transform.ts";

const NORMALIZE = signature("Normalize", {
  mean: either(num, arrayOf(num)),
  std: either(num, arrayOf(num)),
  inplace: opt(oneOf(false), false),
});

/**
 * out[c] = (x[c] - mean[c]) / std[c] for a float tensor [..., C, H, W], as
 * torchvision.transforms.Normalize(mean, std, inplace=False): in float32 for float32 input (mean
 * and std rounded to float32 first), so values match torchvision's bit for bit. A tensor only,
 * as torchvision (put ToTensor first); `inplace` only false.
 *
 * @example new Normalize([0.1307], [0.3081])   // MNIST's mean and std
 */
export class Normalize implements TransformModule<Tensor> {
  /** Per-channel means subtracted. */
  readonly mean: readonly number[];
  /** Per-channel standard deviations divided by (none zero). */
  readonly std: readonly number[];
  /**
   * Creates the transform from `(mean, std, inplace?)`; mean and std are numbers or per-channel
   * arrays of the same length, inplace only false.
   */
  constructor(
    mean: number | readonly number[],
    std: number | readonly number[],
    ...rest: WithOptions<[inplace: false], { inplace?: false }>
  ) {
    const a = parseArgs(NORMALIZE, [mean, std, ...rest]);
    mean = typeof a.mean === "number" ? [a.mean] : a.mean;
    std = typeof a.std === "number" ? [a.std] : a.std;
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
    if (isRawImage(x) || !(x instanceof Tensor)) {
      throw new ValueError(
        "Normalize: expected a float Tensor [..., C, H, W], got a raw image; put ToTensor() before Normalize, as in torchvision",
      );
    }
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
      if (data instanceof Float32Array) {
        // NOTE: float32 arithmetic as torch's sub_/div_: a float32 op done in double and rounded
        // once is the correctly rounded float32 result.
        const fm = Math.fround(m);
        const fs = Math.fround(s);
        for (let i = p * hw; i < (p + 1) * hw; i++)
          data[i] = Math.fround(Math.fround(data[i]! - fm) / fs);
      } else {
        for (let i = p * hw; i < (p + 1) * hw; i++) data[i] = (data[i]! - m) / s;
      }
    }
    return fromPlanes(x, data, h, w);
  }

  /**
   * How a worker thread rebuilds this transform (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "Normalize", args: [this.mean, this.std] };
  }
}

// RandomErasing, as torchvision.transforms.RandomErasing: erases a random rectangle of a tensor
// image. Depends on core (args, rng), the Tensor class and functional `erase` only.

import {
  arrayOf,
  bool,
  either,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { defaultGenerator, type Generator } from "../../core/rng.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { erase, roundHalfEven } from "./functional-geometry.ts";
import { generatorArg } from "./random-crop.ts";
import { show, uniform } from "./resize.ts";
import type { TransformModule } from "./transform.ts";

/** Options of RandomErasing. */
export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5). */
  p?: number;
  /** Range of the erased area as a fraction of the image's (default [0.02, 0.33]). */
  scale?: readonly number[];
  /** Range of the erased aspect ratio h / w, drawn log-uniformly (default [0.3, 3.3]). */
  ratio?: readonly number[];
  /** The erasing value: a number, one per channel, or "random" (standard normal noise). */
  value?: number | readonly number[] | "random";
  /** Erase in `img` itself (default false). */
  inplace?: boolean;
  /** Kiln's: the generator for the draws (default: the global one). */
  generator?: Generator;
}

const ERASING = signature(
  "RandomErasing",
  {
    p: opt(num, 0.5),
    scale: opt(arrayOf(num), [0.02, 0.33]),
    ratio: opt(arrayOf(num), [0.3, 3.3]),
    value: opt(either(num, arrayOf(num), oneOf("random")), 0),
    inplace: opt(bool, false),
  },
  { generator: generatorArg },
);

/**
 * With probability `p`, sets a random rectangle of a tensor image [..., C, H, W] to `value`, as
 * torchvision.transforms.RandomErasing(p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
 * inplace=False), plus Kiln's `generator`: area ~ U(scale) · H · W and log aspect ~ U(log ratio)
 * with up to 10 tries for a rectangle strictly inside the image (else the image is unchanged).
 * Tensors only, as torchvision (put it after ToTensor).
 *
 * @example new RandomErasing({ p: 0.5, value: "random" })
 */
export class RandomErasing implements TransformModule<Tensor> {
  /** Probability of erasing. */
  readonly p: number;
  /** Range [lo, hi] of the erased area as a fraction of the image. */
  readonly scale: readonly [number, number];
  /** Range [lo, hi] of the erased rectangle's aspect ratio. */
  readonly ratio: readonly [number, number];
  /** The fill: one value, one per channel, or "random" (normal noise). */
  readonly value: number | readonly number[] | "random";
  /** Whether the input tensor itself is erased. */
  readonly inplace: boolean;
  /** The generator for the draws. */
  readonly generator: Generator;
  /** Creates the transform from `(p?, scale?, ratio?, value?, inplace?)` plus `generator`. */
  constructor(
    ...args: WithOptions<
      [
        p: number,
        scale: readonly number[],
        ratio: readonly number[],
        value: number | readonly number[] | "random",
        inplace: boolean,
      ],
      RandomErasingOptions
    >
  ) {
    const a = parseArgs(ERASING, args);
    if (a.scale.length !== 2 || a.ratio.length !== 2) {
      throw new ValueError("RandomErasing: scale and ratio should be sequences of 2 numbers");
    }
    if (a.scale[0]! > a.scale[1]! || a.ratio[0]! > a.ratio[1]!) {
      process.emitWarning("RandomErasing: Scale and ratio should be of kind (min, max)");
    }
    if (a.scale[0]! < 0 || a.scale[1]! > 1) {
      throw new ValueError("RandomErasing: Scale should be between 0 and 1");
    }
    if (a.p < 0 || a.p > 1) {
      throw new ValueError("RandomErasing: Random erasing probability should be between 0 and 1");
    }
    this.p = a.p;
    this.scale = [a.scale[0]!, a.scale[1]!];
    this.ratio = [a.ratio[0]!, a.ratio[1]!];
    this.value = a.value;
    this.inplace = a.inplace;
    this.generator = a.generator;
  }

  /**
   * [i, j, h, w, v] of the rectangle to erase, as torchvision's RandomErasing.get_params(img,
   * scale, ratio, value): `value` null draws standard normal noise [C, h, w]; when 10 tries find
   * no rectangle, [0, 0, H, W, img].
   */
  static getParams(
    img: Tensor,
    scale: readonly number[],
    ratio: readonly number[],
    value: readonly number[] | null,
    generator: Generator = defaultGenerator,
  ): [number, number, number, number, Tensor] {
    if (img.ndim < 3) {
      throw new ShapeError(
        `RandomErasing: expected a tensor image [..., C, H, W], got shape [${img.shape.join(", ")}]`,
      );
    }
    const [c, ih, iw] = img.shape.slice(-3) as [number, number, number];
    const area = ih * iw;
    const logRatio = [Math.log(ratio[0]!), Math.log(ratio[1]!)];
    for (let k = 0; k < 10; k++) {
      const eraseArea = area * uniform(generator, scale[0]!, scale[1]!);
      const aspect = Math.exp(uniform(generator, logRatio[0]!, logRatio[1]!));
      const h = roundHalfEven(Math.sqrt(eraseArea * aspect));
      const w = roundHalfEven(Math.sqrt(eraseArea / aspect));
      if (!(h < ih && w < iw)) continue;
      let v: Tensor;
      if (value === null) {
        const noise = new Float32Array(c * h * w);
        for (let q = 0; q < noise.length; q++) noise[q] = generator.normal();
        v = Tensor.fromData(noise, [c, h, w], "float32");
      } else {
        v = Tensor.fromData(Float32Array.from(value), [value.length, 1, 1], "float32");
      }
      const i = generator.randint(0, ih - h + 1);
      const j = generator.randint(0, iw - w + 1);
      return [i, j, h, w, v];
    }
    return [0, 0, ih, iw, img];
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) {
      throw new ValueError(
        "RandomErasing: expected a Tensor [..., C, H, W]; put ToTensor() before it, as in torchvision",
      );
    }
    if (!(this.generator.random() < this.p)) return x;
    const value =
      this.value === "random" ? null : typeof this.value === "number" ? [this.value] : this.value;
    const c = x.shape[x.ndim - 3];
    if (value !== null && value.length !== 1 && value.length !== c) {
      throw new ValueError(
        `RandomErasing: If value is a sequence, it should have either a single value or ${c} (number of input channels)`,
      );
    }
    const [i, j, h, w, v] = RandomErasing.getParams(
      x,
      this.scale,
      this.ratio,
      value,
      this.generator,
    );
    return erase(x, i, j, h, w, v, this.inplace);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const options: RandomErasingOptions = {
      p: this.p,
      scale: this.scale,
      ratio: this.ratio,
      value: this.value,
      inplace: this.inplace,
      ...(this.generator === defaultGenerator ? {} : { generator: this.generator }),
    };
    return { module: import.meta.url, exportName: "RandomErasing", args: [options] };
  }
  toString(): string {
    return `RandomErasing(p=${this.p}, scale=${show(this.scale)}, ratio=${show(this.ratio)}, value=${show(this.value)}, inplace=${show(this.inplace)})`;
  }
}

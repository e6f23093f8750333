// RandomHorizontalFlip, as torchvision.transforms.RandomHorizontalFlip, seeded by a generator.

import { num, opt, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { defaultGenerator, type Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { generatorArg } from "./random-crop.ts";
import {
  type ImageInput,
  isRawImage,
  type RawImage,
  rawChannels,
  type TransformModule,
} from "./transform.ts";

const FLIP = signature("RandomHorizontalFlip", { p: opt(num, 0.5) }, { generator: generatorArg });

/**
 * Mirrors the image left to right with probability `p` (default 0.5), as
 * torchvision.transforms.RandomHorizontalFlip(p=0.5), plus Kiln's `generator` option. A tensor
 * has its last dimension (width) flipped; a RawImage its columns (a new RawImage is returned).
 *
 * @example new RandomHorizontalFlip(0.5)   // = new RandomHorizontalFlip({ p: 0.5 })
 */
export class RandomHorizontalFlip implements TransformModule<ImageInput> {
  /** Probability of flipping (default 0.5). */
  readonly p: number;
  /** The generator that draws whether to flip. */
  readonly generator: Generator;
  /** Creates the transform from `(p?)`, positional or as an option, plus `generator`. */
  constructor(...args: WithOptions<[p: number], { p?: number; generator?: Generator }>) {
    const o = parseArgs(FLIP, args);
    this.p = o.p;
    this.generator = o.generator;
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    if (!(this.generator.random() < this.p)) return x;
    if (!isRawImage(x)) return x.flip(-1);
    const c = rawChannels("RandomHorizontalFlip", x);
    const { width: w, height: h } = x;
    const out = new Uint8Array(x.data.length);
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let k = 0; k < c; k++)
          out[(i * w + j) * c + k] = x.data[(i * w + (w - 1 - j)) * c + k]!;
    return { data: out, height: h, width: w, channels: c };
  }
  /**
   * How a worker thread rebuilds this transform (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    const g = this.generator === defaultGenerator ? {} : { generator: this.generator };
    return { module: import.meta.url, exportName: "RandomHorizontalFlip", args: [this.p, g] };
  }
}

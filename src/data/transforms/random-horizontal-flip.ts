// RandomHorizontalFlip, as torchvision.transforms.RandomHorizontalFlip, seeded by a generator.

import { defaultGenerator, type Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import type { TransformModule } from "./transform.ts";

/** Mirrors the last dimension (width) with probability `p` (default 0.5). */
export class RandomHorizontalFlip implements TransformModule<Tensor> {
  readonly p: number;
  readonly generator: Generator;
  constructor(p = 0.5, options: { generator?: Generator } = {}) {
    this.p = p;
    this.generator = options.generator ?? defaultGenerator;
  }
  forward(x: Tensor): Tensor {
    return this.generator.random() < this.p ? x.flip(-1) : x;
  }
  workerSpec(): WorkerSpec {
    const g = this.generator === defaultGenerator ? {} : { generator: this.generator };
    return { module: import.meta.url, exportName: "RandomHorizontalFlip", args: [this.p, g] };
  }
}

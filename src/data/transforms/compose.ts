// Compose: several transforms applied in order, as torchvision.transforms.Compose.

import type { WorkerSpec } from "../worker-spec.ts";
import { applyTransform, type Transform, type TransformModule } from "./transform.ts";

/**
 * Applies `transforms` one after another.
 *
 * @example new Compose([new RandomCrop(28, { padding: 2 }), new Normalize([0.1307], [0.3081])])
 */
export class Compose<I = unknown, O = I> implements TransformModule<I, O> {
  readonly transforms: readonly Transform<unknown, unknown>[];
  constructor(transforms: readonly Transform<never, unknown>[]) {
    this.transforms = transforms as readonly Transform<unknown, unknown>[];
  }
  forward(x: I): O {
    let y: unknown = x;
    for (const t of this.transforms) y = applyTransform(t, y);
    return y as O;
  }
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "Compose", args: [this.transforms] };
  }
}

// Compose: several transforms applied in order, as torchvision.transforms.Compose.

import { checkArity, showValue } from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { applyTransform, type Transform, type TransformModule } from "./transform.ts";

/**
 * Applies `transforms` one after another, as torchvision.transforms.Compose(transforms).
 *
 * @example new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])])  // MNIST's usual pipeline
 */
export class Compose<I = unknown, O = I> implements TransformModule<I, O> {
  /** The transforms, applied in order. */
  readonly transforms: readonly Transform<unknown, unknown>[];
  /** Chains an array of transforms (functions or objects with `forward`). */
  constructor(transforms: readonly Transform<never, unknown>[]) {
    checkArity("Compose", arguments, 1);
    const bad = Array.isArray(transforms)
      ? transforms.findIndex(
          (t) =>
            typeof t !== "function" &&
            typeof (t as { forward?: unknown } | null)?.forward !== "function",
        )
      : -1;
    if (!Array.isArray(transforms) || bad >= 0) {
      throw new ValueError(
        `Compose: expected an array of transforms (functions or objects with forward), got ${showValue(Array.isArray(transforms) ? transforms[bad] : transforms)}${bad >= 0 ? ` at index ${bad}` : ""}`,
      );
    }
    this.transforms = transforms as readonly Transform<unknown, unknown>[];
  }
  forward(x: I): O {
    let y: unknown = x;
    for (const t of this.transforms) y = applyTransform(t, y);
    return y as O;
  }
  /**
   * How a worker thread rebuilds this transform (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "Compose", args: [this.transforms] };
  }
}

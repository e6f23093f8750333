// The shared body of MNIST-style and CIFAR datasets: 8-bit images kept as one byte buffer in
// [N, C, H, W] order and int32 labels. `get` scales one image to float [C, H, W] in [0, 1];
// `getBatch` scales a whole batch in one pass, so a batch of 64 allocates one tensor, not 64.

import { Tensor } from "../../tensor/tensor.ts";
import { defaultCollate, type Collated } from "../collate.ts";
import { checkIndex, Dataset } from "../dataset.ts";
import { applyTransform, type Transform } from "../transforms/transform.ts";

export interface VisionDatasetOptions {
  /** Applied to each image tensor [C, H, W] (float32 in [0, 1]). */
  transform?: Transform<Tensor, Tensor>;
  /** Applied to each label. */
  targetTransform?: Transform<number, number>;
}

/** x / 255 for every byte value, so scaling is one table lookup per pixel. */
const SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

export abstract class Uint8ImageDataset extends Dataset<[Tensor, number]> {
  /** [C, H, W] of one image. */
  readonly imageShape: readonly [number, number, number];
  /** Labels, int32 [N], as torchvision's `targets`. */
  readonly targets: Tensor;
  readonly transform: Transform<Tensor, Tensor> | undefined;
  readonly targetTransform: Transform<number, number> | undefined;
  protected readonly pixels: Uint8Array;
  readonly #labels: Int32Array;
  #data: Tensor | null = null;

  constructor(pixels: Uint8Array, labels: Int32Array, imageShape: readonly [number, number, number], options: VisionDatasetOptions) {
    super();
    this.pixels = pixels;
    this.#labels = labels;
    this.imageShape = imageShape;
    this.targets = Tensor.fromData(labels, [labels.length], "int32");
    this.transform = options.transform;
    this.targetTransform = options.targetTransform;
  }

  get length(): number {
    return this.#labels.length;
  }

  /**
   * The raw pixel values 0..255 as an int32 tensor (Kiln has no uint8 dtype), in torchvision's
   * layout for the dataset; built on first access.
   */
  get data(): Tensor {
    this.#data ??= this.rawData();
    return this.#data;
  }

  /** The `data` tensor, built from the byte buffer. */
  protected abstract rawData(): Tensor;

  get(index: number): [Tensor, number] {
    const i = checkIndex(`${this.constructor.name}.get`, index, this.length);
    const n = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    const out = new Float32Array(n);
    const src = this.pixels.subarray(i * n, (i + 1) * n);
    for (let k = 0; k < n; k++) out[k] = SCALE[src[k]!]!;
    let img = Tensor.fromData(out, this.imageShape, "float32");
    let label = this.#labels[i]!;
    if (this.transform) img = applyTransform(this.transform, img);
    if (this.targetTransform) label = applyTransform(this.targetTransform, label);
    return [img, label];
  }

  /** `defaultCollate(indices.map(get))`, gathered and scaled in one pass when there are no transforms. */
  getBatch(indices: readonly number[]): Collated<[Tensor, number]> {
    if (this.transform || this.targetTransform) return defaultCollate(indices.map((i) => this.get(i)));
    const n = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
    const b = indices.length;
    const images = new Float32Array(b * n);
    const labels = new Int32Array(b);
    const px = this.pixels;
    for (let r = 0; r < b; r++) {
      const i = checkIndex(`${this.constructor.name}.getBatch`, indices[r]!, this.length);
      labels[r] = this.#labels[i]!;
      const from = i * n;
      const to = r * n;
      for (let k = 0; k < n; k++) images[to + k] = SCALE[px[from + k]!]!;
    }
    return [
      Tensor.fromData(images, [b, ...this.imageShape], "float32"),
      Tensor.fromData(labels, [b], "int32"),
    ];
  }
}

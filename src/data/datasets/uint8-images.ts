// The shared body of MNIST-style and CIFAR datasets: 8-bit images kept as one byte buffer in
// [N, C, H, W] order and int32 labels. `get` scales one image to float [C, H, W] in [0, 1], or
// hands a `transform` the raw HWC image as torchvision hands a PIL image; `getBatch` copies rows
// of a scaled float32 copy, so a batch of 64 allocates one tensor, not 64.

import { bool, custom, nullable, opt, str } from "../../core/args.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { checkIndex } from "../check-index.ts";
import { type Collated, defaultCollate } from "../collate.ts";
import { Dataset } from "../dataset.ts";
import { gatherRows } from "../gather.ts";
import { applyTransform, type RawImage, type Transform } from "../transforms/transform.ts";
import { getWorkerInfo } from "../worker-info.ts";

/** The options every image dataset takes, as torchvision's VisionDataset. */
export interface VisionDatasetOptions {
  /**
   * Applied to each image, handed over raw (a RawImage: uint8, height × width × channels), as
   * torchvision hands a PIL image: `new Compose([new ToTensor(), new Normalize(...)])`.
   */
  transform?: Transform<RawImage, unknown> | null;
  /** Applied to each label. */
  targetTransform?: Transform<number, number> | null;
  /** Kiln never downloads: true only says "the files must already be there". */
  download?: boolean;
}

/** A function, or an object with a `forward` method (every class in `data.transforms`). */
export const transformArg = custom(
  "a transform (a function or an object with forward)",
  (v): v is Transform<never, unknown> =>
    typeof v === "function" ||
    (typeof v === "object" &&
      v !== null &&
      typeof (v as { forward?: unknown }).forward === "function"),
);

/**
 * The parameters of torchvision's image datasets after `root`, in its order:
 * (root, train=True, transform=None, target_transform=None, download=False).
 */
export function visionParams<R>(root: R) {
  return {
    root,
    train: opt(bool, true),
    transform: opt(nullable(transformArg)),
    targetTransform: opt(nullable(transformArg)),
    download: opt(bool, false),
  };
}

/** `root` of a dataset that defaults to a bundled copy: a string, null or absent. */
export const optionalRoot = opt(nullable(str));

/** The positional parameters of an image dataset after `root`, in torchvision's order. */
export type VisionPositional = [
  train: boolean,
  transform: Transform<RawImage, unknown> | null,
  targetTransform: Transform<number, number> | null,
  download: boolean,
];

/** x / 255 for every byte value, so scaling is one table lookup per pixel. */
const SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

export abstract class Uint8ImageDataset extends Dataset<[Tensor, number]> {
  /** [C, H, W] of one image. */
  readonly imageShape: readonly [number, number, number];
  /** Labels, int32 [N], as torchvision's `targets`. */
  readonly targets: Tensor;
  /** Applied to each raw image by `get`, or undefined. */
  readonly transform: Transform<RawImage, unknown> | undefined;
  /** Applied to each label by `get`, or undefined. */
  readonly targetTransform: Transform<number, number> | undefined;
  /**
   * The images' bytes 0..255, all of them in [N, C, H, W] order (the buffer itself, not a copy:
   * read it, never write it). Kiln-only: what `scaled` and `data` are built from, for a caller
   * that keeps the bytes (1 byte per pixel) and converts batch by batch.
   */
  readonly pixels: Uint8Array;
  readonly #labels: Int32Array;
  #data: Tensor | null = null;
  #scaled: Tensor | null = null;

  constructor(
    pixels: Uint8Array,
    labels: Int32Array,
    imageShape: readonly [number, number, number],
    options: VisionDatasetOptions,
  ) {
    super();
    this.pixels = pixels;
    this.#labels = labels;
    this.imageShape = imageShape;
    this.targets = Tensor.fromData(labels, [labels.length], "int32");
    this.transform = options.transform ?? undefined;
    this.targetTransform = options.targetTransform ?? undefined;
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

  /**
   * Item `index`: without a transform, the image as float32 [C, H, W] in [0, 1] (torchvision's
   * ToTensor applied); with one, the transform's result on the raw image (`rawImage(index)`).
   */
  get(index: number): [Tensor, number] {
    const i = checkIndex(`${this.constructor.name}.get`, index, this.length);
    let img: Tensor;
    if (this.transform) img = applyTransform(this.transform, this.#raw(i)) as Tensor;
    else {
      const n = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
      const out = new Float32Array(n);
      const src = this.pixels.subarray(i * n, (i + 1) * n);
      for (let k = 0; k < n; k++) out[k] = SCALE[src[k]!]!;
      img = Tensor.fromData(out, this.imageShape, "float32");
    }
    let label = this.#labels[i]!;
    if (this.targetTransform) label = applyTransform(this.targetTransform, label);
    return [img, label];
  }

  /** Image `index` as a RawImage (a fresh HWC byte copy), what a `transform` receives. */
  rawImage(index: number): RawImage {
    return this.#raw(checkIndex(`${this.constructor.name}.rawImage`, index, this.length));
  }

  #raw(i: number): RawImage {
    const [c, h, w] = this.imageShape;
    const hw = h * w;
    const src = this.pixels.subarray(i * c * hw, (i + 1) * c * hw);
    if (c === 1) return { data: src.slice(), height: h, width: w, channels: 1 };
    const data = new Uint8Array(c * hw);
    for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) data[p * c + k] = src[k * hw + p]!;
    return { data, height: h, width: w, channels: c };
  }

  /**
   * Every image scaled to float32 [N, C, H, W] in [0, 1], built on the first `getBatch` (4 bytes
   * per pixel: 188 MB for MNIST train), so that a batch is a row copy instead of a conversion.
   */
  get scaled(): Tensor {
    if (this.#scaled === null) {
      const px = this.pixels;
      const out = new Float32Array(px.length);
      for (let k = 0; k < px.length; k++) out[k] = SCALE[px[k]!]!;
      this.#scaled = Tensor.fromData(out, [this.length, ...this.imageShape], "float32");
    }
    return this.#scaled;
  }

  /** `defaultCollate(indices.map(get))`: one row gather of `scaled` and of `targets` when there are no transforms. */
  getBatch(indices: readonly number[]): Collated<[Tensor, number]> {
    if (this.transform || this.targetTransform)
      return defaultCollate(indices.map((i) => this.get(i)));
    const op = `${this.constructor.name}.getBatch`;
    const labels = gatherRows(op, this.targets, indices);
    if (this.#scaled === null && getWorkerInfo() !== null) {
      // NOTE: in a worker thread, scale on the fly rather than hold one 4-byte copy per worker.
      const n = this.imageShape[0] * this.imageShape[1] * this.imageShape[2];
      const images = new Float32Array(indices.length * n);
      indices.forEach((index, r) => {
        const from = checkIndex(op, index, this.length) * n;
        for (let k = 0; k < n; k++) images[r * n + k] = SCALE[this.pixels[from + k]!]!;
      });
      return [Tensor.fromData(images, [indices.length, ...this.imageShape], "float32"), labels];
    }
    return [gatherRows(op, this.scaled, indices), labels];
  }
}

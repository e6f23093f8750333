// Resize, CenterCrop and RandomResizedCrop, as torchvision.transforms' classes of those names,
// over the functional forms in functional-geometry.ts. Depends on core (args, rng) and the
// functional ops only.

import {
  arrayOf,
  bool,
  either,
  int,
  nullable,
  num,
  oneOf,
  opt,
  parseArgs,
  signature,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { defaultGenerator, type Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { centerCrop, type InterpolationMode, roundHalfEven } from "./functional-geometry.ts";
import { resize, resizedCrop } from "./functional-resize.ts";
import { readImage } from "./image.ts";
import { generatorArg } from "./random-crop.ts";
import type { ImageInput, RawImage, TransformModule } from "./transform.ts";

const interp = oneOf("nearest", "bilinear", "bicubic");
const sizeArg = either(int, arrayOf(int));

/** torchvision's `_setup_size`: an int or [s] → [s, s], [h, w] as is. */
export function setupSize(op: string, size: number | readonly number[]): [number, number] {
  if (typeof size === "number") return [size, size];
  if (size.length === 1) return [size[0]!, size[0]!];
  if (size.length !== 2) {
    throw new ValueError(
      `${op}: Please provide only two dimensions (h, w) for size, got ${size.length}`,
    );
  }
  return [size[0]!, size[1]!];
}

const RESIZE = signature("Resize", {
  size: sizeArg,
  interpolation: opt(interp, "bilinear"),
  maxSize: opt(nullable(int), null),
  antialias: opt(nullable(bool), null),
});

/**
 * Resizes images to `size` ([h, w], or an int for the smaller edge keeping the aspect ratio), as
 * torchvision.transforms.Resize(size, interpolation=BILINEAR, max_size=None, antialias=None);
 * see `functional.resize` (tensors: antialias null = false as torchvision 0.14; RawImages:
 * antialias null = true, as PIL).
 *
 * @example new Resize(256)   // smaller edge to 256, then usually new CenterCrop(224)
 */
export class Resize implements TransformModule<ImageInput> {
  /** The output size: [h, w] or the smaller edge. */
  readonly size: number | readonly number[];
  /** "nearest", "bilinear" (default) or "bicubic". */
  readonly interpolation: InterpolationMode;
  /** The longest the longer edge may be (only with an int size), or null. */
  readonly maxSize: number | null;
  /** Whether to antialias when downsampling (null: false for tensors, true for RawImages). */
  readonly antialias: boolean | null;
  /** Creates the transform from `(size, interpolation?, maxSize?, antialias?)`, positional or as options. */
  constructor(
    size: number | readonly number[],
    ...rest: WithOptions<
      [interpolation: InterpolationMode, maxSize: number | null, antialias: boolean | null],
      { interpolation?: InterpolationMode; maxSize?: number | null; antialias?: boolean | null }
    >
  ) {
    const a = parseArgs(RESIZE, [size, ...rest]);
    if (Array.isArray(a.size) && a.size.length !== 1 && a.size.length !== 2) {
      throw new ValueError("Resize: If size is a sequence, it should have 1 or 2 values");
    }
    this.size = a.size;
    this.interpolation = a.interpolation;
    this.maxSize = a.maxSize;
    this.antialias = a.antialias;
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    return resize(x, this.size, this.interpolation, this.maxSize, this.antialias);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: "Resize",
      args: [this.size, this.interpolation, this.maxSize, this.antialias],
    };
  }
  toString(): string {
    return `Resize(size=${show(this.size)}, interpolation=${this.interpolation}, max_size=${this.maxSize ?? "None"}, antialias=${this.antialias ?? "None"})`;
  }
}

/** A value as Python would print it in a repr (arrays as tuples/lists). */
export function show(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (typeof v === "boolean") return v ? "True" : "False";
  if (Array.isArray(v)) return `[${v.map(show).join(", ")}]`;
  return String(v);
}

/**
 * Crops the central `size` window ([h, w] or an int), zero-padding a smaller image first, as
 * torchvision.transforms.CenterCrop(size).
 *
 * @example new CenterCrop(224)
 */
export class CenterCrop implements TransformModule<ImageInput> {
  /** Crop height and width. */
  readonly size: [number, number];
  /** Creates the transform from `(size)`. */
  constructor(...args: [size: number | readonly number[]]) {
    const a = parseArgs(signature("CenterCrop", { size: sizeArg }), args);
    this.size = setupSize("CenterCrop", a.size);
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    return centerCrop(x, this.size);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "CenterCrop", args: [this.size] };
  }
  toString(): string {
    return `CenterCrop(size=(${this.size.join(", ")}))`;
  }
}

/** Uniform in [lo, hi) from a generator. */
export function uniform(g: Generator, lo: number, hi: number): number {
  return lo + (hi - lo) * g.random();
}

const RRC = signature(
  "RandomResizedCrop",
  {
    size: sizeArg,
    scale: opt(arrayOf(num), [0.08, 1.0]),
    ratio: opt(arrayOf(num), [3 / 4, 4 / 3]),
    interpolation: opt(interp, "bilinear"),
    antialias: opt(nullable(bool), null),
  },
  { generator: generatorArg },
);

/** Options of RandomResizedCrop after `size`. */
export interface RandomResizedCropOptions {
  /** Range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: readonly number[];
  /** Range of the crop's aspect ratio w / h, drawn log-uniformly (default [3/4, 4/3]). */
  ratio?: readonly number[];
  interpolation?: InterpolationMode;
  antialias?: boolean | null;
  /** Kiln's: the generator that draws the crop (default: the global one). */
  generator?: Generator;
}

/**
 * Crops a random window of random area (a `scale` fraction of the image) and aspect ratio
 * (log-uniform in `ratio`), then resizes it to `size`, as
 * torchvision.transforms.RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3/4, 4/3),
 * interpolation=BILINEAR, antialias=None), plus Kiln's `generator`. The draws follow
 * torchvision's get_params (10 tries, then a central crop) from Kiln's generator, whose stream
 * differs from torch's.
 *
 * @example new RandomResizedCrop(224)   // ImageNet training augmentation
 */
export class RandomResizedCrop implements TransformModule<ImageInput> {
  /** Output height and width. */
  readonly size: [number, number];
  /** Area fraction range [lo, hi]. */
  readonly scale: readonly [number, number];
  /** Aspect ratio range [lo, hi]. */
  readonly ratio: readonly [number, number];
  /** How the crop is resized (bilinear by default). */
  readonly interpolation: InterpolationMode;
  /** Antialiasing when downsizing; null follows torchvision 0.14 (off for tensors). */
  readonly antialias: boolean | null;
  /** The generator that draws the crop. */
  readonly generator: Generator;
  /** Creates the transform from `(size, scale?, ratio?, interpolation?, antialias?)` plus `generator`. */
  constructor(
    size: number | readonly number[],
    ...rest: WithOptions<
      [
        scale: readonly number[],
        ratio: readonly number[],
        interpolation: InterpolationMode,
        antialias: boolean | null,
      ],
      RandomResizedCropOptions
    >
  ) {
    const a = parseArgs(RRC, [size, ...rest]);
    this.size = setupSize("RandomResizedCrop", a.size);
    if (a.scale.length !== 2 || a.ratio.length !== 2) {
      throw new ValueError("RandomResizedCrop: scale and ratio should be sequences of 2 numbers");
    }
    this.scale = [a.scale[0]!, a.scale[1]!];
    this.ratio = [a.ratio[0]!, a.ratio[1]!];
    if (this.scale[0] > this.scale[1] || this.ratio[0] > this.ratio[1]) {
      process.emitWarning("RandomResizedCrop: Scale and ratio should be of kind (min, max)");
    }
    this.interpolation = a.interpolation;
    this.antialias = a.antialias;
    this.generator = a.generator;
  }

  /**
   * [top, left, height, width] of a random crop of `img`, as torchvision's
   * RandomResizedCrop.get_params(img, scale, ratio): up to 10 draws of area and log-ratio whose
   * window fits, else the central crop clamped to the ratio range.
   */
  static getParams(
    img: ImageInput,
    scale: readonly number[],
    ratio: readonly number[],
    generator: Generator = defaultGenerator,
  ): [number, number, number, number] {
    const { h: height, w: width } = readImage("RandomResizedCrop.getParams", img);
    const area = height * width;
    const logRatio = [Math.log(ratio[0]!), Math.log(ratio[1]!)];
    for (let k = 0; k < 10; k++) {
      const targetArea = area * uniform(generator, scale[0]!, scale[1]!);
      const aspect = Math.exp(uniform(generator, logRatio[0]!, logRatio[1]!));
      const w = roundHalfEven(Math.sqrt(targetArea * aspect));
      const h = roundHalfEven(Math.sqrt(targetArea / aspect));
      if (w > 0 && w <= width && h > 0 && h <= height) {
        const i = generator.randint(0, height - h + 1);
        const j = generator.randint(0, width - w + 1);
        return [i, j, h, w];
      }
    }
    const inRatio = width / height;
    let w: number;
    let h: number;
    const rmin = Math.min(ratio[0]!, ratio[1]!);
    const rmax = Math.max(ratio[0]!, ratio[1]!);
    if (inRatio < rmin) {
      w = width;
      h = roundHalfEven(w / rmin);
    } else if (inRatio > rmax) {
      h = height;
      w = roundHalfEven(h * rmax);
    } else {
      w = width;
      h = height;
    }
    return [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
  }

  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    const [i, j, h, w] = RandomResizedCrop.getParams(x, this.scale, this.ratio, this.generator);
    return resizedCrop(x, i, j, h, w, this.size, this.interpolation, this.antialias);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const options: RandomResizedCropOptions = {
      scale: this.scale,
      ratio: this.ratio,
      interpolation: this.interpolation,
      antialias: this.antialias,
      ...(this.generator === defaultGenerator ? {} : { generator: this.generator }),
    };
    return { module: import.meta.url, exportName: "RandomResizedCrop", args: [this.size, options] };
  }
}

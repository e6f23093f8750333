// Pad, RandomRotation and RandomVerticalFlip, as torchvision.transforms' classes of those names,
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
import { pad, parsePadding, vflip } from "./functional-geometry.ts";
import { rotate } from "./functional-rotate.ts";
import { channels, readImage } from "./image.ts";
import { generatorArg, type PaddingMode } from "./random-crop.ts";
import { show, uniform } from "./resize.ts";
import type { ImageInput, RawImage, TransformModule } from "./transform.ts";

const PAD = signature("Pad", {
  padding: either(int, arrayOf(int)),
  fill: opt(num, 0),
  paddingMode: opt(oneOf("constant", "edge", "reflect", "symmetric"), "constant"),
});

/**
 * Pads the borders by `padding` (int, [left/right, top/bottom] or [left, top, right, bottom]) with
 * `fill` or by edge, reflect or symmetric padding, as torchvision.transforms.Pad(padding, fill=0,
 * padding_mode="constant"); see `functional.pad`.
 */
export class Pad implements TransformModule<ImageInput> {
  /** The padding as given. */
  readonly padding: number | readonly number[];
  /** Value of the constant padding. */
  readonly fill: number;
  /** How the padding is filled. */
  readonly paddingMode: PaddingMode;
  /** Creates the transform from `(padding, fill?, paddingMode?)`, positional or as options. */
  constructor(
    padding: number | readonly number[],
    ...rest: WithOptions<
      [fill: number, paddingMode: PaddingMode],
      { fill?: number; paddingMode?: PaddingMode }
    >
  ) {
    const a = parseArgs(PAD, [padding, ...rest]);
    if (Array.isArray(a.padding) && ![1, 2, 4].includes(a.padding.length)) {
      throw new ValueError(
        `Pad: Padding must be an int or a 1, 2, or 4 element tuple, not a ${a.padding.length} element tuple`,
      );
    }
    parsePadding("Pad", a.padding);
    this.padding = a.padding;
    this.fill = a.fill;
    this.paddingMode = a.paddingMode;
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    return pad(x, this.padding, this.fill, this.paddingMode);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: "Pad",
      args: [this.padding, this.fill, this.paddingMode],
    };
  }
  toString(): string {
    return `Pad(padding=${show(this.padding)}, fill=${this.fill}, padding_mode=${this.paddingMode})`;
  }
}

/** Options of RandomRotation after `degrees`. */
export interface RandomRotationOptions {
  /** "nearest" (default) or "bilinear". */
  interpolation?: "nearest" | "bilinear";
  /** Grow the output to hold the whole rotated image (default false). */
  expand?: boolean;
  /** Centre of rotation [x, y] from the top-left corner; default the image centre. */
  center?: readonly number[] | null;
  /** Value (or one per channel) for pixels from outside the image (default 0). */
  fill?: number | readonly number[];
  /** Kiln's: the generator that draws the angle (default: the global one). */
  generator?: Generator;
}

const ROTATION = signature(
  "RandomRotation",
  {
    degrees: either(num, arrayOf(num)),
    interpolation: opt(oneOf("nearest", "bilinear"), "nearest"),
    expand: opt(bool, false),
    center: opt(nullable(arrayOf(num)), null),
    fill: opt(nullable(either(num, arrayOf(num))), 0),
  },
  { generator: generatorArg },
);

/**
 * Rotates by an angle ~ U(degrees) (a number d means [−d, d]), as
 * torchvision.transforms.RandomRotation(degrees, interpolation=NEAREST, expand=False,
 * center=None, fill=0), plus Kiln's `generator`; see `functional.rotate`.
 *
 * @example new RandomRotation(10)
 */
export class RandomRotation implements TransformModule<ImageInput> {
  /** Angle range [lo, hi] in degrees. */
  readonly degrees: readonly [number, number];
  /** How pixels are sampled: "nearest" (torchvision's default) or "bilinear". */
  readonly interpolation: "nearest" | "bilinear";
  /** Whether the output grows to hold the whole rotated image. */
  readonly expand: boolean;
  /** The centre of rotation [x, y] in pixels, or null for the image centre. */
  readonly center: readonly number[] | null;
  /** The value of pixels outside the rotated image (one, or one per channel). */
  readonly fill: number | readonly number[];
  /** The generator that draws the angle. */
  readonly generator: Generator;
  /** Creates the transform from `(degrees, interpolation?, expand?, center?, fill?)` plus `generator`. */
  constructor(
    degrees: number | readonly number[],
    ...rest: WithOptions<
      [
        interpolation: "nearest" | "bilinear",
        expand: boolean,
        center: readonly number[] | null,
        fill: number | readonly number[],
      ],
      RandomRotationOptions
    >
  ) {
    const a = parseArgs(ROTATION, [degrees, ...rest]);
    const d = a.degrees;
    if (typeof d === "number") {
      if (d < 0)
        throw new ValueError("RandomRotation: If degrees is a single number, it must be positive.");
      this.degrees = [-d, d];
    } else if (d.length === 2) this.degrees = [d[0]!, d[1]!];
    else throw new ValueError("RandomRotation: degrees should be a sequence of length 2.");
    if (a.center !== null && a.center.length !== 2) {
      throw new ValueError("RandomRotation: center should be a sequence of length 2.");
    }
    this.interpolation = a.interpolation;
    this.expand = a.expand;
    this.center = a.center;
    this.fill = a.fill ?? 0;
    this.generator = a.generator;
  }
  /** An angle ~ U[degrees[0], degrees[1]], as torchvision's RandomRotation.get_params. */
  static getParams(degrees: readonly number[], generator: Generator = defaultGenerator): number {
    return uniform(generator, degrees[0]!, degrees[1]!);
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    const c = channels(readImage("RandomRotation", x));
    const fill = typeof this.fill === "number" ? new Array<number>(c).fill(this.fill) : this.fill;
    const angle = RandomRotation.getParams(this.degrees, this.generator);
    return rotate(x, angle, this.interpolation, this.expand, this.center, fill);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const options: RandomRotationOptions = {
      interpolation: this.interpolation,
      expand: this.expand,
      center: this.center,
      fill: this.fill,
      ...(this.generator === defaultGenerator ? {} : { generator: this.generator }),
    };
    return { module: import.meta.url, exportName: "RandomRotation", args: [this.degrees, options] };
  }
  toString(): string {
    return `RandomRotation(degrees=${show(this.degrees)}, interpolation=${this.interpolation}, expand=${show(this.expand)}${this.center ? `, center=${show(this.center)}` : ""}, fill=${show(this.fill)})`;
  }
}

const VFLIP = signature("RandomVerticalFlip", { p: opt(num, 0.5) }, { generator: generatorArg });

/**
 * Flips the image top to bottom with probability `p` (default 0.5), as
 * torchvision.transforms.RandomVerticalFlip(p=0.5), plus Kiln's `generator`.
 */
export class RandomVerticalFlip implements TransformModule<ImageInput> {
  /** Probability of flipping. */
  readonly p: number;
  /** The generator that draws whether to flip. */
  readonly generator: Generator;
  /** Creates the transform from `(p?)` plus `generator`. */
  constructor(...args: WithOptions<[p: number], { p?: number; generator?: Generator }>) {
    const a = parseArgs(VFLIP, args);
    this.p = a.p;
    this.generator = a.generator;
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    return this.generator.random() < this.p ? vflip(x) : x;
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const g = this.generator === defaultGenerator ? {} : { generator: this.generator };
    return { module: import.meta.url, exportName: "RandomVerticalFlip", args: [this.p, g] };
  }
  toString(): string {
    return `RandomVerticalFlip(p=${this.p})`;
  }
}

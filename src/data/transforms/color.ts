// ColorJitter, Grayscale and GaussianBlur, as torchvision.transforms' classes of those names, over
// the functional forms in functional-color.ts. Random draws come from a Kiln Generator (streams
// differ from torch's). Depends on core (args, rng) and the functional ops only.

import {
  arrayOf,
  either,
  int,
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
import { gaussianBlur } from "./functional-blur.ts";
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  rgbToGrayscale,
} from "./functional-color.ts";
import { generatorArg } from "./random-crop.ts";
import { setupSize, show, uniform } from "./resize.ts";
import type { ImageInput, RawImage, TransformModule } from "./transform.ts";

type Range = readonly [number, number] | null;
const jitterArg = either(num, arrayOf(num));

/** torchvision's ColorJitter._check_input: a number v means [center − v, center + v]. */
function checkInput(
  name: string,
  value: number | readonly number[],
  center = 1,
  bound: [number, number] = [0, Number.POSITIVE_INFINITY],
  clipFirstOnZero = true,
): Range {
  let v: [number, number];
  if (typeof value === "number") {
    if (value < 0) {
      throw new ValueError(`ColorJitter: If ${name} is a single number, it must be non negative.`);
    }
    v = [center - value, center + value];
    if (clipFirstOnZero) v[0] = Math.max(v[0], 0);
  } else if (value.length === 2) {
    v = [value[0]!, value[1]!];
    if (!(bound[0] <= v[0] && v[0] <= v[1] && v[1] <= bound[1])) {
      throw new ValueError(
        `ColorJitter: ${name} values should be between (${bound[0]}, ${bound[1] === Number.POSITIVE_INFINITY ? "inf" : bound[1]})`,
      );
    }
  } else {
    throw new ValueError(
      `ColorJitter: ${name} should be a single number or a list/tuple with length 2.`,
    );
  }
  return v[0] === center && v[1] === center ? null : v;
}

/** Options of ColorJitter (all default 0: no change). */
export interface ColorJitterOptions {
  brightness?: number | readonly number[];
  contrast?: number | readonly number[];
  saturation?: number | readonly number[];
  hue?: number | readonly number[];
  /** Kiln's: the generator that draws the factors and their order (default: the global one). */
  generator?: Generator;
}

const JITTER = signature(
  "ColorJitter",
  {
    brightness: opt(jitterArg, 0),
    contrast: opt(jitterArg, 0),
    saturation: opt(jitterArg, 0),
    hue: opt(jitterArg, 0),
  },
  { generator: generatorArg },
);

/**
 * Randomly changes brightness, contrast, saturation and hue, in a random order, as
 * torchvision.transforms.ColorJitter(brightness=0, contrast=0, saturation=0, hue=0), plus Kiln's
 * `generator`. Each of brightness/contrast/saturation is a number v (factor ~ U[max(0, 1 − v),
 * 1 + v]) or a range [lo, hi]; hue is v ≤ 0.5 (shift ~ U[−v, v]) or a range within
 * [−0.5, 0.5].
 *
 * @example new ColorJitter(0.4, 0.4, 0.4, 0.1)
 */
export class ColorJitter implements TransformModule<ImageInput> {
  /** Brightness factor range, or null for none. */
  readonly brightness: Range;
  /** Contrast factor range, or null for none. */
  readonly contrast: Range;
  /** Saturation factor range, or null for none. */
  readonly saturation: Range;
  /** Hue shift range, or null for none. */
  readonly hue: Range;
  /** The generator that draws the factors and their order. */
  readonly generator: Generator;
  /** Creates the transform from `(brightness?, contrast?, saturation?, hue?)` plus `generator`. */
  constructor(
    ...args: WithOptions<
      [
        brightness: number | readonly number[],
        contrast: number | readonly number[],
        saturation: number | readonly number[],
        hue: number | readonly number[],
      ],
      ColorJitterOptions
    >
  ) {
    const a = parseArgs(JITTER, args);
    this.brightness = checkInput("brightness", a.brightness);
    this.contrast = checkInput("contrast", a.contrast);
    this.saturation = checkInput("saturation", a.saturation);
    this.hue = checkInput("hue", a.hue, 0, [-0.5, 0.5], false);
    this.generator = a.generator;
  }

  /**
   * [order, brightness, contrast, saturation, hue] as torchvision's ColorJitter.get_params: a
   * random permutation of the four ops (0 brightness … 3 hue) and a uniform factor per range
   * (null where the range is null).
   */
  static getParams(
    brightness: Range,
    contrast: Range,
    saturation: Range,
    hue: Range,
    generator: Generator = defaultGenerator,
  ): [number[], number | null, number | null, number | null, number | null] {
    const order = [0, 1, 2, 3];
    for (let i = order.length - 1; i > 0; i--) {
      const j = generator.randint(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const draw = (r: Range) => (r === null ? null : uniform(generator, r[0], r[1]));
    return [order, draw(brightness), draw(contrast), draw(saturation), draw(hue)];
  }

  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    const [order, b, c, s, h] = ColorJitter.getParams(
      this.brightness,
      this.contrast,
      this.saturation,
      this.hue,
      this.generator,
    );
    let img = x;
    for (const id of order) {
      if (id === 0 && b !== null) img = adjustBrightness(img, b);
      else if (id === 1 && c !== null) img = adjustContrast(img, c);
      else if (id === 2 && s !== null) img = adjustSaturation(img, s);
      else if (id === 3 && h !== null) img = adjustHue(img, h);
    }
    return img;
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const r = (v: Range, center: number) => v ?? [center, center];
    const options: ColorJitterOptions = {
      brightness: r(this.brightness, 1),
      contrast: r(this.contrast, 1),
      saturation: r(this.saturation, 1),
      hue: r(this.hue, 0),
      ...(this.generator === defaultGenerator ? {} : { generator: this.generator }),
    };
    return { module: import.meta.url, exportName: "ColorJitter", args: [options] };
  }
  toString(): string {
    return `ColorJitter(brightness=${show(this.brightness)}, contrast=${show(this.contrast)}, saturation=${show(this.saturation)}, hue=${show(this.hue)})`;
  }
}

/**
 * Converts to grayscale with `numOutputChannels` (1 or 3) channels, as
 * torchvision.transforms.Grayscale(num_output_channels=1); see `functional.rgbToGrayscale`.
 */
export class Grayscale implements TransformModule<ImageInput> {
  /** 1 or 3. */
  readonly numOutputChannels: 1 | 3;
  /** Creates the transform from `(numOutputChannels?)`. */
  constructor(...args: WithOptions<[numOutputChannels: 1 | 3], { numOutputChannels?: 1 | 3 }>) {
    this.numOutputChannels = parseArgs(
      signature("Grayscale", { numOutputChannels: opt(oneOf(1, 3), 1) }),
      args,
    ).numOutputChannels;
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    return rgbToGrayscale(x, this.numOutputChannels);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "Grayscale", args: [this.numOutputChannels] };
  }
  toString(): string {
    return `Grayscale(num_output_channels=${this.numOutputChannels})`;
  }
}

const BLUR = signature(
  "GaussianBlur",
  { kernelSize: either(int, arrayOf(int)), sigma: opt(either(num, arrayOf(num)), [0.1, 2.0]) },
  { generator: generatorArg },
);

/**
 * Blurs with a Gaussian kernel `kernelSize` (odd, positive; int or [kx, ky]) of a standard
 * deviation drawn uniformly from `sigma` ([min, max], or one fixed value), as
 * torchvision.transforms.GaussianBlur(kernel_size, sigma=(0.1, 2.0)), plus Kiln's `generator`.
 */
export class GaussianBlur implements TransformModule<ImageInput> {
  /** [kx, ky]. */
  readonly kernelSize: [number, number];
  /** [min, max] of the drawn standard deviation. */
  readonly sigma: readonly [number, number];
  /** The generator that draws sigma. */
  readonly generator: Generator;
  /** Creates the transform from `(kernelSize, sigma?)` plus `generator`. */
  constructor(
    kernelSize: number | readonly number[],
    ...rest: WithOptions<
      [sigma: number | readonly number[]],
      { sigma?: number | readonly number[]; generator?: Generator }
    >
  ) {
    const a = parseArgs(BLUR, [kernelSize, ...rest]);
    this.kernelSize = setupSize("GaussianBlur", a.kernelSize);
    if (this.kernelSize.some((k) => k <= 0 || k % 2 === 0)) {
      throw new ValueError("GaussianBlur: Kernel size value should be an odd and positive number.");
    }
    const s = a.sigma;
    if (typeof s === "number") {
      if (s <= 0)
        throw new ValueError("GaussianBlur: If sigma is a single number, it must be positive.");
      this.sigma = [s, s];
    } else if (s.length === 2) {
      if (!(s[0]! > 0 && s[0]! <= s[1]!)) {
        throw new ValueError(
          "GaussianBlur: sigma values should be positive and of the form (min, max).",
        );
      }
      this.sigma = [s[0]!, s[1]!];
    } else {
      throw new ValueError(
        "GaussianBlur: sigma should be a single number or a list/tuple with length 2.",
      );
    }
    this.generator = a.generator;
  }
  /** A standard deviation ~ U[sigmaMin, sigmaMax], as torchvision's GaussianBlur.get_params. */
  static getParams(
    sigmaMin: number,
    sigmaMax: number,
    generator: Generator = defaultGenerator,
  ): number {
    return uniform(generator, sigmaMin, sigmaMax);
  }
  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    const s = GaussianBlur.getParams(this.sigma[0], this.sigma[1], this.generator);
    return gaussianBlur(x, this.kernelSize, [s, s]);
  }
  /** How a worker thread rebuilds this transform. */
  workerSpec(): WorkerSpec {
    const g = this.generator === defaultGenerator ? {} : { generator: this.generator };
    return {
      module: import.meta.url,
      exportName: "GaussianBlur",
      args: [this.kernelSize, { sigma: this.sigma, ...g }],
    };
  }
  toString(): string {
    return `GaussianBlur(kernel_size=(${this.kernelSize.join(", ")}), sigma=(${this.sigma.join(", ")}))`;
  }
}

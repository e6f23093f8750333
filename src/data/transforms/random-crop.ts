// RandomCrop with optional padding, as torchvision.transforms.RandomCrop, seeded by a generator.

import {
  arrayOf,
  bool,
  custom,
  either,
  instanceOf,
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
import { defaultGenerator, Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import {
  fromPlanes,
  type ImageInput,
  isRawImage,
  planesToRaw,
  type RawImage,
  rawToPlanes,
  type TransformModule,
  toPlanes,
} from "./transform.ts";

/**
 * How RandomCrop pads: a constant `fill`, the edge pixel, a reflection without or with the edge (as
 * torchvision's padding_mode).
 */
export type PaddingMode = "constant" | "edge" | "reflect" | "symmetric";

/**
 * Options of RandomCrop after `size`; defaults padding none, padIfNeeded false, fill 0, paddingMode
 * "constant".
 */
export interface RandomCropOptions {
  /** One value for every side, [left/right, top/bottom], or [left, top, right, bottom]. */
  padding?: number | readonly number[] | null;
  /** Pad a side that is smaller than the crop (default false). */
  padIfNeeded?: boolean;
  /** Value of the constant padding (default 0). */
  fill?: number;
  paddingMode?: PaddingMode;
  /** Kiln's: the generator that draws the crop position (default: the global one). */
  generator?: Generator;
}

/** An int, or a sequence of 1 or 2 ints (h, w), as torchvision's `size`. */
export const imageSize = custom(
  "an int or an array of 1 or 2 ints",
  (v): v is number | readonly number[] =>
    Number.isInteger(v) ||
    (Array.isArray(v) && (v.length === 1 || v.length === 2) && v.every(Number.isInteger)),
);

/** The generator keyword option of Kiln's random transforms (a Kiln addition to torchvision). */
export const generatorArg = opt(instanceOf(Generator, "a Generator"), defaultGenerator);

const RANDOM_CROP = signature(
  "RandomCrop",
  {
    size: imageSize,
    padding: opt(nullable(either(int, arrayOf(int)))),
    padIfNeeded: opt(bool, false),
    fill: opt(num, 0),
    paddingMode: opt(oneOf("constant", "edge", "reflect", "symmetric"), "constant"),
  },
  { generator: generatorArg },
);

/** Source index of padded position `i` in a dimension of length n (torch.nn.functional.pad modes). */
export function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === "constant") return -1;
  if (mode === "edge") return i < 0 ? 0 : n - 1;
  if (n === 1) return 0;
  // reflect mirrors about the edge pixels (period 2n-2); symmetric repeats them (period 2n).
  const period = mode === "reflect" ? 2 * n - 2 : 2 * n;
  let k = ((i % period) + period) % period;
  if (mode === "reflect") return k < n ? k : period - k;
  if (k >= n) k = period - 1 - k;
  return k;
}

/**
 * Pads the image (when `padding` is given), then cuts a `size` window at a uniformly random
 * position: top ~ U{0..H-h}, left ~ U{0..W-w}, as torchvision's get_params. Arguments as
 * torchvision.transforms.RandomCrop(size, padding=None, pad_if_needed=False, fill=0,
 * padding_mode="constant"), positional or as options, plus Kiln's `generator` option. Takes a
 * tensor [..., H, W] (returns a tensor) or a RawImage (returns a RawImage, as torchvision returns
 * a PIL image for a PIL image).
 *
 * @example new RandomCrop(32, 4)   // the usual CIFAR augmentation, = new RandomCrop(32, { padding: 4 })
 */
export class RandomCrop implements TransformModule<ImageInput> {
  /** Crop height and width. */
  readonly size: [number, number];
  /** Padding [left, top, right, bottom] added before cropping. */
  readonly padding: [number, number, number, number];
  /** Whether a side smaller than the crop is padded up to it. */
  readonly padIfNeeded: boolean;
  /** Value of the constant padding. */
  readonly fill: number;
  /** How the padding is filled. */
  readonly paddingMode: PaddingMode;
  /** The generator that draws the crop position. */
  readonly generator: Generator;

  /**
   * Creates the transform from `(size, padding?, padIfNeeded?, fill?, paddingMode?)`, positional or
   * as options, plus `generator`.
   */
  constructor(
    size: number | readonly number[],
    ...rest: WithOptions<
      [
        padding: number | readonly number[] | null,
        padIfNeeded: boolean,
        fill: number,
        paddingMode: PaddingMode,
      ],
      RandomCropOptions
    >
  ) {
    const options = parseArgs(RANDOM_CROP, [size, ...rest]);
    const s = options.size;
    this.size = typeof s === "number" ? [s, s] : [s[0]!, s[s.length - 1]!];
    const p = options.padding ?? 0;
    if (typeof p === "number") this.padding = [p, p, p, p];
    else if (p.length === 2) this.padding = [p[0]!, p[1]!, p[0]!, p[1]!];
    else if (p.length === 4) this.padding = [p[0]!, p[1]!, p[2]!, p[3]!];
    else
      throw new ValueError(
        `RandomCrop: padding must be a number or 2 or 4 numbers (got ${p.length})`,
      );
    this.padIfNeeded = options.padIfNeeded;
    this.fill = options.fill;
    this.paddingMode = options.paddingMode;
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    const raw = isRawImage(x);
    const { data, planes, h, w } = raw ? rawToPlanes("RandomCrop", x) : toPlanes("RandomCrop", x);
    const [th, tw] = this.size;
    let [left, top, right, bottom] = this.padding;
    if (this.padIfNeeded && h + top + bottom < th) bottom += th - (h + top + bottom);
    if (this.padIfNeeded && w + left + right < tw) right += tw - (w + left + right);
    const ph = h + top + bottom;
    const pw = w + left + right;
    if (ph < th || pw < tw) {
      throw new ValueError(
        `RandomCrop: Required crop size (${th}, ${tw}) is larger than input image size (${ph}, ${pw})`,
      );
    }
    const i0 = this.generator.randint(0, ph - th + 1) - top;
    const j0 = this.generator.randint(0, pw - tw + 1) - left;
    const rows = Int32Array.from({ length: th }, (_, r) =>
      sourceIndex(i0 + r, h, this.paddingMode),
    );
    const cols = Int32Array.from({ length: tw }, (_, c) =>
      sourceIndex(j0 + c, w, this.paddingMode),
    );
    const out = new (data.constructor as Float32ArrayConstructor)(planes * th * tw);
    let k = 0;
    for (let p = 0; p < planes; p++) {
      const base = p * h * w;
      for (let r = 0; r < th; r++) {
        const sr = rows[r]!;
        for (let c = 0; c < tw; c++) {
          const sc = cols[c]!;
          out[k++] = sr < 0 || sc < 0 ? this.fill : data[base + sr * w + sc]!;
        }
      }
    }
    return raw ? planesToRaw(out, planes, th, tw) : fromPlanes(x, out, th, tw);
  }

  /**
   * How a worker thread rebuilds this transform (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    const options: RandomCropOptions = {
      padding: this.padding,
      padIfNeeded: this.padIfNeeded,
      fill: this.fill,
      paddingMode: this.paddingMode,
      ...(this.generator === defaultGenerator ? {} : { generator: this.generator }),
    };
    return { module: import.meta.url, exportName: "RandomCrop", args: [this.size, options] };
  }
}

// RandomAffine: random rotation, translation, scale and shear about the image centre, as
// torchvision.transforms.RandomAffine on tensors (nearest interpolation, constant fill).

import {
  arrayOf,
  either,
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
import { generatorArg } from "./random-crop.ts";
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
 * Options of RandomAffine after `degrees`; all default to none (no shift, scale or shear), fill 0.
 */
export interface RandomAffineOptions {
  /** Maximum shift as fractions of width and height: tx ~ U(-a·W, a·W), rounded. */
  translate?: readonly [number, number] | null;
  /** Scale factor range [lo, hi]. */
  scale?: readonly [number, number] | null;
  /** Shear in degrees: x-shear range (a number d means [-d, d]), or [xmin, xmax, ymin, ymax]. */
  shear?: number | readonly number[] | null;
  /** Only "nearest" (torchvision's default). */
  interpolation?: "nearest";
  /** Value for pixels mapped from outside the image (default 0). */
  fill?: number;
  /** Centre of rotation [x, y] in pixels from the top-left corner; default the image centre. */
  center?: readonly [number, number] | null;
  /** Kiln's: the generator that draws the parameters (default: the global one). */
  generator?: Generator;
}

const numPair = arrayOf(num);
const RANDOM_AFFINE = signature(
  "RandomAffine",
  {
    degrees: either(num, numPair),
    translate: opt(nullable(numPair)),
    scale: opt(nullable(numPair)),
    shear: opt(nullable(either(num, numPair))),
    interpolation: opt(oneOf("nearest"), "nearest"),
    fill: opt(num, 0),
    center: opt(nullable(numPair)),
  },
  { generator: generatorArg },
);

function range(op: string, name: string, v: number | readonly number[]): [number, number] {
  if (typeof v === "number") {
    if (v < 0)
      throw new ValueError(`${op}: If ${name} is a single number, it must be positive (got ${v})`);
    return [-v, v];
  }
  if (v.length !== 2)
    throw new ValueError(`${op}: ${name} should be a number or a sequence of length 2`);
  return [v[0]!, v[1]!];
}

function pair(name: string, v: readonly number[] | null | undefined): [number, number] | undefined {
  if (v === null || v === undefined) return undefined;
  if (v.length !== 2)
    throw new ValueError(
      `RandomAffine: ${name} should be a sequence of length 2, got ${v.length} values`,
    );
  return [v[0]!, v[1]!];
}

/**
 * torchvision's `_get_inverse_affine_matrix`: maps output pixel coordinates (relative to the
 * centre) to input coordinates for rotation `angle`, translation, `scale` and shear (degrees).
 */
export function inverseAffineMatrix(
  center: readonly [number, number],
  angle: number,
  translate: readonly [number, number],
  scale: number,
  shear: readonly [number, number],
): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2]! += m[0]! * (-cx - tx) + m[1]! * (-cy - ty);
  m[5]! += m[3]! * (-cx - tx) + m[4]! * (-cy - ty);
  m[2]! += cx;
  m[5]! += cy;
  return m;
}

/**
 * Applies a random affine map: angle ~ U(degrees), shift ~ round(U(±translate·size)),
 * scale ~ U(scale), shear ~ U(shear), drawn in that order as torchvision's get_params, with
 * nearest-neighbour sampling (ties to even, as grid_sample) and `fill` outside the image.
 * Arguments as torchvision.transforms.RandomAffine(degrees, translate=None, scale=None,
 * shear=None, interpolation=NEAREST, fill=0, center=None), positional or as options, plus
 * Kiln's `generator` option; interpolation is only "nearest". Takes a tensor [..., H, W] or a
 * RawImage (returned as a RawImage; warped by the tensor rule, which may differ from PIL's
 * resampling at pixel-centre ties).
 *
 * @example new RandomAffine(10, [0.1, 0.1], [0.9, 1.1])  // the book's --augmented
 */
export class RandomAffine implements TransformModule<ImageInput> {
  /** Rotation range [lo, hi] in degrees (a number d means [−d, d]). */
  readonly degrees: [number, number];
  /** Maximum shift as fractions of width and height, or null for none. */
  readonly translate: readonly [number, number] | null;
  /** Scale factor range [lo, hi], or null for none. */
  readonly scale: readonly [number, number] | null;
  /** Shear ranges in degrees [xmin, xmax, ymin, ymax], or null for none. */
  readonly shear: [number, number, number, number] | null;
  /** Value for pixels mapped from outside the image. */
  readonly fill: number;
  /** Centre of rotation [x, y] in pixels, or null for the image centre. */
  readonly center: readonly [number, number] | null;
  /** The generator that draws the parameters. */
  readonly generator: Generator;

  /**
   * Creates the transform from `(degrees, translate?, scale?, shear?, interpolation?, fill?,
   * center?)`, positional or as options, plus `generator`.
   */
  constructor(
    degrees: number | readonly [number, number],
    ...rest: WithOptions<
      [
        translate: readonly [number, number] | null,
        scale: readonly [number, number] | null,
        shear: number | readonly number[] | null,
        interpolation: "nearest",
        fill: number,
        center: readonly [number, number] | null,
      ],
      RandomAffineOptions
    >
  ) {
    const o = parseArgs(RANDOM_AFFINE, [degrees, ...rest]);
    const options = {
      translate: pair("translate", o.translate),
      scale: pair("scale", o.scale),
      shear: o.shear ?? undefined,
    };
    this.degrees = range("RandomAffine", "degrees", o.degrees);
    const t = options.translate;
    if (t?.some((v) => v < 0 || v > 1))
      throw new ValueError("RandomAffine: translation values should be between 0 and 1");
    this.translate = t ?? null;
    const s = options.scale;
    if (s?.some((v) => v <= 0))
      throw new ValueError("RandomAffine: scale values should be positive");
    this.scale = s ?? null;
    const sh = options.shear;
    if (sh === undefined) this.shear = null;
    else if (typeof sh === "number" || sh.length === 2)
      this.shear = [...range("RandomAffine", "shear", sh), 0, 0];
    else if (sh.length === 4) this.shear = [sh[0]!, sh[1]!, sh[2]!, sh[3]!];
    else
      throw new ValueError("RandomAffine: shear should be a number or a sequence of length 2 or 4");
    this.fill = o.fill;
    this.center = pair("center", o.center) ?? null;
    this.generator = o.generator;
  }

  #uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.generator.random();
  }

  forward(x: Tensor): Tensor;
  forward(x: RawImage): RawImage;
  forward(x: ImageInput): ImageInput;
  forward(x: ImageInput): ImageInput {
    const raw = isRawImage(x);
    const { data, planes, h, w } = raw
      ? rawToPlanes("RandomAffine", x)
      : toPlanes("RandomAffine", x);
    const angle = this.#uniform(this.degrees[0], this.degrees[1]);
    const tx = this.translate
      ? Math.round(this.#uniform(-this.translate[0] * w, this.translate[0] * w))
      : 0;
    const ty = this.translate
      ? Math.round(this.#uniform(-this.translate[1] * h, this.translate[1] * h))
      : 0;
    const scale = this.scale ? this.#uniform(this.scale[0], this.scale[1]) : 1;
    const shx = this.shear ? this.#uniform(this.shear[0], this.shear[1]) : 0;
    const shy =
      this.shear && (this.shear[2] !== 0 || this.shear[3] !== 0)
        ? this.#uniform(this.shear[2], this.shear[3])
        : 0;
    // torchvision's tensor path: the centre relative to the image centre, [0, 0] by default.
    const c: [number, number] =
      this.center === null ? [0, 0] : [this.center[0] - w * 0.5, this.center[1] - h * 0.5];
    const m = inverseAffineMatrix(c, angle, [tx, ty], scale, [shx, shy]);
    const out = warpNearest(data, planes, h, w, m, this.fill);
    return raw ? planesToRaw(out, planes, h, w) : fromPlanes(x, out, h, w);
  }

  /**
   * How a worker thread rebuilds this transform (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    const options: RandomAffineOptions = {
      ...(this.translate ? { translate: this.translate } : {}),
      ...(this.scale ? { scale: this.scale } : {}),
      ...(this.shear ? { shear: this.shear } : {}),
      fill: this.fill,
      ...(this.center ? { center: this.center } : {}),
      ...(this.generator === defaultGenerator ? {} : { generator: this.generator }),
    };
    return { module: import.meta.url, exportName: "RandomAffine", args: [this.degrees, options] };
  }
}

/** Round half to even, as nearbyint in grid_sample's nearest mode. */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * out(x, y) = in(m · (x, y, 1)) in centre-relative pixel coordinates (pixel j sits at
 * j + 0.5 - W/2), as torchvision's _gen_affine_grid followed by grid_sample(align_corners=False).
 */
export function warpNearest(
  data: Float32Array | Float64Array,
  planes: number,
  h: number,
  w: number,
  m: readonly number[],
  fill: number,
): Float32Array | Float64Array {
  const out = new (data.constructor as Float32ArrayConstructor)(data.length);
  const src = new Int32Array(h * w);
  for (let i = 0; i < h; i++) {
    const y = i + 0.5 - h / 2;
    for (let j = 0; j < w; j++) {
      const x = j + 0.5 - w / 2;
      const sj = roundEven(m[0]! * x + m[1]! * y + m[2]! + w / 2 - 0.5);
      const si = roundEven(m[3]! * x + m[4]! * y + m[5]! + h / 2 - 0.5);
      src[i * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? si * w + sj : -1;
    }
  }
  const hw = h * w;
  for (let p = 0; p < planes; p++) {
    const base = p * hw;
    for (let k = 0; k < hw; k++) {
      const s = src[k]!;
      out[base + k] = s < 0 ? fill : data[base + s]!;
    }
  }
  return out;
}

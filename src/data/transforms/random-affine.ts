// RandomAffine: random rotation, translation, scale and shear about the image centre, as
// torchvision.transforms.RandomAffine on tensors (nearest interpolation, constant fill).

import { ValueError } from "../../core/errors.ts";
import { defaultGenerator, type Generator } from "../../core/rng.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { fromPlanes, type TransformModule, toPlanes } from "./transform.ts";

export interface RandomAffineOptions {
  /** Maximum shift as fractions of width and height: tx ~ U(-a·W, a·W), rounded. */
  translate?: readonly [number, number];
  /** Scale factor range [lo, hi]. */
  scale?: readonly [number, number];
  /** Shear in degrees: x-shear range (a number d means [-d, d]), or [xmin, xmax, ymin, ymax]. */
  shear?: number | readonly number[];
  /** Value for pixels mapped from outside the image (default 0). */
  fill?: number;
  generator?: Generator;
}

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
 *
 * @example new RandomAffine(10, { translate: [0.1, 0.1], scale: [0.9, 1.1] })  // the book's --augmented
 */
export class RandomAffine implements TransformModule<Tensor> {
  readonly degrees: [number, number];
  readonly translate: readonly [number, number] | null;
  readonly scale: readonly [number, number] | null;
  readonly shear: [number, number, number, number] | null;
  readonly fill: number;
  readonly generator: Generator;

  constructor(degrees: number | readonly [number, number], options: RandomAffineOptions = {}) {
    this.degrees = range("RandomAffine", "degrees", degrees);
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
    this.fill = options.fill ?? 0;
    this.generator = options.generator ?? defaultGenerator;
  }

  #uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.generator.random();
  }

  forward(x: Tensor): Tensor {
    const { data, planes, h, w } = toPlanes("RandomAffine", x);
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
    const m = inverseAffineMatrix([0, 0], angle, [tx, ty], scale, [shx, shy]);
    return fromPlanes(x, warpNearest(data, planes, h, w, m, this.fill), h, w);
  }

  workerSpec(): WorkerSpec {
    const options: RandomAffineOptions = {
      ...(this.translate ? { translate: this.translate } : {}),
      ...(this.scale ? { scale: this.scale } : {}),
      ...(this.shear ? { shear: this.shear } : {}),
      fill: this.fill,
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

// The book's 3-D augmentation of CT candidate crops (dlwpt-code p2ch12 dsets.py
// getCtAugmentedCandidate): random flips, offsets and scales per axis and a rotation in the
// axial plane through one affine_grid + grid_sample, then Gaussian noise. Depends on core, ops
// and nn.functional only.

import { bool, checkArity, num, opt, parseOptions, showValue, signature } from "../../core/args.ts";
import { ShapeError, ValueError } from "../../core/errors.ts";
import { Generator } from "../../core/rng.ts";
import { affineGrid, gridSample } from "../../nn/functional/grid.ts";
import { randn, tensor } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** The book's augmentation_dict: each entry on when present (and true or non-zero). */
export interface NoduleAugmentation {
  /** Mirror each axis with probability 1/2. */
  flip?: boolean;
  /** Shift each axis by up to ±offset (in grid units, [-1, 1] spans the crop). */
  offset?: number;
  /** Scale each axis by a factor in [1 − scale, 1 + scale]. */
  scale?: number;
  /** Rotate the (column, row) plane by a uniform angle in [0, 2π). */
  rotate?: boolean;
  /** Add Gaussian noise of this standard deviation (Hounsfield-like units). */
  noise?: number;
}

/** training.py's `--augmented` dictionary: flip, offset 0.1, scale 0.2, rotate, noise 25. */
export const BOOK_AUGMENTATION: Readonly<Required<NoduleAugmentation>> = Object.freeze({
  flip: true,
  offset: 0.1,
  scale: 0.2,
  rotate: true,
  noise: 25.0,
});

const AUGMENTATION = signature(
  "data.datasets.noduleAugmentation",
  {},
  {
    flip: opt(bool, false),
    offset: opt(num, 0),
    scale: opt(num, 0),
    rotate: opt(bool, false),
    noise: opt(num, 0),
  },
);

/**
 * The 4x4 affine transform of one augmentation, drawn as the book draws it: per axis (x, y, z)
 * a flip, an offset and a scale, then the rotation multiplied on the right. The identity when
 * every augmentation is off (no numbers drawn).
 */
export function augmentationMatrix(aug: NoduleAugmentation, generator: Generator): number[][] {
  checkArity("data.datasets.augmentationMatrix", arguments, 2);
  const a = parseOptions(AUGMENTATION, aug);
  if (!(generator instanceof Generator)) {
    throw new ValueError(
      `augmentationMatrix: generator must be a Generator, got ${showValue(generator)}`,
    );
  }
  const t: number[][] = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (r === c ? 1 : 0)));
  for (let i = 0; i < 3; i++) {
    const row = t[i]!;
    if (a.flip && generator.random() > 0.5) row[i] = -row[i]!;
    if (a.offset !== 0) row[3] = a.offset * (generator.random() * 2 - 1);
    if (a.scale !== 0) row[i] = row[i]! * (1.0 + a.scale * (generator.random() * 2 - 1));
  }
  if (!a.rotate) return t;
  const angle = generator.random() * Math.PI * 2;
  const s = Math.sin(angle);
  const c = Math.cos(angle);
  const rot = [
    [c, -s, 0, 0],
    [s, c, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ];
  return t.map((row) =>
    [0, 1, 2, 3].map((j) => row.reduce((acc, v, k) => acc + v * rot[k]![j]!, 0)),
  );
}

function isIdentity(t: number[][]): boolean {
  return t.every((row, r) => row.every((v, c) => v === (r === c ? 1 : 0)));
}

/**
 * Augments one crop `[C, D, H, W]` (the book's `[1, 32, 48, 48]`) → same shape, float32:
 * `gridSample(crop, affineGrid(T[:3], size), paddingMode "border", alignCorners false)` with
 * `T = augmentationMatrix(aug, generator)`, plus `noise · randn` when `aug.noise` is set. With
 * every augmentation off the crop is returned unchanged (the book resamples with the identity,
 * which equals the crop up to float rounding). Draws only from `generator`.
 */
export function augmentCandidate(
  crop: Tensor,
  aug: NoduleAugmentation,
  generator: Generator,
): Tensor {
  checkArity("data.datasets.augmentCandidate", arguments, 3);
  if (crop.ndim !== 4) {
    throw new ShapeError(
      `augmentCandidate: expected a crop [C, D, H, W], but got shape [${crop.shape.join(", ")}]`,
    );
  }
  if (!(generator instanceof Generator)) {
    throw new ValueError(
      `augmentCandidate: generator must be a Generator, got ${showValue(generator)}`,
    );
  }
  const t = augmentationMatrix(aug, generator);
  let out: Tensor = crop.float();
  if (!isIdentity(t)) {
    const theta = tensor([t.slice(0, 3)], { dtype: "float32" });
    const x = out.unsqueeze(0);
    const grid = affineGrid(theta, x.shape as number[], false);
    out = gridSample(x, grid, { paddingMode: "border", alignCorners: false }).squeeze(0);
  }
  const noise = aug.noise ?? 0;
  if (noise !== 0) out = out.add(randn(out.shape as number[], { generator }).mul(noise));
  return out;
}

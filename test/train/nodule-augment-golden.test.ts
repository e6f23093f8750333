// The book's 3-D augmentation against PyTorch: tools/golden/nodule_augment.py runs dlwpt-code's
// getCtAugmentedCandidate (affine_grid + grid_sample, padding 'border') on a crop with its
// random.random() replaced by a list of uniforms; Kiln's augmentCandidate, given a Generator that
// returns the same uniforms, must build the same matrix and the same resampled crop.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Generator } from "../../src/core/rng.ts";
import {
  augmentationMatrix,
  augmentCandidate,
  type NoduleAugmentation,
} from "../../src/data/datasets/index.ts";
import { assertClose, dec, type Enc, loadGolden } from "../nn/golden.ts";

interface Case {
  name: string;
  aug: NoduleAugmentation;
  uniforms: number[];
  transform: number[][];
  out: Enc;
}
const G = loadGolden<{ crop: Enc; cases: Case[] }>("nodule_augment.json");

/** A Generator whose uniforms are the given list, as the golden script's random.random(). */
class ListGenerator extends Generator {
  #draws: number[];
  constructor(draws: readonly number[]) {
    super(0);
    this.#draws = [...draws];
  }
  override random(): number {
    const v = this.#draws.shift();
    if (v === undefined) throw new Error("ListGenerator: out of uniforms");
    return v;
  }
}

describe("the book's augmentation against PyTorch (getCtAugmentedCandidate)", () => {
  const crop = dec(G.crop);
  for (const c of G.cases) {
    test(`${c.name}: the same transform and resampled crop`, () => {
      const t = augmentationMatrix(c.aug, new ListGenerator(c.uniforms));
      // The book builds the matrix in float32 (torch.eye(4)); Kiln in float64.
      for (let r = 0; r < 4; r++)
        for (let k = 0; k < 4; k++)
          assert.ok(Math.abs(t[r]![k]! - c.transform[r]![k]!) < 1e-6, `T[${r}][${k}]`);
      const out = augmentCandidate(crop, c.aug, new ListGenerator(c.uniforms));
      // Crop values are about ±1000: 1e-3 absolute is float32 rounding of the sample positions.
      assertClose(out, c.out, c.name, 1e-5, 2e-3);
    });
  }
});

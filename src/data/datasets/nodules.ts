// A synthetic stand-in for the LUNA16 candidates of Deep Learning with PyTorch (p2ch12 dsets.py):
// 32x48x48 CT-like crops in Hounsfield-like units, positives holding a bright roughly spherical
// nodule near the centre, negatives plain tissue or vessel-like tubes. Generated from a seed, no
// download. Depends on core, ops and data (and nn.functional through nodule-augment.ts); not on train.

import {
  bool,
  checkArity,
  custom,
  instanceOf,
  int,
  nullable,
  num,
  opt,
  parseOptions,
  signature,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { Generator } from "../../core/rng.ts";
import { fromTypedArray } from "../../ops/creation.ts";
import type { Tensor } from "../../tensor/tensor.ts";
import { Dataset } from "../dataset.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { augmentCandidate, type NoduleAugmentation } from "./nodule-augment.ts";

/** The book's crop size (index, row, column): `width_irc = (32, 48, 48)`. */
export const NODULE_CROP: readonly [number, number, number] = [32, 48, 48];

/** One synthetic candidate, as the book's CandidateInfoTuple: its label and how to render it. */
export interface NoduleCandidate {
  /** Position in the generated list (before the train/validation split). */
  readonly index: number;
  /** True for a nodule (the positive class). */
  readonly isNodule: boolean;
  /** Nodule radius in voxels (0 for a negative). */
  readonly radius: number;
  /** Seed of the generator that renders the crop. */
  readonly seed: number;
}

/** Options of `noduleCandidates` and `NoduleDataset`. */
export interface NoduleCandidateOptions {
  /** Number of candidates, train and validation together (default 300). */
  count?: number;
  /** Fraction of nodules among them, in (0, 1) (default 0.1). */
  positiveFraction?: number;
  /** Seed of the list and of every crop (default 0): equal seeds give equal data. */
  seed?: number;
}

const CANDIDATE_OPTIONS = {
  count: opt(int, 300),
  positiveFraction: opt(num, 0.1),
  seed: opt(int, 0),
};
const CANDIDATES = signature("data.datasets.noduleCandidates", {}, CANDIDATE_OPTIONS);

/**
 * The candidate list for `count` crops, `round(count · positiveFraction)` of them nodules (at
 * least one, and at least one negative), in a seeded random order. Deterministic in its options.
 */
export function noduleCandidates(options: NoduleCandidateOptions = {}): NoduleCandidate[] {
  checkArity("data.datasets.noduleCandidates", arguments, 1);
  const o = parseOptions(CANDIDATES, options);
  if (o.count < 2) {
    throw new ValueError(`noduleCandidates: count must be at least 2, but got ${o.count}`);
  }
  if (!(o.positiveFraction > 0 && o.positiveFraction < 1)) {
    throw new ValueError(
      `noduleCandidates: positiveFraction must be in (0, 1), but got ${o.positiveFraction}`,
    );
  }
  if (o.seed < 0) throw new ValueError(`noduleCandidates: seed must be >= 0, but got ${o.seed}`);
  const g = new Generator(o.seed);
  const nPos = Math.min(o.count - 1, Math.max(1, Math.round(o.count * o.positiveFraction)));
  const isPos = Array.from({ length: o.count }, (_, i) => i < nPos);
  // Fisher-Yates with the list's generator: positives spread over the list.
  for (let i = o.count - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    [isPos[i], isPos[j]] = [isPos[j]!, isPos[i]!];
  }
  return isPos.map((p, index) => ({
    index,
    isNodule: p,
    // Radii 3-6 voxels: the vessel-like tubes of the negatives are at most 2 voxels thick.
    radius: p ? 3 + 3 * g.random() : 0,
    seed: g.randint(0, 0x7fffffff),
  }));
}

/** Hounsfield-like levels: lung parenchyma, vessels, nodule tissue; clamped as the book's CT. */
const HU_LUNG = -750;
const HU_VESSEL = -100;
const HU_NODULE = 150;
const HU_MIN = -1000;
const HU_MAX = 1000;

/** `clamp(v, 0, 1)`: the partial-volume weight of a voxel at signed depth `v` inside a shape. */
function cover(v: number): number {
  return Math.max(0, Math.min(v, 1));
}

/**
 * Renders one candidate's crop `[32, 48, 48]` (index, row, column) as Float32 Hounsfield-like
 * units in [-1000, 1000]: smooth tissue texture and noise, 0-2 vessel-like tubes near the centre,
 * and for a nodule a bright ellipsoid (radius `c.radius`, axes stretched ±15%) within 3 voxels of
 * the centre. Deterministic in `c.seed`.
 */
export function renderNoduleCrop(c: NoduleCandidate): Float32Array {
  checkArity("data.datasets.renderNoduleCrop", arguments, 1);
  const [D, H, W] = NODULE_CROP;
  const g = new Generator(c.seed);
  const u = (lo: number, hi: number) => lo + (hi - lo) * g.random();
  // Texture: three low-frequency plane waves (wavelengths of 12-60 voxels).
  const waves = Array.from({ length: 3 }, () => ({
    kz: u(-0.5, 0.5),
    ky: u(-0.5, 0.5),
    kx: u(-0.5, 0.5),
    phase: u(0, 2 * Math.PI),
    amp: u(15, 40),
  }));
  const tubes = Array.from(
    { length: g.random() < (c.isNodule ? 0.3 : 0.7) ? g.randint(1, 3) : 0 },
    () => {
      const dz = g.normal();
      const dy = g.normal();
      const dx = g.normal();
      const n = Math.hypot(dz, dy, dx) || 1;
      return {
        p: [D / 2 + u(-6, 6), H / 2 + u(-8, 8), W / 2 + u(-8, 8)],
        d: [dz / n, dy / n, dx / n],
        r: u(1, 2),
      };
    },
  );
  const nodule = c.isNodule
    ? {
        p: [D / 2 - 0.5 + u(-3, 3), H / 2 - 0.5 + u(-3, 3), W / 2 - 0.5 + u(-3, 3)],
        r: [c.radius * u(0.85, 1.15), c.radius * u(0.85, 1.15), c.radius * u(0.85, 1.15)],
      }
    : null;
  // sin(a + kx·x) = sin a·cos(kx·x) + cos a·sin(kx·x): the x terms are tabulated once.
  const sinX = waves.map((w) => Float64Array.from({ length: W }, (_, x) => Math.sin(w.kx * x)));
  const cosX = waves.map((w) => Float64Array.from({ length: W }, (_, x) => Math.cos(w.kx * x)));
  const sa = new Float64Array(waves.length);
  const ca = new Float64Array(waves.length);
  const out = new Float32Array(D * H * W);
  let i = 0;
  for (let z = 0; z < D; z++) {
    for (let y = 0; y < H; y++) {
      for (let k = 0; k < waves.length; k++) {
        const w = waves[k]!;
        sa[k] = w.amp * Math.sin(w.kz * z + w.ky * y + w.phase);
        ca[k] = w.amp * Math.cos(w.kz * z + w.ky * y + w.phase);
      }
      for (let x = 0; x < W; x++, i++) {
        const noise = 25 * g.normal();
        let v = HU_LUNG + noise;
        for (let k = 0; k < waves.length; k++) v += sa[k]! * cosX[k]![x]! + ca[k]! * sinX[k]![x]!;
        for (const t of tubes) {
          const qz = z - t.p[0]!;
          const qy = y - t.p[1]!;
          const qx = x - t.p[2]!;
          const along = qz * t.d[0]! + qy * t.d[1]! + qx * t.d[2]!;
          const rz = qz - along * t.d[0]!;
          const ry = qy - along * t.d[1]!;
          const rx = qx - along * t.d[2]!;
          const m = cover(t.r - Math.sqrt(rz * rz + ry * ry + rx * rx) + 0.5);
          v = v * (1 - m) + (HU_VESSEL + noise) * m;
        }
        if (nodule !== null) {
          const ez = (z - nodule.p[0]!) / nodule.r[0]!;
          const ey = (y - nodule.p[1]!) / nodule.r[1]!;
          const ex = (x - nodule.p[2]!) / nodule.r[2]!;
          const m = cover((1 - Math.sqrt(ez * ez + ey * ey + ex * ex)) * c.radius + 0.5);
          v = v * (1 - m) + (HU_NODULE + noise) * m;
        }
        out[i] = Math.max(HU_MIN, Math.min(v, HU_MAX));
      }
    }
  }
  return out;
}

/** Options of NoduleDataset: the candidate list's, the split's and the augmentation. */
export interface NoduleDatasetOptions extends NoduleCandidateOptions {
  /** Every `valStride`-th positive and negative validates (the book's val_stride, default 10). */
  valStride?: number;
  /** true: the validation split; false (default): the training split. */
  isValSet?: boolean;
  /** Keep only the first `limit` candidates of the split (0, default: all). */
  limit?: number;
  /** The book's augmentation_dict for training crops (default null: none). */
  augmentation?: NoduleAugmentation | null;
  /** Draws the augmentations (default: a generator seeded with `seed`). */
  generator?: Generator;
}

const NODULE_DATASET = signature(
  "data.datasets.NoduleDataset",
  {},
  {
    ...CANDIDATE_OPTIONS,
    valStride: opt(int, 10),
    isValSet: opt(bool, false),
    limit: opt(int, 0),
    augmentation: opt(
      nullable(
        custom<NoduleAugmentation>(
          "an augmentation object",
          (v): v is NoduleAugmentation => typeof v === "object" && v !== null,
        ),
      ),
      null,
    ),
    generator: opt(instanceOf(Generator, "a Generator")),
  },
);

/**
 * The book's LunaDataset on synthetic candidates: `get(i)` is `[crop [1, 32, 48, 48] float32,
 * label]` with label 1 for a nodule, 0 otherwise (the book returns the one-hot pair). Validation
 * holds every `valStride`-th positive and every `valStride`-th negative (the book's sorted list
 * `[::val_stride]`), training the rest; crops are rendered on first use and cached.
 * Balanced sampling is `data.BalancedSampler(dataset.labels)` (the book's ratio_int = 1).
 *
 * @example const trn = new NoduleDataset({ count: 300, augmentation: BOOK_AUGMENTATION });
 */
export class NoduleDataset extends Dataset<[Tensor, number]> {
  /** The split's candidates, in the list's order. */
  readonly candidates: readonly NoduleCandidate[];
  /** The augmentation applied by `get`, or null. */
  readonly augmentation: NoduleAugmentation | null;
  readonly #generator: Generator;
  readonly #cache = new Map<number, Float32Array>();
  readonly #options: NoduleDatasetOptions;

  /** Builds the split from the options (see NoduleDatasetOptions for the defaults). */
  constructor(options: NoduleDatasetOptions = {}) {
    super();
    checkArity("data.datasets.NoduleDataset", arguments, 1);
    const o = parseOptions(NODULE_DATASET, options);
    if (o.valStride < 2) {
      throw new ValueError(`NoduleDataset: valStride must be at least 2, but got ${o.valStride}`);
    }
    if (o.limit < 0) throw new ValueError(`NoduleDataset: limit must be >= 0, but got ${o.limit}`);
    const all = noduleCandidates({
      count: o.count,
      positiveFraction: o.positiveFraction,
      seed: o.seed,
    });
    const seen = { pos: 0, neg: 0 };
    const split = all.filter((c) => {
      const k = c.isNodule ? seen.pos++ : seen.neg++;
      return (k % o.valStride === 0) === o.isValSet;
    });
    this.candidates = o.limit > 0 ? split.slice(0, o.limit) : split;
    this.augmentation = o.augmentation;
    this.#generator = o.generator ?? new Generator(o.seed);
    this.#options = { ...options, generator: this.#generator };
  }

  get length(): number {
    return this.candidates.length;
  }

  /** Per-candidate labels (1: nodule), for `BalancedSampler` and the metrics. */
  get labels(): number[] {
    return this.candidates.map((c) => (c.isNodule ? 1 : 0));
  }

  /** The rendered crop `[1, 32, 48, 48]` of candidate `index`, before augmentation. */
  rawCandidate(index: number): Tensor {
    const c = this.candidates[index];
    if (c === undefined || !Number.isInteger(index)) {
      throw new ValueError(
        `NoduleDataset: index ${index} is out of range for a split of ${this.length} candidates`,
      );
    }
    let crop = this.#cache.get(c.index);
    if (crop === undefined) {
      crop = renderNoduleCrop(c);
      this.#cache.set(c.index, crop);
    }
    // A copy: callers may modify the tensor in place without touching the cache.
    return fromTypedArray(crop.slice(), [1, ...NODULE_CROP]);
  }

  get(index: number): [Tensor, number] {
    const raw = this.rawCandidate(index);
    const crop =
      this.augmentation === null ? raw : augmentCandidate(raw, this.augmentation, this.#generator);
    return [crop, this.candidates[index]!.isNodule ? 1 : 0];
  }

  /**
   * This module's NoduleDataset with the constructor's options; a worker gets the generator
   * reseeded for it (worker-spec's `reseed`), so workers do not repeat each other's draws.
   */
  workerSpec(): WorkerSpec {
    return { module: import.meta.url, exportName: "NoduleDataset", args: [this.#options] };
  }
}

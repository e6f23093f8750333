// LunaApp: the book's LunaTrainingApp (Deep Learning with PyTorch ch. 11-12, p2ch12 training.py)
// on Kiln's synthetic nodule candidates: models.LunaModel, --balanced (positives and negatives
// alternate) and --augmented (flip, offset, scale, rotate, noise). Depends on data, models, nn
// and the TrainingApp; nothing below train imports it.

import { checkArity } from "../core/args.ts";
import { ValueError } from "../core/errors.ts";
import { Generator } from "../core/rng.ts";
import { BOOK_AUGMENTATION } from "../data/datasets/nodule-augment.ts";
import {
  NODULE_CROP,
  type NoduleCandidateOptions,
  NoduleDataset,
} from "../data/datasets/nodules.ts";
import * as data from "../data/index.ts";
import { LunaModel } from "../models/luna.ts";
import * as nn from "../nn/index.ts";
import { stack } from "../ops/movement.ts";
import { noGrad } from "../tensor/graph.ts";
import { slice, type Tensor } from "../tensor/tensor.ts";
import { type Batch, type Loader, TrainingApp, type TrainingArgs } from "./app.ts";
import { DEFAULT_ARGS } from "./args.ts";
import type { LogFn } from "./estimate.ts";
import {
  METRICS_LABEL_NDX,
  METRICS_LOSS_NDX,
  METRICS_PRED_NDX,
  METRICS_PRED_P_NDX,
} from "./metrics.ts";
import { minMaxPerImage } from "./visuals.ts";

/** Settings of `kiln train --model luna`: `TrainingArgs` plus the data and sampling options. */
export interface LunaArgs extends TrainingArgs {
  /** Always "luna": the book's LunaModel. */
  model: "luna";
  /** "nodules[:<count>[:<positive fraction>[:<data seed>]]]" (defaults 300, 0.1, 0). */
  dataset: string;
  /** Every second training sample is a nodule (the book's --balanced, ratio_int 1). */
  balanced: boolean;
  /** The book's --augmented: flip, offset 0.1, scale 0.2, rotate, noise 25. */
  augmented: boolean;
  /** Train on the first N training candidates only (0: all). */
  limit: number;
  /** Validate on the first N validation candidates only (0: all). */
  valLimit: number;
}

/**
 * `kiln train --model luna`'s defaults: 300 candidates, Adam lr 0.001, batch 4, 1 epoch. NOTE:
 * not the book's SGD lr 0.001 momentum 0.99 batch 32 (DEFAULT_ARGS), which does not learn in the
 * few dozen steps a small synthetic set gives; pass --optimizer sgd --momentum 0.99 --batch-size 32
 * for the book's.
 */
export const LUNA_DEFAULTS: LunaArgs = {
  ...DEFAULT_ARGS,
  optimizer: "adam",
  batchSize: 4,
  epochs: 1,
  model: "luna",
  dataset: "nodules",
  balanced: false,
  augmented: false,
  limit: 0,
  valLimit: 0,
};

/** The candidate options of a dataset spec "nodules[:<count>[:<positive fraction>[:<seed>]]]". */
export function parseNoduleSpec(spec: string): Required<NoduleCandidateOptions> {
  checkArity("train.parseNoduleSpec", arguments, 1);
  const [kind, ...parts] = spec.split(":");
  const bad = (why: string) =>
    new ValueError(
      `dataset: '${spec}' ${why}; --model luna expects nodules[:<count>[:<positive fraction>[:<data seed>]]], e.g. nodules:600:0.2`,
    );
  if (kind !== "nodules") throw bad("is not the synthetic nodule dataset");
  if (parts.length > 3) throw bad("has too many parts");
  const [count = "300", fraction = "0.1", seed = "0"] = parts;
  const o = { count: Number(count), positiveFraction: Number(fraction), seed: Number(seed) };
  if (!/^\d+$/.test(count) || o.count < 20) throw bad(`has count '${count}' (an integer >= 20)`);
  if (!(o.positiveFraction > 0 && o.positiveFraction < 1) || fraction.trim() === "") {
    throw bad(`has positive fraction '${fraction}' (a number in (0, 1))`);
  }
  if (!/^\d+$/.test(seed)) throw bad(`has data seed '${seed}' (an integer >= 0)`);
  return o;
}

/**
 * Trains the book's LunaModel on synthetic nodule candidates (`NoduleDataset`), as the book's
 * LunaTrainingApp: cross-entropy on the logits, the metrics from the positive/negative masks,
 * checkpoints named `cls_<time>_<comment>`.
 */
export class LunaApp extends TrainingApp {
  /** The run's settings: the constructor's `args` over `LUNA_DEFAULTS`. */
  declare readonly args: LunaArgs;
  /** Draws the augmentations of --augmented; saved in checkpoints. */
  readonly augmentGenerator: Generator;
  readonly numClasses = 2;
  readonly #candidates: Required<NoduleCandidateOptions>;
  #valDs: NoduleDataset | null = null;

  /** Checks the settings (`args` over `LUNA_DEFAULTS`); the crops are rendered when first loaded. */
  constructor(args: Partial<LunaArgs> = {}, log?: LogFn) {
    checkArity("LunaApp", arguments, 2);
    const binary = (args as { binary?: unknown }).binary;
    if (binary !== undefined && binary !== null) {
      throw new ValueError(
        "--binary does not apply to --model luna: the nodule task is already binary (nodule or not)",
      );
    }
    const { binary: _b, ...rest } = args as Partial<LunaArgs> & { binary?: unknown };
    super({ ...LUNA_DEFAULTS, ...rest }, log);
    if (this.args.model !== "luna") {
      throw new ValueError(`LunaApp: model must be 'luna', got '${String(this.args.model)}'`);
    }
    this.#candidates = parseNoduleSpec(this.args.dataset);
    this.augmentGenerator = new Generator(this.args.seed);
  }

  override generators(): Record<string, Generator> {
    return { ...super.generators(), augment: this.augmentGenerator };
  }

  override classNames(): string[] {
    return ["not nodule", "nodule"];
  }

  /** The book's checkpoint type for the classifier: `cls`. */
  override checkpointType(): string {
    return "cls";
  }

  /** The book's LunaModel(in_channels=1, conv_channels=8), initialised as its `_init_weights`. */
  initModel(): nn.Module {
    // NOTE: LunaModel's forward returns [logits, probabilities], not the logits TrainingApp's
    // computeBatchLoss expects; this class's computeBatchLoss is the only caller of forward.
    return new LunaModel() as unknown as nn.Module;
  }

  /** The crop shape and class names, and the data the run was trained on. */
  override checkpointExtras(): Record<string, unknown> {
    return {
      itemShape: [1, ...NODULE_CROP],
      classNames: this.classNames(),
      dataset: this.args.dataset,
    };
  }

  #dataset(isValSet: boolean): NoduleDataset {
    return new NoduleDataset({
      ...this.#candidates,
      isValSet,
      limit: isValSet ? this.args.valLimit : this.args.limit,
      augmentation: !isValSet && this.args.augmented ? BOOK_AUGMENTATION : null,
      generator: this.augmentGenerator,
    });
  }

  /**
   * Training batches: shuffled, or with `balanced` nodule and non-nodule candidates alternating
   * (`BalancedSampler`, the book's ratio_int 1; an epoch has as many samples as the split).
   */
  initTrainDl(): Loader {
    const ds = this.#dataset(false);
    const sampler = this.args.balanced
      ? new data.BalancedSampler(ds.labels, { generator: this.shuffleGenerator })
      : undefined;
    return new data.DataLoader(ds as data.MapDataset<unknown>, {
      batchSize: this.args.batchSize,
      ...(sampler ? { sampler } : { shuffle: true }),
      generator: this.shuffleGenerator,
      numWorkers: this.args.numWorkers,
    }) as unknown as Loader;
  }

  /** Validation batches in the split's order, never augmented. */
  initValDl(): Loader {
    this.#valDs = this.#dataset(true);
    return new data.DataLoader(this.#valDs as data.MapDataset<unknown>, {
      batchSize: this.args.batchSize,
      numWorkers: this.args.numWorkers,
    }) as unknown as Loader;
  }

  /**
   * As the book's LunaTrainingApp.computeBatchLoss: `logits, probability = model(input)`,
   * per-sample cross-entropy on the logits, metrics from the model's own probabilities.
   */
  override computeBatchLoss(
    batchNdx: number,
    batch: Batch,
    batchSize: number,
    metrics_g: Tensor,
  ): Tensor {
    checkArity("LunaApp.computeBatchLoss", arguments, 4);
    const [input_t, label_t] = batch;
    const [logits_g, probability_g] = (this.model as unknown as LunaModel).forward(input_t);
    const loss_g = nn.functional.crossEntropy(logits_g, label_t, { reduction: "none" });
    const startNdx = batchNdx * batchSize;
    const cols = slice(startNdx, startNdx + label_t.shape[0]!);
    noGrad(() => {
      const p = probability_g.detach();
      metrics_g.indexPut_([METRICS_LABEL_NDX, cols], label_t);
      metrics_g.indexPut_([METRICS_PRED_NDX, cols], p.argmax(1));
      metrics_g.indexPut_([METRICS_PRED_P_NDX, cols], p.index(slice(), 1));
      metrics_g.indexPut_([METRICS_LOSS_NDX, cols], loss_g.detach());
    });
    return loss_g.mean();
  }

  /** The middle slice (index 16) of each raw validation crop, `[N, 1, 48, 48]` in [0, 1]. */
  override imagesForDisplay(indices: readonly number[], _valDl: Loader): Tensor | null {
    checkArity("LunaApp.imagesForDisplay", arguments, 2);
    const ds = this.#valDs;
    if (ds === null || indices.length === 0) return null;
    const mid = NODULE_CROP[0] / 2;
    return minMaxPerImage(
      stack(
        [...indices].map((i) => ds.rawCandidate(i).index(slice(), mid)),
        0,
      ),
    );
  }
}

// ClassifierApp: the TrainingApp behind `kiln train`. It loads an image or CSV dataset, keeps the
// normalised inputs in memory as tensors (so a batch is one gather), and trains the seed's MLP
// or the small CNN, multi-class or one-vs-rest (`binary`), optionally balanced and augmented.

import { checkArity } from "../core/args.ts";
import { FormatError, ValueError } from "../core/errors.ts";
import { Generator } from "../core/rng.ts";
import * as data from "../data/index.ts";
import type * as nn from "../nn/index.ts";
import { tensor } from "../ops/creation.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type Loader, readCheckpointMeta, TrainingApp, type TrainingArgs } from "./app.ts";
import { DEFAULT_ARGS } from "./args.ts";
import type { LogFn } from "./estimate.ts";
import { ConvNet, NeuralNet } from "./models.ts";
import {
  channelStats,
  imageBytes,
  NormalizedImages,
  normaliseInPlace,
  scaledImages,
} from "./normalized-images.ts";

/**
 * Settings of `kiln train`: `TrainingArgs` plus the dataset, model and sampling options (see
 * `CLASSIFIER_DEFAULTS`).
 */
export interface ClassifierArgs extends TrainingArgs {
  /**
   * "mlp": the seed's `NeuralNet` over flattened inputs; "cnn": the small `ConvNet` over [C, H, W].
   */
  model: "mlp" | "cnn";
  /** "mnist" | "fashion-mnist:<dir>" | "kmnist:<dir>" | "cifar10:<dir>" | "csv:<file>" */
  dataset: string;
  /** One-vs-rest: this class is positive, every other class negative. */
  binary: number | null;
  /** Binary only: every second training sample is positive (the book's --balanced). */
  balanced: boolean;
  /** Random affine augmentation of training images (the book's --augmented). */
  augmented: boolean;
  /** Use only the first N training / validation samples (0: all). */
  limit: number;
  /** Use only the first N validation samples (0: all). */
  valLimit: number;
}

/** `kiln train`'s defaults: the seed's run (MLP on MNIST, SGD lr 0.01 momentum 0.9, batch 64, 3 epochs). */
export const CLASSIFIER_DEFAULTS: ClassifierArgs = {
  ...DEFAULT_ARGS,
  epochs: 3,
  batchSize: 64,
  lr: 0.01,
  momentum: 0.9,
  scoreBy: "accuracy",
  model: "mlp",
  dataset: "mnist",
  binary: null,
  balanced: false,
  augmented: false,
  limit: 0,
  valLimit: 0,
};

/** A dataset split as tensors: images [N, C, H, W] (or features [N, F]) in [0, 1] and int32 labels. */
export interface Split {
  x: Tensor;
  y: Tensor;
}

/** The data loadClassifierData returns: train and validation splits, item shape, class names. */
export interface LoadedData {
  train: Split;
  val: Split;
  /** Shape of one input before flattening: [C, H, W] or [F]. */
  itemShape: number[];
  classNames: string[];
}

function parseDatasetSpec(spec: string): { kind: string; path: string | null } {
  const i = spec.indexOf(":");
  const kind = i < 0 ? spec : spec.slice(0, i);
  const path = i < 0 ? null : spec.slice(i + 1);
  const known = ["mnist", "fashion-mnist", "kmnist", "cifar10", "csv"];
  if (!known.includes(kind)) {
    throw new ValueError(
      `dataset: unknown dataset '${spec}' (expected one of mnist, fashion-mnist:<dir>, kmnist:<dir>, cifar10:<dir>, csv:<file>)`,
    );
  }
  if (kind !== "mnist" && (path === null || path === "")) {
    throw new ValueError(
      `dataset: '${kind}' needs a path: --dataset ${kind}:<${kind === "csv" ? "file" : "dir"}>`,
    );
  }
  return { kind, path };
}

/**
 * The first `limit` (0: all) items of an image dataset: as float32 [N, C, H, W] in [0, 1], or with
 * `bytes` as the uint8 tensor of their bytes (a view of the dataset's buffer, no copy when all).
 */
function imageSplit(
  ds: data.datasets.MNIST | data.datasets.CIFAR10,
  limit: number,
  bytes = false,
): Split {
  const n = limit > 0 ? Math.min(limit, ds.length) : ds.length;
  if (bytes) {
    const size = ds.imageShape.reduce((a, b) => a * b, 1);
    const pixels = n === ds.length ? ds.pixels : ds.pixels.slice(0, n * size);
    return {
      x: imageBytes(pixels, n, ds.imageShape),
      y: n === ds.length ? ds.targets : ds.targets.narrow(0, 0, n).contiguous(),
    };
  }
  if (n === ds.length) {
    // NOTE: the whole split is the dataset's own scaled copy (built once, dropped with the
    // dataset); a getBatch of every index would hold that copy and a gathered one at once.
    return { x: ds.scaled, y: ds.targets };
  }
  const [x, y] = ds.getBatch(Array.from({ length: n }, (_, i) => i)) as [Tensor, Tensor];
  return { x, y };
}

/** Loads the named dataset's train and validation splits into memory. */
export function loadClassifierData(spec: string, limit = 0, valLimit = 0): LoadedData {
  if (arguments.length > 3) checkArity("train.loadClassifierData", arguments, 3);
  return loadData(spec, limit, valLimit, false);
}

/**
 * loadClassifierData; with `bytes`, image splits hold uint8 tensors of the images' bytes
 * (ClassifierApp normalises them batch by batch) instead of float32 in [0, 1].
 */
function loadData(spec: string, limit: number, valLimit: number, bytes: boolean): LoadedData {
  const { kind, path } = parseDatasetSpec(spec);
  const digits = Array.from({ length: 10 }, (_, i) => String(i));
  if (kind === "csv") {
    const ds = new data.datasets.CSVDataset(path!);
    // The book's split: every 10th sample validates, the rest trains.
    const n = ds.length;
    if (n < 2) {
      throw new FormatError(
        `${path}: ${n} data row${n === 1 ? "" : "s"}; training needs at least 2 (every 10th row validates, the rest train)`,
      );
    }
    const valIdx = Array.from({ length: Math.ceil(n / 10) }, (_, i) => i * 10);
    const trnIdx = Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 !== 0);
    const take = (idx: number[], lim: number): Split => {
      const sel = lim > 0 ? idx.slice(0, lim) : idx;
      return { x: ds.features.indexSelect(0, sel), y: ds.labels.indexSelect(0, sel).int() };
    };
    const numClasses = Number(ds.labels.max().item()) + 1;
    return {
      train: take(trnIdx, limit),
      val: take(valIdx, valLimit),
      itemShape: [ds.features.shape[1]!],
      classNames: ds.classes
        ? [...ds.classes]
        : Array.from({ length: numClasses }, (_, i) => String(i)),
    };
  }
  const make = (train: boolean) => {
    if (kind === "mnist") return new data.datasets.MNIST({ train });
    if (kind === "fashion-mnist") return new data.datasets.FashionMNIST({ train, root: path! });
    if (kind === "kmnist") return new data.datasets.KMNIST({ train, root: path! });
    return new data.datasets.CIFAR10({ train, root: path! });
  };
  const trn = make(true);
  const val = make(false);
  const names = kind === "mnist" ? digits : [...trn.classes];
  return {
    train: imageSplit(trn, limit, bytes),
    val: imageSplit(val, valLimit, bytes),
    itemShape: [...trn.imageShape],
    classNames: names,
  };
}

/**
 * Trains a classifier on an in-memory dataset, as `kiln train` does: inputs normalised with the
 * training set's per-channel mean and std, flattened for the MLP, kept [C, H, W] for the CNN.
 */
export class ClassifierApp extends TrainingApp {
  /** The run's settings: the constructor's `args` over `CLASSIFIER_DEFAULTS`. */
  declare readonly args: ClassifierArgs;
  readonly #data: LoadedData;
  readonly #mean: number[];
  readonly #std: number[];
  /** Draws the random affine transforms of --augmented (in-process loading); saved in checkpoints. */
  readonly augmentGenerator: Generator;

  /**
   * Loads the dataset (`args` over `CLASSIFIER_DEFAULTS`) and computes its normalisation;
   * throws a ValueError for `balanced` without `binary` or a `binary` class that does not exist.
   */
  constructor(args: Partial<ClassifierArgs> = {}, log?: LogFn) {
    checkArity("ClassifierApp", arguments, 2);
    super({ ...CLASSIFIER_DEFAULTS, ...args }, log);
    const a = this.args;
    this.augmentGenerator = new Generator(a.seed);
    if (a.balanced && a.binary === null) throw new ValueError("--balanced needs --binary <class>");
    // NOTE: images stay bytes (1 byte a pixel; NormalizedImages scales and normalises each
    // batch), where float32 copies held 4: 188 MB for MNIST's training set.
    this.#data = loadData(a.dataset, a.limit, a.valLimit, true);
    if (
      a.binary !== null &&
      (a.binary < 0 || a.binary >= this.#data.classNames.length || !Number.isInteger(a.binary))
    ) {
      throw new ValueError(
        `--binary: class ${a.binary} does not exist (expected 0..${this.#data.classNames.length - 1})`,
      );
    }
    [this.#mean, this.#std] = channelStats(this.#data.train.x, this.#data.itemShape);
    // --augmented transforms float images (AugmentedImages)
    const trn = this.#data.train;
    if (a.augmented && trn.x.dtype === "uint8") trn.x = scaledImages(trn.x);
  }

  /**
   * Checks that the checkpoint was trained on inputs of this run's shape and number of classes
   * (a clear error instead of a tensor-shape mismatch), then resumes as TrainingApp does.
   */
  override resumeFrom(weightsPath: string): void {
    checkArity("ClassifierApp.resumeFrom", arguments, 1);
    const extras = readCheckpointMeta(weightsPath).extras as {
      itemShape?: number[];
      classNames?: string[];
    };
    const classes = this.classNames();
    if (
      extras.itemShape !== undefined &&
      extras.classNames !== undefined &&
      (extras.itemShape.join() !== this.#data.itemShape.join() ||
        extras.classNames.length !== classes.length)
    ) {
      throw new ValueError(
        `resume: checkpoint ${weightsPath} was trained on inputs [${extras.itemShape.join(", ")}] with ${extras.classNames.length} classes, but this run's data has inputs [${this.#data.itemShape.join(", ")}] with ${classes.length} classes`,
      );
    }
    super.resumeFrom(weightsPath);
  }

  override generators(): Record<string, Generator> {
    return { ...super.generators(), augment: this.augmentGenerator };
  }

  get numClasses(): number {
    return this.args.binary === null ? this.#data.classNames.length : 2;
  }

  /** Checkpoints are named after the dataset: `mnist_<time>_<comment>.<samples>.safetensors`. */
  override checkpointType(): string {
    return parseDatasetSpec(this.args.dataset).kind;
  }

  override classNames(): string[] {
    if (this.args.binary === null) return [...this.#data.classNames];
    const pos = this.#data.classNames[this.args.binary]!;
    return [`not ${pos}`, pos];
  }

  /** Shape of one model input: [F] for the MLP, [C, H, W] for the CNN. */
  get inputShape(): number[] {
    const s = this.#data.itemShape;
    return this.args.model === "mlp" ? [s.reduce((a, b) => a * b, 1)] : [...s];
  }

  /**
   * The `args.model` network for this dataset's item shape and number of classes
   * (`buildClassifierModel`).
   */
  initModel(): nn.Module {
    return buildClassifierModel(this.args.model, this.#data.itemShape, this.numClasses);
  }

  /** Input normalisation, item shape and class names, so predict needs no training data. */
  override checkpointExtras(): Record<string, unknown> {
    return {
      mean: this.#mean,
      std: this.#std,
      itemShape: this.#data.itemShape,
      classNames: this.classNames(),
    };
  }

  /** Normalises (x - mean) / std per channel and shapes inputs for the model. */
  prepareInputs(x: Tensor): Tensor {
    const s = this.#data.itemShape;
    const stat = (v: number[]) =>
      s.length === 3 ? toTensor(v).reshape(1, s[0]!, 1, 1) : toTensor(v).reshape(1, s[0]!);
    const z = x.sub(stat(this.#mean)).div(stat(this.#std));
    return this.args.model === "mlp" ? z.reshape(z.shape[0]!, -1) : z;
  }

  /** The normalised training inputs (`prepareInputs` of the training images), built once. */
  #normalisedTrain: Tensor | null = null;

  /**
   * `prepareInputs(train.x)`, computed once. NOTE: the training images are normalised in place
   * (`normaliseInPlace`: the same values as the sub and div), so that the set is held once rather
   * than raw and normalised side by side; nothing reads the raw training images after the
   * constructor's channelStats except --augmented, which never calls this.
   */
  #trainInputs(): Tensor {
    if (this.#normalisedTrain === null) {
      const x = normaliseInPlace(this.#data.train.x, this.#mean, this.#std, this.#data.itemShape);
      this.#normalisedTrain = this.args.model === "mlp" ? x.reshape(x.shape[0]!, -1) : x;
    }
    return this.#normalisedTrain;
  }

  /**
   * The raw validation images of `indices` ([N, C, H, W] in [0, 1], before normalisation), or
   * null for tabular (CSV) data.
   */
  override imagesForDisplay(indices: readonly number[], _valDl: Loader): Tensor | null {
    checkArity("ClassifierApp.imagesForDisplay", arguments, 2);
    if (this.#data.itemShape.length !== 3 || indices.length === 0) return null;
    const x = this.#data.val.x;
    return x.dtype === "uint8" ? scaledImages(x, indices) : x.indexSelect(0, [...indices]).float();
  }

  #labels(y: Tensor): Tensor {
    return this.args.binary === null ? y : y.eq(this.args.binary).int();
  }

  /**
   * Shuffled training batches (balanced with `args.balanced`, augmented with `args.augmented`),
   * labels one-vs-rest with `args.binary`.
   */
  initTrainDl(): Loader {
    const { x, y } = this.#data.train;
    const labels = this.#labels(y);
    const dataset = this.args.augmented
      ? new AugmentedImages(
          x,
          labels,
          this.#mean,
          this.#std,
          this.args.model === "mlp",
          this.args.seed,
          this.augmentGenerator,
        )
      : x.dtype === "uint8"
        ? new NormalizedImages(x, labels, this.#mean, this.#std, this.args.model === "mlp")
        : new data.TensorDataset(this.#trainInputs(), labels);
    const sampler = this.args.balanced
      ? new data.BalancedSampler(labels, { generator: this.shuffleGenerator })
      : undefined;
    return new data.DataLoader(dataset as data.MapDataset<unknown>, {
      batchSize: this.args.batchSize,
      ...(sampler ? { sampler } : { shuffle: true }),
      generator: this.shuffleGenerator,
      numWorkers: this.args.numWorkers,
    }) as unknown as Loader;
  }

  /** Validation batches in dataset order, normalised, never augmented. */
  initValDl(): Loader {
    const { x, y } = this.#data.val;
    const flatten = this.args.model === "mlp";
    let dataset: data.MapDataset<[Tensor, Tensor]>;
    if (x.dtype === "uint8") {
      dataset = new NormalizedImages(x, this.#labels(y), this.#mean, this.#std, flatten);
    } else {
      // a normalised copy (the raw inputs stay, for imagesForDisplay), made without temporaries
      const z = normaliseInPlace(x.clone(), this.#mean, this.#std, this.#data.itemShape);
      dataset = new data.TensorDataset(flatten ? z.reshape(z.shape[0]!, -1) : z, this.#labels(y));
    }
    return new data.DataLoader(dataset, {
      batchSize: this.args.batchSize,
      numWorkers: this.args.numWorkers,
    }) as unknown as Loader;
  }
}

/** The model `kiln train --model <kind>` builds for items of `itemShape` ([C, H, W] or [F]). */
export function buildClassifierModel(
  kind: "mlp" | "cnn",
  itemShape: readonly number[],
  numClasses: number,
): nn.Module {
  if (arguments.length > 3) checkArity("train.buildClassifierModel", arguments, 3);
  if (kind === "cnn") {
    if (itemShape.length !== 3) {
      throw new ValueError(
        `--model cnn needs image data; the dataset has items of shape [${itemShape.join(", ")}]`,
      );
    }
    return new ConvNet(itemShape[0], itemShape[1], itemShape[2], numClasses);
  }
  return new NeuralNet(
    itemShape.reduce((a, b) => a * b, 1),
    128,
    numClasses,
  );
}

function toTensor(v: readonly number[]): Tensor {
  return tensor([...v], { dtype: "float32" });
}

/**
 * Training images with the book's random affine augmentation (rotation ±10°, shift ±10%,
 * scale 0.9-1.1), then normalisation; rebuilt in worker threads from its workerSpec.
 */
export class AugmentedImages extends data.Dataset<[Tensor, number]> {
  readonly #x: Tensor;
  readonly #y: Tensor;
  readonly #transform: data.transforms.Compose<Tensor, Tensor>;
  readonly #flatten: boolean;
  readonly #args: unknown[];

  /**
   * `generator` (default: a fresh one seeded with `seed`) draws the transforms in this thread; a
   * worker rebuilds the dataset from `seed` and the loader reseeds it every epoch.
   */
  constructor(
    x: Tensor,
    y: Tensor,
    mean: number[],
    std: number[],
    flatten: boolean,
    seed: number,
    generator: Generator = new Generator(seed),
  ) {
    super();
    this.#x = x;
    this.#y = y;
    this.#flatten = flatten;
    this.#args = [x, y, mean, std, flatten, seed];
    this.#transform = new data.transforms.Compose<Tensor, Tensor>([
      new data.transforms.RandomAffine(10, {
        translate: [0.1, 0.1],
        scale: [0.9, 1.1],
        generator,
      }),
      new data.transforms.Normalize(mean, std),
    ]);
  }

  get length(): number {
    return this.#x.shape[0]!;
  }

  get(i: number): [Tensor, number] {
    const img = this.#transform.forward(this.#x.index(i));
    return [this.#flatten ? img.reshape(-1) : img, Number(this.#y.index(i).item())];
  }

  /**
   * This module's `AugmentedImages` with the constructor's arguments, less the generator (a worker
   * seeds its own).
   */
  workerSpec(): data.WorkerSpec {
    return { module: import.meta.url, exportName: "AugmentedImages", args: this.#args };
  }
}

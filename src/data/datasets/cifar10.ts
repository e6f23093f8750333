// CIFAR-10 from its binary version (cifar-10-batches-bin): records of 1 label byte and 3072
// pixel bytes (1024 red, 1024 green, 1024 blue, each 32×32 row-major). Never downloads.

import { join } from "node:path";
import { checkArity, parseArgs, signature, str, type WithOptions } from "../../core/args.ts";
import { FormatError } from "../../core/errors.ts";
import { Tensor } from "../../tensor/tensor.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { findFiles, readBytes } from "./files.ts";
import {
  Uint8ImageDataset,
  type VisionDatasetOptions,
  type VisionPositional,
  visionParams,
} from "./uint8-images.ts";

const CIFAR10_SIG = signature("CIFAR10", visionParams(str));

/**
 * Options of CIFAR10: `root` is required; the vision options (transform, targetTransform, download)
 * as torchvision's.
 */
export interface CIFAR10Options extends VisionDatasetOptions {
  /** data_batch_1..5 (50,000 images) or test_batch (10,000). Default true. */
  train?: boolean;
  /** The `cifar-10-batches-bin` directory, or a directory containing it. */
  root: string;
}

const RECORD = 1 + 3 * 32 * 32;

/**
 * The most records one CIFAR-10 batch file may hold: 60,000 (the whole dataset; a batch of the
 * official release holds 10,000), so at most 184 MB, inflated or not.
 */
export const MAX_CIFAR_RECORDS = 60_000;

/** Parses one CIFAR-10 binary batch file into pixels and labels, validating record sizes and labels. */
export function parseCifarBatch(
  path: string,
  bytes: Uint8Array,
): { pixels: Uint8Array; labels: Int32Array } {
  if (arguments.length > 2) checkArity("parseCifarBatch", arguments, 2);
  if (bytes.length === 0) {
    throw new FormatError(
      `${path}: empty CIFAR-10 batch: expected records of ${RECORD} bytes (1 label byte + 3072 pixel bytes)`,
    );
  }
  if (bytes.length % RECORD !== 0) {
    const n = Math.floor(bytes.length / RECORD);
    throw new FormatError(
      `${path}: record ${n} at byte offset ${n * RECORD} is ${bytes.length % RECORD} bytes long: expected CIFAR-10 records of ${RECORD} bytes (1 label byte + 3072 pixel bytes); the file has ${bytes.length} bytes, not a multiple of ${RECORD}`,
    );
  }
  if (bytes.length / RECORD > MAX_CIFAR_RECORDS) {
    throw new FormatError(
      `${path}: ${bytes.length / RECORD} CIFAR-10 records, more than the ${MAX_CIFAR_RECORDS} a batch file may hold`,
    );
  }
  const n = bytes.length / RECORD;
  const pixels = new Uint8Array(n * (RECORD - 1));
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const label = bytes[r * RECORD]!;
    if (label > 9) {
      throw new FormatError(
        `${path}: record ${r} at byte offset ${r * RECORD}: expected a label byte 0..9, got ${label}`,
      );
    }
    labels[r] = label;
    pixels.set(bytes.subarray(r * RECORD + 1, (r + 1) * RECORD), r * (RECORD - 1));
  }
  return { pixels, labels };
}

/**
 * CIFAR-10, as torchvision.datasets.CIFAR10 reading the binary version: items are `[image,
 * label]` with image float32 [3, 32, 32] in [0, 1], or, with a transform, the transform's result
 * on the raw image (a RawImage, uint8 32 × 32 × 3, as torchvision's PIL image); `targets` int32
 * [N]; `data` int32 [N, 32, 32, 3] (HWC, torchvision's layout) holding the bytes 0..255.
 * Arguments as torchvision.datasets.CIFAR10(root, train=True, transform=None,
 * target_transform=None, download=False), positional or as options; nothing is downloaded.
 *
 * @example new CIFAR10("data", true, new Compose([new RandomCrop(32, 4), new ToTensor()]))
 */
export class CIFAR10 extends Uint8ImageDataset {
  /** The ten class names in label order, as torchvision's CIFAR10.classes. */
  static readonly classes: readonly string[] = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
  ];
  /** Whether this is the training split (data_batch_1..5) rather than test_batch. */
  readonly train: boolean;
  /** The directory the batch files were read from (or its parent). */
  readonly root: string;

  /**
   * Reads the split from `root`, as torchvision's CIFAR10(root, train=True, transform=None,
   * target_transform=None, download=False), positional or as options; throws DatasetNotFoundError
   * when the files are missing.
   */
  constructor(root: string, ...rest: WithOptions<VisionPositional, Omit<CIFAR10Options, "root">>);
  constructor(options: CIFAR10Options);
  constructor(...args: unknown[]) {
    const options = parseArgs(CIFAR10_SIG, args);
    const train = options.train;
    const names = train ? [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`) : ["test_batch.bin"];
    const files = findFiles(
      "CIFAR10",
      [options.root, join(options.root, "cifar-10-batches-bin")],
      names,
    );
    const parts = files.map((f) =>
      parseCifarBatch(f, readBytes(f, { maxBytes: MAX_CIFAR_RECORDS * RECORD })),
    );
    const total = parts.reduce((a, p) => a + p.labels.length, 0);
    const pixels = new Uint8Array(total * (RECORD - 1));
    const labels = new Int32Array(total);
    let at = 0;
    for (const p of parts) {
      pixels.set(p.pixels, at * (RECORD - 1));
      labels.set(p.labels, at);
      at += p.labels.length;
    }
    super(pixels, labels, [3, 32, 32], options as VisionDatasetOptions);
    this.train = train;
    this.root = options.root;
  }

  /** The class names in label order (the static `classes`). */
  get classes(): readonly string[] {
    return CIFAR10.classes;
  }

  protected rawData(): Tensor {
    return Tensor.fromData(Int32Array.from(this.pixels), [this.length, 3, 32, 32], "int32")
      .permute(0, 2, 3, 1)
      .contiguous();
  }

  /**
   * How a worker thread rebuilds this dataset (module, export name, constructor arguments) when
   * `numWorkers > 0`.
   */
  workerSpec(): WorkerSpec {
    const options: CIFAR10Options = {
      train: this.train,
      root: this.root,
      ...(this.transform ? { transform: this.transform } : {}),
      ...(this.targetTransform ? { targetTransform: this.targetTransform } : {}),
    };
    return { module: import.meta.url, exportName: "CIFAR10", args: [options] };
  }
}

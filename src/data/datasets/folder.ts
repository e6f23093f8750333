// DatasetFolder and ImageFolder: samples found as root/<class>/**/<file>, as
// torchvision.datasets.DatasetFolder / ImageFolder (classes from the sorted subfolder names,
// files in sorted os.walk order). Depends on node:fs, the Dataset class, image-decode.ts and the
// transform contract; never downloads.

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  arrayOf,
  either,
  func,
  nullable,
  opt,
  parseArgs,
  signature,
  str,
  type WithOptions,
} from "../../core/args.ts";
import { ValueError } from "../../core/errors.ts";
import { checkIndex } from "../check-index.ts";
import { Dataset } from "../dataset.ts";
import { DatasetNotFoundError } from "../errors.ts";
import { applyTransform, type RawImage, type Transform } from "../transforms/transform.ts";
import type { WorkerSpec } from "../worker-spec.ts";
import { fileError } from "./files.ts";
import { defaultLoader } from "./image-decode.ts";
import { transformArg } from "./uint8-images.ts";

/** torchvision's IMG_EXTENSIONS: the file endings ImageFolder accepts. */
export const IMG_EXTENSIONS: readonly string[] = [
  ".jpg",
  ".jpeg",
  ".png",
  ".ppm",
  ".bmp",
  ".pgm",
  ".tif",
  ".tiff",
  ".webp",
];

/** Whether `filename` ends (case-insensitively) with one of `extensions`, as torchvision's. */
export function hasFileAllowedExtension(
  filename: string,
  extensions: string | readonly string[],
): boolean {
  const lower = filename.toLowerCase();
  const exts = typeof extensions === "string" ? [extensions] : extensions;
  return exts.some((e) => lower.endsWith(e.toLowerCase()));
}

/** Whether `filename` has an image extension (IMG_EXTENSIONS), as torchvision's is_image_file. */
export function isImageFile(filename: string): boolean {
  return hasFileAllowedExtension(filename, IMG_EXTENSIONS);
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory(); // follows symlinks, as os.scandir's is_dir()
  } catch {
    return false;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch (e) {
    throw fileError(path, e);
  }
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The class names (sorted subfolder names of `directory`) and their indices, as torchvision's
 * find_classes; a directory without subfolders is a DatasetNotFoundError.
 */
export function findClasses(directory: string): [string[], Record<string, number>] {
  if (!isDir(directory)) {
    throw new DatasetNotFoundError(
      `${directory}: no such directory (Kiln never downloads datasets)`,
    );
  }
  const classes = listDir(directory)
    .filter((name) => isDir(join(directory, name)))
    .sort(byCodePoint);
  if (classes.length === 0) {
    throw new DatasetNotFoundError(`Couldn't find any class folder in ${directory}.`);
  }
  return [classes, Object.fromEntries(classes.map((c, i) => [c, i]))];
}

/** os.walk(top, followlinks=True) as [dir, files] pairs, sorted by dir as torchvision sorts them. */
function walk(top: string, seen = new Set<string>()): [string, string[]][] {
  const out: [string, string[]][] = [];
  const files: string[] = [];
  const dirs: string[] = [];
  for (const name of listDir(top)) {
    const path = join(top, name);
    if (isDir(path)) dirs.push(path);
    else files.push(name);
  }
  out.push([top, files]);
  for (const d of dirs) {
    let real: string;
    try {
      real = `${statSync(d).dev}:${statSync(d).ino}`;
    } catch {
      continue;
    }
    // NOTE: os.walk would loop forever on a symlink cycle; Kiln visits each directory once.
    if (seen.has(real)) continue;
    seen.add(real);
    out.push(...walk(d, seen));
  }
  return out;
}

/**
 * The (path, classIndex) pairs under `directory/<class>/`, as torchvision's make_dataset:
 * classes in sorted order, directories in sorted os.walk order, file names sorted, kept when
 * `isValidFile(path)` or, with `extensions`, when the name ends with one of them (exactly one of
 * the two must be given). A class with no valid file is a DatasetNotFoundError listing them.
 */
export function makeDataset(
  directory: string,
  classToIdx: Record<string, number>,
  extensions: string | readonly string[] | null = null,
  isValidFile: ((path: string) => boolean) | null = null,
): [string, number][] {
  if ((extensions === null) === (isValidFile === null)) {
    throw new ValueError(
      "makeDataset: Both extensions and isValidFile cannot be null or not null at the same time",
    );
  }
  const valid = isValidFile ?? ((p: string) => hasFileAllowedExtension(p, extensions!));
  const instances: [string, number][] = [];
  const available = new Set<string>();
  for (const target of Object.keys(classToIdx).sort(byCodePoint)) {
    const index = classToIdx[target]!;
    const targetDir = join(directory, target);
    if (!isDir(targetDir)) continue;
    const walked = walk(targetDir).sort((a, b) => byCodePoint(a[0], b[0]));
    for (const [root, files] of walked) {
      for (const name of [...files].sort(byCodePoint)) {
        const path = join(root, name);
        if (valid(path)) {
          instances.push([path, index]);
          available.add(target);
        }
      }
    }
  }
  const empty = Object.keys(classToIdx).filter((c) => !available.has(c));
  if (empty.length > 0) {
    let msg = `Found no valid file for the classes ${empty.sort(byCodePoint).join(", ")}. `;
    if (extensions !== null) {
      msg += `Supported extensions are: ${typeof extensions === "string" ? extensions : extensions.join(", ")}`;
    }
    throw new DatasetNotFoundError(msg);
  }
  return instances;
}

/** Options of DatasetFolder after `root` and `loader`. */
export interface DatasetFolderOptions<S> {
  /** File endings to accept (case-insensitive); excludes `isValidFile`. */
  extensions?: string | readonly string[] | null;
  /** Applied to each loaded sample. */
  transform?: Transform<S, unknown> | null;
  /** Applied to each class index. */
  targetTransform?: Transform<number, unknown> | null;
  /** Which paths are samples; excludes `extensions`. */
  isValidFile?: ((path: string) => boolean) | null;
}

const extArg = opt(nullable(either(str, arrayOf(str))), null);
const DATASET_FOLDER = signature("DatasetFolder", {
  root: str,
  loader: func,
  extensions: extArg,
  transform: opt(nullable(transformArg), null),
  targetTransform: opt(nullable(transformArg), null),
  isValidFile: opt(nullable(func), null),
});

/**
 * A dataset of files arranged as root/<class>/**\/<file>, as
 * torchvision.datasets.DatasetFolder(root, loader, extensions=None, transform=None,
 * target_transform=None, is_valid_file=None): `classes` are the sorted subfolder names,
 * `classToIdx` maps them to 0..K−1, `samples` lists [path, classIndex] in torchvision's order and
 * `targets` the class indices; `get(i)` is [transform(loader(path)), targetTransform(index)].
 *
 * @example new DatasetFolder("data/train", (p) => readFileSync(p), { extensions: [".bin"] })
 */
export class DatasetFolder<S = unknown, T = unknown> extends Dataset<[T, number]> {
  /** The directory holding one subfolder per class. */
  readonly root: string;
  /** Reads one sample from its path. */
  readonly loader: (path: string) => S;
  /** The accepted file endings, or null when `isValidFile` decides. */
  readonly extensions: string | readonly string[] | null;
  /** Applied to each loaded sample, or null. */
  readonly transform: Transform<S, unknown> | null;
  /** Applied to each class index, or null. */
  readonly targetTransform: Transform<number, unknown> | null;
  /** Which paths are samples, or null when `extensions` decides. */
  readonly isValidFile: ((path: string) => boolean) | null;
  /** Class names, sorted. */
  readonly classes: string[];
  /** Class name → index. */
  readonly classToIdx: Record<string, number>;
  /** [path, classIndex] of every sample. */
  readonly samples: [string, number][];
  /** The class index of every sample. */
  readonly targets: number[];

  /**
   * Scans `root` from `(root, loader, extensions?, transform?, targetTransform?, isValidFile?)`,
   * positional in torchvision's order or as options after `loader`.
   */
  constructor(
    root: string,
    loader: (path: string) => S,
    ...rest: WithOptions<
      [
        extensions: string | readonly string[] | null,
        transform: Transform<S, unknown> | null,
        targetTransform: Transform<number, unknown> | null,
        isValidFile: ((path: string) => boolean) | null,
      ],
      DatasetFolderOptions<S>
    >
  ) {
    super();
    const a = parseArgs(DATASET_FOLDER, [root, loader, ...rest]);
    this.root = a.root;
    this.loader = a.loader as (path: string) => S;
    this.extensions = a.extensions;
    this.transform = a.transform as Transform<S, unknown> | null;
    this.targetTransform = a.targetTransform as Transform<number, unknown> | null;
    this.isValidFile = a.isValidFile as ((path: string) => boolean) | null;
    const [classes, classToIdx] = this.findClasses(this.root);
    this.classes = classes;
    this.classToIdx = classToIdx;
    this.samples = makeDataset(this.root, classToIdx, this.extensions, this.isValidFile);
    this.targets = this.samples.map((s) => s[1]);
  }

  /** The classes of `directory` (override to change how classes are found), as torchvision's. */
  findClasses(directory: string): [string[], Record<string, number>] {
    return findClasses(directory);
  }

  get length(): number {
    return this.samples.length;
  }

  /** [sample, target] at `index`: the loaded file through `transform`, its class through `targetTransform`. */
  get(index: number): [T, number] {
    const i = checkIndex(`${this.constructor.name}.get`, index, this.length);
    const [path, target] = this.samples[i]!;
    let sample: unknown = this.loader(path);
    if (this.transform !== null) sample = applyTransform(this.transform, sample as S);
    let t: unknown = target;
    if (this.targetTransform !== null) t = applyTransform(this.targetTransform, target);
    return [sample as T, t as number];
  }

  /**
   * How a worker thread rebuilds this dataset (the loader and isValidFile must themselves be
   * sendable: a plain function is not).
   */
  workerSpec(): WorkerSpec {
    return {
      module: import.meta.url,
      exportName: "DatasetFolder",
      args: [
        this.root,
        this.loader,
        this.extensions,
        this.transform,
        this.targetTransform,
        this.isValidFile,
      ],
    };
  }
}

/** Options of ImageFolder after `root`. */
export interface ImageFolderOptions<T> {
  /** Applied to each image, a RawImage (RGB bytes), as torchvision hands a PIL image. */
  transform?: Transform<RawImage, T> | null;
  /** Applied to each class index. */
  targetTransform?: Transform<number, unknown> | null;
  /** Reads an image (default `defaultLoader`: PNG/JPEG to RGB). */
  loader?: (path: string) => RawImage;
  /** Which paths are images (default: an IMG_EXTENSIONS ending). */
  isValidFile?: ((path: string) => boolean) | null;
}

const IMAGE_FOLDER = signature("ImageFolder", {
  root: str,
  transform: opt(nullable(transformArg), null),
  targetTransform: opt(nullable(transformArg), null),
  loader: opt(func, defaultLoader),
  isValidFile: opt(nullable(func), null),
});

/**
 * Images arranged as root/<class>/**\/<image>, as torchvision.datasets.ImageFolder(root,
 * transform=None, target_transform=None, loader=default_loader, is_valid_file=None): PNG and JPEG
 * files (by content) with an IMG_EXTENSIONS ending, loaded as RGB RawImages (Kiln's PIL image:
 * put `ToTensor()` in the transform to get [3, H, W] float tensors); `imgs` is `samples`.
 * Files with other image endings (.bmp, .tif, .webp, ...) are found but fail to load with a
 * FormatError, as Kiln decodes only PNG and JPEG.
 *
 * @example new ImageFolder("data/train", new Compose([new Resize(256), new CenterCrop(224), new ToTensor()]))
 */
export class ImageFolder<T = RawImage> extends DatasetFolder<RawImage, T> {
  /** The same list as `samples`, as torchvision's. */
  readonly imgs: [string, number][];
  /** Scans `root` from `(root, transform?, targetTransform?, loader?, isValidFile?)`, positional or as options. */
  constructor(
    root: string,
    ...rest: WithOptions<
      [
        transform: Transform<RawImage, T> | null,
        targetTransform: Transform<number, unknown> | null,
        loader: (path: string) => RawImage,
        isValidFile: ((path: string) => boolean) | null,
      ],
      ImageFolderOptions<T>
    >
  ) {
    const a = parseArgs(IMAGE_FOLDER, [root, ...rest]);
    const valid = a.isValidFile as ((path: string) => boolean) | null;
    super(a.root, a.loader as (path: string) => RawImage, {
      extensions: valid === null ? IMG_EXTENSIONS : null,
      transform: a.transform as Transform<RawImage, unknown> | null,
      targetTransform: a.targetTransform as Transform<number, unknown> | null,
      isValidFile: valid,
    });
    this.imgs = this.samples;
  }

  override workerSpec(): WorkerSpec {
    const options: Record<string, unknown> = {
      transform: this.transform,
      targetTransform: this.targetTransform,
    };
    if (this.loader !== defaultLoader) options.loader = this.loader;
    if (this.isValidFile !== null) options.isValidFile = this.isValidFile;
    return { module: import.meta.url, exportName: "ImageFolder", args: [this.root, options] };
  }
}

// Checkpoint sets: the files of one checkpoint (weights, optimizer tensors, the JSON sidecar, the
// metrics of an epoch stopped part-way) written as a unit: every file atomically, then a manifest
// holding their SHA-256s, last, renamed into place. Readers use only manifest-complete sets and
// verify every hash; sidecars are validated against a schema and may name only files of their own
// directory. Also the split of a nested state (an optimizer's state dict) into safetensors tensors
// plus JSON with references to them.

import * as fs from "node:fs";
import * as path from "node:path";
import * as v from "valibot";
import { checkArity } from "../core/args.ts";
import { FormatError } from "../core/errors.ts";
import type { GeneratorState } from "../core/rng.ts";
import {
  type AtomicData,
  makeDirs,
  processAlive,
  removeStaleTemps,
  sha256Hex,
  testPause,
  unlinkDurable,
  writeFileAtomic,
  writeFileAtomicSha256,
} from "../io/atomic.ts";
import { parseJsonWith, readTextCapped } from "../io/metrics-jsonl.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { TrainingArgs } from "./args.ts";
/** The JSON sidecar written next to each checkpoint's weights. */
export interface CheckpointMeta {
  format: "kiln-checkpoint";
  version: 1;
  modelClass: string;
  optimizerClass: string;
  optimizerState: unknown;
  schedulerState: unknown;
  epoch: number;
  totalTrainingSamples_count: number;
  /** States of the default generator and of every generator in `generators()`, by name. */
  rng: { default: GeneratorState; shuffle: GeneratorState; [name: string]: GeneratorState };
  bestScore: number;
  sinceBest: number;
  args: TrainingArgs;
  time: string;
  weightsFile: string;
  weightsSha1: string;
  optimizerFile: string;
  interrupted: boolean;
  /** Set when SIGINT stopped an epoch part-way: what --resume needs to finish that epoch exactly. */
  partialEpoch?: PartialEpoch | null;
  /** What a subclass needs to rebuild inputs without the training data (see checkpointExtras). */
  extras: Record<string, unknown>;
}

/**
 * An epoch stopped by SIGINT after `batchesDone` batches. `rng` of the sidecar holds the generator
 * states at the interruption; `rngAtEpochStart` lets a resumed run replay the loader's draws (order,
 * worker seeds, augmentation) through the done batches before restoring them. The metrics of the
 * done batches are in `metricsFile` (tensor `trnMetrics_t`).
 */
export interface PartialEpoch {
  epoch: number;
  batchesDone: number;
  metricsFile: string;
  rngAtEpochStart: CheckpointMeta["rng"];
}

// ---------------------------------------------------------------- limits and schemas

/** Limits of the checkpoint readers. */
export const CHECKPOINT_LIMITS = {
  /** Sidecar (`<stem>.json`) size. */
  sidecarBytes: 16 * 1024 * 1024,
  /** Manifest (`<stem>.manifest.json`) size. */
  manifestBytes: 64 * 1024,
  /** Files in one set. */
  files: 16,
  /** Dimensions of `extras.itemShape`, and the elements of one input item. */
  itemDims: 4,
  itemElements: 2 ** 26,
  /** Classes of `extras.classNames`. */
  classes: 100_000,
} as const;

/** The suffixes of a set's files after its stem (`<type>_<time>_<comment>.<tag>`). */
export const SET_SUFFIXES = [
  ".safetensors",
  ".optim.safetensors",
  ".epoch.safetensors",
  ".json",
  ".manifest.json",
] as const;

const MANIFEST_SUFFIX = ".manifest.json";

/** A file name inside the checkpoint directory: no separators, no `..`, not hidden, not absolute. */
const FileName = v.pipe(
  v.string(),
  v.maxLength(255),
  v.regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, "a plain file name of the checkpoint's directory"),
  v.check((s) => !s.includes(".."), "a file name without '..'"),
);
const Count = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER));
const U32 = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff));
const GeneratorStateSchema = v.object({
  seed: v.pipe(v.number(), v.finite()),
  s: v.tuple([U32, U32, U32, U32]),
  spare: v.nullable(v.pipe(v.number(), v.finite())),
});
const RngSchema = v.objectWithRest(
  { default: GeneratorStateSchema, shuffle: GeneratorStateSchema },
  GeneratorStateSchema,
);
const Short = v.pipe(v.string(), v.maxLength(1000));
/** The fields of TrainingArgs a reader relies on; others ride along (checked by the run's own checks). */
const ArgsSchema = v.looseObject({
  epochs: v.optional(v.number()),
  batchSize: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31 - 1)),
  lr: v.optional(v.number()),
  seed: v.optional(v.number()),
  optimizer: v.optional(Short),
  scheduler: v.optional(Short),
  tbPrefix: v.optional(Short),
  comment: v.optional(Short),
  out: v.optional(v.string()),
  resume: v.optional(v.nullable(v.string())),
  model: v.optional(v.picklist(["mlp", "cnn", "luna"])),
  dataset: v.optional(Short),
  binary: v.optional(v.nullable(v.number())),
});

/** The schema of a checkpoint sidecar (`<stem>.json`); `readCheckpointMeta` enforces it. */
export const CheckpointMetaSchema = v.looseObject({
  format: v.literal("kiln-checkpoint"),
  version: v.literal(1),
  modelClass: Short,
  optimizerClass: Short,
  optimizerState: v.unknown(),
  schedulerState: v.nullable(v.record(v.string(), v.unknown())),
  epoch: Count,
  totalTrainingSamples_count: Count,
  rng: RngSchema,
  // -Infinity and NaN are written as null by JSON.stringify.
  bestScore: v.nullable(v.number()),
  sinceBest: Count,
  args: ArgsSchema,
  time: Short,
  weightsFile: FileName,
  weightsSha1: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, "40 hex digits")),
  optimizerFile: FileName,
  interrupted: v.boolean(),
  partialEpoch: v.optional(
    v.nullable(
      v.object({
        epoch: Count,
        batchesDone: Count,
        metricsFile: FileName,
        rngAtEpochStart: RngSchema,
      }),
    ),
  ),
  extras: v.record(v.string(), v.unknown()),
});

const ManifestSchema = v.object({
  format: v.literal("kiln-checkpoint-manifest"),
  version: v.literal(1),
  files: v.pipe(
    v.array(
      v.object({
        name: FileName,
        size: Count,
        sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, "64 hex digits")),
      }),
    ),
    v.minLength(1),
    v.maxLength(CHECKPOINT_LIMITS.files),
  ),
});

/** What a set's manifest (`<stem>.manifest.json`) holds; written last, it makes the set complete. */
export type CheckpointManifest = v.InferOutput<typeof ManifestSchema>;

// ---------------------------------------------------------------- writing

/** The stem of a set from its weights path (`x.safetensors` → `x`). */
export function checkpointStem(weightsPath: string): string {
  if (typeof weightsPath !== "string" || !weightsPath.endsWith(".safetensors")) {
    throw new FormatError(
      `checkpoint: expected the path of a checkpoint's weights (<name>.safetensors), got a path ending in '${String(weightsPath).slice(-20)}'`,
    );
  }
  return weightsPath.slice(0, -".safetensors".length);
}

function pendingName(stem: string): string {
  return path.join(path.dirname(stem), `.${path.basename(stem)}.${process.pid}.pending`);
}

const PENDING = /^\.(.+)\.(\d+)\.pending$/;

/**
 * Writes a checkpoint set as a unit. A pending marker (`.<stem>.<pid>.pending`) is written first
 * and the old manifest removed, so a set being replaced is never read half-old, half-new; then
 * every file (`<stem><suffix>`) is written atomically, hashed as it is written; then the manifest
 * with their sizes and SHA-256s is renamed into place; then the marker is removed. A process killed
 * at any point leaves either a complete set (manifest present, every hash right) or an incomplete
 * one that readers refuse and `cleanCheckpointDir` removes.
 */
export function writeCheckpointSet(
  stem: string,
  files: readonly { suffix: string; data: AtomicData }[],
): void {
  checkArity("train.writeCheckpointSet", arguments, 2);
  makeDirs(path.dirname(path.resolve(stem)));
  const marker = pendingName(stem);
  writeFileAtomic(marker, `${process.pid}\n`);
  testPause();
  unlinkDurable(`${stem}${MANIFEST_SUFFIX}`);
  testPause();
  // Files of the set's previous version that this one lacks (an epoch-metrics file) go too.
  for (const suffix of SET_SUFFIXES) {
    if (!files.some((f) => f.suffix === suffix)) fs.rmSync(`${stem}${suffix}`, { force: true });
  }
  const entries: CheckpointManifest["files"] = [];
  for (const { suffix, data } of files) {
    const file = `${stem}${suffix}`;
    const { sha256, size } = writeFileAtomicSha256(file, data);
    entries.push({ name: path.basename(file), size, sha256 });
    testPause();
  }
  const manifest: CheckpointManifest = {
    format: "kiln-checkpoint-manifest",
    version: 1,
    files: entries,
  };
  writeFileAtomic(`${stem}${MANIFEST_SUFFIX}`, `${JSON.stringify(manifest, null, 2)}\n`);
  testPause();
  unlinkDurable(marker);
}

/** Removes a set as a unit: marker, manifest (the set is now incomplete), files, marker. */
export function removeCheckpointSet(stem: string): void {
  checkArity("train.removeCheckpointSet", arguments, 1);
  const marker = pendingName(stem);
  writeFileAtomic(marker, `${process.pid}\n`);
  unlinkDurable(`${stem}${MANIFEST_SUFFIX}`);
  testPause();
  for (const suffix of SET_SUFFIXES) fs.rmSync(`${stem}${suffix}`, { force: true });
  unlinkDurable(marker);
}

/**
 * Tidies a checkpoint directory after a killed run: removes stray temporary files of dead
 * processes, and finishes the sets a dead process was writing or removing (a pending marker whose
 * pid is gone): a set whose manifest verifies is kept, any other is removed. Returns what it did.
 */
export function cleanCheckpointDir(dir: string): { temps: number; sets: number } {
  checkArity("train.cleanCheckpointDir", arguments, 1);
  const temps = removeStaleTemps(dir);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { temps, sets: 0 };
  }
  let sets = 0;
  for (const name of names) {
    const m = PENDING.exec(name);
    if (m === null || processAlive(Number(m[2]))) continue;
    const stem = path.join(dir, m[1]!);
    let complete = false;
    try {
      openCheckpointSet(`${stem}.safetensors`);
      complete = true;
    } catch {
      complete = false;
    }
    if (!complete) {
      fs.rmSync(`${stem}${MANIFEST_SUFFIX}`, { force: true });
      for (const suffix of SET_SUFFIXES) fs.rmSync(`${stem}${suffix}`, { force: true });
      sets++;
    }
    unlinkDurable(path.join(dir, name));
  }
  return { temps, sets };
}

/**
 * `--keep-last N` retention: of the complete numbered sets whose names start with `prefix`
 * (`<type>_<time>_<comment>.`), keeps the N with the most samples and removes the others as units;
 * the `.best` set is not numbered and always kept. N = 0 keeps everything.
 */
export function pruneCheckpoints(dir: string, prefix: string, keepLast: number): string[] {
  checkArity("train.pruneCheckpoints", arguments, 3);
  if (!(keepLast > 0)) return [];
  const tagged: [number, string][] = [];
  for (const name of fs.readdirSync(dir)) {
    if (!name.startsWith(prefix) || !name.endsWith(MANIFEST_SUFFIX)) continue;
    const tag = name.slice(prefix.length, -MANIFEST_SUFFIX.length);
    if (/^\d+$/.test(tag)) tagged.push([Number(tag), path.join(dir, `${prefix}${tag}`)]);
  }
  tagged.sort((a, b) => a[0] - b[0]);
  const removed = tagged.slice(0, Math.max(0, tagged.length - keepLast)).map(([, stem]) => stem);
  for (const stem of removed) removeCheckpointSet(stem);
  return removed;
}

// ---------------------------------------------------------------- reading

/** A checkpoint set read and verified: its sidecar and the bytes of every file, by name. */
export interface VerifiedCheckpoint {
  meta: CheckpointMeta;
  /** The real directory of the set. */
  dir: string;
  /** The bytes of a file of the set (verified against the manifest), by its name. */
  file(name: string): Uint8Array;
}

/** `dir/name` when it is a regular file that stays inside `dir` (no symlink escape). */
function confined(dir: string, name: string, where: string): string {
  const p = path.join(dir, name);
  let real: string;
  try {
    real = fs.realpathSync(p);
  } catch {
    throw new FormatError(`${where}: ${name} is missing`);
  }
  if (path.dirname(real) !== dir) {
    throw new FormatError(`${where}: ${name} leads outside the checkpoint's directory`);
  }
  if (!fs.statSync(real).isFile()) throw new FormatError(`${where}: ${name} is not a regular file`);
  return real;
}

/**
 * Opens the set of the checkpoint whose weights are at `weightsPath`: reads its manifest (refusing
 * a set without one: incomplete, or written by a Kiln before manifests), reads every listed file
 * and checks its size and SHA-256, validates the sidecar against `CheckpointMetaSchema`, and checks
 * that every file the sidecar names is in the manifest. FormatError on any problem.
 */
export function openCheckpointSet(weightsPath: string): VerifiedCheckpoint {
  checkArity("train.openCheckpointSet", arguments, 1);
  const stem = checkpointStem(weightsPath);
  const where = `checkpoint ${weightsPath}`;
  let dir: string;
  try {
    dir = fs.realpathSync(path.dirname(path.resolve(stem)));
  } catch {
    throw new FormatError(`${where}: its directory does not exist`);
  }
  const base = path.basename(stem);
  const manifestName = `${base}${MANIFEST_SUFFIX}`;
  const manifestPath = path.join(dir, manifestName);
  if (!fs.existsSync(manifestPath)) {
    throw new FormatError(
      `${where}: no manifest ${manifestName}: the set is incomplete (its write was interrupted) or was written by a Kiln without checkpoint manifests; it is refused`,
    );
  }
  const manifest = parseJsonWith(
    ManifestSchema,
    readTextCapped(
      confined(dir, manifestName, where),
      CHECKPOINT_LIMITS.manifestBytes,
      `${where}: ${manifestName}`,
    ),
    `${where}: ${manifestName}`,
  );
  const bytes = new Map<string, Uint8Array>();
  for (const f of manifest.files) {
    if (bytes.has(f.name)) throw new FormatError(`${where}: the manifest lists ${f.name} twice`);
    if (!f.name.startsWith(`${base}.`) || f.name === manifestName) {
      throw new FormatError(`${where}: the manifest lists ${f.name}, which is not of this set`);
    }
    const real = confined(dir, f.name, where);
    const size = fs.statSync(real).size;
    if (size !== f.size) {
      throw new FormatError(
        `${where}: ${f.name} is ${size} bytes, the manifest says ${f.size}: the set is inconsistent`,
      );
    }
    const data = fs.readFileSync(real);
    if (sha256Hex(data) !== f.sha256) {
      throw new FormatError(
        `${where}: the SHA-256 of ${f.name} differs from the manifest's: the set is inconsistent`,
      );
    }
    bytes.set(f.name, data);
  }
  const sidecarName = `${base}.json`;
  const weightsName = `${base}.safetensors`;
  for (const needed of [sidecarName, weightsName]) {
    if (!bytes.has(needed)) throw new FormatError(`${where}: the manifest lacks ${needed}`);
  }
  const sidecar = bytes.get(sidecarName)!;
  if (sidecar.length > CHECKPOINT_LIMITS.sidecarBytes) {
    throw new FormatError(
      `${where}: ${sidecarName} is ${sidecar.length} bytes, more than the ${CHECKPOINT_LIMITS.sidecarBytes}-byte limit`,
    );
  }
  const meta = parseCheckpointMeta(Buffer.from(sidecar).toString("utf8"), sidecarName);
  if (meta.weightsFile !== weightsName) {
    throw new FormatError(
      `${where}: the sidecar's weightsFile is ${meta.weightsFile}, expected ${weightsName}`,
    );
  }
  const named = [meta.optimizerFile, meta.partialEpoch?.metricsFile].filter(
    (n): n is string => n !== undefined,
  );
  for (const name of named) {
    if (!bytes.has(name)) {
      throw new FormatError(`${where}: the sidecar names ${name}, which the manifest lacks`);
    }
  }
  return {
    meta,
    dir,
    file(name: string): Uint8Array {
      const b = bytes.get(name);
      if (b === undefined) throw new FormatError(`${where}: ${name} is not a file of the set`);
      return b;
    },
  };
}

/**
 * Parses and validates sidecar text (JSON, nesting at most MAX_JSON_DEPTH, `CheckpointMetaSchema`);
 * FormatError naming `source` and the first bad field otherwise.
 */
export function parseCheckpointMeta(text: string, source = "<sidecar>"): CheckpointMeta {
  checkArity("train.parseCheckpointMeta", arguments, 2);
  if (text.length > CHECKPOINT_LIMITS.sidecarBytes) {
    throw new FormatError(`checkpoint sidecar ${source}: more than the size limit`);
  }
  return parseJsonWith(
    CheckpointMetaSchema,
    text,
    `checkpoint sidecar ${source}`,
  ) as unknown as CheckpointMeta;
}

/**
 * Reads the JSON sidecar of a checkpoint given its weights path, from a complete, hash-verified
 * set (see `openCheckpointSet`).
 */
export function readCheckpointMeta(weightsPath: string): CheckpointMeta {
  if (arguments.length > 1) checkArity("train.readCheckpointMeta", arguments, 1);
  return openCheckpointSet(weightsPath).meta;
}

const TENSOR_REF = "__tensor__";

// Moves the tensors of a nested state dict into a flat map (for safetensors), leaving
// {"__tensor__": key} references in the JSON part.
export function splitTensors(state: unknown): { tensors: Record<string, Tensor>; meta: unknown } {
  const tensors: Record<string, Tensor> = {};
  const walk = (x: unknown, path: string): unknown => {
    if (isTensor(x)) {
      tensors[path] = x;
      return { [TENSOR_REF]: path };
    }
    if (Array.isArray(x)) return x.map((v, i) => walk(v, `${path}.${i}`));
    if (typeof x === "object" && x !== null) {
      return Object.fromEntries(
        Object.entries(x).map(([k, v]) => [k, walk(v, path === "" ? k : `${path}.${k}`)]),
      );
    }
    return x;
  };
  return { tensors, meta: walk(state, "") };
}

export function joinTensors(meta: unknown, tensors: Record<string, Tensor>): unknown {
  if (Array.isArray(meta)) return meta.map((v) => joinTensors(v, tensors));
  if (typeof meta === "object" && meta !== null) {
    const ref = (meta as Record<string, unknown>)[TENSOR_REF];
    if (typeof ref === "string") {
      const t = tensors[ref];
      if (t === undefined) {
        throw new FormatError(
          `checkpoint: the optimizer state refers to a tensor ${JSON.stringify(ref.slice(0, 100))}${ref.length > 100 ? "..." : ""} that the optimizer file lacks`,
        );
      }
      return t;
    }
    return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, joinTensors(v, tensors)]));
  }
  return meta;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "storage" in x && "shape" in x && "dtype" in x;
}

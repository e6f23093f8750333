// Opening a model for the CLI: a Kiln checkpoint (the verified set, the sidecar's input
// description checked and bounded, the model it describes, the weights loaded), or weights made
// elsewhere (a PyTorch state dict as .safetensors or .pt, no sidecar) given `--model`, with the
// input shape inferred from the weights and the normalisation from `--normalize` or a default.
// Imports the public entry only.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import * as v from "valibot";
import { FormatError, io, type nn, Tensor, train } from "../index.ts";
import { UsageError } from "./args.ts";

export interface OpenedCheckpoint {
  meta: train.CheckpointMeta;
  args: train.ClassifierArgs;
  model: nn.Module;
  itemShape: number[];
  classNames: string[];
  mean: number[];
  std: number[];
  /** The SHA-1 of the weights' bytes (the verified bytes the model was loaded from). */
  weightsSha1: string;
}

const Dim = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(1),
  v.maxValue(train.CHECKPOINT_LIMITS.itemElements),
);
const Finite = v.pipe(v.number(), v.finite());
/** The input description kiln train writes into `extras` (ClassifierApp.checkpointExtras). */
const ExtrasSchema = v.looseObject({
  itemShape: v.pipe(
    v.array(Dim),
    v.minLength(1),
    v.maxLength(train.CHECKPOINT_LIMITS.itemDims),
    v.check(
      (s) => s.reduce((a, b) => a * b, 1) <= train.CHECKPOINT_LIMITS.itemElements,
      `at most ${train.CHECKPOINT_LIMITS.itemElements} elements per item`,
    ),
  ),
  classNames: v.pipe(
    v.array(v.pipe(v.string(), v.maxLength(1000))),
    v.minLength(1),
    v.maxLength(train.CHECKPOINT_LIMITS.classes),
  ),
  mean: v.pipe(v.array(Finite), v.minLength(1), v.maxLength(train.CHECKPOINT_LIMITS.itemElements)),
  std: v.pipe(v.array(Finite), v.minLength(1), v.maxLength(train.CHECKPOINT_LIMITS.itemElements)),
});

function shapeOf(weights: Record<string, { shape: readonly number[] }>, name: string): string {
  const t = weights[name];
  return t === undefined ? "absent" : `[${t.shape.join(", ")}]`;
}

/**
 * Checks the sidecar's input description against the shapes the weights file holds, before the
 * model is built: the model then allocates no more parameters than the (already read) file holds,
 * whatever `itemShape` the sidecar claims.
 */
function checkAgainstWeights(
  path: string,
  kind: "mlp" | "cnn",
  itemShape: readonly number[],
  classes: number,
  weights: Record<string, { shape: readonly number[] }>,
): void {
  const expect: [string, number[]][] = [];
  if (kind === "cnn") {
    if (itemShape.length !== 3) {
      throw new FormatError(
        `checkpoint ${path}: a cnn needs image inputs [C, H, W]; the sidecar says [${itemShape.join(", ")}]`,
      );
    }
    const [c, h, w] = itemShape as [number, number, number];
    expect.push(["block1.0.weight", [16, c, 3, 3]]);
    expect.push(["fc.weight", [classes, 32 * Math.floor(h / 4) * Math.floor(w / 4)]]);
  } else {
    expect.push(["fc1.weight", [128, itemShape.reduce((a, b) => a * b, 1)]]);
    expect.push(["fc2.weight", [classes, 128]]);
  }
  for (const [name, shape] of expect) {
    const t = weights[name];
    if (t === undefined || t.shape.join() !== shape.join()) {
      throw new FormatError(
        `checkpoint ${path}: the sidecar describes inputs [${itemShape.join(", ")}] and ${classes} classes, so ${name} should be [${shape.join(", ")}], but the weights hold ${shapeOf(weights, name)}`,
      );
    }
  }
}

/**
 * Opens a complete, hash-verified checkpoint set (see train's openCheckpointSet), validates the
 * sidecar's input description, checks it against the weights' shapes, then rebuilds the model and
 * loads the weights (strict: names and shapes must match).
 */
export function openCheckpoint(path: string): OpenedCheckpoint {
  if (!existsSync(path)) throw new UsageError(`checkpoint '${path}' does not exist`);
  const set = train.openCheckpointSet(path);
  const meta = set.meta;
  const args = meta.args as unknown as train.ClassifierArgs;
  if ((args.model as string) === "luna") {
    throw new UsageError(
      `checkpoint '${path}' holds a LunaModel (kiln train --model luna): eval, info, predict and ` +
        "export read mlp and cnn checkpoints only so far; load its .safetensors weights into " +
        "models.LunaModel from code instead",
    );
  }
  const ex = meta.extras;
  if (ex.itemShape === undefined || ex.classNames === undefined) {
    throw new FormatError(
      `checkpoint ${path} was not written by kiln train (its sidecar lacks the input description)`,
    );
  }
  const r = v.safeParse(ExtrasSchema, ex);
  if (!r.success) {
    const issue = r.issues[0];
    const field = issue.path?.map((p) => String(p.key)).join(".") ?? "";
    throw new FormatError(
      `checkpoint ${path}: sidecar field extras.${field.slice(0, 80)}: expected ${String(issue.expected ?? issue.message).slice(0, 120)}`,
    );
  }
  const extras = r.output;
  const kind = args.model === "cnn" ? "cnn" : "mlp";
  const weightsBytes = set.file(meta.weightsFile);
  const weights = io.loadSafetensors(weightsBytes);
  checkAgainstWeights(path, kind, extras.itemShape, extras.classNames.length, weights);
  const model = train.buildClassifierModel(kind, extras.itemShape, extras.classNames.length);
  model.loadStateDict(weights);
  return {
    meta,
    args,
    model,
    itemShape: extras.itemShape,
    classNames: extras.classNames,
    mean: extras.mean,
    std: extras.std,
    weightsSha1: createHash("sha1").update(weightsBytes).digest("hex"),
  };
}

/** The architectures `--model` names: those of `kiln train --model`. */
export const MODEL_KINDS = ["mlp", "cnn"] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/** A model ready for inference, from a Kiln checkpoint or from weights made elsewhere. */
export interface InferenceModel {
  model: nn.Module;
  kind: ModelKind;
  itemShape: number[];
  classNames: string[];
  mean: number[];
  std: number[];
  /** Where `mean` and `std` come from, for the output. */
  normalizeSource: string;
  /** The SHA-1 of the weights' bytes. */
  weightsSha1: string;
  /** The Kiln checkpoint, or null for weights without a sidecar. */
  checkpoint: OpenedCheckpoint | null;
  /** For weights without a sidecar: the file's format and what was inferred. */
  notes: string[];
}

/**
 * The normalisation `kiln predict` and `kiln info` assume for weights without a sidecar, by the
 * model's input channels: MNIST's for one channel (PyTorch's examples/mnist Normalize((0.1307,),
 * (0.3081,)), what the MNIST-family datasets of kiln train measure), CIFAR-10's for three (the
 * training set's per-channel mean and std), none otherwise.
 */
export function defaultNormalization(channels: number): {
  mean: number[];
  std: number[];
  source: string;
} {
  if (channels === 1) {
    return { mean: [0.1307], std: [0.3081], source: "the default for 1-channel models: MNIST's" };
  }
  if (channels === 3) {
    return {
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.247, 0.2435, 0.2616],
      source: "the default for 3-channel models: CIFAR-10's",
    };
  }
  return {
    mean: Array(channels).fill(0),
    std: Array(channels).fill(1),
    source: "none: no default for this input",
  };
}

/** `--normalize mean,std` (every channel) or `m1,..,mC,s1,..,sC`, for a model of `channels`. */
export function parseNormalize(value: string, channels: number): { mean: number[]; std: number[] } {
  const parts = value.split(",").map((p) => p.trim());
  const nums = parts.map(Number);
  const want = channels === 1 ? "mean,std" : `mean,std or ${channels} means then ${channels} stds`;
  if (
    parts.some((p) => p === "") ||
    nums.some((x) => !Number.isFinite(x)) ||
    (nums.length !== 2 && nums.length !== 2 * channels)
  ) {
    throw new UsageError(
      `--normalize: expected ${want} (comma-separated numbers) for a ${channels}-channel model, got '${value.slice(0, 100)}'`,
    );
  }
  const k = nums.length / 2;
  const mean = nums.slice(0, k);
  const std = nums.slice(k);
  if (std.some((s) => s <= 0)) {
    throw new UsageError(`--normalize: each std must be > 0, got '${value.slice(0, 100)}'`);
  }
  return k === channels
    ? { mean, std }
    : { mean: Array(channels).fill(mean[0]), std: Array(channels).fill(std[0]) };
}

/** Image channels ([C, H, W]) or tabular features ([F]): what the statistics are per. */
function channelsOf(itemShape: readonly number[]): number {
  return itemShape[0]!;
}

function isStateDict(x: unknown): x is Record<string, Tensor> {
  if (x === null || typeof x !== "object" || Array.isArray(x) || x instanceof Map) return false;
  const values = Object.values(x);
  return values.length > 0 && values.every((t) => t instanceof Tensor);
}

/** Keys under which training scripts commonly nest the model's state dict in a checkpoint. */
const NESTED_KEYS = ["state_dict", "model_state_dict", "model", "net", "module"];

/** The state dict a `.pt` file holds: the top-level dict, or one nested under a common key. */
function torchStateDict(path: string, bytes: Uint8Array, notes: string[]): Record<string, Tensor> {
  const loaded = io.loadTorch(bytes);
  if (isStateDict(loaded)) return loaded;
  if (loaded !== null && typeof loaded === "object" && !Array.isArray(loaded)) {
    const obj = loaded as Record<string, unknown>;
    for (const key of NESTED_KEYS) {
      if (isStateDict(obj[key])) {
        notes.push(`the state dict under the file's key '${key}'`);
        return obj[key];
      }
    }
    const keys = Object.keys(obj).slice(0, 8).join(", ");
    throw new UsageError(
      `'${path}' holds no state dict (a dict of tensors, directly or under ${NESTED_KEYS.join("/")}); its keys: ${keys.slice(0, 200)}`,
    );
  }
  throw new UsageError(`'${path}' holds no state dict (a dict of tensors), but a ${typeof loaded}`);
}

/** Reads a state dict from a safetensors or PyTorch zip file, told apart by their first bytes. */
function readStateDict(path: string, bytes: Uint8Array, notes: string[]): Record<string, Tensor> {
  let sd: Record<string, Tensor>;
  if (bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04) {
    notes.push("a PyTorch .pt file (torch.save)");
    sd = torchStateDict(path, bytes, notes);
  } else if (bytes.length >= 9 && bytes[8] === 0x7b) {
    notes.push("a safetensors file");
    sd = io.loadSafetensors(bytes);
  } else if (bytes[0] === 0x80) {
    throw new UsageError(
      `'${path}' is a PyTorch file in the legacy (pre-1.6) format; save it again with torch.save in PyTorch >= 1.6`,
    );
  } else {
    throw new UsageError(
      `'${path}' is neither a safetensors file nor a PyTorch .pt file (a zip written by torch.save)`,
    );
  }
  const keys = Object.keys(sd);
  if (keys.length > 0 && keys.every((k) => k.startsWith("module."))) {
    notes.push("the 'module.' prefix of nn.DataParallel removed from its keys");
    sd = Object.fromEntries(keys.map((k) => [k.slice("module.".length), sd[k]!]));
  }
  return sd;
}

function shapeIn(sd: Record<string, Tensor>, name: string, ndim: number, path: string): number[] {
  const t = sd[name];
  if (t === undefined || t.shape.length !== ndim) {
    const keys = Object.keys(sd).slice(0, 8).join(", ");
    throw new UsageError(
      `'${path}' does not hold the state dict of this --model: ${name} should be a ${ndim}-D tensor, the file ${t === undefined ? `has no such key (its keys: ${keys.slice(0, 200)})` : `holds [${t.shape.join(", ")}]`}`,
    );
  }
  return [...t.shape];
}

/** The side of a square image of `n` pixels, or null. */
function squareSide(n: number): number | null {
  const s = Math.round(Math.sqrt(n));
  return s * s === n ? s : null;
}

/**
 * Builds `kind` for a state dict without a sidecar, inferring the input from the weights: for the
 * MLP, fc1's input features as a square image of 1 channel (784 → [1, 28, 28]) or 3 (3072 →
 * [3, 32, 32]); for the CNN, the channels of block1's conv and a square image whose side is 4
 * times that of fc's input grid (32·7·7 → 28).
 */
function buildFromWeights(
  path: string,
  kind: ModelKind,
  sd: Record<string, Tensor>,
  notes: string[],
): { model: nn.Module; itemShape: number[]; classes: number } {
  let model: nn.Module;
  let itemShape: number[];
  let classes: number;
  if (kind === "mlp") {
    const [hidden, features] = shapeIn(sd, "fc1.weight", 2, path) as [number, number];
    classes = shapeIn(sd, "fc2.weight", 2, path)[0]!;
    const gray = squareSide(features);
    const rgb = features % 3 === 0 ? squareSide(features / 3) : null;
    itemShape = gray !== null ? [1, gray, gray] : rgb !== null ? [3, rgb, rgb] : [features];
    notes.push(
      `input [${itemShape.join(", ")}] inferred from fc1.weight [${hidden}, ${features}]${itemShape.length === 1 ? " (not a square image)" : ""}`,
    );
    model = new train.NeuralNet(features, hidden, classes);
  } else {
    const channels = shapeIn(sd, "block1.0.weight", 4, path)[1]!;
    const [out, features] = shapeIn(sd, "fc.weight", 2, path) as [number, number];
    classes = out;
    const grid = features % 32 === 0 ? squareSide(features / 32) : null;
    if (grid === null) {
      throw new UsageError(
        `'${path}': fc.weight is [${out}, ${features}]; --model cnn needs 32·k·k input features (a square image of side 4k)`,
      );
    }
    itemShape = [channels, 4 * grid, 4 * grid];
    notes.push(
      `input [${itemShape.join(", ")}] inferred from block1.0.weight (${channels} channel${channels === 1 ? "" : "s"}) and fc.weight [${out}, ${features}]`,
    );
    model = new train.ConvNet(channels, 4 * grid, 4 * grid, classes);
  }
  const want = Object.keys(model.stateDict());
  const missing = want.filter((k) => !(k in sd));
  const unexpected = Object.keys(sd).filter((k) => !want.includes(k));
  if (missing.length > 0 || unexpected.length > 0) {
    const list = (ks: string[]) => ks.slice(0, 6).join(", ") + (ks.length > 6 ? ", ..." : "");
    throw new UsageError(
      `'${path}' does not hold the state dict of --model ${kind} (${model.constructor.name}: ${list(want)})${missing.length > 0 ? `; missing ${list(missing)}` : ""}${unexpected.length > 0 ? `; unexpected ${list(unexpected)}` : ""}`,
    );
  }
  model.loadStateDict(sd);
  return { model, itemShape, classes };
}

/** The largest weights file read without a sidecar: 1 GiB. */
const MAX_WEIGHTS_BYTES = 2 ** 30;

function readWeights(path: string): Uint8Array {
  if (!existsSync(path)) throw new UsageError(`weights file '${path}' does not exist`);
  const st = statSync(path);
  if (!st.isFile()) throw new UsageError(`weights file '${path}' is not a regular file`);
  if (st.size > MAX_WEIGHTS_BYTES) {
    throw new UsageError(
      `weights file '${path}' has ${st.size} bytes, more than the ${MAX_WEIGHTS_BYTES} read`,
    );
  }
  return readFileSync(path);
}

/** Whether `path` has a Kiln sidecar or checkpoint manifest next to it. */
function hasSidecar(path: string): boolean {
  if (!path.endsWith(".safetensors")) return false;
  const stem = path.slice(0, -".safetensors".length);
  return existsSync(`${stem}.json`) || existsSync(`${stem}.manifest.json`);
}

/**
 * Opens a model for predict and info: a Kiln checkpoint when the weights have a sidecar (then a
 * `--model` must agree with it), else a PyTorch state dict (.safetensors or .pt) built as
 * `--model`, which is then required. `--normalize` overrides the sidecar's statistics or the
 * default of `defaultNormalization`.
 */
export function openInferenceModel(
  path: string,
  flags: { model?: string; normalize?: string },
): InferenceModel {
  const kindFlag = flags.model as ModelKind | undefined;
  if (kindFlag !== undefined && !MODEL_KINDS.includes(kindFlag)) {
    throw new UsageError(
      `--model: expected one of ${MODEL_KINDS.join(", ")}, got '${flags.model}'`,
    );
  }
  let base: Omit<InferenceModel, "mean" | "std" | "normalizeSource">;
  let norm: { mean: number[]; std: number[]; source: string };
  if (hasSidecar(path)) {
    const ck = openCheckpoint(path);
    const kind: ModelKind = ck.args.model === "cnn" ? "cnn" : "mlp";
    if (kindFlag !== undefined && kindFlag !== kind) {
      throw new UsageError(
        `--model ${kindFlag}: checkpoint ${path} holds a ${kind} (${ck.meta.modelClass}), says its sidecar`,
      );
    }
    base = {
      model: ck.model,
      kind,
      itemShape: ck.itemShape,
      classNames: ck.classNames,
      weightsSha1: ck.weightsSha1,
      checkpoint: ck,
      notes: [],
    };
    norm = { mean: ck.mean, std: ck.std, source: "the training set's, from the checkpoint" };
  } else {
    if (!existsSync(path)) throw new UsageError(`checkpoint '${path}' does not exist`);
    if (kindFlag === undefined) {
      const sidecar = path.endsWith(".safetensors")
        ? ` (no ${basename(path, ".safetensors")}.json beside it)`
        : "";
      throw new UsageError(
        `'${path}' has no Kiln sidecar${sidecar}, so its architecture is unknown: for weights made elsewhere (a PyTorch state dict as .safetensors or .pt) pass --model ${MODEL_KINDS.join("|")}`,
      );
    }
    const bytes = readWeights(path);
    const notes: string[] = [];
    const sd = readStateDict(path, bytes, notes);
    const built = buildFromWeights(path, kindFlag, sd, notes);
    base = {
      model: built.model,
      kind: kindFlag,
      itemShape: built.itemShape,
      classNames: Array.from({ length: built.classes }, (_, i) => String(i)),
      weightsSha1: createHash("sha1").update(bytes).digest("hex"),
      checkpoint: null,
      notes,
    };
    norm = defaultNormalization(channelsOf(built.itemShape));
  }
  if (flags.normalize !== undefined) {
    norm = {
      ...parseNormalize(flags.normalize, channelsOf(base.itemShape)),
      source: "--normalize",
    };
  }
  return { ...base, mean: norm.mean, std: norm.std, normalizeSource: norm.source };
}

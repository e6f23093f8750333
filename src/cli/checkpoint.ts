// Opening a checkpoint for the CLI: the verified set, the sidecar's input description checked and
// bounded, the model it describes, the weights loaded. Imports the public entry, and the
// checkpoint-set reader of src/train/checkpoint.ts.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import * as v from "valibot";
import { FormatError, io, type nn, train } from "../index.ts";
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

// Opening a checkpoint for the CLI: the sidecar, the model it describes, the weights loaded.
// Imports only the public entry.

import { existsSync } from "node:fs";
import { io, type nn, train } from "../index.ts";
import { UsageError } from "./args.ts";

export interface OpenedCheckpoint {
  meta: train.CheckpointMeta;
  args: train.ClassifierArgs;
  model: nn.Module;
  itemShape: number[];
  classNames: string[];
  mean: number[];
  std: number[];
}

/** Reads the sidecar, rebuilds the model and loads the weights (strict: names and shapes must match). */
export function openCheckpoint(path: string): OpenedCheckpoint {
  if (!existsSync(path)) throw new UsageError(`checkpoint '${path}' does not exist`);
  const meta = train.readCheckpointMeta(path);
  const args = meta.args as train.ClassifierArgs;
  const extras = meta.extras as {
    itemShape?: number[];
    classNames?: string[];
    mean?: number[];
    std?: number[];
  };
  if (!extras.itemShape || !extras.classNames || !extras.mean || !extras.std) {
    throw new UsageError(
      `checkpoint '${path}' was not written by kiln train (its sidecar lacks the input description)`,
    );
  }
  const model = train.buildClassifierModel(args.model, extras.itemShape, extras.classNames.length);
  model.loadStateDict(io.loadSafetensors(path));
  return {
    meta,
    args,
    model,
    itemShape: extras.itemShape,
    classNames: extras.classNames,
    mean: extras.mean,
    std: extras.std,
  };
}

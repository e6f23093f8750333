// Checkpoint sidecars: the JSON written beside a checkpoint's weights, and the split of a nested
// state (an optimizer's state dict) into safetensors tensors plus JSON with references to them.

import { readFileSync } from "node:fs";
import { checkArity } from "../core/args.ts";
import { FormatError } from "../core/errors.ts";
import type { GeneratorState } from "../core/rng.ts";
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

/** Reads the JSON sidecar of a checkpoint given its weights path. */
export function readCheckpointMeta(weightsPath: string): CheckpointMeta {
  if (arguments.length > 1) checkArity("train.readCheckpointMeta", arguments, 1);
  const stem = weightsPath.replace(/\.safetensors$/, "");
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(readFileSync(`${stem}.json`, "utf8")) as CheckpointMeta;
  } catch (e) {
    throw new FormatError(
      `checkpoint: cannot read ${stem}.json beside ${weightsPath}: ${(e as Error).message}`,
    );
  }
  if (meta.format !== "kiln-checkpoint") {
    throw new FormatError(`checkpoint: ${stem}.json is not a Kiln checkpoint sidecar`);
  }
  return meta;
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
      if (t === undefined) throw new FormatError(`checkpoint: optimizer tensor ${ref} is missing`);
      return t;
    }
    return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, joinTensors(v, tensors)]));
  }
  return meta;
}

function isTensor(x: unknown): x is Tensor {
  return typeof x === "object" && x !== null && "storage" in x && "shape" in x && "dtype" in x;
}

// `kiln info [checkpoint] [--backend]`: what a checkpoint holds, and which backend computes.
// Imports only the public entry.

import { backendInfo } from "../index.ts";
import { UsageError } from "./args.ts";
import { openCheckpoint } from "./checkpoint.ts";

export function infoCommand(checkpoint: string | undefined, flags: { backend?: boolean }): void {
  if (flags.backend) {
    const b = backendInfo();
    console.log(`backend: ${b.backend} (available: ${b.available.join(", ")})`);
    console.log(
      `cpu path: ${b.cpuPath ?? "none (native addon not loaded)"}; threads: ${b.threads}`,
    );
    if (b.nativeError !== null) console.log(`native: unavailable: ${b.nativeError}`);
  }
  if (checkpoint === undefined) {
    if (!flags.backend) throw new UsageError("give a checkpoint, or --backend");
    return;
  }
  // openCheckpoint refuses a set that is incomplete or whose files differ from its manifest.
  const { meta, args, model, itemShape, classNames, weightsSha1: sha } = openCheckpoint(checkpoint);
  const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
  console.log(`checkpoint: ${checkpoint}`);
  console.log(
    `model: ${meta.modelClass} (${args.model}), ${params} parameters, input [${itemShape.join(", ")}], ${classNames.length} classes`,
  );
  console.log(model.toString());
  console.log(
    `trained: ${meta.epoch} epoch(s), ${meta.totalTrainingSamples_count} samples, dataset ${args.dataset}${args.binary !== null ? ` (binary: class ${args.binary})` : ""}`,
  );
  console.log(
    `optimizer: ${meta.optimizerClass}, lr ${args.lr}, scheduler ${args.scheduler}; seed ${args.seed}; run ${meta.time}`,
  );
  console.log(`best score so far: ${meta.bestScore}; interrupted: ${meta.interrupted}`);
  console.log(
    `weights SHA-1: ${sha} (${sha === meta.weightsSha1 ? "matches the sidecar" : `DIFFERS from the sidecar's ${meta.weightsSha1}`}); every file of the set matches its manifest's SHA-256`,
  );
}

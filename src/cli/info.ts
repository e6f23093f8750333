// `kiln info [weights] [--backend]`: what a checkpoint (or a PyTorch state dict given --model)
// holds, and which backend computes. Imports only the public entry.

import { backendInfo } from "../index.ts";
import { UsageError } from "./args.ts";
import { openInferenceModel } from "./checkpoint.ts";

export function infoCommand(
  checkpoint: string | undefined,
  flags: { backend?: boolean; model?: string; normalize?: string },
): void {
  if (flags.backend) {
    const b = backendInfo();
    console.log(`backend: ${b.backend} (available: ${b.available.join(", ")})`);
    console.log(
      `cpu path: ${b.cpuPath ?? "none (native addon not loaded)"}; threads: ${b.threads}`,
    );
    if (b.nativeError !== null) console.log(`native: unavailable: ${b.nativeError}`);
    if (b.nativePath !== null) console.log(`native addon: ${b.nativePath}`);
    if (b.fallbackReason !== null) console.log(`fallback: ${b.fallbackReason}`);
    if (b.wasmPath !== null) console.log(`wasm module: ${b.wasmPath}`);
    if (b.wasmError !== null) console.log(`wasm: unavailable: ${b.wasmError}`);
    if (b.wasmNote !== null) console.log(`wasm: ${b.wasmNote}`);
  }
  if (checkpoint === undefined) {
    if (!flags.backend) throw new UsageError("give a checkpoint, or --backend");
    return;
  }
  // A Kiln checkpoint: openCheckpoint refuses a set that is incomplete or whose files differ
  // from its manifest.
  const m = openInferenceModel(checkpoint, flags);
  const params = m.model.parameters().reduce((n, p) => n + p.numel(), 0);
  const ck = m.checkpoint;
  const name = m.model.constructor.name;
  console.log(
    ck === null
      ? `weights: ${checkpoint}: ${m.notes[0]}, no Kiln sidecar (built as --model ${m.kind})`
      : `checkpoint: ${checkpoint}`,
  );
  console.log(
    `model: ${ck?.meta.modelClass ?? name} (${m.kind}), ${params} parameters, input [${m.itemShape.join(", ")}], ${m.classNames.length} classes`,
  );
  for (const note of m.notes.slice(1)) console.log(`note: ${note}`);
  console.log(m.model.toString());
  console.log(
    `normalization: mean [${m.mean.map((v) => v.toFixed(4)).join(", ")}], std [${m.std.map((v) => v.toFixed(4)).join(", ")}] (${m.normalizeSource})`,
  );
  if (ck === null) {
    console.log(`weights SHA-1: ${m.weightsSha1}; no training state (not written by kiln train)`);
    return;
  }
  const { meta, args } = ck;
  console.log(
    `trained: ${meta.epoch} epoch(s), ${meta.totalTrainingSamples_count} samples, dataset ${args.dataset}${args.binary !== null ? ` (binary: class ${args.binary})` : ""}`,
  );
  console.log(
    `optimizer: ${meta.optimizerClass}, lr ${args.lr}, scheduler ${args.scheduler}; seed ${args.seed}; run ${meta.time}`,
  );
  console.log(`best score so far: ${meta.bestScore}; interrupted: ${meta.interrupted}`);
  const sha = m.weightsSha1;
  console.log(
    `weights SHA-1: ${sha} (${sha === meta.weightsSha1 ? "matches the sidecar" : `DIFFERS from the sidecar's ${meta.weightsSha1}`}); every file of the set matches its manifest's SHA-256`,
  );
}

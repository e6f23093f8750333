// A checkpoint writer for the kill -9 test (test/train/kill9.test.ts): what `kiln train` does to
// its checkpoint directory, without the training, so a test can kill it many times a second.
// Usage: node --import tsx tools/kill9-writer.ts <dir> <seed>. It first cleans what dead writers
// left (as a run does), prints "ready", then forever writes a numbered set per "epoch" (weights,
// optimizer, sometimes an epoch-metrics file, sidecar, manifest last), a `.best` set when the
// epoch is "better", and prunes to the latest numbered set, printing "epoch <n>" after each.
// KILN_TEST_SLOW_WRITES=<ms> stretches every write phase.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import {
  cleanCheckpointDir,
  pruneCheckpoints,
  writeCheckpointSet,
} from "../src/train/checkpoint.ts";

const [dir, seedArg] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: kill9-writer.ts <dir> <seed>");
const seed = Number(seedArg ?? 0);
const time = `2026-01-01_00.00.${String(seed % 60).padStart(2, "0")}`;
const prefix = `w_${time}_kiln.`;

/** A safetensors file of one float32 tensor of n random values. */
function safetensors(name: string, n: number): Uint8Array {
  const header = Buffer.from(
    JSON.stringify({ [name]: { dtype: "F32", shape: [n], data_offsets: [0, 4 * n] } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, randomBytes(4 * n)]);
}

const gen = (s: number) => ({ seed: s, s: [1, 2, 3, 4], spare: null });

function sidecar(stem: string, epoch: number, partial: boolean): Uint8Array {
  const base = stem.split("/").pop()!;
  return Buffer.from(
    `${JSON.stringify(
      {
        format: "kiln-checkpoint",
        version: 1,
        modelClass: "NeuralNet",
        optimizerClass: "SGD",
        optimizerState: { state: {}, param_groups: [{ lr: 0.01, params: [0] }] },
        schedulerState: null,
        epoch,
        totalTrainingSamples_count: 64 * epoch,
        rng: { default: gen(0), shuffle: gen(seed) },
        bestScore: epoch,
        sinceBest: 0,
        args: { batchSize: 64, epochs: 1e9 },
        time,
        weightsFile: `${base}.safetensors`,
        weightsSha1: "0".repeat(40),
        optimizerFile: `${base}.optim.safetensors`,
        interrupted: partial,
        partialEpoch: partial
          ? {
              epoch: epoch + 1,
              batchesDone: 1,
              metricsFile: `${base}.epoch.safetensors`,
              rngAtEpochStart: { default: gen(0), shuffle: gen(seed) },
            }
          : null,
        extras: {},
      },
      null,
      2,
    )}\n`,
  );
}

cleanCheckpointDir(dir);
console.log("ready");
for (let epoch = 1; ; epoch++) {
  const partial = epoch % 3 === 0;
  const files = (stem: string) => [
    { suffix: ".safetensors", data: safetensors("w", 4096) },
    { suffix: ".optim.safetensors", data: safetensors("m", 4096) },
    ...(partial ? [{ suffix: ".epoch.safetensors", data: safetensors("trnMetrics_t", 256) }] : []),
    { suffix: ".json", data: sidecar(stem, epoch, partial) },
  ];
  const stem = join(dir, `${prefix}${64 * epoch}`);
  writeCheckpointSet(stem, files(stem));
  if (epoch % 2 === 1) {
    const best = join(dir, `${prefix}best`);
    writeCheckpointSet(best, files(best));
  }
  pruneCheckpoints(dir, prefix, 1);
  console.log(`epoch ${epoch}`);
}

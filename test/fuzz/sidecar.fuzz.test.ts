// Fuzzing the readers of Kiln's JSON side files (issue 17): checkpoint sidecars (parsed alone, and
// opened as part of a hash-complete set, through the CLI's openCheckpoint that builds the model),
// checkpoint manifests, run.json and metrics.jsonl (parsed, then rendered into report.html). Every
// mutation must be accepted or refused with a KilnError with a short message, within 5 s.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { openCheckpoint } from "../../src/cli/checkpoint.ts";
import { io, train } from "../../src/index.ts";
import { parseRunJson, renderReport, summaryFromRecords } from "../../src/io/report.ts";
import { joinTensors, openCheckpointSet, parseCheckpointMeta } from "../../src/train/checkpoint.ts";
import { type FuzzReport, fuzz } from "./harness.ts";

const BUDGET_MS = 4000;
const dir = mkdtempSync(join(tmpdir(), "kiln-fuzz-sidecar-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function show(name: string, r: FuzzReport): void {
  console.log(
    `fuzz ${name}: ${r.runs} runs, ${r.kilnErrors} KilnErrors, ${r.accepted} accepted, slowest ${r.slowestMs.toFixed(1)} ms, peak heap growth ${(r.peakHeapGrowth / 2 ** 20).toFixed(1)} MiB`,
  );
}

// A small but real checkpoint set: an MLP on [1, 4, 4] inputs with 3 classes, SGD with momentum.
const STEM = "ck_2026-01-01_00.00.00_kiln.64";
const model = train.buildClassifierModel("mlp", [1, 4, 4], 3);
const weights = io.serializeSafetensors(model.stateDict());
const momentum = Object.fromEntries(
  model.parameters().map((p, i) => [`state.${i}.momentum_buffer`, p.detach()]),
);
const optim = io.serializeSafetensors(momentum);
const gen = (seed: number) => ({ seed, s: [1, 2, 3, 4 + seed], spare: null });
const SIDECAR = {
  format: "kiln-checkpoint",
  version: 1,
  modelClass: "NeuralNet",
  optimizerClass: "SGD",
  optimizerState: {
    state: Object.fromEntries(
      [0, 1, 2, 3].map((i) => [
        String(i),
        { momentum_buffer: { __tensor__: `state.${i}.momentum_buffer` } },
      ]),
    ),
    param_groups: [{ lr: 0.01, momentum: 0.99, dampening: 0, params: [0, 1, 2, 3] }],
  },
  schedulerState: null,
  epoch: 1,
  totalTrainingSamples_count: 64,
  rng: { default: gen(0), shuffle: gen(1), augment: gen(2) },
  bestScore: null,
  sinceBest: 0,
  args: { ...train.DEFAULT_ARGS, model: "mlp", dataset: "mnist", binary: null, limit: 64 },
  time: "2026-01-01_00.00.00",
  weightsFile: `${STEM}.safetensors`,
  weightsSha1: createHash("sha1").update(weights).digest("hex"),
  optimizerFile: `${STEM}.optim.safetensors`,
  interrupted: false,
  partialEpoch: null,
  extras: { itemShape: [1, 4, 4], classNames: ["a", "b", "c"], mean: [0.13], std: [0.31] },
};
const sidecarSeeds = [
  enc(JSON.stringify(SIDECAR, null, 2)),
  enc(JSON.stringify(SIDECAR)),
  enc(
    JSON.stringify({
      ...SIDECAR,
      interrupted: true,
      bestScore: 0.25,
      partialEpoch: {
        epoch: 2,
        batchesDone: 1,
        metricsFile: `${STEM}.epoch.safetensors`,
        rngAtEpochStart: SIDECAR.rng,
      },
      extras: { ...SIDECAR.extras, itemShape: [1, 2000, 2000] },
      optimizerFile: "../../x.safetensors",
    }),
  ),
];

// Writes the set's files (no fsync: the fuzzer writes thousands) with a manifest of their hashes.
function writeSet(sidecar: Uint8Array, manifest?: Uint8Array): string {
  writeFileSync(join(dir, `${STEM}.json`), sidecar);
  const files: [string, Uint8Array][] = [
    [`${STEM}.safetensors`, weights],
    [`${STEM}.optim.safetensors`, optim],
    [`${STEM}.json`, sidecar],
  ];
  const m =
    manifest ??
    enc(
      JSON.stringify({
        format: "kiln-checkpoint-manifest",
        version: 1,
        files: files.map(([name, b]) => ({ name, size: b.length, sha256: sha256(b) })),
      }),
    );
  writeFileSync(join(dir, `${STEM}.manifest.json`), m);
  return join(dir, `${STEM}.safetensors`);
}
writeFileSync(join(dir, `${STEM}.safetensors`), weights);
writeFileSync(join(dir, `${STEM}.optim.safetensors`), optim);

describe("fuzz: checkpoint sidecars, manifests, run.json, metrics.jsonl", () => {
  test("the seed set opens", () => {
    const ck = openCheckpoint(writeSet(sidecarSeeds[0]!));
    assert.deepEqual(ck.itemShape, [1, 4, 4]);
    assert.equal(ck.weightsSha1, SIDECAR.weightsSha1);
    // The hostile seed: 4 GB model refused before it is built, path outside refused.
    assert.throws(() => openCheckpoint(writeSet(sidecarSeeds[2]!)), { name: "FormatError" });
  });

  test("sidecar: parse, then open the set through the CLI's openCheckpoint", () => {
    let k = 0;
    const r = fuzz({
      seeds: sidecarSeeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) => {
        if (k++ % 2 === 0) {
          const meta = parseCheckpointMeta(dec(bytes), "fuzz.json");
          return joinTensors(meta.optimizerState, {});
        }
        return openCheckpoint(writeSet(bytes));
      },
    });
    show("sidecar", r);
  });

  test("manifest: open a set whose manifest is mutated", () => {
    const seeds = [0, 1].map((i) => {
      writeSet(sidecarSeeds[i]!);
      return enc(
        JSON.stringify({
          format: "kiln-checkpoint-manifest",
          version: 1,
          files: [
            [`${STEM}.safetensors`, weights],
            [`${STEM}.optim.safetensors`, optim],
            [`${STEM}.json`, sidecarSeeds[i]!],
          ].map(([name, b]) => ({
            name,
            size: (b as Uint8Array).length,
            sha256: sha256(b as Uint8Array),
          })),
        }),
      );
    });
    writeSet(sidecarSeeds[0]!);
    const r = fuzz({
      seeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) => {
        writeFileSync(join(dir, `${STEM}.manifest.json`), bytes);
        return openCheckpointSet(join(dir, `${STEM}.safetensors`));
      },
    });
    show("manifest", r);
  });

  test("run.json: parse, then render the report", () => {
    const seeds = [
      enc(
        JSON.stringify(
          {
            title: "Kiln run kiln/kiln",
            created: "2026-01-01T00:00:00.000Z",
            args: { ...train.DEFAULT_ARGS, model: "mlp", limit: 64, binary: null },
          },
          null,
          2,
        ),
      ),
      enc('{"title":"t","args":{"a":[1,{"b":null}],"c":"x"}}'),
    ];
    const r = fuzz({
      seeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) => {
        const run = parseRunJson(dec(bytes), "fuzz");
        return renderReport(summaryFromRecords([], { ...run, title: run.title ?? "run" }));
      },
    });
    show("run.json", r);
  });

  test("metrics.jsonl: parse, then render the report", () => {
    const line = (epoch: number, mode: "trn" | "val", extra: object) =>
      io.formatMetricsLine({
        epoch,
        mode,
        step: 64 * epoch,
        metrics: { "loss/all": 2.3 / epoch, "correct/all": 10 * epoch, "pr/f1_score": Number.NaN },
        time: "2026-01-01T00:00:00.000Z",
        ...extra,
      });
    const detail = {
      confusion: [
        [3, 1],
        [0, 4],
      ],
      classNames: ["cat", "dog"],
      perClass: [
        { precision: 1, recall: 0.75, f1: 0.86, count: 4 },
        { precision: 0.8, recall: 1, f1: Number.NaN, count: 4 },
      ],
      roc: { fpr: [0, 0.25, 1], tpr: [0, 0.75, 1], auc: 0.8 },
    };
    const seeds = [
      enc(`${[line(1, "trn", {}), line(1, "val", detail), line(2, "trn", {})].join("\n")}\n`),
      enc(
        `${line(1, "val", { curve: { kind: "pr", x: [0, 0.5, 1], y: [1, 0.7, 0.5], auc: 0.7 } })}\n`,
      ),
    ];
    const r = fuzz({
      seeds,
      budgetMs: BUDGET_MS,
      parse: (bytes) =>
        renderReport(summaryFromRecords(io.parseMetricsJsonl(dec(bytes), "fuzz"), { title: "t" })),
    });
    show("metrics.jsonl", r);
  });
});

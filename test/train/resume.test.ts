// Exact resume: a run interrupted after epoch 1 and resumed with --resume ends with weights and
// optimizer state bit-identical to an uninterrupted run with the same seed (raw tensor bytes).
// A --resume with nothing left to train says so, exits 2 and writes nothing.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { io, train as train_ } from "../../src/index.ts";
import { kiln, only, tempDir } from "./helpers.ts";

const tmp = tempDir("resume");
after(() => tmp.cleanup());

const LIMITS = ["--limit", "640", "--val-limit", "200", "--batch-size", "32"];

/** Raw bytes of every tensor of a safetensors file, by name. */
function tensorBytes(path: string): Record<string, Buffer> {
  const file = readFileSync(path);
  const headerLen = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLen).toString("utf8")) as Record<
    string,
    { data_offsets: [number, number] }
  >;
  const out: Record<string, Buffer> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const [a, b] = info.data_offsets;
    out[name] = file.subarray(8 + headerLen + a, 8 + headerLen + b);
  }
  return out;
}

function checkpoint(out: string, samples: number): string {
  return only(join(out, "models", "kiln"), new RegExp(`_kiln\\.${samples}\\.safetensors$`));
}

async function train(out: string, ...extra: string[]): Promise<string> {
  const r = await kiln("train", ...LIMITS, "--out", out, ...extra);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

// NOTE: schedules spanning the whole run (cosine, onecycle) depend on --epochs, so a run started
// with --epochs 1 trains differently from one started with --epochs 3; they are left out here.
const variants: [string, string[]][] = [
  ["SGD with momentum (the default)", []],
  [
    "AdamW with weight decay, step schedule",
    ["--optimizer", "adamw", "--lr", "0.001", "--weight-decay", "0.01", "--scheduler", "step"],
  ],
  ["random affine augmentation", ["--augmented"]],
  // Worker threads: the loader draws each epoch's base seed from the shuffle generator.
  ["worker threads with augmentation", ["--num-workers", "2", "--augmented"]],
];

describe("--resume continues exactly", () => {
  variants.forEach(([name, flags], i) => {
    test(name, async () => {
      const a = join(tmp.dir, `a${i}`);
      const b = join(tmp.dir, `b${i}`);
      const c = join(tmp.dir, `c${i}`);
      const [outA] = await Promise.all([
        train(a, ...flags, "--epochs", "3"),
        train(b, ...flags, "--epochs", "1"),
      ]);
      const resumed = await train(c, ...flags, "--epochs", "3", "--resume", checkpoint(b, 640));
      assert.match(resumed, /^Resumed from .*: epoch 1 done, 640 samples seen$/m);
      assert.doesNotMatch(resumed, /^Epoch 1 of 3/m);
      assert.match(resumed, /^Epoch 2 of 3/m);

      const final = 3 * 640;
      for (const suffix of ["safetensors", "optim.safetensors"]) {
        const wantPath = checkpoint(a, final).replace(/safetensors$/, suffix);
        const gotPath = checkpoint(c, final).replace(/safetensors$/, suffix);
        const want = tensorBytes(wantPath);
        const got = tensorBytes(gotPath);
        assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
        for (const k of Object.keys(want)) {
          assert.ok(
            got[k]!.equals(want[k]!),
            `${name}: ${suffix} tensor ${k} differs after resume`,
          );
        }
      }
      // The logged metrics of the resumed epochs are the uninterrupted run's too.
      const lines = (s: string) => s.split("\n").filter((l) => /^E[23] (trn|val)/.test(l));
      assert.deepEqual(lines(resumed), lines(outA));
      const metaA = JSON.parse(
        readFileSync(checkpoint(a, final).replace(/safetensors$/, "json"), "utf8"),
      );
      const metaC = JSON.parse(
        readFileSync(checkpoint(c, final).replace(/safetensors$/, "json"), "utf8"),
      );
      assert.deepEqual(
        [
          metaC.epoch,
          metaC.totalTrainingSamples_count,
          metaC.rng,
          metaC.schedulerState,
          metaC.bestScore,
        ],
        [
          metaA.epoch,
          metaA.totalTrainingSamples_count,
          metaA.rng,
          metaA.schedulerState,
          metaA.bestScore,
        ],
      );
      assert.ok(io.loadSafetensors(checkpoint(c, final))["fc1.weight"]);
    });
  });
});

/** Every file under `dir` with its size and modification time: what a run could have written. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => {
      const st = statSync(join(dir, name));
      return `${name} ${st.isDirectory() ? "dir" : `${st.size} ${st.mtimeMs}`}`;
    })
    .sort();
}

describe("--resume with nothing left to train", () => {
  test("says so, exits 2, and writes nothing (no run directory, no logs, no checkpoint)", async () => {
    const out = join(tmp.dir, "done");
    await train(out, "--epochs", "1");
    const ckpt = checkpoint(out, 640);
    const before = snapshot(out);
    await new Promise((r) => setTimeout(r, 20));
    // Without --epochs the checkpoint's own (1) applies; with --epochs 1 the same.
    for (const extra of [[], ["--epochs", "1"]]) {
      const r = await kiln("train", "--resume", ckpt, ...extra);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        new RegExp(
          `^kiln train: error: --resume: nothing to train: checkpoint '.*' has finished epoch 1, and --epochs is 1${extra.length === 0 ? " \\(the checkpoint's own\\)" : ""}; pass --epochs <n> with n > 1 to train further \\(nothing was written\\)`,
        ),
      );
      assert.doesNotMatch(r.stdout, /Run directory|Saved model params|Epoch \d/);
      assert.deepEqual(snapshot(out), before, "files changed");
    }
  });

  test("TrainingApp.main() alone logs that nothing is left and writes nothing", async () => {
    const out = join(tmp.dir, "done-api");
    await train(out, "--epochs", "1");
    const before = snapshot(out);
    const lines: string[] = [];
    const app = new train_.ClassifierApp(
      { limit: 640, valLimit: 200, batchSize: 32, epochs: 1, out, resume: checkpoint(out, 640) },
      (l) => lines.push(l),
    );
    app.prepare();
    assert.equal(app.epochsLeft, 0);
    await app.main();
    assert.match(
      lines.at(-1)!,
      /^Nothing to train: .* has finished epoch 1 and epochs is 1;.*Nothing was written\.$/,
    );
    assert.deepEqual(snapshot(out), before);
  });
});

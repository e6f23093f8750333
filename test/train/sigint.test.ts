// SIGINT during `kiln train`: the current batch finishes, a checkpoint is written, stdout says
// where and how to resume, the exit code is 130; `kiln train --resume <path>` (no other flags:
// they come from the checkpoint) runs to the end with weights bit-identical to an uninterrupted run,
// and says how many samples the checkpoint had seen (not 0).

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { io } from "../../src/index.ts";
import { kiln, only, startKiln, tempDir } from "./helpers.ts";

const tmp = tempDir("sigint");
after(() => tmp.cleanup());

// 16000 / 16 = 1000 batches per epoch: long enough to be interrupted, short to resume.
const FLAGS = ["--limit", "16000", "--val-limit", "300", "--batch-size", "16", "--epochs", "2"];

test("SIGINT writes a checkpoint, exits 130, and --resume finishes the run exactly", async () => {
  const outA = join(tmp.dir, "interrupted");
  const outB = join(tmp.dir, "uninterrupted");
  let sent = false;
  const interrupted = startKiln(["train", ...FLAGS, "--out", outA], (soFar, child) => {
    if (!sent && /^E1 Training ----\/1000, starting$/m.test(soFar)) {
      sent = true;
      child.kill("SIGINT");
    }
  });
  const [r, full] = await Promise.all([interrupted.done, kiln("train", ...FLAGS, "--out", outB)]);
  assert.equal(sent, true, r.stdout);
  assert.equal(r.code, 130, `exit code: ${r.code} ${r.signal}\n${r.stderr}`);
  assert.equal(full.code, 0, full.stderr);

  const where =
    /^Interrupted (during epoch 1 after (\d+) of 1000 batches|after epoch 1): checkpoint written to (\S+)$/m.exec(
      r.stdout,
    );
  assert.ok(where, r.stdout);
  const path = where[3]!;
  assert.match(
    r.stdout,
    new RegExp(
      `^Resume with: kiln train --resume ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
      "m",
    ),
  );
  assert.ok(existsSync(path));
  const meta = JSON.parse(readFileSync(path.replace(/safetensors$/, "json"), "utf8"));
  assert.equal(meta.interrupted, where[2] !== undefined);
  if (where[2] !== undefined) {
    // Stopped after batch k: the checkpoint is named by the samples seen and records the batch.
    const k = Number(where[2]);
    assert.equal(meta.epoch, 0);
    assert.equal(meta.partialEpoch.batchesDone, k);
    assert.match(path, new RegExp(`_kiln\\.${16 * k}\\.safetensors$`));
  }
  assert.deepEqual(io.loadSafetensors(path)["fc1.weight"]!.shape, [128, 784]);

  // Only the files the interrupted run wrote are named: no metrics or report before epoch 1 ends.
  assert.match(
    r.stdout,
    where[2] !== undefined
      ? /^Run directory: \S+ \(run\.json\)$/m
      : /^Run directory: \S+ \(metrics\.jsonl, report\.html, run\.json\)$/m,
  );

  const resumed = await kiln("train", "--resume", path);
  assert.equal(resumed.code, 0, resumed.stderr);
  // The samples seen continue from the checkpoint's: k batches of 16 into epoch 1, or all 16000.
  const seen =
    where[2] !== undefined
      ? `epoch 0 and ${where[2]} batches of epoch 1 done, ${16 * Number(where[2])} samples seen`
      : "epoch 1 done, 16000 samples seen";
  assert.ok(resumed.stdout.includes(`Resumed from ${path}: ${seen}\n`), resumed.stdout);
  assert.match(resumed.stdout, /^E2 val /m);
  // The resumed run writes into the interrupted run's --out (from the checkpoint's arguments).
  const final = (out: string) => only(join(out, "models", "kiln"), /_kiln\.32000\.safetensors$/);
  assert.deepEqual(readFileSync(final(outA)), readFileSync(final(outB)), "resumed weights differ");
  const lines = (s: string) => s.split("\n").filter((l) => /^E[12] (trn|val)/.test(l));
  assert.deepEqual(lines(resumed.stdout), lines(full.stdout));
});

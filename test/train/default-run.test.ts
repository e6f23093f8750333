// `kiln train` with its defaults (the seed's NeuralNet on all of bundled MNIST, SGD lr 0.01
// momentum 0.9, batch 64, 3 epochs, seed 0) reaches the 97% validation accuracy. Only --out
// is given, so the repository stays clean. A few seconds on the native backend.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { io } from "../../src/index.ts";
import { kiln, only, tempDir } from "./helpers.ts";

const tmp = tempDir("default");
after(() => tmp.cleanup());

test("default kiln train: 3 epochs of 938/157 batches, at least 97% validation accuracy", async () => {
  const r = await kiln("train", "--out", tmp.dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Epoch 3 of 3, 938\/157 batches of size 64$/m);
  const runDir = only(join(tmp.dir, "runs", "kiln"), /^\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d-kiln$/);
  const records = io.readMetricsJsonl(join(runDir, "metrics.jsonl"));
  assert.deepEqual(
    records.map((x) => [x.epoch, x.mode, x.step]),
    [1, 2, 3].flatMap((e) => [
      [e, "trn", 60000 * e],
      [e, "val", 60000 * e],
    ]),
  );
  const last = records.at(-1)!;
  assert.equal(
    last.confusion!.flat().reduce((a, b) => a + b, 0),
    10000,
  );
  assert.ok(
    last.metrics["correct/all"]! >= 97,
    `validation accuracy ${last.metrics["correct/all"]}%`,
  );
});

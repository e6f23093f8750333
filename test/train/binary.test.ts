// `kiln train --binary 3` (one-vs-rest, the book's positive/negative masks) on a subset, with and
// without --balanced: the binary log lines with AUC, ROC in metrics.jsonl, and the PR curve and
// prediction histograms in the TensorBoard file.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { io } from "../../src/index.ts";
import { readEvent, readTfRecords } from "../io/tb-reader.ts";
import { type KilnResult, kiln, only, SMALL, tempDir } from "./helpers.ts";

const tmp = tempDir("binary");
let plain: KilnResult;
let balanced: KilnResult;

before(async () => {
  [plain, balanced] = await Promise.all([
    kiln("train", "--binary", "3", ...SMALL, "--epochs", "1", "--out", join(tmp.dir, "plain")),
    kiln(
      "train",
      "--binary",
      "3",
      "--balanced",
      ...SMALL,
      "--epochs",
      "1",
      "--out",
      join(tmp.dir, "balanced"),
    ),
  ]);
});
after(() => tmp.cleanup());

const ALL = (mode: string) =>
  new RegExp(
    `^E1 ${mode}      \\d\\.\\d{4} loss, [ \\d]{2}\\d\\.\\d% correct, (\\d\\.\\d{4}|nan) precision, (\\d\\.\\d{4}|nan) recall, (\\d\\.\\d{4}|nan) f1 score, \\d\\.\\d{4} auc$`,
    "m",
  );
const CLASS = (mode: string, tag: string) =>
  new RegExp(
    `^E1 ${mode}_${tag}  [ \\d]\\.\\d{4} loss, [ \\d]{2}\\d\\.\\d% correct \\((\\d+) of (\\d+)\\)$`,
    "m",
  );

function counts(out: string, mode: string, tag: string): [number, number] {
  const m = CLASS(mode, tag).exec(out);
  assert.ok(m, `no ${mode}_${tag} line in\n${out}`);
  return [Number(m[1]), Number(m[2])];
}

describe("kiln train --binary 3", () => {
  test("the book's binary lines: all with AUC, then neg and pos", () => {
    assert.equal(plain.code, 0, plain.stderr);
    for (const mode of ["trn", "val"]) {
      assert.match(plain.stdout, ALL(mode));
      const [, neg] = counts(plain.stdout, mode, "neg");
      const [, pos] = counts(plain.stdout, mode, "pos");
      assert.equal(neg + pos, mode === "trn" ? 1000 : 300);
    }
    // The first 1000 training digits hold 93 threes, the first 300 test digits 24 (the labels
    // of the bundled MNIST, as the 10-class run reports them).
    assert.equal(counts(plain.stdout, "trn", "pos")[1], 93);
    assert.equal(counts(plain.stdout, "val", "pos")[1], 24);
  });

  test("--balanced: every second training sample positive", () => {
    assert.equal(balanced.code, 0, balanced.stderr);
    assert.match(balanced.stdout, ALL("trn"));
    assert.deepEqual(
      [counts(balanced.stdout, "trn", "neg")[1], counts(balanced.stdout, "trn", "pos")[1]],
      [500, 500],
    );
    // Validation is not balanced.
    assert.equal(counts(balanced.stdout, "val", "pos")[1], 24);
  });

  test("metrics.jsonl has the ROC; TensorBoard has auc, the PR curve and the histograms", () => {
    const runs = join(tmp.dir, "plain", "runs", "kiln");
    const runDir = only(runs, /^\d{4}-\d\d-\d\d_\d\d\.\d\d\.\d\d-kiln$/);
    const [trn, val] = io.readMetricsJsonl(join(runDir, "metrics.jsonl"));
    for (const r of [trn!, val!]) {
      assert.equal(r.roc!.fpr.length, 100);
      assert.equal(r.roc!.fpr[0], 0);
      assert.equal(r.roc!.tpr[99], 1);
      assert.ok(r.metrics.auc! > 0.5 && r.metrics.auc! <= 1);
    }
    const events = readTfRecords(
      new Uint8Array(readFileSync(only(only(runs, /-val_cls-kiln$/), /tfevents/))),
    ).map(readEvent);
    const tags = new Set(events.map((e) => e.tag).filter((t) => t !== undefined));
    for (const t of [
      "loss/all",
      "loss/neg",
      "loss/pos",
      "correct/neg",
      "correct/pos",
      "auc",
      "pr",
      "is_neg",
      "is_pos",
    ]) {
      assert.ok(tags.has(t), `tag ${t} missing from ${[...tags].join(", ")}`);
    }
    const auc = events.find((e) => e.tag === "auc")!;
    assert.equal(auc.simpleValue, Math.fround(val!.metrics.auc!));
    assert.equal(events.find((e) => e.tag === "pr")!.pluginName, "pr_curves");
    assert.ok(events.find((e) => e.tag === "is_pos")!.histo!.num > 0);
  });
});

// train.classificationMetrics against the book's logMetrics computed by PyTorch 1.13
// (tools/golden/train_metrics.py): binary (chapter 12/14 masks and ROC AUC) and 10-class
// one-vs-rest, with edge cases that divide by zero. Also formatMetricsLines on a hand-made case.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { tensor, train } from "../../src/index.ts";

type Num = number | "nan";
interface GoldenCase {
  name: string;
  numClasses: number;
  metrics_t: number[][];
  metrics: Record<string, Num>;
  counts?: { neg_count: number; pos_count: number; neg_correct: number; pos_correct: number };
  tpr?: Num[];
  fpr?: Num[];
  perClass?: { count: number; correct: number; loss: Num; precision: Num; recall: Num; f1: Num }[];
  confusion?: number[][];
}

const golden = JSON.parse(
  readFileSync(new URL("../golden/train/metrics.json", import.meta.url), "utf8"),
) as { torch_version: string; cases: GoldenCase[] };

const num = (v: Num): number => (v === "nan" ? Number.NaN : v);

// float32 in PyTorch (means, np.float32 divisions) against float64 arithmetic on float32 data in
// Kiln: relative differences are a few float32 ulps.
function close(actual: number, expected: Num, what: string): void {
  const e = num(expected);
  if (Number.isNaN(e)) {
    assert.ok(Number.isNaN(actual), `${what}: expected nan, got ${actual}`);
    return;
  }
  assert.ok(
    Math.abs(actual - e) <= 1e-6 + 2e-6 * Math.abs(e),
    `${what}: expected ${e}, got ${actual}`,
  );
}

function run(c: GoldenCase): train.ClassificationResult {
  return train.classificationMetrics(tensor(c.metrics_t, { dtype: "float32" }), {
    numClasses: c.numClasses,
  });
}

describe(`classificationMetrics against PyTorch ${golden.torch_version}`, () => {
  for (const c of golden.cases) {
    test(c.name, () => {
      const r = run(c);
      assert.deepEqual(Object.keys(r.metrics).sort(), Object.keys(c.metrics).sort());
      for (const [k, v] of Object.entries(c.metrics)) close(r.metrics[k]!, v, `${c.name} ${k}`);
      assert.equal(r.total, c.metrics_t[0]!.length);
      if (c.numClasses === 2) {
        assert.equal(r.binary, true);
        const counts = c.counts!;
        const neg = r.perClass[0]!;
        const pos = r.perClass[1]!;
        assert.deepEqual(
          [neg.count, pos.count, neg.correct, pos.correct],
          [counts.neg_count, counts.pos_count, counts.neg_correct, counts.pos_correct],
        );
        c.tpr!.forEach((v, i) => {
          close(r.roc!.tpr[i]!, v, `${c.name} tpr[${i}]`);
        });
        c.fpr!.forEach((v, i) => {
          close(r.roc!.fpr[i]!, v, `${c.name} fpr[${i}]`);
        });
        // Rows of the confusion matrix are the label counts; the diagonal the correct ones.
        assert.deepEqual(
          r.confusion.map((row) => row[0]! + row[1]!),
          [counts.neg_count, counts.pos_count],
        );
        assert.deepEqual(
          [r.confusion[0]![0], r.confusion[1]![1]],
          [counts.neg_correct, counts.pos_correct],
        );
      } else {
        assert.equal(r.binary, false);
        assert.deepEqual(r.confusion, c.confusion);
        c.perClass!.forEach((s, k) => {
          const got = r.perClass[k]!;
          assert.equal(got.count, s.count, `${c.name} class ${k} count`);
          assert.equal(got.correct, s.correct, `${c.name} class ${k} correct`);
          for (const key of ["loss", "precision", "recall", "f1"] as const) {
            close(got[key], s[key], `${c.name} class ${k} ${key}`);
          }
        });
      }
    });
  }
});

describe("formatMetricsLines", () => {
  // Four samples, two per class. Rows label, pred, predP (of class 1), loss.
  // Negatives: sample 0 right (p 0.2), sample 1 wrong (p 0.7); positives: both wrong (p 0.4, 0.1).
  // TP 0, FP 1, TN 1, FN 2 → precision 0/1 = 0, recall 0/2 = 0, F1 = 0/0 = nan (the book's formula).
  // loss/all = (0.5 + 1.5 + 1 + 2) / 4 = 1.25; loss/neg = 1; loss/pos = 1.5; correct 1/4 = 25%.
  const m = tensor(
    [
      [0, 0, 1, 1],
      [0, 1, 0, 0],
      [0.2, 0.7, 0.4, 0.1],
      [0.5, 1.5, 1, 2],
    ],
    { dtype: "float32" },
  );

  test("binary: the book's lines, with nan", () => {
    const r = train.classificationMetrics(m, { numClasses: 2 });
    // Sorted by threshold: 0.7 (neg) → FPR 0.5; 0.4 (pos) → TPR 0.5; 0.2 (neg) → FPR 1;
    // 0.1 (pos) → TPR 1. Trapezoids: [0, 0.5] at TPR 0 → 0; [0.5, 1] between TPR 0.5 and 0.5
    // (TPR rises to 1 only after FPR is 1) → 0.25. AUC = 0.25.
    assert.deepEqual(formatLines(r), [
      "E3 trn      1.2500 loss,  25.0% correct, 0.0000 precision, 0.0000 recall, nan f1 score, 0.2500 auc",
      "E3 trn_neg  1.0000 loss,  50.0% correct (1 of 2)",
      "E3 trn_pos  1.5000 loss,   0.0% correct (0 of 2)",
    ]);
  });

  test("multi-class: per-class lines, a class without samples prints nan", () => {
    // Three classes; class 2 has no samples and no predictions.
    const r = train.classificationMetrics(m, { numClasses: 3, classNames: ["a", "b", "c"] });
    // Class a: 2 samples, predicted 3 times, 1 hit → P 1/3, R 1/2, F1 2/(2+2+1) = 0.4.
    // Class b: 2 samples, predicted once, 0 hits → P 0, R 0, F1 0.
    // Macro over defined: P (1/3 + 0)/2 = 0.1667, R 0.25, F1 0.2.
    assert.deepEqual(formatLines(r, "val", 1), [
      "E1 val      1.2500 loss,  25.0% correct, 0.1667 precision, 0.2500 recall, 0.2000 f1 score",
      "E1 val_a    1.0000 loss,  50.0% correct (1 of 2), 0.3333 precision, 0.5000 recall, 0.4000 f1 score",
      "E1 val_b    1.5000 loss,   0.0% correct (0 of 2), 0.0000 precision, 0.0000 recall, 0.0000 f1 score",
      // Python's "{:.4f}" has no width, so nan is not padded; "{:-5.1f}%" pads it to "  nan%".
      "E1 val_c    nan loss,   nan% correct (0 of 0), nan precision, nan recall, nan f1 score",
    ]);
    assert.deepEqual(r.confusion, [
      [1, 1, 0],
      [2, 0, 0],
      [0, 0, 0],
    ]);
  });
});

function formatLines(r: train.ClassificationResult, mode = "trn", epoch = 3): string[] {
  return train.formatMetricsLines(epoch, mode, r);
}

// Classification metrics computed the book's way: label and prediction masks from comparisons
// (`label.eq(0)`), counts by summing masks, per-class losses by boolean indexing
// (`metrics.index(METRICS_LOSS_NDX, negLabelMask)`). Depends on core/args, ops/creation and tensor.

import {
  arrayOf,
  checkArity,
  instanceOf,
  int,
  num as number,
  opt,
  parseArgs,
  signature,
  str,
} from "../core/args.ts";
import { linspace, zeros } from "../ops/creation.ts";
import { slice, Tensor } from "../tensor/tensor.ts";

// Kiln's own: the metrics tensor, then its options (numClasses required).
const METRICS = signature(
  "train.classificationMetrics",
  { metrics_t: instanceOf(Tensor, "a Tensor") },
  {
    numClasses: int,
    positiveClass: opt(int),
    threshold: opt(number),
    classNames: opt(arrayOf(str)),
  },
);

/** Row of the per-sample metrics tensor holding the true label. */
export const METRICS_LABEL_NDX = 0;
/** Row holding the predicted label (argmax). */
export const METRICS_PRED_NDX = 1;
/** Row holding the predicted probability of the positive class (binary) or of the predicted class. */
export const METRICS_PRED_P_NDX = 2;
/** Row holding the per-sample loss. */
export const METRICS_LOSS_NDX = 3;
/** Number of rows: the metrics tensor is [METRICS_SIZE, numSamples]. */
export const METRICS_SIZE = 4;

/**
 * Options of `classificationMetrics`: the number of classes (required) and how to read and name
 * them.
 */
export interface ClassificationOptions {
  /** Number of classes the labels and predictions range over (two makes the result binary). */
  numClasses: number;
  /** For two classes, which one is "positive" (default 1). */
  positiveClass?: number;
  /** Binary only: predicted positive when the positive probability is above it. Default 0.5. */
  threshold?: number;
  /** Names for per-class lines; default the class indices. */
  classNames?: readonly string[];
}

/** One class's line of the report: its samples, how many were predicted right, and its metrics. */
export interface ClassStats {
  name: string;
  count: number;
  correct: number;
  loss: number;
  precision: number;
  recall: number;
  f1: number;
}

/** Everything `classificationMetrics` computes from one epoch's metrics tensor. */
export interface ClassificationResult {
  /** The book's dictionary: "loss/all", "correct/all", "pr/precision", "pr/recall", "pr/f1_score", ... */
  metrics: Record<string, number>;
  binary: boolean;
  /** Binary only: the class counted as positive. */
  positiveClass?: number;
  total: number;
  perClass: ClassStats[];
  /** confusion[label][pred] counts. */
  confusion: number[][];
  /** Binary only: the ROC curve over 100 thresholds from 1 to 0 and its area (trapezoid rule). */
  roc?: { fpr: number[]; tpr: number[]; auc: number };
}

function num(t: Tensor): number {
  return Number(t.item());
}

/** 2PR / (P + R); NaN when undefined, as the book's float division gives. */
function f1(p: number, r: number): number {
  return (2 * p * r) / (p + r);
}

/**
 * Computes loss, accuracy, precision, recall and F1 from a `[METRICS_SIZE, N]` metrics tensor.
 * Two classes give the book's binary metrics (neg/pos masks, ROC AUC); more give one-vs-rest
 * metrics per class, macro averages over the classes where they are defined, and a confusion
 * matrix. Empty classes give NaN, never an exception.
 */
export function classificationMetrics(
  metrics_t: Tensor,
  options: ClassificationOptions,
): ClassificationResult {
  parseArgs(METRICS, arguments);
  const C = options.numClasses;
  const labels = metrics_t.index(METRICS_LABEL_NDX).int();
  const preds = metrics_t.index(METRICS_PRED_NDX).int();
  const total = labels.shape[0]!;
  const lossAll = num(metrics_t.index(METRICS_LOSS_NDX).mean());
  const confusion = confusionMatrix(labels, preds, C);
  const names = options.classNames ?? Array.from({ length: C }, (_, c) => String(c));
  if (C === 2) return binaryMetrics(metrics_t, options, total, lossAll, confusion, names);

  const perClass: ClassStats[] = [];
  const metrics: Record<string, number> = { "loss/all": lossAll };
  for (let c = 0; c < C; c++) {
    const posLabelMask = labels.eq(c);
    const posPredMask = preds.eq(c);
    const count = num(posLabelMask.sum());
    const predicted = num(posPredMask.sum());
    const truePos = num(posLabelMask.logicalAnd(posPredMask).sum());
    const precision = truePos / predicted;
    const recall = truePos / count;
    // NOTE: 2TP / (2TP + FP + FN), not 2PR / (P + R): equal where P and R are defined, but 0 for
    // a class that has samples or predictions and no hits, where 2PR/(P+R) is 0/0 and the class
    // would drop out of the macro mean (raising macro F1). NaN only with no samples and no predictions.
    const f1Score = (2 * truePos) / (predicted + count);
    const stats: ClassStats = {
      name: names[c] ?? String(c),
      count,
      correct: truePos,
      loss: num(metrics_t.index(METRICS_LOSS_NDX, posLabelMask).mean()),
      precision,
      recall,
      f1: f1Score,
    };
    perClass.push(stats);
    metrics[`loss/${stats.name}`] = stats.loss;
    metrics[`correct/${stats.name}`] = recall * 100;
  }
  const correct = num(labels.eq(preds).sum());
  metrics["correct/all"] = (correct / total) * 100;
  metrics["pr/precision"] = definedMean(perClass.map((s) => s.precision));
  metrics["pr/recall"] = definedMean(perClass.map((s) => s.recall));
  metrics["pr/f1_score"] = definedMean(perClass.map((s) => s.f1));
  return { metrics, binary: false, total, perClass, confusion };
}

function definedMean(values: readonly number[]): number {
  const ok = values.filter((v) => !Number.isNaN(v));
  return ok.length === 0 ? Number.NaN : ok.reduce((a, b) => a + b, 0) / ok.length;
}

function binaryMetrics(
  metrics_t: Tensor,
  options: ClassificationOptions,
  total: number,
  lossAll: number,
  confusion: number[][],
  names: readonly string[],
): ClassificationResult {
  const positive = options.positiveClass ?? 1;
  const threshold = options.threshold ?? 0.5;
  const negLabelMask = metrics_t.index(METRICS_LABEL_NDX).ne(positive);
  const posLabelMask = negLabelMask.logicalNot();
  const negPredMask = metrics_t.index(METRICS_PRED_P_NDX).le(threshold);
  const posPredMask = negPredMask.logicalNot();

  const negCount = num(negLabelMask.sum());
  const posCount = num(posLabelMask.sum());
  const trueNeg = num(negLabelMask.logicalAnd(negPredMask).sum());
  const truePos = num(posLabelMask.logicalAnd(posPredMask).sum());
  const falsePos = negCount - trueNeg;
  const falseNeg = posCount - truePos;

  const precision = truePos / (truePos + falsePos);
  const recall = truePos / (truePos + falseNeg);
  const lossNeg = num(metrics_t.index(METRICS_LOSS_NDX, negLabelMask).mean());
  const lossPos = num(metrics_t.index(METRICS_LOSS_NDX, posLabelMask).mean());
  const roc = rocCurve(metrics_t, posLabelMask, negLabelMask, posCount, negCount);
  const metrics: Record<string, number> = {
    "loss/all": lossAll,
    "loss/neg": lossNeg,
    "loss/pos": lossPos,
    "correct/all": ((truePos + trueNeg) / total) * 100,
    "correct/neg": (trueNeg / negCount) * 100,
    "correct/pos": (truePos / posCount) * 100,
    "pr/precision": precision,
    "pr/recall": recall,
    "pr/f1_score": f1(precision, recall),
    auc: roc.auc,
  };
  const negPrecision = trueNeg / (trueNeg + falseNeg);
  const negRecall = trueNeg / negCount;
  const negative = 1 - positive;
  const perClass: ClassStats[] = [];
  perClass[negative] = {
    name: names[negative] ?? "neg",
    count: negCount,
    correct: trueNeg,
    loss: lossNeg,
    precision: negPrecision,
    recall: negRecall,
    f1: f1(negPrecision, negRecall),
  };
  perClass[positive] = {
    name: names[positive] ?? "pos",
    count: posCount,
    correct: truePos,
    loss: lossPos,
    precision,
    recall,
    f1: f1(precision, recall),
  };
  return { metrics, binary: true, positiveClass: positive, total, perClass, confusion, roc };
}

// Chapter 14's ROC: for thresholds 1 → 0, TPR and FPR from predictions compared against a
// threshold column (broadcasting [100, 1] against [1, n]), then the trapezoid rule.
function rocCurve(
  metrics_t: Tensor,
  posLabelMask: Tensor,
  negLabelMask: Tensor,
  posCount: number,
  negCount: number,
): { fpr: number[]; tpr: number[]; auc: number } {
  const threshold = linspace(1, 0, 100).index(slice(), null);
  const tpr = metrics_t
    .index(null, METRICS_PRED_P_NDX, posLabelMask)
    .ge(threshold)
    .sum(1)
    .float()
    .div(posCount);
  const fpr = metrics_t
    .index(null, METRICS_PRED_P_NDX, negLabelMask)
    .ge(threshold)
    .sum(1)
    .float()
    .div(negCount);
  const fpDiff = fpr.index(slice(1)).sub(fpr.index(slice(null, -1)));
  const tpAvg = tpr
    .index(slice(1))
    .add(tpr.index(slice(null, -1)))
    .div(2);
  const auc = num(fpDiff.mul(tpAvg).sum());
  return { fpr: Array.from(fpr.dataSync()), tpr: Array.from(tpr.dataSync()), auc };
}

/** confusion[label][pred]: counts of each (label, prediction) pair, by a scatter-add. */
export function confusionMatrix(labels: Tensor, preds: Tensor, numClasses: number): number[][] {
  checkArity("train.confusionMatrix", arguments, 3);
  const flat = labels.mul(numClasses).add(preds);
  const counts = zeros([numClasses * numClasses], { dtype: "int32" }).scatterAdd(
    0,
    flat,
    flat.eq(flat).int(),
  );
  const data = counts.dataSync();
  return Array.from({ length: numClasses }, (_, r) =>
    Array.from(data.subarray(r * numClasses, (r + 1) * numClasses)),
  );
}

/** Python's "{:W.Df}" with "nan" for NaN. */
export function fmt(v: number, digits: number, width = 0): string {
  const s = Number.isNaN(v)
    ? "nan"
    : Number.isFinite(v)
      ? v.toFixed(digits)
      : v > 0
        ? "inf"
        : "-inf";
  return s.padStart(width);
}

/**
 * The book's log lines: one for all samples, then one per class, e.g.
 * `E1 trn      0.2563 loss,  93.1% correct, 0.8912 precision, 0.9011 recall, 0.8961 f1 score` and
 * `E1 trn_neg  0.1423 loss,  95.2% correct (10345 of 10867)`.
 */
export function formatMetricsLines(epoch: number, mode: string, r: ClassificationResult): string[] {
  checkArity("train.formatMetricsLines", arguments, 3);
  const m = r.metrics;
  const lines = [
    `E${epoch} ${mode.padEnd(8)} ${fmt(m["loss/all"]!, 4)} loss, ${fmt(m["correct/all"]!, 1, 5)}% correct, ` +
      `${fmt(m["pr/precision"]!, 4)} precision, ${fmt(m["pr/recall"]!, 4)} recall, ${fmt(m["pr/f1_score"]!, 4)} f1 score` +
      (r.binary ? `, ${fmt(m.auc!, 4)} auc` : ""),
  ];
  r.perClass.forEach((s, c) => {
    const tag = r.binary ? (c === r.positiveClass ? "pos" : "neg") : s.name;
    let line =
      `E${epoch} ${`${mode}_${tag}`.padEnd(8)} ${fmt(s.loss, 4)} loss, ` +
      `${fmt((s.correct / s.count) * 100, 1, 5)}% correct (${s.correct} of ${s.count})`;
    if (!r.binary) {
      line += `, ${fmt(s.precision, 4)} precision, ${fmt(s.recall, 4)} recall, ${fmt(s.f1, 4)} f1 score`;
    }
    lines.push(line);
  });
  return lines;
}

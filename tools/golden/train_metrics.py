"""Golden fixtures for Kiln's train.classificationMetrics: the book's logMetrics computed with torch.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/train_metrics.py
Writes test/golden/train/metrics.json.

Each case is a seeded metrics tensor [4, N] with rows label, pred (argmax), predP (probability of
the positive class for binary, of the predicted class otherwise) and loss, as Kiln's TrainingApp
fills it. Binary cases follow "Deep Learning with PyTorch" chapters 12 and 14 (p2ch12/p2ch14
training.py, logMetrics): label and prediction masks, counts by .sum(), losses by
metrics[LOSS, mask].mean(), precision and recall with float32 divisions, F1 = 2PR/(P+R), and the
chapter 14 ROC AUC over torch.linspace(1, 0) thresholds with the trapezoid rule. Multi-class cases
apply the same masks one-vs-rest per class. NaN (written as the string "nan") wherever the
computation divides by zero.
"""

import json
import math
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "train")

LABEL, PRED, PRED_P, LOSS = 0, 1, 2, 3


def jsonable(x):
    if isinstance(x, torch.Tensor):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return "nan" if math.isnan(x) else x
    if isinstance(x, np.integer):
        return int(x)
    return x


def f32div(a, b):
    # The book divides by np.float32 counts: 0/0 gives nan (with a warning), never an exception.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.float32(a) / np.float32(b)


def binary_metrics(metrics_t, threshold=0.5):
    """p2ch12 logMetrics (prediction mask from the probability row) plus p2ch14's ROC AUC."""
    negLabel_mask = metrics_t[LABEL] <= threshold
    negPred_mask = metrics_t[PRED_P] <= threshold
    # p2ch14 masks the argmax row instead; for two classes the two agree (ties go to class 0).
    assert torch.equal(negPred_mask, metrics_t[PRED] == 0)
    posLabel_mask = ~negLabel_mask
    posPred_mask = ~negPred_mask

    neg_count = int(negLabel_mask.sum())
    pos_count = int(posLabel_mask.sum())
    neg_correct = int((negLabel_mask & negPred_mask).sum())
    pos_correct = int((posLabel_mask & posPred_mask).sum())
    trueNeg_count = neg_correct
    truePos_count = pos_correct
    falsePos_count = neg_count - neg_correct
    falseNeg_count = pos_count - pos_correct

    d = {}
    d["loss/all"] = metrics_t[LOSS].mean().item()
    d["loss/neg"] = metrics_t[LOSS, negLabel_mask].mean().item()
    d["loss/pos"] = metrics_t[LOSS, posLabel_mask].mean().item()
    d["correct/all"] = f32div(pos_correct + neg_correct, metrics_t.shape[1]) * 100
    d["correct/neg"] = f32div(neg_correct, neg_count) * 100
    d["correct/pos"] = f32div(pos_correct, pos_count) * 100
    precision = d["pr/precision"] = f32div(truePos_count, truePos_count + falsePos_count)
    recall = d["pr/recall"] = f32div(truePos_count, truePos_count + falseNeg_count)
    with np.errstate(invalid="ignore"):
        d["pr/f1_score"] = 2 * (precision * recall) / (precision + recall)

    threshold_t = torch.linspace(1, 0, 100)
    tpr = (metrics_t[None, PRED_P, posLabel_mask] >= threshold_t[:, None]).sum(1).float() / pos_count
    fpr = (metrics_t[None, PRED_P, negLabel_mask] >= threshold_t[:, None]).sum(1).float() / neg_count
    fp_diff = fpr[1:] - fpr[:-1]
    tp_avg = (tpr[1:] + tpr[:-1]) / 2
    d["auc"] = (fp_diff * tp_avg).sum().item()

    counts = {
        "neg_count": neg_count,
        "pos_count": pos_count,
        "neg_correct": neg_correct,
        "pos_correct": pos_correct,
    }
    return {"metrics": d, "counts": counts, "tpr": tpr, "fpr": fpr}


def multiclass_metrics(metrics_t, num_classes):
    """The binary masks one-vs-rest per class, macro means over the defined values, a confusion matrix.

    Per-class F1 is 2TP / (2TP + FP + FN), which equals 2PR/(P+R) where both are defined and is 0
    (not nan) for a class that has samples or predictions but no hits, so a class the model gets
    entirely wrong lowers the macro F1 instead of dropping out of it. nan only when the class has
    neither samples nor predictions.
    """
    labels = metrics_t[LABEL].long()
    preds = metrics_t[PRED].long()
    d = {"loss/all": metrics_t[LOSS].mean().item()}
    per_class = []
    for c in range(num_classes):
        posLabel_mask = labels == c
        posPred_mask = preds == c
        count = int(posLabel_mask.sum())
        predicted = int(posPred_mask.sum())
        tp = int((posLabel_mask & posPred_mask).sum())
        precision = f32div(tp, predicted)
        recall = f32div(tp, count)
        f1 = f32div(2 * tp, 2 * tp + (predicted - tp) + (count - tp))
        loss = metrics_t[LOSS, posLabel_mask].mean().item()
        per_class.append(
            {"count": count, "correct": tp, "loss": loss, "precision": precision, "recall": recall, "f1": f1}
        )
        d[f"loss/{c}"] = loss
        d[f"correct/{c}"] = recall * 100
    d["correct/all"] = f32div(int((labels == preds).sum()), labels.shape[0]) * 100

    def defined_mean(key):
        vals = [float(s[key]) for s in per_class if not math.isnan(float(s[key]))]
        return float("nan") if not vals else sum(vals) / len(vals)

    d["pr/precision"] = defined_mean("precision")
    d["pr/recall"] = defined_mean("recall")
    d["pr/f1_score"] = defined_mean("f1")
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long)
    confusion.index_put_((labels, preds), torch.ones_like(labels), accumulate=True)
    return {"metrics": d, "perClass": per_class, "confusion": confusion}


def make(n, num_classes, g, absent=(), never_predicted=(), pos_prob_cap=None, only_neg=False):
    """A seeded metrics tensor [4, n] as TrainingApp.computeBatchLoss fills it."""
    logits = torch.randn(n, num_classes, generator=g) * 1.5
    for c in never_predicted:
        logits[:, c] = -1e4
    probs = torch.softmax(logits, 1)
    if pos_prob_cap is not None:
        probs = torch.stack([1 - probs[:, 1].clamp(max=pos_prob_cap), probs[:, 1].clamp(max=pos_prob_cap)], 1)
    values, pred = probs.max(1)
    labels = torch.randint(0, num_classes, (n,), generator=g)
    # Bias labels towards predictions so the metrics are not those of pure chance.
    agree = torch.rand(n, generator=g) < 0.6
    labels = torch.where(agree, pred, labels)
    for c in absent:
        labels[labels == c] = (c + 1) % num_classes
    if only_neg:
        labels.zero_()
    loss = torch.nn.functional.cross_entropy(torch.log(probs.clamp(min=1e-12)), labels, reduction="none")
    pred_p = probs[:, 1] if num_classes == 2 else values
    return torch.stack([labels.float(), pred.float(), pred_p.float(), loss.float()])


def main():
    g = torch.Generator().manual_seed(12)
    cases = []

    def add(name, metrics_t, num_classes):
        case = {"name": name, "numClasses": num_classes, "metrics_t": metrics_t}
        if num_classes == 2:
            case.update(binary_metrics(metrics_t))
        else:
            case.update(multiclass_metrics(metrics_t, num_classes))
        cases.append(case)

    add("binary", make(300, 2, g), 2)
    add("binary_no_pos_pred", make(64, 2, g, pos_prob_cap=0.45), 2)
    add("binary_no_pos_label", make(40, 2, g, only_neg=True), 2)
    add("multiclass", make(500, 10, g), 10)
    add("multiclass_absent_class", make(200, 10, g, absent=(3, 7), never_predicted=(5,)), 10)

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "metrics.json"), "w") as f:
        json.dump(jsonable({"torch_version": torch.__version__, "cases": cases}), f)
        f.write("\n")


if __name__ == "__main__":
    main()

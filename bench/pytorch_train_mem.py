# PyTorch's side of bench/run.ts's memory rows: the job `kiln train --epochs 1` does, written as a
# PyTorch user writes it, run in its own process so that its peak RSS (VmHWM) is the job's own:
# MNIST read from the IDX files into one float32 tensor in [0, 1], normalised with its own mean and
# std (as kiln train), a shuffling DataLoader of batch 64 over a TensorDataset, the seed's MLP
# (784-128-10), SGD lr 0.01 momentum 0.9, one epoch, then validation over the 10,000 test images.
# argv[1] = the MNIST IDX folder; argv[2] = "uint8" keeps the images as bytes and normalises each
# batch in the loop (what kiln train does since it keeps bytes), for a like-for-like row.
# Prints one JSON line. Depends on torch 1.13 and numpy only.
import json, sys, time
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
mnist = sys.argv[1]
keep_bytes = len(sys.argv) > 2 and sys.argv[2] == "uint8"


def idx(path, off):
    return np.fromfile(path, dtype=np.uint8)[off:]


def images(path):
    return torch.from_numpy(idx(path, 16)).reshape(-1, 1, 28, 28)


def labels(path):
    return torch.from_numpy(idx(path, 8).astype(np.int64))


class NeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


t0 = time.perf_counter()
x = images(f"{mnist}/train-images-idx3-ubyte")
y = labels(f"{mnist}/train-labels-idx1-ubyte")
xv = images(f"{mnist}/t10k-images-idx3-ubyte")
yv = labels(f"{mnist}/t10k-labels-idx1-ubyte")
if keep_bytes:
    # the statistics chunk by chunk in float64, with no full-size float copy (as kiln train)
    chunks = x.split(6000)
    mean = sum((c.float() / 255).double().sum().item() for c in chunks) / x.numel()
    var = sum(((c.float() / 255).double() - mean).pow(2).sum().item() for c in chunks) / x.numel()
    std = var ** 0.5
    x, xv = x.reshape(len(x), -1), xv.reshape(len(xv), -1)

    def prepare(xb):
        return (xb.float() / 255 - mean) / std
else:
    x, xv = x.float().div_(255), xv.float().div_(255)
    mean, std = x.mean().item(), x.std(unbiased=False).item()
    x = x.sub_(mean).div_(std).reshape(len(x), -1)
    xv = xv.sub_(mean).div_(std).reshape(len(xv), -1)

    def prepare(xb):
        return xb
train = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True)
val = DataLoader(TensorDataset(xv, yv), batch_size=64)
model = NeuralNet()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
model.train()
for xb, yb in train:
    opt.zero_grad()
    loss_fn(model(prepare(xb)), yb).backward()
    opt.step()
model.eval()
correct = 0
with torch.no_grad():
    for xb, yb in val:
        correct += (model(prepare(xb)).argmax(1) == yb).sum().item()
seconds = time.perf_counter() - t0
hwm = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
print(json.dumps({"torch": torch.__version__, "keep_bytes": keep_bytes, "peak_rss_kb": hwm, "seconds": seconds,
                  "val_accuracy": 100 * correct / len(yv)}))

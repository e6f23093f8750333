"""Checks that a checkpoint written by `kiln train` loads into PyTorch.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/train_checkpoint_check.py <weights.safetensors>
Parses the safetensors file by hand (8-byte little-endian header length, JSON header, raw
little-endian data; no safetensors package needed), builds the seed's NeuralNet (fc1: Linear(784,
128), ReLU, fc2: Linear(128, 10)) and calls load_state_dict(strict=True). Prints one JSON line:
the torch version, the keys and shapes, and the logits' argmax of a fixed input, so a caller can
compare with Kiln. Exit code 1 when PyTorch rejects the state dict.
"""

import json
import struct
import sys

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        a, b = info["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a : 8 + n + b], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


class NeuralNet(torch.nn.Module):
    def __init__(self, in_features=784, hidden=128, num_classes=10):
        super().__init__()
        self.fc1 = torch.nn.Linear(in_features, hidden)
        self.fc2 = torch.nn.Linear(hidden, num_classes)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    state = read_safetensors(sys.argv[1])
    model = NeuralNet()
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:
        print(json.dumps({"ok": False, "error": str(e)}))
        sys.exit(1)
    x = torch.linspace(-1, 1, 784).reshape(1, 784)
    with torch.no_grad():
        logits = model(x)
    print(
        json.dumps(
            {
                "ok": True,
                "torch_version": torch.__version__,
                "shapes": {k: list(v.shape) for k, v in state.items()},
                "logits": logits[0].tolist(),
            }
        )
    )


if __name__ == "__main__":
    main()

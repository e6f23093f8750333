"""Golden `.pt` fixtures for Kiln's loadTorch, written by PyTorch's own torch.save.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/torch_pt.py
Writes into test/golden/io-torch/:
  mlp.pt        the seed's NeuralNet (Linear 784->128, ReLU, Linear 128->10) state_dict
  cnn.pt        a small CNN (conv, BatchNorm2d with running stats, fc) state_dict, in eval mode
  dtypes.pt     every storage dtype, shared storages, non-contiguous views, nested containers
  int64_overflow.pt   an int64 value that does not fit in int32
  evil_*.pt / evil_*.pkl   files whose pickles try to run code (os.system, builtins.eval, ...)
  expected.json the expected values (a tree mirroring each loaded value) and the logits
"""

import collections
import json
import math
import os
import pickle
import subprocess

import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "io-torch")


class NeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class SmallCNN(nn.Module):
    """input [N, 1, 8, 8] -> conv 3x3 pad 1 -> bn -> relu -> maxpool 2 -> flatten 64 -> fc 3."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(64, 3)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.fc(x.flatten(1))


def scalar(v):
    """JSON has no inf/nan and loses ints beyond 2**53: those become tagged strings."""
    if isinstance(v, float) and not math.isfinite(v):
        return {"__float__": str(v)}
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return {"__int__": str(v)}
    return v


def describe(x, storages):
    """A JSON tree mirroring what loadTorch should return for x."""
    if isinstance(x, torch.Tensor):
        key = x.untyped_storage().data_ptr() if hasattr(x, "untyped_storage") else x.storage().data_ptr()
        storages.setdefault(key, len(storages))
        flat = x.detach().flatten()
        if x.dtype in (torch.float16, torch.bfloat16):
            flat = flat.float()
        return {
            "__tensor__": {
                "torchDtype": str(x.dtype).replace("torch.", ""),
                "shape": list(x.shape),
                "stride": list(x.stride()),
                "offset": x.storage_offset(),
                "storage": storages[key],
                "parameter": isinstance(x, nn.Parameter),
                "values": [scalar(v) for v in flat.tolist()],
            }
        }
    if isinstance(x, dict):
        return {"__dict__": [[k, describe(v, storages)] for k, v in x.items()]}
    if isinstance(x, tuple):
        return {"__tuple__": [describe(v, storages) for v in x]}
    if isinstance(x, list):
        return [describe(v, storages) for v in x]
    return scalar(x)


def summary(sd):
    """Shape, float64 sum and the first values of each tensor of a large state dict."""
    return {
        k: {
            "shape": list(v.shape),
            "torchDtype": str(v.dtype).replace("torch.", ""),
            "sum": v.double().sum().item(),
            "absSum": v.double().abs().sum().item(),
            "head": v.flatten()[:8].tolist(),
        }
        for k, v in sd.items()
    }


class Evil:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    expected = {"torch": torch.__version__}

    mlp = NeuralNet()
    x_mlp = torch.randn(2, 784)
    torch.save(mlp.state_dict(), os.path.join(OUT, "mlp.pt"))
    expected["mlp"] = {
        "keys": list(mlp.state_dict().keys()),
        "summary": summary(mlp.state_dict()),
        "input": x_mlp.tolist(),
        "logits": mlp(x_mlp).tolist(),
    }

    cnn = SmallCNN()
    with torch.no_grad():
        cnn.bn.weight.uniform_(0.5, 1.5)
        cnn.bn.bias.uniform_(-0.5, 0.5)
    cnn.train()
    for _ in range(3):
        cnn(torch.randn(4, 1, 8, 8))
    cnn.eval()
    x_cnn = torch.randn(2, 1, 8, 8)
    torch.save(cnn.state_dict(), os.path.join(OUT, "cnn.pt"))
    storages = {}
    expected["cnn"] = {
        "keys": list(cnn.state_dict().keys()),
        "tensors": describe(cnn.state_dict(), storages),
        "input": x_cnn.tolist(),
        "logits": cnn(x_cnn).tolist(),
    }

    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    ints = torch.tensor([0, -1, 7, 2**31 - 1, -(2**31)], dtype=torch.int64)
    dtypes = collections.OrderedDict()
    dtypes["float32"] = torch.randn(3, 4)
    dtypes["float64"] = torch.randn(2, 3, dtype=torch.float64)
    dtypes["float16"] = torch.tensor([0.0, -1.5, 65504.0, 6e-8, float("inf"), 0.1], dtype=torch.float16)
    dtypes["bfloat16"] = torch.tensor([0.0, -1.5, 3.0e38, 1e-3, float("-inf"), 0.1], dtype=torch.bfloat16)
    dtypes["int64"] = ints
    dtypes["int32"] = ints.to(torch.int32)
    dtypes["int16"] = torch.tensor([0, -1, 32767, -32768], dtype=torch.int16)
    dtypes["int8"] = torch.tensor([0, -1, 127, -128], dtype=torch.int8)
    dtypes["uint8"] = torch.tensor([0, 1, 128, 255], dtype=torch.uint8)
    dtypes["bool"] = torch.tensor([[True, False], [False, True]])
    dtypes["scalar"] = torch.tensor(3.5)
    dtypes["empty"] = torch.zeros(0, 3)
    dtypes["base"] = base
    dtypes["slice"] = base[1:3, 2:5]
    dtypes["transposed"] = base.t()
    dtypes["stepped"] = base[:, ::2]
    dtypes["row"] = base[3]
    dtypes["parameter"] = nn.Parameter(torch.randn(2, 2))
    dtypes["nested"] = {
        "list": [base[0], 2, 3.5, "text", None, True, False],
        "tuple": (dtypes["int64"][1:], (1, 2), ()),
        "ordered": collections.OrderedDict([("z", torch.ones(2, dtype=torch.float64)), ("a", -7)]),
        "numbers": [2**40, -(2**70), 1e-300, float("inf")],
        "empty": {},
    }
    torch.save(dtypes, os.path.join(OUT, "dtypes.pt"))
    storages = {}
    expected["dtypes"] = describe(dtypes, storages)

    torch.save({"big": torch.tensor([1, 2**40])}, os.path.join(OUT, "int64_overflow.pt"))

    # Pickles that try to run code. The .pt ones go through torch.save's zip container; the .pkl
    # ones are bare pickles (protocol 2 and 0) for the unpickler itself.
    evil = {
        "os_system": Evil(os.system, "echo pwned"),
        "eval": Evil(eval, "__import__('os').system('echo pwned')"),
        "subprocess": Evil(subprocess.Popen, ["echo", "pwned"]),
        "getattr": Evil(getattr, "", "join"),
    }
    for name, obj in evil.items():
        torch.save({"weight": torch.zeros(1), "payload": obj}, os.path.join(OUT, f"evil_{name}.pt"))
        with open(os.path.join(OUT, f"evil_{name}.pkl"), "wb") as f:
            pickle.dump(obj, f, protocol=2)
    with open(os.path.join(OUT, "evil_os_system_p0.pkl"), "wb") as f:
        pickle.dump(evil["os_system"], f, protocol=0)
    with open(os.path.join(OUT, "evil_os_system_p4.pkl"), "wb") as f:
        pickle.dump(evil["os_system"], f, protocol=4)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, allow_nan=False)
        f.write("\n")


if __name__ == "__main__":
    main()

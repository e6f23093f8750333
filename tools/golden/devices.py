"""Golden values for Kiln's devices, save/load at the root, and the tolist/dim/elementSize/type
Tensor methods, from PyTorch's own torch.device, Tensor.to, Tensor.tolist and torch.save.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/devices.py
Writes into test/golden/devices/:
  devices.json    what torch.device accepts and how it prints, which Tensor.to forms return self,
                  element sizes, type names, tolist values, and the contents of torch_saved.pt
  torch_saved.pt  a state dict and a nested {model, epoch, ...} checkpoint saved by torch.save
"""

import collections
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "devices")

DTYPES = {
    "float32": torch.float32,
    "float64": torch.float64,
    "int32": torch.int32,
    "bool": torch.bool,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
}


def parse_device(*args):
    try:
        d = torch.device(*args)
        return {"ok": True, "str": str(d), "type": d.type, "index": d.index}
    except Exception as e:  # noqa: BLE001 -- recording what PyTorch rejects
        return {"ok": False, "error": str(e).splitlines()[0]}


def device_cases():
    strings = ["cpu", "cpu:0", "cpu:1", "cpu:12", "cpu:", "cpu:-1", "cpu:01", " cpu", "CPU",
               "cpu:0:0", "cpu:a", "cpu:+1", "cuda", "cuda:0", "mps", "meta", "wasm", "foo"]
    pairs = [["cpu", 0], ["cpu", 3], ["cpu", None], ["cpu:0", 0], ["cpu", -1], ["cuda", 1]]
    return {
        "strings": [{"input": s, **parse_device(s)} for s in strings],
        "pairs": [{"input": p, **parse_device(*p)} for p in pairs],
    }


def to_cases():
    """Which Tensor.to forms return the tensor itself, and the dtype/device of the result."""
    x = torch.tensor([1.5, -2.0], dtype=torch.float32)
    xi = torch.tensor([1, 2], dtype=torch.int32)
    forms = {
        "dtype same": lambda: x.to(torch.float32),
        "dtype other": lambda: x.to(torch.float64),
        "dtype same copy": lambda: x.to(torch.float32, copy=True),
        "dtype same positional copy": lambda: x.to(torch.float32, False, True),
        "device cpu": lambda: x.to("cpu"),
        "device cpu:0": lambda: x.to("cpu:0"),
        "device object": lambda: x.to(torch.device("cpu")),
        "device cpu copy": lambda: x.to("cpu", copy=True),
        "device and same dtype": lambda: x.to("cpu", torch.float32),
        "device and other dtype": lambda: x.to("cpu", torch.float64),
        "keywords device dtype": lambda: x.to(device="cpu", dtype=torch.float64),
        "keyword dtype same": lambda: x.to(dtype=torch.float32),
        "keyword copy only": lambda: x.to(copy=True),
        "no arguments": lambda: x.to(),
        "other same dtype": lambda: x.to(torch.zeros(1)),
        "other int32": lambda: x.to(xi),
        "other copy": lambda: x.to(torch.zeros(1), copy=True),
        "type() cast same": lambda: x.type(torch.float32),
        "type() cast other": lambda: x.type(torch.float64),
        "type() name other": lambda: x.type("torch.DoubleTensor"),
        "cpu()": lambda: x.cpu(),
    }
    out = {}
    for name, f in forms.items():
        y = f()
        out[name] = {
            "isSelf": y is x,
            "dtype": str(y.dtype).replace("torch.", ""),
            "device": str(y.device),
            "values": y.tolist(),
        }
    return out


def per_dtype():
    out = {}
    for name, dt in DTYPES.items():
        t = torch.zeros(2, 3, dtype=dt)
        out[name] = {"elementSize": t.element_size(), "type": t.type(), "dim": t.dim()}
    return out


def tolist_cases():
    cases = {
        "0-d float32": torch.tensor(0.1),
        "0-d float64": torch.tensor(0.1, dtype=torch.float64),
        "0-d int32": torch.tensor(-7, dtype=torch.int32),
        "0-d bool": torch.tensor(True),
        "1-d float32": torch.tensor([0.1, -2.5, 3.0]),
        "2-d int32": torch.arange(6, dtype=torch.int32).reshape(2, 3),
        "2-d bool": torch.tensor([[True, False], [False, True]]),
        "transposed float64": torch.arange(6, dtype=torch.float64).reshape(2, 3).t() / 4,
        "float16": torch.tensor([0.1, 65504.0, -1.0], dtype=torch.float16),
        "bfloat16": torch.tensor([0.1, 3.0, -1.0], dtype=torch.bfloat16),
        "empty": torch.zeros(0),
        "2x0": torch.zeros(2, 0),
    }
    out = {}
    for name, t in cases.items():
        out[name] = {
            "dtype": str(t.dtype).replace("torch.", ""),
            "shape": list(t.shape),
            # the input, as float64 values in row-major order (float16/bfloat16 exactly representable)
            "flat": t.double().flatten().tolist() if t.dtype != torch.bool else t.flatten().tolist(),
            "tolist": t.tolist(),
        }
    return out


def saved_file():
    """A PyTorch-written checkpoint for Kiln's load: a state dict inside a nested dict."""
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    bn = torch.nn.BatchNorm1d(2)
    sd = collections.OrderedDict()
    for k, v in lin.state_dict().items():
        sd["fc." + k] = v
    for k, v in bn.state_dict().items():
        sd["bn." + k] = v
    ckpt = {"model": sd, "epoch": 7, "lr": 0.125, "name": "ckpt", "steps": [1, 2, 3]}
    torch.save(ckpt, os.path.join(OUT, "torch_saved.pt"))
    return {
        "model": {
            k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                "values": v.double().flatten().tolist()}
            for k, v in sd.items()
        },
        "epoch": 7,
        "lr": 0.125,
        "name": "ckpt",
        "steps": [1, 2, 3],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    golden = {
        "torch": torch.__version__,
        "devices": device_cases(),
        "to": to_cases(),
        "perDtype": per_dtype(),
        "tolist": tolist_cases(),
        "torchSaved": saved_file(),
    }
    with open(os.path.join(OUT, "devices.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

"""Checks that PyTorch accepts a Kiln-written safetensors file as a state dict.

Usage: /usr/bin/python3 tools/check_safetensors_torch.py FILE [FILE.expected.json]

Uses the `safetensors` package when installed; Debian 12 does not package it, so otherwise it reads
the file with an independent struct + json reader (the published format: u64 little-endian header
length, JSON header, raw little-endian data) and builds tensors with torch.frombuffer. Then it
loads them into the seed's NeuralNet (Linear(784, 128) → ReLU → Linear(128, 10)) with
`load_state_dict(strict=True)` and, given Kiln's expected.json (tools/io_kiln_sample.ts), compares
the tensor sums and a forward pass with what Kiln computed.
"""

import json
import os
import struct
import sys

import torch

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
          "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
          "U8": torch.uint8, "BOOL": torch.bool}


def load(path):
    try:
        from safetensors.torch import load_file  # noqa: PLC0415

        print("reader: safetensors", __import__("safetensors").__version__)
        return load_file(path)
    except ImportError:
        print("reader: independent struct+json reader (python3 safetensors package not installed)")
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    assert n % 8 == 0, f"header length {n} is not 8-byte aligned"
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    print("metadata:", header.pop("__metadata__", None))
    data = blob[8 + n:]
    out, end = {}, 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, e = info["data_offsets"]
        assert b == end, f"{name}: offsets not contiguous"
        end = e
        dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"])
    assert end == len(data), "data section not fully covered"
    return out


class NeuralNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 128)
        self.fc2 = torch.nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def main():
    path = sys.argv[1]
    expected_path = sys.argv[2] if len(sys.argv) > 2 else path + ".expected.json"
    state = load(path)
    print("torch", torch.__version__)
    for k, v in state.items():
        print(f"  {k}: {tuple(v.shape)} {v.dtype}")
    model = NeuralNet()
    result = model.load_state_dict(state, strict=True)
    print("load_state_dict(strict=True):", result)
    if os.path.exists(expected_path):
        with open(expected_path) as f:
            exp = json.load(f)
        for k, s in exp["sums"].items():
            got = state[k].double().sum().item()
            assert abs(got - s) <= 1e-9 * max(1.0, abs(s)), f"{k}: sum {got} != Kiln's {s}"
        x = torch.tensor(exp["input"], dtype=torch.float32).reshape(-1, 784)
        with torch.no_grad():
            y = model(x).reshape(-1)
        diff = (y - torch.tensor(exp["output"], dtype=torch.float32)).abs().max().item()
        print(f"tensor sums match Kiln's; forward pass max |torch - kiln| = {diff:.3g}")
        assert diff < 1e-5, "forward pass differs"
    print("OK")


if __name__ == "__main__":
    main()

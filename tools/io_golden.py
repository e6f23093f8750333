"""Writes safetensors fixtures for Kiln's io tests, with Debian's PyTorch (/usr/bin/python3).

The `safetensors` Python package is not packaged for Debian 12, so this script writes the format
itself with struct + json, following the published spec and the reference writer's layout
(tensors sorted by descending dtype alignment, then by name; header padded with spaces to a
multiple of 8). The tensor bytes come from torch, and the expected values are torch's own
conversions (`.float().tolist()` for F16/BF16), so Kiln's decoders are checked against PyTorch.

Run: /usr/bin/python3 tools/io_golden.py   (writes test/golden/io/)
"""

import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "golden", "io")

# dtype name, item size, and alignment rank (the reference crate's Dtype enum order).
FILE_DTYPE = {
    torch.bool: "BOOL",
    torch.uint8: "U8",
    torch.int8: "I8",
    torch.int16: "I16",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int32: "I32",
    torch.float32: "F32",
    torch.float64: "F64",
    torch.int64: "I64",
}
RANK = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32",
        "F32", "F64", "I64", "U64"]
KILN_DTYPE = {"BOOL": "bool", "U8": "int32", "I8": "int32", "I16": "int32", "I32": "int32",
              "I64": "int32", "F16": "float32", "BF16": "float32", "F32": "float32", "F64": "float64"}


def raw_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-RANK.index(FILE_DTYPE[kv[1].dtype]), kv[0].encode()))
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    for name, t in items:
        b = raw_bytes(t)
        header[name] = {"dtype": FILE_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)))
        f.write(js)
        for b in blobs:
            f.write(b)


def expected_values(t):
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.float().reshape(-1).tolist()
    if t.dtype == torch.bool:
        return [bool(v) for v in t.reshape(-1).tolist()]
    return t.reshape(-1).tolist()


def main():
    torch.manual_seed(0)
    tensors = {
        "fc1.weight": torch.randn(3, 4),
        "fc1.bias": torch.randn(3),
        "double": torch.tensor([1.0 / 3.0, -2.5e-300, 1e300], dtype=torch.float64),
        "half": torch.tensor([[0.1, -65504.0], [6.0e-8, 1.5]], dtype=torch.float16),
        "bf16": torch.tensor([0.1, -3.0e38, 1.0e-30], dtype=torch.bfloat16),
        "labels": torch.tensor([0, 7, -5, 2**31 - 1, -(2**31)], dtype=torch.int64),
        "counts": torch.tensor([[1, -2], [3, 2**31 - 1]], dtype=torch.int32),
        "pixels": torch.tensor([0, 128, 255], dtype=torch.uint8),
        "signed_bytes": torch.tensor([-128, 0, 127], dtype=torch.int8),
        "shorts": torch.tensor([-32768, 12345, 32767], dtype=torch.int16),
        "mask": torch.tensor([[True, False], [False, True]]),
        "scalar": torch.tensor(2.75),
        "empty": torch.zeros(0, 3),
    }
    os.makedirs(OUT, exist_ok=True)
    write_safetensors(os.path.join(OUT, "torch_mixed.safetensors"), tensors,
                      metadata={"format": "pt", "written_by": "tools/io_golden.py"})
    expected = {
        "torch_version": torch.__version__,
        "metadata": {"format": "pt", "written_by": "tools/io_golden.py"},
        "tensors": {
            name: {"file_dtype": FILE_DTYPE[t.dtype], "kiln_dtype": KILN_DTYPE[FILE_DTYPE[t.dtype]],
                   "shape": list(t.shape), "values": expected_values(t)}
            for name, t in tensors.items()
        },
    }
    with open(os.path.join(OUT, "torch_mixed.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    # An int64 value Kiln's int32 cannot hold: loading must fail with a FormatError.
    write_safetensors(os.path.join(OUT, "torch_i64_overflow.safetensors"),
                      {"big": torch.tensor([1, 2**40], dtype=torch.int64)})
    print(f"wrote {OUT} with torch {torch.__version__}")


if __name__ == "__main__":
    main()

"""Golden fixtures for Kiln's integer dtypes int64, uint8, int8, int16 (issue 15, item 3).

Run from the repository root with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/dtypes_int.py
Writes test/golden/core/dtypes_int.json: torch.promote_types for every pair of Kiln's dtypes,
torch.result_type of tensors with scalars and 0-d tensors, and the values PyTorch gives for
integer arithmetic (wrap-around of the small ints, int64 floor division and remainder, casts).
Writes test/golden/io-torch/ints.pt (torch.save of int64/uint8/int8/int16 tensors, int64 values
beyond 2^53 included, and a BatchNorm2d state dict) and test/golden/io/ints.safetensors (the same
tensors, written by hand in the safetensors layout: the python package is not installed).
Then asks node to load both with Kiln and save them back, and checks with torch.load and a
safetensors reader here that every value and dtype came back exactly. Exits non-zero on failure.
"""
import base64
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CORE = os.path.join(ROOT, "test", "golden", "core")
IO_TORCH = os.path.join(ROOT, "test", "golden", "io-torch")
IO = os.path.join(ROOT, "test", "golden", "io")

DTYPES = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
}
NAME = {v: k for k, v in DTYPES.items()}
INTS = ["uint8", "int8", "int16", "int32", "int64"]


def values(t):
    """A tensor's values as JSON: numbers, or strings for int64 (exact beyond 2^53)."""
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        return {"dtype": "int64", "shape": list(t.shape), "values": [str(v) for v in t.reshape(-1).tolist()]}
    return {"dtype": NAME[t.dtype], "shape": list(t.shape), "values": t.reshape(-1).tolist()}


def promotion():
    names = list(DTYPES)
    return {a: {b: NAME[torch.promote_types(DTYPES[a], DTYPES[b])] for b in names} for a in names}


def result_types():
    """result_type of a dimensioned tensor of each dtype with scalars and 0-d tensors."""
    out = []
    for a in DTYPES:
        x = torch.zeros(2, dtype=DTYPES[a])
        for label, s in [("int", 3), ("float", 2.5), ("bool", True)]:
            out.append({"tensor": a, "scalar": label, "value": s, "result": NAME[torch.result_type(x, s)]})
        for b in DTYPES:
            z = torch.zeros((), dtype=DTYPES[b])
            out.append({"tensor": a, "zerodim": b, "result": NAME[torch.result_type(x, z)]})
    return out


def arithmetic():
    cases = []

    def case(name, fn, *args):
        cases.append({"name": name, "inputs": [values(a) if torch.is_tensor(a) else a for a in args], "output": values(fn(*args))})

    u = torch.tensor([0, 1, 127, 128, 200, 255], dtype=torch.uint8)
    i8 = torch.tensor([-128, -7, -1, 0, 7, 127], dtype=torch.int8)
    i16 = torch.tensor([-32768, -300, -7, 7, 300, 32767], dtype=torch.int16)
    i64 = torch.tensor([-(2**53) + 1, -7, -1, 0, 7, 2**53 - 1], dtype=torch.int64)
    small = torch.tensor([-9, -7, -1, 0, 7, 9], dtype=torch.int64)
    for name, t in [("uint8", u), ("int8", i8), ("int16", i16)]:
        case(f"{name} add scalar", lambda a: a + 100, t)
        case(f"{name} add self", lambda a: a + a, t)
        case(f"{name} sub scalar", lambda a: a - 201, t)
        case(f"{name} mul scalar", lambda a: a * 3, t)
        case(f"{name} neg", lambda a: -a, t)
        case(f"{name} floor_divide", lambda a: torch.div(a, 3, rounding_mode="floor"), t)
        case(f"{name} remainder", lambda a: a % 5, t)
        case(f"{name} true divide", lambda a: a / 2, t)
        case(f"{name} gt", lambda a: a > 7, t)
        case(f"{name} sum", lambda a: a.sum(), t)
        case(f"{name} max", lambda a: a.max(), t)
        case(f"{name} to float32", lambda a: a.float(), t)
        case(f"{name} add float scalar", lambda a: a + 0.5, t)
    case("uint8 + int8", lambda a, b: a + b, u, i8)
    case("uint8 - int8", lambda a, b: a - b, u, i8)
    case("int8 * int16", lambda a, b: a * b, i8, i16)
    case("uint8 + int64", lambda a, b: a + b, u, small)
    case("int64 add", lambda a: a + 1, small)
    case("int64 mul", lambda a: a * a, small)
    case("int64 neg", lambda a: -a, i64)
    case("int64 abs", lambda a: a.abs(), i64)
    case("int64 floor_divide", lambda a: torch.div(a, 4, rounding_mode="floor"), small)
    case("int64 trunc divide", lambda a: torch.div(a, 4, rounding_mode="trunc"), small)
    case("int64 remainder", lambda a: a % 4, small)
    case("int64 remainder negative", lambda a: a % -4, small)
    case("int64 true divide", lambda a: a / 4, small)
    case("int64 sum", lambda a: a.sum(), small)
    case("int64 cumsum", lambda a: a.cumsum(0), small)
    case("int64 max", lambda a: a.max(), i64)
    case("int64 argmax", lambda a: a.argmax().to(torch.int32), i64)
    case("int64 sort", lambda a: a.sort().values, small)
    case("int64 eq", lambda a: a == 7, small)
    case("int64 clamp", lambda a: a.clamp(-5, 5), small)
    case("int64 pow", lambda a: a.pow(2), small)
    case("int64 matmul", lambda a: a.reshape(2, 3) @ a.reshape(3, 2), small)
    case("int64 where", lambda a: torch.where(a > 0, a, -a), small)
    case("int32 + int64", lambda a, b: a + b, small.int(), small)
    case("int64 + float", lambda a: a + 0.5, small)
    case("int64 to float64", lambda a: a.double(), i64)
    case("int64 to int32", lambda a: a.int(), small)
    case("int64 to uint8", lambda a: a.byte(), small)
    case("int64 to int8", lambda a: a.char(), torch.tensor([-200, -129, 127, 128, 300], dtype=torch.int64))
    case("int32 to int16", lambda a: a.short(), torch.tensor([-40000, -32769, 32768, 70000], dtype=torch.int32))
    case("float to int64", lambda a: a.long(), torch.tensor([-2.7, -0.5, 0.5, 2.7, 1e15]))
    case("float to uint8", lambda a: a.byte(), torch.tensor([0.0, 1.7, 200.9, 255.0]))
    case("float to int8", lambda a: a.char(), torch.tensor([-128.0, -1.7, 1.7, 127.0]))
    case("bool to int64", lambda a: a.long(), torch.tensor([True, False, True]))
    return cases


def ints_fixture():
    torch.manual_seed(0)
    bn = torch.nn.BatchNorm2d(3)
    bn.train()
    for _ in range(3):
        bn(torch.randn(4, 3, 2, 2))
    return {
        "long": torch.tensor([-(2**63), -(2**53) - 1, -1, 0, 2**53 + 1, 2**62 + 12345, 2**63 - 1], dtype=torch.int64),
        "labels": torch.tensor([3, 0, 2, 1], dtype=torch.int64),
        "byte": torch.tensor([[0, 1, 128], [200, 254, 255]], dtype=torch.uint8),
        "char": torch.tensor([-128, -1, 0, 1, 127], dtype=torch.int8),
        "short": torch.tensor([-32768, -2, 0, 2, 32767], dtype=torch.int16),
        "bn": bn.state_dict(),
    }


ST_NAME = {torch.int64: "I64", torch.uint8: "U8", torch.int8: "I8", torch.int16: "I16", torch.float32: "F32", torch.int32: "I32"}
ST_DTYPE = {v: k for k, v in ST_NAME.items()}


def flat_tensors(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat_tensors(v, prefix + k + "."))
        else:
            out[prefix + k] = v
    return out


def st_write(path, tensors):
    """The safetensors layout: u64 header length, JSON header, data sorted by descending alignment."""
    align = {"I64": 8, "F32": 4, "I32": 4, "I16": 2, "U8": 1, "I8": 1}
    order = sorted(tensors, key=lambda k: (-align[ST_NAME[tensors[k].dtype]], k))
    header, chunks, off = {}, [], 0
    for k in order:
        b = tensors[k].contiguous().numpy().tobytes()
        header[k] = {"dtype": ST_NAME[tensors[k].dtype], "shape": list(tensors[k].shape), "data_offsets": [off, off + len(b)]}
        chunks.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def st_read(path):
    import numpy as np

    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for k, e in header.items():
        if k == "__metadata__":
            continue
        b, end = e["data_offsets"]
        dt = ST_DTYPE[e["dtype"]]
        arr = np.frombuffer(raw[8 + n + b : 8 + n + end], dtype=torch.empty(0, dtype=dt).numpy().dtype)
        out[k] = torch.from_numpy(arr.copy()).reshape(e["shape"])
    return out


ROUND_TRIP = """
import { loadTorch, saveTorch } from "./src/io/torch/index.ts";
import { loadSafetensors, saveSafetensors } from "./src/io/safetensors.ts";
import { nn } from "./src/index.ts";
const [pt, st, out] = process.argv.slice(2);
saveTorch(`${out}/ints.pt`, loadTorch(pt));
saveSafetensors(`${out}/ints.safetensors`, loadSafetensors(st));
const bn = new nn.BatchNorm2d(3);
const sd = (loadTorch(pt) as { bn: Record<string, never> }).bn;
bn.loadStateDict(sd);
saveTorch(`${out}/bn.pt`, bn.stateDict());
"""


def same(a, b, where):
    if a.dtype != b.dtype or a.shape != b.shape or not torch.equal(a, b):
        sys.exit(f"{where}: {a.dtype} {list(a.shape)} {a.tolist()} != {b.dtype} {list(b.shape)} {b.tolist()}")


def check_round_trip(fixture):
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(ROOT, "tmp-dtypes-int-check.mts")
        with open(script, "w") as f:
            f.write(ROUND_TRIP)
        try:
            subprocess.run(
                ["node", "--import", "tsx", script, os.path.join(IO_TORCH, "ints.pt"), os.path.join(IO, "ints.safetensors"), tmp],
                cwd=ROOT,
                check=True,
            )
        finally:
            os.remove(script)
        flat = flat_tensors(fixture)
        for loader in ("full", "weights_only"):
            back = torch.load(os.path.join(tmp, "ints.pt"), weights_only=loader == "weights_only")
            for k, v in flat_tensors(back).items():
                same(v, flat[k], f"Kiln's ints.pt ({loader}) {k}")
        for k, v in st_read(os.path.join(tmp, "ints.safetensors")).items():
            same(v, flat[k], f"Kiln's ints.safetensors {k}")
        bn = torch.load(os.path.join(tmp, "bn.pt"))
        same(bn["num_batches_tracked"], fixture["bn"]["num_batches_tracked"], "BatchNorm2d num_batches_tracked")
        torch.nn.BatchNorm2d(3).load_state_dict(bn)
    print("PyTorch reads Kiln's int64/uint8/int8/int16 files back exactly")


def main():
    os.makedirs(CORE, exist_ok=True)
    golden = {"promote_types": promotion(), "result_type": result_types(), "arithmetic": arithmetic()}
    fixture = ints_fixture()
    golden["ints_fixture"] = {k: values(v) for k, v in flat_tensors(fixture).items()}
    with open(os.path.join(CORE, "dtypes_int.json"), "w") as f:
        json.dump(golden, f, indent=0)
    torch.save(fixture, os.path.join(IO_TORCH, "ints.pt"))
    st_write(os.path.join(IO, "ints.safetensors"), flat_tensors(fixture))
    print(f"wrote {len(golden['arithmetic'])} arithmetic cases")
    check_round_trip(fixture)


if __name__ == "__main__":
    main()

"""Checks that PyTorch reads files written by Kiln's saveTorch.

Run from the repository root with Debian's PyTorch: /usr/bin/python3 tools/golden/torch_pt_check.py
It asks node (through tsx) to load each PyTorch-written fixture of test/golden/io-torch with
loadTorch and write it back with saveTorch into a temporary directory, plus a fresh state dict
whose tensors share storage; then torch.load (both the full and the weights_only loader) must
read every file, the values must match expected.json exactly, and the MLP and CNN state dicts
must load into the PyTorch models and reproduce the recorded logits. Exits non-zero on failure.
"""

import json
import os
import pickle
import subprocess
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(__file__))
from torch_pt import NeuralNet, SmallCNN, describe  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
GOLDEN = os.path.join(ROOT, "test", "golden", "io-torch")

WRITER = """
import { loadTorch, saveTorch } from "./src/io/torch/index.ts";
import { tensor } from "./src/ops/creation.ts";
const [golden, out] = process.argv.slice(1);
for (const name of ["mlp", "cnn", "dtypes"]) saveTorch(`${out}/${name}.pt`, loadTorch(`${golden}/${name}.pt`));
const base = tensor([[1.5, 2, 3], [4, 5, -6]]);
saveTorch(`${out}/fresh.pt`, {
  base, t: base.t(), row: base.select(0, 1), n: tensor([-5, 3], { dtype: "int32" }),
  mask: tensor([true, false]), d: tensor([0.1], { dtype: "float64" }),
});
"""


def values_equal(a, b):
    """expected.json mirrors compared with the float16/bfloat16/small-int dtypes widened by Kiln."""
    if isinstance(a, dict) and isinstance(b, dict):
        if "__tensor__" in a:
            ta, tb = a["__tensor__"], b["__tensor__"]
            keys = ("shape", "stride", "offset", "storage", "values", "parameter")
            return all(ta[k] == tb[k] for k in keys)
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b))
    return a == b


def main():
    expected = json.load(open(os.path.join(GOLDEN, "expected.json")))
    failures = []
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["node", "--import", "tsx", "--input-type=module", "-e", WRITER, GOLDEN, out],
            cwd=ROOT,
            check=True,
        )
        for name in ["mlp", "cnn", "dtypes", "fresh"]:
            path = os.path.join(out, name + ".pt")
            full = torch.load(path)
            try:
                safe = torch.load(path, weights_only=True)
                print(f"{name}.pt: torch.load and torch.load(weights_only=True) read {len(full)} entries")
            except pickle.UnpicklingError as err:
                # NOTE: PyTorch 1.13's weights_only unpickler has no BINFLOAT, so a file holding a
                # Python float fails there whoever wrote it; PyTorch's own fixture shows the same.
                try:
                    torch.load(os.path.join(GOLDEN, name + ".pt"), weights_only=True)
                    failures.append(f"{name}.pt: weights_only refuses Kiln's file but not PyTorch's: {err}")
                except pickle.UnpicklingError:
                    print(f"{name}.pt: torch.load read {len(full)} entries; weights_only=True refuses the")
                    print("  Python floats in it exactly as it refuses PyTorch's own file (1.13 has no BINFLOAT)")
                safe = full
            if name == "dtypes":
                got = describe(safe, {})
                if not values_equal(got, expected["dtypes"]):
                    failures.append("dtypes.pt: values, layout or sharing differ from expected.json")
                print("  dtypes.pt values, strides, offsets and shared storages match expected.json")
            if name == "fresh":
                print("  fresh.pt:", {k: (v.dtype, v.tolist()) for k, v in safe.items()})
                if safe["t"].data_ptr() != safe["base"].data_ptr() + 0 or safe["row"].storage_offset() != 3:
                    failures.append("fresh.pt: views lost their shared storage or offset")
                if safe["n"].dtype != torch.int64 or safe["n"].tolist() != [-5, 3]:
                    failures.append("fresh.pt: int32 tensor did not come back as int64 [-5, 3]")
        for name, model_cls in [("mlp", NeuralNet), ("cnn", SmallCNN)]:
            model = model_cls().eval()
            model.load_state_dict(torch.load(os.path.join(out, name + ".pt"), weights_only=True))
            x = torch.tensor(expected[name]["input"])
            logits = model(x)
            want = torch.tensor(expected[name]["logits"])
            diff = (logits - want).abs().max().item()
            print(f"  {name}: load_state_dict ok, max |logits - expected| = {diff:.3g}")
            if diff > 1e-6:
                failures.append(f"{name}: logits differ by {diff}")
    print("torch", torch.__version__)
    if failures:
        print("FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("OK: PyTorch reads every Kiln-written file")


if __name__ == "__main__":
    main()

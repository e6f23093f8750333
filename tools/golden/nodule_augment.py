"""Golden fixtures for Kiln's port of the book's 3-D augmentation (issue 18, item 8).

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/nodule_augment.py
Writes test/golden/nn/nodule_augment.json. `book_augment` restates dlwpt-code p2ch12/dsets.py
getCtAugmentedCandidate after the crop is read (flip, offset, scale per axis, the rotation, then
affine_grid + grid_sample with padding 'border'), with `random.random` replaced by a list of
uniform numbers that the test feeds Kiln's augmentation too. Noise draws from torch's stream,
which Kiln cannot reproduce, so the cases leave it out (the Kiln test checks noise on its own).
"""
import json
import math
import os

import torch
import torch.nn.functional as F

from nn import enc

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn")
torch.manual_seed(18)


def book_augment(augmentation_dict, ct_chunk, uniforms):
    draws = iter(uniforms)

    def random():
        return next(draws)

    ct_t = ct_chunk.unsqueeze(0).unsqueeze(0).to(torch.float32)
    transform_t = torch.eye(4)
    for i in range(3):
        if "flip" in augmentation_dict:
            if random() > 0.5:
                transform_t[i, i] *= -1
        if "offset" in augmentation_dict:
            offset_float = augmentation_dict["offset"]
            random_float = random() * 2 - 1
            transform_t[i, 3] = offset_float * random_float
        if "scale" in augmentation_dict:
            scale_float = augmentation_dict["scale"]
            random_float = random() * 2 - 1
            transform_t[i, i] *= 1.0 + scale_float * random_float
    if "rotate" in augmentation_dict:
        angle_rad = random() * math.pi * 2
        s = math.sin(angle_rad)
        c = math.cos(angle_rad)
        rotation_t = torch.tensor([[c, -s, 0, 0], [s, c, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
        transform_t @= rotation_t
    affine_t = F.affine_grid(transform_t[:3].unsqueeze(0).to(torch.float32), ct_t.size(), align_corners=False)
    augmented = F.grid_sample(ct_t, affine_t, padding_mode="border", align_corners=False)
    return augmented[0], transform_t


crop = torch.randn(6, 8, 10) * 300 - 500  # Hounsfield-like values
cases = []
for name, aug in [
    ("flip", {"flip": True}),
    ("offset-scale", {"offset": 0.1, "scale": 0.2}),
    ("rotate", {"rotate": True}),
    ("book-without-noise", {"flip": True, "offset": 0.1, "scale": 0.2, "rotate": True}),
]:
    uniforms = torch.rand(10, dtype=torch.float64).tolist()
    if name == "flip":
        uniforms = [0.7, 0.2, 0.9]  # flip x and z, keep y
    out, transform = book_augment(aug, crop, uniforms)
    cases.append({"name": name, "aug": aug, "uniforms": uniforms, "transform": transform.tolist(), "out": enc(out)})

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "nodule_augment.json"), "w") as f:
    json.dump({"crop": enc(crop.unsqueeze(0)), "cases": cases}, f)
print("wrote nodule_augment.json")

"""Golden fixtures for Kiln's padding, fold/unfold, transposed convolution, interpolation and
grid sampling (issue 18).

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/resample.py
Writes test/golden/nn/resample.json (padding, fold, conv transpose),
test/golden/nn/interpolate.json (interpolate, pixel shuffle, Upsample) and
test/golden/nn/grid.json (affine_grid, grid_sample). Each
functional case records its inputs, the output, a fixed upstream gradient and the gradient of
every floating input; each module case also records repr and state dict. Tensors use
tools/golden/nn.py's enc() format.
"""
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from nn import enc, state  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn")
torch.manual_seed(0)
r = torch.randn


def fcase(name, fn, inputs, grad=True):
    """inputs: dict name -> tensor; floating ones get gradients."""
    xs = {k: v.clone().requires_grad_(grad and v.is_floating_point()) for k, v in inputs.items()}
    out = fn(**xs)
    case = {"name": name, "inputs": {k: enc(v) for k, v in inputs.items()}, "output": enc(out)}
    if grad and out.requires_grad:
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        case["gy"] = enc(gy)
        case["grads"] = {k: enc(v.grad) for k, v in xs.items() if v.grad is not None}
    return case


def mcase(name, m, x, **fw):
    xin = x.clone().requires_grad_(True)
    out = m(xin, **fw)
    gy = torch.randn_like(out)
    (out * gy).sum().backward()
    return {
        "name": name, "repr": repr(m), "state": state(m), "input": enc(x), "output": enc(out),
        "gy": enc(gy), "grad_input": enc(xin.grad),
        "grads": {n: enc(p.grad) for n, p in m.named_parameters()},
        "keys": list(m.state_dict().keys()),
    }


def padding_cases():
    c = []
    for mode in ["constant", "reflect", "replicate", "circular"]:
        c.append(fcase(f"pad1d_{mode}", lambda x, mode=mode: F.pad(x, (2, 1), mode=mode), {"x": r(2, 3, 4)}))
        c.append(fcase(f"pad2d_{mode}", lambda x, mode=mode: F.pad(x, (1, 2, 2, 0), mode=mode), {"x": r(2, 2, 3, 4)}))
        c.append(fcase(f"pad3d_{mode}", lambda x, mode=mode: F.pad(x, (1, 0, 0, 2, 1, 1), mode=mode), {"x": r(1, 2, 3, 3, 4)}))
        c.append(fcase(f"pad2d_neg_{mode}", lambda x, mode=mode: F.pad(x, (-1, 2, 1, -2), mode=mode), {"x": r(1, 2, 4, 5)}))
    for mode in ["reflect", "replicate"]:
        c.append(fcase(f"pad1d_unbatched_{mode}", lambda x, mode=mode: F.pad(x, (3, 2), mode=mode), {"x": r(3, 5)}))
        c.append(fcase(f"pad2d_unbatched_{mode}", lambda x, mode=mode: F.pad(x, (2, 2, 1, 3), mode=mode), {"x": r(2, 4, 5)}))
        c.append(fcase(f"pad3d_unbatched_{mode}", lambda x, mode=mode: F.pad(x, (1, 2, 2, 1, 0, 1), mode=mode), {"x": r(2, 3, 3, 3)}))
    c.append(fcase("pad_constant_value_4dims", lambda x: F.pad(x, (1, 1, 0, 2, 1, 0, 2, 1), value=-1.5), {"x": r(2, 2, 2, 2)}))
    return c


def padding_modules():
    c = []
    c.append(mcase("ZeroPad2d", nn.ZeroPad2d((1, 2, 0, 3)), r(1, 2, 3, 3)))
    c.append(mcase("ConstantPad1d", nn.ConstantPad1d(2, 3.5), r(2, 3, 4)))
    c.append(mcase("ConstantPad2d", nn.ConstantPad2d((1, 0, 2, -1), -1.0), r(2, 3, 4)))
    c.append(mcase("ConstantPad3d", nn.ConstantPad3d(1, 0.5), r(1, 1, 2, 2, 2)))
    c.append(mcase("ReflectionPad1d", nn.ReflectionPad1d((3, 1)), r(2, 3, 5)))
    c.append(mcase("ReflectionPad2d", nn.ReflectionPad2d(2), r(1, 2, 4, 3)))
    c.append(mcase("ReflectionPad3d", nn.ReflectionPad3d((1, 2, 0, 1, 2, 1)), r(1, 2, 3, 3, 3)))
    c.append(mcase("ReplicationPad1d", nn.ReplicationPad1d(3), r(2, 3, 2)))
    c.append(mcase("ReplicationPad2d", nn.ReplicationPad2d((3, 0, 1, 2)), r(1, 2, 2, 3)))
    c.append(mcase("ReplicationPad3d", nn.ReplicationPad3d(1), r(1, 2, 2, 3, 2)))
    return c


def fold_cases():
    c = []
    c.append(fcase("unfold_basic", lambda x: F.unfold(x, 2), {"x": r(2, 3, 4, 5)}))
    c.append(fcase("unfold_all", lambda x: F.unfold(x, (2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 3)), {"x": r(2, 2, 6, 7)}))
    c.append(fcase("unfold_unbatched", lambda x: F.unfold(x, 3, padding=1), {"x": r(2, 4, 4)}))
    c.append(fcase("fold_basic", lambda x: F.fold(x, (4, 5), 2), {"x": r(2, 12, 12)}))
    c.append(fcase("fold_all", lambda x: F.fold(x, (6, 7), (2, 3), dilation=(2, 1), padding=(1, 2), stride=(2, 3)), {"x": r(2, 12, 9)}))
    c.append(fcase("fold_unbatched", lambda x: F.fold(x, (3, 3), 2, stride=1), {"x": r(8, 4)}))
    return c


def fold_modules():
    return [
        mcase("Unfold", nn.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), r(2, 2, 5, 6)),
        mcase("Fold", nn.Fold((3, 4), 2), r(2, 8, 6)),
    ]


def convt_cases():
    c = []
    c.append(fcase("conv_transpose2d_basic", lambda x, w, b: F.conv_transpose2d(x, w, b), {"x": r(2, 3, 4, 5), "w": r(3, 2, 3, 3), "b": r(2)}))
    c.append(fcase("conv_transpose2d_all", lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=(1, 2), output_padding=(1, 0), groups=2, dilation=(2, 1)), {"x": r(2, 4, 3, 4), "w": r(4, 3, 3, 4), "b": r(6)}))
    c.append(fcase("conv_transpose2d_op_dil", lambda x, w: F.conv_transpose2d(x, w, None, 1, 0, 2, 1, 3), {"x": r(1, 2, 3, 3), "w": r(2, 2, 2, 2)}))
    c.append(fcase("conv_transpose1d", lambda x, w, b: F.conv_transpose1d(x, w, b, 3, 1, 2, 1, 1), {"x": r(2, 3, 5), "w": r(3, 4, 4), "b": r(4)}))
    c.append(fcase("conv_transpose1d_unbatched", lambda x, w: F.conv_transpose1d(x, w, groups=3), {"x": r(3, 5), "w": r(3, 2, 2)}))
    c.append(fcase("conv_transpose3d", lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=(1, 0, 1)), {"x": r(1, 2, 2, 3, 2), "w": r(2, 3, 3, 2, 3), "b": r(3)}))
    return c


def convt_modules():
    c = []
    c.append(mcase("ConvTranspose2d", nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=1), r(2, 4, 3, 3)))
    c.append(mcase("ConvTranspose2d_nobias_dil", nn.ConvTranspose2d(2, 3, (2, 3), stride=(1, 2), padding=(0, 1), bias=False, dilation=2), r(1, 2, 4, 3)))
    c.append(mcase("ConvTranspose2d_outsize", nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1), r(1, 2, 3, 3), output_size=[8, 9]))
    c.append(mcase("ConvTranspose2d_outsize_full", nn.ConvTranspose2d(2, 3, 3, stride=2), r(1, 2, 3, 3), output_size=[1, 3, 8, 7]))
    c.append(mcase("ConvTranspose1d", nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1), r(2, 3, 6)))
    c.append(mcase("ConvTranspose3d", nn.ConvTranspose3d(2, 2, 2, stride=2, output_padding=1), r(1, 2, 2, 2, 3)))
    c.append(mcase("ConvTranspose2d_unbatched", nn.ConvTranspose2d(2, 3, 3, stride=2), r(2, 3, 2)))
    return c


def interp():
    c = []
    I = F.interpolate
    x1, x2, x3 = r(2, 3, 5), r(2, 2, 5, 4), r(1, 2, 3, 4, 3)
    add = lambda name, fn, x: c.append(fcase(name, fn, {"x": x}))
    add("nearest1d_size", lambda x: I(x, size=8), x1)
    add("nearest1d_scale", lambda x: I(x, scale_factor=1.7), x1)
    add("nearest2d_scale", lambda x: I(x, scale_factor=(2, 3)), x2)
    add("nearest2d_down", lambda x: I(x, scale_factor=0.6), x2)
    add("nearest2d_size", lambda x: I(x, size=(7, 3)), x2)
    add("nearest3d", lambda x: I(x, size=(5, 6, 2)), x3)
    add("nearest_exact2d", lambda x: I(x, size=(7, 3), mode="nearest-exact"), x2)
    add("nearest_exact1d_scale", lambda x: I(x, scale_factor=1.7, mode="nearest-exact"), x1)
    for ac in (False, True):
        t = "t" if ac else "f"
        add(f"linear_{t}", lambda x, ac=ac: I(x, size=9, mode="linear", align_corners=ac), x1)
        add(f"linear_scale_{t}", lambda x, ac=ac: I(x, scale_factor=1.7, mode="linear", align_corners=ac), x1)
        add(f"bilinear_{t}", lambda x, ac=ac: I(x, size=(8, 7), mode="bilinear", align_corners=ac), x2)
        add(f"bilinear_scale_{t}", lambda x, ac=ac: I(x, scale_factor=(1.5, 2.3), mode="bilinear", align_corners=ac), x2)
        add(f"bilinear_down_{t}", lambda x, ac=ac: I(x, size=(3, 2), mode="bilinear", align_corners=ac), x2)
        add(f"bicubic_{t}", lambda x, ac=ac: I(x, size=(9, 7), mode="bicubic", align_corners=ac), x2)
        add(f"bicubic_down_{t}", lambda x, ac=ac: I(x, scale_factor=0.7, mode="bicubic", align_corners=ac), x2)
        add(f"trilinear_{t}", lambda x, ac=ac: I(x, scale_factor=(1.5, 0.8, 2), mode="trilinear", align_corners=ac), x3)
    add("bilinear_recompute", lambda x: I(x, scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), x2)
    add("bilinear_size1", lambda x: I(x, size=(1, 3), mode="bilinear", align_corners=True), x2)
    for ac in (False, True):
        t = "t" if ac else "f"
        add(f"bilinear_aa_down_{t}", lambda x, ac=ac: I(x, size=(3, 2), mode="bilinear", align_corners=ac, antialias=True), x2)
        add(f"bicubic_aa_down_{t}", lambda x, ac=ac: I(x, scale_factor=0.45, mode="bicubic", align_corners=ac, antialias=True), r(1, 2, 9, 11))
        add(f"bilinear_aa_up_{t}", lambda x, ac=ac: I(x, size=(7, 9), mode="bilinear", align_corners=ac, antialias=True), x2)
        add(f"bicubic_aa_up_{t}", lambda x, ac=ac: I(x, scale_factor=1.6, mode="bicubic", align_corners=ac, antialias=True), x2)
    add("area1d", lambda x: I(x, size=3, mode="area"), x1)
    add("area2d", lambda x: I(x, size=(3, 3), mode="area"), x2)
    add("area2d_scale", lambda x: I(x, scale_factor=0.5, mode="area"), x2)
    add("area3d", lambda x: I(x, size=(2, 3, 5), mode="area"), x3)
    add("pixel_shuffle", lambda x: F.pixel_shuffle(x, 2), r(2, 8, 3, 2))
    add("pixel_shuffle_5d", lambda x: F.pixel_shuffle(x, 3), r(2, 1, 9, 2, 2))
    add("pixel_unshuffle", lambda x: F.pixel_unshuffle(x, 2), r(2, 2, 4, 6))
    mods = [
        mcase("Upsample", nn.Upsample(scale_factor=2), r(1, 2, 3, 3)),
        mcase("Upsample_bilinear", nn.Upsample(size=(5, 4), mode="bilinear", align_corners=False), r(1, 2, 3, 3)),
        mcase("Upsample_trilinear", nn.Upsample(scale_factor=(2.0, 1.5, 1.0), mode="trilinear", align_corners=True), r(1, 1, 2, 2, 3)),
        mcase("UpsamplingNearest2d", nn.UpsamplingNearest2d(scale_factor=3), r(1, 2, 2, 3)),
        mcase("UpsamplingBilinear2d", nn.UpsamplingBilinear2d(size=(4, 5)), r(1, 2, 2, 3)),
        mcase("PixelShuffle", nn.PixelShuffle(2), r(1, 8, 2, 3)),
        mcase("PixelUnshuffle", nn.PixelUnshuffle(3), r(1, 1, 3, 6)),
    ]
    return {"interpolate": c, "interpolate_modules": mods}


def grid():
    c = []
    u = lambda *s: torch.rand(*s) * 2.6 - 1.3  # includes positions outside [-1, 1]
    for ac in (False, True):
        t = "t" if ac else "f"
        c.append(fcase(f"affine_grid2d_{t}", lambda theta, ac=ac: F.affine_grid(theta, [2, 3, 4, 5], align_corners=ac), {"theta": r(2, 2, 3)}))
        c.append(fcase(f"affine_grid3d_{t}", lambda theta, ac=ac: F.affine_grid(theta, [1, 1, 2, 3, 4], align_corners=ac), {"theta": r(1, 3, 4)}))
        for mode in ("bilinear", "nearest", "bicubic"):
            for pm in ("zeros", "border", "reflection"):
                c.append(fcase(f"grid_sample_{mode}_{pm}_{t}",
                               lambda x, g, mode=mode, pm=pm, ac=ac: F.grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=ac),
                               {"x": r(2, 2, 4, 5), "g": u(2, 3, 4, 2)}))
        for mode in ("bilinear", "nearest"):
            for pm in ("zeros", "border", "reflection"):
                c.append(fcase(f"grid_sample3d_{mode}_{pm}_{t}",
                               lambda x, g, mode=mode, pm=pm, ac=ac: F.grid_sample(x, g, mode=mode, padding_mode=pm, align_corners=ac),
                               {"x": r(1, 2, 3, 4, 3), "g": u(1, 2, 3, 2, 3)}))
    c.append(fcase("affine_then_sample", lambda x, theta: F.grid_sample(x, F.affine_grid(theta, [2, 2, 3, 3], align_corners=False), align_corners=False), {"x": r(2, 2, 4, 4), "theta": r(2, 2, 3) * 0.5}))
    return {"grid": c}


def main():
    torch.manual_seed(0)
    obj = {
        "torch": torch.__version__,
        "padding": padding_cases(), "padding_modules": padding_modules(),
        "fold": fold_cases(), "fold_modules": fold_modules(),
        "convt": convt_cases(), "convt_modules": convt_modules(),
    }
    with open(os.path.join(OUT, "resample.json"), "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    obj2 = {"torch": torch.__version__, **interp()}
    with open(os.path.join(OUT, "interpolate.json"), "w") as f:
        json.dump(obj2, f, separators=(",", ":"))
    obj3 = {"torch": torch.__version__, **grid()}
    with open(os.path.join(OUT, "grid.json"), "w") as f:
        json.dump(obj3, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

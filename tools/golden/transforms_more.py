"""Golden fixtures for Kiln's torchvision-style transforms (issue 15, item 8).

Run with Debian's PyTorch and torchvision 0.14:
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/transforms_more.py
Writes test/golden/data/transforms-more.json (and the ImageFolder tree below): torchvision.transforms.functional applied to seeded
tensor images (float32 [3, 7, 9], float64, a batch [2, 3, 6, 5], and uint8 [3, 7, 9], which Kiln
feeds as a RawImage, HWC bytes). Each case is {name, input, args, out}; uint8 outputs are written
as int32.
"""

import base64
import json
import os

import torch
import torchvision
import torchvision.transforms.functional as F
from torchvision.transforms import InterpolationMode as IM

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
OUT = os.path.join(ROOT, "test", "golden", "data", "transforms-more.json")


def enc(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.int64, torch.uint8, torch.int16, torch.int8):
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def main():
    assert torchvision.__version__.startswith("0.14"), torchvision.__version__
    g = torch.Generator().manual_seed(0)
    inputs = {
        "x": torch.rand(3, 7, 9, generator=g),
        "x64": torch.rand(3, 7, 9, generator=g, dtype=torch.float64),
        "batch": torch.rand(2, 3, 6, 5, generator=g),
        "u8": torch.randint(0, 256, (3, 7, 9), generator=g, dtype=torch.uint8),
        "gray": torch.rand(1, 6, 8, generator=g),
    }
    cases = []

    def case(name, inp, fn, args):
        out = fn(inputs[inp])
        cases.append({"name": name, "input": inp, "args": args, "out": enc(out)})

    modes = {"nearest": IM.NEAREST, "bilinear": IM.BILINEAR, "bicubic": IM.BICUBIC}
    for inp in ["x", "x64", "batch", "u8"]:
        for size in [4, [5, 6], [10, 12], [3, 14]]:
            for m, mode in modes.items():
                for aa in [False, True] if m != "nearest" else [False]:
                    if inp in ("x64", "batch") and (size != [5, 6] or m == "nearest"):
                        continue
                    case(f"resize {size} {m} aa={aa}", inp,
                         lambda t, s=size, mo=mode, a=aa: F.resize(t, s, mo, antialias=a),
                         {"op": "resize", "size": size, "interpolation": m, "antialias": aa})
    case("resize maxSize", "x", lambda t: F.resize(t, 5, max_size=6),
         {"op": "resize", "size": 5, "maxSize": 6})
    for inp in ["x", "u8", "batch"]:
        for top, left, h, w in [(1, 2, 4, 5), (-2, -1, 5, 6), (5, 7, 4, 4)]:
            case(f"crop {top},{left},{h},{w}", inp, lambda t, a=(top, left, h, w): F.crop(t, *a),
                 {"op": "crop", "top": top, "left": left, "height": h, "width": w})
        for size in [5, [4, 6], [9, 11], [8, 8], [6, 10]]:
            case(f"centerCrop {size}", inp, lambda t, s=size: F.center_crop(t, s),
                 {"op": "centerCrop", "size": size})
        for padding in [1, [1, 2], [1, 2, 3, 0], [-1, 2]] if inp != "batch" else [[1, 2, 3, 0]]:
            for mode in ["constant", "edge", "reflect", "symmetric"]:
                case(f"pad {padding} {mode}", inp,
                     lambda t, p=padding, mo=mode: F.pad(t, p, fill=0.5 if inp != "u8" else 7, padding_mode=mo),
                     {"op": "pad", "padding": padding, "fill": 0.5 if inp != "u8" else 7, "paddingMode": mode})
        case("hflip", inp, F.hflip, {"op": "hflip"})
        case("vflip", inp, F.vflip, {"op": "vflip"})
    for inp in ["x", "u8"]:
        case("resizedCrop", inp, lambda t: F.resized_crop(t, 1, 2, 5, 6, [8, 8]),
             {"op": "resizedCrop", "top": 1, "left": 2, "height": 5, "width": 6, "size": [8, 8]})
        case("resizedCrop nearest", inp, lambda t: F.resized_crop(t, 0, 1, 6, 7, [4, 3], IM.NEAREST),
             {"op": "resizedCrop", "top": 0, "left": 1, "height": 6, "width": 7, "size": [4, 3], "interpolation": "nearest"})
    rot = [
        (30, "nearest", False, None, None),
        (45, "bilinear", False, None, None),
        (30, "bilinear", True, None, None),
        (-70, "nearest", True, None, [0.1, 0.2, 0.3]),
        (20, "bilinear", False, [2, 3], [0.1, 0.2, 0.3]),
        (15, "bilinear", False, None, [1.0]),
    ]
    for inp in ["x", "x64", "batch", "u8"]:
        for angle, m, expand, center, fill in rot:
            if inp == "u8" and fill is not None:
                fill = [v * 255 for v in fill]
            case(f"rotate {angle} {m} expand={expand} center={center} fill={fill}", inp,
                 lambda t, a=(angle, modes[m], expand, center, fill): F.rotate(t, *a),
                 {"op": "rotate", "angle": angle, "interpolation": m, "expand": expand, "center": center, "fill": fill})
    for inp in ["x", "x64", "batch", "u8", "gray"]:
        if inp == "batch":
            case("blur batch", inp, lambda t: F.gaussian_blur(t, 3, 0.9), {"op": "gaussianBlur", "kernelSize": 3, "sigma": 0.9})
            case("contrast batch", inp, lambda t: F.adjust_contrast(t, 0.4), {"op": "adjustContrast", "factor": 0.4})
            case("hue batch", inp, lambda t: F.adjust_hue(t, 0.2), {"op": "adjustHue", "factor": 0.2})
            continue
        for f in [0.5, 1.7]:
            case(f"brightness {f}", inp, lambda t, f=f: F.adjust_brightness(t, f), {"op": "adjustBrightness", "factor": f})
        for f in [0.3, 1.5]:
            case(f"contrast {f}", inp, lambda t, f=f: F.adjust_contrast(t, f), {"op": "adjustContrast", "factor": f})
        for f in [0.0, 0.5, 2.0]:
            case(f"saturation {f}", inp, lambda t, f=f: F.adjust_saturation(t, f), {"op": "adjustSaturation", "factor": f})
        for f in [-0.3, 0.1, 0.5]:
            case(f"hue {f}", inp, lambda t, f=f: F.adjust_hue(t, f), {"op": "adjustHue", "factor": f})
        for k in [1, 3]:
            case(f"grayscale {k}", inp, lambda t, k=k: F.rgb_to_grayscale(t, k), {"op": "rgbToGrayscale", "k": k})
        for ks, sigma in [(3, None), ([3, 5], [0.8, 1.3]), (5, 2.0)]:
            case(f"blur {ks} {sigma}", inp, lambda t, a=(ks, sigma): F.gaussian_blur(t, *a),
                 {"op": "gaussianBlur", "kernelSize": ks, "sigma": sigma})
    # A hue check on saturated primaries and greys (every branch of rgb2hsv / hsv2rgb).
    prim = torch.tensor([[1, 0, 0, 1, 0.5, 0.2, 0.0, 1.0], [0, 1, 0, 1, 0.5, 0.9, 0.0, 0.3], [0, 0, 1, 0, 0.5, 0.4, 0.0, 0.7]],
                        dtype=torch.float32).reshape(3, 2, 4)
    inputs["prim"] = prim
    for f in [-0.5, -0.2, 0.25, 0.45]:
        case(f"hue prim {f}", "prim", lambda t, f=f: F.adjust_hue(t, f), {"op": "adjustHue", "factor": f})
    v = torch.tensor([0.1, 0.5, 0.9]).view(3, 1, 1)
    case("erase", "x", lambda t: F.erase(t, 1, 2, 3, 4, v), {"op": "erase", "i": 1, "j": 2, "h": 3, "w": 4, "v": [0.1, 0.5, 0.9]})
    case("erase clipped", "batch", lambda t: F.erase(t, 4, 3, 5, 5, v), {"op": "erase", "i": 4, "j": 3, "h": 5, "w": 5, "v": [0.1, 0.5, 0.9]})
    case("normalize", "x", lambda t: F.normalize(t, [0.4, 0.5, 0.6], [0.2, 0.25, 0.3]),
         {"op": "normalize", "mean": [0.4, 0.5, 0.6], "std": [0.2, 0.25, 0.3]})
    case("convert f64->i32", "x64", lambda t: F.convert_image_dtype(t, torch.int32), {"op": "convertImageDtype", "dtype": "int32"})
    case("convert u8->f32", "u8", lambda t: F.convert_image_dtype(t, torch.float32), {"op": "convertImageDtype", "dtype": "float32"})
    case("convert u8->i32", "u8", lambda t: F.convert_image_dtype(t, torch.int32), {"op": "convertImageDtype", "dtype": "int32"})
    case("convert f32->u8", "x", lambda t: F.convert_image_dtype(t, torch.uint8), {"op": "convertImageDtype", "dtype": "uint8"})
    case("convert f64->i16", "x64", lambda t: F.convert_image_dtype(t, torch.int16), {"op": "convertImageDtype", "dtype": "int16"})
    case("convert f32->f64", "x", lambda t: F.convert_image_dtype(t, torch.float64), {"op": "convertImageDtype", "dtype": "float64"})

    # PIL's resize of the same uint8 image (what torchvision does for PIL images, which Kiln's
    # RawImage stands for): Kiln's antialiased tensor rule must agree within a level.
    from PIL import Image
    pil_img = Image.fromarray(inputs["u8"].permute(1, 2, 0).numpy(), "RGB")
    pil = []
    for size, m in [([4, 5], "bilinear"), ([10, 12], "bilinear"), ([3, 14], "bilinear")]:
        out = F.pil_to_tensor(F.resize(pil_img, size, modes[m]))
        pil.append({"size": size, "interpolation": m, "out": enc(out)})

    doc = {
        "pil": pil,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "inputs": {k: enc(t) for k, t in inputs.items()},
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    print(f"wrote {OUT}: {len(cases)} cases, {os.path.getsize(OUT)} bytes")


def image_folder():
    """A small ImageFolder tree (test/golden/data/image-folder/) and what torchvision makes of it:
    classes, samples (paths relative to the root) and each image as pil_to_tensor of
    default_loader (RGB bytes, [3, H, W]) written to image-folder.json."""
    import numpy as np
    from PIL import Image
    from torchvision.datasets import ImageFolder

    root = os.path.join(ROOT, "test", "golden", "data", "image-folder")
    rs = np.random.RandomState(1)

    def save(rel, arr, mode, fmt, **kw):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        Image.fromarray(arr, mode).save(path, fmt, **kw)

    save("cat/b.png", rs.randint(0, 256, (5, 4, 3)).astype(np.uint8), "RGB", "PNG")
    save("cat/a.PNG", rs.randint(0, 256, (3, 6)).astype(np.uint8), "L", "PNG")
    save("cat/c.png", rs.randint(0, 256, (4, 4, 4)).astype(np.uint8), "RGBA", "PNG")
    pal = Image.fromarray(rs.randint(0, 4, (3, 5)).astype(np.uint8), "P")
    pal.putpalette([10, 20, 30, 200, 100, 0, 0, 255, 128, 90, 90, 90] + [0] * 756)
    os.makedirs(os.path.join(root, "dog", "sub"), exist_ok=True)
    pal.save(os.path.join(root, "dog", "p.png"), "PNG")
    smooth = np.stack([np.add.outer(np.arange(16) * 8, np.arange(16) * 4) % 256] * 3, -1).astype(np.uint8)
    save("dog/sub/j.jpg", smooth, "RGB", "JPEG", quality=95)
    save("Zebra/z.jpeg", rs.randint(0, 256, (8, 8)).astype(np.uint8), "L", "JPEG", quality=90)
    with open(os.path.join(root, "cat", "notes.txt"), "w") as f:
        f.write("not an image\n")
    ds = ImageFolder(root)
    out = {
        "classes": ds.classes,
        "classToIdx": ds.class_to_idx,
        "samples": [[os.path.relpath(p, root), t] for p, t in ds.samples],
        "images": [enc(F.pil_to_tensor(ds[i][0]).to(torch.int32)) for i in range(len(ds))],
    }
    with open(os.path.join(ROOT, "test", "golden", "data", "image-folder.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("image folder:", out["classes"], out["samples"])


if __name__ == "__main__":
    main()
    image_folder()

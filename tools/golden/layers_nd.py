"""Golden fixtures for Kiln's 3-D, pooling and normalisation layers (issue 18, item 3).

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/layers_nd.py
Writes test/golden/nn/layers_nd.json in nn.py's enc() format: for every layer case the repr,
the state dict, then per step (train or eval) the input, the upstream gradient, the output (and
the indices of return_indices layers), the input gradient and the parameter gradients, and the
state dict after all steps (running statistics). `unpool` cases pool with indices, then unpool.
"""
import base64
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn")
torch.manual_seed(0)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def state(m):
    return {k: enc(v) for k, v in m.state_dict().items()}


CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def randomize(m):
    """Non-trivial affine parameters (norm layers start at 1 and 0)."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(torch.rand_like(p) + 0.5)
            elif name.endswith("bias") and p.dim() == 1 and not isinstance(m, CONVS):
                p.copy_(torch.randn_like(p) * 0.5)


def module_case(name, m, inputs, modes):
    randomize(m)
    case = {"name": name, "repr": repr(m), "state": state(m), "steps": []}
    for x, mode in zip(inputs, modes):
        m.train(mode == "train")
        xin = x.clone().requires_grad_(True)
        out = m(xin)
        step = {"mode": mode, "input": enc(x)}
        if isinstance(out, tuple):
            out, idx = out
            step["indices"] = enc(idx)
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        step.update({"gy": enc(gy), "output": enc(out), "grad_input": enc(xin.grad)})
        step["grads"] = {n: enc(p.grad) for n, p in m.named_parameters() if p.grad is not None}
        m.zero_grad(set_to_none=True)
        case["steps"].append(step)
    case["final_state"] = state(m)
    return case


def layers():
    r = torch.randn
    pos = lambda *s: torch.rand(*s) + 0.1
    cases = []
    add = lambda name, m, inputs, modes=None: cases.append(
        module_case(name, m, inputs, modes or ["train"] * len(inputs)))
    # Conv3d
    add("conv3d", nn.Conv3d(2, 4, 3), [r(2, 2, 5, 6, 4)])
    add("conv3d_luna", nn.Conv3d(1, 4, 3, padding=1), [r(2, 1, 4, 6, 6), r(2, 1, 4, 6, 6)], ["train", "eval"])
    add("conv3d_strided_groups", nn.Conv3d(4, 6, (3, 2, 2), stride=(2, 1, 2), padding=(1, 0, 1),
                                           dilation=(1, 2, 1), groups=2, bias=False), [r(2, 4, 7, 6, 5)])
    add("conv3d_same", nn.Conv3d(2, 3, (2, 3, 4), padding="same", dilation=(2, 1, 1)), [r(1, 2, 5, 6, 7)])
    add("conv3d_valid", nn.Conv3d(2, 2, 2, padding="valid"), [r(1, 2, 3, 4, 3)])
    add("conv3d_unbatched", nn.Conv3d(2, 3, 2), [r(2, 4, 4, 3)])
    # padding modes
    add("conv1d_reflect", nn.Conv1d(2, 3, 3, padding=2, padding_mode="reflect"), [r(2, 2, 7)])
    add("conv2d_replicate", nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"), [r(2, 2, 5, 4)])
    add("conv2d_circular_same", nn.Conv2d(2, 3, (2, 3), padding="same", padding_mode="circular"), [r(1, 2, 5, 6)])
    add("conv3d_reflect", nn.Conv3d(2, 2, 3, padding=1, padding_mode="reflect"), [r(1, 2, 4, 5, 4)])
    add("conv3d_circular", nn.Conv3d(2, 2, (3, 1, 2), stride=2, padding=(1, 0, 2), padding_mode="circular"),
        [r(1, 2, 5, 4, 6)])
    add("conv3d_replicate_same", nn.Conv3d(1, 2, 2, padding="same", padding_mode="replicate"), [r(1, 1, 3, 4, 5)])
    # max pooling
    add("maxpool3d", nn.MaxPool3d(2), [r(2, 2, 4, 6, 6)])
    add("maxpool3d_ceil_pad", nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), [r(1, 2, 5, 6, 7)])
    add("maxpool3d_dil", nn.MaxPool3d((2, 3, 2), stride=1, dilation=(1, 1, 2)), [r(1, 2, 3, 5, 6)])
    add("maxpool3d_indices", nn.MaxPool3d(2, stride=(1, 2, 2), return_indices=True), [r(2, 2, 3, 4, 5)] * 2,
        ["train", "eval"])
    add("maxpool3d_unbatched", nn.MaxPool3d(2, return_indices=True, ceil_mode=True), [r(2, 3, 5, 5)])
    add("maxpool2d_indices_ceil", nn.MaxPool2d(3, stride=2, padding=1, return_indices=True, ceil_mode=True),
        [r(2, 2, 7, 6)])
    add("maxpool1d_indices", nn.MaxPool1d(3, stride=2, padding=1, return_indices=True, ceil_mode=True),
        [r(2, 3, 8)])
    # average pooling
    add("avgpool1d", nn.AvgPool1d(3), [r(2, 3, 10)])
    add("avgpool1d_pad_ceil", nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        [r(2, 3, 8)])
    add("avgpool3d", nn.AvgPool3d(2), [r(2, 2, 4, 4, 6), r(1, 2, 2, 3, 2)], ["train", "eval"])
    add("avgpool3d_pad_ceil", nn.AvgPool3d(3, stride=2, padding=1, ceil_mode=True), [r(1, 2, 5, 6, 4)])
    add("avgpool3d_exclude_pad", nn.AvgPool3d((3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 0), ceil_mode=True,
                                              count_include_pad=False), [r(1, 2, 5, 4, 6)])
    add("avgpool3d_divisor", nn.AvgPool3d(2, divisor_override=3), [r(1, 2, 4, 4, 2)])
    # adaptive pooling
    add("adaptiveavgpool1d", nn.AdaptiveAvgPool1d(3), [r(2, 3, 7)])
    add("adaptiveavgpool3d", nn.AdaptiveAvgPool3d((2, None, 3)), [r(2, 2, 5, 3, 7)])
    add("adaptiveavgpool3d_1", nn.AdaptiveAvgPool3d(1), [r(2, 3, 3, 4, 2)])
    add("adaptivemaxpool1d", nn.AdaptiveMaxPool1d(3, return_indices=True), [r(2, 3, 7)])
    add("adaptivemaxpool2d", nn.AdaptiveMaxPool2d((2, 3), return_indices=True), [r(2, 2, 5, 7)])
    add("adaptivemaxpool2d_none", nn.AdaptiveMaxPool2d((None, 2)), [r(1, 2, 3, 5)])
    add("adaptivemaxpool3d", nn.AdaptiveMaxPool3d((2, 3, 2), return_indices=True), [r(1, 2, 5, 7, 3)])
    # LP pooling (positive inputs: x^p of a negative x is NaN for fractional p)
    add("lppool1d", nn.LPPool1d(2, 3, stride=2), [pos(2, 3, 8), pos(1, 3, 5)], ["train", "eval"])
    add("lppool2d", nn.LPPool2d(1.5, (2, 3), stride=(1, 2), ceil_mode=True), [pos(1, 2, 5, 6)])
    # normalisation
    steps = ["train", "train", "eval"]
    add("batchnorm3d", nn.BatchNorm3d(3), [r(2, 3, 3, 4, 4) * 2 + 1 for _ in steps], steps)
    add("batchnorm3d_momentum_none", nn.BatchNorm3d(2, momentum=None), [r(2, 2, 3, 3, 3) + 2 for _ in steps],
        steps)
    add("instancenorm1d", nn.InstanceNorm1d(3), [r(2, 3, 7) for _ in ["train", "eval"]], ["train", "eval"])
    add("instancenorm1d_unbatched", nn.InstanceNorm1d(3, affine=True), [r(3, 6)])
    add("instancenorm2d_affine_track", nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        [r(2, 3, 4, 5) * 2 + 1 for _ in steps], steps)
    add("instancenorm3d_track", nn.InstanceNorm3d(2, eps=1e-3, momentum=0.3, track_running_stats=True),
        [r(2, 2, 3, 3, 4) - 1 for _ in steps], steps)
    add("localresponsenorm", nn.LocalResponseNorm(3), [r(2, 5, 3, 4) * 10])
    add("localresponsenorm_3d", nn.LocalResponseNorm(2, alpha=1e-2, beta=0.5, k=2.0), [r(2, 4, 6) * 3])
    add("localresponsenorm_5d", nn.LocalResponseNorm(4, alpha=0.1), [r(1, 5, 2, 3, 2) * 2])
    return cases


def unpool_cases():
    out = []

    def add(name, pool, unpool, x, output_size=None):
        y, idx = pool(x)
        yin = y.detach().clone().requires_grad_(True)
        u = unpool(yin, idx, output_size=output_size)
        gy = torch.randn_like(u)
        (u * gy).sum().backward()
        out.append({"name": name, "repr": repr(unpool), "input": enc(y), "indices": enc(idx),
                    "output_size": output_size, "output": enc(u), "gy": enc(gy), "grad_input": enc(yin.grad)})

    r = torch.randn
    add("maxunpool1d", nn.MaxPool1d(2, return_indices=True), nn.MaxUnpool1d(2), r(2, 3, 8))
    add("maxunpool1d_size", nn.MaxPool1d(3, stride=2, padding=1, return_indices=True),
        nn.MaxUnpool1d(3, stride=2, padding=1), r(1, 2, 9), [1, 2, 9])
    add("maxunpool2d", nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2), r(2, 2, 4, 6))
    add("maxunpool2d_size", nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2), r(1, 2, 5, 5), [5, 5])
    add("maxunpool3d", nn.MaxPool3d(2, return_indices=True), nn.MaxUnpool3d(2), r(1, 2, 4, 4, 6))
    add("maxunpool3d_unbatched", nn.MaxPool3d((1, 2, 2), return_indices=True), nn.MaxUnpool3d((1, 2, 2)),
        r(2, 3, 4, 4))
    return out


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    obj = {"torch": torch.__version__, "cases": layers(), "unpool": unpool_cases()}
    path = os.path.join(OUT, "layers_nd.json")
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print("wrote", path, os.path.getsize(path), "bytes")

"""Golden fixtures for Kiln's activation functions and layers (issue 18, item 4).

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/activations.py
Writes test/golden/nn/activations.json. Tensors as in tools/golden/nn.py: {"shape", "dtype",
"b64"}. The input holds every kink the functions have (0, +-lambda, +-3, 6, the thresholds,
+-20) so the gradients there are PyTorch's. For each function: output, input gradient for a
fixed upstream gradient, grad_fn name; for each in-place form: grad_fn name and whether a later
in-place write to the result breaks backward (PyTorch saves the result); for each layer: repr,
output, input and parameter gradients.
"""
import base64
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn", "activations.json")
torch.manual_seed(0)


def enc(t):
    t = t.detach().contiguous()
    dtype = {torch.float32: "float32", torch.float64: "float64"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


SPECIAL = [-25, -20, -4, -3, -2.5, -2, -1, -0.5, -0.25, -0.1, 0, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 4, 6, 7, 20, 25]
X = torch.cat([torch.tensor(SPECIAL, dtype=torch.float32), torch.randn(48 - len(SPECIAL)) * 3]).view(6, 8)
X3 = torch.randn(2, 3, 4) * 2
X3[0, 0, 0] = 0.0
X4 = torch.randn(2, 3, 2, 2)

# name -> (input, fn); the test file maps the same names to Kiln calls.
FUNCS = {
    "relu": (X, lambda x: F.relu(x)),
    "relu6": (X, lambda x: F.relu6(x)),
    "leakyRelu": (X, lambda x: F.leaky_relu(x)),
    "leakyRelu_0.2": (X, lambda x: F.leaky_relu(x, 0.2)),
    "elu": (X, lambda x: F.elu(x)),
    "elu_0.5": (X, lambda x: F.elu(x, 0.5)),
    "celu": (X, lambda x: F.celu(x)),
    "celu_2": (X, lambda x: F.celu(x, 2.0)),
    "selu": (X, lambda x: F.selu(x)),
    "threshold_0.1_20": (X, lambda x: F.threshold(x, 0.1, 20.0)),
    "threshold_1_-2": (X, lambda x: F.threshold(x, 1.0, -2.0)),
    "hardtanh": (X, lambda x: F.hardtanh(x)),
    "hardtanh_-2.5_3": (X, lambda x: F.hardtanh(x, -2.5, 3.0)),
    "rrelu_eval": (X, lambda x: F.rrelu(x)),
    "rrelu_eval_0.1_0.3": (X, lambda x: F.rrelu(x, 0.1, 0.3, False)),
    "hardswish": (X, lambda x: F.hardswish(x)),
    "hardsigmoid": (X, lambda x: F.hardsigmoid(x)),
    "silu": (X, lambda x: F.silu(x)),
    "mish": (X, lambda x: F.mish(x)),
    "gelu": (X, lambda x: F.gelu(x)),
    "gelu_tanh": (X, lambda x: F.gelu(x, approximate="tanh")),
    "logsigmoid": (X, lambda x: F.logsigmoid(x)),
    "softsign": (X, lambda x: F.softsign(x)),
    "tanhshrink": (X, lambda x: F.tanhshrink(x)),
    "softshrink": (X, lambda x: F.softshrink(x)),
    "softshrink_1": (X, lambda x: F.softshrink(x, 1.0)),
    "hardshrink": (X, lambda x: F.hardshrink(x)),
    "hardshrink_0.25": (X, lambda x: F.hardshrink(x, 0.25)),
    "softplus": (X, lambda x: F.softplus(x)),
    "softmin_1": (X, lambda x: F.softmin(x, 1)),
    "softmin_0": (X, lambda x: F.softmin(x, 0)),
    "softmin_none_3d": (X3, lambda x: F.softmin(x, None)),
    "glu": (X, lambda x: F.glu(x)),
    "glu_0": (X, lambda x: F.glu(x, 0)),
    "glu_2_4d": (X4, lambda x: F.glu(x, 2)),
}

# In-place forms: name -> (out-of-place case whose values they must reproduce, in-place fn).
INPLACE = {
    "relu": ("relu", lambda x: F.relu(x, inplace=True)),
    "relu6": ("relu6", lambda x: F.relu6(x, inplace=True)),
    "leakyRelu": ("leakyRelu_0.2", lambda x: F.leaky_relu(x, 0.2, inplace=True)),
    "elu": ("elu_0.5", lambda x: F.elu(x, 0.5, inplace=True)),
    "celu": ("celu_2", lambda x: F.celu(x, 2.0, inplace=True)),
    "selu": ("selu", lambda x: F.selu(x, inplace=True)),
    "threshold": ("threshold_1_-2", lambda x: F.threshold(x, 1.0, -2.0, inplace=True)),
    "hardtanh": ("hardtanh_-2.5_3", lambda x: F.hardtanh(x, -2.5, 3.0, inplace=True)),
    "rrelu": ("rrelu_eval", lambda x: F.rrelu(x, inplace=True)),
    "hardswish": ("hardswish", lambda x: F.hardswish(x, inplace=True)),
    "hardsigmoid": ("hardsigmoid", lambda x: F.hardsigmoid(x, inplace=True)),
    "silu": ("silu", lambda x: F.silu(x, inplace=True)),
    "mish": ("mish", lambda x: F.mish(x, inplace=True)),
}

# name -> (module, input, mode)
MODULES = {
    "PReLU": (lambda: nn.PReLU(), X, "train"),
    "PReLU_3_0.1": (lambda: nn.PReLU(3, 0.1), X3, "train"),
    "PReLU_3_4d": (lambda: nn.PReLU(3, -0.3), X4, "train"),
    "RReLU_eval": (lambda: nn.RReLU(), X, "eval"),
    "RReLU_0.1_0.3_eval": (lambda: nn.RReLU(0.1, 0.3), X, "eval"),
    "SELU": (lambda: nn.SELU(), X, "train"),
    "CELU_1.5": (lambda: nn.CELU(1.5), X, "train"),
    "Mish": (lambda: nn.Mish(), X, "train"),
    "Hardswish": (lambda: nn.Hardswish(), X, "train"),
    "Hardsigmoid": (lambda: nn.Hardsigmoid(), X, "train"),
    "LogSigmoid": (lambda: nn.LogSigmoid(), X, "train"),
    "Softsign": (lambda: nn.Softsign(), X, "train"),
    "Softmin_1": (lambda: nn.Softmin(1), X, "train"),
    "Tanhshrink": (lambda: nn.Tanhshrink(), X, "train"),
    "Softshrink": (lambda: nn.Softshrink(), X, "train"),
    "Hardshrink_1": (lambda: nn.Hardshrink(1), X, "train"),
    "Threshold_0.1_20": (lambda: nn.Threshold(0.1, 20), X, "train"),
    "GLU": (lambda: nn.GLU(), X, "train"),
    "GLU_2_4d": (lambda: nn.GLU(2), X4, "train"),
    "Softmax2d_4d": (lambda: nn.Softmax2d(), X4, "train"),
    "Softmax2d_3d": (lambda: nn.Softmax2d(), X3, "train"),
    "ReLU6": (lambda: nn.ReLU6(), X, "train"),
    "ReLU6_inplace": (lambda: nn.ReLU6(True), X, "train"),
}

# name -> module whose repr the test compares (the same names build the Kiln module).
REPRS = {
    "PReLU()": nn.PReLU(), "PReLU(3, 0.1)": nn.PReLU(3, 0.1),
    "RReLU()": nn.RReLU(), "RReLU(0.1, 0.3, True)": nn.RReLU(0.1, 0.3, True),
    "SELU()": nn.SELU(), "SELU(True)": nn.SELU(True),
    "CELU()": nn.CELU(), "CELU(2.5, True)": nn.CELU(2.5, True),
    "Mish()": nn.Mish(), "Mish(True)": nn.Mish(True),
    "Hardswish()": nn.Hardswish(), "Hardswish(True)": nn.Hardswish(True),
    "Hardsigmoid()": nn.Hardsigmoid(), "Hardsigmoid(True)": nn.Hardsigmoid(True),
    "LogSigmoid()": nn.LogSigmoid(), "Softsign()": nn.Softsign(), "Tanhshrink()": nn.Tanhshrink(),
    "Softmin()": nn.Softmin(), "Softmin(1)": nn.Softmin(1),
    "Softshrink()": nn.Softshrink(), "Softshrink(1)": nn.Softshrink(1), "Hardshrink(0.25)": nn.Hardshrink(0.25),
    "Threshold(0.1, 20)": nn.Threshold(0.1, 20), "Threshold(1, 2, True)": nn.Threshold(1, 2, True),
    "GLU()": nn.GLU(), "GLU(1)": nn.GLU(1), "Softmax2d()": nn.Softmax2d(),
    "ReLU6()": nn.ReLU6(), "ReLU6(True)": nn.ReLU6(True),
    "ReLU(True)": nn.ReLU(True), "SiLU(True)": nn.SiLU(True), "ELU(inplace=True)": nn.ELU(inplace=True),
    "LeakyReLU(0.2, True)": nn.LeakyReLU(0.2, True), "Hardtanh(inplace=True)": nn.Hardtanh(inplace=True),
    "Sequential(PReLU(2), RReLU(), ReLU6())": nn.Sequential(nn.PReLU(2), nn.RReLU(), nn.ReLU6()),
}


def func_case(x, fn):
    xin = x.clone().requires_grad_(True)
    out = fn(xin)
    gy = torch.randn_like(out)
    (out * gy).sum().backward()
    return {"input": enc(x), "gy": enc(gy), "output": enc(out), "grad": enc(xin.grad), "gradFn": out.grad_fn.name()}


def inplace_case(base, fn):
    x, _ = FUNCS[base]
    leaf = x.clone().requires_grad_(True)
    y = fn(leaf * 1)
    name = y.grad_fn.name()
    leaf2 = x.clone().requires_grad_(True)
    z = fn(leaf2 * 1)
    z.mul_(2)
    try:
        z.sum().backward()
        saves_result = False
    except RuntimeError as e:
        assert "modified by an inplace operation" in str(e), e
        saves_result = True
    return {"base": base, "gradFn": name, "savesResult": saves_result}


def module_case(make, x, mode):
    m = make()
    m.train(mode == "train")
    xin = x.clone().requires_grad_(True)
    out = m(xin * 1)
    gy = torch.randn_like(out)
    (out * gy).sum().backward()
    return {
        "repr": repr(m), "mode": mode, "input": enc(x), "gy": enc(gy), "output": enc(out),
        "grad": enc(xin.grad), "grads": {n: enc(p.grad) for n, p in m.named_parameters()},
        "state": {k: enc(v) for k, v in m.state_dict().items()},
    }


def main():
    fixture = {
        "torch": torch.__version__,
        "funcs": {n: func_case(x, f) for n, (x, f) in FUNCS.items()},
        "inplace": {n: inplace_case(b, f) for n, (b, f) in INPLACE.items()},
        "modules": {n: module_case(mk, x, mode) for n, (mk, x, mode) in MODULES.items()},
        "reprs": {n: repr(m) for n, m in REPRS.items()},
    }
    # F.prelu with a one-slope and a per-channel weight: input and weight gradients.
    prelu = {}
    for name, x, w in [("scalar", X, torch.tensor([0.25])), ("channels", X3, torch.tensor([0.1, -0.2, 0.3]))]:
        xin = x.clone().requires_grad_(True)
        win = w.clone().requires_grad_(True)
        out = F.prelu(xin, win)
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        prelu[name] = {"input": enc(x), "weight": enc(w), "gy": enc(gy), "output": enc(out),
                       "grad": enc(xin.grad), "gradWeight": enc(win.grad), "gradFn": out.grad_fn.name()}
    fixture["prelu"] = prelu
    with open(OUT, "w") as f:
        json.dump(fixture, f)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()

"""Golden fixtures for Kiln's autograd extras (issue 15, item 6): higher-order gradients, the
functional API, Module full backward hooks and custom Functions, from PyTorch 1.13.

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/autograd_more.py
Writes test/golden/nn/autograd_more.json ({"shape", "dtype", "b64"} tensors as tools/golden/nn.py).
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


def grads(m):
    return {k: None if p.grad is None else enc(p.grad) for k, p in m.named_parameters()}


def penalty_case(model, x):
    """WGAN-GP: mean over the batch of (‖∂critic/∂x‖₂ − 1)², backpropagated to the parameters."""
    st = state(model)
    x = x.clone().requires_grad_(True)
    out = model(x)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    pen = ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()
    model.zero_grad()
    pen.backward()
    return {"state": st, "x": enc(x), "out": enc(out), "gx": enc(g), "penalty": enc(pen), "grads": grads(model)}


class Critic(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(4, 8)
        self.l2 = nn.Linear(8, 8)
        self.l3 = nn.Linear(8, 8)
        self.l4 = nn.Linear(8, 1)

    def forward(self, x):
        return self.l4(F.relu(self.l3(F.softplus(self.l2(torch.tanh(self.l1(x)))))))


class ConvCritic(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, stride=2, padding=1)
        self.fc = nn.Linear(4 * 2 * 2, 1)

    def forward(self, x):
        h = F.max_pool2d(F.softplus(self.bn(self.conv(x))), 2, stride=1, padding=1)
        h = F.avg_pool2d(torch.tanh(self.conv2(h)), 2, stride=1, padding=1)
        return self.fc(F.relu(h[:, :, :2, :2]).flatten(1))


def hvp_case():
    model = nn.Sequential(nn.Linear(3, 6), nn.Tanh(), nn.Linear(6, 6), nn.Sigmoid(), nn.Linear(6, 2))
    x = torch.randn(5, 3)
    y = torch.randint(0, 2, (5,))
    params = list(model.parameters())
    loss = F.cross_entropy(model(x), y)
    gs = torch.autograd.grad(loss, params, create_graph=True)
    vs = [torch.randn_like(p) for p in params]
    hv = torch.autograd.grad(gs, params, grad_outputs=vs)
    return {"state": state(model), "x": enc(x), "y": enc(y), "loss": enc(loss),
            "g": [enc(g) for g in gs], "v": [enc(v) for v in vs], "hv": [enc(h) for h in hv]}


def functional_case():
    af = torch.autograd.functional
    x = torch.tensor([0.5, -1.0, 2.0])
    v = torch.tensor([1.0, 0.5, -2.0])
    a = torch.tensor([[1.0, 2.0], [3.0, -1.0]])
    b = torch.tensor([0.5, -0.25])

    def f(t):
        return t.tanh() * t.sum()

    def s(t):
        return (t ** 3 * t.sin()).sum()

    def g2(p, q):
        return (p @ q).exp(), p.sum() * q

    def s2(p, q):
        return (p @ q).pow(2).sum() + (p * p).sum() * q.sum()

    out = {"x": enc(x), "v": enc(v), "a": enc(a), "b": enc(b)}
    out["jac"] = enc(af.jacobian(f, x))
    j2 = af.jacobian(g2, (a, b))
    out["jac2"] = [[enc(t) for t in row] for row in j2]
    out["hess"] = enc(af.hessian(s, x))
    h2 = af.hessian(s2, (a, b))
    out["hess2"] = [[enc(t) for t in row] for row in h2]
    o, r = af.vjp(f, x, v)
    out["vjp"] = [enc(o), enc(r)]
    o, r = af.jvp(f, x, v)
    out["jvp"] = [enc(o), enc(r)]
    o, r = af.hvp(s, x, v)
    out["hvp"] = [enc(o), enc(r)]
    o, r = af.vhp(s, x, v)
    out["vhp"] = [enc(o), enc(r)]
    return out


def hooks_case():
    lin = nn.Linear(3, 2)
    x = torch.randn(4, 3, requires_grad=True)
    w = torch.randn(4, 2)
    seen = {}

    def hook(m, gi, go):
        seen["gi"] = gi
        seen["go"] = go
        return (gi[0] * 2,)

    h = lin.register_full_backward_hook(hook)
    (lin(x) * w).sum().backward()
    h.remove()
    return {"state": state(lin), "x": enc(x), "w": enc(w), "gradInput": enc(seen["gi"][0]),
            "gradOutput": enc(seen["go"][0]), "xgrad": enc(x.grad), "wgrad": enc(lin.weight.grad)}


def main():
    torch.manual_seed(0)
    fixture = {}
    fixture["gpMlp"] = penalty_case(Critic(), torch.randn(5, 4))
    torch.manual_seed(1)
    conv = ConvCritic()
    with torch.no_grad():
        conv.bn.weight.copy_(torch.rand(4) + 0.5)
        conv.bn.bias.copy_(torch.rand(4) - 0.5)
    fixture["gpConv"] = penalty_case(conv, torch.randn(3, 2, 4, 4))
    torch.manual_seed(2)
    fixture["hvp"] = hvp_case()
    fixture["functional"] = functional_case()
    torch.manual_seed(3)
    fixture["hooks"] = hooks_case()
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, "autograd_more.json")
    with open(path, "w") as fh:
        json.dump(fixture, fh)
    print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()

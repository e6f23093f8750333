"""Golden fixtures for issue 13's silent divergences (items 1, 2, 3 and 7).

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/divergences.py
Writes test/golden/nn/divergences.json and test/golden/io-torch/huge-view-*.pt:
- a container holding one module object several times (Sequential(lin, ReLU, lin) and
  Sequential(*(3 * [block]))): outputs, len, parameter count, state-dict keys, gradients;
- model.double() then training steps (the in-place updates must reach what forward reads);
- BCELoss at inputs exactly 0 and 1, and a saturated Sigmoid + BCE step (finite loss and grads);
- .pt files holding a view of 2^31 and 2^40 elements over a one-element storage (stride 0).
"""
import base64
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden")
torch.manual_seed(0)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def state(m):
    return {k: enc(v) for k, v in m.state_dict().items()}


class Block(nn.Module):
    """A residual block like the book's ResBlock, on vectors."""

    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.bn = nn.BatchNorm1d(n)

    def forward(self, x):
        return torch.relu(self.bn(self.fc(x))) + x


def shared_modules():
    lin = nn.Linear(4, 4)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    init = state(seq)
    x = torch.randn(3, 4)
    y = seq(x)
    y.sum().backward()
    a = {
        "state": init, "x": enc(x), "y": enc(y), "len": len(seq),
        "n_params": len(list(seq.parameters())), "keys": list(seq.state_dict().keys()),
        "grads": {n: enc(p.grad) for n, p in seq.named_parameters()},
        "named_children": [n for n, _ in seq.named_children()],
        "iter_len": len(list(iter(seq))),
    }
    block = Block(5)
    deep = nn.Sequential(*(3 * [block]))
    init = state(deep)
    x = torch.randn(6, 5)
    out = deep(x)
    (out * out).sum().backward()
    b = {
        "state": init, "after": state(deep), "x": enc(x), "y": enc(out), "len": len(deep),
        "n_params": len(list(deep.parameters())), "keys": list(deep.state_dict().keys()),
        "grads": {n: enc(p.grad) for n, p in deep.named_parameters()},
    }
    ml = nn.ModuleList([lin, lin, nn.ReLU()])
    c = {"len": len(ml), "iter_len": len(list(iter(ml))), "n_params": len(list(ml.parameters())),
         "keys": list(ml.state_dict().keys())}
    return {"seq": a, "deep": b, "module_list": c}


def double_training():
    """The linear fit of the book's p1ch5/p1ch6 in float64: loss must fall."""
    model = nn.Linear(1, 1)
    init = state(model)
    model.double()
    x = torch.linspace(0, 10, 11, dtype=torch.float64).unsqueeze(1)
    y = 3 * x + 1
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(50):
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    # cast back after training, with a gradient present
    model.float()
    return {"init": init, "x": enc(x), "y": enc(y), "losses": losses, "final": state(model),
            "grad_dtype": str(model.weight.grad.dtype).replace("torch.", "")}


def bce():
    x = torch.tensor([0.0, 1.0, 0.3, 1.0, 0.0, 1e-30, 1 - 2 ** -24], requires_grad=True)
    y = torch.tensor([1.0, 0.0, 0.5, 1.0, 0.0, 1.0, 0.0])
    w = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    out = {}
    for red in ["mean", "sum", "none"]:
        for weighted in [False, True]:
            x.grad = None
            loss = F.binary_cross_entropy(x, y, weight=w if weighted else None, reduction=red)
            gy = torch.ones_like(loss) if red != "none" else torch.linspace(-1, 1, 7)
            loss.backward(gy)
            out[f"{red}_{int(weighted)}"] = {"loss": enc(loss), "gy": enc(gy), "grad": enc(x.grad)}
    # A saturated Sigmoid + BCELoss training step (siamese_network's pattern).
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[60.0, -60.0]]))
        lin.bias.fill_(40.0)
    init = state(lin)
    xs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [3.0, -3.0]])
    ys = torch.tensor([[0.0], [1.0], [0.0]])
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.BCELoss()(torch.sigmoid(lin(xs)), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return {"x": enc(x.detach()), "y": enc(y), "w": enc(w), "cases": out,
            "sat": {"init": init, "x": enc(xs), "y": enc(ys), "losses": losses, "final": state(lin)}}


def huge_views():
    d = os.path.join(ROOT, "io-torch")
    os.makedirs(d, exist_ok=True)
    for name, n in [("huge-view-2p31.pt", 2 ** 31), ("huge-view-2p40.pt", 2 ** 40)]:
        torch.save({"x": torch.ones(1).expand(n)}, os.path.join(d, name), _use_new_zipfile_serialization=True)


def main():
    golden = {"torch": torch.__version__, "shared": shared_modules(), "double": double_training(), "bce": bce()}
    path = os.path.join(ROOT, "nn", "divergences.json")
    with open(path, "w") as f:
        json.dump(golden, f)
    huge_views()
    print("wrote", path)


if __name__ == "__main__":
    main()

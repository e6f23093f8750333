"""Golden fixtures for Kiln's nn (issue 3): layers, activations, losses, init, models.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/nn.py
Writes test/golden/nn/{layers,losses,init,models}.json. Tensors are stored as
{"shape", "dtype", "b64"} (little-endian bytes); int64 is written as int32, Kiln's index dtype.
Every layer case records forward output, input gradient and parameter gradients for a fixed
upstream gradient, in train and eval mode, plus the state dict after all steps.
"""
import base64
import json
import math
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


def randomize(m):
    """Non-trivial affine parameters (BatchNorm/LayerNorm/GroupNorm start at 1 and 0)."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if name.endswith("weight") and p.dim() == 1:
                p.copy_(torch.rand_like(p) + 0.5)
            elif name.endswith("bias") and p.dim() == 1 and not isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                p.copy_(torch.randn_like(p) * 0.5)


def module_case(name, m, inputs, modes):
    """inputs: list of tensors; modes: list of "train"/"eval", one per step."""
    randomize(m)
    case = {"name": name, "repr": repr(m), "state": state(m), "steps": []}
    for x, mode in zip(inputs, modes):
        m.train(mode == "train")
        xin = x.clone()
        if xin.is_floating_point():
            xin.requires_grad_(True)
        out = m(xin)
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        step = {"mode": mode, "input": enc(x), "gy": enc(gy), "output": enc(out)}
        if xin.is_floating_point():
            step["grad_input"] = enc(xin.grad)
        step["grads"] = {n: enc(p.grad) for n, p in m.named_parameters() if p.grad is not None}
        m.zero_grad(set_to_none=True)
        case["steps"].append(step)
    case["final_state"] = state(m)
    return case


def layers():
    r = torch.randn
    cases = []
    add = lambda name, m, inputs, modes: cases.append(module_case(name, m, inputs, modes))
    add("linear", nn.Linear(5, 3), [r(4, 5)], ["train"])
    add("linear_nobias_3d", nn.Linear(5, 3, bias=False), [r(2, 4, 5)], ["train"])
    add("conv2d", nn.Conv2d(3, 4, 3), [r(2, 3, 7, 6)], ["train"])
    add("conv2d_pad_stride", nn.Conv2d(3, 4, (3, 2), stride=2, padding=1), [r(2, 3, 7, 6)], ["train"])
    add("conv2d_same_dil", nn.Conv2d(2, 4, 3, padding="same", dilation=2), [r(1, 2, 8, 7)], ["train"])
    add("conv2d_same_even", nn.Conv2d(2, 3, (2, 4), padding="same"), [r(2, 2, 5, 6)], ["train"])
    add("conv2d_groups", nn.Conv2d(4, 6, 3, groups=2, bias=False, stride=(2, 1), padding=(0, 1)), [r(2, 4, 7, 5)], ["train"])
    add("conv2d_unbatched", nn.Conv2d(2, 3, 2), [r(2, 4, 4)], ["train"])
    add("conv1d", nn.Conv1d(3, 5, 3, stride=2, padding=1), [r(2, 3, 9)], ["train"])
    add("conv1d_same", nn.Conv1d(2, 3, 4, padding="same", dilation=1), [r(2, 2, 8)], ["train"])
    add("conv1d_groups_dil", nn.Conv1d(4, 4, 2, groups=4, dilation=3), [r(1, 4, 10)], ["train"])
    add("maxpool2d", nn.MaxPool2d(2), [r(2, 3, 6, 6)], ["train"])
    add("maxpool2d_ceil_pad", nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True), [r(1, 2, 8, 7)], ["train"])
    add("maxpool2d_dil", nn.MaxPool2d(2, stride=1, dilation=2), [r(1, 2, 6, 5)], ["train"])
    add("maxpool2d_ties", nn.MaxPool2d(2), [torch.relu(r(1, 2, 4, 4)) * 0], ["train"])
    add("maxpool1d_ceil", nn.MaxPool1d(3, stride=2, ceil_mode=True), [r(2, 3, 10)], ["train"])
    add("avgpool2d", nn.AvgPool2d(2), [r(2, 3, 6, 6)], ["train"])
    add("avgpool2d_pad_ceil", nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), [r(1, 2, 8, 7)], ["train"])
    add("avgpool2d_exclude_pad", nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), [r(1, 2, 8, 7)], ["train"])
    add("avgpool2d_divisor", nn.AvgPool2d(2, divisor_override=3), [r(1, 2, 4, 5)], ["train"])
    add("adaptiveavgpool2d", nn.AdaptiveAvgPool2d((3, 2)), [r(2, 3, 7, 5)], ["train"])
    add("adaptiveavgpool2d_1", nn.AdaptiveAvgPool2d(1), [r(2, 3, 5, 4)], ["train"])
    steps = ["train", "train", "train", "eval"]
    add("batchnorm1d", nn.BatchNorm1d(4), [r(8, 4) * 2 + 1 for _ in steps], steps)
    add("batchnorm1d_3d", nn.BatchNorm1d(3), [r(4, 3, 5) for _ in steps], steps)
    add("batchnorm2d", nn.BatchNorm2d(3), [r(4, 3, 5, 5) * 3 - 1 for _ in steps], steps)
    add("batchnorm2d_momentum_none", nn.BatchNorm2d(3, momentum=None), [r(2, 3, 4, 4) + 2 for _ in steps], steps)
    add("batchnorm2d_momentum_05", nn.BatchNorm2d(3, momentum=0.5, eps=1e-3), [r(2, 3, 4, 4) for _ in steps], steps)
    add("batchnorm2d_no_affine", nn.BatchNorm2d(3, affine=False), [r(2, 3, 4, 4) for _ in steps], steps)
    add("batchnorm2d_no_track", nn.BatchNorm2d(3, track_running_stats=False), [r(2, 3, 4, 4) for _ in ["train", "eval"]], ["train", "eval"])
    add("layernorm", nn.LayerNorm([4, 5]), [r(3, 4, 5)], ["train"])
    add("layernorm_no_affine", nn.LayerNorm(6, elementwise_affine=False, eps=1e-3), [r(2, 3, 6)], ["train"])
    add("groupnorm", nn.GroupNorm(2, 4), [r(3, 4, 3, 3)], ["train"])
    add("groupnorm_no_affine", nn.GroupNorm(3, 6, affine=False), [r(2, 6, 5)], ["train"])
    add("embedding", nn.Embedding(10, 4), [torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])], ["train"])
    add("embedding_padding", nn.Embedding(10, 3, padding_idx=2), [torch.tensor([[0, 2, 4, 2], [4, 3, 2, 9]])], ["train"])
    add("flatten", nn.Flatten(), [r(2, 3, 2, 2)], ["train"])
    add("unflatten", nn.Unflatten(1, (2, 3)), [r(2, 6)], ["train"])
    add("identity", nn.Identity(), [r(2, 3)], ["train"])
    add("sequential", nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)), [r(5, 4)], ["train"])
    add("dropout_eval", nn.Dropout(0.3), [r(3, 4)], ["eval"])
    add("dropout2d_eval", nn.Dropout2d(0.3), [r(2, 3, 2, 2)], ["eval"])
    edge = torch.tensor([[-30.0, -2.5, -1.0, -0.5, 0.0, 0.3], [0.5, 1.0, 1.5, 2.0, 4.0, 30.0], [-0.1, 0.7, -3.0, 5.5, -6.0, 0.01]])
    acts = [
        ("relu", nn.ReLU()), ("leakyrelu", nn.LeakyReLU()), ("leakyrelu_02", nn.LeakyReLU(0.2)),
        ("elu", nn.ELU()), ("elu_15", nn.ELU(1.5)), ("gelu", nn.GELU()), ("gelu_tanh", nn.GELU(approximate="tanh")),
        ("silu", nn.SiLU()), ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh()), ("softmax", nn.Softmax(dim=1)),
        ("softmax_0", nn.Softmax(dim=0)), ("logsoftmax", nn.LogSoftmax(dim=1)), ("softplus", nn.Softplus()),
        ("softplus_beta", nn.Softplus(beta=2, threshold=5)), ("hardtanh", nn.Hardtanh()),
        ("hardtanh_range", nn.Hardtanh(-0.5, 1.5)),
    ]
    for name, m in acts:
        add(name, m, [edge], ["train"])
    return cases


def loss_cases():
    cases = []
    r = torch.randn

    def add(name, fn, inp, tgt, opts, reductions=("none", "mean", "sum")):
        for red in reductions:
            kw = {"reduction": red}
            for k, v in opts.items():
                kw[{"ignoreIndex": "ignore_index", "labelSmoothing": "label_smoothing", "posWeight": "pos_weight",
                    "logTarget": "log_target"}.get(k, k)] = v
            x = inp.clone().requires_grad_(True)
            out = fn(x, tgt, **kw)
            gy = torch.randn_like(out)
            (out * gy).sum().backward()
            o = {k: (enc(v) if torch.is_tensor(v) else v) for k, v in opts.items()}
            o["reduction"] = red
            cases.append({"name": name, "fn": fn.__name__, "options": o, "input": enc(inp), "target": enc(tgt),
                          "gy": enc(gy), "output": enc(out), "grad_input": enc(x.grad)})

    logits = r(5, 4) * 2
    t = torch.tensor([0, 3, 1, 1, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 1.5])
    for opts in [{}, {"weight": w}, {"ignoreIndex": 1}, {"labelSmoothing": 0.1},
                 {"weight": w, "ignoreIndex": 1, "labelSmoothing": 0.2}]:
        add("cross_entropy", F.cross_entropy, logits, t, opts)
    logits4 = r(2, 3, 2, 2)
    t4 = torch.tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])
    for opts in [{}, {"weight": torch.tensor([1.0, 0.3, 2.0])}, {"labelSmoothing": 0.15, "ignoreIndex": 0}]:
        add("cross_entropy_nd", F.cross_entropy, logits4, t4, opts)
    probs = torch.softmax(r(5, 4), 1)
    for opts in [{}, {"labelSmoothing": 0.2}, {"weight": w}]:
        add("cross_entropy_probs", F.cross_entropy, logits, probs, opts)
    add("cross_entropy_1d", F.cross_entropy, r(4), torch.tensor(2), {}, ("mean", "sum"))
    logp = torch.log_softmax(r(5, 4), 1)
    for opts in [{}, {"weight": w}, {"ignoreIndex": 3}]:
        add("nll_loss", F.nll_loss, logp, t, opts)
    p = torch.sigmoid(r(4, 3) * 3)
    y = torch.tensor([[0.0, 1.0, 0.3], [1.0, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.0]])
    for opts in [{}, {"weight": torch.tensor([0.2, 1.0, 3.0])}]:
        add("binary_cross_entropy", F.binary_cross_entropy, p, y, opts)
    z = r(4, 3) * 3
    z[0, 0] = 60.0
    z[1, 1] = -60.0
    for opts in [{}, {"posWeight": torch.tensor([2.0, 0.5, 1.0])}, {"weight": torch.tensor([0.2, 1.0, 3.0])}]:
        add("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, z, y, opts)
    a, b = r(3, 4), r(3, 4)
    add("mse_loss", F.mse_loss, a, b, {})
    add("l1_loss", F.l1_loss, a, b, {})
    for beta in [1.0, 0.5, 0.0]:
        add("smooth_l1_loss", F.smooth_l1_loss, a * 2, b, {"beta": beta})
    for delta in [1.0, 0.5]:
        add("huber_loss", F.huber_loss, a * 2, b, {"delta": delta})
    lq = torch.log_softmax(r(3, 4), 1)
    pt = torch.softmax(r(3, 4), 1)
    pt[0, 1] = 0.0
    add("kl_div", F.kl_div, lq, pt, {}, ("none", "mean", "sum", "batchmean"))
    add("kl_div", F.kl_div, lq, torch.log_softmax(r(3, 4), 1), {"logTarget": True}, ("none", "batchmean"))
    return cases


def init_stats():
    out = {"gains": {}, "fans": [], "stats": []}
    for nl in ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        out["gains"][nl] = nn.init.calculate_gain(nl)
    out["gains"]["leaky_relu_0.2"] = nn.init.calculate_gain("leaky_relu", 0.2)
    for shape in [[3, 5], [16, 8, 3, 3], [4, 2, 5]]:
        fi, fo = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        out["fans"].append({"shape": shape, "fanIn": fi, "fanOut": fo})

    def stat(name, shape, fn, opts):
        t = torch.empty(shape)
        fn(t)
        out["stats"].append({"name": name, "shape": shape, "options": opts, "mean": t.mean().item(),
                             "std": t.std().item(), "min": t.min().item(), "max": t.max().item()})

    I = nn.init
    shape = [256, 400]
    stat("uniform_", shape, lambda t: I.uniform_(t, -2.0, 3.0), {"a": -2, "b": 3})
    stat("normal_", shape, lambda t: I.normal_(t, 1.5, 0.5), {"mean": 1.5, "std": 0.5})
    stat("truncNormal_", shape, lambda t: I.trunc_normal_(t, 0.0, 1.0, -1.0, 2.0), {"mean": 0, "std": 1, "a": -1, "b": 2})
    stat("xavierUniform_", shape, lambda t: I.xavier_uniform_(t), {})
    stat("xavierUniform_", shape, lambda t: I.xavier_uniform_(t, gain=I.calculate_gain("relu")), {"gain": math.sqrt(2)})
    stat("xavierNormal_", shape, lambda t: I.xavier_normal_(t), {})
    stat("kaimingUniform_", shape, lambda t: I.kaiming_uniform_(t), {})
    stat("kaimingUniform_", shape, lambda t: I.kaiming_uniform_(t, a=math.sqrt(5)), {"a": math.sqrt(5)})
    stat("kaimingUniform_", shape, lambda t: I.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), {"mode": "fanOut", "nonlinearity": "relu"})
    stat("kaimingNormal_", shape, lambda t: I.kaiming_normal_(t), {})
    stat("kaimingNormal_", [64, 32, 3, 3], lambda t: I.kaiming_normal_(t, mode="fan_out", nonlinearity="relu"), {"mode": "fanOut", "nonlinearity": "relu"})
    stat("orthogonal_", shape, lambda t: I.orthogonal_(t), {})
    stat("orthogonal_", [400, 256], lambda t: I.orthogonal_(t, gain=2.0), {"gain": 2})
    stat("Linear.weight", [256, 400], lambda t: t.copy_(nn.Linear(400, 256).weight.detach()), {})
    stat("Linear.bias", [256], lambda t: t.copy_(torch.cat([nn.Linear(400, 256).bias.detach() for _ in range(40)])[:256]), {})
    stat("Conv2d.weight", [64, 32, 3, 3], lambda t: t.copy_(nn.Conv2d(32, 64, 3).weight.detach()), {})
    stat("Embedding.weight", [500, 64], lambda t: t.copy_(nn.Embedding(500, 64).weight.detach()), {})
    return out


class NeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.fc1(x).relu())


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(16 * 7 * 7, 10))

    def forward(self, x):
        x = self.pool(self.bn1(self.conv1(x)).relu())
        x = self.pool(self.bn2(self.conv2(x)).relu())
        return self.head(x)


def formula(shape, scale, phase):
    """Deterministic weights both sides can compute: scale·sin(0.37·i + phase) over the flat index."""
    n = math.prod(shape)
    i = torch.arange(n, dtype=torch.float64)
    return (torch.sin(i * 0.37 + phase) * scale).reshape(shape).float()


def models():
    net = NeuralNet()
    with torch.no_grad():
        net.fc1.weight.copy_(formula([128, 784], 0.05, 0.0))
        net.fc1.bias.copy_(formula([128], 0.1, 1.0))
        net.fc2.weight.copy_(formula([10, 128], 0.2, 2.0))
        net.fc2.bias.copy_(formula([10], 0.1, 3.0))
    x = formula([4, 784], 1.0, 0.5).abs()
    y = torch.tensor([3, 0, 9, 1])
    logits = net(x)
    losses = F.cross_entropy(logits, y, reduction="none")
    losses.mean().backward()
    seed = {"keys": list(net.state_dict().keys()), "repr": repr(net), "input": enc(x), "labels": enc(y),
            "logits": enc(logits), "losses": enc(losses), "probs": enc(torch.softmax(logits, 1)),
            "grads": {n: enc(p.grad) for n, p in net.named_parameters()}}
    xavier = torch.empty(128, 784)
    nn.init.xavier_uniform_(xavier)
    seed["xavier_bound"] = math.sqrt(6 / (784 + 128))
    seed["xavier_std"] = xavier.std().item()

    cnn = SmallCNN()
    randomize(cnn)
    xc = torch.randn(3, 1, 28, 28)
    yc = torch.tensor([1, 7, 3])
    cnn_case = {"keys": list(cnn.state_dict().keys()), "repr": repr(cnn), "state": state(cnn), "input": enc(xc),
                "labels": enc(yc), "named_modules": [n for n, _ in cnn.named_modules()]}
    cnn.eval()
    xe = xc.clone().requires_grad_(True)
    out = cnn(xe)
    F.cross_entropy(out, yc).backward()
    cnn_case["eval"] = {"logits": enc(out), "grad_input": enc(xe.grad),
                        "grads": {n: enc(p.grad) for n, p in cnn.named_parameters()}}
    return {"torch": torch.__version__, "seed": seed, "cnn": cnn_case}


def write(name, obj):
    obj = dict(obj) if isinstance(obj, dict) else {"cases": obj}
    obj["torch"] = torch.__version__
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write("layers.json", layers())
    write("losses.json", loss_cases())
    write("init.json", init_stats())
    write("models.json", models())
    print("wrote", sorted(os.listdir(OUT)))

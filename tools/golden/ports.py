"""Golden fixtures for the faithful ports of real PyTorch programs (issue 13): the book's p1ch8 models
(deep-learning-with-pytorch/dlwpt-code, p1ch8/1_convolution.ipynb: Net through NetResDeep) and
pytorch/examples mnist/main.py's Net, each trained 20 steps as its program trains it.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/ports.py
Writes test/golden/ports/{p1ch8,mnist}.json. Tensors are encoded as in tools/golden/nn.py
({"shape", "dtype", "b64"}, int64 written as int32). Per model: the initial state dict (PyTorch's
own initialization), an eval-mode forward, the first training step's output, loss and every
parameter gradient, the 20 step losses, the final state and a final eval-mode forward. Dropout
masks drawn by PyTorch are recorded (bit-packed) so that Kiln can replay them. Initial states are
stored whole (a tensor shared by several keys once, as NetResDeep's one ResBlock under 10 names);
gradients and final tensors over BIG elements as a summary (a strided sample and the sums).
"""
import base64
import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "ports")
STEPS = 20
BIG = 4096


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def enc_maybe_big(t):
    """The tensor, or for one over BIG elements its flat elements [::stride] and its sums (float64)."""
    t = t.detach()
    if t.numel() <= BIG or not t.is_floating_point():
        return enc(t)
    flat = t.reshape(-1)
    stride = (t.numel() // 2048) | 1
    return {"shape": list(t.shape), "stride": stride, "sample": enc(flat[::stride]),
            "sum": flat.double().sum().item(), "abs_sum": flat.double().abs().sum().item()}


def state(m):
    """The state dict with each shared tensor stored once: keys in order, tensors, and aliases."""
    sd = m.state_dict()
    first = {}
    tensors = {}
    aliases = {}
    for k, v in sd.items():
        ident = (v.data_ptr(), v.dtype, tuple(v.shape))
        if ident in first:
            aliases[k] = first[ident]
        else:
            first[ident] = k
            tensors[k] = enc(v)
    return {"keys": list(sd.keys()), "tensors": tensors, "aliases": aliases}


def final_state(m):
    """As `state`, with tensors over BIG elements summarized."""
    s = state(m)
    sd = m.state_dict()
    s["tensors"] = {k: enc_maybe_big(sd[k]) for k in s["tensors"]}
    return s


def bits(mask):
    return base64.b64encode(np.packbits(mask.reshape(-1).numpy().astype(np.uint8), bitorder="little").tobytes()).decode()


def record_dropout(model):
    """Records the mask of every training-mode Dropout/Dropout2d call, in call order, per module name.

    Kept positions are those where the output is nonzero. A position whose input is exactly 0 reads as
    dropped; that is harmless, since input·mask is 0 either way and no gradient reaches such an input
    here (it comes from ReLU or tanh → max pooling, whose gradient there is 0)."""
    masks = {}
    for name, mod in model.named_modules():
        if isinstance(mod, (nn.Dropout, nn.Dropout2d)):
            masks[name] = {"p": mod.p, "shape": None, "calls": []}

            def hook(m, args, out, name=name):
                if not m.training:
                    return
                if isinstance(m, nn.Dropout2d):
                    kept = out.detach().abs().sum((2, 3)) != 0
                    shape = list(kept.shape) + [1, 1]
                else:
                    kept = out.detach() != 0
                    shape = list(kept.shape)
                masks[name]["shape"] = shape
                masks[name]["calls"].append(bits(kept))

            mod.register_forward_hook(hook)
    return masks


def train_case(model, batches, make_optimizer, loss_fn, epoch_len, eval_input):
    """Runs `STEPS` training steps as the source program's loop does, and records everything."""
    case = {"repr": repr(model), "initial": state(model),
            "parameters": [n for n, _ in model.named_parameters()]}
    model.eval()
    with torch.no_grad():
        case["eval_initial"] = enc(model(eval_input))
    model.train()
    masks = record_dropout(model)
    optimizer, scheduler = make_optimizer(model)
    losses, lrs = [], []
    for step in range(STEPS):
        imgs, labels = batches[step % len(batches)]
        lrs.append(optimizer.param_groups[0]["lr"])
        outputs = model(imgs)
        loss = loss_fn(outputs, labels)
        optimizer.zero_grad()
        loss.backward()
        if step == 0:
            case["first"] = {"output": enc(outputs), "loss": loss.item(),
                             "grads": {n: enc_maybe_big(p.grad) for n, p in model.named_parameters()}}
        optimizer.step()
        losses.append(loss.item())
        if scheduler is not None and (step + 1) % epoch_len == 0:
            scheduler.step()
    case["losses"] = losses
    case["lrs"] = lrs
    case["dropout"] = masks
    case["final"] = final_state(model)
    model.eval()
    with torch.no_grad():
        case["eval_final"] = enc(model(eval_input))
    return case


# ---- p1ch8/1_convolution.ipynb, verbatim ------------------------------------------------------

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * 8)
        out = torch.tanh(self.fc1(out))
        out = self.fc2(out)
        return out


class NetSubmodules(nn.Module):
    """The notebook's first Net (cell 25): activations and pools as submodules."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, kernel_size=3, padding=1)
        self.act1 = nn.Tanh()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(16, 8, kernel_size=3, padding=1)
        self.act2 = nn.Tanh()
        self.pool2 = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(8 * 8 * 8, 32)
        self.act3 = nn.Tanh()
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = self.pool1(self.act1(self.conv1(x)))
        out = self.pool2(self.act2(self.conv2(out)))
        out = out.view(-1, 8 * 8 * 8)
        out = self.act3(self.fc1(out))
        out = self.fc2(out)
        return out


class NetWidth(nn.Module):
    def __init__(self, n_chans1=32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3,
                               padding=1)
        self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
        out = torch.tanh(self.fc1(out))
        out = self.fc2(out)
        return out


class NetDropout(nn.Module):
    def __init__(self, n_chans1=32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv1_dropout = nn.Dropout2d(p=0.4)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3,
                               padding=1)
        self.conv2_dropout = nn.Dropout2d(p=0.4)
        self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.tanh(self.conv1(x)), 2)
        out = self.conv1_dropout(out)
        out = F.max_pool2d(torch.tanh(self.conv2(out)), 2)
        out = self.conv2_dropout(out)
        out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
        out = torch.tanh(self.fc1(out))
        out = self.fc2(out)
        return out


class NetBatchNorm(nn.Module):
    def __init__(self, n_chans1=32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv1_batchnorm = nn.BatchNorm2d(num_features=n_chans1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3,
                               padding=1)
        self.conv2_batchnorm = nn.BatchNorm2d(num_features=n_chans1 // 2)
        self.fc1 = nn.Linear(8 * 8 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = self.conv1_batchnorm(self.conv1(x))
        out = F.max_pool2d(torch.tanh(out), 2)
        out = self.conv2_batchnorm(self.conv2(out))
        out = F.max_pool2d(torch.tanh(out), 2)
        out = out.view(-1, 8 * 8 * self.n_chans1 // 2)
        out = torch.tanh(self.fc1(out))
        out = self.fc2(out)
        return out


class NetDepth(nn.Module):
    def __init__(self, n_chans1=32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3,
                               padding=1)
        self.conv3 = nn.Conv2d(n_chans1 // 2, n_chans1 // 2,
                               kernel_size=3, padding=1)
        self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = F.max_pool2d(torch.relu(self.conv2(out)), 2)
        out = F.max_pool2d(torch.relu(self.conv3(out)), 2)
        out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
        out = torch.relu(self.fc1(out))
        out = self.fc2(out)
        return out


class NetRes(nn.Module):
    def __init__(self, n_chans1=32):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(n_chans1, n_chans1 // 2, kernel_size=3,
                               padding=1)
        self.conv3 = nn.Conv2d(n_chans1 // 2, n_chans1 // 2,
                               kernel_size=3, padding=1)
        self.fc1 = nn.Linear(4 * 4 * n_chans1 // 2, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = F.max_pool2d(torch.relu(self.conv2(out)), 2)
        out1 = out
        out = F.max_pool2d(torch.relu(self.conv3(out)) + out1, 2)
        out = out.view(-1, 4 * 4 * self.n_chans1 // 2)
        out = torch.relu(self.fc1(out))
        out = self.fc2(out)
        return out


class ResBlock(nn.Module):
    def __init__(self, n_chans):
        super(ResBlock, self).__init__()
        self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3,
                              padding=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
        torch.nn.init.kaiming_normal_(self.conv.weight,
                                      nonlinearity='relu')
        torch.nn.init.constant_(self.batch_norm.weight, 0.5)
        torch.nn.init.zeros_(self.batch_norm.bias)

    def forward(self, x):
        out = self.conv(x)
        out = self.batch_norm(out)
        out = torch.relu(out)
        return out + x


class NetResDeep(nn.Module):
    def __init__(self, n_chans1=32, n_blocks=10):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.resblocks = nn.Sequential(
            *(n_blocks * [ResBlock(n_chans=n_chans1)]))
        self.fc1 = nn.Linear(8 * 8 * n_chans1, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = self.resblocks(out)
        out = F.max_pool2d(out, 2)
        out = out.view(-1, 8 * 8 * self.n_chans1)
        out = torch.relu(self.fc1(out))
        out = self.fc2(out)
        return out


def p1ch8():
    """CIFAR-2-like batches (normalized images are about N(0, 1)); the notebook's training_loop with
    SGD and CrossEntropyLoss, lr 1e-2 (3e-3 for NetResDeep, as the notebook trains it)."""
    torch.manual_seed(123)
    batch = 8
    imgs = torch.randn(2 * batch, 3, 32, 32)
    labels = torch.randint(0, 2, (2 * batch,))
    batches = [(imgs[i:i + batch], labels[i:i + batch]) for i in range(0, 2 * batch, batch)]
    models = [("Net", Net, 1e-2), ("NetSubmodules", NetSubmodules, 1e-2), ("NetWidth", NetWidth, 1e-2),
              ("NetDropout", NetDropout, 1e-2), ("NetBatchNorm", NetBatchNorm, 1e-2),
              ("NetDepth", NetDepth, 1e-2), ("NetRes", NetRes, 1e-2), ("NetResDeep", NetResDeep, 3e-3)]
    cases = {}
    for name, cls, lr in models:
        torch.manual_seed(123)
        model = cls()
        case = train_case(model, batches, lambda m, lr=lr: (optim.SGD(m.parameters(), lr=lr), None),
                          nn.CrossEntropyLoss(), len(batches), imgs[:batch])
        case["lr"] = lr
        if name == "NetSubmodules":
            # the same parameters in the same order as Net, so the same initial weights: stored once
            same = cases["Net"]["initial"]
            assert case["initial"]["keys"] == same["keys"] and case["initial"]["tensors"] == same["tensors"]
            del case["initial"]
            case["initial_from"] = "Net"
        cases[name] = case
    return {"imgs": enc(imgs), "labels": enc(labels), "batch_size": batch, "models": cases}


# ---- pytorch/examples mnist/main.py, verbatim ------------------------------------------------

class MnistNet(nn.Module):
    def __init__(self):
        super(MnistNet, self).__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


MnistNet.__name__ = "Net"  # main.py's name, which repr prints; here it would shadow p1ch8's Net


def mnist():
    """main.py's train(): Adadelta(lr=1.0), nll_loss, StepLR(step_size=1, gamma=0.7) stepped after
    each epoch; here an epoch is 4 batches of 4 MNIST-like images (ToTensor + Normalize((0.1307,),
    (0.3081,)) of mostly-dark pixels), so 20 steps are 5 epochs."""
    torch.manual_seed(1)
    batch, n_batches = 4, 4
    pixels = torch.rand(batch * n_batches, 1, 28, 28) ** 6
    imgs = (pixels - 0.1307) / 0.3081
    labels = torch.randint(0, 10, (batch * n_batches,))
    batches = [(imgs[i:i + batch], labels[i:i + batch]) for i in range(0, batch * n_batches, batch)]
    torch.manual_seed(1)
    model = MnistNet()

    def make(m):
        optimizer = optim.Adadelta(m.parameters(), lr=1.0)
        return optimizer, StepLR(optimizer, step_size=1, gamma=0.7)

    case = train_case(model, batches, make, F.nll_loss, n_batches, imgs[:batch])
    return {"imgs": enc(imgs), "labels": enc(labels), "batch_size": batch, "epoch_len": n_batches, **case}


def write(name, obj):
    obj["torch"] = torch.__version__
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(obj, f, separators=(",", ":"))


if __name__ == "__main__":
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    write("p1ch8.json", p1ch8())
    write("mnist.json", mnist())
    print("wrote", {f: os.path.getsize(os.path.join(OUT, f)) for f in sorted(os.listdir(OUT))})

# PyTorch side of bench/general-models.bench.ts: the same general models, written as users
# write them (nn.Module subclasses, fresh tensors each step), timed the same way (median step
# time over the timed steps after warm-up), printed as one JSON line. Run by the Kiln script as
# /usr/bin/python3 bench/pytorch_general_models.py '<steps JSON>' '<groups>' with OMP_NUM_THREADS=2,
# OPENBLAS_NUM_THREADS 1 or 2 (the Kiln script runs both) and OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE
# unset. Depends on torch 1.13 only.
import json, math, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

THREADS = 2
torch.set_num_threads(THREADS)
# argv[1]: {"luna": [warmup, timed], ...} per group, the Kiln script's own counts so both sides
# match; argv[2]: the groups to run (comma-separated; all when empty).
STEPS = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
ONLY = sys.argv[2].split(",") if len(sys.argv) > 2 and sys.argv[2] else None


def openblas_core():
    """The kernel OpenBLAS chose at load (openblas_get_corename), or "" when it is not OpenBLAS."""
    import ctypes
    for lib in sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l and l.split()[-1].startswith("/")}):
        try:
            f = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return ""


def timed_each(name, make_batch, steps):
    """Median ms of each `steps[j](*batch)` over the timed steps; a fresh batch is made (untimed)
    each step and the models take turns on it in rotating order (the Kiln side's timedEach)."""
    warm, n = STEPS.get(name, [3, 10])
    times = [[] for _ in steps]
    for i in range(warm + n):
        batch = make_batch()
        for r in range(len(steps)):  # rotating order, so that none always runs first
            j = (r + i) % len(steps)
            t0 = time.perf_counter()
            steps[j](*batch)
            dt = time.perf_counter() - t0
            if i >= warm:
                times[j].append(dt)
    return [{"median_ms": statistics.median(t) * 1e3, "min_ms": min(t) * 1e3, "steps": n, "warmup": warm} for t in times]


def timed(name, make_batch, step):
    return timed_each(name, make_batch, [step])[0]


# 1. The book's LunaModel (dlwpt-code p2ch11/model.py).
class LunaBlock(nn.Module):
    def __init__(self, in_channels, conv_channels):
        super().__init__()
        self.conv1 = nn.Conv3d(in_channels, conv_channels, kernel_size=3, padding=1, bias=True)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv3d(conv_channels, conv_channels, kernel_size=3, padding=1, bias=True)
        self.relu2 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(2, 2)

    def forward(self, input_batch):
        block_out = self.relu1(self.conv1(input_batch))
        block_out = self.relu2(self.conv2(block_out))
        return self.maxpool(block_out)


class LunaModel(nn.Module):
    def __init__(self, in_channels=1, conv_channels=8):
        super().__init__()
        self.tail_batchnorm = nn.BatchNorm3d(1)
        self.block1 = LunaBlock(in_channels, conv_channels)
        self.block2 = LunaBlock(conv_channels, conv_channels * 2)
        self.block3 = LunaBlock(conv_channels * 2, conv_channels * 4)
        self.block4 = LunaBlock(conv_channels * 4, conv_channels * 8)
        self.head_linear = nn.Linear(1152, 2)
        self.head_softmax = nn.Softmax(dim=1)
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if type(m) in {nn.Linear, nn.Conv3d, nn.Conv2d, nn.ConvTranspose2d, nn.ConvTranspose3d}:
                nn.init.kaiming_normal_(m.weight.data, a=0, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight.data)
                    bound = 1 / math.sqrt(fan_out)
                    nn.init.normal_(m.bias, -bound, bound)

    def forward(self, input_batch):
        bn_output = self.tail_batchnorm(input_batch)
        block_out = self.block4(self.block3(self.block2(self.block1(bn_output))))
        conv_flat = block_out.view(block_out.size(0), -1)
        linear_output = self.head_linear(conv_flat)
        return linear_output, self.head_softmax(linear_output)


def bench_luna():
    model = LunaModel()
    opt = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.99)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        logits, _ = model(x)
        loss_fn(logits, y).backward()
        opt.step()

    return timed("luna", lambda: (torch.randn(8, 1, 32, 48, 48), torch.randint(0, 2, (8,))), step)


# 2. A small CIFAR ResNet.
class Block(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class SmallResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(32)
        self.layer1 = Block(32, 32)
        self.layer2 = Block(32, 32)
        self.layer3 = Block(32, 64, stride=2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def bench_resnet():
    model = SmallResNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return timed("resnet", lambda: (torch.randn(32, 3, 32, 32), torch.randint(0, 10, (32,))), step)


# 3. An LSTM language model, as pytorch/examples word_language_model (no dropout, untied).
class RNNModel(nn.Module):
    def __init__(self, ntoken=1000, ninp=128, nhid=128, nlayers=2):
        super().__init__()
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers)
        self.decoder = nn.Linear(nhid, ntoken)

    def forward(self, input, hidden):
        output, hidden = self.rnn(self.encoder(input), hidden)
        return self.decoder(output), hidden


def bench_lstm():
    bptt, batch, ntoken = 35, 16, 1000
    model = RNNModel()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    criterion = nn.CrossEntropyLoss()
    state = {"hidden": (torch.zeros(2, batch, 128), torch.zeros(2, batch, 128))}

    def step(data, targets):
        # repackage_hidden: keep the values, cut the graph
        hidden = tuple(h.detach() for h in state["hidden"])
        opt.zero_grad()
        output, state["hidden"] = model(data, hidden)
        criterion(output.view(-1, ntoken), targets.view(-1)).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        opt.step()

    return timed("lstm", lambda: (torch.randint(0, ntoken, (bptt, batch)), torch.randint(0, ntoken, (bptt, batch))), step)


# 4. A GPT-style decoder: token + learned positional embeddings, pre-norm encoder layers under a
# causal mask, final LayerNorm and a vocabulary head.
class GPT(nn.Module):
    def __init__(self, vocab=1000, ctx=64, d=128, nhead=4, nlayers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(ctx, d)
        self.blocks = nn.ModuleList(
            [nn.TransformerEncoderLayer(d, nhead, dim_feedforward=512, dropout=0.0, batch_first=True, norm_first=True)
             for _ in range(nlayers)]
        )
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(ctx), persistent=False)

    def forward(self, idx):
        t = idx.size(1)
        x = self.tok(idx) + self.pos(torch.arange(t))
        for block in self.blocks:
            x = block(x, src_mask=self.mask[:t, :t])
        return self.head(self.ln(x))


def bench_gpt():
    vocab, ctx, batch = 1000, 64, 16
    model = GPT()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)

    def step(x, y):
        opt.zero_grad()
        logits = model(x)
        F.cross_entropy(logits.view(-1, vocab), y.view(-1)).backward()
        opt.step()

    return timed("gpt", lambda: (torch.randint(0, vocab, (batch, ctx)), torch.randint(0, vocab, (batch, ctx))), step)


# 5. The seed MLP, as nn.Sequential and as a hand-written module.
class NeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def mlp_step(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    return step


def bench_mlp():
    seq = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    mod = NeuralNet()
    s, m = timed_each("mlp", lambda: (torch.randn(64, 784), torch.randint(0, 10, (64,))), [mlp_step(seq), mlp_step(mod)])
    return {"mlp_sequential": s, "mlp_module": m}


def bench_resnet18_infer():
    import torchvision
    model = torchvision.models.resnet18()
    model.eval()

    def step(x):
        with torch.no_grad():
            model(x)
    return timed("resnet18_infer", lambda: (torch.randn(1, 3, 224, 224),), step)


BENCHES = {
    "luna": lambda: {"luna": bench_luna()},
    "resnet": lambda: {"resnet": bench_resnet()},
    "lstm": lambda: {"lstm": bench_lstm()},
    "gpt": lambda: {"gpt": bench_gpt()},
    "resnet18_infer": lambda: {"resnet18_infer": bench_resnet18_infer()},
    "mlp": bench_mlp,
}

out = {"torch": torch.__version__, "threads": THREADS, "openblas_core": openblas_core(), "results": {}}
for key, fn in BENCHES.items():
    if ONLY is not None and key not in ONLY:
        continue
    torch.manual_seed(0)
    out["results"].update(fn())
# the process's peak resident set (VmHWM, KiB): bench/run.ts's ResNet memory row runs this
# script with only "resnet" and compares it with Kiln's process doing the same steps
out["peak_rss_kb"] = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
print(json.dumps(out))

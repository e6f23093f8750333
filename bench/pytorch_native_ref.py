# PyTorch side of bench/run.ts: the same workloads written the same way (torch.mm with a fresh
# output each call, hand-written nn.Modules, a shuffling DataLoader), timed the same way (medians),
# printed as one JSON line. Run by bench/run.ts with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset
# and OPENBLAS_NUM_THREADS as it chooses (at 2 threads it runs this twice, with 1 and 2).
# argv[1] = threads (torch.set_num_threads), argv[2] = the MNIST IDX folder ("" to skip the
# epochs), argv[3] = settings JSON {"rounds", "steady", "samples", "sgemm": [[m, k, n], ...]}.
# The MLP epoch runs on 1 thread, the small CNN on 2, as bench/run.ts compares them.
import json, statistics, sys, time
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

threads = int(sys.argv[1])
mnist = sys.argv[2] if len(sys.argv) > 2 else ""
settings = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
ROUNDS = settings.get("rounds", 11)
STEADY = settings.get("steady", 3)  # bench/native-workloads.ts mnistEpoch's steadyEpochs
SAMPLES = settings.get("samples", 60000)
torch.set_num_threads(threads)


def openblas():
    """OpenBLAS's kernel (openblas_get_corename) and thread count, or ("", 0) when not OpenBLAS."""
    import ctypes
    for lib in sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l and l.split()[-1].startswith("/")}):
        try:
            so = ctypes.CDLL(lib)
            f = so.openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode(), so.openblas_get_num_threads()
    return "", 0


core, blas_threads = openblas()
out = {"torch": torch.__version__, "threads": threads, "openblas_core": core,
       "openblas_threads": blas_threads, "sgemm": {}}


def median_time(fn, reps, rounds):
    """Median over rounds (after one untimed call) of seconds per call, a round being reps calls
    (bench/native-workloads.ts medianTime)."""
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        times.append((time.perf_counter() - t0) / reps)
    return statistics.median(times)


for shape in settings.get("sgemm", []):
    # [m, k, n], or [batch, m, k, n] for torch.bmm (bench/native-workloads.ts SGEMM_SHAPES)
    bsz, m, k, n = shape if len(shape) == 4 else [1, *shape]
    if len(shape) == 4:
        a = torch.rand(bsz, m, k); b = torch.rand(bsz, k, n); op = torch.bmm
    else:
        a = torch.rand(m, k); b = torch.rand(k, n); op = torch.mm
    flops = 2 * bsz * m * n * k  # bench/native-workloads.ts sgemmFlops
    reps = max(1, int(0.5e9 / flops))
    out["sgemm"]["x".join(map(str, shape))] = flops / median_time(lambda: op(a, b), reps, ROUNDS) / 1e9


def memory_bound():
    """bench/native-workloads.ts MEMORY_BOUND: the same ops, shapes and timing (ms per call,
    median of ROUNDS rounds of 10 calls, a fresh output and graph each call)."""
    x4, y4 = torch.rand(32, 32, 32, 32), torch.rand(32, 32, 32, 32)
    xr = torch.rand(32, 32, 32, 32) - 0.5
    bn = nn.BatchNorm2d(32)
    xb = torch.rand(32, 32, 32, 32, requires_grad=True); gb = torch.rand(32, 32, 32, 32)
    ln = nn.LayerNorm(256)
    xl = torch.rand(4096, 256, requires_grad=True); gl = torch.rand(4096, 256)
    xs = torch.rand(4096, 256, requires_grad=True); gs = torch.rand(4096, 256)
    work = {
        "add": lambda: torch.add(x4, y4),
        "relu": lambda: torch.relu(xr),
        "sum": lambda: xr.sum(),
        "batchnorm": lambda: bn(xb).backward(gb),
        "layernorm": lambda: ln(xl).backward(gl),
        "softmax": lambda: torch.softmax(xs, -1).backward(gs),
    }
    return {k: median_time(f, 10, ROUNDS) * 1e3 for k, f in work.items()}


out["memory_bound_ms"] = memory_bound()


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(4, 8)
        self.l2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.l2(torch.relu(self.l1(x)))


if threads == 1:
    x = torch.rand(1); y = torch.rand(1)
    out["tiny_add_us"] = median_time(lambda: torch.add(x, y), 20000, ROUNDS) * 1e6
    torch.manual_seed(0)
    model = TinyNet()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xi = torch.rand(1, 4); ti = torch.rand(1, 2)

    def step():
        opt.zero_grad()
        ((model(xi) - ti) ** 2).mean().backward()
        opt.step()
    out["train_step_us"] = median_time(step, 2000, ROUNDS) * 1e6


class NeuralNet(nn.Module):  # the seed's MLP (examples/seed.ts), flattening its input
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3)
        self.conv2 = nn.Conv2d(8, 16, 3)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(400, 10)

    def forward(self, x):
        h = self.pool(torch.relu(self.conv1(x)))
        return self.fc(torch.flatten(self.pool(torch.relu(self.conv2(h))), 1))


def mnist_epoch(model_fn, key):
    def idx(path, off):
        return np.fromfile(path, dtype=np.uint8)[off:]

    def images(path, n):
        x = idx(path, 16)[: n * 784].reshape(-1, 1, 28, 28).astype(np.float32)
        return torch.from_numpy((x / 255 - 0.1307) / 0.3081)  # the seed's normalisation
    xs = images(f"{mnist}/train-images-idx3-ubyte", SAMPLES)
    ys = torch.from_numpy(idx(f"{mnist}/train-labels-idx1-ubyte", 8)[: len(xs)].astype(np.int64))
    xt = images(f"{mnist}/t10k-images-idx3-ubyte", 10000)
    yt = torch.from_numpy(idx(f"{mnist}/t10k-labels-idx1-ubyte", 8).astype(np.int64))

    def train(model):
        loader = DataLoader(TensorDataset(xs, ys), batch_size=64, shuffle=True)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        t0 = time.perf_counter()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        return time.perf_counter() - t0

    # the first epoch in the process, then the median of STEADY more, each on a fresh model from
    # the same seed, as the Kiln side (bench/native-workloads.ts mnistEpoch)
    torch.manual_seed(0)
    first = train(model_fn())
    times = []
    for _ in range(STEADY):
        torch.manual_seed(0)
        model = model_fn()
        times.append(train(model))
    out[f"{key}_first_epoch_s"] = first
    out[f"{key}_epoch_s"] = statistics.median(times)
    with torch.no_grad():
        out[f"{key}_accuracy"] = (model(xt).argmax(1) == yt).float().mean().item() * 100


if mnist and threads == 1:
    mnist_epoch(NeuralNet, "mlp")
if mnist and threads == 2:
    mnist_epoch(ConvNet, "cnn")
print(json.dumps(out))

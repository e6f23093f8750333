# PyTorch side of bench/run.ts: the same workloads, timed the same way, printed as one JSON line.
# Run by bench/run.ts with OPENBLAS_NUM_THREADS set to the thread count; argv[1] = threads,
# argv[2] = path of the MNIST IDX folder ("" to skip the epochs): the MLP epoch runs on 1 thread,
# the small CNN on 2, as bench/run.ts compares them.
import json, sys, time
import numpy as np
import torch

threads = int(sys.argv[1])
STEADY_EPOCHS = 3  # bench/native-workloads.ts STEADY_EPOCHS
torch.set_num_threads(threads)
mnist = sys.argv[2] if len(sys.argv) > 2 else ""


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


out = {"torch": torch.__version__, "threads": threads, "openblas_core": openblas_core(), "sgemm": {}}

def best(fn, reps, rounds=5):
    fn()
    t = 1e9
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        t = min(t, (time.perf_counter() - t0) / reps)
    return t

for m, k, n in [(64, 784, 128), (64, 128, 10), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)]:
    a = torch.rand(m, k); b = torch.rand(k, n)
    reps = max(3, int(3e9 / (2 * m * n * k)))
    out["sgemm"][f"{m}x{k}x{n}"] = 2 * m * n * k / best(lambda: torch.matmul(a, b), reps, 3 if m >= 2048 else 5) / 1e9

if threads == 1:
    x = torch.rand(1); y = torch.rand(1)
    out["tiny_add_us"] = best(lambda: torch.add(x, y), 20000) * 1e6
    torch.manual_seed(0)
    l1 = torch.nn.Linear(4, 8); l2 = torch.nn.Linear(8, 2)
    opt = torch.optim.SGD(list(l1.parameters()) + list(l2.parameters()), lr=0.01)
    xi = torch.rand(1, 4); ti = torch.rand(1, 2)
    def step():
        opt.zero_grad()
        loss = ((l2(torch.relu(l1(xi))) - ti) ** 2).mean()
        loss.backward()
        opt.step()
    out["train_step_us"] = best(step, 2000) * 1e6
def mnist_epoch(model_fn, key, normalize=False):
    def idx(path, off):
        return np.fromfile(path, dtype=np.uint8)[off:]

    def images(path):
        x = torch.from_numpy(idx(path, 16).reshape(-1, 1, 28, 28).astype(np.float32) / 255)
        # torchvision's Normalize((0.1307,), (0.3081,)), as the Kiln side (no pixel is then 0)
        return (x - 0.1307) / 0.3081 if normalize else x
    xs = images(f"{mnist}/train-images-idx3-ubyte")
    ys = torch.from_numpy(idx(f"{mnist}/train-labels-idx1-ubyte", 8).astype(np.int64))
    xt = images(f"{mnist}/t10k-images-idx3-ubyte")
    yt = torch.from_numpy(idx(f"{mnist}/t10k-labels-idx1-ubyte", 8).astype(np.int64))
    batches = [(xs[i:i + 64], ys[i:i + 64]) for i in range(0, len(xs), 64)]

    def train(model, steps):
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        for xb, yb in steps:
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()

    # the first epoch in the process, then the best of STEADY_EPOCHS more, each on a fresh model
    # from the same seed, as the Kiln side (bench/native-workloads.ts mnistEpoch)
    times = []
    for _ in range(1 + STEADY_EPOCHS):
        torch.manual_seed(0)
        model = model_fn()
        t0 = time.perf_counter()
        train(model, batches)
        times.append(time.perf_counter() - t0)
    out[f"{key}_first_epoch_s"] = times[0]
    out[f"{key}_epoch_s"] = min(times[1:])
    with torch.no_grad():
        out[f"{key}_accuracy"] = (model(xt).argmax(1) == yt).float().mean().item() * 100

nn = torch.nn
if mnist and threads == 1:
    def mlp():
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    mnist_epoch(mlp, "mlp")
    mnist_epoch(mlp, "mlp_normalized", normalize=True)
if mnist and threads == 2:
    mnist_epoch(lambda: nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10)), "cnn")
print(json.dumps(out))

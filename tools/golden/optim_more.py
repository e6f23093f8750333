"""Golden fixtures for Kiln's optimizers NAdam, RAdam, Adamax, ASGD, Rprop, LBFGS, the schedulers
CosineAnnealingWarmRestarts, CyclicLR, PolynomialLR, ConstantLR, MultiplicativeLR, ChainedScheduler,
swa_utils (AveragedModel, SWALR, update_bn) and an optimizer checkpoint saved by torch.save.

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/optim_more.py
Writes test/golden/optim/more_*.json and test/golden/optim/ckpt_<Optimizer>.pt (torch.save of
{model, optimizer, epoch} after 3 steps).
Options are written in Kiln's camelCase; optim.to_torch() maps them to PyTorch's keyword arguments.
"""

import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(__file__))
import optim as base  # noqa: E402  (tools/golden/optim.py: the problems and helpers)

OUT = base.OUT
STEPS = 12
RESUME_AT = 6

OPTIMIZERS = {
    "NAdam": [{}, {"lr": 0.05}, {"lr": 0.05, "betas": [0.8, 0.95], "weightDecay": 0.1, "momentumDecay": 0.01}],
    "RAdam": [{}, {"lr": 0.05}, {"lr": 0.05, "betas": [0.5, 0.9], "weightDecay": 0.1, "eps": 1e-6}],
    "Adamax": [{}, {"lr": 0.05, "betas": [0.8, 0.95], "weightDecay": 0.1}, {"lr": 0.02, "maximize": True}],
    "ASGD": [{}, {"lr": 0.05, "t0": 5, "lambd": 0.01, "alpha": 0.5},
             {"lr": 0.02, "weightDecay": 0.1, "maximize": True, "t0": 3}],
    "Rprop": [{}, {"lr": 0.05, "etas": [0.3, 1.5], "stepSizes": [1e-3, 0.2]}, {"lr": 0.01, "maximize": True}],
}
DEFAULT_LR = {"NAdam": 2e-3, "RAdam": 1e-3, "Adamax": 2e-3, "ASGD": 1e-2, "Rprop": 1e-2}


def to_torch(options):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in base.to_torch(options).items()}


def run_case(name, options, problem):
    p = base.make_params(problem)
    lr = options.get("lr", DEFAULT_LR[name])
    opt = getattr(torch.optim, name)(base.groups_of(problem, p, lr), **to_torch(options))
    traj, resume = [], None
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        base.loss_of(problem, p).backward()
        opt.step()
        traj.append([p[k].detach().tolist() for k in base.PARAM_ORDER[problem]])
        if step == RESUME_AT and problem == "mlp":
            resume = base.plain(opt.state_dict())
    return {"optimizer": name, "problem": problem, "options": options,
            "groupLrs": [gr["lr"] for gr in opt.param_groups], "trajectory": traj,
            "stateDictAt": resume}


LBFGS_CASES = [
    {"problem": "quadratic", "dtype": "float64", "options": {}},
    {"problem": "mlp", "dtype": "float64", "options": {"lineSearchFn": "strong_wolfe"}},
    {"problem": "mlp", "dtype": "float64", "options": {"lr": 0.5, "maxIter": 5, "historySize": 3}},
    {"problem": "mlp", "dtype": "float64",
     "options": {"lineSearchFn": "strong_wolfe", "maxIter": 4, "historySize": 2, "maxEval": 6}},
    {"problem": "mlp", "dtype": "float32", "options": {"lr": 0.1, "maxIter": 4}},
    {"problem": "mlp", "dtype": "float32", "options": {"lineSearchFn": "strong_wolfe", "maxIter": 3}},
]
LBFGS_STEPS = 4
LBFGS_RESUME_AT = 2


def run_lbfgs(case):
    dtype = getattr(torch, case["dtype"])
    p = {k: v.detach().to(dtype).requires_grad_() for k, v in base.make_params(case["problem"]).items()}
    order = [k for k in base.PARAM_ORDER[case["problem"]] if k != "u"]
    opt = torch.optim.LBFGS([p[k] for k in order], **to_torch(case["options"]))
    data = {k: torch.tensor(v, dtype=dtype) for k, v in base.PROBLEMS[case["problem"]]["data"].items()}

    def loss_fn():
        if case["problem"] == "quadratic":
            return (data["a"] * (p["x"] - data["c"]) ** 2).sum() + (data["b"] * (p["y"] - data["d"]) ** 2).sum()
        h = torch.relu(data["X"].matmul(p["w1"].t()) + p["b1"])
        return ((h.matmul(p["w2"].t()) + p["b2"] - data["Y"]) ** 2).mean()

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    traj, losses, evals, resume = [], [], [], None
    for step in range(1, LBFGS_STEPS + 1):
        losses.append(float(opt.step(closure)))
        traj.append([p[k].detach().tolist() for k in order])
        st = opt.state[opt.param_groups[0]["params"][0]]
        evals.append([st["func_evals"], st["n_iter"]])
        if step == LBFGS_RESUME_AT:
            resume = base.plain(opt.state_dict())
    return {**case, "params": order, "trajectory": traj, "losses": losses, "evals": evals,
            "stateDictAt": resume, "groupKeys": sorted(opt.param_groups[0].keys())}


def optimizer_fixture():
    cases = [run_case(n, o, prob) for n, opts in OPTIMIZERS.items() for o in opts for prob in ("quadratic", "mlp")]
    return {"torch_version": torch.__version__, "steps": STEPS, "resumeAt": RESUME_AT,
            "problems": base.PROBLEMS, "cases": cases,
            "lbfgs": {"steps": LBFGS_STEPS, "resumeAt": LBFGS_RESUME_AT, "cases": [run_lbfgs(c) for c in LBFGS_CASES]}}


# ---- schedulers -----------------------------------------------------------------------------

LAMBDAS = {"const095": lambda e: 0.95, "shrinking": lambda e: 1.0 - 0.02 * e, "pow09": lambda e: 0.9 ** (e % 3)}
SCALE_FNS = {"halfsine": lambda x: 0.5 * (1 + math.sin(x)), "inv": lambda x: 1.0 / x}

SCHEDULERS = [
    {"sched": {"type": "CosineAnnealingWarmRestarts", "options": {"t0": 5}}},
    {"sched": {"type": "CosineAnnealingWarmRestarts", "options": {"t0": 3, "tMult": 2, "etaMin": 0.001}}},
    {"sched": {"type": "CosineAnnealingWarmRestarts", "options": {"t0": 4, "tMult": 2, "etaMin": 0.01}},
     "epochs": [0.5, 1.25, 2.0, 3.99, 4.0, 4.5, 7.2, 11.9, 12.0, 13.3, 27.5, 2.5, 40.1, 0.0]},
    {"sched": {"type": "CosineAnnealingWarmRestarts", "options": {"t0": 5}},
     "epochs": [0.2, 4.8, 5.0, 9.99, 12.5, 3.0]},
    {"sched": {"type": "CyclicLR", "options": {"baseLr": 0.01, "maxLr": 0.1, "stepSizeUp": 4}}},
    {"sched": {"type": "CyclicLR", "options": {"baseLr": [0.01, 0.02], "maxLr": [0.1, 0.3], "stepSizeUp": 3,
                                               "stepSizeDown": 5, "mode": "triangular2"}}},
    {"sched": {"type": "CyclicLR", "options": {"baseLr": 0.001, "maxLr": 0.1, "stepSizeUp": 2, "mode": "exp_range",
                                               "gamma": 0.9, "baseMomentum": 0.7, "maxMomentum": [0.95, 0.99]}}},
    {"sched": {"type": "CyclicLR", "options": {"baseLr": 0.01, "maxLr": 0.05, "stepSizeUp": 3,
                                               "scaleFn": "halfsine", "scaleMode": "iterations",
                                               "cycleMomentum": False}}},
    {"sched": {"type": "CyclicLR", "options": {"baseLr": 0.01, "maxLr": 0.05, "stepSizeUp": 2, "scaleFn": "inv"}}},
    {"sched": {"type": "PolynomialLR", "options": {}}},
    {"sched": {"type": "PolynomialLR", "options": {"totalIters": 12, "power": 2.0}}},
    {"sched": {"type": "PolynomialLR", "options": {"totalIters": 8, "power": 0.5}}, "epochs": [3, 5, 1, 10, 0]},
    {"sched": {"type": "ConstantLR", "options": {}}},
    {"sched": {"type": "ConstantLR", "options": {"factor": 0.5, "totalIters": 7}}},
    {"sched": {"type": "ConstantLR", "options": {"factor": 0.25, "totalIters": 3}}, "epochs": [1, 3, 0, 5]},
    {"sched": {"type": "MultiplicativeLR", "options": {"lrLambda": "const095"}}},
    {"sched": {"type": "MultiplicativeLR", "options": {"lrLambda": ["shrinking", "pow09"]}}},
    {"sched": {"type": "ChainedScheduler", "schedulers": [
        {"type": "ConstantLR", "options": {"factor": 0.1, "totalIters": 2}},
        {"type": "ExponentialLR", "options": {"gamma": 0.9}}]}},
    {"sched": {"type": "ChainedScheduler", "schedulers": [
        {"type": "PolynomialLR", "options": {"totalIters": 20, "power": 1.5}},
        {"type": "CosineAnnealingWarmRestarts", "options": {"t0": 6}},
        {"type": "MultiplicativeLR", "options": {"lrLambda": "shrinking"}}]}},
]
SCHED_STEPS = 30


def build_sched(opt, spec):
    kind = spec["type"]
    if kind == "ChainedScheduler":
        return torch.optim.lr_scheduler.ChainedScheduler([build_sched(opt, s) for s in spec["schedulers"]])
    o = dict(spec["options"])
    o = base.to_torch(o)
    if kind == "CosineAnnealingWarmRestarts":
        o = {"T_0": o.pop("t0"), **({"T_mult": o.pop("t_mult")} if "t_mult" in o else {}), **o}
    if "lr_lambda" in o:
        lam = o["lr_lambda"]
        o["lr_lambda"] = [LAMBDAS[k] for k in lam] if isinstance(lam, list) else LAMBDAS[lam]
    if "scale_fn" in o:
        o["scale_fn"] = SCALE_FNS[o["scale_fn"]]
    return getattr(torch.optim.lr_scheduler, kind)(opt, **o)


SKIP_KEYS = ("anneal_func", "lr_lambdas", "verbose", "_get_lr_called_within_step", "_scale_fn_ref",
             "_scale_fn_custom", "_schedulers", "optimizer")


def sched_state(s):
    out = {k: base.plain(v) for k, v in s.state_dict().items() if k not in SKIP_KEYS}
    if isinstance(s, torch.optim.lr_scheduler.ChainedScheduler):
        out["_schedulers"] = [sched_state(x) for x in s._schedulers]
    return out


def make_sched_opt():
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.05}]
    return torch.optim.SGD(groups, lr=0.1, momentum=0.9)


def run_sched(case):
    opt = make_sched_opt()
    s = build_sched(opt, case["sched"])
    epochs = case.get("epochs")
    lrs, momenta, last = [], [], []
    for i in range(len(epochs) if epochs else SCHED_STEPS):
        lrs.append([g["lr"] for g in opt.param_groups])
        momenta.append([g["momentum"] for g in opt.param_groups])
        opt.step()
        if epochs:
            s.step(epochs[i])
        else:
            s.step()
        last.append(s.get_last_lr())
    return {**case, "lrs": lrs, "momenta": momenta, "lastLrs": last, "stateDict": sched_state(s)}


# ---- swa_utils ------------------------------------------------------------------------------

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(3, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.fc2 = torch.nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def sd_plain(m):
    return {k: v.tolist() for k, v in m.state_dict().items()}


def swa_fixture():
    g = torch.Generator().manual_seed(3)
    net = Net()
    init = sd_plain(net)
    xs = [torch.randn(5, 3, generator=g) for _ in range(6)]
    ys = [torch.randn(5, 2, generator=g) for _ in range(6)]
    out = {"init": init, "xs": [x.tolist() for x in xs], "ys": [y.tolist() for y in ys], "runs": []}
    for variant in ("default", "useBuffers", "ema"):
        torch.nn.Module.load_state_dict(net, {k: torch.tensor(v) for k, v in init.items()})
        kw = {}
        if variant == "useBuffers":
            kw["use_buffers"] = True
        if variant == "ema":
            kw["avg_fn"] = lambda a, m, n: 0.9 * a + 0.1 * m
        swa = torch.optim.swa_utils.AveragedModel(net, **kw)
        opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.5)
        sched = torch.optim.swa_utils.SWALR(opt, swa_lr=0.02, anneal_epochs=3,
                                            anneal_strategy="linear" if variant == "ema" else "cos")
        lrs, snapshots = [], []
        for x, y in zip(xs, ys):
            opt.zero_grad()
            ((net(x) - y) ** 2).mean().backward()
            opt.step()
            swa.update_parameters(net)
            sched.step()
            lrs.append([gr["lr"] for gr in opt.param_groups])
            snapshots.append(sd_plain(swa))
        ss = {k: v for k, v in sched.state_dict().items() if k not in SKIP_KEYS}
        torch.optim.swa_utils.update_bn([(x, y) for x, y in zip(xs, ys)], swa)
        out["runs"].append({"variant": variant, "lrs": lrs, "snapshots": snapshots, "schedState": ss,
                            "afterUpdateBn": sd_plain(swa), "keys": list(swa.state_dict().keys()),
                            "swaOut": swa(xs[0]).tolist()})
    return out


# ---- optimizer checkpoints in .pt ----------------------------------------------------------

CKPT_OPTIMIZERS = {
    "SGD": {"lr": 0.05, "momentum": 0.9, "nesterov": True},
    "Adam": {"lr": 0.05, "amsgrad": True, "weightDecay": 0.01},
    "AdamW": {"lr": 0.05},
    "NAdam": {"lr": 0.05},
    "ASGD": {"lr": 0.05, "t0": 1},
    "Rprop": {"lr": 0.05},
    "RMSprop": {"lr": 0.01, "momentum": 0.5, "centered": True},
    "Adagrad": {"lr": 0.1},
}
CKPT_BEFORE = 3
CKPT_AFTER = 3


def ckpt_model():
    w = base.PROBLEMS["mlp"]["params"]
    m = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    m.load_state_dict({"0.weight": torch.tensor(w["w1"]), "0.bias": torch.tensor(w["b1"]),
                       "2.weight": torch.tensor(w["w2"]), "2.bias": torch.tensor(w["b2"])})
    return m


def ckpt_loss(m):
    d = base.PROBLEMS["mlp"]["data"]
    return ((m(torch.tensor(d["X"])) - torch.tensor(d["Y"])) ** 2).mean()


def ckpt_fixture():
    out = {}
    for name, options in CKPT_OPTIMIZERS.items():
        m = ckpt_model()
        # two groups, so that params index lists and per-group options are exercised
        groups = [{"params": list(m[0].parameters())}, {"params": list(m[2].parameters()), "lr": options["lr"] / 2}]
        opt = getattr(torch.optim, name)(groups, **to_torch(options))
        for _ in range(CKPT_BEFORE):
            opt.zero_grad()
            ckpt_loss(m).backward()
            opt.step()
        torch.save({"model": m.state_dict(), "optimizer": opt.state_dict(), "epoch": CKPT_BEFORE},
                   os.path.join(OUT, f"ckpt_{name}.pt"))
        after = []
        for _ in range(CKPT_AFTER):
            opt.zero_grad()
            ckpt_loss(m).backward()
            opt.step()
            after.append({k: v.tolist() for k, v in m.state_dict().items()})
        out[name] = {"options": options, "after": after}
    return {"torch_version": torch.__version__, "before": CKPT_BEFORE, "cases": out}


def scheduler_fixture():
    return {"torch_version": torch.__version__, "steps": SCHED_STEPS, "cases": [run_sched(c) for c in SCHEDULERS]}


def write(name, fixture):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(fixture, f, separators=(",", ":"), allow_nan=False)
    print("wrote", name, os.path.getsize(os.path.join(OUT, name)))


if __name__ == "__main__":
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    write("more_optimizers.json", optimizer_fixture())
    write("more_schedulers.json", scheduler_fixture())
    write("more_swa.json", {"torch_version": torch.__version__, **swa_fixture()})
    write("more_ckpt.json", ckpt_fixture())

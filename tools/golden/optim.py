"""Golden fixtures for Kiln's optim: optimizer trajectories and scheduler lr sequences from PyTorch.

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/optim.py
Writes test/golden/optim/optimizers.json and test/golden/optim/schedulers.json.
Options are written in Kiln's camelCase; to_torch() maps them to PyTorch's keyword arguments.
"""

import json
import math
import os
import re

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "optim")
STEPS = 20
RESUME_AT = 10
EPOCHS = 30


def snake(key):
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), key)


def to_torch(options):
    out = {}
    for k, v in options.items():
        if k == "tMax":
            out["T_max"] = v
        else:
            out[snake(k)] = tuple(v) if k == "betas" else v
    return out


def plain(x):
    """JSON-ready copy of a state-dict value."""
    if isinstance(x, torch.Tensor):
        return x.tolist()
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


# ---- problems -------------------------------------------------------------------------------

g = torch.Generator().manual_seed(0)


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape, generator=g) * scale).tolist()


PROBLEMS = {
    # loss = sum(a * (x - c)^2) + sum(b * (y - d)^2); u is a parameter that gets no gradient.
    "quadratic": {
        "params": {"x": rnd(2, 3), "y": rnd(4), "u": rnd(2)},
        "data": {"a": torch.rand(2, 3, generator=g).add(0.5).tolist(), "c": rnd(2, 3),
                 "b": torch.rand(4, generator=g).add(0.5).tolist(), "d": rnd(4)},
        # groups: [x, y, u] with the case's options
    },
    # loss = mean((relu(X W1^T + b1) W2^T + b2 - Y)^2); group 0: [w1, b1, u], group 1: [w2, b2] at lr / 2.
    "mlp": {
        "params": {"w1": rnd(4, 3, scale=0.5), "b1": rnd(4, scale=0.1), "u": rnd(2),
                   "w2": rnd(2, 4, scale=0.5), "b2": rnd(2, scale=0.1)},
        "data": {"X": rnd(5, 3), "Y": rnd(5, 2)},
    },
}


def make_params(problem):
    return {k: torch.tensor(v, dtype=torch.float32, requires_grad=True)
            for k, v in PROBLEMS[problem]["params"].items()}


def loss_of(problem, p):
    d = {k: torch.tensor(v, dtype=torch.float32) for k, v in PROBLEMS[problem]["data"].items()}
    if problem == "quadratic":
        return (d["a"] * (p["x"] - d["c"]) ** 2).sum() + (d["b"] * (p["y"] - d["d"]) ** 2).sum()
    h = torch.relu(d["X"].matmul(p["w1"].t()) + p["b1"])
    return ((h.matmul(p["w2"].t()) + p["b2"] - d["Y"]) ** 2).mean()


PARAM_ORDER = {"quadratic": ["x", "y", "u"], "mlp": ["w1", "b1", "u", "w2", "b2"]}


def groups_of(problem, p, lr):
    if problem == "quadratic":
        return [{"params": [p["x"], p["y"], p["u"]]}]
    return [{"params": [p["w1"], p["b1"], p["u"]]}, {"params": [p["w2"], p["b2"]], "lr": lr / 2}]


DEFAULT_LR = {"SGD": None, "Adam": 1e-3, "AdamW": 1e-3, "RMSprop": 1e-2, "Adagrad": 1e-2, "Adadelta": 1.0}

OPTIMIZERS = {
    "SGD": [
        {"lr": 0.05},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.05, "momentum": 0.8, "weightDecay": 0.1},
        {"lr": 0.05, "weightDecay": 0.2, "nesterov": False},
        {"lr": 0.005, "momentum": 0.5, "maximize": True},
    ],
    "Adam": [
        {},
        {"lr": 0.05},
        {"lr": 0.05, "betas": [0.8, 0.95], "eps": 1e-6},
        {"lr": 0.05, "weightDecay": 0.1},
        {"lr": 0.05, "amsgrad": True},
        {"lr": 0.05, "amsgrad": True, "weightDecay": 0.05, "betas": [0.5, 0.9]},
        {"lr": 0.02, "maximize": True},
    ],
    "AdamW": [
        {},
        {"lr": 0.05},
        {"lr": 0.05, "weightDecay": 0.3, "betas": [0.8, 0.95], "eps": 1e-6},
        {"lr": 0.05, "amsgrad": True},
        {"lr": 0.05, "weightDecay": 0, "amsgrad": True},
        {"lr": 0.02, "maximize": True},
    ],
    "RMSprop": [
        {},
        {"lr": 0.01, "alpha": 0.9, "eps": 1e-6},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "centered": True},
        {"lr": 0.01, "centered": True, "momentum": 0.5, "weightDecay": 0.1},
        {"lr": 0.01, "weightDecay": 0.2},
        {"lr": 0.005, "maximize": True},
    ],
    "Adagrad": [
        {},
        {"lr": 0.1},
        {"lr": 0.1, "lrDecay": 0.05},
        {"lr": 0.1, "initialAccumulatorValue": 0.5},
        {"lr": 0.1, "weightDecay": 0.1, "eps": 1e-6},
        {"lr": 0.05, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.5},
        {"lr": 1.0, "rho": 0.95, "eps": 1e-4},
        {"lr": 1.0, "weightDecay": 0.1},
        {"lr": 0.5, "maximize": True},
    ],
}


def run_case(name, options, problem):
    p = make_params(problem)
    lr = options.get("lr", DEFAULT_LR[name])
    opt = getattr(torch.optim, name)(groups_of(problem, p, lr), **to_torch(options))
    traj, resume = [], None
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        loss_of(problem, p).backward()
        opt.step()
        traj.append([p[k].detach().tolist() for k in PARAM_ORDER[problem]])
        if step == RESUME_AT:
            resume = plain(opt.state_dict())
    return {"optimizer": name, "problem": problem, "options": options,
            "groupLrs": [gr["lr"] for gr in opt.param_groups], "trajectory": traj,
            "stateDictAt10": resume}


def optimizer_fixture():
    cases = [run_case(name, o, prob) for name, opts in OPTIMIZERS.items() for o in opts
             for prob in ("quadratic", "mlp")]
    return {"torch_version": torch.__version__, "steps": STEPS, "resumeAt": RESUME_AT,
            "problems": PROBLEMS, "cases": cases}


# ---- schedulers -----------------------------------------------------------------------------

LAMBDAS = {
    "pow095": lambda e: 0.95 ** e,
    "warmup5": lambda e: min(1.0, (e + 1) / 5),
    "inverse": lambda e: 1.0 / (1 + e),
}

METRICS = [1.0, 0.9, 0.95, 0.91, 0.92, 0.9, 0.89, 0.9, 0.9, 0.9, 0.95, 0.7, 0.71, 0.72, 0.73,
           0.7, 0.69, 0.75, 0.8, 0.8, 0.8, 0.8, 0.6, 0.6, 0.61, 0.62, 0.63, 0.64, 0.65, 0.66]

SCHEDULERS = [
    {"sched": [{"type": "StepLR", "options": {"stepSize": 3, "gamma": 0.5}}]},
    {"sched": [{"type": "StepLR", "options": {"stepSize": 7}}]},
    {"sched": [{"type": "MultiStepLR", "options": {"milestones": [5, 10, 10, 20], "gamma": 0.3}}]},
    {"sched": [{"type": "ExponentialLR", "options": {"gamma": 0.9}}]},
    {"sched": [{"type": "CosineAnnealingLR", "options": {"tMax": 10, "etaMin": 0.001}}]},
    {"sched": [{"type": "CosineAnnealingLR", "options": {"tMax": 7}}]},
    {"sched": [{"type": "LinearLR", "options": {}}]},
    {"sched": [{"type": "LinearLR", "options": {"startFactor": 1.0, "endFactor": 0.1, "totalIters": 12}}]},
    {"sched": [{"type": "LambdaLR", "options": {"lrLambda": "pow095"}}]},
    {"sched": [{"type": "LambdaLR", "options": {"lrLambda": ["warmup5", "inverse"]}}]},
    {"sched": [{"type": "OneCycleLR", "options": {"maxLr": 0.5, "totalSteps": 30}}]},
    {"sched": [{"type": "OneCycleLR", "options": {"maxLr": [1.0, 0.4], "epochs": 3, "stepsPerEpoch": 10,
                                                   "pctStart": 0.25, "annealStrategy": "linear",
                                                   "divFactor": 10.0, "finalDivFactor": 100.0,
                                                   "threePhase": True}}]},
    {"optimizer": "Adam", "sched": [{"type": "OneCycleLR", "options": {"maxLr": 0.01, "totalSteps": 40}}]},
    {"sched": [{"type": "ReduceLROnPlateau", "options": {}}]},
    {"sched": [{"type": "ReduceLROnPlateau", "options": {"factor": 0.5, "patience": 2, "cooldown": 1,
                                                          "minLr": 0.02, "threshold": 0.01}}]},
    {"sched": [{"type": "ReduceLROnPlateau", "options": {"mode": "max", "thresholdMode": "abs",
                                                          "patience": 1, "factor": 0.3,
                                                          "minLr": [0.0, 0.01]}}]},
    {"sched": [{"type": "SequentialLR", "options": {"milestones": [5]},
                "schedulers": [{"type": "LinearLR", "options": {"startFactor": 0.1, "totalIters": 5}},
                               {"type": "ExponentialLR", "options": {"gamma": 0.9}}]}]},
    {"sched": [{"type": "SequentialLR", "options": {"milestones": [4, 12]},
                "schedulers": [{"type": "ExponentialLR", "options": {"gamma": 1.2}},
                               {"type": "CosineAnnealingLR", "options": {"tMax": 8, "etaMin": 0.01}},
                               {"type": "StepLR", "options": {"stepSize": 5, "gamma": 0.5}}]}]},
    # Chained: two schedulers stepping the same optimizer each epoch (the recursive forms compose).
    {"sched": [{"type": "ExponentialLR", "options": {"gamma": 0.95}},
               {"type": "MultiStepLR", "options": {"milestones": [6, 15], "gamma": 0.1}}]},
    {"sched": [{"type": "CosineAnnealingLR", "options": {"tMax": 10}},
               {"type": "LinearLR", "options": {"startFactor": 0.5, "totalIters": 4}}]},
]


def build_sched(opt, spec):
    kind, o = spec["type"], to_torch(spec["options"])
    if kind == "LambdaLR":
        lam = o["lr_lambda"]
        o["lr_lambda"] = [LAMBDAS[k] for k in lam] if isinstance(lam, list) else LAMBDAS[lam]
    if kind == "SequentialLR":
        o["schedulers"] = [build_sched(opt, s) for s in spec["schedulers"]]
    return getattr(torch.optim.lr_scheduler, kind)(opt, **o)


def sched_state(s):
    sd = s.state_dict()
    out = {}
    for k, v in sd.items():
        if k in ("anneal_func", "lr_lambdas", "_schedulers", "verbose", "_get_lr_called_within_step"):
            continue
        if k == "milestones" and isinstance(v, dict):
            v = {str(m): c for m, c in v.items()}
        out[k] = plain(v)
    return out


def run_sched(case):
    opt_name = case.get("optimizer", "SGD")
    params = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    groups = [{"params": [params[0]], "lr": 0.1}, {"params": [params[1]], "lr": 0.05}]
    opt = torch.optim.SGD(groups, lr=0.1, momentum=0.9) if opt_name == "SGD" else torch.optim.Adam(groups)
    scheds = [build_sched(opt, s) for s in case["sched"]]
    lrs, momenta = [], []
    for epoch in range(EPOCHS):
        lrs.append([gr["lr"] for gr in opt.param_groups])
        momenta.append([gr["momentum"] if opt_name == "SGD" else gr["betas"][0] for gr in opt.param_groups])
        opt.step()
        for s in scheds:
            if isinstance(s, torch.optim.lr_scheduler.ReduceLROnPlateau):
                s.step(METRICS[epoch])
            else:
                s.step()
    return {**case, "optimizer": opt_name, "lrs": lrs, "momenta": momenta,
            "lastLr": [s._last_lr for s in scheds], "stateDicts": [sched_state(s) for s in scheds]}


def scheduler_fixture():
    return {"torch_version": torch.__version__, "epochs": EPOCHS, "metrics": METRICS,
            "cases": [run_sched(c) for c in SCHEDULERS]}


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, fixture in (("optimizers", optimizer_fixture()), ("schedulers", scheduler_fixture())):
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(fixture, f, separators=(",", ":"), allow_nan=False)
        print("wrote", name)

#!/usr/bin/python3
"""Golden fixtures for the ops of issue 15 items 2 and 4 (special functions, predicates, index ops,
splits and statistics, factories, print options), from PyTorch.

Run with Debian's PyTorch:  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/ops_more.py
Writes test/golden/core/torch_ops_more_<group>.json (the case format of tools/golden/torch_ops.py:
inputs, keyword arguments in Kiln's names, outputs, gradients for a recorded upstream gradient,
grad_fn), torch_ops_more_errors.json (PyTorch's error for each bad call) and ops_more_repr.json
(repr strings under set_printoptions). PyTorch's int64 is written as Kiln's "int32".
"""

import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden", "core")
G = torch.Generator().manual_seed(1515)

DT = {"float64": torch.float64, "float32": torch.float32, "int32": torch.int64, "bool": torch.bool}
DT_NAME = {v: k for k, v in DT.items()}
DT_NAME[torch.int32] = "int32"


def num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def enc(t):
    t = t.detach()
    if t._is_zerotensor():  # sgn's gradient is an unallocated "efficient zero" tensor
        t = torch.zeros(t.shape, dtype=t.dtype)
    return {"dtype": DT_NAME[t.dtype], "shape": list(t.shape), "data": [num(v) for v in t.reshape(-1).tolist()]}


def dec(e):
    return torch.tensor([float(v) if isinstance(v, str) else v for v in e["data"]], dtype=DT[e["dtype"]]).reshape(e["shape"])


def T(shape, dtype="float64", kind="randn", lo=None, hi=None):
    """A sample tensor: randn, uniform in [lo, hi), int (in [-3, 4)), nat (in [0, hi)), bool."""
    if kind == "randn":
        t = torch.randn(shape, generator=G, dtype=torch.float64)
    elif kind == "uniform":
        t = torch.rand(shape, generator=G, dtype=torch.float64) * (hi - lo) + lo
    elif kind == "int":
        t = torch.randint(-3, 4, shape, generator=G)
    elif kind == "nat":
        t = torch.randint(0, hi, shape, generator=G)
    elif kind == "bool":
        t = torch.rand(shape, generator=G) > 0.5
    else:
        raise ValueError(kind)
    return enc(t.to(DT[dtype]))


def V(values, dtype="float64"):
    return enc(torch.tensor(values, dtype=DT[dtype]))


def materialise(arg, grad):
    if isinstance(arg, dict) and "dtype" in arg:
        t = dec(arg)
        if grad and t.is_floating_point():
            t.requires_grad_(True)
        return t
    return arg


INF = float("inf")
NAN = float("nan")


def bt(v):
    return torch.tensor(bool(v))


def kwn(kw, **names):
    """Kiln's keyword names -> torch's."""
    return {names.get(k, k): v for k, v in kw.items()}


OPS = {
    "erfinv": torch.erfinv, "lgamma": torch.lgamma, "digamma": torch.digamma,
    "isinf": torch.isinf, "isfinite": torch.isfinite, "isposinf": torch.isposinf, "isneginf": torch.isneginf,
    "isclose": lambda a, b, **kw: torch.isclose(a, b, **kwn(kw, equalNan="equal_nan")),
    "allclose": lambda a, b, **kw: bt(torch.allclose(a, b, **kwn(kw, equalNan="equal_nan"))),
    "equal": lambda a, b: bt(torch.equal(a, b)),
    "nanToNum": lambda x, **kw: torch.nan_to_num(x, **kw),
    "logit": lambda x, **kw: torch.logit(x, **kw),
    "sgn": torch.sgn,
    "clip": lambda x, **kw: torch.clip(x, kw.get("min"), kw.get("max")),
    "indexAdd": lambda x, i, s, **kw: torch.index_add(x, kw["dim"], i, s, alpha=kw.get("alpha", 1)),
    "indexCopy": lambda x, i, s, **kw: torch.index_copy(x, kw["dim"], i, s),
    "indexFill": lambda x, i, **kw: torch.index_fill(x, kw["dim"], i, kw["value"]),
    "indexFillT": lambda x, i, v, **kw: torch.index_fill(x, kw["dim"], i, v),
    "maskedScatter": lambda x, m, s: x.masked_scatter(m, s),
    "takeAlongDim": lambda x, i, **kw: torch.take_along_dim(x, i, kw.get("dim")),
    "scatter_": lambda x, i, s, **kw: x.clone().scatter_(kw["dim"], i, s),
    "scatterAdd_": lambda x, i, s, **kw: x.clone().scatter_add_(kw["dim"], i, s),
    "indexAdd_": lambda x, i, s, **kw: x.clone().index_add_(kw["dim"], i, s),
    "stdMean": lambda x, **kw: list(torch.std_mean(x, kw.get("dim"), keepdim=kw.get("keepDim", False), **({"correction": kw["correction"]} if "correction" in kw else {}))),
    "varMean": lambda x, **kw: list(torch.var_mean(x, kw.get("dim"), keepdim=kw.get("keepDim", False), **({"correction": kw["correction"]} if "correction" in kw else {}))),
    "aminmax": lambda x, **kw: list(torch.aminmax(x, **kwn(kw, keepDim="keepdim"))),
    "countNonzero": lambda x, **kw: torch.count_nonzero(x, kw.get("dim")),
    "argwhere": torch.argwhere,
    "unflatten": lambda x, **kw: torch.unflatten(x, kw["dim"], kw["sizes"]),
    "tensorSplit": lambda x, **kw: [t.contiguous() for t in torch.tensor_split(x, kw["ios"], kw.get("dim", 0))],
    "addcmul": lambda x, a, b, **kw: torch.addcmul(x, a, b, **kw),
    "addcdiv": lambda x, a, b, **kw: torch.addcdiv(x, a, b, **kw),
    "logspace": lambda **kw: torch.logspace(kw["start"], kw["end"], kw["steps"], kw.get("base", 10.0), dtype=DT[kw.get("dtype", "float32")]),
    "squeeze_": lambda x, **kw: (x * 1).squeeze_(kw["dim"]),
    "unsqueeze_": lambda x, **kw: (x * 1).unsqueeze_(kw["dim"]),
    "transpose_": lambda x, **kw: (x * 1).transpose_(kw["dim0"], kw["dim1"]).contiguous(),
    "t_": lambda x: (x * 1).t_().contiguous(),
    "nanToNum_": lambda x, **kw: (x * 1).nan_to_num_(**kw),
    "erfinv_": lambda x: (x * 1).erfinv_(),
    "lgamma_": lambda x: (x * 1).lgamma_(),
    "clip_": lambda x, **kw: (x * 1).clip_(kw.get("min"), kw.get("max")),
    "square_": lambda x: (x * 1).square_(),
    "sgn_": lambda x: (x * 1).sgn_(),
    "digamma_": lambda x: (x * 1).digamma_(),
    "eq_": lambda x, y: (x * 1).eq_(y), "lt_": lambda x, y: (x * 1).lt_(y),
    "ge_": lambda x, y: (x * 1).ge_(y),
    "logicalAnd_": lambda x, y: (x * 1).logical_and_(y),
    "logicalNot_": lambda x: (x * 1).logical_not_(),
    "clampMin": lambda x, **kw: x.clamp_min(kw["min"]), "clampMax": lambda x, **kw: x.clamp_max(kw["max"]),
    "clampMin_": lambda x, **kw: (x * 1).clamp_min_(kw["min"]), "clampMax_": lambda x, **kw: (x * 1).clamp_max_(kw["max"]),
}

GROUPS = {}


def case(group, op, inputs, grad=True, **kw):
    GROUPS.setdefault(group, []).append({"op": op, "inputs": inputs, "kwargs": kw, "grad": grad})


# ---- special functions: wide ranges, float64 and float32 --------------------------------------

S = "more_special"
wide = [-1e300, -1e10, -1e5 - 0.5, -20.5, -3.3, -2.75, -2.4, -1.5, -1.0, -0.5, -1e-5, -0.0, 0.0, 1e-300, 1e-8,
        1e-3, 0.3, 0.5, 0.75, 1.0, 1.0 + 1e-9, 1.25, 1.4616321449683622, 1.5, 1.75, 2.0, 2.0 - 1e-10, 2.25,
        2.75, 3.0, 4.5, 9.99, 10.0, 10.5, 30.0, 171.5, 1e5, 1e10, 1e17, 1e18, 1e300, INF, -INF, NAN]
for dt in ["float64", "float32"]:
    case(S, "lgamma", [V(wide, dt)], grad=False)
    case(S, "digamma", [V(wide, dt)], grad=False)
    case(S, "erfinv", [V([-1.0, -0.999999, -0.99, -0.9, -0.7000001, -0.7, -0.5, -1e-8, -0.0, 0.0, 1e-300, 1e-5,
                          0.1, 0.3, 0.69, 0.7, 0.71, 0.8, 0.95, 0.999, 0.9999999, 1.0, 1.5, -2.0, INF, NAN], dt)], grad=False)
    for op in ["lgamma", "digamma"]:
        case(S, op, [T([3, 4], dt, "uniform", lo=-6, hi=12)], grad=False)
        case(S, op, [T([2, 3], dt, "uniform", lo=0.2, hi=8)])
    case(S, "erfinv", [T([3, 4], dt, "uniform", lo=-0.99, hi=0.99)])
case(S, "lgamma", [T([2, 3], "int32", "nat", hi=6)], grad=False)
case(S, "erfinv", [V([0, 1, -1], "int32")], grad=False)
case(S, "lgamma_", [T([2, 3], "float64", "uniform", lo=0.2, hi=8)])
case(S, "erfinv_", [T([4], "float64", "uniform", lo=-0.9, hi=0.9)])
special = [1.0, -2.5, INF, -INF, NAN, 0.0, -0.0, 3e38]
for dt in ["float64", "float32"]:
    for op in ["isinf", "isfinite", "isposinf", "isneginf"]:
        case(S, op, [V(special, dt)], grad=False)
    case(S, "nanToNum", [V(special, dt)])
    case(S, "nanToNum", [V(special, dt)], nan=1.5, posinf=100.0, neginf=-7.0)
    case(S, "nanToNum", [V(special, dt)], posinf=2.0)
    case(S, "sgn", [V(special, dt)])
    case(S, "logit", [V([0.0, 1e-4, 0.2, 0.5, 0.9, 1.0], dt)], grad=False)
    case(S, "logit", [T([2, 3], dt, "uniform", lo=0.05, hi=0.95)])
    case(S, "logit", [V([0.0, 1e-4, 0.2, 0.5, 0.9, 0.9999, 1.0], dt)], eps=1e-3)
for op in ["isinf", "isfinite", "isposinf", "isneginf"]:
    case(S, op, [V([1, -2, 0], "int32")], grad=False)
    case(S, op, [V([True, False], "bool")], grad=False)
case(S, "nanToNum", [V([1, 2], "int32")], grad=False)
case(S, "nanToNum_", [V(special, "float64")], grad=False)
case(S, "sgn", [V([-2, 0, 3], "int32")], grad=False)
case(S, "logit", [V([0, 1], "int32")], grad=False)
case(S, "isclose", [V([1.0, 1.0, INF, NAN, 1e-9, 100.0]), V([1.0 + 1e-6, 1.1, INF, NAN, 0.0, 100.001])], grad=False)
case(S, "isclose", [V([1.0, 1.0, INF, NAN, 1e-9, 100.0]), V([1.0 + 1e-6, 1.1, INF, NAN, 0.0, 100.001])], grad=False, rtol=1e-2, atol=1e-3, equalNan=True)
case(S, "isclose", [V([1.0, 2.0], "float32"), V([[1.0], [2.0]], "float32")], grad=False)
case(S, "isclose", [V([1, 2, 3], "int32"), V([1, 3, 3], "int32")], grad=False)
case(S, "isclose", [V([1, 2, 3], "int32"), V([1, 3, 3], "int32")], grad=False, rtol=0.5, atol=0.0)
case(S, "isclose", [V([True, False], "bool"), V([True, True], "bool")], grad=False)
case(S, "allclose", [V([1.0, 2.0]), V([1.0, 2.0 + 1e-7])], grad=False)
case(S, "allclose", [V([1.0, 2.0]), V([1.0, 2.1])], grad=False)
case(S, "allclose", [V([1.0, NAN]), V([1.0, NAN])], grad=False, equalNan=True)
case(S, "equal", [V([1.0, 2.0]), V([1.0, 2.0])], grad=False)
case(S, "equal", [V([1.0, 2.0]), V([1.0, 2.0, 3.0])], grad=False)
case(S, "equal", [V([NAN]), V([NAN])], grad=False)
case(S, "equal", [V([1.0, 2.0]), V([1, 2], "int32")], grad=False)
case(S, "clip", [T([2, 3])], min=-0.5, max=0.5)
case(S, "clip", [T([2, 3])], min=0.1)
case(S, "clip_", [T([2, 3])], max=0.2)
case(S, "square_", [T([2, 3])])
case(S, "sgn_", [T([4])])
case(S, "digamma_", [T([4], "float64", "uniform", lo=0.5, hi=5)])
case(S, "eq_", [V([1.0, 2.0, 3.0]), V([1.0, 0.0, 3.0])], grad=False)
case(S, "lt_", [V([1, 2, 3], "int32"), V([2, 2, 2], "int32")], grad=False)
case(S, "ge_", [V([1.0, 2.0, 3.0], "float32"), V([2.0], "float32")], grad=False)
case(S, "logicalAnd_", [V([1.0, 0.0, 3.0]), V([1.0, 1.0, 0.0])], grad=False)
case(S, "logicalNot_", [V([1.0, 0.0, -3.0])], grad=False)
case(S, "clampMin", [T([2, 3])], min=0.1)
case(S, "clampMax", [T([2, 3])], max=-0.1)
case(S, "clampMin_", [T([2, 3])], min=0.1)
case(S, "clampMax_", [T([2, 3])], max=-0.1)

# ---- index ops ------------------------------------------------------------------------------

I = "more_index"
for dt in ["float64", "float32"]:
    case(I, "indexAdd", [T([4, 3], dt), V([0, 2, 2], "int32"), T([3, 3], dt)], dim=0)
    case(I, "indexAdd", [T([2, 4], dt), V([3, 0], "int32"), T([2, 2], dt)], dim=1, alpha=-1.5)
    case(I, "indexCopy", [T([4, 3], dt), V([3, 1], "int32"), T([2, 3], dt)], dim=0)
    case(I, "indexCopy", [T([2, 3, 2], dt), V([2, 0], "int32"), T([2, 2, 2], dt)], dim=-2)
    case(I, "indexFill", [T([3, 4], dt), V([1, 3], "int32")], dim=1, value=-2.5)
    case(I, "indexFill", [T([3, 4], dt), V([0], "int32")], dim=0, value=7.0)
    case(I, "maskedScatter", [T([2, 3], dt), V([[True, False, True], [False, True, True]], "bool"), T([5], dt)])
    case(I, "maskedScatter", [T([2, 3], dt), V([True, False, True], "bool"), T([2, 4], dt)])
    case(I, "takeAlongDim", [T([3, 4], dt), V([[0, 3], [1, 1], [2, 0]], "int32")], dim=1)
    case(I, "takeAlongDim", [T([3, 4], dt), V([[0, 1, 2, 0]], "int32")], dim=0)
    case(I, "takeAlongDim", [T([3, 4], dt), V([[0], [3]], "int32")])
    case(I, "takeAlongDim", [T([2, 1, 3], dt), V([[[0, 2]], [[1, 1]]], "int32")], dim=-1)
case(I, "indexFillT", [T([3, 4]), V([1], "int32"), V(2.5)], dim=1)
case(I, "indexAdd", [V([[1, 2], [3, 4]], "int32"), V([1], "int32"), V([[5, 6]], "int32")], grad=False, dim=0)
case(I, "indexAdd", [T([5]), V([4, 0, 4], "int32"), T([3])], dim=0)
case(I, "scatter_", [T([3, 4]), V([[0, 1], [2, 0]], "int32"), T([2, 2])], dim=0)
case(I, "scatterAdd_", [T([3, 4]), V([[0, 1], [2, 0]], "int32"), T([2, 2])], dim=1)
case(I, "indexAdd_", [T([4, 2]), V([1, 1], "int32"), T([2, 2])], dim=0)

# ---- reductions, splits, pointwise, factories, in-place views ---------------------------------

R = "more_reduce"
for dt in ["float64", "float32"]:
    case(R, "stdMean", [T([3, 4], dt)])
    case(R, "stdMean", [T([3, 4], dt)], dim=1, keepDim=True)
    case(R, "varMean", [T([2, 3, 4], dt)], dim=[0, 2], correction=0)
    case(R, "varMean", [T([5], dt)], dim=0)
    case(R, "aminmax", [T([3, 4], dt)], grad=False)
    case(R, "aminmax", [T([3, 4], dt)], grad=False, dim=1, keepDim=True)
    case(R, "aminmax", [V([[1.0, NAN], [2.0, 3.0]], dt)], grad=False, dim=1)
    case(R, "addcmul", [T([2, 3], dt), T([2, 3], dt), T([3], dt)], value=0.5)
    case(R, "addcdiv", [T([2, 3], dt), T([2, 1], dt), T([2, 3], dt, "uniform", lo=0.5, hi=2)], value=-2.0)
    case(R, "addcdiv", [T([3], dt), T([3], dt), T([3], dt, "uniform", lo=0.5, hi=2)])
case(R, "aminmax", [V([[1, 5], [-2, 3]], "int32")], grad=False, dim=0)
case(R, "aminmax", [V([True, False], "bool")], grad=False)
case(R, "countNonzero", [V([[0.0, 1.5, 0.0], [2.0, -0.0, NAN]])], grad=False)
case(R, "countNonzero", [V([[0, 1, 0], [2, 0, 3]], "int32")], grad=False, dim=1)
case(R, "countNonzero", [V([[0, 1, 0], [2, 0, 3]], "int32")], grad=False, dim=[0, 1])
case(R, "countNonzero", [V([[True, False], [True, True]], "bool")], grad=False, dim=0)
case(R, "argwhere", [V([[0.0, 1.0], [2.0, 0.0]])], grad=False)
case(R, "argwhere", [V([[[0, 1], [1, 0]], [[0, 0], [3, 0]]], "int32")], grad=False)
case(R, "argwhere", [V(1.0)], grad=False)
case(R, "argwhere", [V(0.0)], grad=False)
case(R, "unflatten", [T([2, 6])], dim=1, sizes=[2, 3])
case(R, "unflatten", [T([12, 2])], dim=0, sizes=[-1, 2, 2])
case(R, "unflatten", [T([2, 6])], dim=-1, sizes=[6])
case(R, "tensorSplit", [T([7])], ios=3)
case(R, "tensorSplit", [T([2, 7])], ios=[1, 4], dim=1)
case(R, "tensorSplit", [T([6, 2])], ios=[-2, 8, 1])
case(R, "tensorSplit", [T([3, 2])], ios=5)
case(R, "logspace", [], grad=False, start=0, end=2, steps=5)
case(R, "logspace", [], grad=False, start=-1.5, end=3, steps=7, base=2.0)
case(R, "logspace", [], grad=False, start=1, end=3, steps=3, dtype="float64")
case(R, "logspace", [], grad=False, start=0, end=3, steps=4, dtype="int32")
case(R, "logspace", [], grad=False, start=0.1, end=1.3, steps=1)
case(R, "squeeze_", [T([3, 1, 2])], dim=1)
case(R, "unsqueeze_", [T([3, 2])], dim=-1)
case(R, "transpose_", [T([3, 2, 4])], dim0=0, dim1=2)
case(R, "t_", [T([3, 2])])


def run_case(c):
    fn = OPS[c["op"]]
    args = [materialise(a, c["grad"]) for a in c["inputs"]]
    kw = dict(c["kwargs"])
    if c["op"] == "tensorSplit" and isinstance(kw["ios"], list):
        kw["ios"] = list(kw["ios"])
    out = fn(*args, **kw)
    outs = out if isinstance(out, list) else [out]
    rec = dict(c)
    rec["kwargs"] = {k: num(v) if isinstance(v, float) else v for k, v in c["kwargs"].items()}
    rec["out"] = [enc(o) for o in outs] if isinstance(out, list) else enc(out)
    rec["gradFn"] = type(outs[0].grad_fn).__name__ if outs and outs[0].grad_fn is not None else None
    ins = [a for a in args if isinstance(a, torch.Tensor)]
    if c["grad"] and any(o.requires_grad for o in outs):
        gouts = [torch.randn(o.shape, generator=G, dtype=torch.float64).to(o.dtype) if o.is_floating_point() and o.requires_grad else None for o in outs]
        pairs = [(o, g) for o, g in zip(outs, gouts) if g is not None]
        need = [t for t in ins if t.requires_grad]
        grads = torch.autograd.grad([p[0] for p in pairs], need, [p[1] for p in pairs], allow_unused=True)
        it = iter(grads)
        rec["gradOutputs"] = [enc(g) if g is not None else None for g in gouts]
        rec["grads"] = [(lambda g: enc(g) if g is not None else {"none": True})(next(it)) if t.requires_grad else None for t in ins]
    else:
        rec["grad"] = False
    return rec


def errors():
    """PyTorch's errors for bad arguments: each case's call must raise (the message is recorded)."""
    out = []

    def check(name, f):
        try:
            f()
        except Exception as e:  # noqa: BLE001
            out.append({"name": name, "error": type(e).__name__, "message": str(e).split("\n")[0]})
            return
        raise AssertionError(f"{name}: torch did not raise")
    z = torch.zeros
    check("multinomial negative", lambda: torch.multinomial(torch.tensor([-1.0, 2.0]), 1))
    check("multinomial zero sum", lambda: torch.multinomial(torch.tensor([0.0, 0.0]), 1))
    check("multinomial too many", lambda: torch.multinomial(torch.tensor([1.0, 1.0]), 3))
    check("multinomial inf", lambda: torch.multinomial(torch.tensor([1.0, INF]), 1))
    check("multinomial nan", lambda: torch.multinomial(torch.tensor([1.0, NAN]), 1))
    check("multinomial 3-D", lambda: torch.multinomial(torch.ones(2, 2, 2), 1))
    check("multinomial int", lambda: torch.multinomial(torch.tensor([1, 2]), 1))
    check("multinomial zero samples", lambda: torch.multinomial(torch.tensor([1.0, 2.0]), 0))
    check("bernoulli p range", lambda: torch.bernoulli(torch.tensor([1.5])))
    check("bernoulli int", lambda: torch.bernoulli(torch.tensor([1, 0])))
    check("bernoulli_ p", lambda: z(3).bernoulli_(1.5))
    check("normal std", lambda: torch.normal(z(2), -1.0))
    check("normal std tensor", lambda: torch.normal(z(2), torch.tensor([-1.0, 1.0])))
    check("normal_ std", lambda: z(2).normal_(0, -1))
    check("normal_ int", lambda: z(2, dtype=torch.int64).normal_())
    check("poisson negative", lambda: torch.poisson(torch.tensor([-1.0])))
    check("poisson int", lambda: torch.poisson(torch.tensor([1])))
    check("uniform_ range", lambda: z(2).uniform_(2, 1))
    check("uniform_ int", lambda: z(2, dtype=torch.int64).uniform_())
    check("exponential_ lambda", lambda: z(2).exponential_(-1))
    check("geometric_ p", lambda: z(2).geometric_(1.5))
    check("geometric_ zero", lambda: z(2).geometric_(0))
    check("logNormal_ std", lambda: z(2).log_normal_(0, -1))
    check("random_ range", lambda: z(5).random_(3, 3))
    check("maskedScatter short", lambda: z(3).masked_scatter(torch.tensor([True, True, False]), torch.ones(1)))
    check("maskedScatter dtype", lambda: z(3).masked_scatter(torch.tensor([True, True, False]), torch.ones(3, dtype=torch.float64)))
    check("indexAdd range", lambda: z(3).index_add(0, torch.tensor([5]), torch.ones(1)))
    check("indexAdd shape", lambda: z(3, 2).index_add(0, torch.tensor([1]), torch.ones(2, 2)))
    check("indexAdd float index", lambda: z(3).index_add(0, torch.tensor([1.0]), torch.ones(1)))
    check("indexAdd 2-D index", lambda: z(3).index_add(0, torch.tensor([[1]]), torch.ones(1)))
    check("indexAdd dtype", lambda: z(3).index_add(0, torch.tensor([1]), torch.ones(1, dtype=torch.float64)))
    check("indexCopy range", lambda: z(3).index_copy(0, torch.tensor([5]), torch.ones(1)))
    check("indexCopy shape", lambda: z(3, 2).index_copy(0, torch.tensor([1]), torch.ones(2, 2)))
    check("indexFill range", lambda: z(3).index_fill(0, torch.tensor([5]), 1.0))
    check("indexFill value 1-D", lambda: z(3).index_fill(0, torch.tensor([1]), torch.tensor([1.0])))
    check("takeAlongDim ndim", lambda: torch.take_along_dim(z(3, 2), torch.tensor([1]), 0))
    check("takeAlongDim float", lambda: torch.take_along_dim(z(3, 2), torch.tensor([[1.0]]), 0))
    check("isclose dtype", lambda: torch.isclose(z(2), z(2, dtype=torch.float64)))
    check("isclose rtol", lambda: torch.isclose(z(2), z(2), -1))
    check("isclose atol", lambda: torch.isclose(z(2), z(2), 1e-5, -1))
    check("addcdiv int", lambda: torch.addcdiv(torch.tensor([1]), torch.tensor([1]), torch.tensor([2])))
    check("unflatten sizes", lambda: z(6).unflatten(0, (4, 2)))
    check("unflatten infer", lambda: z(6).unflatten(0, (4, -1)))
    check("unflatten empty", lambda: z(6).unflatten(0, ()))
    check("tensorSplit 0-d", lambda: torch.tensor_split(torch.tensor(1.0), 2))
    check("tensorSplit zero sections", lambda: torch.tensor_split(z(3), 0))
    check("tensorSplit 2-D tensor", lambda: torch.tensor_split(z(3), torch.tensor([[1]])))
    check("countNonzero dims", lambda: torch.count_nonzero(z(3, 3), dim=(0, 0)))
    check("aminmax empty", lambda: torch.aminmax(z(0)))
    check("stdMean int", lambda: torch.std_mean(torch.tensor([1, 2])))
    check("logspace steps", lambda: torch.logspace(0, 2, -1))
    check("t_ 3-D", lambda: z(2, 2, 2).t_())
    check("unsqueeze_ leaf", lambda: z(3, requires_grad=True).unsqueeze_(0))
    check("scatter_ leaf", lambda: z(3, requires_grad=True).scatter_(0, torch.tensor([1]), 1.0))
    return out


def reprs():
    """repr(t) under set_printoptions: each case sets the options, prints, and restores them."""
    gen = torch.Generator().manual_seed(7)
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    tensors = {
        "small": torch.tensor([1.23456789, -2.5, 1000.125]),
        "tiny": torch.tensor([1e-5, 2.5, -3.0]),
        "ints": torch.tensor([1.0, 20.0, -300.0]),
        "wide": r(3, 30).float(),
        "long": torch.arange(40.0) * 1.5,
        "big": torch.arange(1200.0).reshape(12, 100) / 7,
        "cube": torch.arange(2 * 9 * 9, dtype=torch.float32).reshape(2, 9, 9) / 3,
        "double": torch.tensor([0.5, 1.25, -3.0], dtype=torch.float64),
        "zeros": torch.zeros(4),
        "int": torch.arange(30).reshape(3, 10) * 1001,
        "nonfinite": torch.tensor([float("nan"), float("inf"), 1.5, -2.0]),
        "ties": torch.tensor([0.125, 0.375, 2.5, -0.5, 1.5e-5, 2.5e-5, 1234.5]),
    }
    options = [
        {},
        {"precision": 2},
        {"precision": 8},
        {"precision": 0},
        {"sciMode": True},
        {"sciMode": False},
        {"threshold": 10},
        {"threshold": 10, "edgeitems": 1},
        {"threshold": 10, "edgeitems": 0},
        {"edgeitems": 5, "threshold": 50},
        {"linewidth": 40},
        {"linewidth": 200},
        {"profile": "short"},
        {"profile": "full"},
        {"profile": "short", "precision": 6},
        {"precision": 3, "sciMode": True, "linewidth": 60},
    ]
    names = {"sciMode": "sci_mode"}
    out = []
    for o in options:
        torch.set_printoptions(profile="default")
        torch.set_printoptions(**{names.get(k, k): v for k, v in o.items()})
        for name, t in tensors.items():
            if name == "double" and "linewidth" in o:
                # Kiln prints dtype=float64 (torch: dtype=torch.float64), so where the suffix
                # wraps depends on the name's length; the default width is checked above.
                continue
            try:
                s = repr(t).replace("dtype=torch.", "dtype=")
            except RuntimeError:  # PyTorch 1.13 cannot print n-D tensors with edgeitems=0
                continue
            out.append({"options": o, "tensor": name, "expected": s})
    torch.set_printoptions(profile="default")
    # positional order: precision, threshold, edgeitems, linewidth, profile, sci_mode
    torch.set_printoptions(3, 10, 2, 50, None, True)
    out.append({"options": {"positional": [3, 10, 2, 50, None, True]}, "tensor": "long", "expected": repr(tensors["long"])})
    torch.set_printoptions(profile="default")
    return {"tensors": {name: enc(t) for name, t in tensors.items()}, "cases": out}


def main():
    os.makedirs(OUT, exist_ok=True)
    for group, cases in GROUPS.items():
        recs = [run_case(c) for c in cases]
        path = os.path.join(OUT, f"torch_ops_{group}.json")
        with open(path, "w") as f:
            json.dump({"meta": {"torch": torch.__version__, "script": "tools/golden/ops_more.py"}, "cases": recs}, f, separators=(",", ":"))
        print(f"wrote {path}: {len(recs)} cases, {os.path.getsize(path)} bytes")
    path = os.path.join(OUT, "torch_ops_more_errors.json")
    with open(path, "w") as f:
        json.dump({"meta": {"torch": torch.__version__}, "cases": errors()}, f, indent=1)
    print(f"wrote {path}")
    path = os.path.join(OUT, "ops_more_repr.json")
    with open(path, "w") as f:
        json.dump({"meta": {"torch": torch.__version__}, **reprs()}, f, separators=(",", ":"))
    print(f"wrote {path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()

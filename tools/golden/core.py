#!/usr/bin/python3
"""Golden fixtures for Kiln's core (tensors, indexing, autograd, printing), from PyTorch.

Run with Debian's PyTorch:  /usr/bin/python3 tools/golden/core.py
Writes test/golden/core/*.json. Cases are declared once per op (OpInfo style): an op name, its
sample inputs and keyword arguments; the forward output, the gradient of every floating input
(for a recorded random upstream gradient) and the grad_fn name are taken from torch.
PyTorch's int64 is written as Kiln's "int32" (Kiln's default integer dtype).
"""

import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden", "core")
G = torch.Generator().manual_seed(1234)

DT = {"float64": torch.float64, "float32": torch.float32, "int32": torch.int64, "bool": torch.bool}
DT_NAME = {v: k for k, v in DT.items()}


def num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def enc(t):
    t = t.detach()
    flat = t.reshape(-1).tolist()
    return {"dtype": DT_NAME[t.dtype], "shape": list(t.shape), "data": [num(v) for v in flat]}


def dec(e):
    return torch.tensor(e["data"], dtype=DT[e["dtype"]]).reshape(e["shape"])


def T(shape, dtype="float64", kind="randn"):
    """A sample tensor: randn, pos (in [0.5, 2.5)), int (in [-3, 4)), nat (in [0, 4)), bool."""
    if kind == "randn":
        t = torch.randn(shape, generator=G, dtype=torch.float64)
    elif kind == "pos":
        t = torch.rand(shape, generator=G, dtype=torch.float64) * 2 + 0.5
    elif kind == "int":
        t = torch.randint(-3, 4, shape, generator=G)
    elif kind == "nat":
        t = torch.randint(0, 4, shape, generator=G)
    elif kind == "bool":
        t = torch.rand(shape, generator=G) > 0.5
    else:
        raise ValueError(kind)
    return enc(t.to(DT[dtype]))


def S(v):
    """A JS scalar operand. Float scalars must not be integral (JS cannot tell 2.0 from 2)."""
    assert not (isinstance(v, float) and v.is_integer())
    return {"scalar": v}


def I(values, shape=None):
    t = torch.tensor(values, dtype=torch.int64)
    return enc(t.reshape(shape) if shape is not None else t)


def materialise(arg, grad):
    if isinstance(arg, dict) and "scalar" in arg:
        return arg["scalar"]
    if isinstance(arg, dict) and "dtype" in arg:
        t = dec(arg)
        if grad and t.is_floating_point():
            t.requires_grad_(True)
        return t
    if isinstance(arg, list):
        return [materialise(a, grad) for a in arg]
    return arg


def leaves(args):
    out = []
    for a in args:
        if isinstance(a, list):
            out.extend(leaves(a))
        elif isinstance(a, torch.Tensor):
            out.append(a)
    return out


# ---- the op table: Kiln name -> torch call ------------------------------------------------


def kw_dim(kw):
    return {k: v for k, v in kw.items() if k != "keepDim"}


def reduction(fn):
    def run(x, **kw):
        args = {}
        if "dim" in kw:
            args["dim"] = kw["dim"]
        if "keepDim" in kw:
            args["keepdim"] = kw["keepDim"]
        return fn(x, **args)

    return run


def max_min(name):
    def run(x, **kw):
        if "dim" not in kw:
            return getattr(x, name)()
        r = getattr(x, name)(kw["dim"], keepdim=kw.get("keepDim", False))
        return [r.values, r.indices]

    return run


def var_std(name):
    def run(x, **kw):
        args = {}
        if "dim" in kw:
            args["dim"] = kw["dim"]
        if "keepDim" in kw:
            args["keepdim"] = kw["keepDim"]
        if "correction" in kw:
            args["unbiased"] = kw["correction"] == 1
        return getattr(x, name)(**args)

    return run


OPS = {
    # unary
    **{n: (lambda n: lambda x: getattr(torch, n)(x))(n) for n in [
        "neg", "abs", "exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos",
        "tanh", "sigmoid", "relu", "erf", "sign", "floor", "ceil", "round", "trunc"]},
    "logicalNot": torch.logical_not,
    # binary
    "add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div, "pow": torch.pow,
    "maximum": torch.maximum, "minimum": torch.minimum, "remainder": torch.remainder,
    "fmod": torch.fmod,
    **{n: getattr(torch, n) for n in [
        "exp2", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh",
        "atanh", "erfc", "atan2", "hypot", "logaddexp", "xlogy"]},
    "addAlpha": lambda a, b: torch.add(a, b, alpha=2), "subAlpha": lambda a, b: torch.sub(a, b, alpha=2),
    "eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge,
    "logicalAnd": torch.logical_and, "logicalOr": torch.logical_or, "logicalXor": torch.logical_xor,
    "where": torch.where,
    "clamp": lambda x, **kw: torch.clamp(x, kw.get("min"), kw.get("max")),
    # reductions
    "sum": reduction(torch.sum), "mean": reduction(torch.mean), "prod": reduction(torch.prod),
    "argmax": reduction(torch.argmax), "argmin": reduction(torch.argmin),
    "any": lambda x, **kw: torch.any(x, **({"dim": kw["dim"]} if "dim" in kw else {}), **({"keepdim": kw["keepDim"]} if "keepDim" in kw else {})),
    "all": lambda x, **kw: torch.all(x, **({"dim": kw["dim"]} if "dim" in kw else {}), **({"keepdim": kw["keepDim"]} if "keepDim" in kw else {})),
    "amax": lambda x, **kw: torch.amax(x, kw["dim"], kw.get("keepDim", False)),
    "max": max_min("max"), "min": max_min("min"),
    "var": var_std("var"), "std": var_std("std"),
    "logsumexp": lambda x, **kw: torch.logsumexp(x, kw["dim"], kw.get("keepDim", False)),
    "cumsum": lambda x, **kw: torch.cumsum(x, kw["dim"]),
    # views and movement
    "reshape": lambda x, **kw: x.reshape(kw["shape"]),
    "view": lambda x, **kw: x.view(kw["shape"]),
    "flatten": lambda x, **kw: x.flatten(kw.get("startDim", 0), kw.get("endDim", -1)),
    "squeeze": lambda x, **kw: x.squeeze(kw["dim"]) if "dim" in kw else x.squeeze(),
    "unsqueeze": lambda x, **kw: x.unsqueeze(kw["dim"]),
    "permute": lambda x, **kw: x.permute(kw["dims"]),
    "transpose": lambda x, **kw: x.transpose(kw["dim0"], kw["dim1"]),
    "t": lambda x: x.t(),
    "mT": lambda x: x.transpose(-1, -2).contiguous(),
    "expand": lambda x, **kw: x.expand(kw["shape"]),
    "expandAs": lambda x, y: x.expand_as(y),
    "contiguous": lambda x: x.transpose(0, 1).contiguous(),
    "narrow": lambda x, **kw: x.narrow(kw["dim"], kw["start"], kw["length"]),
    "split": lambda x, **kw: list(x.split(kw["size"], kw.get("dim", 0))),
    "chunk": lambda x, **kw: list(x.chunk(kw["chunks"], kw.get("dim", 0))),
    "repeat": lambda x, **kw: x.repeat(kw["sizes"]),
    "flip": lambda x, **kw: x.flip(kw["dims"]),
    "cat": lambda *xs, **kw: torch.cat(xs, kw.get("dim", 0)),
    "stack": lambda *xs, **kw: torch.stack(xs, kw.get("dim", 0)),
    "gather": lambda x, i, **kw: torch.gather(x, kw["dim"], i),
    "scatter": lambda x, i, s, **kw: torch.scatter(x, kw["dim"], i, s),
    "scatterAdd": lambda x, i, s, **kw: torch.scatter_add(x, kw["dim"], i, s),
    "indexSelect": lambda x, i, **kw: torch.index_select(x, kw["dim"], i),
    "matmul": torch.matmul,
    "to": lambda x, **kw: x.to(DT[kw["dtype"]]),
    "clone": lambda x: x.clone(),
    "maskedFill": lambda x, m, **kw: x.masked_fill(m, kw["value"]),
    "maskedSelect": lambda x, m: x.masked_select(m),
    "nonzero": lambda x: x.nonzero(),
}

CASES = []


def case(op, inputs, grad=True, **kw):
    CASES.append({"op": op, "inputs": inputs, "kwargs": kw, "grad": grad})


# ---- sample inputs --------------------------------------------------------------------------

UNARY_FLOAT = ["neg", "abs", "exp", "expm1", "sin", "cos", "tanh", "sigmoid", "relu", "erf",
               "sign", "floor", "ceil", "round", "trunc"]
UNARY_POS = ["log", "log1p", "sqrt", "rsqrt", "reciprocal"]
for op in UNARY_FLOAT + UNARY_POS:
    kind = "pos" if op in UNARY_POS else "randn"
    case(op, [T([2, 3], "float64", kind)])
    case(op, [T([4], "float32", kind)])
    case(op, [T([], "float64", kind)])
    case(op, [T([5], "int32", "nat" if op in UNARY_POS else "int")], grad=False)
case("round", [enc(torch.tensor([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999], dtype=torch.float64))])
case("logicalNot", [T([2, 3], "bool", "bool")], grad=False)
case("logicalNot", [T([4], "float64", "int")], grad=False)

BINARY = ["add", "sub", "mul", "div", "pow", "maximum", "minimum", "remainder", "fmod",
          "addAlpha", "subAlpha"]
for op in BINARY:
    base = "pos" if op in ("pow", "remainder", "fmod") else "randn"
    case(op, [T([2, 3], "float64", base), T([2, 3], "float64", "pos")])
    case(op, [T([2, 3], "float64", base), T([3], "float64", "pos")])
    case(op, [T([2, 1], "float64", base), T([1, 3], "float64", "pos")])
    case(op, [T([4, 1, 3], "float64", base), T([2, 1], "float64", "pos")])
    case(op, [T([3], "float64", base), T([], "float64", "pos")])
    case(op, [T([4], "float32", base), T([4], "float32", "pos")])
    case(op, [T([4], "float32", base), T([], "float64", "pos")])
    case(op, [T([4], "int32", "nat" if op == "pow" else "int"), T([4], "float32", "pos")])
    case(op, [T([4], "int32", "nat" if op == "pow" else "int"), T([4], "int32", "nat")], grad=False)
    if op not in ("maximum", "minimum"):
        case(op, [T([2, 3], "float64", base), S(2)])
        case(op, [T([2, 3], "float64", base), S(1.5)])
        case(op, [T([4], "int32", "nat"), S(2)], grad=False)
        case(op, [T([4], "int32", "nat"), S(0.5)], grad=False)
    if op in ("add", "mul", "maximum", "minimum"):
        case(op, [T([2, 3], "bool", "bool"), T([3], "bool", "bool")], grad=False)
# Avoid integer division by zero: the divisor is a positive int.
CASES[:] = [c for c in CASES if not (c["op"] in ("remainder", "fmod", "div") and c["inputs"][0]["dtype"] == "int32" and c["inputs"][1].get("dtype") == "int32" and 0 in c["inputs"][1]["data"])]
case("div", [I([5, -7, 9, -2]), I([2, 2, 4, 3])], grad=False)

for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    a = T([2, 3], "float64", "int")
    case(op, [a, T([3], "float64", "int")], grad=False)
    case(op, [T([4], "int32", "int"), T([4], "int32", "int")], grad=False)
    case(op, [T([4], "float32", "int"), S(1)], grad=False)
    case(op, [T([4], "int32", "int"), S(0.5)], grad=False)
    case(op, [T([4], "int32", "int"), T([4], "float32", "int")], grad=False)
    case(op, [T([2, 2], "bool", "bool"), T([2], "bool", "bool")], grad=False)
for op in ["logicalAnd", "logicalOr", "logicalXor"]:
    case(op, [T([2, 3], "bool", "bool"), T([3], "bool", "bool")], grad=False)
    case(op, [T([4], "bool", "bool"), T([4], "bool", "bool")], grad=False)
    case(op, [T([4], "int32", "int"), T([4], "float64", "int")], grad=False)

case("where", [T([2, 3], "bool", "bool"), T([2, 3]), T([3])])
case("where", [T([2, 1], "bool", "bool"), T([1, 3]), T([2, 1])])
case("where", [T([4], "bool", "bool"), T([4], "float32"), S(0)])
case("where", [T([4], "bool", "bool"), S(1.5), T([4])])
case("where", [T([4], "bool", "bool"), T([4], "int32", "int"), T([4], "int32", "int")], grad=False)
case("clamp", [T([2, 3])], min=-0.5, max=0.5)
case("clamp", [T([2, 3])], min=-0.5)
case("clamp", [T([2, 3])], max=0.25)
case("clamp", [T([6], "float32")], min=-1, max=1)
case("clamp", [T([6], "int32", "int")], min=-1, max=2, grad=False)
case("clamp", [T([6], "int32", "int")], min=-0.5, grad=False)

X3 = lambda dtype="float64", kind="randn": T([2, 3, 4], dtype, kind)
for op in ["sum", "mean"]:
    case(op, [X3()])
    case(op, [X3()], dim=1)
    case(op, [X3()], dim=-1)
    case(op, [X3()], dim=[0, 2])
    case(op, [X3()], dim=[0, 2], keepDim=True)
    case(op, [X3("float32")], dim=1, keepDim=True)
    case(op, [T([])])
case("sum", [X3("int32", "int")], grad=False)
case("sum", [X3("int32", "int")], dim=1, grad=False)
case("sum", [X3("bool", "bool")], grad=False)
case("sum", [X3("bool", "bool")], dim=[0, 2], keepDim=True, grad=False)
case("prod", [X3()])
case("prod", [X3()], dim=1)
case("prod", [X3()], dim=-1, keepDim=True)
case("prod", [enc(torch.tensor([[1.5, 0.0, 2.0], [0.0, 3.0, 0.0], [0.5, 2.0, -1.0]], dtype=torch.float64))], dim=1)
case("prod", [T([5], "int32", "int")], grad=False)
for op in ["max", "min"]:
    case(op, [X3()])
    case(op, [X3()], dim=1)
    case(op, [X3()], dim=-1, keepDim=True)
    case(op, [X3("float32")], dim=0)
    case(op, [enc(torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]], dtype=torch.float64))])
    case(op, [T([2, 5], "int32", "int")], dim=1, grad=False)
case("amax", [X3()], dim=[0, 2])
for op in ["argmax", "argmin"]:
    case(op, [X3()], grad=False)
    case(op, [X3()], dim=1, grad=False)
    case(op, [X3()], dim=-1, keepDim=True, grad=False)
    case(op, [T([2, 5], "int32", "int")], dim=0, grad=False)
for op in ["var", "std"]:
    case(op, [X3()])
    case(op, [X3()], dim=1)
    case(op, [X3()], dim=[0, 2], keepDim=True)
    case(op, [X3()], dim=-1, correction=0)
    case(op, [X3("float32")], dim=0)
case("logsumexp", [X3()], dim=1)
case("logsumexp", [X3()], dim=[0, 2])
case("logsumexp", [X3()], dim=-1, keepDim=True)
case("logsumexp", [enc(torch.tensor([[1000.0, 1000.0], [-1000.0, 0.0]], dtype=torch.float64))], dim=1)
for op in ["any", "all"]:
    b = X3("bool", "bool")
    case(op, [b], grad=False)
    case(op, [b], dim=1, grad=False)
    case(op, [b], dim=-1, keepDim=True, grad=False)
    case(op, [T([2, 3], "float64", "int")], dim=0, grad=False)
    case(op, [enc(torch.ones(2, 2, dtype=torch.bool))], grad=False)
case("cumsum", [X3()], dim=0)
case("cumsum", [X3()], dim=-1)
case("cumsum", [T([2, 3], "int32", "int")], dim=1, grad=False)
case("cumsum", [T([2, 3], "bool", "bool")], dim=1, grad=False)

case("reshape", [X3()], shape=[3, 8])
case("reshape", [X3()], shape=[-1, 4])
case("reshape", [X3()], shape=[24])
case("view", [X3()], shape=[4, -1])
case("view", [X3()], shape=[2, 12])
case("flatten", [X3()])
case("flatten", [X3()], startDim=1)
case("flatten", [T([2, 3, 4, 2])], startDim=1, endDim=2)
case("squeeze", [T([2, 1, 3, 1])])
case("squeeze", [T([2, 1, 3, 1])], dim=1)
case("squeeze", [T([2, 1, 3, 1])], dim=0)
case("unsqueeze", [T([2, 3])], dim=0)
case("unsqueeze", [T([2, 3])], dim=-1)
case("unsqueeze", [T([2, 3])], dim=1)
case("permute", [X3()], dims=[2, 0, 1])
case("permute", [X3()], dims=[-1, -3, -2])
case("transpose", [X3()], dim0=0, dim1=2)
case("transpose", [X3()], dim0=-1, dim1=1)
case("t", [T([2, 3])])
case("t", [T([3])])
case("mT", [X3()])
case("expand", [T([3, 1])], shape=[2, 3, 4])
case("expand", [T([3, 1])], shape=[-1, 5])
case("expandAs", [T([1, 3]), T([4, 3])])
case("contiguous", [X3()])
case("narrow", [X3()], dim=1, start=1, length=2)
case("narrow", [X3()], dim=-1, start=-3, length=2)
case("split", [X3()], size=2, dim=2)
case("split", [X3()], size=[1, 3], dim=2)
case("split", [T([5, 2])], size=2)
case("chunk", [X3()], chunks=3, dim=1)
case("chunk", [T([5, 2])], chunks=2)
case("chunk", [T([6, 2])], chunks=4)
case("repeat", [T([2, 3])], sizes=[2, 1])
case("repeat", [T([2, 3])], sizes=[2, 1, 3])
case("repeat", [T([3])], sizes=[2, 2])
case("flip", [X3()], dims=[0])
case("flip", [X3()], dims=[0, 2])
case("flip", [X3()], dims=[-1])
case("cat", [T([2, 3]), T([1, 3])], dim=0)
case("cat", [T([2, 3]), T([2, 1]), T([2, 2])], dim=1)
case("cat", [T([2, 3], "float32"), T([2, 3], "int32", "int")], dim=-1)
case("cat", [T([2, 3]), T([0])], dim=0)
case("stack", [T([2, 3]), T([2, 3])], dim=0)
case("stack", [T([2, 3]), T([2, 3]), T([2, 3])], dim=-1)
case("stack", [T([2, 3]), T([2, 3])], dim=1)
case("gather", [T([3, 4]), I([[0, 3, 3], [1, 0, 2]])], dim=1)
case("gather", [T([3, 4]), I([[2, 0, 1, 1], [0, 0, 2, 1]])], dim=0)
case("gather", [T([3, 4], "int32", "int"), I([[3], [1], [0]])], dim=1, grad=False)
# NOTE: src is as large as index: torch 1.13's ScatterBackward0 fails for a larger src.
case("scatter", [T([3, 4]), I([[0, 3], [1, 0], [2, 1]]), T([3, 2])], dim=1)
case("scatter", [T([3, 4]), I([[2, 0, 1, 1]]), T([1, 4])], dim=0)
case("scatter", [T([3, 4]), I([[2, 0, 1, 1]]), T([2, 4])], dim=0, grad=False)
case("scatter", [T([3, 4]), I([[0, 3], [1, 0]]), S(2.5)], dim=1)
case("scatterAdd", [T([3, 4]), I([[0, 0, 3], [1, 1, 1]]), T([2, 3])], dim=1)
case("scatterAdd", [T([3, 4]), I([[2, 2, 0, 1], [2, 0, 0, 1]]), T([2, 4])], dim=0)
case("scatterAdd", [T([3, 4], "int32", "int"), I([[0, 0, 3]]), T([1, 3], "int32", "int")], dim=1, grad=False)
case("indexSelect", [T([3, 4]), I([2, 0, 2])], dim=0)
case("indexSelect", [X3(), I([3, 1])], dim=-1)
case("indexSelect", [T([3, 4], "int32", "int"), I([1, 1])], dim=1, grad=False)

for dtype in ["float64", "float32"]:
    case("matmul", [T([3], dtype), T([3], dtype)])
    case("matmul", [T([2, 3], dtype), T([3, 4], dtype)])
    case("matmul", [T([3], dtype), T([3, 4], dtype)])
    case("matmul", [T([2, 3], dtype), T([3], dtype)])
    case("matmul", [T([2, 2, 3], dtype), T([2, 3, 4], dtype)])
    case("matmul", [T([2, 1, 2, 3], dtype), T([3, 3, 2], dtype)])
    case("matmul", [T([2, 2, 3], dtype), T([3], dtype)])
    case("matmul", [T([3], dtype), T([2, 3, 4], dtype)])
    case("matmul", [T([2, 2, 3], dtype), T([3, 2], dtype)])
case("matmul", [T([2, 3], "int32", "int"), T([3, 2], "int32", "int")], grad=False)

for src in ["float64", "float32", "int32", "bool"]:
    for dst in ["float64", "float32", "int32", "bool"]:
        kind = {"float64": "randn", "float32": "randn", "int32": "int", "bool": "bool"}[src]
        case("to", [T([5], src, kind)], dtype=dst, grad=src.startswith("float") and dst.startswith("float"))
case("to", [enc(torch.tensor([2.7, -2.7, 0.4, -0.0], dtype=torch.float64))], dtype="int32", grad=False)
case("clone", [X3()])
case("maskedFill", [T([2, 3]), T([2, 3], "bool", "bool")], value=-1.5)
case("maskedFill", [T([2, 3]), T([3], "bool", "bool")], value=2)
case("maskedFill", [T([2, 3], "int32", "int"), T([2, 1], "bool", "bool")], value=0, grad=False)
case("maskedSelect", [T([2, 3]), T([2, 3], "bool", "bool")])
case("maskedSelect", [T([2, 3]), T([3], "bool", "bool")])
case("maskedSelect", [T([3]), T([2, 3], "bool", "bool")])
case("nonzero", [T([2, 3], "bool", "bool")], grad=False)
case("nonzero", [T([2, 2, 3], "float64", "int")], grad=False)
case("nonzero", [T([5], "int32", "int")], grad=False)

# The elementwise ops added with the op table (issue 14/15), from their own generator so the
# samples above keep their values.
G_MAIN, G = G, torch.Generator().manual_seed(1415)


def T_in(shape, dtype, lo, hi):
    t = torch.rand(shape, generator=G, dtype=torch.float64) * (hi - lo) + lo
    return enc(t.to(DT[dtype]))


DOMAIN = {"exp2": (-3, 3), "log2": (0.2, 4), "log10": (0.2, 4), "tan": (-1.2, 1.2),
          "asin": (-0.95, 0.95), "acos": (-0.95, 0.95), "atan": (-4, 4), "sinh": (-3, 3),
          "cosh": (-3, 3), "asinh": (-4, 4), "acosh": (1.05, 4), "atanh": (-0.95, 0.95),
          "erfc": (-3, 6)}
for op, (lo, hi) in DOMAIN.items():
    case(op, [T_in([2, 3], "float64", lo, hi)])
    case(op, [T_in([4], "float32", lo, hi)])
    case(op, [T_in([], "float64", lo, hi)])
case("erfc", [enc(torch.tensor([0.0, 1.49, 1.5, 1.51, 5.0, 10.0, 26.0, 30.0, -2.0, float("inf"), float("-inf"), float("nan")], dtype=torch.float64))], grad=False)
case("erfc", [enc(torch.tensor([0.3, 1.6, 4.0, 9.0], dtype=torch.float32))], grad=False)
case("log2", [I([1, 2, 8, 5])], grad=False)
case("atanh", [enc(torch.tensor([-1.0, 1.0, 0.0, 2.0], dtype=torch.float64))], grad=False)
case("acosh", [enc(torch.tensor([0.5, 1.0, 2.0], dtype=torch.float32))], grad=False)
for op in ["atan2", "hypot", "logaddexp", "xlogy"]:
    case(op, [T_in([2, 3], "float64", -3, 3), T_in([2, 3], "float64", 0.2, 3)])
    case(op, [T_in([2, 1], "float64", -3, 3), T_in([1, 3], "float64", 0.2, 3)])
    case(op, [T_in([4], "float32", -3, 3), T_in([4], "float32", 0.2, 3)])
    case(op, [T([4], "int32", "int"), T([4], "int32", "nat")], grad=False)
    case(op, [T([4], "int32", "int"), T_in([4], "float32", 0.2, 3)])
case("atan2", [enc(torch.tensor([0.0, -0.0, 1.0, -1.0, 0.0], dtype=torch.float64)), enc(torch.tensor([-1.0, -1.0, 0.0, 0.0, 0.0], dtype=torch.float64))], grad=False)
case("logaddexp", [enc(torch.tensor([float("inf"), float("-inf"), -800.0, 1e308, float("nan")], dtype=torch.float64)), enc(torch.tensor([float("inf"), float("-inf"), -800.0, 1e308, 0.0], dtype=torch.float64))], grad=False)
case("xlogy", [enc(torch.tensor([0.0, 0.0, 2.0, 0.0, 1.5], dtype=torch.float64)), enc(torch.tensor([0.0, float("nan"), 0.0, 3.0, -1.0], dtype=torch.float64))], grad=False)
case("xlogy", [enc(torch.tensor([0.0, 2.0, 0.0], dtype=torch.float64)), enc(torch.tensor([0.5, 3.0, 2.5], dtype=torch.float64))])
case("hypot", [enc(torch.tensor([1e200, 3.0, float("inf"), float("nan")], dtype=torch.float64)), enc(torch.tensor([1e200, 4.0, float("nan"), float("inf")], dtype=torch.float64))], grad=False)
G = G_MAIN


def run_case(c):
    fn = OPS[c["op"]]
    args = materialise(c["inputs"], c["grad"])
    out = fn(*args, **c["kwargs"])
    outs = out if isinstance(out, list) else [out]
    rec = dict(c)
    rec["out"] = [enc(o) for o in outs] if isinstance(out, list) else enc(out)
    rec["gradFn"] = type(outs[0].grad_fn).__name__ if outs[0].grad_fn is not None else None
    if c["grad"] and outs[0].requires_grad:
        gouts = [torch.randn(o.shape, generator=G, dtype=torch.float64).to(o.dtype) if o.is_floating_point() else None for o in outs]
        pairs = [(o, g) for o, g in zip(outs, gouts) if g is not None and o.requires_grad]
        ins = leaves(args)
        grads = torch.autograd.grad([p[0] for p in pairs], [t for t in ins if t.requires_grad], [p[1] for p in pairs], allow_unused=True)
        it = iter(grads)
        rec["gradOutputs"] = [enc(g) if g is not None else None for g in gouts]
        # A floating input with no gradient (unused by the op) is written as {"none": true}.
        rec["grads"] = [(lambda g: enc(g) if g is not None else {"none": True})(next(it)) if t.requires_grad else None for t in ins]
    else:
        rec["grad"] = False
    return rec


def ops_fixture():
    out = []
    for c in CASES:
        try:
            out.append(run_case(c))
        except Exception as e:  # noqa: BLE001 - a sample torch itself rejects is not a case
            print(f"skipped {c['op']} {[a.get('dtype', a.get('scalar')) for a in c['inputs'] if isinstance(a, dict)]} {c['kwargs']}: {e}")
    return out


# ---- creation -------------------------------------------------------------------------------


def creation_fixture():
    cases = [
        ("zeros", [[2, 3]], {}, torch.zeros(2, 3)),
        ("zeros", [[2]], {"dtype": "int32"}, torch.zeros(2, dtype=torch.int64)),
        ("ones", [[2, 3]], {"dtype": "float64"}, torch.ones(2, 3, dtype=torch.float64)),
        ("ones", [[3]], {"dtype": "bool"}, torch.ones(3, dtype=torch.bool)),
        ("full", [[2], 7], {}, torch.full([2], 7)),
        ("full", [[2, 2], 2.5], {}, torch.full([2, 2], 2.5)),
        ("full", [[2], True], {}, torch.full([2], True)),
        ("arange", [5], {}, torch.arange(5)),
        ("arange", [0, 10, 2], {}, torch.arange(0, 10, 2)),
        ("arange", [0, 1, 0.25], {}, torch.arange(0, 1, 0.25)),
        ("arange", [1, 2.5, 0.5], {}, torch.arange(1, 2.5, 0.5)),
        ("arange", [10, 0, -3], {}, torch.arange(10, 0, -3)),
        ("arange", [0, 5], {"dtype": "float64"}, torch.arange(0, 5, dtype=torch.float64)),
        ("linspace", [0, 1, 5], {}, torch.linspace(0, 1, 5)),
        ("linspace", [-1, 1, 7], {"dtype": "float64"}, torch.linspace(-1, 1, 7, dtype=torch.float64)),
        ("linspace", [0, 10, 11], {}, torch.linspace(0, 10, 11)),
        ("linspace", [3, 3, 1], {}, torch.linspace(3, 3, 1)),
        ("eye", [3], {}, torch.eye(3)),
        ("eye", [2, 3], {"dtype": "int32"}, torch.eye(2, 3, dtype=torch.int64)),
        ("tensor", [[1, 2, 3]], {}, torch.tensor([1, 2, 3])),
        ("tensor", [[[1.5, 2], [3, 4]]], {}, torch.tensor([[1.5, 2], [3, 4]])),
        ("tensor", [[True, False]], {}, torch.tensor([True, False])),
        ("tensor", [[]], {}, torch.tensor([])),
        ("tensor", [3.5], {}, torch.tensor(3.5)),
        ("tensor", [[1, 2]], {"dtype": "float64"}, torch.tensor([1, 2], dtype=torch.float64)),
        ("zerosLike", [{"tensor": enc(torch.tensor([[1, 2]]))}], {}, torch.zeros_like(torch.tensor([[1, 2]]))),
        ("onesLike", [{"tensor": enc(torch.tensor([1.5]))}], {"dtype": "float64"}, torch.ones_like(torch.tensor([1.5]), dtype=torch.float64)),
    ]
    return [{"fn": f, "args": a, "options": o, "out": enc(t)} for f, a, o, t in cases]


# ---- indexing -------------------------------------------------------------------------------


def sub_to_torch(s):
    k = s["k"]
    if k == "int":
        return s["v"]
    if k == "slice":
        return slice(s.get("start"), s.get("stop"), s.get("step"))
    if k == "none":
        return None
    if k == "ellipsis":
        return Ellipsis
    if k == "list":
        return s["v"]
    if k == "tensor":
        return dec(s["v"])
    raise ValueError(k)


def sl(start=None, stop=None, step=None):
    return {"k": "slice", "start": start, "stop": stop, "step": step}


def ix(v):
    return {"k": "int", "v": v}


NONE = {"k": "none"}
ELL = {"k": "ellipsis"}


def tix(values, dtype="int32"):
    return {"k": "tensor", "v": enc(torch.tensor(values, dtype=DT[dtype]))}


def lst(values):
    return {"k": "list", "v": values}


def index_fixture():
    x = enc(torch.randn(2, 3, 4, generator=G, dtype=torch.float64))
    x4 = enc(torch.randn(2, 3, 4, 5, generator=G, dtype=torch.float64))
    # The metrics tensor of the training app: [METRICS_SIZE=4, N=6].
    m = enc(torch.randn(4, 6, generator=G, dtype=torch.float64))
    labels = torch.tensor([1, 0, 0, 1, 1, 0])
    neg_mask = {"k": "tensor", "v": enc(labels == 0)}
    pos_mask = {"k": "tensor", "v": enc(labels == 1)}
    v = enc(torch.tensor([0.5, -1.0, 2.0, -0.25, 0.0, 3.0, -2.0], dtype=torch.float64))
    vt = dec(v)
    cases = [
        (m, [ix(2), neg_mask]),
        (m, [NONE, ix(2), pos_mask]),
        (m, [sl(), sl(0, 5)]),
        (v, [{"k": "tensor", "v": enc(vt > 0)}]),
        (x, [ix(0)]),
        (x, [ix(-1)]),
        (x, [ix(1), ix(-2), ix(3)]),
        (x, [sl(None, None, 2)]),
        (x, [sl(), sl(None, None, 2), sl(1, None, 2)]),
        (x, [sl(-2), sl(None, -1)]),
        (x, [sl(1, 10), sl(5, 7)]),
        (x, [ELL, ix(1)]),
        (x, [ELL, NONE]),
        (x, [ix(0), ELL, NONE, sl(1, 3)]),
        (x, [NONE, sl(), NONE]),
        (x, [lst([1, 0, 1])]),
        (x, [sl(), lst([2, 0])]),
        (x, [sl(), lst([-1, 0]), lst([1, 3])]),
        (x, [tix([[0, 1], [1, 1]])]),
        (x, [sl(), tix([[0, 2]]), sl(1, 3)]),
        (x, [lst([0, 1]), sl(), lst([0, 1])]),
        (x, [ix(0), sl(), lst([0, 1])]),
        (x, [lst([0, 1]), ix(0), lst([0, 1])]),
        (x, [lst([0, 1]), sl(), ix(1)]),
        (x, [sl(), tix([[0], [2]]), ix(0)]),
        (x4, [lst([0, 1]), sl(), lst([1, 2]), sl()]),
        (x4, [sl(), lst([0, 2]), lst([1, 3]), sl()]),
        (x4, [ELL, lst([0, 1]), sl(), lst([2, 4])]),
        (x4, [lst([1]), NONE, lst([0])]),
        (x, [tix([[True, False, True], [False, True, True]], "bool")]),
        (x, [sl(), tix([[True, False, True, False]] * 3, "bool")]),
        (x, [tix([True, False], "bool"), sl(), lst([0, 3])]),
        (x, [tix([True, False], "bool"), lst([0, 2])]),
        (x, [ELL, tix([True, False, False, True], "bool")]),
        (x, [tix(True, "bool")]),
        (x, [tix(False, "bool")]),
        (x, [lst([True, False])]),
        (x, [tix(1)]),
    ]
    out = []
    for base, subs in cases:
        t = dec(base).requires_grad_(True)
        y = t[tuple(sub_to_torch(s) for s in subs)]
        g = torch.randn(y.shape, generator=G, dtype=torch.float64)
        (gx,) = torch.autograd.grad(y, t, g)
        out.append({"input": base, "subs": subs, "out": enc(y), "gradOutput": enc(g), "grad": enc(gx), "gradFn": type(y.grad_fn).__name__})
    return out


def index_put_fixture():
    x = enc(torch.randn(3, 4, generator=G, dtype=torch.float64))
    xt = dec(x)
    cases = [
        ([{"k": "tensor", "v": enc(xt > 0)}], {"scalar": 0}, False),
        ([{"k": "tensor", "v": enc(xt > 0)}], {"scalar": 1.5}, True),
        ([ix(1)], enc(torch.randn(4, generator=G, dtype=torch.float64)), False),
        ([sl(), ix(2)], {"scalar": -1}, False),
        ([sl(0, 2), sl(1, 3)], enc(torch.randn(2, 2, generator=G, dtype=torch.float64)), True),
        ([lst([0, 2, 0]), lst([1, 1, 1])], enc(torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)), True),
        ([lst([0, 2]), lst([1, 3])], enc(torch.tensor([1.0, 2.0], dtype=torch.float64)), False),
        ([tix([2, 0])], enc(torch.randn(4, generator=G, dtype=torch.float64)), False),
        ([tix([True, False, True], "bool")], enc(torch.randn(2, 4, generator=G, dtype=torch.float64)), True),
        ([sl(), tix([True, False, True, False], "bool")], enc(torch.randn(3, 1, generator=G, dtype=torch.float64)), False),
    ]
    out = []
    for subs, values, acc in cases:
        t = dec(x).requires_grad_(True)
        vals = values["scalar"] if "scalar" in values else dec(values).requires_grad_(True)
        y = t.clone()
        if all(s["k"] in ("tensor", "list") for s in subs):
            y.index_put_(tuple(torch.tensor(s["v"]) if s["k"] == "list" else dec(s["v"]) for s in subs), torch.as_tensor(vals, dtype=torch.float64), accumulate=acc)
        else:
            key = tuple(sub_to_torch(s) for s in subs)
            # Without repeated positions, accumulate is y[key] = y[key] + values.
            y[key] = y[key] + vals if acc else vals
        g = torch.randn(y.shape, generator=G, dtype=torch.float64)
        ins = [t] + ([vals] if isinstance(vals, torch.Tensor) else [])
        grads = torch.autograd.grad(y, ins, g)
        out.append({"input": x, "subs": subs, "values": values, "accumulate": acc, "out": enc(y), "gradOutput": enc(g), "grads": [enc(gr) for gr in grads]})
    return out


# ---- type promotion -------------------------------------------------------------------------


def promotion_fixture():
    names = ["bool", "int32", "float32", "float64"]
    rows = []
    sample = {"bool": True, "int32": 1, "float32": 1.0, "float64": 1.0}
    for a in names:
        for b in names:
            ta = torch.ones(2, dtype=DT[a])
            tb = torch.ones(2, dtype=DT[b])
            zb = torch.ones((), dtype=DT[b])
            rows.append({"a": {"dtype": a, "kind": "dim"}, "b": {"dtype": b, "kind": "dim"}, "result": DT_NAME[torch.result_type(ta, tb)]})
            rows.append({"a": {"dtype": a, "kind": "dim"}, "b": {"dtype": b, "kind": "zerodim"}, "result": DT_NAME[torch.result_type(ta, zb)]})
            rows.append({"a": {"dtype": a, "kind": "zerodim"}, "b": {"dtype": b, "kind": "zerodim"}, "result": DT_NAME[torch.result_type(torch.ones((), dtype=DT[a]), zb)]})
        for scalar, value in [("int", 2), ("float", 2.5), ("bool", True)]:
            for kind, t in [("dim", torch.ones(2, dtype=DT[a])), ("zerodim", torch.ones((), dtype=DT[a]))]:
                rows.append({"a": {"dtype": a, "kind": kind}, "scalar": value, "result": DT_NAME[torch.result_type(t, value)]})
    del sample
    return rows


# ---- printing -------------------------------------------------------------------------------


def kiln_repr(t):
    """PyTorch's repr with Kiln's dtype names (int64 is Kiln's default int32, so no suffix)."""
    s = repr(t)
    s = s.replace("dtype=torch.int64", "dtype=int32")
    for n in ["float64", "float32", "bool"]:
        s = s.replace(f"dtype=torch.{n}", f"dtype={n}")
    return s


def repr_fixture():
    big = torch.randn(40, 30, generator=G, dtype=torch.float32)
    samples = [
        ("ints", torch.tensor([1, -2, 30, 4])),
        ("ints2d", torch.tensor([[1, 2, 3], [400, 5, -6]])),
        ("floats", torch.tensor([1.5, -2.25, 0.125, 3.0])),
        ("floats2d", torch.randn(3, 4, generator=G)),
        ("intValuedFloats", torch.tensor([1.0, -2.0, 30.0, 0.0])),
        ("sciSmall", torch.tensor([1e-5, 0.5, 2.0])),
        ("sciRange", torch.tensor([1.0, 12345.0, 0.5])),
        ("sciLarge", torch.tensor([1e9, 2.0])),
        ("sciInts", torch.tensor([1.0, 2e9])),
        ("negZero", torch.tensor([-0.0, 1.0])),
        ("nanInf", torch.tensor([float("nan"), float("inf"), -float("inf"), 1.5])),
        ("nanInfInts", torch.tensor([float("nan"), 2.0, -3.0])),
        ("allZero", torch.zeros(3)),
        ("float64", torch.tensor([1.5, 2.0], dtype=torch.float64)),
        ("float64Ints", torch.tensor([[1.0, 2.0]], dtype=torch.float64)),
        ("bool", torch.tensor([True, False, True])),
        ("bool2d", torch.tensor([[True], [True]])),
        ("zerodimFloat", torch.tensor(3.25)),
        ("zerodimInt", torch.tensor(7)),
        ("zerodimBool", torch.tensor(False)),
        ("zerodimFloat64", torch.tensor(-1.0, dtype=torch.float64)),
        ("empty", torch.tensor([])),
        ("emptyInt", torch.zeros(0, dtype=torch.int64)),
        ("empty2d", torch.zeros(0, 3)),
        ("empty2dFloat64", torch.zeros(2, 0, dtype=torch.float64)),
        ("summarised1d", torch.arange(2000)),
        ("summarised2d", big),
        ("summarisedFloat1d", torch.linspace(0, 1, 1500)),
        ("longRow", torch.randn(30, generator=G)),
        ("longRowInts", torch.arange(100, 140)),
        ("longRow2d", torch.randn(2, 25, generator=G, dtype=torch.float64)),
        ("threeD", torch.randn(2, 2, 3, generator=G)),
        ("threeDInts", torch.arange(24).reshape(2, 3, 4)),
        ("fourD", torch.arange(16).reshape(2, 2, 2, 2)),
        ("requiresGrad", torch.tensor([1.5, 2.0], requires_grad=True)),
        ("requiresGradFloat64", torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)),
    ]
    out = [{"name": n, "input": enc(t), "requiresGrad": t.requires_grad, "op": None, "expected": kiln_repr(t)} for n, t in samples]
    a = torch.tensor([1.5, -2.0, 3.25], requires_grad=True)
    for op, fn in [("mul2", lambda t: t * 2), ("sum", lambda t: t.sum()), ("exp", lambda t: t.exp())]:
        out.append({"name": f"gradFn_{op}", "input": enc(a), "requiresGrad": True, "op": op, "expected": kiln_repr(fn(a))})
    return out


# ---- errors ---------------------------------------------------------------------------------


def error_fixture():
    def msg(fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return str(e).split("\n")[0]
        raise AssertionError("expected an error")

    return {
        "broadcast": msg(lambda: torch.ones(2, 3) + torch.ones(2, 4)),
        "matmul": msg(lambda: torch.ones(2, 3) @ torch.ones(4, 5)),
        "indexOutOfRange": msg(lambda: torch.ones(3, 2)[torch.tensor([0, 5])]),
        "intOutOfRange": msg(lambda: torch.ones(3, 2)[5]),
        "maskShape": msg(lambda: torch.ones(4, 2)[torch.tensor([True, False, True])]),
        "floatIndex": msg(lambda: torch.ones(3)[torch.tensor([0.0, 1.0])]),
        "reshape": msg(lambda: torch.ones(6).reshape(2, 5)),
        "dim": msg(lambda: torch.ones(2, 3).sum(3)),
        "inplaceLeaf": msg(lambda: torch.ones(2, requires_grad=True).add_(1)),
        "backwardTwice": msg(lambda: (lambda y: (y.backward(), y.backward()))((torch.ones(2, requires_grad=True) * 2).exp().sum())),
        "nonScalarBackward": msg(lambda: (torch.ones(2, requires_grad=True) * 2).backward()),
    }


def grad_fn_fixture():
    a = torch.randn(3, generator=G, requires_grad=True)
    return {
        "AddBackward0": type((a + a).grad_fn).__name__,
        "addScalar": type((a + 1).grad_fn).__name__,
        "mulScalar": type((a * 2).grad_fn).__name__,
        "powScalar": type((a ** 2).grad_fn).__name__,
        "powTensor": type((a.abs() ** a).grad_fn).__name__,
        "indexMask": type(a[a > 0].grad_fn).__name__,
        "select": type(a[0].grad_fn).__name__,
        "slice": type(a[1:].grad_fn).__name__,
        "unsqueezeNone": type(a[None].grad_fn).__name__,
        "where": type(torch.where(a > 0, a, a).grad_fn).__name__,
        "sumAll": type(a.sum().grad_fn).__name__,
        "sumDim": type(a.sum(0).grad_fn).__name__,
        "meanAll": type(a.mean().grad_fn).__name__,
        "maxAll": type(a.max().grad_fn).__name__,
        "maxDim": type(a.max(0).values.grad_fn).__name__,
        "expand": type(a.unsqueeze(0).expand(2, 3).grad_fn).__name__,
        "permute": type(a.reshape(1, 3).permute(1, 0).grad_fn).__name__,
        "transpose": type(a.reshape(1, 3).transpose(0, 1).grad_fn).__name__,
        "t": type(a.reshape(1, 3).t().grad_fn).__name__,
        "view": type(a.view(3, 1).grad_fn).__name__,
        "cat": type(torch.cat([a, a]).grad_fn).__name__,
        "stack": type(torch.stack([a, a]).grad_fn).__name__,
        "flip": type(a.flip(0).grad_fn).__name__,
        "repeat": type(a.repeat(2).grad_fn).__name__,
        "clone": type(a.clone().grad_fn).__name__,
        "toDouble": type(a.double().grad_fn).__name__,
        "cumsum": type(a.cumsum(0).grad_fn).__name__,
        "gather": type(a.gather(0, torch.tensor([0])).grad_fn).__name__,
        "indexSelect": type(a.index_select(0, torch.tensor([0])).grad_fn).__name__,
        "maskedFill": type(a.masked_fill(a > 0, 0).grad_fn).__name__,
        "maskedSelect": type(a.masked_select(a > 0).grad_fn).__name__,
        "dot": type((a @ a).grad_fn).__name__,
        "mm": type((a.reshape(1, 3) @ a.reshape(3, 1)).grad_fn).__name__,
        "mv": type((a.reshape(1, 3) @ a).grad_fn).__name__,
        "var": type(a.var().grad_fn).__name__,
        "std": type(a.std().grad_fn).__name__,
        "logsumexp": type(a.logsumexp(0).grad_fn).__name__,
        "clampScalar": type(a.clamp(0, 1).grad_fn).__name__,
        "squeeze": type(a.reshape(1, 3).squeeze().grad_fn).__name__,
        "squeezeDim": type(a.reshape(1, 3).squeeze(0).grad_fn).__name__,
        "neg": type((-a).grad_fn).__name__,
        "sigmoid": type(a.sigmoid().grad_fn).__name__,
        "relu": type(a.relu().grad_fn).__name__,
        "div": type((a / 2).grad_fn).__name__,
        "sub": type((a - a).grad_fn).__name__,
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    meta = {"torch": torch.__version__, "generator": "tools/golden/core.py"}
    fixtures = {
        "ops": ops_fixture(),
        "creation": creation_fixture(),
        "index": index_fixture(),
        "index-put": index_put_fixture(),
        "promotion": promotion_fixture(),
        "repr": repr_fixture(),
        "errors": error_fixture(),
        "grad-fn": grad_fn_fixture(),
    }
    for name, cases in fixtures.items():
        path = os.path.join(OUT, f"{name}.json")
        with open(path, "w") as f:
            json.dump({"meta": meta, "cases": cases}, f, separators=(",", ":"))
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Golden fixtures for the torch functions of issue 15 (products, triangles, sorting, shape
helpers, cumulative ops, norms, linalg), from PyTorch.

Run with Debian's PyTorch:  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/torch_ops.py
Writes test/golden/core/torch_ops_<group>.json. Each case: an op name, its inputs (encoded as in
tools/golden/core.py) and keyword arguments; the outputs, the gradient of every floating input
for a recorded random upstream gradient, and the grad_fn name come from torch. PyTorch's int64
is written as Kiln's "int32". Multi-output functions are written as lists in PyTorch's order.
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
    return {"dtype": DT_NAME[t.dtype], "shape": list(t.shape), "data": [num(v) for v in t.reshape(-1).tolist()]}


def dec(e):
    return torch.tensor([float(v) if isinstance(v, str) else v for v in e["data"]], dtype=DT[e["dtype"]]).reshape(e["shape"])


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
    elif kind == "spd":
        a = torch.randn(shape, generator=G, dtype=torch.float64)
        t = a @ a.transpose(-1, -2) + shape[-1] * torch.eye(shape[-1], dtype=torch.float64)
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


def tup(r):
    return list(r)


def i64(t):
    return t.to(torch.int64) if t.dtype == torch.int32 else t


# ---- the op table: Kiln name -> torch call (keyword names are Kiln's) ---------------------

OPS = {
    # products
    "mm": torch.mm, "bmm": torch.bmm, "mv": torch.mv, "dot": torch.dot, "outer": torch.outer,
    "kron": torch.kron,
    "addmm": lambda i, a, b, **kw: torch.addmm(i, a, b, **kw),
    "baddbmm": lambda i, a, b, **kw: torch.baddbmm(i, a, b, **kw),
    "addbmm": lambda i, a, b, **kw: torch.addbmm(i, a, b, **kw),
    "einsum": lambda *xs, eq: torch.einsum(eq, *xs),
    "tensordot": lambda a, b, dims: torch.tensordot(a, b, dims),
    # triangles
    "tril": lambda x, **kw: torch.tril(x, **kw), "triu": lambda x, **kw: torch.triu(x, **kw),
    "diag": lambda x, **kw: torch.diag(x, **kw),
    "diagonal": lambda x, **kw: torch.diagonal(x, **kw).contiguous(),
    "diagEmbed": lambda x, **kw: torch.diag_embed(x, **kw),
    "trace": torch.trace,
    "trilIndices": lambda row, col, offset=0: torch.tril_indices(row, col, offset),
    "triuIndices": lambda row, col, offset=0: torch.triu_indices(row, col, offset),
    # sorting
    "sort": lambda x, **kw: tup(torch.sort(x, **kw)),
    "argsort": lambda x, **kw: torch.argsort(x, **kw),
    "msort": torch.msort,
    "topk": lambda x, k, **kw: tup(torch.topk(x, k, **kw)),
    "kthvalue": lambda x, k, **kw: tup(torch.kthvalue(x, k, **{("keepdim" if n == "keepDim" else n): v for n, v in kw.items()})),
    "median": lambda x, **kw: torch.median(x) if "dim" not in kw else tup(torch.median(x, kw["dim"], kw.get("keepDim", False))),
    "nanmedian": lambda x, **kw: torch.nanmedian(x) if "dim" not in kw else tup(torch.nanmedian(x, kw["dim"], kw.get("keepDim", False))),
    "mode": lambda x, **kw: tup(torch.mode(x, kw.get("dim", -1), kw.get("keepDim", False))),
    "unique": lambda x, **kw: (lambda r: list(r) if isinstance(r, tuple) else r)(torch.unique(x, sorted=True, return_inverse=kw.get("returnInverse", False), return_counts=kw.get("returnCounts", False), dim=kw.get("dim"))),
    "uniqueConsecutive": lambda x, **kw: (lambda r: list(r) if isinstance(r, tuple) else r)(torch.unique_consecutive(x, return_inverse=kw.get("returnInverse", False), return_counts=kw.get("returnCounts", False), dim=kw.get("dim"))),
    "searchsorted": lambda s, v, **kw: i64(torch.searchsorted(s, v, right=kw.get("right", False), side=kw.get("side"))),
    "searchsortedScalar": lambda s, **kw: torch.searchsorted(s, kw["value"]),
    "searchsortedSorter": lambda s, v, srt, **kw: torch.searchsorted(s, v, sorter=srt),
    "bucketize": lambda v, b, **kw: torch.bucketize(v, b, right=kw.get("right", False)),
    # shape helpers
    "unbind": lambda x, **kw: list(torch.unbind(x, kw.get("dim", 0))),
    "movedim": lambda x, **kw: torch.movedim(x, kw["source"], kw["destination"]).contiguous(),
    "swapaxes": lambda x, **kw: torch.swapaxes(x, kw["axis0"], kw["axis1"]).contiguous(),
    "viewAs": lambda x, y: x.view_as(y), "reshapeAs": lambda x, y: x.reshape_as(y),
    "flipud": torch.flipud, "fliplr": torch.fliplr,
    "roll": lambda x, **kw: torch.roll(x, kw["shifts"], kw.get("dims")),
    "repeatInterleave": lambda x, **kw: torch.repeat_interleave(x, kw["repeats"], kw.get("dim")),
    "repeatInterleaveT": lambda x, r, **kw: torch.repeat_interleave(x, r, kw.get("dim")),
    "repeatInterleaveCounts": lambda r: torch.repeat_interleave(r),
    "tile": lambda x, **kw: torch.tile(x, kw["dims"]),
    "rot90": lambda x, **kw: torch.rot90(x, kw.get("k", 1), kw.get("dims", [0, 1])).contiguous(),
    "meshgrid": lambda *xs, **kw: [t.contiguous() for t in torch.meshgrid(*xs, indexing=kw.get("indexing", "ij"))],
    # cumulative, reductions, norms
    "cumprod": lambda x, **kw: torch.cumprod(x, kw["dim"]),
    "cummax": lambda x, **kw: tup(torch.cummax(x, kw["dim"])),
    "cummin": lambda x, **kw: tup(torch.cummin(x, kw["dim"])),
    "logcumsumexp": lambda x, **kw: torch.logcumsumexp(x, kw["dim"]),
    "diff": lambda x, *extra, **kw: torch.diff(x, kw.get("n", 1), kw.get("dim", -1), *extra),
    "nansum": lambda x, **kw: torch.nansum(x, **({"dim": kw["dim"]} if "dim" in kw else {}), keepdim=kw.get("keepDim", False)),
    "nanmean": lambda x, **kw: torch.nanmean(x, **({"dim": kw["dim"]} if "dim" in kw else {}), keepdim=kw.get("keepDim", False)),
    "quantile": lambda x, *q, **kw: torch.quantile(x, q[0] if q else kw["q"], kw.get("dim"), kw.get("keepDim", False), interpolation=kw.get("interpolation", "linear")),
    "nanquantile": lambda x, *q, **kw: torch.nanquantile(x, q[0] if q else kw["q"], kw.get("dim"), kw.get("keepDim", False), interpolation=kw.get("interpolation", "linear")),
    "histc": lambda x, **kw: torch.histc(x, **kw),
    "bincount": lambda x, *w, **kw: torch.bincount(x, w[0] if w else None, kw.get("minlength", 0)),
    "norm": lambda x, **kw: torch.norm(x, kw.get("p", "fro"), kw.get("dim"), kw.get("keepDim", False)),
    "dist": lambda a, b, **kw: torch.dist(a, b, kw.get("p", 2)),
    "cdist": lambda a, b, **kw: torch.cdist(a, b, kw.get("p", 2), compute_mode="donot_use_mm_for_euclid_dist"),
    "vectorNorm": lambda x, **kw: torch.linalg.vector_norm(x, kw.get("ord", 2), kw.get("dim"), kw.get("keepDim", False)),
    "matrixNorm": lambda x, **kw: torch.linalg.matrix_norm(x, kw.get("ord", "fro"), kw.get("dim", (-2, -1)), kw.get("keepDim", False)),
    # linalg
    "inv": torch.linalg.inv, "det": torch.linalg.det,
    "slogdet": lambda x: tup(torch.linalg.slogdet(x)),
    "solve": torch.linalg.solve, "cholesky": torch.linalg.cholesky,
    "choleskyUpper": lambda x: torch.linalg.cholesky(x, upper=True),
}

GROUPS = {}


def case(group, op, inputs, grad=True, **kw):
    GROUPS.setdefault(group, []).append({"op": op, "inputs": inputs, "kwargs": kw, "grad": grad})


# ---- products -----------------------------------------------------------------------------

P = "products"
for dt in ["float64", "float32"]:
    case(P, "mm", [T([2, 3], dt), T([3, 4], dt)])
    case(P, "bmm", [T([2, 2, 3], dt), T([2, 3, 4], dt)])
    case(P, "mv", [T([2, 3], dt), T([3], dt)])
    case(P, "dot", [T([4], dt), T([4], dt)])
    case(P, "outer", [T([3], dt), T([2], dt)])
case(P, "mm", [T([2, 3], "int32", "int"), T([3, 2], "int32", "int")], grad=False)
case(P, "outer", [T([3], "int32", "int"), T([2], "float32")])
case(P, "addmm", [T([2, 4]), T([2, 3]), T([3, 4])])
case(P, "addmm", [T([4]), T([2, 3]), T([3, 4])], beta=0.5, alpha=2.0)
case(P, "addmm", [T([2, 4], "float32"), T([2, 3], "float32"), T([3, 4], "float32")], beta=0)
case(P, "baddbmm", [T([2, 2, 4]), T([2, 2, 3]), T([2, 3, 4])])
case(P, "baddbmm", [T([2, 4]), T([2, 2, 3]), T([2, 3, 4])], beta=-1.5, alpha=0.25)
case(P, "addbmm", [T([2, 4]), T([3, 2, 3]), T([3, 3, 4])])
case(P, "addbmm", [T([4]), T([3, 2, 3]), T([3, 3, 4])], beta=2.0, alpha=-0.5)
case(P, "kron", [T([2, 3]), T([2, 2])])
case(P, "kron", [T([3]), T([2, 2])])
case(P, "kron", [T([2, 2], "int32", "int"), T([2], "int32", "int")], grad=False)
case(P, "tensordot", [T([2, 3, 4]), T([3, 4, 5])], dims=2)
case(P, "tensordot", [T([2, 3, 4]), T([4, 3, 2])], dims=[[1, 0], [1, 2]])
case(P, "tensordot", [T([2, 3]), T([4])], dims=0)
for eq, shapes in [
    ("ij,jk->ik", [[2, 3], [3, 4]]),
    ("bij,bjk->bik", [[2, 2, 3], [2, 3, 4]]),
    ("ii->i", [[3, 3]]),
    ("ii", [[3, 3]]),
    ("ij->ji", [[2, 3]]),
    ("ij->", [[2, 3]]),
    ("i,j->ij", [[2], [3]]),
    ("i,i->", [[4], [4]]),
    ("ij,jk", [[2, 3], [3, 4]]),
    ("ba,ca", [[2, 3], [4, 3]]),
    ("...ij,...jk->...ik", [[2, 2, 3], [3, 4]]),
    ("b...,b->...", [[2, 3, 2], [2]]),
    ("ij,jk,kl->il", [[2, 3], [3, 4], [4, 2]]),
    ("iij->j", [[2, 2, 3]]),
    ("bn,anm,bm->ba", [[2, 3], [4, 3, 2], [2, 2]]),
    ("i j , j k -> i k", [[2, 3], [3, 4]]),
    ("ij,ij->ij", [[2, 3], [2, 3]]),
    ("i,i->i", [[4], [4]]),
    ("bij,bkj->bik", [[2, 3, 4], [2, 2, 4]]),
    ("ii->", [[3, 3]]),
    ("...->...", [[2, 3]]),
    ("ij,kl->ijkl", [[2, 1], [1, 3]]),
    ("bi,bi,bi->b", [[2, 3], [2, 3], [2, 3]]),
]:
    case(P, "einsum", [T(s) for s in shapes], eq=eq)
case(P, "einsum", [T([2, 3], "float32"), T([3], "float32")], eq="ij,j->i")

# ---- triangles and diagonals ----------------------------------------------------------------

R = "triangular"
for op in ["tril", "triu"]:
    case(R, op, [T([3, 4])])
    case(R, op, [T([4, 3])], diagonal=1)
    case(R, op, [T([2, 3, 3])], diagonal=-1)
    case(R, op, [T([3, 3], "float32")], diagonal=5)
    case(R, op, [T([3, 3], "int32", "int")], grad=False)
    case(R, op, [T([3, 3], "bool", "bool")], grad=False, diagonal=-5)
case(R, "diag", [T([3])])
case(R, "diag", [T([3])], diagonal=2)
case(R, "diag", [T([3])], diagonal=-1)
case(R, "diag", [T([3, 4])])
case(R, "diag", [T([3, 4])], diagonal=1)
case(R, "diag", [T([4, 3])], diagonal=-2)
case(R, "diag", [T([3], "int32", "int")], grad=False)
case(R, "diagonal", [T([3, 4])])
case(R, "diagonal", [T([3, 4])], offset=2)
case(R, "diagonal", [T([3, 4])], offset=-1)
case(R, "diagonal", [T([2, 3, 4])], offset=1, dim1=2, dim2=0)
case(R, "diagonal", [T([2, 3, 4])], dim1=-1, dim2=1)
case(R, "diagonal", [T([2, 3])], offset=5)
case(R, "diagEmbed", [T([2, 3])])
case(R, "diagEmbed", [T([2, 3])], offset=1)
case(R, "diagEmbed", [T([2, 3])], offset=-2, dim1=0, dim2=2)
case(R, "diagEmbed", [T([3], "float32")], dim1=1, dim2=0)
case(R, "trace", [T([3, 4])])
case(R, "trace", [T([3, 3], "int32", "int")], grad=False)
for args in [(3, 3), (4, 3, 1), (3, 5, -1), (0, 3), (3, 4, 10), (2, 4, -10)]:
    case(R, "trilIndices", list(args), grad=False)
    case(R, "triuIndices", list(args), grad=False)

# ---- sorting and selection ------------------------------------------------------------------

S = "sorting"
TIES = V([[2.0, 1.0, 2.0, 0.0, 1.0], [3.0, 3.0, 3.0, -1.0, 3.0]])
NANS = V([[1.0, float("nan"), -2.0, 0.5], [float("nan"), 2.0, float("nan"), 1.0]])
case(S, "sort", [T([3, 4])])
case(S, "sort", [T([3, 4])], dim=0)
case(S, "sort", [T([3, 4])], descending=True)
case(S, "sort", [T([2, 3, 4], "float32")], dim=1, descending=True)
case(S, "sort", [TIES], stable=True)
case(S, "sort", [TIES], stable=True, descending=True)
case(S, "sort", [NANS], grad=False)
case(S, "sort", [NANS], descending=True, grad=False)
case(S, "sort", [T([6], "int32", "int")], stable=True, grad=False)
case(S, "sort", [T([], "float64")])
case(S, "argsort", [T([3, 4])], grad=False)
case(S, "argsort", [TIES], stable=True, descending=True, grad=False)
case(S, "argsort", [T([3, 4])], dim=0, grad=False)
case(S, "msort", [T([4, 3])])
case(S, "topk", [T([3, 5]), 2])
case(S, "topk", [T([3, 5]), 3], dim=0, largest=False)
case(S, "topk", [T([2, 6], "float32"), 6])
case(S, "topk", [NANS, 2], grad=False)
case(S, "topk", [T([6], "int32", "nat"), 1], grad=False)
case(S, "kthvalue", [T([3, 5]), 2])
case(S, "kthvalue", [T([3, 5]), 1], dim=0, keepDim=True)
case(S, "kthvalue", [T([4, 3], "float32"), 3], dim=0)
case(S, "median", [T([3, 5])])
case(S, "median", [T([4, 4])])
case(S, "median", [V([1.0, 2.0, 2.0, 3.0, 2.0, 0.0])])
case(S, "median", [T([3, 5])], dim=1)
case(S, "median", [T([4, 3])], dim=0, keepDim=True)
case(S, "median", [NANS], dim=1, grad=False)
case(S, "median", [NANS], grad=False)
case(S, "median", [T([5], "int32", "int")], grad=False)
case(S, "nanmedian", [NANS], dim=1)
case(S, "nanmedian", [NANS])
case(S, "nanmedian", [V([[float("nan"), float("nan")], [1.0, float("nan")]])], dim=1, grad=False)
case(S, "nanmedian", [T([3, 4])], dim=0)
case(S, "mode", [TIES])
case(S, "mode", [TIES], dim=0, keepDim=True)
case(S, "mode", [T([3, 6], "int32", "nat")], grad=False)
case(S, "mode", [V([3.0, 1.0, 2.0, 1.0, 3.0, 3.0, 1.0])])
U = T([10], "int32", "int")
case(S, "unique", [U], grad=False)
case(S, "unique", [U], returnInverse=True, returnCounts=True, grad=False)
case(S, "unique", [T([2, 5], "float64", "int")], returnInverse=True, grad=False)
case(S, "unique", [T([2, 3], "bool", "bool")], returnCounts=True, grad=False)
UD = V([[1.0, 2.0, 1.0, 1.0], [0.0, 3.0, 0.0, 0.0], [1.0, 2.0, 1.0, 1.0]])
case(S, "unique", [UD], dim=0, returnInverse=True, returnCounts=True, grad=False)
case(S, "unique", [UD], dim=1, returnInverse=True, returnCounts=True, grad=False)
case(S, "unique", [UD], dim=-1, grad=False)
UC = V([1, 1, 2, 2, 3, 1, 1, 2], "int32")
case(S, "uniqueConsecutive", [UC], grad=False)
case(S, "uniqueConsecutive", [UC], returnInverse=True, returnCounts=True, grad=False)
case(S, "uniqueConsecutive", [V([[1.0, 1.0, 2.0], [1.0, 1.0, 2.0], [0.0, 1.0, 2.0]])], dim=0, returnInverse=True, returnCounts=True, grad=False)
case(S, "uniqueConsecutive", [V([[1.0, 1.0, 2.0], [1.0, 1.0, 2.0], [0.0, 1.0, 2.0]])], dim=1, returnCounts=True, grad=False)
SEQ = V([1.0, 3.0, 5.0, 7.0, 9.0])
VALS = V([[3.0, 6.0, 9.0], [3.0, 0.0, 10.0]])
case(S, "searchsorted", [SEQ, VALS], grad=False)
case(S, "searchsorted", [SEQ, VALS], right=True, grad=False)
case(S, "searchsorted", [SEQ, VALS], side="right", grad=False)
case(S, "searchsorted", [V([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]), V([[3.0, 6.0], [1.0, 4.0]])], grad=False)
case(S, "searchsorted", [V([1, 3, 5], "int32"), V([0, 3, 4, 6], "int32")], grad=False)
case(S, "searchsortedScalar", [SEQ], value=6.0, grad=False)
case(S, "searchsortedSorter", [V([5.0, 1.0, 3.0]), V([0.0, 2.0, 4.0, 6.0]), V([1, 2, 0], "int32")], grad=False)
case(S, "bucketize", [VALS, SEQ], grad=False)
case(S, "bucketize", [VALS, SEQ], right=True, grad=False)
case(S, "bucketize", [V([0, 3, 4, 6], "int32"), V([1, 3, 5], "int32")], grad=False)

# ---- shape helpers --------------------------------------------------------------------------

H = "shape-more"
case(H, "unbind", [T([2, 3])])
case(H, "unbind", [T([2, 3, 2])], dim=1)
case(H, "unbind", [T([2, 3])], dim=-1)
case(H, "movedim", [T([2, 3, 4])], source=0, destination=2)
case(H, "movedim", [T([2, 3, 4])], source=[0, 1], destination=[2, 0])
case(H, "movedim", [T([2, 3, 4])], source=-1, destination=0)
case(H, "swapaxes", [T([2, 3, 4])], axis0=0, axis1=2)
case(H, "viewAs", [T([2, 3]), T([3, 2])])
case(H, "reshapeAs", [T([2, 3]), T([6])])
case(H, "flipud", [T([3, 2])])
case(H, "fliplr", [T([3, 2])])
case(H, "roll", [T([2, 4])], shifts=1)
case(H, "roll", [T([2, 4])], shifts=-3, dims=1)
case(H, "roll", [T([3, 4])], shifts=[1, 6], dims=[0, 1])
case(H, "roll", [T([3, 4], "int32", "int")], shifts=2, dims=0, grad=False)
case(H, "repeatInterleave", [T([2, 3])], repeats=2)
case(H, "repeatInterleave", [T([2, 3])], repeats=2, dim=1)
case(H, "repeatInterleaveT", [T([3, 2]), V([1, 0, 3], "int32")], dim=0)
case(H, "repeatInterleaveCounts", [V([2, 0, 1, 3], "int32")], grad=False)
case(H, "tile", [T([2, 3])], dims=[2])
case(H, "tile", [T([2, 3])], dims=[2, 1, 2])
case(H, "tile", [T([3])], dims=[2, 2])
for k in [1, 2, 3, 4, -1, 5]:
    case(H, "rot90", [T([2, 3])], k=k)
case(H, "rot90", [T([2, 3, 4])], k=1, dims=[2, 0])
case(H, "meshgrid", [T([2]), T([3])])
case(H, "meshgrid", [T([2]), T([3]), T([4])], indexing="xy")
case(H, "meshgrid", [T([2]), T([3])], indexing="xy")
case(H, "meshgrid", [T([]), T([3])])

# ---- cumulative ops, NaN-aware reductions and norms -----------------------------------------

C = "cumulative"
ZERO = V([[1.5, 0.0, 2.0, -1.0], [0.0, 0.0, 3.0, 0.5], [2.0, -1.0, 0.5, 0.0]])
case(C, "cumprod", [T([3, 4])], dim=1)
case(C, "cumprod", [T([3, 4])], dim=0)
case(C, "cumprod", [ZERO], dim=1)
case(C, "cumprod", [T([5], "float32")], dim=0)
case(C, "cumprod", [T([2, 3], "int32", "int")], dim=1, grad=False)
for op in ["cummax", "cummin"]:
    case(C, op, [T([3, 4])], dim=1)
    case(C, op, [T([3, 4])], dim=0)
    case(C, op, [TIES], dim=1)
    case(C, op, [NANS], dim=1, grad=False)
    case(C, op, [T([6], "int32", "int")], dim=0, grad=False)
case(C, "logcumsumexp", [T([3, 4])], dim=1)
case(C, "logcumsumexp", [T([3, 4], "float32")], dim=0)
case(C, "logcumsumexp", [V([[-float("inf"), 0.0, 1000.0], [-float("inf"), -float("inf"), 1.0]])], dim=1, grad=False)
case(C, "diff", [T([3, 5])])
case(C, "diff", [T([3, 5])], n=2, dim=0)
case(C, "diff", [T([3, 5])], n=3)
case(C, "diff", [T([3, 2]), T([3, 1]), T([3, 2])], dim=1)
case(C, "diff", [T([6], "int32", "int")], grad=False)
case(C, "diff", [T([6], "bool", "bool")], grad=False)
case(C, "nansum", [NANS])
case(C, "nansum", [NANS], dim=1)
case(C, "nansum", [NANS], dim=0, keepDim=True)
case(C, "nansum", [T([2, 3], "int32", "int")], grad=False)
case(C, "nanmean", [NANS])
case(C, "nanmean", [NANS], dim=1)
case(C, "nanmean", [T([2, 3])], dim=[0, 1], keepDim=True)
Q = T([3, 5])
case(C, "quantile", [Q], q=0.3)
case(C, "quantile", [Q], q=0.5, dim=1)
case(C, "quantile", [Q, V([0.0, 0.25, 0.9, 1.0])], dim=0)
case(C, "quantile", [Q, V([0.1, 0.6])], dim=1, keepDim=True)
case(C, "quantile", [Q, V([0.1, 0.6])], keepDim=True)
for interp in ["lower", "higher", "midpoint", "nearest"]:
    case(C, "quantile", [Q, V([0.1, 0.375, 0.5, 0.625, 0.75])], dim=1, interpolation=interp)
case(C, "quantile", [NANS], q=0.5, dim=1, grad=False)
case(C, "quantile", [T([7], "float32")], q=0.4)
case(C, "nanquantile", [NANS], q=0.5, dim=1)
case(C, "nanquantile", [NANS, V([0.2, 0.8])], dim=1)
case(C, "nanquantile", [V([[float("nan"), float("nan")], [1.0, float("nan")]])], q=0.5, dim=1, grad=False)
case(C, "nanquantile", [NANS], q=0.25)
case(C, "histc", [T([20])], grad=False)
case(C, "histc", [T([20])], bins=4, min=-1, max=1, grad=False)
case(C, "histc", [T([4, 5], "float32")], bins=7, grad=False)
case(C, "histc", [V([2.0, 2.0, 2.0])], bins=4, grad=False)
case(C, "bincount", [V([0, 2, 2, 5, 1, 2], "int32")], grad=False)
case(C, "bincount", [V([0, 2, 2, 5, 1, 2], "int32")], minlength=9, grad=False)
case(C, "bincount", [V([0, 2, 2, 5, 1, 2], "int32"), T([6], "float32")], grad=False)
case(C, "bincount", [V([0, 2, 2, 5, 1, 2], "int32"), T([6], "float64")], grad=False)
case(C, "bincount", [V([], "int32")], grad=False)
for p in [2, 1, 3, 0.5, float("inf"), -float("inf"), 0]:
    case(C, "vectorNorm", [T([3, 4])], ord=p, grad=p != 0)
    case(C, "vectorNorm", [T([3, 4])], ord=p, dim=1, grad=p != 0)
case(C, "vectorNorm", [T([2, 3, 4], "float32")], dim=[0, 2], keepDim=True)
case(C, "vectorNorm", [V([[0.0, 0.0], [3.0, 4.0]])], dim=1)
case(C, "norm", [T([3, 4])])
case(C, "norm", [T([3, 4])], p=1, dim=0)
case(C, "norm", [T([3, 4])], p=3, dim=1, keepDim=True)
case(C, "norm", [T([2, 3, 4])], dim=[1, 2])
case(C, "dist", [T([3, 4]), T([4])])
case(C, "dist", [T([3, 4]), T([3, 4])], p=1)
case(C, "dist", [T([5]), T([5])], p=float("inf"))
case(C, "cdist", [T([3, 4]), T([5, 4])])
case(C, "cdist", [T([2, 3, 4]), T([2, 2, 4])], p=1)
case(C, "cdist", [T([3, 2]), T([4, 2])], p=3)
for o in ["fro", 1, -1, float("inf"), -float("inf")]:
    case(C, "matrixNorm", [T([3, 4])], ord=o)
case(C, "matrixNorm", [T([2, 3, 4])], ord=1, dim=[0, 2], keepDim=True)
for o in ["nuc", 2, -2]:
    case(C, "matrixNorm", [T([3, 4])], ord=o)
    case(C, "matrixNorm", [T([2, 3, 4])], ord=o, dim=[0, 2], keepDim=True)
case(C, "matrixNorm", [T([4, 2], "float32")], ord=2)
case(C, "norm", [T([3, 4])], p="nuc")

# ---- linalg ---------------------------------------------------------------------------------

L = "linalg"
for dt in ["float64", "float32"]:
    case(L, "inv", [T([3, 3], dt)])
    case(L, "det", [T([3, 3], dt)])
    case(L, "slogdet", [T([3, 3], dt)])
    case(L, "solve", [T([3, 3], dt), T([3, 2], dt)])
    case(L, "cholesky", [T([3, 3], dt, "spd")])
case(L, "inv", [T([2, 4, 4])])
case(L, "det", [T([2, 4, 4])])
case(L, "det", [T([1, 1])])
case(L, "det", [V([[1.0, 2.0], [2.0, 4.0]])], grad=False)
case(L, "slogdet", [T([2, 3, 3])])
case(L, "solve", [T([2, 3, 3]), T([2, 3])])
case(L, "solve", [T([2, 3, 3]), T([3, 4])])
case(L, "solve", [T([3, 3]), T([2, 3, 1])])
case(L, "cholesky", [T([2, 4, 4], "float64", "spd")])
case(L, "choleskyUpper", [T([3, 3], "float64", "spd")])


def run_case(c):
    fn = OPS[c["op"]]
    args = [materialise(a, c["grad"]) for a in c["inputs"]]
    kw = {k: (tuple(v) if k in ("dims",) and c["op"] in ("tensordot",) and isinstance(v, list) else v) for k, v in c["kwargs"].items()}
    if c["op"] == "histc":
        kw = {k: v for k, v in kw.items()}
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
    gen = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=gen, dtype=torch.float64)
    check("mm 3-D", lambda: torch.mm(r(2, 2, 2), r(2, 2)))
    check("mm shapes", lambda: torch.mm(r(2, 3), r(4, 2)))
    check("bmm 2-D", lambda: torch.bmm(r(2, 3), r(3, 2)))
    check("bmm batch", lambda: torch.bmm(r(2, 2, 3), r(3, 3, 2)))
    check("mv shapes", lambda: torch.mv(r(2, 3), r(4)))
    check("dot 2-D", lambda: torch.dot(r(2, 2), r(2)))
    check("dot sizes", lambda: torch.dot(r(3), r(4)))
    check("dot dtypes", lambda: torch.dot(r(3), r(3).float()))
    check("einsum operands", lambda: torch.einsum("ij,jk->ik", r(2, 3)))
    check("einsum dims", lambda: torch.einsum("ijk->i", r(2, 3)))
    check("einsum sizes", lambda: torch.einsum("ij,jk->ik", r(2, 3), r(4, 2)))
    check("einsum output", lambda: torch.einsum("ij->k", r(2, 3)))
    check("tensordot sizes", lambda: torch.tensordot(r(2, 3), r(4, 2), 1))
    check("tril 1-D", lambda: torch.tril(r(3)))
    check("diagonal dims", lambda: torch.diagonal(r(2, 3), 0, 1, 1))
    check("diagonal dim range", lambda: torch.diagonal(r(2, 3), 0, 0, 2))
    check("diag 3-D", lambda: torch.diag(r(2, 2, 2)))
    check("trace 3-D", lambda: torch.trace(r(2, 2, 2)))
    check("sort dim", lambda: torch.sort(r(2, 3), 2))
    check("topk k", lambda: torch.topk(r(2, 3), 4))
    check("kthvalue k", lambda: torch.kthvalue(r(2, 3), 0))
    check("median empty dim", lambda: torch.median(r(2, 0), 1))
    check("searchsorted dims", lambda: torch.searchsorted(r(2, 3), r(3, 2)))
    check("searchsorted side", lambda: torch.searchsorted(r(3), r(2), right=True, side="left"))
    check("bucketize 2-D", lambda: torch.bucketize(r(3), r(2, 2)))
    check("movedim lengths", lambda: torch.movedim(r(2, 3), [0, 1], [0]))
    check("roll align", lambda: torch.roll(r(2, 3), [1, 2], [0]))
    check("repeatInterleave sizes", lambda: torch.repeat_interleave(r(3), torch.tensor([1, 2])))
    check("rot90 dims", lambda: torch.rot90(r(2, 3), 1, [0, 0]))
    check("fliplr 1-D", lambda: torch.fliplr(r(3)))
    check("meshgrid 2-D", lambda: torch.meshgrid(r(2, 2), r(2), indexing="ij"))
    check("diff 0-d", lambda: torch.diff(r(())))
    check("quantile q", lambda: torch.quantile(r(3), 1.5))
    check("quantile int", lambda: torch.quantile(torch.tensor([1, 2]), 0.5))
    check("bincount negative", lambda: torch.bincount(torch.tensor([1, -1])))
    check("bincount 2-D", lambda: torch.bincount(torch.tensor([[1]])))
    check("cdist columns", lambda: torch.cdist(r(2, 3), r(2, 4)))
    check("nanmean int", lambda: torch.nanmean(torch.tensor([1, 2])))
    check("inv non-square", lambda: torch.linalg.inv(r(2, 3)))
    check("inv singular", lambda: torch.linalg.inv(torch.zeros(2, 2, dtype=torch.float64)))
    check("cholesky not pd", lambda: torch.linalg.cholesky(-torch.eye(2, dtype=torch.float64)))
    check("solve shapes", lambda: torch.linalg.solve(r(3, 3), r(2, 2)))
    check("det int", lambda: torch.linalg.det(torch.eye(2, dtype=torch.int64)))
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    for group, cases in GROUPS.items():
        recs = [run_case(c) for c in cases]
        path = os.path.join(OUT, f"torch_ops_{group}.json")
        with open(path, "w") as f:
            json.dump({"meta": {"torch": torch.__version__, "script": "tools/golden/torch_ops.py"}, "cases": recs}, f, separators=(",", ":"))
        print(f"wrote {path}: {len(recs)} cases, {os.path.getsize(path)} bytes")
    path = os.path.join(OUT, "torch_ops_errors.json")
    with open(path, "w") as f:
        json.dump({"meta": {"torch": torch.__version__}, "cases": errors()}, f, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Golden fixtures for Kiln's margin, embedding, likelihood and CTC losses and the distances
(issue 18, item 4): forward output and input gradients for a fixed upstream gradient.

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/losses_more.py
Writes test/golden/nn/losses_more.json. Tensors are {"shape", "dtype", "b64"} as in nn.py (int64
written as int32, Kiln's index dtype). Options are Kiln's camelCase names; p = inf is "inf".
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

SNAKE = {"logInput": "log_input", "zeroInfinity": "zero_infinity", "keepDim": "keepdim"}


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def jsonable(v):
    if torch.is_tensor(v):
        return enc(v)
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


cases = []
# How many leading tensor arguments get gradients (the others are targets).
DIFF = {"cosine_embedding_loss": 2, "margin_ranking_loss": 2, "hinge_embedding_loss": 1,
        "multilabel_margin_loss": 1, "multilabel_soft_margin_loss": 1, "multi_margin_loss": 1,
        "soft_margin_loss": 1, "poisson_nll_loss": 1, "ctc_loss": 1}


def add(name, fn, args, opts=None, reductions=("none", "mean", "sum"), positional=()):
    """args: tensors (float ones get gradients) or int lists; opts: Kiln option names."""
    opts = dict(opts or {})
    for red in reductions:
        o = dict(opts)
        if red is not None:
            o["reduction"] = red
        k = DIFF.get(fn.__name__, len(args))
        xs = [a.clone().requires_grad_(i < k and a.is_floating_point()) if torch.is_tensor(a) else a
              for i, a in enumerate(args)]
        kw = {SNAKE.get(k, k): v for k, v in o.items()}
        out = fn(*xs, *positional, **kw)
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        grads = [enc(x.grad) if torch.is_tensor(x) and x.requires_grad and x.grad is not None
                 else None for x in xs]
        cases.append({"name": name, "fn": fn.__name__, "args": [jsonable(a) for a in args],
                      "positional": [jsonable(p) for p in positional],
                      "options": {k: jsonable(v) for k, v in o.items()}, "gy": enc(gy),
                      "output": enc(out), "grads": grads})


def build():
    r = torch.randn
    # cosine_embedding_loss: targets ±1 and one 0 (contributes nothing), 1-D inputs with a 0-D target
    x1, x2 = r(5, 4), r(5, 4)
    y = torch.tensor([1, -1, 1, -1, 0])
    for m in [0.0, 0.3, -0.2]:
        add("cosine_embedding", F.cosine_embedding_loss, [x1, x2, y], {"margin": m})
    add("cosine_embedding_float_target", F.cosine_embedding_loss, [x1, x2, y.float()], {})
    add("cosine_embedding_1d", F.cosine_embedding_loss, [r(4), r(4), torch.tensor(-1)], {"margin": -0.5})
    # margin_ranking_loss
    a, b = r(6), r(6)
    t = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
    for m in [0.0, 0.5]:
        add("margin_ranking", F.margin_ranking_loss, [a, b, t], {"margin": m})
    add("margin_ranking_2d", F.margin_ranking_loss, [r(3, 2), r(3, 2), torch.sign(r(3, 2))], {"margin": 0.2})
    # triplet_margin_loss
    an, po, ne = r(5, 4), r(5, 4), r(5, 4)
    for o in [{}, {"margin": 0.5, "p": 1.0}, {"p": 3.0, "swap": True}, {"p": math.inf},
              {"eps": 1e-3, "margin": 2.0, "swap": True}, {"p": 0.5}]:
        add("triplet", F.triplet_margin_loss, [an, po, ne], o)
    add("triplet_1d", F.triplet_margin_loss, [r(4), r(4), r(4)], {"margin": 3.0})
    # triplet_margin_with_distance_loss with its default distance
    for o in [{}, {"swap": True, "margin": 2.0}]:
        add("triplet_distance", F.triplet_margin_with_distance_loss, [an, po, ne], o)
    # hinge_embedding_loss: a 0 target takes both terms, as ATen
    h = r(4, 3)
    ht = torch.tensor([[1, -1, 1], [-1, -1, 1], [1, 0, -1], [-1, 1, 1]])
    for m in [1.0, 0.5]:
        add("hinge_embedding", F.hinge_embedding_loss, [h, ht], {"margin": m})
    add("hinge_embedding_broadcast", F.hinge_embedding_loss, [h, torch.tensor([1.0, -1.0, -1.0])], {"margin": 0.3})
    # multilabel_margin_loss: rows ended by −1, a duplicate, an empty row, a full row
    mi = r(4, 5)
    mt = torch.tensor([[3, 0, -1, 1, 1], [1, 1, 4, -1, 2], [-1, 2, 3, 0, 0], [0, 1, 2, 3, 4]])
    add("multilabel_margin", F.multilabel_margin_loss, [mi, mt], {})
    add("multilabel_margin_1d", F.multilabel_margin_loss, [r(4), torch.tensor([2, 1, -1, 3])], {})
    # multilabel_soft_margin_loss
    st = (r(4, 5) > 0).float()
    for o in [{}, {"weight": torch.tensor([0.5, 1.0, 2.0, 0.0, 1.5])}]:
        add("multilabel_soft_margin", F.multilabel_soft_margin_loss, [mi * 3, st], o)
    add("multilabel_soft_margin_1d", F.multilabel_soft_margin_loss, [r(5), st[0]], {})
    # multi_margin_loss
    ci = r(5, 4)
    ct = torch.tensor([1, 2, 0, 3, 1])
    for o in [{}, {"p": 2}, {"margin": 0.5}, {"weight": torch.tensor([0.5, 2.0, 1.0, 3.0])},
              {"p": 2, "margin": 1.5, "weight": torch.tensor([1.0, 0.2, 1.0, 2.0])}]:
        add("multi_margin", F.multi_margin_loss, [ci, ct], o)
    add("multi_margin_1d", F.multi_margin_loss, [r(4), torch.tensor(2)], {"margin": 2.0})
    # soft_margin_loss
    add("soft_margin", F.soft_margin_loss, [r(3, 4) * 2, torch.sign(r(3, 4))], {})
    # poisson_nll_loss: counts with 0, 1 and > 1 (Stirling's term applies only there)
    pt = torch.tensor([[0.0, 1.0, 5.0, 2.0], [3.0, 0.0, 1.5, 8.0]])
    for o in [{}, {"full": True}, {"logInput": False}, {"logInput": False, "full": True, "eps": 1e-3}]:
        inp = r(2, 4) if o.get("logInput", True) else torch.rand(2, 4) * 3 + 0.05
        add("poisson_nll", F.poisson_nll_loss, [inp, pt], o)
    # gaussian_nll_loss: var of the input's shape (some below eps), one dim short, last dim 1
    gi, gt = r(3, 4), r(3, 4)
    gv = torch.rand(3, 4) + 0.1
    gv[0, 1] = 1e-8
    gv[2, 3] = 0.0
    for o in [{}, {"full": True}, {"eps": 0.2}]:
        add("gaussian_nll", F.gaussian_nll_loss, [gi, gt, gv], o)
    add("gaussian_nll_short", F.gaussian_nll_loss, [gi, gt, torch.rand(3) + 0.5], {"full": True})
    add("gaussian_nll_last1", F.gaussian_nll_loss, [gi, gt, torch.rand(3, 1) + 0.5], {})
    ctc()
    distances()


def ctc():
    r = torch.randn
    # padded targets, several input and target lengths, a repeated label (needs a blank between)
    T, N, C = 7, 4, 5
    lp = F.log_softmax(r(T, N, C), 2)
    tg = torch.tensor([[1, 2, 2, 4], [3, 1, 0, 0], [4, 4, 1, 2], [2, 0, 0, 0]])
    il, tl = [7, 6, 7, 3], [4, 2, 3, 0]
    add("ctc_padded", F.ctc_loss, [lp, tg], {}, positional=(il, tl))
    add("ctc_lengths_tensors", F.ctc_loss, [lp, tg, torch.tensor(il), torch.tensor(tl)], {})
    # concatenated targets
    cat = torch.cat([tg[b, :tl[b]] for b in range(N)])
    add("ctc_concat", F.ctc_loss, [lp, cat], {}, positional=(il, tl))
    # blank = 2 (targets avoid it), repeated labels
    tg2 = torch.tensor([[1, 1, 3], [0, 4, 4], [3, 0, 1], [4, 1, 0]])
    add("ctc_blank2", F.ctc_loss, [lp, tg2], {"blank": 2}, positional=([7, 5, 6, 4], [3, 3, 2, 1]))
    tg3 = torch.tensor([[1, 1, 3], [0, 2, 2], [3, 0, 1], [2, 1, 0]])
    add("ctc_blank_last", F.ctc_loss, [lp, tg3], {"blank": 4, "zeroInfinity": True}, positional=([7, 5, 6, 4], [1, 3, 3, 2]))
    # impossible alignments (4 labels with a repeat in 4 frames; 3 labels in 2 frames): inf loss,
    # NaN gradients without zero_infinity, zeros with it
    imp = torch.tensor([[1, 1, 2, 3], [2, 3, 1, 0], [1, 2, 1, 0], [3, 0, 0, 0]])
    for zi in [False, True]:
        add("ctc_impossible", F.ctc_loss, [lp, imp], {"zeroInfinity": zi}, positional=([4, 2, 7, 5], [4, 3, 3, 1]))
    # float64, long sequence, unbatched
    lp64 = F.log_softmax(r(12, 2, 4, dtype=torch.float64), 2)
    add("ctc_float64", F.ctc_loss, [lp64, torch.tensor([[1, 2, 3, 1, 2], [3, 3, 3, 0, 0]])], {"blank": 0},
        positional=([12, 10], [5, 3]))
    add("ctc_unbatched", F.ctc_loss, [lp[:, 0], tg[0]], {}, positional=([7], [4]))


def distances():
    r = torch.randn
    a, b = r(4, 5), r(4, 5)
    a[1] = a[1] * 1e-9  # a norm below eps: the clamp acts (and, as PyTorch, stays out of the gradient)
    add("cosine_similarity", F.cosine_similarity, [a, b], {}, reductions=(None,))
    add("cosine_similarity", F.cosine_similarity, [a, b], {"dim": 0, "eps": 1e-3}, reductions=(None,))
    add("cosine_similarity_broadcast", F.cosine_similarity, [r(3, 1, 4), r(1, 5, 4)], {"dim": 2}, reductions=(None,))
    add("cosine_similarity_1d", F.cosine_similarity, [r(6), r(6)], {"dim": -1}, reductions=(None,))
    add("cosine_similarity_mixed", F.cosine_similarity, [r(3, 4, dtype=torch.float64), r(3, 4)], {}, reductions=(None,))
    for o in [{}, {"p": 1.0}, {"p": 3.0, "keepDim": True}, {"p": 0.5}, {"p": math.inf}, {"p": 0.0},
              {"p": -1.0}, {"eps": 0.1}]:
        add("pairwise_distance", F.pairwise_distance, [a, b], o, reductions=(None,))
    add("pairwise_distance_broadcast", F.pairwise_distance, [r(3, 4), r(4)], {}, reductions=(None,))
    add("pairwise_distance_1d", F.pairwise_distance, [r(4), r(4)], {"keepDim": True}, reductions=(None,))
    z = r(3, 4)
    z[1] = 0.0
    for o in [{}, {"p": 1.0}, {"p": math.inf, "dim": 0}, {"p": 3.0, "dim": -1, "eps": 0.5}, {"p": 0.5}]:
        add("normalize", F.normalize, [z], o, reductions=(None,))


def reprs():
    return {
        "CosineEmbeddingLoss": repr(nn.CosineEmbeddingLoss(0.5)),
        "TripletMarginLoss": repr(nn.TripletMarginLoss(margin=2.0, p=1.0, swap=True)),
        "TripletMarginWithDistanceLoss": repr(nn.TripletMarginWithDistanceLoss()),
        "TripletMarginWithDistanceLoss_cos": repr(nn.TripletMarginWithDistanceLoss(distance_function=nn.CosineSimilarity())),
        "TripletMarginWithDistanceLoss_fn": repr(nn.TripletMarginWithDistanceLoss(distance_function=lambda x, y: x - y)),
        "MultiMarginLoss": repr(nn.MultiMarginLoss(p=2, weight=torch.ones(3))),
        "MultiLabelSoftMarginLoss": repr(nn.MultiLabelSoftMarginLoss(weight=torch.ones(3))),
        "PoissonNLLLoss": repr(nn.PoissonNLLLoss(log_input=False, full=True)),
        "GaussianNLLLoss": repr(nn.GaussianNLLLoss(full=True)),
        "CTCLoss": repr(nn.CTCLoss(blank=3, zero_infinity=True)),
        "CosineSimilarity": repr(nn.CosineSimilarity(dim=0)),
        "PairwiseDistance": repr(nn.PairwiseDistance(p=1.0, keepdim=True)),
        "MultiMarginLoss_state": sorted(nn.MultiMarginLoss(weight=torch.ones(3)).state_dict().keys()),
        "MultiLabelSoftMarginLoss_state": sorted(nn.MultiLabelSoftMarginLoss(weight=torch.ones(3)).state_dict().keys()),
    }


if __name__ == "__main__":
    build()
    out = {"torch": torch.__version__, "cases": cases, "reprs": reprs()}
    with open(os.path.join(OUT, "losses_more.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", len(cases), "cases,", os.path.getsize(os.path.join(OUT, "losses_more.json")), "bytes")

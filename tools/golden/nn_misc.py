"""Golden fixtures for issue 18 item 4: ParameterList/ParameterDict, Embedding options,
EmbeddingBag, Bilinear, weight_norm and spectral_norm.

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/nn_misc.py
Writes test/golden/nn/nn_misc.json. Tensors are {"shape", "dtype", "b64"} as in nn.py (int64
written as int32, Kiln's index dtype). Each case records the repr, the state dict (which the test
loads, so random init and spectral_norm's random u, v need not match), then per step the
inputs (null for None), the upstream gradient, the output, the gradients of floating inputs and
of every parameter (sparse ones densified), and the state dict after all steps.
"""
import base64
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn", "nn_misc.json")
torch.manual_seed(0)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def state(m):
    return {k: enc(v) for k, v in m.state_dict().items()}


def dense(g):
    return g.to_dense() if g.is_sparse else g


def case(name, m, steps, remove=None):
    """steps: list of (mode, [inputs]); remove: fn(m) applied at the end (its state recorded)."""
    c = {"name": name, "repr": repr(m), "state": state(m), "steps": []}
    for mode, inputs in steps:
        m.train(mode == "train")
        xs = [None if x is None else x.clone() for x in inputs]
        for x in xs:
            if x is not None and x.is_floating_point():
                x.requires_grad_(True)
        out = m(*xs)
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        c["steps"].append({
            "mode": mode,
            "inputs": [None if x is None else enc(x) for x in inputs],
            "gy": enc(gy),
            "output": enc(out),
            "grad_inputs": [enc(x.grad) if x is not None and x.grad is not None else None for x in xs],
            "grads": {n: enc(dense(p.grad)) for n, p in m.named_parameters() if p.grad is not None},
        })
        m.zero_grad(set_to_none=True)
    c["final_state"] = state(m)
    if remove is not None:
        remove(m)
        c["removed_repr"] = repr(m)
        c["removed_params"] = [n for n, _ in m.named_parameters()]
        c["removed_state"] = state(m)
    return c


class Holder(nn.Module):
    """A module holding a ParameterList and a ParameterDict (the Kiln test defines the same)."""

    def __init__(self):
        super().__init__()
        self.pl = nn.ParameterList([nn.Parameter(torch.randn(3, 2)), torch.randn(2)])
        self.pd = nn.ParameterDict({"shift": torch.randn(2), "scale": nn.Parameter(torch.randn(2))})
        self.single = nn.ParameterList([nn.Parameter(torch.randn(4).double())])

    def forward(self, x):
        y = (x @ self.pl[0] + self.pl[1]) * self.pd["scale"] + self.pd["shift"]
        return y * self.single[0][:2].float()


def cases():
    r = torch.randn
    L = lambda *v: torch.tensor(v, dtype=torch.long)
    out = []
    add = out.append

    add(case("holder", Holder(), [("train", [r(4, 3)])]))

    # Embedding options.
    add(case("embedding_maxnorm", nn.Embedding(10, 4, max_norm=1.0),
             [("train", [L([1, 2, 4], [4, 3, 9])]), ("train", [L(2, 5, 2)])]))
    add(case("embedding_maxnorm_p1_pad", nn.Embedding(8, 3, padding_idx=-1, max_norm=1.5, norm_type=1.0),
             [("train", [L(7, 1, 7, 0, 3)])]))
    add(case("embedding_maxnorm_inf", nn.Embedding(6, 5, max_norm=0.8, norm_type=float("inf")),
             [("train", [L([0, 5], [5, 2])])]))
    add(case("embedding_scale_grad_pad", nn.Embedding(6, 3, padding_idx=0, scale_grad_by_freq=True),
             [("train", [L([1, 2, 1, 0], [1, 4, 0, 2])])]))
    add(case("embedding_sparse", nn.Embedding(6, 3, sparse=True), [("train", [L(1, 5, 1, 3)])]))
    pre = r(5, 3)
    add(case("embedding_pretrained", nn.Embedding.from_pretrained(pre, freeze=False, padding_idx=1),
             [("train", [L([1, 0], [4, 1])])]))

    # EmbeddingBag.
    add(case("bag_mean_2d", nn.EmbeddingBag(10, 3), [("train", [L([1, 2, 4, 5], [4, 3, 2, 9])])]))
    add(case("bag_sum_offsets_psw", nn.EmbeddingBag(10, 3, mode="sum"),
             [("train", [L(1, 2, 4, 5, 4, 3, 2, 9), L(0, 3, 3, 6), r(8)])]))
    add(case("bag_max_offsets", nn.EmbeddingBag(10, 3, mode="max"),
             [("train", [L(1, 2, 4, 5, 4, 3, 2, 9), L(0, 2, 2, 7), None])]))
    add(case("bag_mean_last_offset_pad", nn.EmbeddingBag(10, 3, include_last_offset=True, padding_idx=2),
             [("train", [L(1, 2, 4, 2, 2, 3, 2, 9), L(0, 2, 3, 5, 8)])]))
    add(case("bag_max_pad_2d", nn.EmbeddingBag(6, 4, mode="max", padding_idx=-1),
             [("train", [L([5, 5, 5], [0, 5, 3], [2, 1, 0])])]))
    # NOTE: every index appears equally often, so PyTorch 1.13's CPU scale_grad_by_freq (which
    # divides by the count of a neighbouring index) agrees with the documented rule.
    add(case("bag_sum_maxnorm_scale", nn.EmbeddingBag(7, 3, max_norm=1.0, scale_grad_by_freq=True, mode="sum"),
             [("train", [L([3, 1, 3], [1, 4, 4])])]))
    add(case("bag_mean_scale_2_p3", nn.EmbeddingBag(7, 3, max_norm=1.2, norm_type=3.0, scale_grad_by_freq=True),
             [("train", [L([6, 6, 0], [0, 0, 6])])]))

    # Bilinear.
    add(case("bilinear", nn.Bilinear(3, 4, 5), [("train", [r(6, 3), r(6, 4)])]))
    add(case("bilinear_nobias_3d", nn.Bilinear(2, 3, 2, bias=False), [("train", [r(2, 3, 2), r(2, 3, 3)])]))

    # weight_norm: hook-based (1.13), removal recorded.
    rm_w = lambda m: nn.utils.remove_weight_norm(m)
    add(case("weightnorm_linear", nn.utils.weight_norm(nn.Linear(4, 3)), [("train", [r(5, 4)])], rm_w))
    add(case("weightnorm_conv1d_dim_none", nn.utils.weight_norm(nn.Conv1d(2, 3, 3), dim=None),
             [("train", [r(2, 2, 6)])], rm_w))
    add(case("weightnorm_conv2d_dim1", nn.utils.weight_norm(nn.Conv2d(2, 3, 2), name="weight", dim=1),
             [("train", [r(1, 2, 4, 4)]), ("eval", [r(1, 2, 3, 3)])], rm_w))

    # spectral_norm: u, v come from the loaded state dict; train steps iterate, eval does not.
    rm_s = lambda m: nn.utils.remove_spectral_norm(m)
    add(case("spectralnorm_linear", nn.utils.spectral_norm(nn.Linear(5, 4)),
             [("train", [r(3, 5)]), ("train", [r(3, 5)]), ("eval", [r(2, 5)])], rm_s))
    add(case("spectralnorm_conv2d_iters", nn.utils.spectral_norm(nn.Conv2d(3, 4, 3), n_power_iterations=3, eps=1e-6),
             [("train", [r(2, 3, 5, 5)])], rm_s))
    add(case("spectralnorm_linear_dim1", nn.utils.spectral_norm(nn.Linear(3, 6), dim=1),
             [("train", [r(2, 3)]), ("eval", [r(2, 3)])], rm_s))
    return out


def utils_vectors():
    ps = [torch.randn(2, 3), torch.randn(4), torch.randn(1, 1, 2)]
    vec = nn.utils.parameters_to_vector(ps)
    new = torch.randn(vec.numel())
    ps2 = [p.clone() for p in ps]
    nn.utils.vector_to_parameters(new, ps2)
    return {"params": [enc(p) for p in ps], "vector": enc(vec), "new": enc(new), "after": [enc(p) for p in ps2]}


def main():
    obj = {"torch": torch.__version__, "cases": cases(), "vectors": utils_vectors()}
    with open(OUT, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()

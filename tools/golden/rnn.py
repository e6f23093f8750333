"""Golden fixtures for Kiln's recurrent layers and nn.utils.rnn (issue 18).

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/rnn.py
Writes test/golden/nn/rnn.json. Tensors are {"shape", "dtype", "b64"} as tools/golden/nn.py
writes them (int64 as int32). Every module case records the state dict, repr, inputs, initial
states, a fixed upstream gradient for the output and for each final state, and then the outputs,
final states, every parameter gradient and the gradients of the input and initial states.
"""
import base64
import json
import os

import torch
import torch.nn as nn
from torch.nn.utils.rnn import (pack_padded_sequence, pack_sequence, pad_packed_sequence,
                                pad_sequence)

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn")
torch.manual_seed(0)


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def leaf(t):
    return t.clone().requires_grad_(True)


def module_case(name, m, x, hx=None, packing=None, mode="train"):
    """packing: None, or ("padded", lengths, batch_first, enforce_sorted) or ("seqs", enforce_sorted).

    For packed cases `x` is the padded input (or the list of sequences); the packed output is
    recorded as its data plus the padded form (pad_packed_sequence, same batch_first)."""
    m.train(mode == "train")
    case = {"name": name, "repr": repr(m), "mode": mode,
            "state": {k: enc(v) for k, v in m.state_dict().items()},
            "keys": list(m.state_dict().keys())}
    if isinstance(x, list):
        xs = [leaf(s) for s in x]
        case["inputs"] = [enc(s) for s in x]
    else:
        xin = leaf(x)
        case["input"] = enc(x)
    hxl = None
    if hx is not None:
        if isinstance(hx, tuple):
            hxl = tuple(leaf(h) for h in hx)
            case["hx"] = [enc(h) for h in hx]
        else:
            hxl = leaf(hx)
            case["hx"] = [enc(hx)]
    if packing is None:
        inp = xin
    elif packing[0] == "padded":
        _, lengths, bf, es = packing
        case["packing"] = {"kind": "padded", "lengths": lengths, "batch_first": bf, "enforce_sorted": es}
        inp = pack_padded_sequence(xin, lengths, batch_first=bf, enforce_sorted=es)
    else:
        case["packing"] = {"kind": "seqs", "enforce_sorted": packing[1]}
        inp = pack_sequence(xs, enforce_sorted=packing[1])
    out, hn = m(inp, hxl)
    if packing is not None:
        case["batch_sizes"] = enc(out.batch_sizes)
        case["sorted_indices"] = None if out.sorted_indices is None else enc(out.sorted_indices)
        out = out.data
    states = list(hn) if isinstance(hn, tuple) else [hn]
    gy = torch.randn_like(out)
    gstates = [torch.randn_like(s) for s in states]
    loss = (out * gy).sum() + sum((s * g).sum() for s, g in zip(states, gstates))
    loss.backward()
    case["gy"] = enc(gy)
    case["gstates"] = [enc(g) for g in gstates]
    case["output"] = enc(out)
    case["states"] = [enc(s) for s in states]
    case["grads"] = {n: enc(p.grad) for n, p in m.named_parameters()}
    if isinstance(x, list):
        case["grad_inputs"] = [enc(s.grad) for s in xs]
    else:
        case["grad_input"] = enc(xin.grad)
    if hxl is not None:
        hs = list(hxl) if isinstance(hxl, tuple) else [hxl]
        case["grad_hx"] = [enc(h.grad) for h in hs]
    return case


def modules():
    r = torch.randn
    cases = []
    add = lambda *a, **k: cases.append(module_case(*a, **k))
    add("lstm_basic", nn.LSTM(4, 5), r(6, 3, 4), (r(1, 3, 5), r(1, 3, 5)))
    add("lstm_2layer_bidir", nn.LSTM(4, 5, num_layers=2, bidirectional=True), r(5, 2, 4))
    add("lstm_proj_bf", nn.LSTM(4, 6, num_layers=2, batch_first=True, proj_size=3), r(3, 5, 4),
        (r(2, 3, 3), r(2, 3, 6)))
    add("lstm_proj_bidir_nobias", nn.LSTM(3, 5, bias=False, bidirectional=True, proj_size=2), r(4, 2, 3))
    add("gru_basic", nn.GRU(4, 5), r(6, 3, 4), r(1, 3, 5))
    add("gru_bidir_bf", nn.GRU(4, 5, 2, batch_first=True, bidirectional=True), r(3, 5, 4), r(4, 3, 5))
    add("gru_nobias", nn.GRU(3, 4, bias=False), r(5, 2, 3))
    add("rnn_tanh_2layer", nn.RNN(4, 5, 2), r(6, 3, 4), r(2, 3, 5))
    add("rnn_relu_bidir", nn.RNN(4, 5, nonlinearity="relu", bidirectional=True), r(5, 2, 4))
    add("rnn_relu_nobias_bf", nn.RNN(3, 4, 2, nonlinearity="relu", bias=False, batch_first=True), r(2, 5, 3))
    add("lstm_unbatched", nn.LSTM(4, 5, 2), r(6, 4), (r(2, 5), r(2, 5)))
    add("gru_unbatched_bf", nn.GRU(4, 5, batch_first=True, bidirectional=True), r(6, 4), r(2, 5))
    add("rnn_unbatched", nn.RNN(4, 5), r(6, 4))
    add("lstm_dropout_eval", nn.LSTM(4, 5, 3, dropout=0.5), r(5, 2, 4), mode="eval")
    add("lstm_packed_unsorted", nn.LSTM(4, 5, 2, bidirectional=True), r(6, 4, 4),
        (r(4, 4, 5), r(4, 4, 5)), packing=("padded", [3, 6, 4, 1], False, False))
    add("gru_packed_bf_sorted", nn.GRU(3, 4, 2, batch_first=True), r(3, 5, 3), r(2, 3, 4),
        packing=("padded", [5, 3, 2], True, True))
    add("rnn_packed_seqs", nn.RNN(3, 4, bidirectional=True), [r(2, 3), r(5, 3), r(3, 3), r(4, 3)],
        packing=("seqs", False))
    add("lstm_proj_packed_seqs", nn.LSTM(3, 5, proj_size=2), [r(4, 3), r(3, 3), r(1, 3)],
        packing=("seqs", True))
    return cases


def cell_case(name, m, x, hx=None):
    case = {"name": name, "repr": repr(m), "state": {k: enc(v) for k, v in m.state_dict().items()},
            "keys": list(m.state_dict().keys()), "input": enc(x)}
    xin = leaf(x)
    hxl = None
    if hx is not None:
        hxl = tuple(leaf(h) for h in hx) if isinstance(hx, tuple) else leaf(hx)
        case["hx"] = [enc(h) for h in (hx if isinstance(hx, tuple) else [hx])]
    out = m(xin, hxl)
    outs = list(out) if isinstance(out, tuple) else [out]
    gys = [torch.randn_like(o) for o in outs]
    sum((o * g).sum() for o, g in zip(outs, gys)).backward()
    case["gys"] = [enc(g) for g in gys]
    case["outputs"] = [enc(o) for o in outs]
    case["grads"] = {n: enc(p.grad) for n, p in m.named_parameters()}
    case["grad_input"] = enc(xin.grad)
    if hxl is not None:
        case["grad_hx"] = [enc(h.grad) for h in (hxl if isinstance(hxl, tuple) else [hxl])]
    return case


def cells():
    r = torch.randn
    return [
        cell_case("rnncell_tanh", nn.RNNCell(4, 5), r(3, 4), r(3, 5)),
        cell_case("rnncell_relu_nobias", nn.RNNCell(4, 5, bias=False, nonlinearity="relu"), r(3, 4)),
        cell_case("lstmcell", nn.LSTMCell(4, 5), r(3, 4), (r(3, 5), r(3, 5))),
        cell_case("lstmcell_unbatched", nn.LSTMCell(4, 5), r(4)),
        cell_case("grucell", nn.GRUCell(4, 5), r(3, 4), r(3, 5)),
        cell_case("grucell_unbatched_nobias", nn.GRUCell(4, 5, bias=False), r(4), r(5)),
    ]


def utils():
    r = torch.randn
    seqs = [r(3, 2), r(5, 2), r(1, 2), r(4, 2)]
    out = {"seqs": [enc(s) for s in seqs]}
    out["pad"] = enc(pad_sequence(seqs))
    out["pad_bf_value"] = enc(pad_sequence(seqs, batch_first=True, padding_value=-1.5))
    p = pack_sequence(seqs, enforce_sorted=False)
    out["pack_seqs"] = {k: enc(v) for k, v in zip(["data", "batch_sizes", "sorted_indices", "unsorted_indices"], p)}
    padded, lengths = pad_packed_sequence(p, batch_first=True, padding_value=7.0, total_length=6)
    out["unpack_bf_total"] = {"padded": enc(padded), "lengths": enc(lengths)}
    x = r(5, 3, 2)
    p2 = pack_padded_sequence(x, torch.tensor([5, 4, 2]))
    out["pack_padded_x"] = enc(x)
    out["pack_padded"] = {k: enc(v) for k, v in zip(["data", "batch_sizes"], p2[:2])}
    return out


def main():
    torch.set_num_threads(1)
    data = {"torch": torch.__version__, "modules": modules(), "cells": cells(), "utils": utils()}
    with open(os.path.join(OUT, "rnn.json"), "w") as f:
        json.dump(data, f, separators=(",", ":"))


if __name__ == "__main__":
    main()

"""Golden fixtures for Kiln's attention and Transformer layers (issue 18, item 2).

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/attention.py
Writes test/golden/nn/attention.json (tensors as in tools/golden/nn.py: shape, dtype, b64).

- sdpa: PyTorch 1.13 has no F.scaled_dot_product_attention, so its values come from the formula
  PyTorch 2 documents for it: softmax(q kᵀ·scale + bias) v, where a bool mask is True for pairs
  that take part (bias −inf elsewhere), a float mask is added, and is_causal keeps key j ≤ query i
  (torch.ones(L, S).tril()).
- mha / layers: nn.MultiheadAttention and the Transformer modules of PyTorch 1.13, dropout 0 (or
  eval mode), with gradients enabled so the slow (reference) path runs. Each case stores the
  state dict, inputs, masks, outputs (and attention weights), the upstream gradients, every
  parameter gradient and the input gradients, plus repr and state-dict keys.
"""
import base64
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn", "attention.json")
torch.manual_seed(0)
# Small Transformer sizes (features, feed-forward hidden) keep the fixture small.
D, FF = 4, 8


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.bool:
        t = t.to(torch.int32)
        kind = "bool"
    else:
        kind = None
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    out = {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}
    if kind:
        out["bool"] = True
    return out


def sdpa_ref(q, k, v, mask=None, is_causal=False, scale=None):
    L, S = q.size(-2), k.size(-2)
    s = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    bias = torch.zeros(L, S, dtype=q.dtype)
    if is_causal:
        bias = bias.masked_fill(torch.ones(L, S, dtype=torch.bool).tril().logical_not(), float("-inf"))
    if mask is not None:
        if mask.dtype == torch.bool:
            bias = bias.masked_fill(mask.logical_not(), float("-inf"))
        else:
            bias = mask + bias
    w = torch.softmax(q @ k.transpose(-2, -1) * s + bias, dim=-1)
    return w @ v


def allowed_bool(shape, p=0.35):
    """Random bool mask with True = takes part, column 0 always allowed (no empty row)."""
    m = torch.rand(shape) > p
    m[..., 0] = True
    return m


def sdpa_cases():
    r = torch.randn
    cases = []

    def add(name, q, k, v, mask=None, is_causal=False, scale=None):
        q, k, v = (t.clone().requires_grad_(True) for t in (q, k, v))
        out = sdpa_ref(q, k, v, mask, is_causal, scale)
        gy = torch.randn_like(out)
        (out * gy).sum().backward()
        c = {"name": name, "q": enc(q), "k": enc(k), "v": enc(v), "output": enc(out), "gy": enc(gy),
             "grad_q": enc(q.grad), "grad_k": enc(k.grad), "grad_v": enc(v.grad), "is_causal": is_causal,
             "scale": scale}
        if mask is not None:
            c["mask"] = enc(mask)
        cases.append(c)

    add("basic_4d", r(2, 2, 4, 8), r(2, 2, 5, 8), r(2, 2, 5, 6))
    add("bool_mask_bcast", r(2, 2, 4, 4), r(2, 2, 5, 4), r(2, 2, 5, 4), mask=allowed_bool((4, 5)))
    add("bool_mask_full", r(2, 4, 6), r(2, 5, 6), r(2, 5, 3), mask=allowed_bool((2, 4, 5)))
    add("float_mask", r(2, 2, 4, 4), r(2, 2, 5, 4), r(2, 2, 5, 4), mask=r(2, 1, 4, 5))
    add("causal", r(2, 4, 8), r(2, 6, 8), r(2, 6, 5), is_causal=True)
    add("causal_square_3d", r(3, 5, 4), r(3, 5, 4), r(3, 5, 4), is_causal=True)
    add("scale_2d", r(3, 8), r(5, 8), r(5, 2), scale=0.3)
    add("batch_bcast", r(2, 3, 4, 8), r(3, 5, 8), r(1, 3, 5, 8))
    return cases


def randomize(m):
    """Non-trivial 1-D parameters (biases start at 0, norms at 1)."""
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() == 1:
                if name.endswith("weight"):
                    p.copy_(torch.rand_like(p) + 0.5)
                else:
                    p.copy_(torch.randn_like(p) * 0.3)


def module_case(name, ctor, m, args, kwargs, ret_weights=False, mode="train"):
    """args: input tensors (the same object may repeat: self-attention); kwargs: masks/flags."""
    randomize(m)
    m.train(mode == "train")
    case = {"name": name, "ctor": ctor, "repr": repr(m), "keys": list(m.state_dict().keys()),
            "state": {k: enc(v) for k, v in m.state_dict().items()}, "mode": mode}
    ids = []
    leaves = []
    for a in args:
        for i, l in enumerate(leaves):
            if l is a:
                ids.append(i)
                break
        else:
            ids.append(len(leaves))
            leaves.append(a)
    xs = [l.clone().requires_grad_(True) for l in leaves]
    call = [xs[i] for i in ids]
    out = m(*call, **kwargs)
    loss = 0
    if isinstance(out, tuple):
        y, w = out
        gy = torch.randn_like(y)
        loss = (y * gy).sum()
        case["output"] = enc(y)
        case["gy"] = enc(gy)
        if w is not None:
            gw = torch.randn_like(w)
            loss = loss + (w * gw).sum()
            case["weights"] = enc(w)
            case["gw"] = enc(gw)
        else:
            case["weights"] = None
    else:
        gy = torch.randn_like(out)
        loss = (out * gy).sum()
        case["output"] = enc(out)
        case["gy"] = enc(gy)
    loss.backward()
    case["inputs"] = [enc(x) for x in leaves]
    case["arg_ids"] = ids
    case["grad_inputs"] = [enc(x.grad) for x in xs]
    case["grads"] = {n: enc(p.grad) for n, p in m.named_parameters() if p.grad is not None}
    case["kwargs"] = {k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in kwargs.items()}
    return case


def mha_cases():
    r = torch.randn
    cases = []

    def add(name, ctor, args, kwargs, mode="train"):
        kw = {k: v for k, v in ctor.items()}
        e, h = kw.pop("embed_dim"), kw.pop("num_heads")
        m = nn.MultiheadAttention(e, h, **kw)
        cases.append(module_case(name, ctor, m, args, kwargs, mode=mode))

    x = r(5, 3, 8)
    add("self", {"embed_dim": 8, "num_heads": 2}, [x, x, x], {})
    xb = r(3, 4, 8)
    kv = r(3, 6, 8)
    add("batch_first_kv_same", {"embed_dim": 8, "num_heads": 4, "batch_first": True}, [xb, kv, kv], {})
    add("distinct", {"embed_dim": 8, "num_heads": 2}, [r(4, 2, 8), r(6, 2, 8), r(6, 2, 8)],
        {"average_attn_weights": False})
    add("kdim_vdim", {"embed_dim": 8, "num_heads": 2, "kdim": 5, "vdim": 7},
        [r(4, 2, 8), r(6, 2, 5), r(6, 2, 7)], {})
    add("kdim_vdim_batch_first", {"embed_dim": 6, "num_heads": 3, "kdim": 4, "vdim": 4, "batch_first": True},
        [r(2, 3, 6), r(2, 5, 4), r(2, 5, 4)], {"key_padding_mask": ~allowed_bool((2, 5))})
    add("bias_kv_zero_attn_bool", {"embed_dim": 8, "num_heads": 2, "add_bias_kv": True, "add_zero_attn": True},
        [r(4, 3, 8), r(5, 3, 8), r(5, 3, 8)],
        {"attn_mask": ~allowed_bool((4, 5)), "key_padding_mask": ~allowed_bool((3, 5))})
    add("bias_kv_float3d", {"embed_dim": 8, "num_heads": 2, "add_bias_kv": True},
        [x, x, x], {"attn_mask": r(3 * 2, 5, 5)})
    add("zero_attn_only", {"embed_dim": 4, "num_heads": 2, "add_zero_attn": True}, [r(3, 2, 4), r(4, 2, 4), r(4, 2, 4)],
        {"average_attn_weights": False})
    add("float_kpm", {"embed_dim": 8, "num_heads": 2}, [x, x, x], {"key_padding_mask": r(3, 5)})
    add("bool_masks_per_head", {"embed_dim": 8, "num_heads": 2}, [x, x, x],
        {"attn_mask": ~allowed_bool((5, 5)), "key_padding_mask": ~allowed_bool((3, 5)),
         "average_attn_weights": False})
    add("float_attn_bool_kpm", {"embed_dim": 8, "num_heads": 2, "batch_first": True}, [xb, xb, xb],
        {"attn_mask": r(4, 4), "key_padding_mask": ~allowed_bool((3, 4))})
    xu = r(5, 8)
    add("unbatched", {"embed_dim": 8, "num_heads": 2}, [xu, xu, xu],
        {"key_padding_mask": ~allowed_bool((5,)), "attn_mask": ~allowed_bool((2, 5, 5))})
    add("unbatched_batch_first_cross", {"embed_dim": 8, "num_heads": 4, "batch_first": True},
        [r(3, 8), r(6, 8), r(6, 8)], {"average_attn_weights": False})
    add("no_bias_no_weights", {"embed_dim": 8, "num_heads": 2, "bias": False}, [x, x, x], {"need_weights": False})
    add("eval_dropout", {"embed_dim": 8, "num_heads": 2, "dropout": 0.3}, [x, x, x], {}, mode="eval")
    return cases


def layer_cases():
    r = torch.randn
    cases = []
    causal = nn.Transformer.generate_square_subsequent_mask

    def enc_layer(**kw):
        return nn.TransformerEncoderLayer(D, 2, dim_feedforward=FF, dropout=kw.pop("dropout", 0.0), **kw)

    def dec_layer(**kw):
        return nn.TransformerDecoderLayer(D, 2, dim_feedforward=FF, dropout=kw.pop("dropout", 0.0), **kw)

    src = r(5, 3, D)
    srcb = r(3, 5, D)
    tgt = r(4, 3, D)
    tgtb = r(3, 4, D)
    kpm = ~allowed_bool((3, 5))
    add = lambda name, ctor, m, args, kwargs, mode="train": cases.append(
        module_case(name, ctor, m, args, kwargs, mode=mode))

    add("enc_layer_post", {"kind": "enc_layer"}, enc_layer(), [src],
        {"src_mask": causal(5), "src_key_padding_mask": kpm})
    add("enc_layer_pre_gelu_bf", {"kind": "enc_layer", "activation": "gelu", "norm_first": True, "batch_first": True},
        enc_layer(activation="gelu", norm_first=True, batch_first=True), [srcb], {"src_key_padding_mask": kpm})
    add("enc_layer_unbatched_eps", {"kind": "enc_layer", "layer_norm_eps": 1e-3}, enc_layer(layer_norm_eps=1e-3),
        [r(5, D)], {"src_mask": ~allowed_bool((5, 5))})
    add("enc_layer_eval_dropout", {"kind": "enc_layer", "dropout": 0.2, "batch_first": True},
        enc_layer(dropout=0.2, batch_first=True), [srcb], {}, mode="eval")
    add("enc_layer_module_act", {"kind": "enc_layer", "activation": "GELU_module"},
        enc_layer(activation=nn.GELU()), [src], {})
    add("dec_layer_post", {"kind": "dec_layer"}, dec_layer(), [tgt, src],
        {"tgt_mask": causal(4), "memory_key_padding_mask": kpm})
    add("dec_layer_pre_gelu_bf", {"kind": "dec_layer", "activation": "gelu", "norm_first": True, "batch_first": True},
        dec_layer(activation="gelu", norm_first=True, batch_first=True), [tgtb, srcb],
        {"tgt_mask": causal(4), "memory_mask": ~allowed_bool((4, 5)), "tgt_key_padding_mask": ~allowed_bool((3, 4))})
    add("encoder_stack", {"kind": "encoder", "num_layers": 2, "norm": True}, nn.TransformerEncoder(enc_layer(), 2, nn.LayerNorm(D)),
        [src], {"mask": causal(5), "src_key_padding_mask": kpm})
    add("encoder_stack_pre_nonorm", {"kind": "encoder", "num_layers": 2, "norm": False, "norm_first": True},
        nn.TransformerEncoder(enc_layer(norm_first=True), 2), [src], {})
    add("decoder_stack", {"kind": "decoder", "num_layers": 2, "norm": True},
        nn.TransformerDecoder(dec_layer(), 2, nn.LayerNorm(D)), [tgt, src],
        {"tgt_mask": causal(4), "memory_key_padding_mask": kpm, "tgt_key_padding_mask": ~allowed_bool((3, 4))})

    def transformer(**kw):
        return nn.Transformer(d_model=D, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                              dim_feedforward=FF, dropout=0.0, **kw)

    add("transformer", {"kind": "transformer"}, transformer(), [src, tgt],
        {"src_mask": ~allowed_bool((5, 5)), "tgt_mask": causal(4), "memory_mask": r(4, 5),
         "src_key_padding_mask": kpm, "tgt_key_padding_mask": ~allowed_bool((3, 4)),
         "memory_key_padding_mask": kpm})
    add("transformer_bf_prenorm_gelu", {"kind": "transformer", "batch_first": True, "norm_first": True,
                                        "activation": "gelu"},
        transformer(batch_first=True, norm_first=True, activation="gelu"), [srcb, tgtb],
        {"tgt_mask": causal(4), "src_key_padding_mask": kpm})
    add("transformer_unbatched", {"kind": "transformer"}, transformer(), [r(5, D), r(4, D)],
        {"tgt_mask": causal(4)})
    return cases


def main():
    square = nn.Transformer.generate_square_subsequent_mask(4)
    full = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    reprs = {
        "mha_kv": repr(nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True)),
        "mha_kv_keys": list(nn.MultiheadAttention(8, 2, kdim=3, vdim=5, add_bias_kv=True).state_dict().keys()),
        "transformer": repr(full),
        "transformer_keys": list(full.state_dict().keys()),
    }
    data = {
        "torch": torch.__version__,
        "sdpa": sdpa_cases(),
        "mha": mha_cases(),
        "layers": layer_cases(),
        "square_mask": enc(square),
        "layer_dims": {"d_model": D, "dim_feedforward": FF},
        "reprs": reprs,
    }
    with open(OUT, "w") as f:
        json.dump(data, f)
    print(OUT, os.path.getsize(OUT))


main()

"""Golden fixtures for float16/bfloat16 storage (issue 13, item 2: Module.half() / bfloat16()).

Run with Debian's PyTorch: /usr/bin/python3 tools/golden/half.py
Writes test/golden/core/half.json: the value of every float16 and bfloat16 bit pattern, and the
patterns PyTorch's .half() / .bfloat16() give for float32 and float64 inputs chosen around
rounding ties, subnormals, overflow and specials, plus a Linear layer's state dict after .half().
"""
import base64
import json
import math
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "core", "half.json")
torch.manual_seed(0)


def b64(t):
    return base64.b64encode(t.contiguous().numpy().tobytes()).decode()


def bits(t):
    return t.reshape(-1).view(torch.int16).to(torch.int32).bitwise_and(0xFFFF).tolist()


def main():
    patterns = torch.arange(65536, dtype=torch.int32).to(torch.int16)
    special = [0.0, -0.0, 1.0, -2.5, 0.1, 1 / 3, 1e-5, 6e-8, 3e-8, 2.98e-8, 5.96e-8 * 1.5, 65504.0,
               65519.0, 65520.0, 1e6, -1e-9, math.inf, -math.inf, 2.0009765625, 2.0029296875,
               2.0 ** -14, 2.0 ** -14 * (1 - 2 ** -11), 2.0 ** -24, 2.0 ** -25, 3.0 * 2.0 ** -26,
               1.00390625, 1.01171875, 1.0078125 + 2 ** -20, 3.4e38, -1.2e-38]
    f32 = torch.cat([torch.tensor(special, dtype=torch.float32), torch.randn(500) * 10.0 ** torch.randint(-9, 6, (500,))])
    f64 = torch.cat([torch.tensor(special, dtype=torch.float64),
                     torch.tensor([1 + 2 ** -11 + 2 ** -40, 1 + 2 ** -11 - 2 ** -40], dtype=torch.float64)])
    lin = torch.nn.Linear(3, 2)
    state = {k: b64(v) for k, v in lin.state_dict().items()}
    lin.half()
    golden = {
        "torch": torch.__version__,
        "f16_values": b64(patterns.view(torch.float16).float()),
        "bf16_values": b64(patterns.view(torch.bfloat16).float()),
        "f32": b64(f32),
        "f32_f16": bits(f32.half()),
        "f32_bf16": bits(f32.bfloat16()),
        "f64": b64(f64),
        "f64_f16": bits(f64.half()),
        "f64_bf16": bits(f64.bfloat16()),
        "linear_f32": state,
        "linear_f16_bits": {k: bits(v) for k, v in lin.state_dict().items()},
        "linear_repr_weight": repr(lin.weight),
    }
    with open(OUT, "w") as f:
        json.dump(golden, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()

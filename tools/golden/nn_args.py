# Golden values for test/nn/args.test.ts: PyTorch 1.13 results of nn calls made with positional
# arguments (API.md rule 2), on deterministic inputs rebuilt in the test from the same formulas.
# Run: /usr/bin/python3 tools/golden/nn_args.py  (writes test/golden/nn/args.json)
import json, os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
x = (torch.arange(2 * 3 * 5 * 5, dtype=torch.float64).reshape(2, 3, 5, 5) * 0.37).sin()
w = (torch.arange(4 * 3 * 3 * 3, dtype=torch.float64).reshape(4, 3, 3, 3) * 0.11).cos()
b = torch.tensor([0.1, -0.2, 0.3, -0.4])
logits = (torch.arange(12, dtype=torch.float64).reshape(4, 3) * 0.7).sin() * 3
y = torch.tensor([0, 2, 1, 1])
cw = torch.tensor([1.0, 2.0, 0.5])
p = torch.linspace(-2, 2, 10)
q = torch.linspace(1, -1, 10) ** 3

out = {
    "maxPool2d_2_1": F.max_pool2d(x, 2, 1),
    "maxPool2d_3_2_1_1_true": F.max_pool2d(x, 3, 2, 1, 1, True),
    "avgPool2d_3_2_1_false_false": F.avg_pool2d(x, 3, 2, 1, False, False),
    "conv2d_b_2_1": F.conv2d(x, w, b, 2, 1),
    "conv2d_b_1_2_2": F.conv2d(x, w, b, 1, 2, 2),
    "leakyRelu_0.2": F.leaky_relu(p, 0.2),
    "elu_0.5": F.elu(p, 0.5),
    "softplus_2_1": F.softplus(p, 2, 1),
    "hardtanh_-0.5_0.5": F.hardtanh(p, -0.5, 0.5),
    "crossEntropy_w_1_sum_0.1": F.cross_entropy(logits, y, cw, None, 1, None, "sum", 0.1),
    "nllLoss_w_2_none": F.nll_loss(F.log_softmax(logits, 1), y, cw, None, 2, None, "none"),
    "smoothL1_sum_0.5": F.smooth_l1_loss(p, q, None, None, "sum", 0.5),
    "huber_sum_0.5": F.huber_loss(p, q, "sum", 0.5),
    "mse_sum": F.mse_loss(p, q, None, None, "sum"),
}
res = {k: v.tolist() for k, v in out.items()}
path = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "nn", "args.json")
with open(path, "w") as f:
    json.dump(res, f)
print("wrote", path)

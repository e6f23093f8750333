"""Golden fixtures for Kiln's model zoo (issue 18): torchvision's resnet18/34/50, vgg11/vgg11_bn,
mobilenet_v2 and the dlwpt book's NetResDeep, LunaModel and UNetWrapper.

Run with Debian's PyTorch: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/golden/models.py
Writes test/golden/models/<case>.json (and unet_upsample.pt, a torch.save'd state dict): the repr, the state-dict keys, shapes and dtypes in order,
and the eval-mode output for the input `inp` after every state entry is filled by `fill` (the
weights themselves are not stored: resnet50 alone is 100 MB). The Kiln test rebuilds both formulas.
"""
import base64
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "models")


def enc(t):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        t = t.to(torch.int32)
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int32: "int32"}[t.dtype]
    return {"shape": list(t.shape), "dtype": dtype, "b64": base64.b64encode(t.numpy().tobytes()).decode()}


def wave(n, k):
    """sin(0.37·i + 1.3·k) over the flat index i, in float64."""
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.37 + 1.3 * k)


def fill(model):
    """The k-th state entry (state_dict order), element i, s = sin(0.37·i + 1.3·k):
    running_var 1 + 0.5·s, running_mean 0.1·s, num_batches_tracked k, 1-D weight 1 + 0.2·s,
    1-D bias 0.1·s, n-D weight s·1.5/√(numel/shape[0])."""
    sd = model.state_dict()
    with torch.no_grad():
        for k, (name, t) in enumerate(sd.items()):
            n = t.numel()
            s = wave(n, k).reshape(t.shape)
            if name.endswith("num_batches_tracked"):
                v = torch.tensor(k, dtype=t.dtype)
            elif name.endswith("running_var"):
                v = 1 + 0.5 * s
            elif name.endswith("running_mean"):
                v = 0.1 * s
            elif t.dim() == 1 and name.endswith("weight"):
                v = 1 + 0.2 * s
            elif t.dim() == 1:
                v = 0.1 * s
            else:
                v = s * (1.5 / math.sqrt(n / t.shape[0]))
            t.copy_(v.to(t.dtype))


def inp(shape, phase=0.5):
    """sin(0.11·i + phase) over the flat index, float32."""
    n = math.prod(shape)
    return torch.sin(torch.arange(n, dtype=torch.float64) * 0.11 + phase).reshape(shape).float()


def case(name, model, shape, train=False, features=False, save_pt=False):
    fill(model)
    if save_pt:
        # PyTorch's own file (zip, pickle, int64 num_batches_tracked), as a torchvision user saves it.
        torch.save(model.state_dict(), os.path.join(OUT, f"{name}.pt"))
    model.eval()
    x = inp(shape)
    with torch.no_grad():
        out = model(x)
    outs = list(out) if isinstance(out, tuple) else [out]
    rec = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "repr": repr(model),
        "keys": list(model.state_dict().keys()),
        "shapes": [list(v.shape) for v in model.state_dict().values()],
        "dtypes": [str(v.dtype).replace("torch.", "") for v in model.state_dict().values()],
        "input_shape": list(shape),
        "outputs": [enc(o) for o in outs],
    }
    if features:
        # The feature extractor alone (cheap to check: VGG's classifier holds 120M weights).
        with torch.no_grad():
            rec["features_repr"] = repr(model.features)
            rec["features_output"] = enc(model.features(x))
    if train:
        # Train mode in float64 (ten batch-statistics BatchNorms in a row amplify float32 rounding
        # past 1e-4): batch statistics, running-stat updates, one backward for a fixed gradient.
        model.double().train()
        xg = x.double().requires_grad_(True)
        y = model(xg)
        y = y[0] if isinstance(y, tuple) else y
        gy = inp(list(y.shape), 1.1).double()
        (y * gy).sum().backward()
        first = next(iter(model.named_parameters()))
        rec["train"] = {
            "output": enc(y),
            "grad_input": enc(xg.grad),
            "param": first[0],
            "grad_param": enc(first[1].grad),
            "state_after": {k: enc(v) for k, v in model.state_dict().items() if "running" in k and k.startswith("resblocks.0.")},
        }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(rec, f)
    print(name, "outputs", [tuple(o.shape) for o in outs], "max|y|", max(float(o.abs().max()) for o in outs))


# ---- the book's models: transcriptions of dlwpt-code's p1ch8 notebook (NetResDeep), p2ch11/model.py
# (LunaModel), p2ch13/model.py (UNetWrapper) and util/unet.py (UNet, from jvanvugt/pytorch-unet, MIT),
# with the same module names, state-dict keys, init and forward.

class ResBlock(nn.Module):
    def __init__(self, n_chans):
        super(ResBlock, self).__init__()
        self.conv = nn.Conv2d(n_chans, n_chans, kernel_size=3, padding=1, bias=False)
        self.batch_norm = nn.BatchNorm2d(num_features=n_chans)
        torch.nn.init.kaiming_normal_(self.conv.weight, nonlinearity="relu")
        torch.nn.init.constant_(self.batch_norm.weight, 0.5)
        torch.nn.init.zeros_(self.batch_norm.bias)

    def forward(self, x):
        out = self.conv(x)
        out = self.batch_norm(out)
        out = torch.relu(out)
        return out + x


class NetResDeep(nn.Module):
    def __init__(self, n_chans1=32, n_blocks=10):
        super().__init__()
        self.n_chans1 = n_chans1
        self.conv1 = nn.Conv2d(3, n_chans1, kernel_size=3, padding=1)
        self.resblocks = nn.Sequential(*(n_blocks * [ResBlock(n_chans=n_chans1)]))
        self.fc1 = nn.Linear(8 * 8 * n_chans1, 32)
        self.fc2 = nn.Linear(32, 2)

    def forward(self, x):
        out = F.max_pool2d(torch.relu(self.conv1(x)), 2)
        out = self.resblocks(out)
        out = F.max_pool2d(out, 2)
        out = out.view(-1, 8 * 8 * self.n_chans1)
        out = torch.relu(self.fc1(out))
        out = self.fc2(out)
        return out


class LunaBlock(nn.Module):
    def __init__(self, in_channels, conv_channels):
        super().__init__()
        self.conv1 = nn.Conv3d(in_channels, conv_channels, kernel_size=3, padding=1, bias=True)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv3d(conv_channels, conv_channels, kernel_size=3, padding=1, bias=True)
        self.relu2 = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool3d(2, 2)

    def forward(self, x):
        return self.maxpool(self.relu2(self.conv2(self.relu1(self.conv1(x)))))


def book_init(model):
    # dlwpt-code's _init_weights (p2ch11 LunaModel, p2ch13 UNetWrapper), normal_(bias, -bound, bound) kept.
    for m in model.modules():
        if type(m) in {nn.Linear, nn.Conv3d, nn.Conv2d, nn.ConvTranspose2d, nn.ConvTranspose3d}:
            nn.init.kaiming_normal_(m.weight.data, a=0, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight.data)
                bound = 1 / math.sqrt(fan_out)
                nn.init.normal_(m.bias, -bound, bound)


class LunaModel(nn.Module):
    def __init__(self, in_channels=1, conv_channels=8):
        super().__init__()
        self.tail_batchnorm = nn.BatchNorm3d(1)
        self.block1 = LunaBlock(in_channels, conv_channels)
        self.block2 = LunaBlock(conv_channels, conv_channels * 2)
        self.block3 = LunaBlock(conv_channels * 2, conv_channels * 4)
        self.block4 = LunaBlock(conv_channels * 4, conv_channels * 8)
        self.head_linear = nn.Linear(1152, 2)
        self.head_softmax = nn.Softmax(dim=1)
        book_init(self)

    def forward(self, x):
        y = self.block4(self.block3(self.block2(self.block1(self.tail_batchnorm(x)))))
        logits = self.head_linear(y.view(y.size(0), -1))
        return logits, self.head_softmax(logits)


class UNetConvBlock(nn.Module):
    def __init__(self, in_size, out_size, padding, batch_norm):
        super().__init__()
        block = [nn.Conv2d(in_size, out_size, kernel_size=3, padding=int(padding)), nn.ReLU()]
        if batch_norm:
            block.append(nn.BatchNorm2d(out_size))
        block += [nn.Conv2d(out_size, out_size, kernel_size=3, padding=int(padding)), nn.ReLU()]
        if batch_norm:
            block.append(nn.BatchNorm2d(out_size))
        self.block = nn.Sequential(*block)

    def forward(self, x):
        return self.block(x)


class UNetUpBlock(nn.Module):
    def __init__(self, in_size, out_size, up_mode, padding, batch_norm):
        super().__init__()
        if up_mode == "upconv":
            self.up = nn.ConvTranspose2d(in_size, out_size, kernel_size=2, stride=2)
        else:
            self.up = nn.Sequential(nn.Upsample(mode="bilinear", scale_factor=2),
                                    nn.Conv2d(in_size, out_size, kernel_size=1))
        self.conv_block = UNetConvBlock(in_size, out_size, padding, batch_norm)

    def forward(self, x, bridge):
        up = self.up(x)
        th, tw = up.shape[2:]
        dy, dx = (bridge.shape[2] - th) // 2, (bridge.shape[3] - tw) // 2
        return self.conv_block(torch.cat([up, bridge[:, :, dy:dy + th, dx:dx + tw]], 1))


class UNet(nn.Module):
    def __init__(self, in_channels=1, n_classes=2, depth=5, wf=6, padding=False, batch_norm=False, up_mode="upconv"):
        super().__init__()
        self.padding = padding
        self.depth = depth
        prev = in_channels
        self.down_path = nn.ModuleList()
        for i in range(depth):
            self.down_path.append(UNetConvBlock(prev, 2 ** (wf + i), padding, batch_norm))
            prev = 2 ** (wf + i)
        self.up_path = nn.ModuleList()
        for i in reversed(range(depth - 1)):
            self.up_path.append(UNetUpBlock(prev, 2 ** (wf + i), up_mode, padding, batch_norm))
            prev = 2 ** (wf + i)
        self.last = nn.Conv2d(prev, n_classes, kernel_size=1)

    def forward(self, x):
        blocks = []
        for i, down in enumerate(self.down_path):
            x = down(x)
            if i != len(self.down_path) - 1:
                blocks.append(x)
                x = F.avg_pool2d(x, 2)
        for i, up in enumerate(self.up_path):
            x = up(x, blocks[-i - 1])
        return self.last(x)


class UNetWrapper(nn.Module):
    def __init__(self, **kwargs):
        super().__init__()
        self.input_batchnorm = nn.BatchNorm2d(kwargs["in_channels"])
        self.unet = UNet(**kwargs)
        self.final = nn.Sigmoid()
        book_init(self)

    def forward(self, x):
        return self.final(self.unet(self.input_batchnorm(x)))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    tv = torchvision.models
    case("resnet18", tv.resnet18(num_classes=10), [1, 3, 64, 64])
    case("resnet34", tv.resnet34(num_classes=10), [1, 3, 32, 32])
    case("resnet50", tv.resnet50(num_classes=10), [1, 3, 32, 32])
    case("resnet_custom", tv.resnet.ResNet(tv.resnet.Bottleneck, [1, 2, 1, 1], num_classes=5, groups=2,
                                           width_per_group=32, replace_stride_with_dilation=[False, True, True],
                                           zero_init_residual=True), [2, 3, 32, 32])
    case("vgg11", tv.vgg11(num_classes=10), [1, 3, 32, 32], features=True)
    case("vgg11_bn", tv.vgg11_bn(num_classes=10), [1, 3, 32, 32], features=True)
    case("mobilenet_v2", tv.mobilenet_v2(num_classes=10), [1, 3, 32, 32])
    case("mobilenet_v2_w05", tv.mobilenet_v2(num_classes=7, width_mult=0.5, round_nearest=4), [1, 3, 32, 32])
    case("net_res_deep", NetResDeep(), [2, 3, 32, 32], train=True)
    case("luna", LunaModel(), [1, 1, 32, 48, 48])
    case("unet_p2ch13", UNetWrapper(in_channels=7, n_classes=1, depth=3, wf=4, padding=True,
                                    batch_norm=True, up_mode="upconv"), [1, 7, 32, 32])
    case("unet_upsample", UNetWrapper(in_channels=1, n_classes=2, depth=2, wf=3, padding=False,
                                      batch_norm=False, up_mode="upsample"), [1, 1, 40, 40], save_pt=True)


if __name__ == "__main__":
    main()

// The models of "Deep Learning with PyTorch", chapter 8 (deep-learning-with-pytorch/dlwpt-code,
// p1ch8/1_convolution.ipynb), translated line by line as a user would: Net through NetResDeep.
// Only Kiln's public entry is used. `torch.tanh(x)` / `torch.relu(x)` are written `x.tanh()` /
// `x.relu()`, as Kiln has no root `tanh` / `relu` yet.

import { nn, type Tensor } from "../../src/index.ts";

const F = nn.functional;

/** Cell 27: the Net the chapter trains (activations and pooling as functions). */
export class Net extends nn.Module {
  conv1 = new nn.Conv2d(3, 16, 3, { padding: 1 });
  conv2 = new nn.Conv2d(16, 8, 3, { padding: 1 });
  fc1 = new nn.Linear(8 * 8 * 8, 32);
  fc2 = new nn.Linear(32, 2);

  override forward(x: Tensor): Tensor {
    let out = F.maxPool2d(this.conv1.call(x).tanh(), 2);
    out = F.maxPool2d(this.conv2.call(out).tanh(), 2);
    out = out.view(-1, 8 * 8 * 8);
    out = this.fc1.call(out).tanh();
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 25: the first Net, with activations and pools as submodules. */
export class NetSubmodules extends nn.Module {
  conv1 = new nn.Conv2d(3, 16, 3, { padding: 1 });
  act1 = new nn.Tanh();
  pool1 = new nn.MaxPool2d(2);
  conv2 = new nn.Conv2d(16, 8, 3, { padding: 1 });
  act2 = new nn.Tanh();
  pool2 = new nn.MaxPool2d(2);
  fc1 = new nn.Linear(8 * 8 * 8, 32);
  act3 = new nn.Tanh();
  fc2 = new nn.Linear(32, 2);

  override forward(x: Tensor): Tensor {
    let out = this.pool1.call(this.act1.call(this.conv1.call(x)));
    out = this.pool2.call(this.act2.call(this.conv2.call(out)));
    out = out.view(-1, 8 * 8 * 8);
    out = this.act3.call(this.fc1.call(out));
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 41. */
export class NetWidth extends nn.Module {
  nChans1: number;
  conv1: nn.Conv2d;
  conv2: nn.Conv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(nChans1 = 32) {
    super();
    this.nChans1 = nChans1;
    this.conv1 = new nn.Conv2d(3, nChans1, 3, { padding: 1 });
    this.conv2 = new nn.Conv2d(nChans1, Math.floor(nChans1 / 2), 3, { padding: 1 });
    this.fc1 = new nn.Linear(Math.floor((8 * 8 * nChans1) / 2), 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = F.maxPool2d(this.conv1.call(x).tanh(), 2);
    out = F.maxPool2d(this.conv2.call(out).tanh(), 2);
    out = out.view(-1, Math.floor((8 * 8 * this.nChans1) / 2));
    out = this.fc1.call(out).tanh();
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 46. */
export class NetDropout extends nn.Module {
  nChans1: number;
  conv1: nn.Conv2d;
  conv1_dropout: nn.Dropout2d;
  conv2: nn.Conv2d;
  conv2_dropout: nn.Dropout2d;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(nChans1 = 32) {
    super();
    this.nChans1 = nChans1;
    this.conv1 = new nn.Conv2d(3, nChans1, 3, { padding: 1 });
    this.conv1_dropout = new nn.Dropout2d({ p: 0.4 });
    this.conv2 = new nn.Conv2d(nChans1, Math.floor(nChans1 / 2), 3, { padding: 1 });
    this.conv2_dropout = new nn.Dropout2d({ p: 0.4 });
    this.fc1 = new nn.Linear(Math.floor((8 * 8 * nChans1) / 2), 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = F.maxPool2d(this.conv1.call(x).tanh(), 2);
    out = this.conv1_dropout.call(out);
    out = F.maxPool2d(this.conv2.call(out).tanh(), 2);
    out = this.conv2_dropout.call(out);
    out = out.view(-1, Math.floor((8 * 8 * this.nChans1) / 2));
    out = this.fc1.call(out).tanh();
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 48. */
export class NetBatchNorm extends nn.Module {
  nChans1: number;
  conv1: nn.Conv2d;
  conv1_batchnorm: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  conv2_batchnorm: nn.BatchNorm2d;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(nChans1 = 32) {
    super();
    this.nChans1 = nChans1;
    this.conv1 = new nn.Conv2d(3, nChans1, 3, { padding: 1 });
    this.conv1_batchnorm = new nn.BatchNorm2d(nChans1);
    this.conv2 = new nn.Conv2d(nChans1, Math.floor(nChans1 / 2), 3, { padding: 1 });
    this.conv2_batchnorm = new nn.BatchNorm2d(Math.floor(nChans1 / 2));
    this.fc1 = new nn.Linear(Math.floor((8 * 8 * nChans1) / 2), 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = this.conv1_batchnorm.call(this.conv1.call(x));
    out = F.maxPool2d(out.tanh(), 2);
    out = this.conv2_batchnorm.call(this.conv2.call(out));
    out = F.maxPool2d(out.tanh(), 2);
    out = out.view(-1, Math.floor((8 * 8 * this.nChans1) / 2));
    out = this.fc1.call(out).tanh();
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 50. */
export class NetDepth extends nn.Module {
  nChans1: number;
  conv1: nn.Conv2d;
  conv2: nn.Conv2d;
  conv3: nn.Conv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(nChans1 = 32) {
    super();
    this.nChans1 = nChans1;
    this.conv1 = new nn.Conv2d(3, nChans1, 3, { padding: 1 });
    this.conv2 = new nn.Conv2d(nChans1, Math.floor(nChans1 / 2), 3, { padding: 1 });
    this.conv3 = new nn.Conv2d(Math.floor(nChans1 / 2), Math.floor(nChans1 / 2), 3, {
      padding: 1,
    });
    this.fc1 = new nn.Linear(Math.floor((4 * 4 * nChans1) / 2), 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = F.maxPool2d(this.conv1.call(x).relu(), 2);
    out = F.maxPool2d(this.conv2.call(out).relu(), 2);
    out = F.maxPool2d(this.conv3.call(out).relu(), 2);
    out = out.view(-1, Math.floor((4 * 4 * this.nChans1) / 2));
    out = this.fc1.call(out).relu();
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 52. */
export class NetRes extends nn.Module {
  nChans1: number;
  conv1: nn.Conv2d;
  conv2: nn.Conv2d;
  conv3: nn.Conv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(nChans1 = 32) {
    super();
    this.nChans1 = nChans1;
    this.conv1 = new nn.Conv2d(3, nChans1, 3, { padding: 1 });
    this.conv2 = new nn.Conv2d(nChans1, Math.floor(nChans1 / 2), 3, { padding: 1 });
    this.conv3 = new nn.Conv2d(Math.floor(nChans1 / 2), Math.floor(nChans1 / 2), 3, {
      padding: 1,
    });
    this.fc1 = new nn.Linear(Math.floor((4 * 4 * nChans1) / 2), 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = F.maxPool2d(this.conv1.call(x).relu(), 2);
    out = F.maxPool2d(this.conv2.call(out).relu(), 2);
    const out1 = out;
    out = F.maxPool2d(this.conv3.call(out).relu().add(out1), 2);
    out = out.view(-1, Math.floor((4 * 4 * this.nChans1) / 2));
    out = this.fc1.call(out).relu();
    out = this.fc2.call(out);
    return out;
  }
}

/** Cell 54. */
export class ResBlock extends nn.Module {
  conv: nn.Conv2d;
  batch_norm: nn.BatchNorm2d;

  constructor(nChans: number) {
    super();
    this.conv = new nn.Conv2d(nChans, nChans, 3, { padding: 1, bias: false });
    this.batch_norm = new nn.BatchNorm2d(nChans);
    nn.init.kaimingNormal_(this.conv.weight, { nonlinearity: "relu" });
    nn.init.constant_(this.batch_norm.weight!, 0.5);
    nn.init.zeros_(this.batch_norm.bias!);
  }

  override forward(x: Tensor): Tensor {
    let out = this.conv.call(x);
    out = this.batch_norm.call(out);
    out = out.relu();
    return out.add(x);
  }
}

/** Cell 55: `nn.Sequential(*(n_blocks * [ResBlock(...)]))` holds ONE block n_blocks times. */
export class NetResDeep extends nn.Module {
  nChans1: number;
  conv1: nn.Conv2d;
  resblocks: nn.Sequential;
  fc1: nn.Linear;
  fc2: nn.Linear;

  constructor(nChans1 = 32, nBlocks = 10) {
    super();
    this.nChans1 = nChans1;
    this.conv1 = new nn.Conv2d(3, nChans1, 3, { padding: 1 });
    this.resblocks = new nn.Sequential(...new Array<ResBlock>(nBlocks).fill(new ResBlock(nChans1)));
    this.fc1 = new nn.Linear(8 * 8 * nChans1, 32);
    this.fc2 = new nn.Linear(32, 2);
  }

  override forward(x: Tensor): Tensor {
    let out = F.maxPool2d(this.conv1.call(x).relu(), 2);
    out = this.resblocks.call(out);
    out = F.maxPool2d(out, 2);
    out = out.view(-1, 8 * 8 * this.nChans1);
    out = this.fc1.call(out).relu();
    out = this.fc2.call(out);
    return out;
  }
}

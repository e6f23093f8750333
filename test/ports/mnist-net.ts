// pytorch/examples mnist/main.py's Net, translated line by line as a user would, with Kiln's
// public entry only. `torch.flatten(x, 1)` is written `x.flatten(1)`, as Kiln has no root
// `flatten` yet.

import { nn, type Tensor } from "../../src/index.ts";

const F = nn.functional;

export class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, 1);
  conv2 = new nn.Conv2d(32, 64, 3, 1);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  override forward(input: Tensor): Tensor {
    let x = this.conv1.call(input);
    x = F.relu(x);
    x = this.conv2.call(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1.call(x);
    x = x.flatten(1);
    x = this.fc1.call(x);
    x = F.relu(x);
    x = this.dropout2.call(x);
    x = this.fc2.call(x);
    const output = F.logSoftmax(x, 1);
    return output;
  }
}

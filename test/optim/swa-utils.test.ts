// optim.swaUtils against PyTorch 1.13 (tools/golden/optim_more.py): AveragedModel (equal average,
// useBuffers, a custom EMA avgFn) over 6 SGD steps of a Linear-BatchNorm-Linear net, its state-dict
// keys (n_averaged, module.*), SWALR's lrs (cos and linear) and updateBn's recomputed statistics.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ValueError } from "../../src/core/errors.ts";
import { nn, optim, type Tensor, tensor } from "../../src/index.ts";
import { closeness, flat, loadGolden, type Nested } from "./helpers.ts";

interface Run {
  variant: "default" | "useBuffers" | "ema";
  lrs: number[][];
  snapshots: Record<string, Nested>[];
  schedState: Record<string, unknown>;
  afterUpdateBn: Record<string, Nested>;
  keys: string[];
  swaOut: Nested;
}
const fx = loadGolden<{
  torch_version: string;
  init: Record<string, Nested>;
  xs: Nested[];
  ys: Nested[];
  runs: Run[];
}>("more_swa.json");

class Net extends nn.Module {
  fc1 = new nn.Linear(3, 4);
  bn = new nn.BatchNorm1d(4);
  fc2 = new nn.Linear(4, 2);
  override forward(x: Tensor): Tensor {
    return this.fc2.call(this.bn.call(this.fc1.call(x)).relu());
  }
}

function makeNet(): Net {
  const net = new Net();
  const sd = Object.fromEntries(
    Object.entries(fx.init).map(([k, v]) => [
      k,
      tensor(v, { dtype: k.endsWith("num_batches_tracked") ? "int32" : "float32" }),
    ]),
  );
  net.loadStateDict(sd);
  return net;
}

// float32 training steps and averages: PyTorch and Kiln round in different orders by an ulp.
function assertSd(got: Record<string, Tensor>, want: Record<string, Nested>, what: string): void {
  assert.deepEqual(Object.keys(got), Object.keys(want), `${what}: keys`);
  for (const [k, w] of Object.entries(want)) {
    const g = Array.from(got[k]!.dataSync(), Number);
    assert.ok(closeness(g, flat(w), 1e-6, 1e-5) <= 1, `${what}: ${k}: got ${g}, want ${flat(w)}`);
  }
}

describe(`swaUtils equal PyTorch ${fx.torch_version}`, () => {
  for (const run of fx.runs) {
    test(`AveragedModel (${run.variant}) + SWALR + updateBn`, () => {
      const net = makeNet();
      const swa =
        run.variant === "useBuffers"
          ? new optim.swaUtils.AveragedModel(net, { useBuffers: true })
          : run.variant === "ema"
            ? new optim.swaUtils.AveragedModel(net, null, (a, m) => a.mul(0.9).add(m.mul(0.1)))
            : new optim.swaUtils.AveragedModel(net);
      const opt = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.5 });
      const sched = new optim.swaUtils.SWALR(opt, {
        swaLr: 0.02,
        annealEpochs: 3,
        annealStrategy: run.variant === "ema" ? "linear" : "cos",
      });
      fx.xs.forEach((xv, i) => {
        opt.zeroGrad();
        net.call(tensor(xv)).sub(tensor(fx.ys[i]!)).pow(2).mean().backward();
        opt.step();
        swa.updateParameters(net);
        sched.step();
        const lrs = opt.paramGroups.map((g) => g.lr);
        assert.ok(closeness(lrs, run.lrs[i]!, 0, 1e-12) <= 1, `lr ${i}: ${lrs} vs ${run.lrs[i]}`);
        assertSd(swa.stateDict(), run.snapshots[i]!, `after update ${i + 1}`);
      });
      assert.deepEqual(Object.keys(swa.stateDict()), run.keys);
      assert.equal(swa.nAveraged.item(), fx.xs.length);
      for (const [k, v] of Object.entries(run.schedState)) {
        assert.deepEqual(sched.stateDict()[k], v, `SWALR state ${k}`);
      }
      const loader = fx.xs.map((x, i) => [tensor(x), tensor(fx.ys[i]!)]);
      optim.swaUtils.updateBn(loader, swa);
      assert.equal(swa.training, true, "updateBn restores the training mode");
      assert.equal(swa.module.bn.momentum, 0.1, "updateBn restores the momentum");
      assertSd(swa.stateDict(), run.afterUpdateBn, "after updateBn");
      const out = Array.from(swa.call(tensor(fx.xs[0]!)).dataSync());
      assert.ok(closeness(out, flat(run.swaOut), 1e-6, 1e-5) <= 1, "forward of the averaged model");
    });
  }

  test("arguments and errors", () => {
    const net = makeNet();
    assert.throws(() => new optim.swaUtils.AveragedModel(net, "cuda" as never), ValueError);
    assert.throws(() => new optim.swaUtils.AveragedModel(net, { bogus: 1 } as never), ValueError);
    const opt = new optim.SGD(net.parameters(), { lr: 0.1 });
    assert.throws(
      () => new optim.swaUtils.SWALR(opt, { swaLr: 0.1, annealStrategy: "exp" as never }),
      /anneal_strategy must by one of 'cos' or 'linear', instead got exp/,
    );
    assert.throws(
      () => new optim.swaUtils.SWALR(opt, 0.1, -1),
      /anneal_epochs must be equal or greater than 0, got -1/,
    );
    assert.throws(
      () => new optim.swaUtils.SWALR(opt, [0.1, 0.2]),
      /swa_lr must have the same length/,
    );
    // The copy is independent of the model: training the model does not move the average.
    const swa = new optim.swaUtils.AveragedModel(net);
    const before = Array.from(swa.module.fc1.weight.dataSync());
    net.fc1.weight.detach().add_(1);
    assert.deepEqual(Array.from(swa.module.fc1.weight.dataSync()), before);
    swa.eval();
    optim.swaUtils.updateBn(
      [
        [
          tensor([
            [1.5, 2, 3],
            [0, 1, -1],
          ]),
        ],
      ],
      swa,
    );
    assert.equal(swa.training, false, "updateBn puts back eval mode");
    assert.equal(swa.module.bn.training, false);
    // updateBn on a model without BatchNorm does nothing.
    optim.swaUtils.updateBn([tensor([[1.5, 2, 3]])], new nn.Linear(3, 1));
  });
});

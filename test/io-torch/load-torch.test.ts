// loadTorch against files written by PyTorch's torch.save (tools/golden/torch_pt.py): every storage
// dtype, shared storages, views, nested containers, and the seed's MLP and a small CNN whose
// logits after loadStateDict must equal PyTorch's within float32 tolerance.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { loadTorch, type TorchDict } from "../../src/io/torch/index.ts";
import * as nn from "../../src/nn/index.ts";
import { tensor } from "../../src/ops/creation.ts";
import { Tensor } from "../../src/tensor/tensor.ts";
import { NeuralNet } from "../../src/train/models.ts";
import { checkMirror, expected, fixture } from "./helpers.ts";

/** Mirrors SmallCNN of tools/golden/torch_pt.py. */
class SmallCNN extends nn.Module {
  conv = new nn.Conv2d(1, 4, 3, { padding: 1 });
  bn = new nn.BatchNorm2d(4);
  fc = new nn.Linear(64, 3);
  override forward(x: Tensor): Tensor {
    const h = nn.functional.maxPool2d(this.bn.forward(this.conv.forward(x)).relu(), 2);
    return this.fc.forward(h.flatten(1));
  }
}

function assertClose(actual: Tensor, want: number[][], tol: number): void {
  const got = actual.toArray() as number[][];
  assert.equal(got.length, want.length);
  for (const [i, row] of got.entries()) {
    for (const [j, v] of row.entries()) {
      const w = want[i]![j]!;
      assert.ok(
        Math.abs(v - w) <= tol * (1 + Math.abs(w)),
        `logits[${i}][${j}] = ${v}, PyTorch ${w}`,
      );
    }
  }
}

describe("loadTorch", () => {
  it("reads every storage dtype, shared storages, views and nested containers as PyTorch wrote them", () => {
    checkMirror(loadTorch(fixture("dtypes.pt")), expected.dtypes);
  });

  it("accepts bytes as well as a path", () => {
    checkMirror(loadTorch(new Uint8Array(fs.readFileSync(fixture("dtypes.pt")))), expected.dtypes);
  });

  it("keeps the state dict's _metadata as a non-enumerable property", () => {
    const sd = loadTorch<TorchDict>(fixture("mlp.pt"));
    assert.deepEqual(Object.keys(sd), expected.mlp.keys);
    const meta = sd._metadata as TorchDict;
    assert.deepEqual(Object.keys(meta), ["", "fc1", "fc2"]);
    assert.deepEqual({ ...(meta.fc1 as TorchDict) }, { version: 1 });
  });

  it("loads the seed MLP into NeuralNet and reproduces PyTorch's logits", () => {
    const sd = loadTorch<Record<string, Tensor>>(fixture("mlp.pt"));
    for (const [k, s] of Object.entries(expected.mlp.summary)) {
      const t = sd[k]!;
      assert.deepEqual(t.shape, s.shape, k);
      assert.deepEqual([...t.dataSync().subarray(0, 8)], s.head, k);
      let sum = 0;
      let abs = 0;
      for (const v of t.dataSync()) {
        sum += v;
        abs += Math.abs(v);
      }
      assert.ok(Math.abs(sum - s.sum) < 1e-9 * (1 + s.absSum), `${k} sum ${sum} vs ${s.sum}`);
      assert.ok(Math.abs(abs - s.absSum) < 1e-9 * s.absSum, `${k} |sum| ${abs} vs ${s.absSum}`);
    }
    const model = new NeuralNet();
    model.loadStateDict(loadTorch(fixture("mlp.pt")));
    model.eval();
    assertClose(model.forward(tensor(expected.mlp.input)), expected.mlp.logits, 1e-5);
  });

  it("loads a CNN with BatchNorm (running stats, int64 num_batches_tracked) and reproduces PyTorch's logits", () => {
    const sd = loadTorch<TorchDict>(fixture("cnn.pt"));
    checkMirror(sd, expected.cnn.tensors);
    const model = new SmallCNN();
    model.loadStateDict(loadTorch(fixture("cnn.pt")));
    model.eval();
    assertClose(model.forward(tensor(expected.cnn.input)), expected.cnn.logits, 1e-5);
  });

  it("loads an int64 value beyond int32 exactly, as int64", () => {
    // int64_overflow.pt holds [1, 2^40] (once refused when int64 loaded as int32).
    const t = loadTorch(fixture("int64_overflow.pt")) as unknown as Tensor;
    const flat = Object.values(t instanceof Tensor ? { t } : (t as Record<string, Tensor>));
    const big = flat.find((x) => x instanceof Tensor && x.dtype === "int64")!;
    assert.ok([...big.dataSync()].includes(1099511627776n as never));
  });
});

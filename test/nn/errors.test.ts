// Bad input gives typed errors whose messages name the op, what was given and what was expected.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DTypeError,
  IndexError,
  nn,
  randn,
  ShapeError,
  tensor,
  ValueError,
} from "../../src/index.ts";

describe("nn errors", () => {
  it("Linear with the wrong input feature size: ShapeError naming both sizes", () => {
    const fc = new nn.Linear(784, 128);
    assert.throws(
      () => fc.forward(randn(2, 100)),
      (e: Error) =>
        e instanceof ShapeError &&
        /100 features/.test(e.message) &&
        /expected 784/.test(e.message) &&
        /2x100 and 784x128/.test(e.message),
    );
  });

  it("Conv2d with the wrong channel count: ShapeError as PyTorch words it", () => {
    const conv = new nn.Conv2d(3, 8, 3);
    assert.throws(
      () => conv.forward(randn(1, 1, 8, 8)),
      (e: Error) =>
        e instanceof ShapeError &&
        /expected input\[1, 1, 8, 8\] to have 3 channels, but got 1 channels instead/.test(
          e.message,
        ),
    );
    assert.throws(() => conv.forward(randn(8, 8)), ShapeError);
  });

  it("CrossEntropyLoss with targets out of range: IndexError naming the target", () => {
    const ce = new nn.CrossEntropyLoss();
    assert.throws(
      () => ce.forward(randn(3, 4), tensor([0, 4, 1])),
      (e: Error) => e instanceof IndexError && /Target 4 is out of bounds/.test(e.message),
    );
    assert.throws(() => ce.forward(randn(3, 4), tensor([0, -1, 1])), IndexError);
    // ignoreIndex is not out of range.
    assert.doesNotThrow(() =>
      new nn.CrossEntropyLoss({ ignoreIndex: -1 }).forward(randn(3, 4), tensor([0, -1, 1])),
    );
  });

  it("float targets where class indices are needed: DTypeError", () => {
    assert.throws(
      () => new nn.CrossEntropyLoss().forward(randn(3, 4), tensor([0.0, 1.5, 2.0])),
      (e: Error) => e instanceof DTypeError && /int32/.test(e.message) && /float32/.test(e.message),
    );
    assert.throws(() => new nn.NLLLoss().forward(randn(3, 4), randn(3, 4)), DTypeError);
    assert.throws(() => new nn.Embedding(5, 2).forward(tensor([1.0, 2.5])), DTypeError);
    assert.throws(() => nn.functional.oneHot(tensor([0.5])), DTypeError);
  });

  it("other bad inputs", () => {
    assert.throws(() => new nn.CrossEntropyLoss().forward(randn(3, 4), tensor([0, 1])), ShapeError);
    assert.throws(() => new nn.MSELoss().forward(randn(3), randn(4)), ShapeError);
    assert.throws(() => new nn.BatchNorm2d(3).forward(randn(2, 3, 4)), ValueError);
    assert.throws(() => new nn.BatchNorm1d(3).forward(randn(2, 4)), ValueError);
    assert.throws(
      () => new nn.BatchNorm1d(3).forward(randn(1, 3)),
      /more than 1 value per channel/,
    );
    assert.throws(() => new nn.LayerNorm(5).forward(randn(2, 4)), ShapeError);
    assert.throws(() => new nn.Embedding(5, 2).forward(tensor([5])), IndexError);
    assert.throws(() => new nn.Dropout(1.5).forward(randn(2)), ValueError);
    assert.throws(() => new nn.Conv2d(3, 8, 3, { padding: "same", stride: 2 }), ValueError);
    assert.throws(() => new nn.Conv2d(3, 8, 3, { groups: 2 }), ValueError);
    assert.throws(() => new nn.MaxPool2d(2, { padding: 2 }).forward(randn(1, 1, 4, 4)), ValueError);
    assert.throws(() => nn.init.xavierUniform_(randn(3)), ValueError);
    assert.throws(() => nn.init.calculateGain("swish" as nn.init.Nonlinearity), ValueError);
  });
});

// zeroGrad() hands the buffer of a gradient that no code has read through `.grad` to the next
// backward (a fresh buffer is written from cold memory). What must hold: a gradient anyone read
// keeps its values; a released one, dug out through internals, throws instead of showing reused
// memory; and training gives the same bits whether the gradients were released or not.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AutogradError } from "../../src/core/errors.ts";
import { manualSeed, nn, optim, randn, type Tensor } from "../../src/index.ts";

/** A layer whose weight gradient (60 x 80 floats, 19 KB) is large enough to be reused. */
function model(): nn.Sequential {
  manualSeed(3);
  return new nn.Sequential(new nn.Linear(80, 60), new nn.ReLU(), new nn.Linear(60, 5));
}

function backward(m: nn.Module, seed: number): void {
  manualSeed(seed);
  (m.call(randn([7, 80])) as Tensor).square().sum().backward();
}

describe("zeroGrad releases unread gradients", () => {
  it("an unread gradient's memory is released, and reading it afterwards throws", () => {
    for (const zero of ["optimizer", "module"] as const) {
      const m = model();
      const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
      backward(m, 1);
      const w = m.parameters()[0]!;
      const dropped = w.peekGrad()!;
      if (zero === "optimizer") opt.zeroGrad();
      else m.zeroGrad();
      assert.equal(w.grad, null);
      assert.throws(() => dropped.dataSync(), AutogradError, zero);
      assert.throws(() => dropped.dataSync(), /reused after zeroGrad\(\)/, zero);
    }
  });

  it("a gradient read through .grad keeps its values through zeroGrad and the next backward", () => {
    const m = model();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    backward(m, 1);
    const held = m.parameters().map((p) => p.grad!);
    const values = held.map((g) => Array.from(g.dataSync()));
    opt.zeroGrad();
    backward(m, 2);
    held.forEach((g, i) => {
      assert.deepEqual(Array.from(g.dataSync()), values[i], `parameter ${i}`);
      assert.notEqual(m.parameters()[i]!.grad, g);
    });
  });

  it("zeroGrad({ setToNone: false }) zeroes the gradients in place, released or not", () => {
    const m = model();
    const opt = new optim.SGD(m.parameters(), { lr: 0.1 });
    backward(m, 1);
    opt.zeroGrad({ setToNone: false });
    for (const p of m.parameters()) assert.ok(p.grad!.dataSync().every((v) => v === 0));
  });

  it("training gives the same bits whether gradients are released or read every step", () => {
    const train = (read: boolean, make: (ps: Tensor[]) => optim.Optimizer) => {
      const m = model();
      const opt = make(m.parameters());
      const seen: number[] = [];
      for (let step = 0; step < 4; step++) {
        opt.zeroGrad();
        backward(m, 10 + step);
        // Reading a gradient keeps its buffer from being reused.
        if (read) for (const p of m.parameters()) seen.push(p.grad!.dataSync()[0]!);
        opt.step();
      }
      return m.parameters().map((p) => Array.from(p.dataSync()));
    };
    const makers: [string, (ps: Tensor[]) => optim.Optimizer][] = [
      ["SGD", (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9 })],
      ["Adam", (ps) => new optim.Adam(ps, { lr: 0.01 })],
    ];
    for (const [name, make] of makers) {
      assert.deepEqual(train(false, make), train(true, make), name);
    }
  });
});

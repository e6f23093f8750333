// Issue 13's silent divergences, each against PyTorch (tools/golden/divergences.py): a module
// held several times by a container runs each time; Module.to / double / float keep parameters
// attached to what forward reads; BCELoss stays finite at inputs exactly 0 and 1.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nn, optim, type Tensor, tensor } from "../../src/index.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

const F = nn.functional;

interface Shared {
  state: Record<string, Enc>;
  x: Enc;
  y: Enc;
  len: number;
  n_params: number;
  keys: string[];
  grads: Record<string, Enc>;
}
interface Golden {
  shared: {
    seq: Shared & { named_children: string[]; iter_len: number };
    deep: Shared & { after: Record<string, Enc> };
    module_list: { len: number; iter_len: number; n_params: number; keys: string[] };
  };
  double: {
    init: Record<string, Enc>;
    x: Enc;
    y: Enc;
    losses: number[];
    final: Record<string, Enc>;
    grad_dtype: string;
  };
  bce: {
    x: Enc;
    y: Enc;
    w: Enc;
    cases: Record<string, { loss: Enc; gy: Enc; grad: Enc }>;
    sat: {
      init: Record<string, Enc>;
      x: Enc;
      y: Enc;
      losses: number[];
      final: Record<string, Enc>;
    };
  };
}

const golden = loadGolden<Golden>("divergences.json");

/** The book's ResBlock pattern on vectors, as tools/golden/divergences.py's Block. */
class Block extends nn.Module {
  fc: nn.Linear;
  bn: nn.BatchNorm1d;
  constructor(n: number) {
    super();
    this.fc = new nn.Linear(n, n);
    this.bn = new nn.BatchNorm1d(n);
  }
  override forward(x: Tensor): Tensor {
    return this.bn.forward(this.fc.forward(x)).relu().add(x);
  }
}

describe("a container holding one module several times runs it each time (item 1)", () => {
  it("Sequential(lin, ReLU, lin): output, len, iteration, parameters, state dict, gradients", () => {
    const g = golden.shared.seq;
    const lin = new nn.Linear(4, 4);
    const seq = new nn.Sequential(lin, new nn.ReLU(), lin);
    seq.loadStateDict(decState(g.state));
    const x = dec(g.x);
    const y = seq.forward(x);
    assertClose(y, g.y, "output");
    assert.equal(seq.length, g.len);
    assert.equal([...seq].length, g.iter_len);
    assert.equal(seq.get(2), lin);
    assert.equal(seq.parameters().length, g.n_params);
    assert.deepEqual(Object.keys(seq.stateDict()), g.keys);
    assert.deepEqual(
      seq.namedChildren().map(([n]) => n),
      g.named_children,
    );
    y.sum().backward();
    for (const [name, p] of seq.namedParameters()) assertClose(p.grad!, g.grads[name]!, name);
  });

  it("the book's NetResDeep pattern: Sequential(...Array(3).fill(block)) applies the block 3 times", () => {
    const g = golden.shared.deep;
    const block = new Block(5);
    const deep = new nn.Sequential(...new Array<nn.Module>(3).fill(block));
    deep.loadStateDict(decState(g.state));
    const y = deep.forward(dec(g.x));
    assertClose(y, g.y, "output");
    assert.equal(deep.length, g.len);
    assert.equal(deep.parameters().length, g.n_params);
    assert.deepEqual(Object.keys(deep.stateDict()), g.keys);
    y.mul(y).sum().backward();
    // NOTE: fc.bias feeds BatchNorm, which subtracts the batch mean, so its exact gradient is 0
    // and both libraries hold rounding residue (~1e-5 against gradients of order 1): atol 1e-4.
    for (const [name, p] of deep.namedParameters()) {
      assertClose(p.grad!, g.grads[name]!, name, 1e-4, 1e-4);
    }
    // the running statistics were updated three times, as PyTorch's
    for (const [k, v] of Object.entries(deep.stateDict())) assertClose(v, g.after[k]!, k);
  });

  it("ModuleList: length and iteration count every entry, parameters once", () => {
    const g = golden.shared.module_list;
    const lin = new nn.Linear(4, 4);
    const ml = new nn.ModuleList([lin, lin, new nn.ReLU()]);
    assert.equal(ml.length, g.len);
    assert.equal([...ml].length, g.iter_len);
    assert.equal(ml.parameters().length, g.n_params);
    assert.deepEqual(Object.keys(ml.stateDict()), g.keys);
    ml.insert(0, new nn.Tanh());
    assert.equal(ml.length, g.len + 1);
    assert.equal(ml.get(1), lin);
    assert.equal(ml.get(2), lin);
  });
});

describe("Module.to / double / float keep parameters attached (item 2)", () => {
  it("a float64 linear fit trains as PyTorch's, then casts back to float32 with its gradient", () => {
    const g = golden.double;
    const model = new nn.Linear(1, 1);
    model.loadStateDict(decState(g.init));
    const weight = model.weight;
    assert.equal(model.double(), model);
    assert.equal(model.weight, weight, "the Parameter object is kept");
    assert.equal(model.weight.dtype, "float64");
    const x = dec(g.x);
    const y = dec(g.y);
    const opt = new optim.SGD(model.parameters(), { lr: 1e-2 });
    const losses: number[] = [];
    for (let i = 0; i < 50; i++) {
      opt.zeroGrad();
      const loss = F.mseLoss(model.forward(x), y);
      loss.backward();
      opt.step();
      losses.push(loss.item() as number);
    }
    // float64 throughout, so the losses agree to float64 rounding over 50 steps
    for (const [i, l] of losses.entries()) {
      assert.ok(Math.abs(l - g.losses[i]!) <= 1e-9 * Math.abs(g.losses[i]!), `loss ${i}: ${l}`);
    }
    model.float();
    assert.equal(model.weight.dtype, "float32");
    assert.equal(model.weight.grad?.dtype, g.grad_dtype);
    for (const [k, v] of Object.entries(model.stateDict()))
      assertClose(v, g.final[k]!, k, 1e-6, 1e-7);
  });

  it("in-place writes after a cast reach what forward reads (add_, loadStateDict)", () => {
    const lin = new nn.Linear(2, 1, { bias: false }).to("float64");
    const x = tensor([[1, 2]], { dtype: "float64" });
    const before = lin.forward(x).item() as number;
    lin.weight.detach().add_(1);
    // y = w·x: adding 1 to both weights adds 1 + 2 = 3 to the output
    assert.ok(Math.abs((lin.forward(x).item() as number) - (before + 3)) < 1e-12);
    lin.loadStateDict({ weight: tensor([[0.5, 0.25]], { dtype: "float64" }) });
    assert.equal(lin.forward(x).item(), 1);
  });

  it("Module.to refuses a non-floating dtype", () => {
    assert.throws(() => new nn.Linear(2, 2).to("int32"), /only accepts floating point dtypes/);
  });
});

describe("BCELoss at probabilities exactly 0 and 1 (item 3)", () => {
  it("loss and input gradient equal PyTorch's for every reduction, with and without weight", () => {
    const g = golden.bce;
    for (const [name, c] of Object.entries(g.cases)) {
      const [reduction, weighted] = name.split("_") as ["mean" | "sum" | "none", string];
      const x = dec(g.x).requiresGrad_(true);
      const loss = F.binaryCrossEntropy(x, dec(g.y), {
        reduction,
        weight: weighted === "1" ? dec(g.w) : null,
      });
      loss.backward(dec(c.gy));
      assertClose(loss, c.loss, `${name} loss`, 1e-6, 1e-6);
      assertClose(x.grad!, c.grad, `${name} grad`, 1e-6, 0);
    }
  });

  it("a saturated Sigmoid + BCELoss model trains to PyTorch's finite weights", () => {
    const g = golden.bce.sat;
    const lin = new nn.Linear(2, 1);
    lin.loadStateDict(decState(g.init));
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const lossFn = new nn.BCELoss();
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      const loss = lossFn.forward(lin.forward(dec(g.x)).sigmoid(), dec(g.y));
      loss.backward();
      opt.step();
      assert.ok(
        Math.abs((loss.item() as number) - g.losses[i]!) <= 1e-5 * g.losses[i]!,
        `step ${i}`,
      );
    }
    for (const [k, v] of Object.entries(lin.stateDict()))
      assertClose(v, g.final[k]!, k, 1e-5, 1e-5);
  });
});

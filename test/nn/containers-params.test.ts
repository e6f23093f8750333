// nn.ParameterList and nn.ParameterDict: registration under PyTorch's state-dict keys, repr,
// forward/backward through a module holding them (against PyTorch 1.13, tools/golden/nn_misc.py
// case "holder"), and the list/dict API (append, extend, insert, get, set, pop, update, ...).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  IndexError,
  KilnError,
  nn,
  ones,
  randn,
  slice,
  type Tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";
import { assertClose, dec, decState, type Enc, loadGolden } from "./golden.ts";

interface Case {
  name: string;
  repr: string;
  state: Record<string, Enc>;
  steps: { inputs: Enc[]; gy: Enc; output: Enc; grad_inputs: Enc[]; grads: Record<string, Enc> }[];
}

/** The Holder module of tools/golden/nn_misc.py. */
class Holder extends nn.Module {
  pl = new nn.ParameterList([new nn.Parameter(randn(3, 2)), randn(2)]);
  pd = new nn.ParameterDict({ shift: randn(2), scale: new nn.Parameter(randn(2)) });
  single = new nn.ParameterList([new nn.Parameter(randn(4).double())]);
  override forward(x: Tensor): Tensor {
    const y = x
      .matmul(this.pl.get(0))
      .add(this.pl.get(1))
      .mul(this.pd.get("scale"))
      .add(this.pd.get("shift"));
    return y.mul(this.single.get(0).index(slice(null, 2)).float());
  }
}

const golden = loadGolden<{ torch: string; cases: Case[] }>("nn_misc.json");

describe(`ParameterList and ParameterDict vs PyTorch ${golden.torch}`, () => {
  it("a module holding them: repr, state-dict keys, forward and gradients", () => {
    const c = golden.cases.find((x) => x.name === "holder")!;
    const m = new Holder();
    assert.equal(m.toString(), c.repr);
    assert.deepEqual(Object.keys(m.stateDict()), Object.keys(c.state));
    m.loadStateDict(decState(c.state));
    const s = c.steps[0]!;
    const x = dec(s.inputs[0]!).requiresGrad_(true);
    const y = m.call(x);
    assertClose(y, s.output, "output");
    y.mul(dec(s.gy)).sum().backward();
    assertClose(x.grad!, s.grad_inputs[0]!, "input grad");
    const named = Object.fromEntries(m.namedParameters());
    assert.deepEqual(Object.keys(named), Object.keys(s.grads));
    for (const [n, g] of Object.entries(s.grads)) assertClose(named[n]!.grad!, g, `grad ${n}`);
  });
});

describe("ParameterList", () => {
  it("wraps tensors as Parameters and numbers them, as PyTorch", () => {
    const t = zeros(2);
    const pl = new nn.ParameterList([t]);
    assert.ok(pl.get(0) instanceof nn.Parameter);
    assert.equal(pl.get(0).requiresGrad, true, "Parameter(t) requires grad");
    const p = new nn.Parameter(ones(3), false);
    pl.append(p).extend([zeros(1), zeros(4)]);
    assert.equal(pl.length, 4);
    assert.equal(pl.get(1), p, "a Parameter is kept as is");
    assert.equal(pl.get(-1).shape[0], 4);
    assert.deepEqual(Object.keys(pl.stateDict()), ["0", "1", "2", "3"]);
    assert.deepEqual(
      [...pl].map((q) => q.shape[0]),
      [2, 3, 1, 4],
    );
    assert.equal(pl.parameters().length, 4);
  });

  it("insert renumbers, set replaces, slice shares", () => {
    const pl = new nn.ParameterList([zeros(1), zeros(2)]);
    pl.insert(0, zeros(3));
    pl.insert(-1, zeros(4));
    assert.deepEqual(
      [...pl].map((q) => q.shape[0]),
      [3, 1, 4, 2],
    );
    assert.deepEqual(Object.keys(pl.stateDict()), ["0", "1", "2", "3"]);
    pl.set(-1, zeros(5));
    assert.equal(pl.get(3).shape[0], 5);
    const part = pl.slice(1, 3);
    assert.equal(part.get(0), pl.get(1));
    assert.equal(part.length, 2);
  });

  it("prints each parameter's dtype and size, as PyTorch", () => {
    assert.equal(new nn.ParameterList().toString(), "ParameterList()");
    assert.equal(
      new nn.ParameterList([zeros([2, 3], { dtype: "float64" })]).toString(),
      "ParameterList(  (0): Parameter containing: [torch.float64 of size 2x3])",
    );
  });

  it("refuses non-tensors, bad indices and being called", () => {
    const pl = new nn.ParameterList([zeros(1)]);
    assert.throws(() => pl.append(3 as never), ValueError);
    assert.throws(() => pl.extend(zeros(2) as never), ValueError);
    assert.throws(() => pl.get(1), IndexError);
    assert.throws(
      () => pl.call(),
      (e: unknown) => e instanceof KilnError && /should not be called/.test(String(e)),
    );
    assert.throws(
      () => new (nn.ParameterList as new (...a: unknown[]) => unknown)([zeros(1)], 2),
      ValueError,
    );
  });
});

describe("ParameterDict", () => {
  it("orders a plain object's keys sorted (PyTorch 1.13's dict update) and pairs as given", () => {
    assert.deepEqual(new nn.ParameterDict({ b: zeros(1), a: zeros(1) }).keys(), ["a", "b"]);
    const pairs: [string, Tensor][] = [
      ["b", zeros(1)],
      ["a", zeros(1)],
    ];
    assert.deepEqual(new nn.ParameterDict(pairs).keys(), ["b", "a"]);
    assert.deepEqual(new nn.ParameterDict(new Map(pairs)).keys(), ["b", "a"]);
    assert.deepEqual(new nn.ParameterDict(new nn.ParameterDict(pairs)).keys(), ["b", "a"]);
  });

  it("get, set, has, pop, setdefault, update, clear, copy", () => {
    const pd = new nn.ParameterDict();
    pd.set("w", zeros(2));
    assert.ok(pd.get("w") instanceof nn.Parameter);
    assert.equal(pd.get("missing", null), null);
    assert.throws(() => pd.get("missing"), ValueError);
    assert.ok(pd.has("w") && !pd.has("v"));
    const v = pd.setdefault("v", ones(1));
    assert.equal(pd.setdefault("v", zeros(3)), v, "an existing key keeps its parameter");
    pd.update([["u", zeros(4)]]);
    assert.deepEqual(pd.keys(), ["w", "v", "u"]);
    assert.deepEqual(Object.keys(pd.stateDict()), ["w", "v", "u"]);
    const copy = pd.copy();
    assert.equal(copy.get("u"), pd.get("u"));
    assert.equal(pd.pop("v"), v);
    assert.deepEqual([...pd], ["w", "u"]);
    assert.equal(pd.length, 2);
    pd.clear();
    assert.equal(pd.length, 0);
    assert.equal(copy.length, 3, "the copy keeps its own keys");
  });

  it("prints PyTorch's tensor type names", () => {
    const pd = new nn.ParameterDict([["x", zeros([2], { dtype: "float64" })]]);
    assert.equal(
      pd.toString(),
      "ParameterDict(  (x): Parameter containing: [torch.DoubleTensor of size 2])",
    );
  });

  it("refuses keys with a dot, non-tensors and being called", () => {
    const pd = new nn.ParameterDict();
    assert.throws(() => pd.set("a.b", zeros(1)), ValueError);
    assert.throws(() => pd.set("a", "x" as never), ValueError);
    assert.throws(() => pd.update(3 as never), ValueError);
    assert.throws(() => pd.update([["a"]] as never), ValueError);
    assert.throws(() => pd.call(), /should not be called/);
  });
});

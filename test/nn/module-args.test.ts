// Module's methods and the containers take PyTorch's positional arguments (API.md, rule 2), and
// refuse what they do not understand instead of ignoring it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  data,
  Generator,
  getBackend,
  io,
  isGradEnabled,
  manualSeed,
  nn,
  noGrad,
  ones,
  optim,
  promoteTypes,
  setNumThreads,
  slice,
  tensor,
  ValueError,
} from "../../src/index.ts";

class Net extends nn.Module {
  fc = new nn.Linear(2, 2);
  inner = new nn.Sequential(new nn.Linear(2, 1));
}

describe("Module methods accept PyTorch's positional arguments", () => {
  it("loadStateDict(sd, false) is non-strict, as load_state_dict(sd, False)", () => {
    const net = new Net();
    const sd = { "fc.weight": ones(2, 2), extra: ones(1) };
    const r = net.loadStateDict(sd, false);
    assert.deepEqual(r.unexpectedKeys, ["extra"]);
    assert.deepEqual(r.missingKeys, ["fc.bias", "inner.0.weight", "inner.0.bias"]);
    assert.deepEqual(net.fc.weight.toArray(), [
      [1, 1],
      [1, 1],
    ]);
    assert.throws(() => net.loadStateDict(sd, true), /Unexpected key\(s\) in state_dict: "extra"/);
  });

  it("train(false), zeroGrad(false), parameters(false), namedParameters(prefix, recurse)", () => {
    const net = new Net();
    assert.equal(net.train(false).training, false);
    assert.equal(net.inner.training, false);
    net.train(true);
    assert.equal(net.inner.training, true);
    net.fc.forward(ones(1, 2)).sum().backward();
    net.zeroGrad(false);
    // set_to_none=False keeps a zero tensor
    assert.deepEqual(net.fc.bias!.grad?.toArray(), [0, 0]);
    net.zeroGrad(true);
    assert.equal(net.fc.bias!.grad, null);
    assert.equal(net.parameters(false).length, 0);
    assert.equal(net.fc.parameters(false).length, 2);
    assert.deepEqual(
      net.namedParameters("m", false).map(([n]) => n),
      [],
    );
    assert.deepEqual(
      net.fc.namedParameters("m", false).map(([n]) => n),
      ["m.weight", "m.bias"],
    );
    assert.equal(net.requiresGrad_(false).fc.weight.requiresGrad, false);
  });

  it("registerBuffer(name, tensor, false) registers a non-persistent buffer", () => {
    const net = new Net();
    net.registerBuffer("scale", tensor([2]), false);
    assert.equal(net.buffers().length, 1);
    assert.equal(Object.keys(net.stateDict()).includes("scale"), false);
  });

  it("throws a ValueError naming what it does not understand", () => {
    const net = new Net() as unknown as Record<string, (...a: unknown[]) => unknown>;
    const cases: [() => unknown, RegExp][] = [
      [() => net.stateDict!("pre"), /Module.stateDict: takes 0 positional arguments/],
      [() => net.stateDict!({ keep_vars: true }), /unknown option "keep_vars".*"keepVars"/],
      [() => net.loadStateDict!({}, { strict: false, assign: true }), /unknown option "assign"/],
      [() => net.loadStateDict!({}, "no"), /argument "strict" must be a boolean/],
      [() => net.train!(1), /argument "mode" must be a boolean/],
      [() => net.eval!(false), /Module.eval: takes 0 arguments/],
      [() => net.zeroGrad!({ set_to_none: false }), /unknown option "set_to_none"/],
      [() => net.parameters!(true, true), /takes 1 positional argument/],
      // PyTorch's Module.to(dtype, non_blocking) takes two; a third is refused there too.
      [() => net.to!("float64", true, 3), /takes 2 positional arguments \(dtype, nonBlocking\)/],
      [() => new nn.Sequential(new nn.ReLU(), "x" as never), /argument 1 must be a Module/],
      [
        () => new (nn.ModuleList as unknown as new (...a: unknown[]) => unknown)([], []),
        /nn.ModuleList: takes 1 argument/,
      ],
    ];
    for (const [f, re] of cases)
      assert.throws(f, (e: unknown) => e instanceof ValueError && re.test(String(e)));
  });
});

describe("root functions refuse what they do not understand", () => {
  const pt = fileURLToPath(new URL("../golden/io-torch/huge-view-2p31.pt", import.meta.url));
  it("seeds, grad modes, threads, Parameter, Buffer, loadTorch", () => {
    const loose = <F>(f: F) => f as unknown as (...a: unknown[]) => unknown;
    const cases: [() => unknown, RegExp][] = [
      [() => manualSeed("1" as never), /manualSeed: seed must be an integer, got "1"/],
      [() => new Generator(1.5), /Generator: seed must be an integer, got 1.5/],
      [() => loose(noGrad)(), /noGrad: expected one argument/],
      [() => loose(noGrad)(() => 1, 2), /noGrad: expected one argument/],
      [() => loose(setNumThreads)(1, 2), /setNumThreads: takes 1 argument/],
      [() => new nn.Parameter(ones(1), "yes" as never), /"requiresGrad" must be a boolean/],
      [
        () => new (nn.Buffer as never as new (...a: unknown[]) => unknown)(ones(1), false),
        /nn.Buffer: takes 1 positional/,
      ],
      [() => io.loadTorch(pt, "cuda" as never), /"mapLocation" must be one of "cpu"/],
      [() => io.loadTorch(pt, { weights_only: true } as never), /unknown option "weights_only"/],
      [() => loose(getBackend)("native"), /getBackend: takes 0 arguments/],
      [() => loose(isGradEnabled)(true), /isGradEnabled: takes 0 arguments/],
      [() => loose(promoteTypes)("int32", "float32", "float64"), /promoteTypes: takes 2/],
      [() => loose(slice)(0, 1, 1, 2), /slice: takes 3 arguments/],
      [() => loose(data.defaultCollate)([], 1), /defaultCollate: takes 1 argument/],
      [
        () => nn.summary(new nn.Linear(2, 2), [1, 2], { dtyp: "float64" } as never),
        /unknown option "dtyp"/,
      ],
      [() => loose(optim.sgd)([], [], [], {}, 1), /optim.sgd: takes 4 arguments/],
    ];
    for (const [f, re] of cases)
      assert.throws(f, (e: unknown) => e instanceof ValueError && re.test(String(e)));
    // torch.load(path, map_location="cpu") and torch.load(path, "cpu") both load
    assert.deepEqual((io.loadTorch(pt, "cpu") as { x: { shape: number[] } }).x.shape, [2 ** 31]);
    assert.deepEqual(io.loadTorch<{ x: { shape: number[] } }>(pt, { mapLocation: "cpu" }).x.shape, [
      2 ** 31,
    ]);
    assert.equal(new nn.Parameter(ones(1), false).requiresGrad, false);
  });
});

// nn.Module semantics: automatic registration in field order (under tsx and under tsc's
// emit), reassignment, register* methods, traversal, modes, grads, state dicts, hooks, repr.

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";
import {
  KilnError,
  manualSeed,
  nn,
  ones,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from "../../src/index.ts";

class Net extends nn.Module {
  fc1 = new nn.Linear(4, 3);
  bn = new nn.BatchNorm1d(3);
  scale = new nn.Parameter(ones(1));
  layers = new nn.ModuleList([new nn.Linear(3, 3), new nn.ReLU()]);
  notRegistered = zeros(2);
  override forward(x: Tensor): Tensor {
    let h = this.bn.call(this.fc1.call(x)).mul(this.scale);
    for (const l of this.layers) h = l.call(h) as Tensor;
    return h;
  }
}

describe("nn.Module registration", () => {
  it("fields register in order with dotted PyTorch names; plain tensors do not", () => {
    const n = new Net();
    assert.deepEqual(
      n.namedParameters().map(([k]) => k),
      [
        "scale",
        "fc1.weight",
        "fc1.bias",
        "bn.weight",
        "bn.bias",
        "layers.0.weight",
        "layers.0.bias",
      ],
    );
    assert.deepEqual(Object.keys(n.stateDict()), [
      "scale",
      "fc1.weight",
      "fc1.bias",
      "bn.weight",
      "bn.bias",
      "bn.running_mean",
      "bn.running_var",
      "bn.num_batches_tracked",
      "layers.0.weight",
      "layers.0.bias",
    ]);
    assert.deepEqual(
      n.namedChildren().map(([k]) => k),
      ["fc1", "bn", "layers"],
    );
    assert.deepEqual(
      n.namedModules().map(([k]) => k),
      ["", "fc1", "bn", "layers", "layers.0", "layers.1"],
    );
    assert.deepEqual(
      n.namedBuffers().map(([k]) => k),
      ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"],
    );
    assert.equal(n.buffers().length, 3);
    assert.equal(n.children().length, 3);
    assert.equal(n.modules().length, 6);
  });

  it("reassignment replaces the registration in place; null keeps the slot; other values throw", () => {
    const n = new Net();
    const fresh = new nn.Linear(4, 5);
    n.fc1 = fresh;
    assert.equal(n.namedChildren()[0]![1], fresh);
    assert.deepEqual(n.namedParameters()[1]![1].shape, [5, 4]);
    (n as { fc1: nn.Module | null }).fc1 = null;
    assert.ok(!n.namedParameters().some(([k]) => k.startsWith("fc1")));
    assert.throws(() => {
      (n as unknown as { scale: Tensor }).scale = zeros(1);
    }, ValueError);
    n.scale = new nn.Parameter(ones(2));
    assert.deepEqual(n.parameters()[0]!.shape, [2]);
    delete (n as { layers?: unknown }).layers;
    assert.ok(!n.namedModules().some(([k]) => k.startsWith("layers")));
  });

  it("registerModule / registerParameter / registerBuffer for run-time names, persistent or not", () => {
    const m = new nn.Module();
    for (let i = 0; i < 3; i++) m.registerModule(`block${i}`, new nn.Linear(2, 2));
    m.registerParameter("alpha", new nn.Parameter(zeros(1)));
    m.registerBuffer("steps", tensor(0));
    m.registerBuffer("cache", zeros(2), { persistent: false });
    assert.deepEqual(Object.keys(m.stateDict()), [
      "alpha",
      "steps",
      "block0.weight",
      "block0.bias",
      "block1.weight",
      "block1.bias",
      "block2.weight",
      "block2.bias",
    ]);
    assert.deepEqual(
      m.namedBuffers().map(([k]) => k),
      ["steps", "cache"],
    );
    assert.ok((m as unknown as { block1: nn.Module }).block1 instanceof nn.Linear);
    (m as unknown as { steps: Tensor }).steps = tensor(5);
    assert.equal(m.stateDict().steps!.item(), 5);
    assert.throws(() => m.registerParameter("bad", zeros(1) as nn.Parameter), ValueError);
    assert.throws(() => m.registerModule("a.b", new nn.ReLU()), ValueError);
    assert.throws(() => m.forward(zeros(1)), KilnError);
  });

  it("a Buffer held in a field registers as a buffer", () => {
    class WithBuffer extends nn.Module {
      mask = new nn.Buffer(ones(3));
      tmp = new nn.Buffer(zeros(1), { persistent: false });
    }
    const w = new WithBuffer();
    assert.deepEqual(Object.keys(w.stateDict()), ["mask"]);
    assert.equal(w.buffers().length, 2);
  });

  it("registration works on tsc's emit of the same class (ES2022 [[Define]] class fields)", async () => {
    const nnPath = pathToFileURL(
      fileURLToPath(new URL("../../src/nn/index.ts", import.meta.url)),
    ).href;
    const source = `import * as nn from ${JSON.stringify(nnPath)};
      export class NeuralNet extends nn.Module {
        fc1 = new nn.Linear(784, 128);
        fc2 = new nn.Linear(128, 10);
        forward(x: any) { return this.fc2.forward(this.fc1.forward(x).relu()); }
      }`;
    const js = ts.transpileModule(source, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 },
    }).outputText;
    assert.match(js, /fc1 = new nn.Linear/);
    const file = join(mkdtempSync(join(tmpdir(), "kiln-nn-")), "net.mjs");
    writeFileSync(file, js);
    const mod = (await import(pathToFileURL(file).href)) as { NeuralNet: new () => nn.Module };
    const net = new mod.NeuralNet();
    assert.deepEqual(Object.keys(net.stateDict()), [
      "fc1.weight",
      "fc1.bias",
      "fc2.weight",
      "fc2.bias",
    ]);
    assert.deepEqual((net.call(randn(2, 784)) as Tensor).shape, [2, 10]);
  });
});

describe("nn.Module behaviour", () => {
  it("train/eval recurse; training flag", () => {
    const n = new Net();
    n.eval();
    assert.ok(n.modules().every((m) => !m.training));
    n.train();
    assert.ok(n.modules().every((m) => m.training));
    assert.equal(n.train(false), n);
  });

  it("zeroGrad sets grads to null by default, or zeroes them", () => {
    const n = new Net();
    n.call(randn(5, 4)).sum().backward();
    assert.ok(n.parameters().every((p) => p.grad !== null));
    n.zeroGrad({ setToNone: false });
    assert.ok(n.parameters().every((p) => p.grad !== null && p.grad.abs().sum().item() === 0));
    n.zeroGrad();
    assert.ok(n.parameters().every((p) => p.grad === null));
  });

  it("apply visits children first, then the module; requiresGrad_ freezes", () => {
    const n = new Net();
    const seen: string[] = [];
    n.apply((m) => seen.push(m.constructor.name));
    assert.deepEqual(seen, ["Linear", "BatchNorm1d", "Linear", "ReLU", "ModuleList", "Net"]);
    n.requiresGrad_(false);
    assert.ok(n.parameters().every((p) => !p.requiresGrad));
  });

  it("to(float64) casts parameters and float buffers in place, keeping the objects", () => {
    const n = new Net();
    const w = n.fc1.weight;
    n.to("float64");
    assert.equal(n.fc1.weight, w);
    assert.equal(w.dtype, "float64");
    assert.equal(n.stateDict()["bn.running_mean"]!.dtype, "float64");
    assert.equal(n.stateDict()["bn.num_batches_tracked"]!.dtype, "int64");
    assert.equal(n.call(randn(3, 4, { dtype: "float64" })).dtype, "float64");
    assert.throws(() => n.to("int32"), ValueError);
  });

  it("loadStateDict: strict errors name missing and unexpected keys; non-strict reports them", () => {
    const n = new Net();
    const sd = n.stateDict();
    delete sd["fc1.bias"];
    sd["extra.weight"] = zeros(1);
    assert.throws(
      () => n.loadStateDict(sd),
      (e: Error) => {
        assert.ok(e instanceof ValueError);
        assert.match(e.message, /Missing key\(s\) in state_dict: "fc1\.bias"/);
        assert.match(e.message, /Unexpected key\(s\) in state_dict: "extra\.weight"/);
        return true;
      },
    );
    const r = n.loadStateDict(sd, { strict: false });
    assert.deepEqual(r, { missingKeys: ["fc1.bias"], unexpectedKeys: ["extra.weight"] });
    const bad = n.stateDict();
    bad["fc1.weight"] = zeros(2, 2);
    assert.throws(
      () => n.loadStateDict(bad),
      /size mismatch for fc1\.weight: copying a param with shape \[2, 2\]/,
    );
    assert.throws(() => n.loadStateDict(bad), ShapeError);
    const m = new Map(Object.entries(new Net().stateDict()));
    assert.deepEqual(n.loadStateDict(m), { missingKeys: [], unexpectedKeys: [] });
  });

  it("forward hooks and pre-hooks run through call(), can replace values, and can be removed", () => {
    const fc = new nn.Linear(2, 2);
    const log: string[] = [];
    const pre = fc.registerForwardPreHook((_m, args) => {
      log.push("pre");
      return [(args[0] as Tensor).mul(0)];
    });
    const post = fc.registerForwardHook((_m, _args, out) => {
      log.push("post");
      return (out as Tensor).add(1);
    });
    const y = fc.call(ones(1, 2));
    assert.deepEqual(log, ["pre", "post"]);
    assert.deepEqual(y.toArray(), fc.bias!.add(1).reshape(1, 2).toArray());
    fc.forward(ones(1, 2));
    assert.equal(log.length, 2, "forward() bypasses hooks");
    pre.remove();
    post.remove();
    fc.call(ones(1, 2));
    assert.equal(log.length, 2);
  });

  it("Parameter: requiresGrad by default, shares memory, prints like PyTorch", () => {
    const t = zeros(2);
    const p = new nn.Parameter(t);
    assert.ok(p.requiresGrad && p.isLeaf);
    assert.equal(p.storage, t.storage);
    assert.ok(!new nn.Parameter(t, false).requiresGrad);
    assert.match(String(p), /^Parameter containing:\ntensor\(\[0\., 0\.\], requires_grad=True\)$/);
  });

  it("Sequential, ModuleList and ModuleDict behave like PyTorch's containers", () => {
    const seq = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    seq.append(new nn.Linear(3, 1));
    assert.equal(seq.length, 3);
    assert.ok(seq.get(-1) instanceof nn.Linear);
    assert.deepEqual(Object.keys(seq.slice(1).stateDict()), ["1.weight", "1.bias"]);
    assert.deepEqual(seq.call(ones(4, 2)).shape, [4, 1]);
    const named = new nn.Sequential({ conv: new nn.Conv2d(1, 2, 3), act: new nn.ReLU() });
    assert.deepEqual(Object.keys(named.stateDict()), ["conv.weight", "conv.bias"]);
    const list = new nn.ModuleList([new nn.ReLU(), new nn.Tanh()]);
    list.insert(1, new nn.Linear(1, 1));
    assert.deepEqual(
      list.namedChildren().map(([k, m]) => `${k}:${m.constructor.name}`),
      ["0:ReLU", "1:Linear", "2:Tanh"],
    );
    const dict = new nn.ModuleDict({ keys: new nn.Linear(1, 1), b: new nn.ReLU() });
    assert.deepEqual(dict.keys(), ["keys", "b"], "a child named like a method does not shadow it");
    assert.ok(dict.has("b"));
    dict.pop("b");
    assert.deepEqual(Object.keys(dict.stateDict()), ["keys.weight", "keys.bias"]);
  });

  it("Sequential.forward is PyTorch's loop: the modules' own values, gradients and graph", () => {
    // No module class is privileged: the output, the gradients and the graph are those of
    // calling each module in turn; hooks see every output as it was; and an intermediate stays
    // readable after backward (nothing is run in place or freed behind the user's back).
    const build = () => {
      manualSeed(5);
      return new nn.Sequential(
        new nn.Conv2d(2, 3, 3, { padding: 1 }),
        new nn.ReLU(),
        new nn.BatchNorm2d(3),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Linear(12, 5),
        new nn.ReLU(),
        new nn.Linear(5, 2),
      );
    };
    manualSeed(6);
    const x = randn([4, 2, 4, 4]);
    const run = (seq: nn.Sequential, chained: boolean) => {
      let y: Tensor = x;
      if (chained) for (const m of seq.children()) y = m.call(y) as Tensor;
      else y = seq.forward(x);
      y.sum().backward();
      return [y, ...seq.parameters().map((p) => p.grad!)].map((t) => t.toArray());
    };
    const want = run(build(), true);
    assert.deepEqual(run(build(), false), want);
    // the same graph: the names along each node's first input, from the output down
    const chain = (y: Tensor) => {
      const names: string[] = [];
      for (let n = y.gradFn; n !== null; n = n.next[0] ?? null) names.push(n.name);
      return names;
    };
    const seq = build();
    let chained: Tensor = x;
    for (const m of seq.children()) chained = m.call(chained) as Tensor;
    assert.deepEqual(chain(seq.forward(x)), chain(chained));
    assert.ok(chain(chained).includes("ReluBackward0"));
    // A hook on the first layer sees its output with its negatives, and can read it after
    // backward: the following ReLU did not overwrite it, and nothing freed it.
    const hooked = build();
    let seen: Tensor | null = null;
    hooked.get(0).registerForwardHook((_m, _a, out) => {
      seen = out as Tensor;
    });
    assert.deepEqual(run(hooked, false), want);
    assert.ok(Number((seen as unknown as Tensor).min().item()) < 0);
  });

  it("summary lists layers, output shapes and parameter counts, and leaves modes alone", () => {
    const n = new Net();
    const text = nn.summary(n, [2, 4]);
    assert.match(text, /fc1 \(Linear\)\s+\[2, 3\]\s+15/);
    assert.match(text, /layers\.1 \(ReLU\)\s+\[2, 3\]\s+0/);
    assert.match(text, /Total params: 34/);
    assert.equal(n.stateDict()["bn.num_batches_tracked"]!.item(), 0);
    assert.ok(n.training);
  });
});

// save(obj, f) / load(f) at the root, in torch.save's order, through PyTorch 1.13: Kiln saves a
// state dict and a nested {model, epoch} checkpoint that torch.load (weights_only too) reads back
// with the same values, and Kiln loads torch_saved.pt written by tools/golden/devices.py.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { device } from "../../src/core/device.ts";
import { DeviceError, ValueError } from "../../src/core/errors.ts";
import { load, save } from "../../src/io/torch/save-load.ts";
import { Linear } from "../../src/nn/layers/linear.ts";
import { tensor } from "../../src/ops/creation.ts";
import type { Tensor } from "../../src/tensor/tensor.ts";

const GOLDEN = path.join(import.meta.dirname, "..", "golden", "devices");
const golden = JSON.parse(fs.readFileSync(path.join(GOLDEN, "devices.json"), "utf8")) as {
  torchSaved: {
    model: Record<string, { dtype: string; shape: number[]; values: number[] }>;
    epoch: number;
    lr: number;
    name: string;
    steps: number[];
  };
};

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;

// Loads each file with torch.load (full and weights_only) and prints a JSON mirror of it.
// NOTE: PyTorch 1.13's weights_only unpickler lacks BINFLOAT (opcode 71), so it refuses any file
// holding a Python float, its own torch.save({"lr": 0.5}) included; READ reports that.
const READ = `
import json, pickle, sys, torch
def mirror(v):
    if isinstance(v, torch.Tensor):
        return {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                "values": v.double().flatten().tolist() if v.dtype != torch.bool else v.flatten().tolist()}
    if isinstance(v, dict):
        return {"__dict__": type(v).__name__, "items": [[k, mirror(x)] for k, x in v.items()]}
    if isinstance(v, (list, tuple)):
        return [mirror(x) for x in v]
    return v
out = []
for f in sys.argv[1:]:
    full = torch.load(f)
    try:
        safe = torch.load(f, weights_only=True)
        assert mirror(full) == mirror(safe), f
        out.append({"value": mirror(full), "weightsOnly": True})
    except pickle.UnpicklingError:
        out.append({"value": mirror(full), "weightsOnly": False})
print(json.dumps(out))
`;

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "kiln-save-"));

function tensorMirror(t: Tensor): { dtype: string; shape: number[]; values: unknown[] } {
  const torchDtype = t.dtype === "int32" ? "int64" : t.dtype;
  const flat = t.reshape(-1).tolist() as unknown[];
  return { dtype: torchDtype, shape: [...t.shape], values: flat };
}

describe("save / load at the root", {
  skip: hasTorch ? false : "needs PyTorch at /usr/bin/python3",
}, () => {
  test("PyTorch's torch.load reads a state dict and a nested checkpoint Kiln saved", () => {
    const dir = tmp();
    const model = new Linear(3, 2);
    const sd = model.stateDict();
    const extra = {
      steps: tensor([1, 2, 3], { dtype: "int32" }),
      mask: tensor([true, false]),
      scale: tensor(0.25, { dtype: "float64" }),
    };
    const sdFile = path.join(dir, "sd.pt");
    const ckptFile = path.join(dir, "ckpt.pt");
    save({ ...sd, ...extra }, sdFile);
    save({ model: sd, epoch: 3, lr: 0.5, name: "run" }, ckptFile);

    const r = spawnSync(PYTHON, ["-c", READ, sdFile, ckptFile], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const [sdRead, ckptRead] = JSON.parse(r.stdout);
    assert.equal(sdRead.weightsOnly, true, "a state dict loads with weights_only=True");
    assert.equal(ckptRead.weightsOnly, false, "PyTorch 1.13 refuses BINFLOAT under weights_only");
    const pySd = sdRead.value;
    const pyCkpt = ckptRead.value;

    const sdMirror = {
      __dict__: "OrderedDict",
      items: Object.entries({ ...sd, ...extra }).map(([k, t]) => [k, tensorMirror(t)]),
    };
    assert.deepEqual(pySd, sdMirror);
    assert.deepEqual(pyCkpt, {
      __dict__: "OrderedDict",
      items: [
        [
          "model",
          { __dict__: "dict", items: Object.entries(sd).map(([k, t]) => [k, tensorMirror(t)]) },
        ],
        ["epoch", 3],
        ["lr", 0.5],
        ["name", "run"],
      ],
    });
    // and back: Kiln reads what it wrote
    const back = load<{ model: Record<string, Tensor>; epoch: number }>(ckptFile);
    assert.equal(back.epoch, 3);
    assert.deepEqual(back.model.weight!.tolist(), sd.weight!.tolist());
  });
});

describe("load of a file PyTorch saved", () => {
  test("the nested checkpoint of tools/golden/devices.py, with mapLocation cpu", () => {
    const f = path.join(GOLDEN, "torch_saved.pt");
    for (const ckpt of [
      load<Record<string, unknown>>(f),
      load<Record<string, unknown>>(f, "cpu"),
      load<Record<string, unknown>>(f, device("cpu"), { weightsOnly: true }),
      load<Record<string, unknown>>(fs.readFileSync(f), { mapLocation: "cpu:0" }),
    ]) {
      const want = golden.torchSaved;
      assert.deepEqual(Object.keys(ckpt), ["model", "epoch", "lr", "name", "steps"]);
      assert.equal(ckpt.epoch, want.epoch);
      assert.equal(ckpt.lr, want.lr);
      assert.equal(ckpt.name, want.name);
      assert.deepEqual(ckpt.steps, want.steps);
      const model = ckpt.model as Record<string, Tensor>;
      assert.deepEqual(Object.keys(model), Object.keys(want.model));
      for (const [k, w] of Object.entries(want.model)) {
        const t = model[k]!;
        assert.equal(t.dtype, w.dtype, k);
        assert.deepEqual([...t.shape], w.shape, k);
        assert.deepEqual(t.double().reshape(-1).tolist(), w.values, k);
      }
    }
  });

  test("arguments in torch's order; other devices and unknown options throw", () => {
    const f = path.join(GOLDEN, "torch_saved.pt");
    assert.throws(() => load(f, "cuda"), DeviceError);
    assert.throws(() => load(f, { mapLocation: "cuda:0" }), /load: device "cuda:0"/);
    assert.throws(() => load(f, { bogus: 1 } as never), ValueError);
    // save(f, obj), io.saveTorch's order, is caught: f must be a string
    assert.throws(() => save("x.pt", tensor([1]) as never), /save: argument "f" must be a string/);
    assert.throws(() => save("x.pt" as never, { a: tensor([1]) } as never), ValueError);
  });
});

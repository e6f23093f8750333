// Optimizer state dicts in PyTorch's .pt format, both ways (tools/golden/optim_more.py):
// load() of a checkpoint {model, optimizer, epoch} that torch.save wrote, then training continues
// with PyTorch's numbers; and save() of Kiln's {model, optimizer, epoch}, which PyTorch 1.13's
// torch.load + load_state_dict accept (int state keys, step tensors, betas tuples) and continue
// from with the same numbers.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { load, nn, optim, save, type Tensor, tensor } from "../../src/index.ts";

type Nested = number | Nested[];
const GOLDEN = path.join(import.meta.dirname, "..", "golden", "optim");
const mlp = JSON.parse(fs.readFileSync(path.join(GOLDEN, "more_optimizers.json"), "utf8")).problems
  .mlp as {
  params: Record<string, Nested>;
  data: Record<string, Nested>;
};
const fx = JSON.parse(fs.readFileSync(path.join(GOLDEN, "more_ckpt.json"), "utf8")) as {
  torch_version: string;
  before: number;
  cases: Record<string, { options: Record<string, unknown>; after: Record<string, Nested>[] }>;
};

const PYTHON = "/usr/bin/python3";
const hasTorch = spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;

function makeModel(): nn.Sequential {
  const m = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
  const p = mlp.params;
  m.loadStateDict({
    "0.weight": tensor(p.w1!),
    "0.bias": tensor(p.b1!),
    "2.weight": tensor(p.w2!),
    "2.bias": tensor(p.b2!),
  });
  return m;
}

type Name = keyof typeof optim & string;
function makeOptimizer(
  name: string,
  m: nn.Sequential,
  options: Record<string, unknown>,
): optim.Optimizer {
  const lr = options.lr as number;
  const groups = [
    { params: (m.get(0) as nn.Module).parameters() },
    { params: (m.get(2) as nn.Module).parameters(), lr: lr / 2 },
  ];
  const Ctor = optim[name as Name] as unknown as new (p: unknown, o: unknown) => optim.Optimizer;
  return new Ctor(groups, options);
}

function trainStep(m: nn.Sequential, opt: optim.Optimizer): void {
  const closure = (): Tensor => {
    opt.zeroGrad();
    const loss = (m.call(tensor(mlp.data.X!)) as Tensor).sub(tensor(mlp.data.Y!)).pow(2).mean();
    loss.backward();
    return loss;
  };
  opt.step(closure);
}

function flat(v: Nested): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v];
}

// float32 steps: a few ulps between PyTorch's and Kiln's rounding orders (test/optim tolerances).
function assertClose(
  got: Record<string, Nested | Tensor>,
  want: Record<string, Nested>,
  what: string,
) {
  for (const [k, w] of Object.entries(want)) {
    const g = got[k]!;
    const gv =
      g instanceof Object && "dataSync" in g
        ? Array.from((g as Tensor).dataSync())
        : flat(g as Nested);
    flat(w).forEach((x, i) => {
      assert.ok(
        Math.abs(gv[i]! - x) <= 1e-6 + 1e-5 * Math.abs(x),
        `${what}: ${k}[${i}]: ${gv[i]} vs ${x}`,
      );
    });
  }
}

describe(`optimizer checkpoints written by PyTorch ${fx.torch_version} load and resume`, () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    test(`${name} ${JSON.stringify(c.options)}`, () => {
      const ckpt = load<{
        model: Record<string, Tensor>;
        optimizer: optim.OptimizerStateDictInput;
        epoch: number;
      }>(path.join(GOLDEN, `ckpt_${name}.pt`));
      assert.equal(ckpt.epoch, fx.before);
      assert.ok(ckpt.optimizer.state instanceof Map, "PyTorch's state is keyed by int: a Map");
      const m = makeModel();
      m.loadStateDict(ckpt.model);
      const opt = makeOptimizer(name, m, c.options);
      opt.loadStateDict(ckpt.optimizer);
      c.after.forEach((want, i) => {
        trainStep(m, opt);
        assertClose(m.stateDict(), want, `${name} step ${fx.before + i + 1}`);
      });
    });
  }
});

// Reads each of Kiln's checkpoints with torch.load, checks it has PyTorch's own layout, resumes
// training for the recorded number of steps, and prints the model's state dict after each step.
// One Python process for all files (importing torch takes seconds).
const RESUME = `
import json, sys, torch
sys.path.insert(0, "tools/golden")
import optim_more as om
results = []
for job in json.loads(sys.argv[1]):
    f, name, options, after = job["file"], job["name"], job["options"], job["after"]
    ckpt = torch.load(f)
    m = om.ckpt_model()
    m.load_state_dict(ckpt["model"])
    groups = [{"params": list(m[0].parameters())}, {"params": list(m[2].parameters()), "lr": options["lr"] / 2}]
    if name == "LBFGS":
        groups = list(m.parameters())
    opt = getattr(torch.optim, name)(groups, **om.to_torch(options))
    fresh_keys = [sorted(g.keys()) for g in opt.state_dict()["param_groups"]]
    sd = ckpt["optimizer"]
    layout = {
        "stateKeys": [type(k).__name__ for k in sd["state"]],
        "stepTypes": sorted({type(s["step"]).__name__ for s in sd["state"].values() if "step" in s}),
        "groupKeysMatch": [sorted(g.keys()) for g in sd["param_groups"]] == fresh_keys,
        "params": [g["params"] for g in sd["param_groups"]],
        "betas": [type(g["betas"]).__name__ for g in sd["param_groups"] if "betas" in g],
    }
    opt.load_state_dict(sd)
    out = []
    def closure():
        opt.zero_grad()
        loss = om.ckpt_loss(m)
        loss.backward()
        return loss
    for _ in range(after):
        opt.step(closure)
        out.append({k: v.tolist() for k, v in m.state_dict().items()})
    results.append({"epoch": ckpt["epoch"], "layout": layout, "after": out})
print(json.dumps(results))
`;

const LBFGS_OPTIONS = { lr: 1, lineSearchFn: "strong_wolfe", maxIter: 4, historySize: 3 } as const;

// PyTorch 1.13 keeps `step` as a 0-d tensor for these, as a Python int for the others.
const TENSOR_STEP = new Set(["Adam", "AdamW", "NAdam", "ASGD", "Adagrad"]);

interface PyResume {
  epoch: number;
  layout: {
    stateKeys: string[];
    stepTypes: string[];
    groupKeysMatch: boolean;
    params: number[][];
    betas: string[];
  };
  after: Record<string, Nested>[];
}

describe("optimizer checkpoints written by Kiln load and resume in PyTorch", {
  skip: hasTorch ? false : "needs PyTorch at /usr/bin/python3",
}, () => {
  const names = Object.keys(fx.cases);
  let files: string[] = [];
  let results: PyResume[] | undefined;
  // Kiln trains each case 3 steps and saves {model, optimizer, epoch}; PyTorch then resumes all.
  const resumed = (): PyResume[] => {
    if (results !== undefined) return results;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kiln-optckpt-"));
    files = names.map((name) => {
      const c = fx.cases[name]!;
      const m = makeModel();
      const opt = makeOptimizer(name, m, c.options);
      for (let i = 0; i < fx.before; i++) trainStep(m, opt);
      const file = path.join(dir, `${name}.pt`);
      save({ model: m.stateDict(), optimizer: opt.stateDict(), epoch: fx.before }, file);
      return file;
    });
    // A copy of Adam's dict without the stateDict() tag (`{ ...sd }`) is still recognised by its
    // layout and written with int state keys (PyTorch would otherwise drop its state silently).
    const m = makeModel();
    const opt = makeOptimizer("Adam", m, fx.cases.Adam!.options);
    for (let i = 0; i < fx.before; i++) trainStep(m, opt);
    files.push(path.join(dir, "Adam-untagged.pt"));
    save(
      { model: m.stateDict(), optimizer: { ...opt.stateDict() }, epoch: fx.before },
      files.at(-1)!,
    );
    // LBFGS: 2 steps in Kiln, saved, 2 more in PyTorch and in Kiln.
    const ml = makeModel();
    const lbfgs = new optim.LBFGS(ml.parameters(), LBFGS_OPTIONS);
    for (let i = 0; i < 2; i++) trainStep(ml, lbfgs);
    files.push(path.join(dir, "LBFGS.pt"));
    save({ model: ml.stateDict(), optimizer: lbfgs.stateDict(), epoch: 2 }, files.at(-1)!);
    const jobs = [...names, "Adam", "LBFGS"].map((name, i) => ({
      file: files[i],
      name,
      options: name === "LBFGS" ? LBFGS_OPTIONS : fx.cases[name]!.options,
      after: name === "LBFGS" ? 2 : fx.cases[name]!.after.length,
    }));
    const r = spawnSync(PYTHON, ["-c", RESUME, JSON.stringify(jobs)], {
      encoding: "utf8",
      cwd: path.join(import.meta.dirname, "..", ".."),
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
    });
    assert.equal(r.status, 0, r.stderr);
    results = JSON.parse(r.stdout) as PyResume[];
    return results;
  };
  test("LBFGS (strong Wolfe): PyTorch resumes from Kiln's file as Kiln does", () => {
    const py = resumed()[names.length + 1]!;
    // LBFGS keeps its state on the first parameter: old_dirs, ro (0-d tensors), H_diag, ...
    assert.deepEqual(py.layout.stateKeys, ["int"]);
    const back = load<{ model: Record<string, Tensor>; optimizer: optim.OptimizerStateDictInput }>(
      files[names.length + 1]!,
    );
    const m = makeModel();
    m.loadStateDict(back.model);
    const opt = new optim.LBFGS(m.parameters(), LBFGS_OPTIONS);
    opt.loadStateDict(back.optimizer);
    py.after.forEach((want, i) => {
      trainStep(m, opt);
      // float32 line search: scalars as PyTorch's 0-d tensors, dot products within an ulp or so.
      const got = m.stateDict();
      for (const [k, w] of Object.entries(want)) {
        const g = Array.from(got[k]!.dataSync());
        flat(w).forEach((x, j) => {
          assert.ok(
            Math.abs(g[j]! - x) <= 1e-5 + 1e-4 * Math.abs(x),
            `LBFGS step ${i + 1}: ${k}[${j}]`,
          );
        });
      }
    });
  });

  test("an untagged copy of a stateDict() is written with int state keys", () => {
    const py = resumed()[names.length]!;
    assert.deepEqual(py.layout.stateKeys, ["int", "int", "int", "int"]);
    // Kiln's plain-number steps: PyTorch 1.13's Adam.__setstate__ turns them into tensors.
    assert.deepEqual(py.layout.stepTypes, ["int"]);
    py.after.forEach((step, i) => {
      assertClose(step, fx.cases.Adam!.after[i]!, `untagged Adam: PyTorch resumed, step ${i + 1}`);
    });
  });
  names.forEach((name, k) => {
    const c = fx.cases[name]!;
    test(`${name} ${JSON.stringify(c.options)}`, () => {
      const py = resumed()[k]!;
      assert.equal(py.epoch, fx.before);
      assert.deepEqual(py.layout.stateKeys, ["int", "int", "int", "int"]);
      assert.deepEqual(py.layout.params, [
        [0, 1],
        [2, 3],
      ]);
      assert.ok(py.layout.groupKeysMatch, "param_groups have exactly PyTorch's keys");
      if (name !== "SGD") {
        assert.deepEqual(py.layout.stepTypes, [TENSOR_STEP.has(name) ? "Tensor" : "int"]);
      }
      assert.ok(py.layout.betas.every((t) => t === "tuple"));
      // PyTorch continuing from Kiln's file gives PyTorch's own numbers ...
      py.after.forEach((step, i) => {
        assertClose(step, c.after[i]!, `${name}: PyTorch resumed from Kiln's file, step ${i + 1}`);
      });
      // ... and Kiln reading its own file back continues the same way.
      const back = load<{
        model: Record<string, Tensor>;
        optimizer: optim.OptimizerStateDictInput;
      }>(files[k]!);
      const m2 = makeModel();
      m2.loadStateDict(back.model);
      const opt2 = makeOptimizer(name, m2, c.options);
      opt2.loadStateDict(back.optimizer);
      c.after.forEach((want, i) => {
        trainStep(m2, opt2);
        assertClose(m2.stateDict(), want, `${name}: Kiln resumed from its own file, step ${i + 1}`);
      });
    });
  });
});

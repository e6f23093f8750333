// docs/api-coverage.md (issue 15's measure of PyTorch names in real programs) cannot go stale: it
// must equal what tools/api-coverage/check.ts computes now from tools/api-coverage/uses.json,
// docs/names.json and the current exports. Also pins the name mapping on hand-checked cases.
// No Python and no corpus needed: uses.json holds the extracted names.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { currentReport } from "../../tools/api-coverage/check.ts";
import {
  camel,
  computeCoverage,
  present,
  target,
  type UsesFile,
} from "../../tools/api-coverage/coverage.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const uses = JSON.parse(
  readFileSync(path.join(ROOT, "tools/api-coverage/uses.json"), "utf8"),
) as UsesFile;

test("docs/api-coverage.md is current", () => {
  const md = readFileSync(path.join(ROOT, "docs/api-coverage.md"), "utf8");
  assert.equal(md, currentReport(), "run: npm run api-coverage");
});

test("uses.json names each program's repository commit and its sorted, distinct names", () => {
  assert.ok(uses.programs.length >= 150, `only ${uses.programs.length} programs`);
  for (const p of uses.programs) {
    assert.match(p.commit, /^[0-9a-f]{40}$/, p.path);
    assert.deepEqual(p.names, [...new Set(p.names)].sort(), p.path);
  }
});

test("PyTorch names map to Kiln's namespaces, camelCased (hand-checked cases)", () => {
  const rows = new Map([["torch.no_grad", ["noGrad"]]]);
  const cases: [string, string | null, string][] = [
    ["torch.nn.functional.log_softmax", "nn.functional", "nn.functional.logSoftmax"],
    ["torch.nn.Conv2d", "nn", "nn.Conv2d"],
    ["torch.nn.init.kaiming_normal_", "nn.init", "nn.init.kaimingNormal_"],
    ["torch.nn.utils.clip_grad_norm_", "nn", "nn.utils.clipGradNorm_"],
    ["torch.optim.lr_scheduler.StepLR", "optim.lrScheduler", "optim.lrScheduler.StepLR"],
    ["torch.utils.data.random_split", "data", "data.randomSplit"],
    [
      "torchvision.transforms.functional.to_tensor",
      "data.transforms",
      "data.transforms.functional.toTensor",
    ],
    ["torchvision.datasets.ImageFolder", "data.datasets", "data.datasets.ImageFolder"],
    ["torchvision.models.vgg11_bn", "models", "models.vgg11Bn"],
    ["torch.linalg.matrix_norm", "linalg", "linalg.matrixNorm"],
    ["torch.Tensor.masked_fill_", "Tensor", "Tensor#maskedFill_"],
    ["torch.from_numpy", "torch", "fromNumpy"],
    ["torch.no_grad", "torch", "noGrad"],
    ["torch.long", "dtypes", '"int64"'],
    ["torch.LongTensor", "torch", "LongTensor"],
  ];
  for (const [name, area, kiln] of cases) {
    assert.deepEqual(target(name, uses, rows), { area, kiln: [kiln] }, name);
  }
  assert.equal(target("torch.cuda.is_available", uses, rows).area, null);
  assert.equal(target("torch.utils.data.distributed.DistributedSampler", uses, rows).area, null);
  assert.equal(camel("_calculate_fan_in_and_fan_out"), "_calculateFanInAndFanOut");
});

test("presence walks exports and prototypes, not what every object inherits", () => {
  class T {
    view(): void {}
  }
  const fake = { nn: { functional: { relu: () => 0 } }, Tensor: T };
  assert.ok(present(fake, "nn.functional.relu", []));
  assert.ok(!present(fake, "nn.functional.gelu", []));
  assert.ok(present(fake, "Tensor#view", []));
  assert.ok(!present(fake, "Tensor#toString", []));
  assert.ok(!present(fake, "Tensor.call", []));
  assert.ok(present(fake, '"int64"', ["int64"]));
  assert.ok(!present(fake, '"complex64"', ["int64"]));
});

test("each name counts once per program; outside names are not counted", () => {
  const small: UsesFile = {
    ...uses,
    programs: [
      {
        repo: "r",
        path: "a.py",
        commit: "0".repeat(40),
        names: ["torch.Tensor.view", "torch.zeros"],
      },
      { repo: "r", path: "b.py", commit: "0".repeat(40), names: ["torch.zeros", "torch.cuda.x"] },
    ],
  };
  const cov = computeCoverage(small, { Tensor: class {} }, [], []);
  // uses: view (1 program) + zeros (2 programs) = 3; Kiln stub has neither; cuda is outside.
  assert.equal(cov.uses, 3);
  assert.equal(cov.covered, 0);
  assert.equal(cov.byArea.get("torch")?.uses, 2);
  const withZeros = computeCoverage(small, { zeros: () => 0 }, [], []);
  assert.equal(withZeros.covered, 2);
});

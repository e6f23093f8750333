// The README's seed example must run as printed: examples/seed.ts trains the seed's MLP for one
// epoch on 10,000 MNIST images and reports masked metrics on 2,000 validation images.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

test("examples/seed.ts trains and prints mask-based metrics", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "examples/seed.ts"], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const accuracy = /val accuracy (\d+\.\d)%/.exec(r.stdout);
  assert.ok(accuracy, r.stdout);
  // One epoch of SGD (lr 0.01, momentum 0.9) on 10k images reaches about 89% (README); a model
  // that learned nothing would sit near 10%.
  assert.ok(Number(accuracy[1]) > 85, `accuracy ${accuracy[1]}%`);
  const digit1 = /digit 1: recall (\d\.\d{4}), precision (\d\.\d{4}), loss (\S+)/.exec(r.stdout);
  assert.ok(digit1, r.stdout);
  assert.ok(Number(digit1[1]) > 0.8 && Number(digit1[2]) > 0.8);
  assert.match(r.stdout, /^E1 Training ----\/157, starting$/m);
  assert.match(r.stdout, /^E1 Validation ----\/32, done at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
});
